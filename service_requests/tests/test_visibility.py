"""Who sees which request: accounts.scope.Scope.requests_q matches unit ids read beforehand (indexed at a
district's scale); these tests hold it to the rule as the domain states it, written with unit paths."""

import pytest
from django.db.models import Q

from accounts.scope import scope_for
from linli.testing import CAST_ROLES
from service_requests import selectors, services
from service_requests.catalogue import service_catalogue_install
from service_requests.models import Channel, Request, ServiceKind
from volunteers.models import Team


def _by_paths(user) -> Q:
    """The rule in words: the viewer's territory by path (staff: their communities' requests, and for a
    street's staff those placed in no community; leaders: requests in or held below their unit; a building
    leader: their building's), plus what they first received, do, do through a team, or filed."""
    scope = scope_for(user)
    q = Q(pk__in=[])
    for path in scope.staff_unit_paths:
        q |= Q(community__path__startswith=path) | Q(street__path__startswith=path, community__isnull=True)
    for path in scope.leader_unit_paths:
        q |= Q(cell__path__startswith=path) | Q(holder__path__startswith=path)
    if scope.building_ids:
        q |= Q(building_id__in=scope.building_ids)
    q |= Q(first_owner=user) | Q(assignee=user) | Q(reporter_user=user)
    q |= Q(assignee_team__in=Team.objects.filter(members=user))
    return q


@pytest.fixture
def requests(cast):
    """A request of every shape: one per household, one at the street with no community, one sent up to
    the group, one handed down, one dispatched to a team, one filed by a leader for another cell."""
    service_catalogue_install(cast.street)
    kinds = {k.code: k for k in ServiceKind.objects.filter(street=cast.street)}

    def file(household=None, actor=None, **kwargs):
        return services.request_file(
            actor=actor,
            kind=kinds["repair"],
            description="楼道灯坏了",
            channel=Channel.QR,
            household=household,
            **kwargs,
        )

    for household in (cast.h1, cast.h1b, cast.h2, cast.h3, cast.h_unplaced, cast.hb):
        file(household)
    file(address_text="不知道在哪", reporter_user=cast.outsider, actor=cast.outsider)  # lands with the street
    file(cast.h1, reporter_user=cast.resident, actor=cast.resident)
    up = file(cast.h2)
    services.request_escalate(actor=cast.cell_leader_2, request=up, reason="需要组长")
    down = file(community=cast.community, actor=cast.staff)
    services.request_hand_down(actor=cast.staff, request=down, to_unit=cast.cell2, reason="请处理")
    team = Team.objects.create(community=cast.other_community, name="和平便民队")
    team.members.add(cast.cell_leader)
    order = file(cast.hb)
    services.request_dispatch(actor=cast.street_admin, request=order, team=team)
    file(cast.h2, actor=cast.cell_leader)  # heard on a visit next door: they are its first-asked owner
    return Request.objects.all()


@pytest.mark.parametrize("role", CAST_ROLES)
def test_a_viewer_sees_the_requests_the_rule_gives_them(cast, requests, role):
    user = getattr(cast, role)
    expected = set(Request.objects.filter(_by_paths(user)).values_list("pk", flat=True))
    assert set(Request.objects.visible_to(user).values_list("pk", flat=True)) == expected
    assert expected or role == "outsider" or role == "building_leader"


def test_the_rule_is_not_empty_for_anyone_in_a_post(cast, requests):
    """The comparison above means something: each leader sees some requests and not all of them."""
    total = requests.count()
    for role in ("street_admin", "staff", "area_leader", "group_leader", "cell_leader", "cell_leader_2"):
        seen = Request.objects.visible_to(getattr(cast, role)).count()
        assert seen > 0, role
        assert seen < total or role == "street_admin", role


def test_a_team_member_sees_the_order_dispatched_to_their_team_outside_their_patch(cast, requests):
    order = Request.objects.get(assignee_team__isnull=False)
    assert order.community_id == cast.other_community.pk
    assert Request.objects.visible_to(cast.cell_leader).filter(pk=order.pk).exists()
    assert not Request.objects.visible_to(cast.cell_leader_2).filter(pk=order.pk).exists()


def test_waiting_is_what_the_viewer_holds_by_unit_or_owns(cast, requests):
    """held_q matches holder ids: the group leader holds what was sent up to the group and what sits in
    their cells; staff hold everything of their community but nothing placed at the street."""
    for role in ("staff", "group_leader", "cell_leader_2", "street_admin"):
        user = getattr(cast, role)
        scope = scope_for(user)
        paths = scope.staff_unit_paths + scope.leader_unit_paths
        by_path = Q(pk__in=[])
        for path in paths:
            by_path |= Q(holder__path__startswith=path)
        expected = set(
            Request.objects.filter(Q(status__in=["new", "in_progress", "dispatched"]))
            .filter(by_path | Q(first_owner=user) | Q(assignee=user))
            .filter(_by_paths(user))
            .values_list("pk", flat=True)
        )
        waiting = selectors.worker_requests(user).filter(selectors.waiting_q(user))
        assert set(waiting.values_list("pk", flat=True)) == expected, role
        assert expected, role
