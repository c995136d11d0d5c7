"""The automatic partition of a community into areas, groups and neighbour cells (partition.engine), as
staff preview it and apply it.

- `partition_preview` computes the plan for a community and N areas without changing anything: the
  proposed tree with each cell's size and buildings, the figures, what changes (cells created, changed
  and emptied, households changing cell), and for each cell left without a 邻长 the residents who could
  take it, with the reasons. Its `token` fingerprints the registry it was computed from.
- `partition_apply` applies the same plan in one transaction with bulk writes: it creates the new areas,
  groups and cells, moves units whose parent changes (every path under the community is recomputed, and
  copies of moved paths in campaigns and inspections follow), moves households (with history rows), then
  brings care plans in line (care plans follow cells). It ends no appointment: it reports the cells
  left without a 邻长 and the 邻长 of cells it emptied. Emptied units stay (with their history), empty.
- `cell_pin_set` / `household_pin_set`: staff fix a cell, or a household in its cell, by hand; the
  partition then leaves it alone.
"""

import hashlib
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_update_with_history

from accounts.scope import scope_for
from partition import engine
from partition.selectors import Candidate, Registry, leader_candidates, registry_load, unit_leader_names
from people.models import Household
from territory.models import CELL_MAX_HOUSEHOLDS, CELL_MIN_HOUSEHOLDS, Level, TerritoryUnit

CHANGE_REASON = "partition"
MOVES_SHOWN = 200
BATCH = 500
# Columns elsewhere that copy a unit's path; they follow when a unit moves in the tree. (Care plans'
# cell_path is brought in line by care.services.care_plans_sync, which apply calls anyway.)
COPIED_PATHS = [
    ("campaigns", "Campaign", "unit_path"),
    ("campaigns", "CampaignTarget", "cell_path"),
    ("inspections", "Inspection", "unit_path"),
]
_CN_DIGITS = "零一二三四五六七八九"
_NAME_FORMS = {Level.AREA: "第%s片区", Level.GROUP: "第%s组", Level.CELL: "第%s邻"}


def cn_number(n: int) -> str:
    """Chinese numeral for 1 ≤ n < 10000 (12 → 十二, 105 → 一百零五, 2026 → 二千零二十六); digits beyond."""
    if not 0 < n < 10000:
        return str(n)
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            if zero:
                out += "零"
            if not (unit == "十" and digit == 1 and not out):
                out += _CN_DIGITS[digit]
            out += unit
            zero = False
        elif out:
            zero = True
    return out


class _Namer:
    """Names for new units, numbered on from those a community already uses at that level."""

    def __init__(self, units):
        self.used = {level: {u.name for u in units if u.level == level} for level in _NAME_FORMS}
        self.next_number = {level: len(names) + 1 for level, names in self.used.items()}

    def __call__(self, level: str) -> str:
        while True:
            name = _NAME_FORMS[level] % cn_number(self.next_number[level])
            self.next_number[level] += 1
            if name not in self.used[level]:
                self.used[level].add(name)
                return name


# ---- The plan as staff see it ----------------------------------------------------------------------


@dataclass
class CellRow:
    plan: engine.CellPlan
    name: str
    unit_id: int | None
    buildings: list[str]
    leader: str = ""
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def size(self) -> int:
        return self.plan.size

    @property
    def status(self) -> str:
        return self.plan.status

    @property
    def in_range(self) -> bool:
        return CELL_MIN_HOUSEHOLDS <= self.size <= CELL_MAX_HOUSEHOLDS

    @property
    def pinned(self) -> bool:
        return self.plan.pinned


@dataclass
class GroupRow:
    plan: engine.GroupPlan
    name: str
    unit_id: int | None
    cells: list[CellRow]

    @property
    def households(self) -> int:
        return self.plan.households

    @property
    def status(self) -> str:
        return self.plan.status


@dataclass
class AreaRow:
    plan: engine.AreaPlan
    name: str
    unit_id: int | None
    groups: list[GroupRow]

    @property
    def households(self) -> int:
        return self.plan.households

    @property
    def status(self) -> str:
        return self.plan.status


@dataclass
class Move:
    household_id: int
    address: str
    from_cell: str  # '' for a household in no cell yet
    to_cell: str


@dataclass
class Emptied:
    """A unit the partition leaves with no household: it stays (with its history), as does its leader's
    post, for staff to reassign."""

    unit_id: int
    name: str
    leader: str


