"""territory_tree: counts summed up from the cells, and the warnings on each node, on known numbers."""

import datetime

import pytest

from leaders.models import Appointment, EndReason, Role
from leaders.services import appointment_create, appointment_end
from linli.testing import UserFactory, make_household, make_resident
from people.models import HouseholdStatus, ResidenceStatus
from people.services import household_move, household_set_status
from territory.selectors import WarningKind, territory_tree, tree_rows


def fill(cell, count: int, *, building: str = "9栋"):
    """Add `count` households to a cell, each on its own room."""
    return [make_household(cell, building=building, room=f"{cell.pk}{i:02d}") for i in range(count)]


def nodes_by_id(tree) -> dict:
    found = {}

    def walk(node):
        found[node.id] = node
        for child in node.children:
            walk(child)

    for root in tree.roots:
        walk(root)
    return found


def kinds(node) -> set[str]:
    return {warning.kind for warning in node.warnings}


@pytest.fixture
def sized(cast):
    """Cells of known sizes: C1 5 households, C2 15, C3 3, the other community's cell 16."""
    fill(cast.cell, 3)  # C1 had h1 and h1b
    fill(cast.cell2, 14)  # C2 had h2
    fill(cast.cell3, 2)  # C3 had h3
    fill(cast.other_cell, 15)  # BC1 had hb
    return cast


def test_cell_of_three_households_warns_too_few(sized):
    node = nodes_by_id(territory_tree(sized.street_admin))[sized.cell3.pk]
    assert node.households == 3
    assert WarningKind.CELL_TOO_SMALL in kinds(node)


def test_cell_of_sixteen_households_warns_too_many(sized):
    node = nodes_by_id(territory_tree(sized.street_admin))[sized.other_cell.pk]
    assert node.households == 16
    assert WarningKind.CELL_TOO_LARGE in kinds(node)


def test_cells_of_five_and_fifteen_households_do_not_warn_on_size(sized):
    nodes = nodes_by_id(territory_tree(sized.street_admin))
    assert (nodes[sized.cell.pk].households, nodes[sized.cell2.pk].households) == (5, 15)
    for cell in (sized.cell, sized.cell2):
        assert not kinds(nodes[cell.pk]) & {WarningKind.CELL_TOO_SMALL, WarningKind.CELL_TOO_LARGE}


def test_households_and_residents_sum_up_the_tree(sized):
    make_resident(sized.h1, "李四")  # h1 now has two residents
    nodes = nodes_by_id(territory_tree(sized.street_admin))
    assert nodes[sized.cell.pk].residents == 3  # h1 two, h1b one; the new households have nobody yet
    assert nodes[sized.group.pk].households == 5 + 15
    assert nodes[sized.area.pk].households == 20
    assert nodes[sized.community.pk].households == 20 + 3
    assert nodes[sized.community.pk].residents == 3 + 1 + 1  # C1, C2 (h2), C3 (h3)
    assert nodes[sized.street.pk].households == 23 + 16
    assert nodes[sized.street.pk].cells == 4


def test_registered_only_household_is_left_out_of_the_counts(cast):
    household_set_status(actor=cast.staff, household=cast.h2, status=HouseholdStatus.REGISTERED_ONLY)
    nodes = nodes_by_id(territory_tree(cast.staff))
    assert (nodes[cast.cell2.pk].households, nodes[cast.cell2.pk].residents) == (0, 0)
    assert nodes[cast.community.pk].unplaced == 1  # only h_unplaced: a 空挂户 is not waiting for a cell


def test_registered_only_resident_is_left_out_of_the_resident_count(cast):
    make_resident(cast.h1, "外地人", residence_status=ResidenceStatus.REGISTERED_ONLY)
    node = nodes_by_id(territory_tree(cast.staff))[cast.cell.pk]
    assert (node.households, node.residents) == (2, 2)


def test_household_not_yet_in_a_cell_warns_on_its_community(cast):
    make_household(None, community=cast.community, building="3栋", room="402")
    nodes = nodes_by_id(territory_tree(cast.street_admin))
    community = nodes[cast.community.pk]
    assert community.unplaced == 2
    assert [w.count for w in community.warnings if w.kind == WarningKind.UNPLACED] == [2]
    assert WarningKind.UNPLACED not in kinds(nodes[cast.other_community.pk])


def test_leader_who_moved_out_of_their_cell_warns(cast):
    household_move(actor=cast.staff, household=cast.h1b, cell=cast.cell3)  # 王建国, leader of C1, moves
    nodes = nodes_by_id(territory_tree(cast.staff))
    assert WarningKind.LEADER_MOVED_OUT in kinds(nodes[cast.cell.pk])
    assert [leader.lives_in_patch for leader in nodes[cast.cell.pk].leaders] == [False]
    assert WarningKind.LEADER_MOVED_OUT not in kinds(nodes[cast.cell2.pk])


