"""The coverage page: cells with no leader, crowded cells, leaders living outside their cell, terms ending
soon. Known answers on the cast; one query per list."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from leaders.models import Appointment, Role
from leaders.selectors import coverage
from leaders.services import appointment_create, appointment_end
from linli.testing import UserFactory, make_household
from people.models import Household, HouseholdStatus

COVERAGE = reverse("leaders:coverage")


def _names(appointments):
    return [a.person.display_name for a in appointments]


def test_cells_with_no_active_leader(cast):
    assert [c.name for c in coverage(cast.staff).cells_without_leader] == ["第三邻"]
    assert [c.name for c in coverage(cast.street_admin).cells_without_leader] == ["第三邻", "和平第一邻"]
    assert [
        c.name for c in coverage(cast.street_admin, community=cast.other_community).cells_without_leader
    ] == ["和平第一邻"]
    post = Appointment.objects.get(person=cast.cell_leader_2, role=Role.CELL_LEADER)
    appointment_end(actor=None, appointment=post, ended_on=timezone.localdate(), reason="ill")
    assert [c.name for c in coverage(cast.staff).cells_without_leader] == ["第二邻", "第三邻"]


def test_cells_without_leader_carry_their_household_count(cast):
    make_household(cast.cell3, room="302")
    registered_only = make_household(cast.cell3, room="303")
    Household.objects.filter(pk=registered_only.pk).update(status=HouseholdStatus.REGISTERED_ONLY)
    (cell,) = coverage(cast.staff).cells_without_leader
    assert cell.households == 2  # h3 and 302; the 空挂户 is not counted


def test_leaders_with_more_than_15_households(cast):
    for n in range(14):
        make_household(cast.cell2, room=f"5{n:02d}")
    assert coverage(cast.staff).crowded == []  # 15 households: the most a 邻长 keeps
    make_household(cast.cell2, room="599")
    (post,) = coverage(cast.staff).crowded
    assert (post.person, post.households) == (cast.cell_leader_2, 16)


def test_leaders_who_moved_out_of_their_cell(cast):
    assert coverage(cast.staff).moved_out == []
    Household.objects.filter(pk=cast.h1b.pk).update(cell=cast.cell3)
    assert _names(coverage(cast.staff).moved_out) == ["王建国"]
    Household.objects.filter(pk=cast.h1b.pk).update(cell=cast.cell, status=HouseholdStatus.REGISTERED_ONLY)
    assert _names(coverage(cast.staff).moved_out) == ["王建国"]


def test_a_leader_with_no_resident_record_is_not_reported_as_moved_out(cast):
    appointment_create(
        actor=None, person=UserFactory(full_name="无住址"), role=Role.CELL_LEADER, unit=cast.cell3
    )
    report = coverage(cast.staff)
    assert report.moved_out == [] and report.cells_without_leader == []


def test_terms_ending_within_30_days(cast):
    today = timezone.localdate()
    start = today - datetime.timedelta(days=700)

    def post(name, unit, ends, *, role=Role.GROUP_LEADER):
        return appointment_create(
            actor=None,
            person=UserFactory(full_name=name),
            role=role,
            unit=unit,
            started_on=start,
            term_ends_on=ends,
        )

    post("十天", cast.group2, today + datetime.timedelta(days=10))
    post("三十天", cast.cell3, today + datetime.timedelta(days=30), role=Role.CELL_LEADER)
    post("三十一天", cast.group, today + datetime.timedelta(days=31))
    post("已过期", cast.area2, today - datetime.timedelta(days=3), role=Role.AREA_LEADER)
    ended = post("已卸任", cast.area, today + datetime.timedelta(days=5), role=Role.AREA_LEADER)
    appointment_end(actor=None, appointment=ended, ended_on=today, reason="resigned")
    post("和平", cast.other_cell, today + datetime.timedelta(days=1), role=Role.CELL_LEADER)
    assert _names(coverage(cast.staff).terms_ending) == ["已过期", "十天", "三十天"]
    assert _names(coverage(cast.street_admin).terms_ending) == ["已过期", "和平", "十天", "三十天"]


# --- The page ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["area_leader", "group_leader", "cell_leader", "resident", "outsider"])
def test_coverage_page_is_404_for_non_staff(cast, client, role):
    client.force_login(getattr(cast, role))
    assert client.get(COVERAGE).status_code == 404


def test_coverage_page_shows_the_lists(cast, client):
    Household.objects.filter(pk=cast.h1b.pk).update(cell=cast.cell3)
    client.force_login(cast.staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(COVERAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "第三邻" in page and "和平第一邻" not in page
    assert "Leaders who live outside their cell" in page and "王建国" in page


def _grow(cast, n, first=0):
    """n more cells without a leader, n crowded cells, n leaders living elsewhere, n terms ending."""
    today = timezone.localdate()
    from territory.services import unit_create

    for i in range(first, first + n):
        empty = unit_create(parent=cast.group2, level="cell", name=f"空邻{i}")
        make_household(empty, building=f"9{i}栋", room="101")
        crowded = unit_create(parent=cast.group2, level="cell", name=f"大邻{i}")
        for room in range(16):
            make_household(crowded, building=f"8{i}栋", room=f"{room + 1}01")
        appointment_create(
            actor=None,
            person=UserFactory(),
            role=Role.CELL_LEADER,
            unit=crowded,
            term_ends_on=today + datetime.timedelta(days=5),
        )


def test_coverage_page_costs_the_same_whatever_the_size(cast, client, django_assert_num_queries):
    client.force_login(cast.staff)
    _grow(cast, 1)
    Household.objects.filter(pk=cast.h1b.pk).update(cell=cast.cell3)
    # session, user, the viewer's posts, their communities, the communities filter, four lists
    with django_assert_num_queries(9):
        assert client.get(COVERAGE).status_code == 200
    _grow(cast, 3, first=1)
    client.force_login(cast.staff)
    with django_assert_num_queries(9):
        response = client.get(COVERAGE)
    report = response.context["report"]
    assert len(report.cells_without_leader) == 5  # 第三邻 and the four empty cells
    assert len(report.crowded) == 4 and len(report.terms_ending) == 4 and len(report.moved_out) == 1