@dataclass
class PartitionPlan:
    community: TerritoryUnit
    areas: int
    token: str
    registry: Registry
    plan: engine.Plan
    rows: list[AreaRow]
    moves: list[Move]
    emptied: list[Emptied]  # cells
    emptied_groups: list[Emptied]
    emptied_areas: list[Emptied]

    @property
    def figures(self) -> engine.Figures:
        return self.plan.figures

    @property
    def share_percent(self) -> int:
        """Cells within 5–15, in whole per cent, rounded down (99 % is not shown as 100 %)."""
        f = self.figures
        return 100 if f.cells_in_range == f.cells else int(f.share_in_range * 100)

    @property
    def cell_rows(self) -> list[CellRow]:
        return [c for a in self.rows for g in a.groups for c in g.cells]

    @property
    def leaderless(self) -> list[CellRow]:
        return [c for c in self.cell_rows if not c.leader]

    @property
    def moves_shown(self) -> list[Move]:
        return self.moves[:MOVES_SHOWN]

    @property
    def moves_hidden(self) -> int:
        return max(0, len(self.moves) - MOVES_SHOWN)

    @property
    def pinned_households(self) -> list[Move]:
        """Households kept in their cell by hand (from: their cell; they go nowhere)."""
        units, facts = self.registry.units, self.registry.facts
        out = []
        for home in self.registry.homes:
            if home.pinned and home.cell in units:
                f = facts[home.id]
                address = " ".join(p for p in (f.estate, f.building, f.entrance, f.room) if p)
                out.append(Move(home.id, address, units[home.cell].name, units[home.cell].name))
        return sorted(out, key=lambda m: m.address)

    @property
    def changes(self) -> bool:
        f = self.figures
        return bool(
            self.moves
            or f.cells_new
            or f.cells_changed
            or f.cells_removed
            or f.groups_changed
            or f.areas_changed
        )


def _actor_check(actor, community: TerritoryUnit) -> None:
    """Staff of the community (or a street admin above it). `actor` None: a management command."""
    if actor is not None and not scope_for(actor).can_manage_community(community.pk):
        raise PermissionDenied(_("Only the community's staff can partition it."))


def partition_default_areas(community: TerritoryUnit) -> int:
    """The number of areas the community has now (at least 1): what a re-partition keeps by default."""
    return max(1, TerritoryUnit.objects.filter(parent=community, level=Level.AREA).count())


def partition_preview(
    *, actor, community: TerritoryUnit, areas: int, candidates: bool = True
) -> PartitionPlan:
    """The plan for `community` cut into `areas` areas, and what it would change. Changes nothing."""
    _actor_check(actor, community)
    return _plan(community, areas, candidates=candidates)


