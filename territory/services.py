"""Changes to the territory. Each function runs in one transaction."""

import re
import unicodedata

from django.db import transaction
from django.utils.translation import gettext as _

from territory.models import CHILD_LEVEL, Building, Entrance, Estate, Level, TerritoryUnit


class TerritoryError(ValueError):
    pass


def address_clean(text: str) -> str:
    """One spelling for every address part: full-width digits and letters (as Chinese input methods
    type them) become ASCII, runs of white space one space. '１０１' and '101' are the same room."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip()


@transaction.atomic
def unit_create(
    *, parent: TerritoryUnit | None, level: Level, name: str, sort_order: int = 0
) -> TerritoryUnit:
    """Add a unit under its parent; the level must be the one right below the parent's."""
    if parent is None and level != Level.STREET:
        raise TerritoryError(_("Only a street office stands at the top of the tree."))
    if parent is not None and CHILD_LEVEL.get(parent.level) != level:
        raise TerritoryError(_("This kind of unit cannot stand under that one."))
    unit = TerritoryUnit.objects.create(parent=parent, level=level, name=name.strip(), sort_order=sort_order)
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    TerritoryUnit.objects.filter(pk=unit.pk).update(path=unit.path)
    return unit


def entrance_get_or_create(
    *, community: TerritoryUnit, estate_name: str, building_name: str, entrance_name: str = "", cache=None
) -> tuple[Entrance, list[str]]:
    """Find or create the estate, building and entrance of an address.

    Returns the entrance and the kinds created ("estate", "building", "entrance") for import summaries.
    `cache` (a dict) saves repeated look-ups during a bulk import.
    """
    cache = cache if cache is not None else {}
    created: list[str] = []
    key = (community.pk, estate_name)
    estate = cache.get(key)
    if estate is None:
        estate, was_created = Estate.objects.get_or_create(community=community, name=estate_name)
        cache[key] = estate
        if was_created:
            created.append("estate")
    key = (community.pk, estate_name, building_name)
    building = cache.get(key)
    if building is None:
        building, was_created = Building.objects.get_or_create(estate=estate, name=building_name)
        cache[key] = building
        if was_created:
            created.append("building")
    key = (community.pk, estate_name, building_name, entrance_name)
    entrance = cache.get(key)
    if entrance is None:
        entrance, was_created = Entrance.objects.get_or_create(building=building, name=entrance_name)
        cache[key] = entrance
        if was_created:
            created.append("entrance")
    return entrance, created
