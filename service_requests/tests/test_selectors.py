"""Reads behind the request pages: what waits on whom, what is late, and what each viewer may do."""

import datetime

import pytest
import time_machine
from django.utils import translation

from service_requests import selectors, services
from service_requests.catalogue import service_catalogue_install
from service_requests.models import Channel, Request, ServiceKind, Status

START = datetime.datetime(2026, 3, 2, 9, 10, tzinfo=datetime.UTC)


@pytest.fixture
def kinds(cast):
    service_catalogue_install(cast.street)
    return {k.code: k for k in ServiceKind.objects.filter(street=cast.street)}


def _file(cast, kinds, household, kind="repair", actor=None):
    with time_machine.travel(START, tick=False):
        return services.request_file(
            actor=actor or cast.resident,
            reporter_user=None if actor else cast.resident,
            kind=kinds[kind],
            description="楼道灯坏了",
            channel=Channel.QR,
            household=household,
        )


def _waiting(user):
    return set(selectors.worker_requests(user).filter(selectors.waiting_q(user)))


def test_waiting_for_a_neighbour_leader_is_what_their_cell_holds(cast, kinds):
    mine = _file(cast, kinds, cast.h1)
    theirs = _file(cast, kinds, cast.h2)
    assert _waiting(cast.cell_leader) == {mine}
    assert _waiting(cast.cell_leader_2) == {theirs}
    assert _waiting(cast.group_leader) == {mine, theirs}  # a 组长 answers for the cells below too


def test_waiting_follows_the_first_asked_owner_after_it_moves_up(cast, kinds):
    request = _file(cast, kinds, cast.h2, actor=cast.cell_leader)
    services.request_escalate(actor=cast.cell_leader_2, request=request, reason="需要组长")
    assert request in _waiting(cast.cell_leader)
    assert request not in _waiting(cast.cell_leader_2)


def test_closed_requests_wait_on_nobody(cast, kinds):
    request = _file(cast, kinds, cast.h1)
    services.request_close(actor=cast.staff, request=request, reason="撤回")
    assert _waiting(cast.cell_leader) == set() and selectors.waiting_count(cast.staff) == 0


def test_worker_requests_leave_out_what_a_user_only_filed_as_a_resident(cast, kinds):
    request = _file(cast, kinds, cast.h1)
    assert Request.objects.visible_to(cast.resident).filter(pk=request.pk).exists()
    assert not selectors.worker_requests(cast.resident).exists()


def test_overdue_is_a_passed_level_deadline_while_open(cast, kinds):
    hazard = _file(cast, kinds, cast.h1, kind="hazard")  # urgent: respond within 2 h
    repair = _file(cast, kinds, cast.h1b)  # respond within 24 h
    overdue = Request.objects.filter(selectors.overdue_q(START + datetime.timedelta(hours=3)))
    assert set(overdue) == {hazard}
    services.request_close(actor=cast.staff, request=hazard, reason="已处理")
    assert not Request.objects.filter(selectors.overdue_q(START + datetime.timedelta(hours=3))).exists()
    assert set(Request.objects.filter(selectors.overdue_q(START + datetime.timedelta(days=4)))) == {repair}


def test_lateness_reads_red_when_overdue_and_amber_when_close(cast, kinds):
    hazard = _file(cast, kinds, cast.h1, kind="hazard")
    with translation.override("en"):
        late = selectors.request_lateness(hazard, START + datetime.timedelta(hours=5))
        soon = selectors.request_lateness(hazard, START + datetime.timedelta(minutes=30))
        far = selectors.request_lateness(_file(cast, kinds, cast.h1b), START)
    assert (late.state, late.text) == ("overdue", "overdue by 3 h")
    assert (soon.state, soon.text) == ("soon", "due in 1 h")
    assert (far.state, far.text) == ("ok", "due in 24 h")


def test_a_resolved_request_is_not_late(cast, kinds):
    hazard = _file(cast, kinds, cast.h1, kind="hazard")
    services.request_resolve(actor=cast.cell_leader, request=hazard, outcome="已排除")
    assert selectors.request_lateness(hazard, START + datetime.timedelta(days=3)) is None


def test_tab_counts_count_the_open_tabs_in_one_query_and_leave_the_closed_history_out(
    cast, kinds, django_assert_num_queries
):
    _file(cast, kinds, cast.h1)
    closed = _file(cast, kinds, cast.h1b)
    services.request_close(actor=cast.staff, request=closed, reason="撤回")
    selectors.scope_for(cast.cell_leader)  # the viewer's scope and teams are read once per request anyway
    selectors.user_team_ids(cast.cell_leader)
    with django_assert_num_queries(1):
        counts = selectors.queue_tab_counts(cast.cell_leader, START + datetime.timedelta(days=2))
    assert counts == {"waiting": 1, "open": 1, "overdue": 1, "closed": None}


