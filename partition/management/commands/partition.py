"""`manage.py partition --community "<name>" [--areas N] [--apply]`: print the partition's figures for a
community; with --apply, apply it (one transaction, history kept, care plans follow)."""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from partition.services import partition_apply, partition_default_areas, partition_preview
from territory.models import Level, TerritoryUnit


def figures_lines(plan) -> list[str]:
    f = plan.figures
    lines = [
        f"households            {f.households}",
        f"cells                 {f.cells}  ({f.share_in_range * 100:.1f}% within 5–15; sizes {f.cell_size_min}–{f.cell_size_max})",
        f"buildings per cell    mean {f.buildings_mean:.2f}, worst {f.buildings_max}",
    ]
    if f.metres_mean is not None:
        lines.append(
            f"map points            mean {f.metres_mean:.0f} m to the cell's centre, worst {f.metres_max:.0f} m"
        )
    lines += [
        f"groups                {f.groups}  (sizes {f.group_size_min}–{f.group_size_max})",
        f"areas                 {f.areas}  (households {', '.join(map(str, f.area_sizes))}; spread {f.area_spread:.2f})",
        f"households moved      {f.moved}  (and {f.placed} in no cell placed)",
        f"cells                 kept {f.cells_kept}, changed {f.cells_changed}, new {f.cells_new}, emptied {f.cells_removed}",
        f"groups / areas        {f.groups_changed} / {f.areas_changed} new, changed or emptied",
        f"cells needing a 邻长  {len(plan.leaderless)}",
        f"engine time           {f.seconds:.2f} s",
    ]
    return lines


class Command(BaseCommand):
    help = "Preview (and with --apply, apply) the automatic partition of a community into cells, groups and areas."

    def add_arguments(self, parser):
        parser.add_argument("--community", required=True, help="the community's name, e.g. 幸福社区")
        parser.add_argument(
            "--areas", type=int, default=None, help="number of areas (default: as many as now)"
        )
        parser.add_argument("--apply", action="store_true", help="apply the partition")

    def handle(self, *args, community, areas, apply, **options):
        matches = list(TerritoryUnit.objects.filter(level=Level.COMMUNITY, name=community.strip()))
        if not matches:
            raise CommandError(f"No community is called {community!r}.")
        if len(matches) > 1:
            raise CommandError(f"{len(matches)} communities are called {community!r}; rename one first.")
        unit = matches[0]
        areas = areas if areas is not None else partition_default_areas(unit)
        started = time.perf_counter()
        try:
            plan = partition_preview(actor=None, community=unit, areas=areas, candidates=False)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"{unit.name}: {areas} areas (preview in {time.perf_counter() - started:.2f} s)")
        for line in figures_lines(plan):
            self.stdout.write("  " + line)
        if not apply:
            self.stdout.write("Nothing changed (add --apply to apply it).")
            return
        started = time.perf_counter()
        try:
            result = partition_apply(actor=None, community=unit, areas=areas, plan_token=plan.token)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Applied in {time.perf_counter() - started:.2f} s: {result.households_moved} households moved, "
                f"{result.units_created} units created, {result.units_moved} units moved; care plans "
                f"{result.care}."
            )
        )
        if result.leaderless:
            self.stdout.write(f"Cells with no 邻长: {', '.join(result.leaderless)}")
        for unit in plan.emptied_areas + plan.emptied_groups + plan.emptied:
            leader = f" (leader: {unit.leader})" if unit.leader else ""
            self.stdout.write(f"Left empty: {unit.name}{leader}")
