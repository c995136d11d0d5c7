"""Reads for the household and resident pages, always scoped to a viewer (accounts.scope)."""

import dataclasses
from dataclasses import dataclass, field

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, Value, When
from django.utils.translation import gettext as _

from accounts.scope import scope_for
from leaders.models import Appointment, Role
from people import identity
from people.models import SPECIAL_GROUP_FIELDS, SPECIAL_GROUPS, Household, HouseholdStatus, Relation, Resident
from people.search import resident_search
from territory.models import LEVEL_ORDER, Entrance, Estate, Level, TerritoryUnit

HOUSEHOLDS_PER_PAGE = 50
SEARCH_LIMIT = 100
HISTORY_LIMIT = 200

ADDRESS_ORDER = [
    "entrance__building__estate__name",
    "entrance__building__name",
    "entrance__name",
    "floor",
    "room",
]


def _members_prefetch() -> Prefetch:
    """Members, head of household first, then in the order they were registered."""
    head_first = Case(
        When(relation=Relation.HEAD, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return Prefetch("members", queryset=Resident.objects.order_by(head_first, "id"))


def _decorate(household: Household) -> Household:
    """Attach what cards and rows show, read off the prefetched members (no query)."""
    members = list(household.members.all())
    household.member_list = members
    household.special_labels = [
        str(label) for name, label in SPECIAL_GROUPS if any(getattr(m, name) for m in members)
    ]
    household.is_special = bool(household.special_labels)
    household.emergency_contacts = [
        m for m in members if m.emergency_contact_name or m.emergency_contact_phone
    ]
    return household


def household_detail_queryset(user):
    return (
        Household.objects.visible_to(user)
        .with_address()
        .select_related("community", "cell__parent")
        .prefetch_related(_members_prefetch())
    )


def household_get(user, pk: int) -> Household | None:
    household = household_detail_queryset(user).filter(pk=pk).first()
    return _decorate(household) if household else None


# --- My households ------------------------------------------------------------------------------------


@dataclass
class CellSection:
    cell: TerritoryUnit | None
    leader_names: list[str] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    # In the index of a big patch the households are not loaded, only counted.
    count: int | None = None
    special_count: int = 0

    @property
    def household_count(self) -> int:
        return len(self.households) if self.count is None else self.count


@dataclass
class GroupSection:
    group: TerritoryUnit | None
    leader_names: list[str] = field(default_factory=list)
    cells: list[CellSection] = field(default_factory=list)

    @property
    def household_count(self) -> int:
        return sum(c.household_count for c in self.cells)


@dataclass
class MyHouseholds:
    # "flat" (one cell or a building), "cells" (a group: cell headings, or one cell of a big patch),
    # "index" (an area and above: groups and cells with counts, each cell opened on its own page),
    # "own" (a resident's own household), "none" (nothing to show).
    mode: str
    households: list[Household] = field(default_factory=list)
    groups: list[GroupSection] = field(default_factory=list)
    opened_cell: TerritoryUnit | None = None

    @property
    def total(self) -> int:
        return sum(g.household_count for g in self.groups) if self.mode == "index" else len(self.households)

    @property
    def cells(self) -> list[CellSection]:
        return [cell for group in self.groups for cell in group.cells]


# Number of ids in a group's path ("/street/community/area/group/").
_GROUP_DEPTH = LEVEL_ORDER.index(Level.GROUP) + 1
_NOTHING_Q = Q(pk__in=[])


def _leader_names(user, unit_ids) -> dict[int, list[str]]:
    posts = (
        Appointment.objects.visible_to(user)
        .active()
        .filter(role__in=[Role.CELL_LEADER, Role.GROUP_LEADER], unit_id__in=unit_ids)
        .select_related("person")
        .order_by("started_on", "id")
    )
    names: dict[int, list[str]] = {}
    for post in posts:
        names.setdefault(post.unit_id, []).append(post.person.display_name)
    return names


def _my_households_index(user, scope) -> MyHouseholds:
    """For an area leader or a grid worker (hundreds or thousands of households): groups and cells
    with their counts only; a phone would choke on every household at once."""
    q = _NOTHING_Q
    for path in scope.leader_unit_paths:
        q |= Q(path__startswith=path)
    living = Q(cell_households__status=HouseholdStatus.RESIDENT)
    special = Q()
    for name in SPECIAL_GROUP_FIELDS:
        special |= Q(**{f"cell_households__members__{name}": True})
    cells = (
        TerritoryUnit.objects.filter(q, level=Level.CELL)
        .select_related("parent")
        .annotate(
            living=Count("cell_households", filter=living, distinct=True),
            special=Count("cell_households", filter=living & special, distinct=True),
        )
        .order_by("path")
    )
    by_group: dict[int, GroupSection] = {}
    for cell in cells:
        section = CellSection(cell=cell, count=cell.living, special_count=cell.special)
        by_group.setdefault(cell.parent_id, GroupSection(group=cell.parent)).cells.append(section)
    names = _leader_names(user, [c.cell.pk for g in by_group.values() for c in g.cells] + list(by_group))
    for group in by_group.values():
        group.leader_names = names.get(group.group.pk, [])
        for section in group.cells:
            section.leader_names = names.get(section.cell.pk, [])
    if not by_group:
        return MyHouseholds(mode="none")
    return MyHouseholds(mode="index", groups=list(by_group.values()))


def my_households(user, *, cell_id: int | None = None) -> MyHouseholds:
    """What a leader looks after (resident households of their patch), or a resident's own household.

    A leader's own home outside their patch is not part of "my households"; it stays on their nav as
    an ordinary resident's view would. A patch of an area or more is shown as an index of its cells;
    `cell_id` opens one of them.
    """
    scope = scope_for(user)
    base = household_detail_queryset(user)
    if not scope.is_leader:
        if not scope.own_household_id:
            return MyHouseholds(mode="none")
        return MyHouseholds(
            mode="own", households=[_decorate(h) for h in base.filter(pk=scope.own_household_id)]
        )

    depths = [len(path.strip("/").split("/")) for path in scope.leader_unit_paths]
    big_patch = bool(depths) and min(depths) < _GROUP_DEPTH
    patch = dataclasses.replace(scope, own_household_id=None).households_q()
    opened = None
    if cell_id is not None:
        opened = TerritoryUnit.objects.visible_to(user).filter(pk=cell_id, level=Level.CELL).first()
        if opened is None:
            return MyHouseholds(mode="none")
        base = base.filter(cell=opened)
    elif big_patch:
        return _my_households_index(user, scope)
    households = [
        _decorate(h) for h in base.filter(patch).living_here().order_by("cell__path", *ADDRESS_ORDER, "pk")
    ]
    if not households:
        return MyHouseholds(mode="none")

    by_cell: dict[int | None, CellSection] = {}
    for household in households:
        section = by_cell.setdefault(household.cell_id, CellSection(cell=household.cell))
        section.households.append(household)
    for section in by_cell.values():
        section.households.sort(key=lambda h: not h.is_special)  # stable: address order within each
    by_group: dict[int | None, GroupSection] = {}
    for section in by_cell.values():
        group = section.cell.parent if section.cell else None
        by_group.setdefault(group.pk if group else None, GroupSection(group=group)).cells.append(section)

    unit_ids = [key for key in list(by_cell) + list(by_group) if key is not None]
    names = _leader_names(user, unit_ids)
    for section in by_cell.values():
        section.leader_names = names.get(section.cell.pk, []) if section.cell else []
    for group in by_group.values():
        group.leader_names = names.get(group.group.pk, []) if group.group else []

    if opened is not None or (depths and min(depths) == _GROUP_DEPTH) or len(by_cell) > 1:
        mode = "cells"
    else:
        mode = "flat"
    flat = [h for section in by_cell.values() for h in section.households]
    return MyHouseholds(mode=mode, households=flat, groups=list(by_group.values()), opened_cell=opened)


# --- Household list -----------------------------------------------------------------------------------

# Household status filter values: lives here, 空挂户, and living here but not yet placed in a cell.
STATUS_FILTERS = ("resident", "registered_only", "unplaced")


@dataclass
class HouseholdFilters:
    unit: TerritoryUnit | None = None
    estate: Estate | None = None
    building: str = ""
    special: str = ""
    status: str = ""
    q: str = ""
    ignored: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.unit or self.estate or self.building or self.special or self.status or self.q)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def household_filter_options(user) -> dict:
    """The choices offered by the filter form: only units and estates the viewer can see."""
    units = list(
        TerritoryUnit.objects.visible_to(user)
        .exclude(level=Level.STREET)
        .order_by("path")
        .only("id", "name", "level", "path")
    )
    for unit in units:
        unit.indent = "\u3000" * max(0, unit.depth - 1)
    estates = list(Estate.objects.visible_to(user).order_by("name").only("id", "name"))
    return {
        "units": units,
        "estates": estates,
        "special_groups": SPECIAL_GROUPS,
    }


def household_filters_parse(params, options: dict) -> HouseholdFilters:
    """Read the filters from GET parameters. Anything unknown is ignored and named in `ignored`."""
    filters = HouseholdFilters()
    unit_id = params.get("unit", "")
    if unit_id:
        filters.unit = next((u for u in options["units"] if u.pk == _int_or_none(unit_id)), None)
        if filters.unit is None:
            filters.ignored.append("unit")
    estate_id = params.get("estate", "")
    if estate_id:
        filters.estate = next((e for e in options["estates"] if e.pk == _int_or_none(estate_id)), None)
        if filters.estate is None:
            filters.ignored.append("estate")
    filters.building = params.get("building", "").strip()[:50]
    special = params.get("special", "")
    if special:
        if special in SPECIAL_GROUP_FIELDS:
            filters.special = special
        else:
            filters.ignored.append("special")
    status = params.get("status", "")
    if status:
        if status in STATUS_FILTERS:
            filters.status = status
        else:
            filters.ignored.append("status")
    filters.q = params.get("q", "").strip()[:100]
    return filters


def household_list(user, filters: HouseholdFilters):
    """Households the viewer can see, filtered, in address order, members prefetched."""
    households = (
        Household.objects.visible_to(user)
        .with_address()
        .select_related("cell")
        .prefetch_related(_members_prefetch())
    )
    if filters.unit:
        path = filters.unit.path
        households = households.filter(Q(community__path__startswith=path) | Q(cell__path__startswith=path))
    if filters.estate:
        households = households.filter(entrance__building__estate=filters.estate)
    if filters.building:
        households = households.filter(entrance__building__name=filters.building)
    if filters.special:
        in_group = Resident.objects.filter(household=OuterRef("pk"), **{filters.special: True})
        households = households.filter(Exists(in_group))
    if filters.status == "resident":
        households = households.filter(status=HouseholdStatus.RESIDENT)
    elif filters.status == "registered_only":
        households = households.filter(status=HouseholdStatus.REGISTERED_ONLY)
    elif filters.status == "unplaced":
        households = households.filter(cell__isnull=True, status=HouseholdStatus.RESIDENT)
    if filters.q:
        households = households.filter(pk__in=resident_search(user, filters.q).values("household_id"))
    return households.order_by(*ADDRESS_ORDER, "pk")


def households_decorate(households) -> list[Household]:
    return [_decorate(h) for h in households]


# --- Search -------------------------------------------------------------------------------------------


def search_results(user, query: str) -> tuple[list[Resident], bool]:
    """Up to SEARCH_LIMIT residents matching `query` in the viewer's scope, and whether there were more."""
    hits = list(
        resident_search(user, query)
        .select_related("household__entrance__building__estate", "household__cell")
        .order_by("household__cell__path", "household_id", "id")[: SEARCH_LIMIT + 1]
    )
    return hits[:SEARCH_LIMIT], len(hits) > SEARCH_LIMIT


# --- History ------------------------------------------------------------------------------------------

# Derived or bookkeeping fields that tell a reader nothing.
_HISTORY_SKIP = {"id", "created_at", "updated_at", "name_pinyin", "name_initials"}
# Shown masked: history is for seeing what changed, not for reading numbers without an audited reveal.
_HISTORY_MASK = {"phone": identity.phone_mask, "emergency_contact_phone": identity.phone_mask}


@dataclass
class Change:
    label: str
    old: object
    new: object


@dataclass
class HistoryEntry:
    when: object
    who: object
    kind: str  # "+" created, "~" changed, "-" deleted
    subject: str
    subject_url_pk: int | None
    changes: list[Change]
    record: object = None


def _diff(record, prev) -> list[tuple[str, object, object]]:
    delta = record.diff_against(prev)
    changes = [(c.field, c.old, c.new) for c in delta.changes if c.field not in _HISTORY_SKIP]
    # id_number_masked is not editable, so diff_against leaves it out; compare it ourselves.
    if hasattr(record, "id_number_masked") and record.id_number_masked != prev.id_number_masked:
        changes.append(("id_number_masked", prev.id_number_masked, record.id_number_masked))
    return changes


def _pairs(records_newest_first) -> list[tuple[object, object | None]]:
    """(record, the record before it) for each record of one object, newest first."""
    return [
        (record, records_newest_first[i + 1] if i + 1 < len(records_newest_first) else None)
        for i, record in enumerate(records_newest_first)
    ]


class _Labels:
    """Turns raw diff values into what a reader understands: choice labels, names for ids, masks."""

    def __init__(self, raw_entries):
        unit_ids, entrance_ids, household_ids = set(), set(), set()
        for _record, _prev, changes in raw_entries:
            for name, old, new in changes:
                target = {
                    "community": unit_ids,
                    "cell": unit_ids,
                    "entrance": entrance_ids,
                    "household": household_ids,
                }.get(name)
                if target is not None:
                    target.update(v for v in (old, new) if v)
        self.units = (
            dict(TerritoryUnit.objects.filter(pk__in=unit_ids).values_list("pk", "name")) if unit_ids else {}
        )
        self.entrances = (
            {
                e.pk: str(e)
                for e in Entrance.objects.filter(pk__in=entrance_ids).select_related("building__estate")
            }
            if entrance_ids
            else {}
        )
        self.households = (
            {h.pk: h.address for h in Household.objects.filter(pk__in=household_ids).with_address()}
            if household_ids
            else {}
        )

    def value(self, model, name, value):
        if value is None or value == "":
            return "—"
        if name in _HISTORY_MASK:
            return _HISTORY_MASK[name](value)
        if name in ("community", "cell"):
            return self.units.get(value, f"#{value}")
        if name == "entrance":
            return self.entrances.get(value, f"#{value}")
        if name == "household":
            return self.households.get(value, f"#{value}")
        model_field = model._meta.get_field(name)
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if model_field.choices:
            return dict(model_field.flatchoices).get(value, value)
        return value

    def label(self, model, name):
        return str(model._meta.get_field(name).verbose_name)


def _entries(raw_entries, subject_of) -> list[HistoryEntry]:
    labels = _Labels(raw_entries)
    entries = []
    for record, _prev, changes in raw_entries:
        model = record.instance_type
        subject, subject_pk = subject_of(record)
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=record.history_user,
                kind=record.history_type,
                subject=subject,
                subject_url_pk=subject_pk,
                changes=[
                    Change(
                        labels.label(model, name),
                        labels.value(model, name, old),
                        labels.value(model, name, new),
                    )
                    for name, old, new in sorted(changes, key=lambda c: c[0])
                ],
                record=record,
            )
        )
    return entries


