"""manage.py import_roster FILE --community "<name>" [--dry-run] [--errors-out PATH] [--actor USERNAME]

Prints `created N, updated M, unchanged U, rejected K` (machine-read: keep the format) and exits non-zero
when any row was rejected.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from linli.params import int_param
from people.roster import RosterFileError, roster_error_workbook, roster_import
from territory.models import TerritoryUnit

SHOWN_REJECTIONS = 50


class Command(BaseCommand):
    help = "Import a roster (.xlsx or .csv with the Chinese headers) into one community."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx or .csv roster")
        parser.add_argument("--community", required=True, help="the community's name (or its id)")
        parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
        parser.add_argument("--errors-out", help="write the rejected rows to this .xlsx")
        parser.add_argument("--actor", help="username recorded in the history and the access log")

    def handle(self, *args, **options):
        with translation.override(settings.LANGUAGE_CODE):
            self._run(options)

    def _run(self, options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}) from exc
        community = _community(options["community"])
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(_("No user is named %(name)s.") % {"name": options["actor"]})
        try:
            summary = roster_import(
                actor=actor, community=community, data=data, dry_run=options["dry_run"], source_name=path.name
            )
        except RosterFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(summary.line())
        self.stdout.write(summary.places_line())
        # stdout carries the two machine-read lines only; everything for people goes to stderr.
        if summary.dry_run:
            self.stderr.write(_("Dry run: nothing was written."))
        for row in summary.rejected_rows[:SHOWN_REJECTIONS]:
            self.stderr.write(
                _("Row %(number)s: %(message)s") % {"number": row.number, "message": row.message}
            )
        if summary.rejected > SHOWN_REJECTIONS:
            self.stderr.write(
                _("…and %(count)s more rejected rows.") % {"count": summary.rejected - SHOWN_REJECTIONS}
            )
        if options["errors_out"] and summary.rejected:
            Path(options["errors_out"]).write_bytes(roster_error_workbook(summary))
            self.stderr.write(_("Rejected rows written to %(path)s.") % {"path": options["errors_out"]})
        if summary.rejected:
            raise CommandError(_("%(count)s rows were rejected.") % {"count": summary.rejected})


def _community(name: str) -> TerritoryUnit:
    communities = TerritoryUnit.objects.communities()
    found = list(communities.filter(name=name.strip()))
    if not found and int_param(name):
        found = list(communities.filter(pk=int_param(name)))
    if not found:
        raise CommandError(_("No community is named %(name)s.") % {"name": name})
    if len(found) > 1:
        ids = ", ".join(str(c.pk) for c in found)
        raise CommandError(
            _("Several communities are named %(name)s (ids %(ids)s); pass the id instead.")
            % {"name": name, "ids": ids}
        )
    return found[0]