def _plan(community: TerritoryUnit, areas, *, candidates: bool) -> PartitionPlan:
    if not isinstance(areas, int) or isinstance(areas, bool) or areas < 1:
        raise ValidationError(_("Choose at least one area."))
    registry = registry_load(community)
    if not registry.homes:
        raise ValidationError(
            _("No household of this community lives here yet: there is nothing to partition.")
        )
    try:
        plan = engine.partition(registry.homes, areas=areas, current=registry.current)
    except engine.TooManyAreas as exc:
        raise ValidationError(
            ngettext(
                "The plan makes only %(groups)d group (about 100 households each), so there can be at most %(groups)d area.",
                "The plan makes only %(groups)d groups (about 100 households each), so there can be at most %(groups)d areas.",
                exc.groups,
            )
            % {"groups": exc.groups}
        ) from exc
    token = hashlib.sha256(repr((areas, registry.fingerprint)).encode()).hexdigest()[:32]
    units = registry.units
    namer = _Namer(units.values())
    existing = [c.key for c in plan.cells() if c.key is not None]
    leaders = unit_leader_names([*existing, *plan.removed_cells, *plan.removed_groups, *plan.removed_areas])
    facts = registry.facts
    rows = []
    for area in plan.areas:
        groups = []
        for group in area.groups:
            cells = []
            for cell in group.cells:
                buildings = list(dict.fromkeys(facts[h].building_label for h in cell.households))
                cells.append(
                    CellRow(
                        plan=cell,
                        name=units[cell.key].name if cell.key is not None else namer(Level.CELL),
                        unit_id=cell.key,
                        buildings=buildings,
                        leader=leaders.get(cell.key, "") if cell.key is not None else "",
                    )
                )
            name = units[group.key].name if group.key is not None else namer(Level.GROUP)
            groups.append(GroupRow(plan=group, name=name, unit_id=group.key, cells=cells))
        name = units[area.key].name if area.key is not None else namer(Level.AREA)
        rows.append(AreaRow(plan=area, name=name, unit_id=area.key, groups=groups))
    result = PartitionPlan(
        community=community,
        areas=areas,
        token=token,
        registry=registry,
        plan=plan,
        rows=rows,
        moves=[],
        emptied=[Emptied(k, units[k].name, leaders.get(k, "")) for k in plan.removed_cells],
        emptied_groups=[Emptied(k, units[k].name, leaders.get(k, "")) for k in plan.removed_groups],
        emptied_areas=[Emptied(k, units[k].name, leaders.get(k, "")) for k in plan.removed_areas],
    )
    row_of = {id(c.plan): c for c in result.cell_rows}
    for household_id, (old, cell) in plan.moves.items():
        f = facts[household_id]
        old_name = units[old].name if old in units else ""
        address = " ".join(p for p in (f.estate, f.building, f.entrance, f.room) if p)
        result.moves.append(Move(household_id, address, old_name, row_of[id(cell)].name))
    result.moves.sort(key=lambda m: (m.to_cell != "" and m.from_cell == "", m.address))
    if candidates:
        needing = {index: c.plan.households for index, c in enumerate(result.cell_rows) if not c.leader}
        found = leader_candidates(needing, facts)
        for index, c in enumerate(result.cell_rows):
            c.candidates = found.get(index, [])
    return result


# ---- Applying it ----------------------------------------------------------------------------------


@dataclass
class PartitionResult:
    figures: engine.Figures
    units_created: int
    units_moved: int
    households_moved: int
    leaderless: list[str]  # names of cells with no active 邻长
    emptied: list[Emptied]
    care: dict


@transaction.atomic
def partition_apply(
    *, actor, community: TerritoryUnit, areas: int, plan_token: str | None = None, recompute: bool = False
) -> PartitionResult:
    """Apply the partition previewed with `plan_token` (refused if the registry has changed since), or
    with `recompute` whatever the registry now holds. One transaction, bulk writes, history kept."""
    _actor_check(actor, community)
    preview = _plan(community, areas, candidates=False)
    if not recompute and plan_token != preview.token:
        raise ValidationError(
            _("The registry has changed since this preview was made. Look at the new preview, then apply it.")
        )
    units = preview.registry.units
    before = {pk: (u.parent_id, u.path, u.name) for pk, u in units.items()}
    created: list[TerritoryUnit] = []
    unit_of_cell: dict[int, TerritoryUnit] = {}  # id(CellPlan) → unit

    def place(row, level, parent, order, fresh):
        if row.unit_id is None:
            unit = TerritoryUnit(level=level, parent=parent, name=row.name, sort_order=order)
            fresh.append(unit)
            created.append(unit)
        else:
            unit = units[row.unit_id]
            unit.parent = parent
        return unit

    fresh: list[TerritoryUnit] = []
    area_units = [place(a, Level.AREA, community, k, fresh) for k, a in enumerate(preview.rows)]
    TerritoryUnit.objects.bulk_create(fresh, batch_size=BATCH)
    fresh = []
    group_rows = [(g, area_units[k]) for k, a in enumerate(preview.rows) for g in a.groups]
    group_units = [place(g, Level.GROUP, parent, k, fresh) for k, (g, parent) in enumerate(group_rows)]
    TerritoryUnit.objects.bulk_create(fresh, batch_size=BATCH)
    fresh = []
    cell_rows = [(c, group_units[k]) for k, (g, _parent) in enumerate(group_rows) for c in g.cells]
    for k, (c, parent) in enumerate(cell_rows):
        unit_of_cell[id(c.plan)] = place(c, Level.CELL, parent, k, fresh)
    TerritoryUnit.objects.bulk_create(fresh, batch_size=BATCH)

    everything = list(units.values()) + created
    _names_unclash(everything, before)
    _paths_set(community, everything)
    moved = [u for pk, u in units.items() if (u.parent_id, u.path, u.name) != before[pk]]
    if moved:
        bulk_update_with_history(
            moved,
            TerritoryUnit,
            ["parent", "path", "name"],
            batch_size=BATCH,
            default_user=actor,
            default_change_reason=CHANGE_REASON,
        )
        _copied_paths_follow({before[u.pk][1]: u.path for u in moved if before[u.pk][1] != u.path})
    if created:
        TerritoryUnit.objects.bulk_update(created, ["path", "name"], batch_size=BATCH)
        TerritoryUnit.history.bulk_history_create(
            created, batch_size=BATCH, default_user=actor, default_change_reason=CHANGE_REASON
        )

    moving = preview.plan.moves
    now = timezone.now()
    households = []
    ids = list(moving)
    for start in range(0, len(ids), BATCH):
        for household in Household.objects.filter(pk__in=ids[start : start + BATCH]):
            household.cell = unit_of_cell[id(moving[household.pk][1])]
            household.updated_at = now
            households.append(household)
    if households:
        bulk_update_with_history(
            households,
            Household,
            ["cell", "updated_at"],
            batch_size=BATCH,
            default_user=actor,
            default_change_reason=CHANGE_REASON,
        )

    from care.services import care_plans_sync

    care = care_plans_sync(community=community)
    leaders = unit_leader_names([u.pk for u in unit_of_cell.values()])
    return PartitionResult(
        figures=preview.figures,
        units_created=len(created),
        units_moved=len(moved),
        households_moved=len(households),
        leaderless=[c.name for c, _p in cell_rows if unit_of_cell[id(c.plan)].pk not in leaders],
        emptied=preview.emptied,
        care=care,
    )