def test_leader_whose_home_became_registered_only_warns(cast):
    household_set_status(actor=cast.staff, household=cast.h2, status=HouseholdStatus.REGISTERED_ONLY)
    node = nodes_by_id(territory_tree(cast.staff))[cast.cell2.pk]
    assert WarningKind.LEADER_MOVED_OUT in kinds(node)


def test_group_leader_living_outside_their_group_warns(cast):
    neighbour = UserFactory(resident=make_resident(cast.h2, "邻组长"))
    appointment_create(actor=cast.staff, person=neighbour, role=Role.GROUP_LEADER, unit=cast.group2)
    node = nodes_by_id(territory_tree(cast.staff))[cast.group2.pk]
    assert WarningKind.LEADER_MOVED_OUT in kinds(node)  # h2 is in group G1, not G2
    node = nodes_by_id(territory_tree(cast.staff))[cast.group.pk]
    assert WarningKind.LEADER_MOVED_OUT not in kinds(node)  # 组长甲 has no resident record: not judged


def test_cell_whose_leader_appointment_ended_warns_no_leader(cast):
    nodes = nodes_by_id(territory_tree(cast.staff))
    assert WarningKind.NO_LEADER not in kinds(nodes[cast.cell.pk])
    post = Appointment.objects.get(person=cast.cell_leader, role=Role.CELL_LEADER)
    appointment_end(actor=cast.staff, appointment=post, reason=EndReason.ILL)
    nodes = nodes_by_id(territory_tree(cast.staff))
    assert WarningKind.NO_LEADER in kinds(nodes[cast.cell.pk])
    assert nodes[cast.cell.pk].leaders == []


def test_leader_appointed_from_a_future_date_is_not_yet_the_leader(cast):
    person = UserFactory()
    appointment_create(
        actor=cast.staff,
        person=person,
        role=Role.CELL_LEADER,
        unit=cast.cell3,
        started_on=datetime.date.today() + datetime.timedelta(days=30),
    )
    assert WarningKind.NO_LEADER in kinds(nodes_by_id(territory_tree(cast.staff))[cast.cell3.pk])


def test_nodes_show_the_leader_of_their_own_level_only(cast):
    nodes = nodes_by_id(territory_tree(cast.street_admin))
    assert [leader.name for leader in nodes[cast.street.pk].leaders] == ["街道管理员"]
    assert [leader.name for leader in nodes[cast.community.pk].leaders] == ["社区工作者"]
    assert [leader.name for leader in nodes[cast.area.pk].leaders] == ["片长甲"]
    assert [leader.name for leader in nodes[cast.group.pk].leaders] == ["组长甲"]
    assert [leader.name for leader in nodes[cast.cell.pk].leaders] == ["王建国"]


def test_summary_counts_each_warning_kind(sized):
    summary = {kind: count for kind, _label, count in territory_tree(sized.street_admin).summary}
    assert summary == {
        WarningKind.CELL_TOO_SMALL: 1,  # C3
        WarningKind.CELL_TOO_LARGE: 1,  # BC1
        # C3, G2, A2, BC1, BG1, B1 have no leader
        WarningKind.NO_LEADER: 6,
        WarningKind.UNPLACED: 1,
    }


def test_group_leader_tree_is_their_group_and_its_two_cells(cast):
    tree = territory_tree(cast.group_leader)
    assert [root.unit for root in tree.roots] == [cast.group]
    assert [child.unit for child in tree.roots[0].children] == [cast.cell, cast.cell2]
    assert tree.nodes == 3


def test_subtree_of_one_unit(cast):
    tree = territory_tree(cast.street_admin, root=cast.area)
    assert [root.unit for root in tree.roots] == [cast.area]
    assert tree.nodes == 4  # the area, its group, two cells


def test_rows_with_only_warnings_keep_the_path_to_warning_nodes(cast):
    fill(cast.cell, 3)
    rows = tree_rows(territory_tree(cast.staff), only_warnings=True)
    shown = [row.node.unit for row in rows]
    assert cast.cell not in shown  # 5 households and a leader living there: nothing to warn about
    assert cast.cell2 in shown and cast.group in shown  # C2 has one household
    assert shown[0] == cast.community


def test_rows_close_every_details_they_open(cast):
    rows = tree_rows(territory_tree(cast.street_admin))
    opened = sum(1 for row in rows if row.has_children)
    assert sum(len(row.closes) for row in rows) == opened
