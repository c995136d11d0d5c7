"""Reads for the partition: a community's households and tree as the engine wants them, the active 邻长
of its cells, and candidates for the cells that have none. A fixed number of queries whatever the size
of the community."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from leaders.models import Appointment, Role
from partition.engine import CurrentCell, Home
from people.models import HouseholdStatus, ResidenceStatus, Resident
from territory.models import Estate, Level, TerritoryUnit

ADULT_AGE = 18
CANDIDATES_PER_CELL = 3


@dataclass
class HouseholdFacts:
    estate: str
    building: str
    entrance: str
    room: str

    @property
    def building_label(self) -> str:
        return f"{self.estate} {self.building}"


@dataclass
class Registry:
    """A community's resident households and governance tree, loaded once."""

    community: TerritoryUnit
    homes: list[Home]
    facts: dict[int, HouseholdFacts]  # household id → address parts
    units: dict[int, TerritoryUnit]  # every unit under the community (areas, groups, cells)
    current: dict[int, CurrentCell]  # cells with their group, area and pin
    fingerprint: tuple = field(default_factory=tuple)

    def children(self, level: str) -> list[TerritoryUnit]:
        return [u for u in self.units.values() if u.level == level]


def registry_load(community: TerritoryUnit) -> Registry:
    """Two queries: the community's resident households (空挂户 excluded) with their addresses, and the
    units under it."""
    rows = list(
        community.community_households.filter(status=HouseholdStatus.RESIDENT)
        .order_by("pk")
        .values_list(
            "pk",
            "entrance__building__estate_id",
            "entrance__building__estate__name",
            "entrance__building__estate__kind",
            "entrance__building__name",
            "entrance__name",
            "floor",
            "room",
            "latitude",
            "longitude",
            "cell_id",
            "cell_pinned",
        )
    )
    units = {
        u.pk: u
        for u in TerritoryUnit.objects.filter(path__startswith=community.path)
        .exclude(pk=community.pk)
        .order_by("path")
    }
    current = {}
    for unit in units.values():
        if unit.level == Level.CELL:
            group = units.get(unit.parent_id)
            current[unit.pk] = CurrentCell(
                group=unit.parent_id, area=group.parent_id if group else None, pinned=unit.pinned
            )
    homes, facts = [], {}
    for pk, estate_id, estate, kind, building, entrance, floor, room, lat, lon, cell_id, pinned in rows:
        point = lat is not None and lon is not None
        homes.append(
            Home(
                id=pk,
                # Estates in the order they were registered (their names say nothing of where they are).
                estate=f"{estate_id:012d}",
                building=building,
                entrance=entrance,
                floor=floor,
                room=room,
                lat=float(lat) if point else None,
                lon=float(lon) if point else None,
                on_map=point and kind == Estate.Kind.VILLAGE,
                cell=cell_id,
                pinned=pinned,
            )
        )
        facts[pk] = HouseholdFacts(estate, building, entrance, room)
    fingerprint = (
        tuple((*r[:8], str(r[8]), str(r[9]), r[10], r[11]) for r in rows),
        tuple((u.pk, u.level, u.parent_id, u.pinned) for u in units.values()),
    )
    return Registry(community, homes, facts, units, current, fingerprint)


LEADER_ROLES = [Role.AREA_LEADER, Role.GROUP_LEADER, Role.CELL_LEADER]


def unit_leader_names(unit_ids) -> dict[int, str]:
    """The active leader of each unit — 片长 of an area, 组长 of a group, 邻长 of a cell (the
    longest-serving when there are two) — in one query."""
    names: dict[int, str] = {}
    for unit_id, full_name, username in (
        Appointment.objects.active()
        .filter(role__in=LEADER_ROLES, unit_id__in=list(unit_ids))
        .order_by("started_on", "id")
        .values_list("unit_id", "person__full_name", "person__username")
    ):
        names.setdefault(unit_id, full_name or username)
    return names


@dataclass
class Candidate:
    resident_id: int
    name: str
    address: str
    reasons: list[str]
    rank: tuple


def leader_candidates(
    households_by_cell: dict,
    facts: dict[int, HouseholdFacts],
    *,
    limit: int = CANDIDATES_PER_CELL,
    today=None,
) -> dict:
    """Candidates for 邻长 among each cell's households (DOMAIN.md §5): adults who count as living here
    (not 空挂, alive, in a household that lives here), ranked by party member, 五老, veteran,
    volunteer, already active (holds another post or is in a volunteer team), then 常住 before
    tenants; the reasons are what puts them there. Three queries for any number of cells."""
    today = today or timezone.localdate()
    cell_of = {h: key for key, households in households_by_cell.items() for h in households}
    if not cell_of:
        return {}
    adult_born_by = _years_before(today, ADULT_AGE)
    residents = list(
        Resident.objects.counted()
        .filter(household_id__in=list(cell_of), birth_date__lte=adult_born_by)
        .values_list(
            "pk",
            "name",
            "household_id",
            "residence_status",
            "is_party_member",
            "is_five_elders",
            "is_veteran",
            "is_volunteer",
        )
    )
    ids = [r[0] for r in residents]
    posts: dict[int, list[str]] = {}
    for resident_id, role in (
        Appointment.objects.active()
        .filter(person__resident_id__in=ids)
        .values_list("person__resident_id", "role")
    ):
        posts.setdefault(resident_id, []).append(Role(role).label)
    in_team = set(
        Resident.objects.filter(pk__in=ids, account__teams__active=True)
        .values_list("pk", flat=True)
        .distinct()
    )
    found: dict = {}
    for pk, name, household_id, status, party, elders, veteran, volunteer in residents:
        reasons = []
        if party:
            reasons.append(_("Party member"))
        if elders:
            reasons.append(_("Five elders"))
        if veteran:
            reasons.append(_("Veteran"))
        if volunteer:
            reasons.append(_("Volunteer"))
        active = pk in posts or pk in in_team
        if pk in posts:
            reasons.append(
                _("Already serves as %(posts)s") % {"posts": "、".join(sorted(set(map(str, posts[pk]))))}
            )
        elif pk in in_team:
            reasons.append(_("In a volunteer team"))
        lives_here = status == ResidenceStatus.RESIDENT
        reasons.append(_("Lives here") if lives_here else _("Tenant living here"))
        rank = (party, elders, veteran, volunteer, active, lives_here)
        f = facts.get(household_id)
        address = f"{f.building_label} {f.entrance} {f.room}".replace("  ", " ") if f else ""
        found.setdefault(cell_of[household_id], []).append(Candidate(pk, name, address, reasons, rank))
    return {
        key: sorted(people, key=lambda c: (tuple(not x for x in c.rank), c.resident_id))[:limit]
        for key, people in found.items()
    }


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def pinned_counts(community: TerritoryUnit) -> dict[str, int]:
    """How many cells and households of a community are fixed by hand."""
    return {
        "cells": TerritoryUnit.objects.filter(
            path__startswith=community.path, level=Level.CELL, pinned=True
        ).count(),
        "households": community.community_households.filter(Q(cell_pinned=True)).count(),
    }