def _names_unclash(everything: list[TerritoryUnit], before: dict) -> None:
    """A unit moved under a new parent where the name it bears is taken — now, or before the move (the
    rows are updated one by one, so a name must not be free only at the end) — takes a fresh name."""
    namer = _Namer(everything)
    taken = {(parent_id, name) for parent_id, _path, name in before.values()}
    for unit in everything:
        if unit.pk in before and before[unit.pk][0] == unit.parent_id:
            continue  # stays where it is, under its name
        if (unit.parent_id, unit.name) in taken:
            unit.name = namer(unit.level)
        taken.add((unit.parent_id, unit.name))


def _paths_set(community: TerritoryUnit, everything: list[TerritoryUnit]) -> None:
    """Every unit's path from its parent's, top down: the materialised paths stay consistent."""
    path_of = {community.pk: community.path}
    order = {Level.AREA: 0, Level.GROUP: 1, Level.CELL: 2}
    for unit in sorted(everything, key=lambda u: order[u.level]):
        unit.path = f"{path_of[unit.parent_id]}{unit.pk}/"
        path_of[unit.pk] = unit.path


def _copied_paths_follow(changes: dict[str, str]) -> None:
    """Rows elsewhere that copied a moved unit's path take its new one (exact matches: each unit's path
    ends with its own id, so an old path names one unit only)."""
    if not changes:
        return
    items = list(changes.items())
    for app_label, model_name, column in COPIED_PATHS:
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        for start in range(0, len(items), BATCH):
            chunk = items[start : start + BATCH]
            model.objects.filter(**{f"{column}__in": [old for old, _new in chunk]}).update(
                **{column: Case(*[When(**{column: old}, then=Value(new)) for old, new in chunk])}
            )


# ---- Pins -----------------------------------------------------------------------------------------


@transaction.atomic
def cell_pin_set(*, actor, cell: TerritoryUnit, pinned: bool) -> TerritoryUnit:
    """Fix a cell by hand (the partition keeps it and its households as they are), or free it."""
    if cell.level != Level.CELL:
        raise ValidationError(_("Only a neighbour cell can be fixed by hand."))
    _actor_check(actor, TerritoryUnit.objects.get(pk=cell.community_id_from_path()))
    cell.pinned = pinned
    cell._history_user = actor
    cell.save(update_fields=["pinned"])
    return cell


@transaction.atomic
def household_pin_set(*, actor, household: Household, pinned: bool) -> Household:
    """Keep a household in its cell by hand (the partition leaves it there), or let it be placed."""
    _actor_check(actor, household.community)
    if pinned and household.cell_id is None:
        raise ValidationError(_("A household in no neighbour cell cannot be kept in one."))
    household.cell_pinned = pinned
    household._history_user = actor
    household.save(update_fields=["cell_pinned", "updated_at"])
    return household
