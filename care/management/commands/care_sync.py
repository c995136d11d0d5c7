"""manage.py care_sync [--community NAME]

Brings care plans in line with the registry for every community (or one): starts a plan for each
counted resident in a cared-for special group, ends those of people who moved away, died or left the
groups, follows moves and carers. Prints one line per community: `<name>: started N, ended M, updated U`.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from care.services import care_plans_sync
from linli.params import int_param
from territory.models import TerritoryUnit


class Command(BaseCommand):
    help = "Start, end and update care plans from the registry, for every community or one."

    def add_arguments(self, parser):
        parser.add_argument(
            "--community", help="the community's name (or its id); all communities if left out"
        )

    def handle(self, *args, **options):
        with translation.override(settings.LANGUAGE_CODE):
            communities = TerritoryUnit.objects.communities().order_by("path")
            if options["community"]:
                communities = _community(options["community"])
            for community in communities:
                counts = care_plans_sync(community=community)
                self.stdout.write(
                    _("%(community)s: started %(started)s, ended %(ended)s, updated %(updated)s")
                    % {"community": community.name, **counts}
                )


def _community(name: str) -> list[TerritoryUnit]:
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
    return found
