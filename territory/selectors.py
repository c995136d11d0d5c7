"""Reads of the governance tree, always scoped to a viewer.

`territory_tree(user)` builds the tree street → community → area → group → cell that the viewer may
see, with on every node its active leaders, resident households and residents (counted on the cells and
summed up the tree) and its warnings. It costs a fixed number of queries whatever the size of the tree:
units, households per cell, residents per cell, active appointments, unplaced households per community.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from territory.models import CELL_MAX_HOUSEHOLDS, CELL_MIN_HOUSEHOLDS, Level, TerritoryUnit


class WarningKind:
    CELL_TOO_SMALL = "cell_too_small"
    CELL_TOO_LARGE = "cell_too_large"
    NO_LEADER = "no_leader"
    LEADER_MOVED_OUT = "leader_moved_out"
    UNPLACED = "unplaced"


# Summary labels, in the order the summary line shows them.
WARNING_LABELS = {
    WarningKind.CELL_TOO_SMALL: _("Cells with too few households"),
    WarningKind.CELL_TOO_LARGE: _("Cells with too many households"),
    WarningKind.NO_LEADER: _("Units with no leader"),
    WarningKind.LEADER_MOVED_OUT: _("Leaders living outside their patch"),
    WarningKind.UNPLACED: _("Households not yet in a cell"),
}

# The roles shown as a node's leaders, by the node's level.
NODE_ROLE_FOR_LEVEL = {
    Level.STREET: "street_admin",
    Level.COMMUNITY: "community_staff",
    Level.AREA: "area_leader",
    Level.GROUP: "group_leader",
    Level.CELL: "cell_leader",
}
# Levels whose nodes warn when nobody holds the post.
LEVELS_NEEDING_LEADER = {Level.AREA, Level.GROUP, Level.CELL}


@dataclass
class TreeWarning:
    kind: str
    message: str
    count: int = 1  # households, for UNPLACED; otherwise one per warning


@dataclass
class TreeLeader:
    appointment_id: int
    name: str
    lives_in_patch: bool


@dataclass
class TreeNode:
    unit: TerritoryUnit
    children: list["TreeNode"] = field(default_factory=list)
    leaders: list[TreeLeader] = field(default_factory=list)
    warnings: list[TreeWarning] = field(default_factory=list)
    households: int = 0
    residents: int = 0
    cells: int = 0
    unplaced: int = 0
    # True when this node or anything below it warns.
    warns_below: bool = False

    @property
    def id(self) -> int:
        return self.unit.pk

    @property
    def level(self) -> str:
        return self.unit.level

    @property
    def is_cell(self) -> bool:
        return self.unit.level == Level.CELL

    @property
    def leader_role(self) -> str:
        return NODE_ROLE_FOR_LEVEL[self.unit.level]


@dataclass
class Tree:
    roots: list[TreeNode]
    nodes: int
    summary: list[tuple[str, str, int]]  # (kind, label, count) for kinds that occur


def _leader_lives_in_patch(appointment, unit: TerritoryUnit) -> bool:
    """Whether the leader's own home is a household living in the unit (its cell under the unit's path).

    A leader with no resident record is given the benefit of the doubt: we do not know where they live.
    """
    from people.models import HouseholdStatus, ResidenceStatus

    resident = appointment.person.resident
    if resident is None:
        return True
    household = resident.household
    if (
        resident.residence_status == ResidenceStatus.REGISTERED_ONLY
        or household.status != HouseholdStatus.RESIDENT
    ):
        return False
    return household.cell is not None and household.cell.path.startswith(unit.path)


def _tree_units(user, root: TerritoryUnit | None):
    units = TerritoryUnit.objects.visible_to(user)
    if root is not None:
        units = units.filter(path__startswith=root.path)
    return units


def territory_tree(user, *, root: TerritoryUnit | None = None) -> Tree:
    """The viewer's visible tree (or the subtree of `root`, a unit the caller fetched through visible_to)."""
    from leaders.models import Appointment
    from people.models import Household, HouseholdStatus, Resident

    scoped = _tree_units(user, root)
    units = list(scoped.only("id", "level", "name", "parent_id", "path", "sort_order").order_by("path"))
    nodes = {unit.pk: TreeNode(unit=unit) for unit in units}
    cells = scoped.filter(level=Level.CELL).values("pk")
    communities = scoped.filter(level=Level.COMMUNITY).values("pk")

    households = dict(
        Household.objects.filter(status=HouseholdStatus.RESIDENT, cell__in=cells)
        .values_list("cell_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    residents = dict(
        Resident.objects.counted()
        .filter(household__cell__in=cells)
        .values_list("household__cell_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    unplaced = dict(
        Household.objects.filter(
            status=HouseholdStatus.RESIDENT, cell__isnull=True, community__in=communities
        )
        .values_list("community_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    appointments = (
        Appointment.objects.active()
        .filter(unit__in=scoped.values("pk"), role__in=set(NODE_ROLE_FOR_LEVEL.values()))
        .select_related("person__resident__household__cell")
        .only(
            "id",
            "role",
            "unit_id",
            "person__full_name",
            "person__username",
            "person__resident__residence_status",
            "person__resident__household__status",
            "person__resident__household__cell__path",
        )
        .order_by("started_on", "id")
    )
    for appointment in appointments:
        node = nodes[appointment.unit_id]
        if appointment.role != NODE_ROLE_FOR_LEVEL[node.level]:
            continue
        lives_in = node.level not in LEVELS_NEEDING_LEADER or _leader_lives_in_patch(appointment, node.unit)
        node.leaders.append(TreeLeader(appointment.pk, appointment.person.display_name, lives_in))

    roots = []
    for unit in units:
        node = nodes[unit.pk]
        parent = nodes.get(unit.parent_id)
        (parent.children if parent else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda child: (child.unit.sort_order, child.unit.pk))
    roots.sort(key=lambda node: (node.unit.sort_order, node.unit.pk))

    summary: Counter = Counter()
    for node in roots:
        _finish(node, households, residents, unplaced, summary)
    labels = [(kind, str(label), summary[kind]) for kind, label in WARNING_LABELS.items() if summary[kind]]
    return Tree(roots=roots, nodes=len(nodes), summary=labels)


def _finish(node: TreeNode, households: dict, residents: dict, unplaced: dict, summary: Counter) -> None:
    """Sum the counts up from the cells and attach the node's warnings (depth first)."""
    for child in node.children:
        _finish(child, households, residents, unplaced, summary)
    if node.is_cell:
        node.households = households.get(node.id, 0)
        node.residents = residents.get(node.id, 0)
        node.cells = 1
    else:
        node.households = sum(child.households for child in node.children)
        node.residents = sum(child.residents for child in node.children)
        node.cells = sum(child.cells for child in node.children)

    warnings = node.warnings
    if node.is_cell and node.households < CELL_MIN_HOUSEHOLDS:
        warnings.append(
            TreeWarning(
                WarningKind.CELL_TOO_SMALL,
                _("Too few households: %(count)s (at least %(min)s)")
                % {"count": node.households, "min": CELL_MIN_HOUSEHOLDS},
            )
        )
    elif node.is_cell and node.households > CELL_MAX_HOUSEHOLDS:
        warnings.append(
            TreeWarning(
                WarningKind.CELL_TOO_LARGE,
                _("Too many households: %(count)s (at most %(max)s)")
                % {"count": node.households, "max": CELL_MAX_HOUSEHOLDS},
            )
        )
    if node.level in LEVELS_NEEDING_LEADER and not node.leaders:
        warnings.append(TreeWarning(WarningKind.NO_LEADER, _("No leader")))
    for leader in node.leaders:
        if not leader.lives_in_patch:
            warnings.append(
                TreeWarning(
                    WarningKind.LEADER_MOVED_OUT, _("%(name)s no longer lives here") % {"name": leader.name}
                )
            )
    if node.level == Level.COMMUNITY:
        node.unplaced = unplaced.get(node.id, 0)
        if node.unplaced:
            warnings.append(
                TreeWarning(
                    WarningKind.UNPLACED,
                    _("Households not yet in a cell: %(count)s") % {"count": node.unplaced},
                    count=node.unplaced,
                )
            )
    for warning in warnings:
        summary[warning.kind] += warning.count
    node.warns_below = bool(warnings) or any(child.warns_below for child in node.children)


@dataclass
class TreeRow:
    """One node in document order, for a flat template loop that opens and closes nested <details>."""

    node: TreeNode
    depth: int
    has_children: bool
    open: bool
    closes: range  # how many enclosing <details> close after this row
    level_label: str = ""
    counts: str = ""


def tree_rows(
    tree: Tree,
    *,
    only_warnings: bool = False,
    open_levels: set[str] | None = None,
    max_depth: int | None = None,
) -> list[TreeRow]:
    """Flatten the tree for rendering. `open_levels`: levels whose <details> start open (None: all).

    `only_warnings` keeps the nodes that warn and the path down to them; `max_depth` stops below that depth
    (0 = the roots) so a district-sized tree renders one level at a time.
    """
    rows: list[TreeRow] = []
    # Translated once here rather than once per node in the template: the demo tree has ~450 nodes.
    level_labels = {level: str(label) for level, label in Level.choices}
    cell_counts = gettext("Households: %(households)s · Residents: %(residents)s")
    unit_counts = gettext("Households: %(households)s · Residents: %(residents)s · Cells: %(cells)s")

    def visit(node: TreeNode, depth: int) -> None:
        children = [c for c in node.children if c.warns_below] if only_warnings else node.children
        if max_depth is not None and depth >= max_depth:
            children = []
        is_open = open_levels is None or node.level in open_levels
        counts = {"households": node.households, "residents": node.residents, "cells": node.cells}
        row = TreeRow(
            node=node,
            depth=depth,
            has_children=bool(children),
            open=is_open,
            closes=range(0),
            level_label=level_labels[node.level],
            counts=(cell_counts if node.is_cell else unit_counts) % counts,
        )
        rows.append(row)
        for child in children:
            visit(child, depth + 1)
        if children:
            # The last row inside this node closes this node's <details> as well.
            last = rows[-1]
            last.closes = range(len(last.closes) + 1)

    for root in tree.roots:
        if not only_warnings or root.warns_below:
            visit(root, 0)
    return rows
