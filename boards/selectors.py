"""What a public board shows: who to call for a building or an estate, read off the active appointments.

A building's patch is found through its households (空挂户 excluded): their cells, and through the cells'
paths the groups, areas, community and street above them. The board lists, in this order:
民警 police (street or community), 片长 and 组长 over those cells, the 邻长 of those cells, the property
butler of the estate, the mediator (community or area), and the building leader. An estate's board is
the union over its buildings, with every building's leader.

Only names, roles, places and phones leave this module: nothing about residents.
"""

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse

from leaders.models import Appointment, Role
from people.models import Household
from territory.models import Building, Estate

# The order of a board's sections (DOMAIN.md §5).
BOARD_ROLES = [
    Role.POLICE,
    Role.AREA_LEADER,
    Role.GROUP_LEADER,
    Role.CELL_LEADER,
    Role.PROPERTY_BUTLER,
    Role.MEDIATOR,
    Role.BUILDING_LEADER,
]
_ROLE_RANK = {role: rank for rank, role in enumerate(BOARD_ROLES)}


@dataclass(frozen=True)
class BoardLine:
    """One person on a board. `place` is the unit, estate or building the post covers."""

    role: str
    place: str
    person_id: int
    name: str
    phone: str
    sort_key: tuple = field(compare=False, repr=False, default=())

    @property
    def role_label(self) -> str:
        return Role(self.role).label


@dataclass(frozen=True)
class BoardSection:
    role: str
    lines: list[BoardLine]

    @property
    def role_label(self) -> str:
        return Role(self.role).label


@dataclass
class BoardContent:
    """Everything a board shows except its date (which boards.services keeps)."""

    building: Building | None
    estate: Estate
    lines: list[BoardLine]
    # The buildings an estate board lists (each with its own filing page); [] on a building board.
    buildings: list[Building] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, int]:
        return ("building", self.building.pk) if self.building else ("estate", self.estate.pk)

    @property
    def title(self) -> str:
        return f"{self.estate.name} {self.building.name}" if self.building else self.estate.name

    @property
    def community_name(self) -> str:
        return self.estate.community.name

    @property
    def sections(self) -> list[BoardSection]:
        """Every board role in order, with its people (an empty list: nobody holds the post yet)."""
        by_role = defaultdict(list)
        for line in self.lines:
            by_role[line.role].append(line)
        return [BoardSection(role=role, lines=by_role[role]) for role in BOARD_ROLES]

    @property
    def fingerprint(self) -> str:
        """sha256 of the ordered lines: it changes exactly when what the board lists changes."""
        rows = [[line.role, line.place, line.person_id, line.name, line.phone] for line in self.lines]
        return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()

    @property
    def qr_path(self) -> str:
        """Where the QR code leads: the building's request-filing page. An estate board's code leads to
        the estate's board page, which lists its buildings, each with its filing page, so a request is
        filed against the resident's own building; with a single building, straight to its filing page."""
        if self.building:
            return reverse("service_requests:file_from_building", args=[self.building.pk])
        if len(self.buildings) == 1:
            return reverse("service_requests:file_from_building", args=[self.buildings[0].pk])
        return reverse("boards:estate", args=[self.estate.pk])

    @property
    def page_path(self) -> str:
        if self.building:
            return reverse("boards:building", args=[self.building.pk])
        return reverse("boards:estate", args=[self.estate.pk])


@dataclass
class _Patch:
    """The ids of the places whose posts appear on one board."""

    police_unit_ids: set[int] = field(default_factory=set)
    area_ids: set[int] = field(default_factory=set)
    group_ids: set[int] = field(default_factory=set)
    cell_ids: set[int] = field(default_factory=set)
    mediator_unit_ids: set[int] = field(default_factory=set)
    estate_ids: set[int] = field(default_factory=set)
    building_ids: set[int] = field(default_factory=set)

    def add_estate(self, estate: Estate) -> None:
        community = estate.community
        self.estate_ids.add(estate.pk)
        self.police_unit_ids.update(community.ancestor_ids[:2])  # street and community
        self.mediator_unit_ids.add(community.pk)

    def add_cell_path(self, path: str) -> None:
        ids = [int(part) for part in path.strip("/").split("/")]  # street/community/area/group/cell
        if len(ids) != 5:
            return
        street_id, community_id, area_id, group_id, cell_id = ids
        self.police_unit_ids.update((street_id, community_id))
        self.mediator_unit_ids.update((community_id, area_id))
        self.area_ids.add(area_id)
        self.group_ids.add(group_id)
        self.cell_ids.add(cell_id)

    def q(self) -> Q:
        return (
            Q(role=Role.POLICE, unit_id__in=self.police_unit_ids)
            | Q(role=Role.AREA_LEADER, unit_id__in=self.area_ids)
            | Q(role=Role.GROUP_LEADER, unit_id__in=self.group_ids)
            | Q(role=Role.CELL_LEADER, unit_id__in=self.cell_ids)
            | Q(role=Role.PROPERTY_BUTLER, estate_id__in=self.estate_ids)
            | Q(role=Role.MEDIATOR, unit_id__in=self.mediator_unit_ids)
            | Q(role=Role.BUILDING_LEADER, building_id__in=self.building_ids)
        )

    def covers(self, appointment: Appointment) -> bool:
        role = appointment.role
        if role == Role.BUILDING_LEADER:
            return appointment.building_id in self.building_ids
        if role == Role.PROPERTY_BUTLER:
            return appointment.estate_id in self.estate_ids
        units = {
            Role.POLICE: self.police_unit_ids,
            Role.AREA_LEADER: self.area_ids,
            Role.GROUP_LEADER: self.group_ids,
            Role.CELL_LEADER: self.cell_ids,
            Role.MEDIATOR: self.mediator_unit_ids,
        }.get(role, set())
        return appointment.unit_id in units


