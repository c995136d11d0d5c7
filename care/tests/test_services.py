"""Care plans with the clock frozen: due dates, cadence, carers, the end of a plan, escalation, reminders."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from care import services
from care.models import CareContact, CarePlan, PlanEndReason
from leaders.models import Appointment, EndReason, Role
from leaders.services import appointment_create, appointment_hand_over
from linli.testing import UserFactory, make_resident
from notices.models import Notification
from people.models import HouseholdStatus, ResidenceStatus, Resident
from people.services import household_move, household_set_status, resident_save
from service_requests.catalogue import service_catalogue_install
from service_requests.models import ServiceKind

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
START = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday morning
DAY0 = START.date()


def day(n: int) -> datetime.date:
    return DAY0 + datetime.timedelta(days=n)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def go_to(clock, n: int, hour: int = 9) -> None:
    clock.move_to(datetime.datetime.combine(day(n), datetime.time(hour), tzinfo=SHANGHAI))


@pytest.fixture
def world(clock, cast):
    """The cast built on DAY0: 张桂莲 of h1 (cell C1) lives alone and has a plan from that day."""
    return cast


@pytest.fixture
def plan(world):
    return CarePlan.objects.get(resident__household=world.h1)


def log(plan, kind, actor=None, wellbeing="well", **kwargs):
    return services.care_contact_log(
        actor=actor or plan.carer, plan=plan, kind=kind, wellbeing=wellbeing, **kwargs
    )


def fresh(plan) -> CarePlan:
    return CarePlan.objects.get(pk=plan.pk)


def care_notices(user, step: str) -> int:
    return Notification.objects.filter(user=user, key__startswith=f"care-{step}:").count()


# ---- Due dates -------------------------------------------------------------------------------------


def test_a_new_plan_is_due_on_the_day_it_starts_with_the_cells_neighbour_leader_as_carer(world, plan):
    assert plan.started_on == DAY0
    assert (plan.greeting_due_on, plan.visit_due_on, plan.due_on) == (DAY0, DAY0, DAY0)
    assert plan.carer == world.cell_leader and not plan.carer_pinned
    assert (plan.greeting_days, plan.visit_days) == (3, 7)  # 三天线上一问候、七天上门一访问
    assert plan.groups == "is_elderly_alone"


def test_only_residents_of_a_cared_for_group_get_a_plan(world):
    assert CarePlan.objects.count() == 1  # of the cast, only 张桂莲 lives alone
    make_resident(world.h2, "李低保", has_low_income_allowance=True)  # optional group, off by default
    assert CarePlan.objects.count() == 1


def test_a_home_visit_counts_as_a_greeting(world, plan):
    log(plan, "visit")
    plan = fresh(plan)
    assert plan.last_greeting_on == DAY0 and plan.last_visit_on == DAY0
    assert (plan.greeting_due_on, plan.visit_due_on, plan.due_on) == (day(3), day(7), day(3))


def test_a_phone_call_satisfies_only_the_greeting(world, clock, plan):
    log(plan, "visit")
    go_to(clock, 3)
    log(fresh(plan), "phone")
    plan = fresh(plan)
    assert (plan.greeting_due_on, plan.visit_due_on, plan.due_on) == (day(6), day(7), day(6))
    go_to(clock, 6)
    log(fresh(plan), "online")
    plan = fresh(plan)
    # Greeted again, but the home visit is still due on day 7: that is what comes next.
    assert (plan.greeting_due_on, plan.visit_due_on, plan.due_on) == (day(9), day(7), day(7))
    assert plan.next_is_visit


def test_a_phone_call_on_a_new_plan_leaves_the_first_visit_due(world, plan):
    log(plan, "phone")
    plan = fresh(plan)
    assert plan.greeting_due_on == day(3) and plan.visit_due_on == DAY0 and plan.due_on == DAY0


def test_a_changed_cadence_replans_the_due_dates_at_once(world, plan):
    log(plan, "visit")
    rule = services.cadence_rules_for(world.community)["is_elderly_alone"]
    changed = services.cadence_rule_update(
        actor=world.staff,
        rule=rule,
        cared_for=True,
        greeting_days=2,
        visit_days=5,
        group_after_days=1,
        area_after_days=2,
    )
    plan = fresh(plan)
    assert changed == 1
    assert (plan.greeting_days, plan.visit_days) == (2, 5)
    assert (plan.greeting_due_on, plan.visit_due_on, plan.due_on) == (day(2), day(5), day(2))
    assert (plan.group_alert_on, plan.area_alert_on) == (day(3), day(4))


def test_the_tightest_rule_of_a_residents_groups_wins(world):
    rules = services.cadence_rules_for(world.community)
    services.cadence_rule_update(
        actor=world.staff,
        rule=rules["is_disabled"],
        cared_for=True,
        greeting_days=2,
        visit_days=10,
        group_after_days=1,
        area_after_days=3,
    )
    resident = make_resident(world.h2, "周残", is_elderly_alone=True, is_disabled=True)
    plan = CarePlan.objects.get(resident=resident)
    assert (plan.greeting_days, plan.visit_days) == (2, 7)


def test_switching_a_group_off_ends_its_plans(world, plan):
    rule = services.cadence_rules_for(world.community)["is_elderly_alone"]
    services.cadence_rule_update(
        actor=world.staff,
        rule=rule,
        cared_for=False,
        greeting_days=3,
        visit_days=7,
        group_after_days=1,
        area_after_days=3,
    )
    plan = fresh(plan)
    assert plan.ended_on == DAY0 and plan.end_reason == PlanEndReason.LEFT_GROUP


def test_only_the_communitys_staff_change_its_cadence(world):
    rule = services.cadence_rules_for(world.community)["is_elderly_alone"]
    values = dict(cared_for=True, greeting_days=3, visit_days=7, group_after_days=1, area_after_days=3)
    with pytest.raises(PermissionDenied):
        services.cadence_rule_update(actor=world.group_leader, rule=rule, **values)
    other_staff = UserFactory()
    appointment_create(
        actor=None, person=other_staff, role=Role.COMMUNITY_STAFF, unit=world.other_community, started_on=DAY0
    )
    with pytest.raises(PermissionDenied):
        services.cadence_rule_update(actor=other_staff, rule=rule, **values)


@pytest.mark.parametrize(
    "values",
    [
        dict(greeting_days=0, visit_days=7, group_after_days=1, area_after_days=3),
        dict(greeting_days=3, visit_days=400, group_after_days=1, area_after_days=3),
        dict(greeting_days=3, visit_days=7, group_after_days=4, area_after_days=3),
    ],
)
def test_a_cadence_out_of_range_is_refused_and_nothing_changes(world, plan, values):
    rule = services.cadence_rules_for(world.community)["is_elderly_alone"]
    with pytest.raises(ValidationError):
        services.cadence_rule_update(actor=world.staff, rule=rule, cared_for=True, **values)
    rule.refresh_from_db()
    assert (rule.greeting_days, rule.visit_days, rule.area_after_days) == (3, 7, 3)


# ---- Carers ----------------------------------------------------------------------------------------


def _cell_appointment(world):
    return Appointment.objects.active().get(role=Role.CELL_LEADER, unit=world.cell)


def test_handing_the_cell_over_moves_its_plans_to_the_new_neighbour_leader(world, plan):
    successor = UserFactory(full_name="新邻长")
    appointment_hand_over(
        actor=world.staff,
        appointment=_cell_appointment(world),
        successor=successor,
        reason=EndReason.MOVED_AWAY,
    )
    assert fresh(plan).carer == successor


def test_a_carer_chosen_by_staff_stays_when_the_cell_changes_hands(world, plan):
    services.care_plan_assign_carer(actor=world.staff, plan=plan, carer=world.group_leader)
    assert Notification.objects.filter(
        user=world.group_leader, url__contains=f"/care/plans/{plan.pk}/"
    ).exists()
    appointment_hand_over(
        actor=world.staff, appointment=_cell_appointment(world), successor=UserFactory(), reason=EndReason.ILL
    )
    plan = fresh(plan)
    assert plan.carer == world.group_leader and plan.carer_pinned


def test_a_carer_chosen_by_staff_does_not_follow_the_person_into_another_community(world, plan):
    services.care_plan_assign_carer(actor=world.staff, plan=plan, carer=world.group_leader)
    b_leader = UserFactory(full_name="和平邻长")
    appointment_create(
        actor=None, person=b_leader, role=Role.CELL_LEADER, unit=world.other_cell, started_on=DAY0
    )
    entrance = world.hb.entrance
    household_move(
        actor=world.staff, household=world.h1, entrance=entrance, room="909", cell=world.other_cell
    )
    plan = fresh(plan)
    assert (plan.community, plan.carer, plan.carer_pinned) == (world.other_community, b_leader, False)
    assert not CarePlan.objects.visible_to(world.group_leader).filter(pk=plan.pk).exists()


def test_staff_give_the_plan_back_to_the_cells_neighbour_leader(world, plan):
    services.care_plan_assign_carer(actor=world.staff, plan=plan, carer=world.group_leader)
    services.care_plan_assign_carer(actor=world.staff, plan=fresh(plan), carer=None)
    plan = fresh(plan)
    assert plan.carer == world.cell_leader and not plan.carer_pinned


def test_a_carer_must_hold_a_post_in_the_community(world, plan):
    with pytest.raises(ValidationError):
        services.care_plan_assign_carer(actor=world.staff, plan=plan, carer=world.outsider)
    assert fresh(plan).carer == world.cell_leader


def test_only_staff_choose_a_carer(world, plan):
    with pytest.raises(PermissionDenied):
        services.care_plan_assign_carer(actor=world.group_leader, plan=plan, carer=world.group_leader)


def test_carer_candidates_are_the_communitys_leaders_and_staff(world):
    candidates = set(services.carer_candidates(world.community))
    assert {
        world.staff,
        world.area_leader,
        world.group_leader,
        world.cell_leader,
        world.building_leader,
    } <= candidates
    assert world.outsider not in candidates and world.resident not in candidates


# ---- A plan ends; its history stays ------------------------------------------------------------------


def test_a_household_that_moved_away_ends_the_plan_and_keeps_its_contacts(world, clock, plan):
    log(plan, "visit", note="身体不错")
    go_to(clock, 2)
    household_set_status(actor=world.staff, household=world.h1, status=HouseholdStatus.REGISTERED_ONLY)
    plan = fresh(plan)
    assert plan.ended_on == day(2) and plan.end_reason == PlanEndReason.MOVED
    assert CareContact.objects.filter(plan=plan, note="身体不错").exists()
    assert plan.history.count() >= 3  # started, visit logged, ended


def test_a_resident_registered_here_but_living_elsewhere_ends_the_plan(world, plan):
    resident = Resident.objects.get(pk=plan.resident_id)
    resident.residence_status = ResidenceStatus.REGISTERED_ONLY
    resident_save(actor=world.staff, resident=resident)
    assert fresh(plan).end_reason == PlanEndReason.MOVED


def test_a_resident_who_died_ends_the_plan_with_the_reason(world, clock, plan):
    log(plan, "phone")
    go_to(clock, 1)
    resident = Resident.objects.get(pk=plan.resident_id)
    resident.died_on = day(1)
    resident_save(actor=world.staff, resident=resident)
    plan = fresh(plan)
    assert plan.ended_on == day(1) and plan.end_reason == PlanEndReason.DIED
    assert plan.contacts.count() == 1


def test_an_ended_plan_takes_no_contact_and_is_not_escalated(world, clock, plan):
    resident = Resident.objects.get(pk=plan.resident_id)
    resident.is_elderly_alone = False
    resident_save(actor=world.staff, resident=resident)
    plan = fresh(plan)
    assert plan.end_reason == PlanEndReason.LEFT_GROUP
    with pytest.raises(ValidationError):
        log(plan, "visit", actor=world.cell_leader)
    go_to(clock, 5)
    assert services.care_overdue_escalate() == {"group": 0, "area": 0}


def test_a_resident_back_in_a_group_gets_a_new_plan(world, plan):
    resident = Resident.objects.get(pk=plan.resident_id)
    resident.is_elderly_alone = False
    resident_save(actor=world.staff, resident=resident)
    resident.is_elderly_alone = True
    resident_save(actor=world.staff, resident=resident)
    assert CarePlan.objects.filter(resident=resident).count() == 2
    assert CarePlan.objects.active().get(resident=resident).pk != plan.pk


# ---- Logging a contact -----------------------------------------------------------------------------


def test_a_leader_of_another_cell_cannot_log(world, plan):
    with pytest.raises(PermissionDenied):
        log(plan, "visit", actor=world.cell_leader_2)
    assert not CareContact.objects.exists()


def test_the_group_leader_and_staff_may_log_for_the_cell(world, plan):
    log(plan, "phone", actor=world.group_leader)
    log(plan, "visit", actor=world.staff)
    assert CareContact.objects.filter(plan=plan).count() == 2


def test_a_need_found_files_a_request_for_the_household_linked_to_the_contact(world, plan):
    service_catalogue_install(world.street)
    kind = ServiceKind.objects.get(street=world.street, code="repair")
    contact = log(plan, "visit", need_kind=kind, need_description="厨房水管漏水")
    request = contact.request
    assert request is not None and request.household == world.h1
    assert request.first_owner == world.cell_leader and request.description == "厨房水管漏水"


def test_a_need_found_without_a_description_is_refused_and_nothing_is_saved(world, plan):
    service_catalogue_install(world.street)
    kind = ServiceKind.objects.get(street=world.street, code="repair")
    with pytest.raises(ValidationError):
        log(plan, "visit", need_kind=kind)
    assert not CareContact.objects.exists()
    assert fresh(plan).last_visit_on is None


def test_an_urgent_contact_tells_the_group_leader_and_staff_at_once(world, plan):
    log(plan, "visit", wellbeing="urgent", note="摔倒了")
    for user in (world.group_leader, world.staff):
        assert Notification.objects.filter(user=user, url__contains=f"/care/plans/{plan.pk}/").exists()
    assert not Notification.objects.filter(user=world.cell_leader_2).exists()


# ---- Overdue escalation ----------------------------------------------------------------------------


def test_overdue_care_reaches_the_group_leader_after_one_day_exactly_once(world, clock, plan):
    assert services.care_overdue_escalate() == {"group": 0, "area": 0}  # due today: not overdue yet
    go_to(clock, 1)
    assert services.care_overdue_escalate() == {"group": 1, "area": 0}
    assert services.care_overdue_escalate() == {"group": 0, "area": 0}
    go_to(clock, 2)
    assert services.care_overdue_escalate() == {"group": 0, "area": 0}
    assert care_notices(world.group_leader, "group") == 1
    assert care_notices(world.area_leader, "area") == 0


def test_overdue_care_reaches_the_area_leader_after_three_days_exactly_once(world, clock, plan):
    go_to(clock, 1)
    services.care_overdue_escalate()
    go_to(clock, 3)
    assert services.care_overdue_escalate() == {"group": 0, "area": 1}
    go_to(clock, 4)
    assert services.care_overdue_escalate() == {"group": 0, "area": 0}
    assert care_notices(world.area_leader, "area") == 1
    assert care_notices(world.group_leader, "group") == 1


def test_a_late_first_pass_tells_both_leaders_once(world, clock, plan):
    go_to(clock, 5)  # the job was down for days
    assert services.care_overdue_escalate() == {"group": 1, "area": 1}
    assert services.care_overdue_escalate() == {"group": 0, "area": 0}


def test_the_leaders_are_told_again_when_a_new_due_date_is_missed(world, clock, plan):
    go_to(clock, 1)
    services.care_overdue_escalate()
    go_to(clock, 2)
    log(fresh(plan), "visit")  # greeting due day 5, visit day 9
    assert services.care_overdue_escalate() == {"group": 0, "area": 0}
    go_to(clock, 6)
    assert services.care_overdue_escalate() == {"group": 1, "area": 0}
    assert services.care_overdue_escalate() == {"group": 0, "area": 0}
    assert care_notices(world.group_leader, "group") == 2


def test_a_contact_in_time_stops_the_escalation(world, clock, plan):
    log(plan, "visit")
    go_to(clock, 3)
    log(fresh(plan), "phone")
    go_to(clock, 6)
    assert services.care_overdue_escalate() == {"group": 0, "area": 0}


def test_the_escalation_follows_the_communitys_delays(world, clock, plan):
    rule = services.cadence_rules_for(world.community)["is_elderly_alone"]
    services.cadence_rule_update(
        actor=world.staff,
        rule=rule,
        cared_for=True,
        greeting_days=3,
        visit_days=7,
        group_after_days=2,
        area_after_days=5,
    )
    go_to(clock, 1)
    assert services.care_overdue_escalate() == {"group": 0, "area": 0}
    go_to(clock, 2)
    assert services.care_overdue_escalate() == {"group": 1, "area": 0}
    go_to(clock, 4)
    assert services.care_overdue_escalate() == {"group": 0, "area": 0}
    go_to(clock, 5)
    assert services.care_overdue_escalate() == {"group": 0, "area": 1}


def test_without_a_group_leader_the_communitys_staff_hear_of_it(world, clock):
    resident = make_resident(world.h3, "吴独居", is_elderly_alone=True)  # cell C3: group G2 has no 组长
    plan = CarePlan.objects.get(resident=resident)
    go_to(clock, 1)
    services.care_overdue_escalate()
    assert Notification.objects.filter(user=world.staff, key=f"care-group:{plan.pk}:{DAY0}").exists()


# ---- The daily reminder ----------------------------------------------------------------------------


def test_each_carer_hears_of_their_round_once_a_day(world, clock, plan):
    go_to(clock, 1, hour=7)
    assert services.care_due_remind() == 1
    services.care_due_remind()
    reminders = Notification.objects.filter(user=world.cell_leader, key__startswith="care-due:")
    assert reminders.count() == 1
    assert "1" in reminders.get().message
    go_to(clock, 2, hour=7)
    services.care_due_remind()
    assert reminders.count() == 2
    assert not Notification.objects.filter(user=world.cell_leader_2, key__startswith="care-due:").exists()


def test_a_carer_with_nobody_due_hears_nothing(world, clock, plan):
    log(plan, "visit")
    go_to(clock, 1, hour=7)
    assert services.care_due_remind() == 0


# ---- manage.py care_sync ---------------------------------------------------------------------------


def test_care_sync_starts_missing_plans_and_prints_the_counts(world, capsys):
    resident = Resident.objects.get(household=world.h2)
    Resident.objects.filter(pk=resident.pk).update(is_disabled=True)  # changed behind the services' back
    call_command("care_sync", "--community", world.community.name)
    out = capsys.readouterr().out
    assert world.community.name in out and "1" in out
    assert CarePlan.objects.active().filter(resident=resident).exists()
    call_command("care_sync")
    assert CarePlan.objects.active().count() == 2


def test_a_carer_chosen_by_staff_hands_their_people_back_when_their_post_ends(cast):
    from care.models import CarePlan
    from care.services import care_plan_assign_carer
    from leaders.models import Role
    from leaders.services import appointment_end
    from linli.testing import make_resident
    from notices.models import Notification

    resident = make_resident(cast.h1b, "钱秀兰", is_elderly_alone=True)
    plan = CarePlan.objects.get(resident=resident, ended_on__isnull=True)
    care_plan_assign_carer(actor=cast.staff, plan=plan, carer=cast.group_leader)
    post = cast.group_leader.appointments.get(role=Role.GROUP_LEADER)
    appointment_end(actor=cast.staff, appointment=post, reason="resigned", ended_on=post.started_on)
    plan.refresh_from_db()
    assert plan.carer == cast.cell_leader and not plan.carer_pinned
    assert Notification.objects.filter(user=cast.staff, message__contains="钱秀兰").exists()


def test_a_chosen_carer_still_in_post_elsewhere_in_the_community_keeps_their_people(cast):
    from care.models import CarePlan
    from care.services import care_plan_assign_carer
    from leaders.models import Role
    from leaders.services import appointment_create, appointment_end
    from linli.testing import make_resident

    resident = make_resident(cast.h1b, "钱秀兰", is_elderly_alone=True)
    plan = CarePlan.objects.get(resident=resident, ended_on__isnull=True)
    care_plan_assign_carer(actor=cast.staff, plan=plan, carer=cast.group_leader)
    appointment_create(actor=cast.staff, person=cast.group_leader, role=Role.GRID_WORKER, unit=cast.area)
    post = cast.group_leader.appointments.get(role=Role.GROUP_LEADER)
    appointment_end(actor=cast.staff, appointment=post, reason="resigned", ended_on=post.started_on)
    plan.refresh_from_db()
    assert plan.carer == cast.group_leader and plan.carer_pinned