def test_holder_of_a_new_cell_request_may_answer_note_send_up_dispatch_resolve(cast, kinds):
    request = _file(cast, kinds, cast.h1)
    assert selectors.request_actions(cast.cell_leader, request) == [
        "respond",
        "note",
        "escalate",
        "dispatch",
        "resolve",
    ]
    staff_actions = selectors.request_actions(cast.staff, request)
    assert (
        staff_actions[-2:] == ["close", "merge"] and "hand_down" not in staff_actions
    )  # a cell is the bottom


def test_resolved_request_leaves_only_closing_to_staff(cast, kinds):
    request = _file(cast, kinds, cast.h1)
    services.request_resolve(actor=cast.cell_leader, request=request, outcome="已修好")
    assert selectors.request_actions(cast.cell_leader, request) == []
    assert selectors.request_actions(cast.staff, request) == ["close"]


def test_team_member_may_claim_only_an_unclaimed_order_of_their_team(cast, kinds):
    from volunteers.models import Team

    team = Team.objects.create(community=cast.community, name="惠邻便民队")
    team.members.add(cast.cell_leader_2)
    order = _file(cast, kinds, cast.h1, kind="micro")
    services.request_dispatch(actor=cast.staff, request=order, team=team)
    assert selectors.request_actions(cast.cell_leader_2, order) == ["claim"]
    services.request_claim(actor=cast.cell_leader_2, request=order)
    assert selectors.request_actions(cast.cell_leader_2, order) == ["respond", "note", "resolve"]


def test_merge_target_takes_a_reference_or_a_bare_number_in_scope(cast, kinds):
    request = _file(cast, kinds, cast.h1)
    other = _file(cast, kinds, cast.h1b)
    beyond = _file(cast, kinds, cast.hb)
    assert selectors.merge_target(cast.staff, request, other.reference) == other
    assert selectors.merge_target(cast.staff, request, f" #{other.pk} ") == other
    assert selectors.merge_target(cast.staff, request, f"19990101-{other.pk}") is None  # wrong date
    assert selectors.merge_target(cast.staff, request, request.reference) is None  # itself
    assert selectors.merge_target(cast.staff, request, beyond.reference) is None  # another community


def test_hand_down_offers_only_visible_units_below_the_holder(cast, kinds):
    request = _file(cast, kinds, cast.h1)
    services.request_escalate(actor=cast.cell_leader, request=request, reason="x")
    services.request_escalate(actor=cast.group_leader, request=request, reason="x")
    assert request.holder == cast.area
    assert list(selectors.hand_down_units(cast.area_leader, request)) == [cast.group, cast.cell, cast.cell2]


def test_dispatch_people_are_leaders_below_and_team_members(cast, kinds):
    from volunteers.models import Team

    team = Team.objects.create(community=cast.community, name="洁邻管护队")
    team.members.add(cast.building_leader)
    order = _file(cast, kinds, cast.h1, kind="micro")
    people = set(selectors.dispatch_people(cast.staff, order))
    assert {cast.area_leader, cast.group_leader, cast.cell_leader, cast.building_leader} <= people
    assert cast.staff not in people and cast.outsider not in people


def test_building_leader_gets_the_kinds_of_their_street(cast, kinds):
    assert set(selectors.kinds_for(cast.building_leader)) == set(kinds.values())


def test_filing_choices_group_a_neighbour_leaders_households_by_cell(cast):
    choices = selectors.filing_household_choices(cast.group_leader)
    assert not choices.needs_search
    sections = selectors.households_by_cell(choices.households)
    assert [(cell, {h.pk for h in households}) for cell, households in sections] == [
        (cast.cell, {cast.h1.pk, cast.h1b.pk}),
        (cast.cell2, {cast.h2.pk}),
    ]


def test_filing_choices_search_by_resident_name(cast):
    choices = selectors.filing_household_choices(cast.staff, "陈明")
    assert [h.pk for h in choices.households] == [cast.h3.pk]


def test_status_of_closed_tab_includes_resolved(cast, kinds):
    request = _file(cast, kinds, cast.h1)
    services.request_resolve(actor=cast.cell_leader, request=request, outcome="已修好")
    filters = selectors.QueueFilters(tab="closed")
    assert list(selectors.queue_requests(cast.cell_leader, filters, START)) == [request]
    assert request.status == Status.RESOLVED
