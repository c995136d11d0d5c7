"""Changes to the physical address register: estates (小区/village groups), buildings and entrances.

Each function takes the acting user (`actor`), runs in one transaction and leaves a history row naming
the actor (django-simple-history). Duplicate names are refused with a message a community worker can act
on (the database constraints stay the last line of defence).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from territory.models import Building, Entrance, Estate, Level, TerritoryUnit
from territory.services import address_clean


def _as(obj, actor):
    obj._history_user = actor
    return obj


def _check_may_manage(actor, community_id: int) -> None:
    """`actor=None` is the system itself (commands, imports, tests); anyone else must manage the community."""
    if actor is None:
        return
    from accounts.scope import scope_for

    if not scope_for(actor).can_manage_community(community_id):
        raise PermissionDenied(_("Only staff of this community may change its estates."))


def _clean_name(name: str, *, required: bool = True) -> str:
    name = address_clean(name)
    if required and not name:
        raise ValidationError(_("Please enter a name."))
    return name


@transaction.atomic
def estate_create(
    *, actor, community: TerritoryUnit, name: str, kind: str = Estate.Kind.ESTATE, address: str = ""
) -> Estate:
    """Add an estate or village group to a community; its name must be new in that community."""
    if community.level != Level.COMMUNITY:
        raise ValidationError(_("An estate belongs to a community."))
    _check_may_manage(actor, community.pk)
    name = _clean_name(name)
    if Estate.objects.filter(community=community, name=name).exists():
        raise ValidationError(_("This community already has an estate named %(name)s.") % {"name": name})
    estate = _as(Estate(community=community, name=name, kind=kind, address=(address or "").strip()), actor)
    estate.save()
    return estate


@transaction.atomic
def building_create(*, actor, estate: Estate, name: str, entrance_names: list[str] | None = None) -> Building:
    """Add a building to an estate, with its entrances (one unnamed entrance when none are named)."""
    _check_may_manage(actor, estate.community_id)
    name = _clean_name(name)
    if Building.objects.filter(estate=estate, name=name).exists():
        raise ValidationError(_("This estate already has a building named %(name)s.") % {"name": name})
    names = [_clean_name(n, required=False) for n in (entrance_names or [])]
    names = list(dict.fromkeys(n for n in names if n)) or [""]
    building = _as(Building(estate=estate, name=name), actor)
    building.save()
    for entrance_name in names:
        _as(Entrance(building=building, name=entrance_name), actor).save()
    return building


@transaction.atomic
def entrance_create(*, actor, building: Building, name: str = "") -> Entrance:
    """Add an entrance (单元) to a building; a building has at most one unnamed entrance."""
    _check_may_manage(actor, building.estate.community_id)
    name = _clean_name(name, required=False)
    if Entrance.objects.filter(building=building, name=name).exists():
        if name:
            raise ValidationError(_("This building already has an entrance named %(name)s.") % {"name": name})
        raise ValidationError(_("This building already has an entrance without a name."))
    entrance = _as(Entrance(building=building, name=name), actor)
    entrance.save()
    return entrance