def natural_key(name: str) -> tuple:
    """Sorts "2栋" before "10栋"."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name))


def _cell_paths_by_building(building_ids: Iterable[int]) -> dict[int, set[str]]:
    """The paths of the cells of each building's households (空挂户 excluded): one query."""
    rows = (
        Household.objects.living_here()
        .filter(entrance__building_id__in=list(building_ids), cell__isnull=False)
        .values_list("entrance__building_id", "cell__path")
        .distinct()
    )
    paths: dict[int, set[str]] = defaultdict(set)
    for building_id, path in rows:
        paths[building_id].add(path)
    return paths


def _appointments(patches: Iterable[_Patch]) -> list[Appointment]:
    """The active appointments of every post on these boards: one query."""
    q = Q(pk__in=[])
    for patch in patches:
        q |= patch.q()
    return list(
        Appointment.objects.active()
        .filter(q, role__in=BOARD_ROLES)
        .select_related("person", "unit")
        .only(
            "role",
            "unit_id",
            "estate_id",
            "building_id",
            "person__username",
            "person__full_name",
            "person__phone",
            "unit__name",
            "unit__sort_order",
        )
    )


def _lines(
    patch: _Patch, appointments: Iterable[Appointment], estate: Estate, building_names: dict[int, str]
) -> list[BoardLine]:
    lines = set()
    for appointment in appointments:
        if not patch.covers(appointment):
            continue
        if appointment.unit_id:
            # Units in the order staff gave them, else as they were made (第一邻 before 第二邻).
            place = appointment.unit.name
            place_rank = (appointment.unit.sort_order, appointment.unit_id)
        elif appointment.building_id:
            place = building_names.get(appointment.building_id, "")
            place_rank = natural_key(place)
        else:
            place, place_rank = estate.name, ()
        person = appointment.person
        name = person.display_name
        lines.add(
            BoardLine(
                role=appointment.role,
                place=place,
                person_id=person.pk,
                name=name,
                phone=person.phone,
                sort_key=(_ROLE_RANK[appointment.role], place_rank, place, name, person.pk),
            )
        )
    return sorted(lines, key=lambda line: line.sort_key)


def board_contents_for_buildings(buildings: Sequence[Building]) -> dict[int, BoardContent]:
    """The boards of these buildings (fetched with `estate__community`), by building id: two queries
    whatever their number."""
    cell_paths = _cell_paths_by_building(b.pk for b in buildings)
    patches = {}
    for building in buildings:
        patch = _Patch(building_ids={building.pk})
        patch.add_estate(building.estate)
        for path in cell_paths.get(building.pk, ()):
            patch.add_cell_path(path)
        patches[building.pk] = patch
    appointments = _appointments(patches.values()) if patches else []
    return {
        building.pk: BoardContent(
            building=building,
            estate=building.estate,
            lines=_lines(patches[building.pk], appointments, building.estate, {building.pk: building.name}),
        )
        for building in buildings
    }


def board_content_for_building(building: Building) -> BoardContent:
    return board_contents_for_buildings([building])[building.pk]


def board_content_for_estate(estate: Estate, buildings: Sequence[Building]) -> BoardContent:
    """The estate's board (fetched with `community`): its buildings' patches together, every building
    leader listed with their building. `buildings` are the estate's, in display order."""
    cell_paths = _cell_paths_by_building(b.pk for b in buildings)
    patch = _Patch(building_ids={b.pk for b in buildings})
    patch.add_estate(estate)
    for paths in cell_paths.values():
        for path in paths:
            patch.add_cell_path(path)
    names = {b.pk: b.name for b in buildings}
    return BoardContent(
        building=None,
        estate=estate,
        lines=_lines(patch, _appointments([patch]), estate, names),
        buildings=list(buildings),
    )


def estate_buildings(estate: Estate) -> list[Building]:
    """The estate's buildings in display order, each able to print its own title without a query."""
    buildings = sorted(Building.objects.filter(estate=estate), key=lambda b: (natural_key(b.name), b.pk))
    for building in buildings:
        building.estate = estate
    return buildings
