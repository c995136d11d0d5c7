"""Issue or revoke an Open311 API key.

manage.py open311_key --name "12345 hotline" [--street 城关街道]   # prints the new key on its last line
manage.py open311_key --revoke PREFIX
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from open311.models import ApiKey
from open311.services import api_key_issue, api_key_revoke
from territory.models import Level, TerritoryUnit


class Command(BaseCommand):
    help = "Issue an Open311 API key for an integration (the key is printed on the last line), or revoke one."

    def add_arguments(self, parser):
        parser.add_argument("--name", help="the integration the key is for")
        parser.add_argument("--street", help="the street office's name (needed when there are several)")
        parser.add_argument(
            "--revoke", metavar="PREFIX", help="revoke the active key that begins with PREFIX"
        )

    def handle(self, *args, name=None, street=None, revoke=None, **options):
        if revoke:
            return self._revoke(revoke)
        if not name:
            raise CommandError("--name is required to issue a key.")
        unit = self._street(street)
        try:
            key, plain = api_key_issue(actor=None, name=name, street=unit)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Issued an Open311 key for {key.name} ({unit.name}); it is shown only now:")
        self.stdout.write(plain)

    def _street(self, name):
        streets = TerritoryUnit.objects.filter(level=Level.STREET)
        if name:
            streets = streets.filter(name=name)
        found = list(streets[:2])
        if not found:
            raise CommandError(f"No street office named {name}." if name else "No street office exists yet.")
        if len(found) > 1:
            raise CommandError("There are several street offices: name one with --street.")
        return found[0]

    def _revoke(self, prefix):
        keys = list(ApiKey.objects.active().filter(prefix__startswith=prefix)[:2])
        if not keys:
            raise CommandError(f"No active key begins with {prefix}.")
        if len(keys) > 1:
            raise CommandError(f"Several active keys begin with {prefix}: give more of the key.")
        api_key_revoke(actor=None, api_key=keys[0])
        self.stdout.write(f"Revoked the key {keys[0].prefix}… of {keys[0].name}.")