def _raw(pairs) -> list[tuple]:
    raw = []
    for record, prev in pairs:
        changes = [] if prev is None or record.history_type == "+" else _diff(record, prev)
        if record.history_type == "~" and prev is not None and not changes:
            continue  # a save that changed nothing a reader would see
        raw.append((record, prev, changes))
    return raw


def household_history(
    household: Household, *, with_residents: bool = True
) -> tuple[list[HistoryEntry], bool]:
    """The household's history records, and its residents', newest first, at most HISTORY_LIMIT."""
    records = list(
        household.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : HISTORY_LIMIT + 1
        ]
    )
    truncated = len(records) > HISTORY_LIMIT
    raw = _raw(_pairs(records)[:HISTORY_LIMIT])
    household_label = str(_("Household"))
    subjects = {}
    if with_residents:
        ever_here = Resident.history.filter(household_id=household.pk).values("id")
        resident_records = list(
            Resident.history.filter(id__in=ever_here)
            .select_related("history_user")
            .order_by("id", "-history_date", "-history_id")[: HISTORY_LIMIT * 5]
        )
        by_resident: dict[int, list] = {}
        for record in resident_records:
            by_resident.setdefault(record.id, []).append(record)
            subjects[record.id] = subjects.get(record.id) or record.name
        for own_records in by_resident.values():
            raw.extend(_raw(_pairs(own_records)))

    def subject_of(record):
        if record.instance_type is Household:
            return household_label, None
        return subjects.get(record.id, record.name), record.id

    raw.sort(key=lambda item: (item[0].history_date, item[0].history_id), reverse=True)
    truncated = truncated or len(raw) > HISTORY_LIMIT
    return _entries(raw[:HISTORY_LIMIT], subject_of), truncated


def resident_history(resident: Resident) -> tuple[list[HistoryEntry], bool]:
    records = list(
        resident.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : HISTORY_LIMIT + 1
        ]
    )
    raw = _raw(_pairs(records)[:HISTORY_LIMIT])
    return _entries(raw, lambda record: (record.name, None)), len(records) > HISTORY_LIMIT


def access_log_for(residents, limit: int = 100) -> list:
    """Reveals of these residents' ID numbers and phones, newest first (who and when)."""
    from audit.models import AccessLog

    return list(
        AccessLog.objects.filter(resident__in=residents)
        .select_related("user", "resident")
        .order_by("-created_at")[:limit]
    )
