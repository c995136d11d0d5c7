"""The periodic job's care rules and outbound delivery, end to end with a frozen clock and a local
group robot: overdue care told to the 组长 and the 片长 at the configured delays, the morning reminder,
an alert reaching the community's robot — each exactly once however many passes run."""

import datetime

import time_machine

from care.models import CadenceRule, CarePlan
from care.services import cadence_rule_update, care_contact_log
from care.services_alerts import welfare_alert_raise
from leaders.models import Role
from leaders.services import appointment_create, appointment_hand_over
from linli.testing import UserFactory, make_resident
from notices.models import ChannelKind, Notification, OutboundChannel
from notices.tests.conftest import robot  # noqa: F401  (the local robot server fixture)
from web.periodic import periodic_pass

TZ = datetime.timezone(datetime.timedelta(hours=8))


def _at(day: int, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, 0, tzinfo=TZ)


def _pass(day: int, hour: int = 9) -> dict:
    with time_machine.travel(_at(day, hour), tick=False):
        return periodic_pass()


def _told(user, prefix: str) -> list[str]:
    return list(
        Notification.objects.filter(user=user, key__startswith=prefix).values_list("message", flat=True)
    )


def _elderly(cast, day: int = 2):
    with time_machine.travel(_at(day), tick=False):
        resident = make_resident(cast.h1b, "孙秀英", is_elderly_alone=True)
    return CarePlan.objects.get(resident=resident)


def test_overdue_care_is_told_to_the_group_leader_after_one_day_and_the_area_leader_after_three(cast):
    plan = _elderly(cast)  # no contact yet: due on the day it started (2 November)
    _pass(2)
    assert not _told(cast.group_leader, "care-group") and not _told(cast.area_leader, "care-area")
    _pass(3)
    assert len(_told(cast.group_leader, "care-group")) == 1
    assert not _told(cast.area_leader, "care-area")
    _pass(4)
    _pass(5)
    _pass(5, 15)
    assert len(_told(cast.group_leader, "care-group")) == 1
    assert len(_told(cast.area_leader, "care-area")) == 1
    assert CarePlan.objects.get(pk=plan.pk).group_told_for == plan.due_on


def test_a_contact_stops_the_escalation_and_a_new_missed_date_starts_it_again(cast):
    plan = _elderly(cast)
    with time_machine.travel(_at(2, 10), tick=False):
        care_contact_log(actor=cast.cell_leader, plan=plan, kind="visit", wellbeing="well")
    _pass(5)  # greeting due on the 5th: not late yet
    assert not _told(cast.group_leader, "care-group")
    _pass(6)
    assert len(_told(cast.group_leader, "care-group")) == 1


def test_the_delays_are_editable_per_community(cast):
    rule = CadenceRule.objects.get(community=cast.community, special_group="is_elderly_alone")
    cadence_rule_update(
        actor=cast.staff,
        rule=rule,
        cared_for=True,
        greeting_days=3,
        visit_days=7,
        group_after_days=2,
        area_after_days=5,
    )
    _elderly(cast)
    _pass(3)
    assert not _told(cast.group_leader, "care-group")
    _pass(4)
    assert len(_told(cast.group_leader, "care-group")) == 1
    _pass(6)
    assert not _told(cast.area_leader, "care-area")
    _pass(7)
    assert len(_told(cast.area_leader, "care-area")) == 1


def test_the_morning_reminder_reaches_each_carer_once_a_day_and_not_before_seven(cast):
    _elderly(cast)
    _pass(3, 6)
    assert not _told(cast.cell_leader, "care-due")
    _pass(3, 7)
    _pass(3, 8)
    assert len(_told(cast.cell_leader, "care-due")) == 1
    _pass(4, 9)
    assert len(_told(cast.cell_leader, "care-due")) == 2


def test_plans_follow_a_neighbour_leader_whose_term_starts_in_the_future(cast):
    plan = _elderly(cast)
    successor = UserFactory(full_name="新邻长")
    appointment = cast.cell_leader.appointments.get(role=Role.CELL_LEADER)
    with time_machine.travel(_at(2), tick=False):
        appointment_hand_over(
            actor=cast.staff,
            appointment=appointment,
            successor=successor,
            reason="moved_away",
            on=datetime.date(2026, 11, 10),
        )
    _pass(9)
    assert CarePlan.objects.get(pk=plan.pk).carer == cast.cell_leader
    _pass(10)
    assert CarePlan.objects.get(pk=plan.pk).carer == successor


def test_an_alert_reaches_the_community_robot_exactly_once(cast, robot):  # noqa: F811
    OutboundChannel.objects.create(
        community=cast.community, kind=ChannelKind.WECOM, name="社区工作群", target=robot.webhook()
    )
    with time_machine.travel(_at(3, 10), tick=False):
        welfare_alert_raise(actor=cast.building_leader, household=cast.h3, reason="not_seen")
    for minute in range(3):
        with time_machine.travel(_at(3, 10) + datetime.timedelta(minutes=minute + 1), tick=False):
            periodic_pass()
    assert len(robot.received) == 1
    content = robot.received[0].payload["text"]["content"]
    assert robot.received[0].payload["msgtype"] == "text"
    assert cast.h3.address.split(" ")[0] in content


def test_overdue_care_goes_to_the_robot_once_when_the_area_leader_is_told(cast, robot):  # noqa: F811
    OutboundChannel.objects.create(
        community=cast.community,
        kind=ChannelKind.DINGTALK,
        name="钉钉群",
        target=robot.webhook(),
        secret="SEC1",
    )
    appointment_create(actor=cast.staff, person=UserFactory(), role=Role.COMMUNITY_STAFF, unit=cast.community)
    _elderly(cast)
    for day in (5, 5, 6):
        _pass(day, 6)  # before seven: no morning digest in the way
    assert len(robot.received) == 1
    assert cast.h1b.address.split(" ")[0] in robot.received[0].payload["text"]["content"]
    assert "timestamp" in robot.received[0].query and "sign" in robot.received[0].query
