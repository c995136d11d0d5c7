"""Territory units as the viewer sees them (TerritoryUnit.objects.visible_to)."""

from collections import defaultdict

from django.db.models import Count
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from linli.api_types import Id, Pagination
from people.models import Household, Resident
from territory.models import Level, TerritoryUnit
from territory.schemas import UnitDetailOut, UnitOut

router = Router(tags=["territory"])


@router.get("/units", response=list[UnitOut])
@paginate(Pagination, page_size=50, max_page_size=100)
def unit_list(request, level: Level | None = None, parent: Id | None = None):
    units = TerritoryUnit.objects.visible_to(request.user)
    if level:
        units = units.filter(level=level)
    if parent is not None:
        units = units.filter(parent_id=parent)
    return units.only("id", "level", "name", "parent_id", "path")


def _counts_by_path(user, unit: TerritoryUnit) -> tuple[dict[str, int], dict[str, int]]:
    """Resident households and counted residents under `unit`, grouped by the deepest known unit path
    (the cell's, or the community's for households not yet in a cell). Only what the viewer may see."""
    if unit.level in (Level.STREET, Level.COMMUNITY):
        under = {"community__path__startswith": unit.path}
    else:
        under = {"cell__path__startswith": unit.path}
    households = (
        Household.objects.visible_to(user)
        .living_here()
        .filter(**under)
        .values("community__path", "cell__path")
        .annotate(n=Count("id"))
        .order_by()
    )
    residents = (
        Resident.objects.visible_to(user)
        .counted()
        .filter(**{f"household__{key}": value for key, value in under.items()})
        .values("household__community__path", "household__cell__path")
        .annotate(n=Count("id"))
        .order_by()
    )
    household_counts: dict[str, int] = defaultdict(int)
    for row in households:
        household_counts[row["cell__path"] or row["community__path"]] += row["n"]
    resident_counts: dict[str, int] = defaultdict(int)
    for row in residents:
        resident_counts[row["household__cell__path"] or row["household__community__path"]] += row["n"]
    return household_counts, resident_counts


def _total_under(counts: dict[str, int], path: str) -> int:
    return sum(n for key, n in counts.items() if key.startswith(path))


@router.get("/units/{unit_id}", response=UnitDetailOut)
def unit_detail(request, unit_id: Id):
    unit = get_object_or_404(TerritoryUnit.objects.visible_to(request.user), pk=unit_id)
    children = list(TerritoryUnit.objects.visible_to(request.user).filter(parent=unit))
    household_counts, resident_counts = _counts_by_path(request.user, unit)

    def with_counts(node: TerritoryUnit) -> dict:
        return {
            "id": node.id,
            "level": node.level,
            "name": node.name,
            "parent_id": node.parent_id,
            "path": node.path,
            "household_count": _total_under(household_counts, node.path),
            "resident_count": _total_under(resident_counts, node.path),
        }

    return {**with_counts(unit), "children": [with_counts(child) for child in children]}
