"""Who holds posts over a unit now: the one read that care, alerts and requests use to know whom to tell."""

import datetime

import pytest

from leaders.models import LEADER_ROLE_FOR_LEVEL, Appointment, EndReason, Role
from leaders.selectors import holders_above, holders_by_unit, posts_above, unit_holders
from leaders.services import appointment_create, appointment_end

pytestmark = pytest.mark.django_db

LEADERS = list(LEADER_ROLE_FOR_LEVEL.values())


def test_holders_above_a_cell_are_its_leaders_from_the_top_down(cast):
    assert holders_above(cast.cell.path, LEADERS) == [cast.area_leader, cast.group_leader, cast.cell_leader]


def test_holders_above_keep_to_the_roles_asked_for(cast):
    found = holders_above(cast.cell.path, [Role.GROUP_LEADER, Role.COMMUNITY_STAFF])
    assert found == [cast.staff, cast.group_leader]


def test_holders_above_leave_out_the_neighbouring_cells(cast):
    assert cast.cell_leader_2 not in holders_above(cast.cell.path, LEADERS)


def test_holders_above_leave_out_ended_terms(cast):
    post = Appointment.objects.get(person=cast.group_leader)
    appointment_end(
        actor=None, appointment=post, ended_on=datetime.date(2024, 6, 1), reason=EndReason.MOVED_AWAY
    )
    assert cast.group_leader not in holders_above(cast.cell.path, LEADERS)
    assert cast.group_leader in holders_above(cast.cell.path, LEADERS, on=datetime.date(2024, 5, 1))


def test_a_person_holding_two_posts_over_a_unit_is_named_once(cast):
    appointment_create(actor=None, person=cast.group_leader, role=Role.AREA_LEADER, unit=cast.area)
    assert holders_above(cast.cell.path, LEADERS).count(cast.group_leader) == 1


def test_holders_above_an_empty_path_are_nobody(cast, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert holders_above("", LEADERS) == []


def test_holders_above_cost_one_query(cast, django_assert_num_queries):
    with django_assert_num_queries(1):
        holders_above(cast.cell.path, [*LEADERS, Role.COMMUNITY_STAFF])


def test_holders_by_unit_answer_for_many_units_in_one_query(cast, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = holders_by_unit([cast.cell.pk, cast.cell2.pk, cast.cell3.pk], [Role.CELL_LEADER])
    assert found == {cast.cell.pk: [cast.cell_leader], cast.cell2.pk: [cast.cell_leader_2]}


def test_holders_by_unit_put_the_longest_serving_first(cast):
    appointment_create(actor=None, person=cast.outsider, role=Role.CELL_LEADER, unit=cast.cell)
    assert holders_by_unit([cast.cell.pk], [Role.CELL_LEADER])[cast.cell.pk] == [
        cast.cell_leader,
        cast.outsider,
    ]


def test_a_cells_holders_are_its_neighbour_leaders(cast):
    assert unit_holders(cast.cell) == [cast.cell_leader]


def test_a_communitys_holders_are_its_staff(cast):
    assert unit_holders(cast.community) == [cast.staff]


def test_the_streets_holders_are_its_admins(cast):
    assert unit_holders(cast.street) == [cast.street_admin]


def test_posts_above_are_a_query_to_build_on(cast):
    posts = posts_above(cast.cell.path, LEADERS).filter(person=cast.cell_leader)
    assert list(posts.values_list("unit_id", flat=True)) == [cast.cell.pk]
