"""The request lifecycle, level by level, with the clock moved by time-machine."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from notices.models import Notification
from service_requests import services
from service_requests.catalogue import service_catalogue_install
from service_requests.models import Channel, EventKind, Request, ServiceKind, Status

START = datetime.datetime(2026, 3, 2, 9, 10, tzinfo=datetime.UTC)


@pytest.fixture
def kinds(cast):
    service_catalogue_install(cast.street)
    return {k.code: k for k in ServiceKind.objects.filter(street=cast.street)}


@pytest.fixture
def filed(cast, kinds):
    """A resident of cell C1 files a repair through the QR code of their building."""
    with time_machine.travel(START, tick=False):
        return services.request_file(
            actor=cast.resident,
            reporter_user=cast.resident,
            kind=kinds["repair"],
            description="楼道灯坏了",
            channel=Channel.QR,
            household=cast.h1,
            reporter_phone="13900002222",
        )


def test_a_residents_filing_lands_with_the_cell_and_tells_its_leader(cast, filed):
    assert filed.holder == cast.cell and filed.status == Status.NEW
    assert filed.first_owner is None  # nobody has received it yet
    assert Notification.objects.filter(user=cast.cell_leader, request=filed).exists()
    assert not Notification.objects.filter(user=cast.cell_leader_2).exists()


def test_first_to_answer_becomes_first_asked_owner_and_stays_through_escalation(cast, filed):
    services.request_respond(actor=cast.cell_leader, request=filed, message="我去看看")
    assert filed.first_owner == cast.cell_leader and filed.status == Status.IN_PROGRESS
    services.request_escalate(actor=cast.cell_leader, request=filed, reason="需要物业配合")
    assert filed.holder == cast.group and filed.first_owner == cast.cell_leader
    services.request_escalate(actor=cast.group_leader, request=filed, reason="需要片区协调")
    assert filed.holder == cast.area
    # The first-asked owner hears of every change even though the work has moved up.
    assert Notification.objects.filter(user=cast.cell_leader, request=filed).count() >= 2


def test_leader_filing_on_behalf_is_first_owner_at_once(cast, kinds):
    request = services.request_file(
        actor=cast.cell_leader,
        kind=kinds["dispute"],
        description="楼上漏水",
        channel=Channel.WECHAT,
        household=cast.h1,
    )
    assert request.first_owner == cast.cell_leader and request.channel == Channel.WECHAT


def test_solved_on_the_spot_is_closed_in_one_step(cast, kinds):
    request = services.request_file(
        actor=cast.cell_leader,
        kind=kinds["repair"],
        description="门锁松了",
        channel=Channel.VISIT,
        household=cast.h1,
        solved_on_spot=True,
        on_spot_outcome="当场拧紧",
    )
    assert request.status == Status.CLOSED and request.solved_on_spot and request.responded_at


def test_someone_outside_the_level_cannot_act(cast, filed):
    with pytest.raises(PermissionDenied):
        services.request_respond(actor=cast.cell_leader_2, request=filed, message="x")


def test_missed_response_deadline_sends_it_up_by_itself(cast, filed):
    with time_machine.travel(START + datetime.timedelta(hours=23), tick=False):
        assert services.requests_escalate_overdue() == 0
    with time_machine.travel(START + datetime.timedelta(hours=24, minutes=1), tick=False):
        assert services.requests_escalate_overdue() == 1
        assert services.requests_escalate_overdue() == 0  # idempotent: a second pass changes nothing
    filed.refresh_from_db()
    assert filed.holder == cast.group and filed.status == Status.NEW
    assert filed.events.filter(kind=EventKind.AUTO_ESCALATED).count() == 1
    assert Notification.objects.filter(user=cast.group_leader, request=filed).exists()


def test_missed_resolution_deadline_sends_an_answered_request_up(cast, filed):
    with time_machine.travel(START + datetime.timedelta(hours=1), tick=False):
        services.request_respond(actor=cast.cell_leader, request=filed, message="收到")
    with time_machine.travel(START + datetime.timedelta(hours=71, minutes=59), tick=False):
        assert services.requests_escalate_overdue() == 0
    with time_machine.travel(START + datetime.timedelta(hours=72, minutes=1), tick=False):
        assert services.requests_escalate_overdue() == 1
    filed.refresh_from_db()
    assert filed.holder == cast.group


def test_low_rating_within_seven_days_reopens(cast, filed):
    services.request_resolve(actor=cast.cell_leader, request=filed, outcome="已更换灯泡")
    services.request_rate(request=filed, rating=2, comment="还是不亮")
    assert filed.status == Status.IN_PROGRESS and filed.times_reopened == 1


def test_good_rating_closes(cast, filed):
    services.request_resolve(actor=cast.cell_leader, request=filed, outcome="已更换灯泡")
    services.request_rate(request=filed, rating=5)
    assert filed.status == Status.CLOSED and filed.closed_at


def test_unrated_request_closes_after_seven_days(cast, filed):
    with time_machine.travel(START + datetime.timedelta(hours=2), tick=False):
        services.request_resolve(actor=cast.cell_leader, request=filed, outcome="已修好")
    with time_machine.travel(START + datetime.timedelta(days=7, hours=3), tick=False):
        assert services.requests_close_unrated() == 1
    filed.refresh_from_db()
    assert filed.status == Status.CLOSED


def test_closed_request_cannot_be_answered(cast, filed):
    services.request_close(actor=cast.staff, request=filed, reason="居民撤回")
    with pytest.raises(services.RequestError):
        services.request_respond(actor=cast.cell_leader, request=filed, message="x")


def test_team_member_claims_a_dispatched_order_once(cast, kinds):
    from volunteers.models import Team

    team = Team.objects.create(community=cast.community, name="惠邻便民队")
    team.members.add(cast.cell_leader_2, cast.group_leader)
    order = services.request_file(
        actor=cast.resident,
        reporter_user=cast.resident,
        kind=kinds["micro"],
        description="代买药",
        channel=Channel.QR,
        household=cast.h1,
    )
    assert order.holder == cast.community  # menu orders land with the community party organisation
    services.request_dispatch(actor=cast.staff, request=order, team=team)
    services.request_claim(actor=cast.cell_leader_2, request=order)
    with pytest.raises(services.RequestError):
        services.request_claim(actor=cast.group_leader, request=order)
    services.request_resolve(actor=cast.cell_leader_2, request=order, outcome="已送到")
    assert Request.objects.get(pk=order.pk).status == Status.RESOLVED


@pytest.mark.parametrize(
    "role, sees",
    [
        ("street_admin", True),
        ("staff", True),
        ("area_leader", True),
        ("group_leader", True),
        ("cell_leader", True),
        ("cell_leader_2", False),
        ("resident", True),
        ("outsider", False),
    ],
)
def test_request_visibility_follows_the_territory(cast, filed, role, sees):
    assert Request.objects.visible_to(getattr(cast, role)).filter(pk=filed.pk).exists() is sees
