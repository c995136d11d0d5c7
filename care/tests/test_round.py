"""Today's round: a carer's people due and overdue, and for group and area leaders and staff the care of
their territory; and the round on a leader's home page. Query counts pinned and constant in the plans."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from care.models import CarePlan
from care.services import care_plan_assign_carer
from leaders.models import Role
from leaders.services import appointment_create
from linli.testing import UserFactory, make_resident


@pytest.fixture
def en(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page(client, user, url=None, **params):
    client.force_login(user)
    response = client.get(url or reverse("care:round"), params)
    assert response.status_code == 200
    return response.content.decode()


def plan_of(name) -> CarePlan:
    return CarePlan.objects.get(resident__name=name)


def due_in(plan_or_name, days: int) -> None:
    """Move a plan's due date (what contacts and cadence do through the services) for the page's sake."""
    plan = plan_or_name if isinstance(plan_or_name, CarePlan) else plan_of(plan_or_name)
    due = timezone.localdate() + datetime.timedelta(days=days)
    CarePlan.objects.filter(pk=plan.pk).update(
        greeting_due_on=due, visit_due_on=due + datetime.timedelta(4), due_on=due
    )


def cared(household, name):
    make_resident(household, name, is_elderly_alone=True)
    return plan_of(name)


# ---- A carer's round -------------------------------------------------------------------------------


def test_a_neighbour_leader_sees_their_person_due_today_with_a_big_log_button(en, cast):
    plan = plan_of("张桂莲")
    html = page(en, cast.cell_leader)
    assert "张桂莲" in html and "阳光小区 1栋 1单元 101" in html and "Elderly living alone" in html
    assert f"{reverse('care:plan', args=[plan.pk])}?from=round" in html
    assert "Home visit due" in html and "Today" in html and "Log" in html


def test_the_neighbour_leader_of_the_next_cell_does_not_see_them(en, cast):
    html = page(en, cast.cell_leader_2)
    assert "张桂莲" not in html
    assert "No one is due today" in html


def test_overdue_come_first_most_days_first_then_today(en, cast):
    cared(cast.h1b, "甲今天")
    cared(cast.h1b, "乙逾期一天")
    cared(cast.h1b, "丙逾期三天")
    due_in("乙逾期一天", -1)
    due_in("丙逾期三天", -3)
    due_in("张桂莲", 1)
    html = page(en, cast.cell_leader)
    assert html.index("丙逾期三天") < html.index("乙逾期一天") < html.index("甲今天")
    assert "3 days overdue" in html and "1 day overdue" in html
    assert "1 due today, 2 overdue" in html


def test_the_coming_week_is_listed_collapsed_and_later_plans_are_not(en, cast):
    due_in("张桂莲", 3)
    cared(cast.h1b, "下个月")
    due_in("下个月", 10)
    html = page(en, cast.cell_leader)
    coming = html[html.index('<details class="care-coming">') :]
    assert "张桂莲" in coming and "Coming up this week (1)" in html
    assert "下个月" not in html


def test_a_carer_chosen_from_another_cell_has_the_person_on_their_round(en, cast):
    care_plan_assign_carer(actor=cast.staff, plan=plan_of("张桂莲"), carer=cast.cell_leader_2)
    assert "张桂莲" in page(en, cast.cell_leader_2)
    # ...and it is no longer on the neighbour leader's own round (they still see it as their cell's).
    assert "张桂莲" not in page(en, cast.cell_leader)


@pytest.mark.parametrize("role", ["outsider", "resident"])
def test_the_round_does_not_exist_for_residents_and_outsiders(client, cast, role):
    client.force_login(getattr(cast, role))
    assert client.get(reverse("care:round")).status_code == 404


def test_a_neighbour_leader_gets_no_territory_figures(en, cast):
    assert "Care in my territory" not in page(en, cast.cell_leader)


# ---- A territory's round ---------------------------------------------------------------------------


def test_a_group_leader_sees_the_share_on_schedule_per_cell_and_the_overdue_list_with_carers(en, cast):
    cared(cast.h2, "刘奶奶")  # cell C2, on schedule (due today)
    due_in("张桂莲", -2)
    cared(cast.h3, "别组的")  # cell C3, group G2: not theirs
    due_in("别组的", -5)
    html = page(en, cast.group_leader)
    assert "Care in my territory" in html and "50%" in html
    table = html[html.index('<table class="list care-units">') : html.index("</table>")]
    assert "第一邻" in table and "第二邻" in table and "第三邻" not in table
    overdue = html[html.index('id="overdue"') :]
    assert "张桂莲" in overdue and "2 days overdue" in overdue and "王建国" in overdue
    assert "别组的" not in html


def test_the_area_leader_sees_a_row_per_group(en, cast):
    html = page(en, cast.area_leader)
    table = html[html.index('<table class="list care-units">') : html.index("</table>")]
    assert "第一组" in table and "第一邻" not in table and "Group" in table


def test_staff_see_areas_unplaced_plans_and_the_plans_without_a_carer(en, cast):
    cared(cast.h3, "陈奶奶")  # cell C3: no 邻长, so no carer
    cared(cast.h_unplaced, "赵爷爷")  # no cell yet
    html = page(en, cast.staff)
    table = html[html.index('<table class="list care-units">') : html.index("</table>")]
    assert "第一片区" in table and "第二片区" in table and "Not in a cell yet" in table
    without = html[html.index("Without a carer (2)") :]
    assert "陈奶奶" in without and "赵爷爷" in without


def test_staff_of_another_community_see_none_of_its_plans(en, cast):
    staff_b = UserFactory()
    appointment_create(
        actor=None,
        person=staff_b,
        role=Role.COMMUNITY_STAFF,
        unit=cast.other_community,
        started_on=timezone.localdate(),
    )
    html = page(en, staff_b)
    assert "张桂莲" not in html and "和平第一片区" in html


def test_the_overdue_list_is_paged(en, cast, monkeypatch):
    from care import selectors

    monkeypatch.setattr(selectors, "OVERDUE_PER_PAGE", 2)
    for name in ["逾一", "逾二"]:
        cared(cast.h1b, name)
        due_in(name, -1)
    due_in("张桂莲", -4)
    first = page(en, cast.group_leader)
    assert "张桂莲" in first and "Page 1 of 2" in first
    second = page(en, cast.group_leader, page="2")
    assert second.count("1 day overdue") == 1 and "4 days overdue" not in second


# ---- Query counts ----------------------------------------------------------------------------------


def _grow(cast):
    """More plans everywhere: in both cells of G1, in G2, unplaced; some overdue, some without a carer."""
    for i, household in enumerate([cast.h1b, cast.h1b, cast.h2, cast.h2, cast.h3, cast.h_unplaced] * 2):
        plan = cared(household, f"老人{i}")
        due_in(plan, -(i % 4) + 1)


@pytest.mark.parametrize(
    "role, queries",
    [("cell_leader", 5), ("group_leader", 8), ("area_leader", 8), ("staff", 10), ("street_admin", 10)],
)
def test_the_round_costs_the_same_queries_however_many_plans(
    client, cast, django_assert_num_queries, role, queries
):
    due_in("张桂莲", -2)
    cared(cast.h3, "陈奶奶")  # no carer: the list of plans without one is on the staff's page from the start
    client.force_login(getattr(cast, role))
    with django_assert_num_queries(queries):
        assert client.get(reverse("care:round")).status_code == 200
    _grow(cast)
    with django_assert_num_queries(queries):
        assert client.get(reverse("care:round")).status_code == 200


# ---- The round on the home page --------------------------------------------------------------------


def test_a_neighbour_leaders_home_shows_todays_round_nearest_deadline_first(en, cast):
    cared(cast.h1b, "王奶奶")
    due_in("王奶奶", -2)
    html = page(en, cast.cell_leader, reverse("home"))
    assert (
        "Today&#x27;s round: 1 due today, 1 overdue" in html
        or "Today's round: 1 due today, 1 overdue" in html
    )
    assert html.index("王奶奶") < html.index("张桂莲")
    assert reverse("care:round") in html


def test_the_home_page_shows_the_first_few_and_links_to_the_whole_round(en, cast):
    from care.selectors import HOME_ROWS

    for i in range(HOME_ROWS + 1):
        cared(cast.h1b, f"老人{i}")
    html = page(en, cast.cell_leader, reverse("home"))
    assert "See the whole round" in html
    assert f"老人{HOME_ROWS}" not in html  # the seventh of seven due today waits on the round page


def test_a_leader_with_nobody_due_sees_a_zero_round(en, cast):
    html = page(en, cast.cell_leader_2, reverse("home"))
    assert "0 due today, 0 overdue" in html


def test_staff_home_links_to_the_round(en, cast):
    html = page(en, cast.staff, reverse("home"))
    assert reverse("care:round") in html


def test_a_residents_home_has_no_round(en, cast):
    html = page(en, cast.resident, reverse("home"))
    assert f'href="{reverse("care:round")}"' not in html and "Today's round" not in html


# The waiting count reads the viewer's teams and, for staff, the units of their community first (accounts.scope).
@pytest.mark.parametrize("role, queries", [("staff", 11), ("cell_leader", 10)])
def test_home_costs_the_same_queries_however_many_people_are_due(
    client, cast, django_assert_num_queries, role, queries
):
    client.force_login(getattr(cast, role))
    with django_assert_num_queries(queries):
        client.get(reverse("home"))
    _grow(cast)
    with django_assert_num_queries(queries):
        client.get(reverse("home"))
