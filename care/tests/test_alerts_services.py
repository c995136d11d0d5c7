"""Welfare alerts, the rules (care.services_alerts): who is told, merging, the checklist and its timing,
who may act, the public raise, finding a home by room, and the figures."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from care import services_alerts as services
from care.models import AlertEntry, AlertOutcome, AlertReason, AlertStep, CarePlan, WelfareAlert
from leaders.models import Role
from leaders.services import appointment_create
from linli.testing import UserFactory, make_household
from notices.models import ChannelKind, Notification, OutboundChannel, OutboundMessage
from territory.models import Building
from territory.services import entrance_get_or_create

SHANGHAI = ZoneInfo("Asia/Shanghai")
NINE = datetime.datetime(2025, 3, 10, 9, 0, tzinfo=SHANGHAI)
NEIGHBOUR_PHONE = "13712345678"
START = datetime.date(2024, 1, 1)


def at(minutes: int) -> datetime.datetime:
    return NINE + datetime.timedelta(minutes=minutes)


def building_of(household) -> Building:
    return Building.objects.get(entrances__households=household)


def appoint(role, **place):
    person = UserFactory(full_name=f"{role}-person", phone="13600000000")
    appointment_create(actor=None, person=person, role=role, started_on=START, **place)
    return person


def the_carer(cast):
    """A carer for 张桂莲 (h1) chosen by staff: not the cell's 邻长."""
    carer = UserFactory(full_name="护理员", phone="13500000000")
    CarePlan.objects.filter(resident__household=cast.h1).update(carer=carer, carer_pinned=True)
    return carer


def the_butler(cast):
    """The property butler of 阳光小区 (the estate of h1, h1b, h2)."""
    return appoint(Role.PROPERTY_BUTLER, estate=building_of(cast.h1).estate)


def raise_alert(cast, household=None, actor="cell_leader", **fields):
    fields.setdefault("reason", AlertReason.NOT_SEEN)
    user = getattr(cast, actor) if isinstance(actor, str) else actor
    return services.welfare_alert_raise(actor=user, household=household or cast.h1, **fields)


def raise_public(cast, household=None, phone=NEIGHBOUR_PHONE, **fields):
    fields.setdefault("reason", AlertReason.NO_ANSWER)
    return services.welfare_alert_raise(
        actor=None, household=household or cast.h1, raiser_name="欧阳秀英", raiser_phone=phone, **fields
    )


def told(alert) -> set[str]:
    return set(alert.responders.values_list("username", flat=True))


def notified(alert) -> set[str]:
    url = reverse("care:alert_detail", args=[alert.pk])
    return set(Notification.objects.filter(url=url).values_list("user__username", flat=True))


# ---- Who is told ---------------------------------------------------------------------------------


def test_raising_tells_carer_leaders_staff_butler_and_building_leader_and_nobody_else(cast):
    carer = the_carer(cast)
    butler = the_butler(cast)
    building_leader = appoint(Role.BUILDING_LEADER, building=building_of(cast.h1))
    staff_b = appoint(Role.COMMUNITY_STAFF, unit=cast.other_community)
    appoint(Role.PROPERTY_BUTLER, estate=building_of(cast.hb).estate)
    alert = raise_alert(cast, actor="cell_leader_2")
    expected = {
        carer.username,
        "cell_leader",
        "group_leader",
        "area_leader",
        "staff",
        butler.username,
        building_leader.username,
    }
    assert told(alert) == expected
    assert notified(alert) == expected
    assert staff_b.username not in notified(alert)
    assert not {"cell_leader_2", "street_admin", "building_leader", "outsider"} & notified(alert)


def test_the_raiser_is_not_told_even_when_they_answer_for_the_home(cast):
    alert = raise_alert(cast, actor="cell_leader")
    assert "cell_leader" not in told(alert) | notified(alert)
    assert {"group_leader", "area_leader", "staff"} <= notified(alert)


def test_ended_appointments_are_not_told(cast):
    from leaders.models import Appointment
    from leaders.services import appointment_end

    appointment = Appointment.objects.get(person=cast.group_leader, role=Role.GROUP_LEADER)
    appointment_end(
        actor=None, appointment=appointment, ended_on=datetime.date(2024, 6, 1), reason="resigned"
    )
    alert = raise_alert(cast, actor="cell_leader_2")
    assert "group_leader" not in told(alert)


def test_household_without_a_cell_tells_the_community(cast):
    alert = raise_alert(cast, household=cast.h_unplaced, actor="street_admin")
    assert told(alert) == {"staff"}


def test_notification_names_the_person_and_the_address(cast):
    with translation.override("en"):
        alert = raise_alert(cast, actor="cell_leader_2", resident=cast.h1.members.get())
    message = Notification.objects.get(user=cast.staff).message
    assert "张桂莲" in message and "101" in message and "Not seen for days" in message
    assert alert.resident.name == "张桂莲"


def test_outbound_message_queued_with_address_and_reason_but_no_phone_or_name(cast):
    OutboundChannel.objects.create(
        community=cast.community, kind=ChannelKind.WECOM, name="社区群", target="http://127.0.0.1:9/robot"
    )
    with translation.override("en"):
        alert = raise_public(cast, resident=cast.h1.members.get(), description="敲门没人应 13900001111")
    message = OutboundMessage.objects.get(key=f"alert:{alert.pk}")
    assert "阳光小区 1栋 1单元 101" in message.body and "No answer at the door" in message.body
    assert not re.search(r"1[3-9]\d{9}", message.title + message.body)
    assert "张桂莲" not in message.body and "欧阳秀英" not in message.body


def test_no_outbound_message_when_the_community_has_no_channel(cast):
    OutboundChannel.objects.create(
        community=cast.other_community, kind=ChannelKind.EMAIL, name="B", target="b@example.org"
    )
    raise_alert(cast)
    assert not OutboundMessage.objects.exists()


# ---- Duplicates ----------------------------------------------------------------------------------


def test_second_alert_within_two_hours_joins_the_open_one(cast):
    with time_machine.travel(NINE, tick=False):
        first = raise_alert(cast, actor="cell_leader_2")
    with time_machine.travel(at(119), tick=False), translation.override("en"):
        second = raise_public(cast, reason=AlertReason.FELL, description="听到有人喊")
    assert second.pk == first.pk and second.merged
    assert WelfareAlert.objects.count() == 1
    note = AlertEntry.objects.get(alert=first)
    assert "Fell" in note.note and "听到有人喊" in note.note and note.step == ""
    assert Notification.objects.filter(user=cast.staff).count() == 2  # the alert, then the second report


def test_alert_more_than_two_hours_later_is_a_new_one(cast):
    with time_machine.travel(NINE, tick=False):
        first = raise_alert(cast)
    with time_machine.travel(at(121), tick=False):
        second = raise_alert(cast)
    assert second.pk != first.pk and not second.merged


def test_alert_after_the_open_one_closed_is_a_new_one(cast):
    first = raise_alert(cast)
    services.welfare_alert_close(actor=cast.staff, alert=first, outcome=AlertOutcome.WELL, note="")
    second = raise_alert(cast)
    assert second.pk != first.pk


# ---- The checklist and its timing ----------------------------------------------------------------


def test_first_response_and_close_are_timed(cast):
    with time_machine.travel(NINE, tick=False):
        alert = raise_alert(cast, actor="cell_leader_2")
    with time_machine.travel(at(12), tick=False):
        services.welfare_alert_step(actor=cast.cell_leader, alert=alert, step=AlertStep.KNOCKED)
    with time_machine.travel(at(40), tick=False):
        services.welfare_alert_step(actor=cast.staff, alert=alert, step=AlertStep.FAMILY)
    with time_machine.travel(at(65), tick=False):
        services.welfare_alert_close(
            actor=cast.staff, alert=alert, outcome=AlertOutcome.HOSPITAL, note="住院了"
        )
    alert.refresh_from_db()
    assert alert.minutes_to_first_response == 12 and alert.first_responder == cast.cell_leader
    assert alert.minutes_to_close == 65 and alert.closed_by == cast.staff
    assert not alert.response_late
    steps = list(alert.entries.values_list("step", "at"))
    assert steps == [(AlertStep.KNOCKED, at(12)), (AlertStep.FAMILY, at(40))]


def test_first_response_after_the_target_is_late(cast):
    with time_machine.travel(NINE, tick=False):
        alert = raise_alert(cast, actor="cell_leader_2")
    with time_machine.travel(at(31), tick=False):
        services.welfare_alert_note(actor=cast.group_leader, alert=alert, note="在路上")
    alert.refresh_from_db()
    assert alert.minutes_to_first_response == 31 and alert.response_late


def test_the_raisers_own_steps_are_not_the_first_response(cast):
    with time_machine.travel(NINE, tick=False):
        alert = raise_alert(cast, actor="cell_leader")
    with time_machine.travel(at(5), tick=False):
        services.welfare_alert_step(actor=cast.cell_leader, alert=alert, step=AlertStep.KNOCKED)
    alert.refresh_from_db()
    assert alert.first_response_at is None
    with time_machine.travel(at(20), tick=False):
        services.welfare_alert_step(actor=cast.group_leader, alert=alert, step=AlertStep.CALLED)
    alert.refresh_from_db()
    assert alert.minutes_to_first_response == 20


def test_a_step_done_twice_is_refused_saying_when_and_by_whom(cast):
    alert = raise_alert(cast, actor="cell_leader_2")
    with time_machine.travel(at(3), tick=False):
        services.welfare_alert_step(actor=cast.cell_leader, alert=alert, step=AlertStep.KNOCKED)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.welfare_alert_step(actor=cast.staff, alert=alert, step=AlertStep.KNOCKED)
    assert "王建国" in refused.value.messages[0] and "Knocked at the door" in refused.value.messages[0]
    assert alert.entries.count() == 1


def test_a_closed_alert_refuses_steps(cast):
    alert = raise_alert(cast)
    services.welfare_alert_close(actor=cast.staff, alert=alert, outcome=AlertOutcome.FALSE_ALARM, note="")
    with pytest.raises(ValidationError):
        services.welfare_alert_step(actor=cast.staff, alert=alert, step=AlertStep.CALLED)
    assert not alert.entries.exists()


def test_an_unknown_step_is_refused(cast):
    alert = raise_alert(cast)
    with pytest.raises(ValidationError):
        services.welfare_alert_step(actor=cast.staff, alert=alert, step="danced")


def test_close_needs_an_outcome(cast):
    alert = raise_alert(cast)
    with pytest.raises(ValidationError):
        services.welfare_alert_close(actor=cast.staff, alert=alert, outcome="", note="")
    alert.refresh_from_db()
    assert alert.is_open


def test_close_as_other_needs_what_happened(cast):
    alert = raise_alert(cast)
    with pytest.raises(ValidationError):
        services.welfare_alert_close(actor=cast.staff, alert=alert, outcome=AlertOutcome.OTHER, note=" ")


def test_an_alert_is_closed_once(cast):
    alert = raise_alert(cast)
    services.welfare_alert_close(actor=cast.staff, alert=alert, outcome=AlertOutcome.WELL, note="")
    with pytest.raises(ValidationError):
        services.welfare_alert_close(actor=cast.area_leader, alert=alert, outcome=AlertOutcome.WELL, note="")


def test_closing_tells_the_responders_and_the_logged_in_raiser(cast):
    alert = raise_alert(cast, household=cast.h2, actor="resident")
    services.welfare_alert_close(actor=cast.staff, alert=alert, outcome=AlertOutcome.WITH_FAMILY, note="")
    closed = set(
        Notification.objects.filter(key=f"alert-closed:{alert.pk}").values_list("user__username", flat=True)
    )
    assert closed == (told(alert) | {"resident"}) - {"staff"}


# ---- Who may act ---------------------------------------------------------------------------------


def test_a_resident_who_only_raised_it_may_add_notes_only(cast):
    alert = raise_alert(cast, household=cast.h2, actor="resident")
    assert services.alert_access(cast.resident, alert) == services.NOTE
    with pytest.raises(PermissionDenied):
        services.welfare_alert_step(actor=cast.resident, alert=alert, step=AlertStep.KNOCKED)
    with pytest.raises(PermissionDenied):
        services.welfare_alert_close(actor=cast.resident, alert=alert, outcome=AlertOutcome.WELL, note="")
    services.welfare_alert_note(actor=cast.resident, alert=alert, note="灯一直没开")
    alert.refresh_from_db()
    assert alert.first_response_at is None
    assert Notification.objects.filter(user=cast.cell_leader_2, message__contains="灯一直没开").exists()


def test_someone_told_may_act_outside_their_patch(cast):
    butler = the_butler(cast)
    alert = raise_alert(cast)
    assert services.alert_access(butler, alert) == services.ACT
    services.welfare_alert_step(actor=butler, alert=alert, step=AlertStep.PROPERTY)
    alert.refresh_from_db()
    assert alert.first_responder == butler


def test_someone_neither_told_nor_in_the_patch_may_not_act(cast):
    alert = raise_alert(cast)
    assert services.alert_access(cast.cell_leader_2, alert) is None
    with pytest.raises(PermissionDenied):
        services.welfare_alert_note(actor=cast.cell_leader_2, alert=alert, note="?")


# ---- Raising: what is checked --------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["", "12345", "23812345678"])
def test_a_public_raise_needs_a_valid_mobile(cast, phone):
    with pytest.raises(ValidationError):
        raise_public(cast, phone=phone)
    assert not WelfareAlert.objects.exists()


def test_a_public_raise_keeps_the_normalised_phone_and_name(cast):
    alert = raise_public(cast, phone="+86 137-1234-5678")
    assert alert.raiser_phone == NEIGHBOUR_PHONE and alert.raiser_name == "欧阳秀英"
    assert alert.raised_by is None


def test_the_person_must_live_in_the_household(cast):
    with pytest.raises(ValidationError):
        raise_alert(cast, resident=cast.h2.members.get())
    assert not WelfareAlert.objects.exists()


def test_an_unknown_reason_is_refused(cast):
    with pytest.raises(ValidationError):
        raise_alert(cast, reason="bored")


def test_public_raises_are_limited_per_phone_number(cast):
    with time_machine.travel(NINE, tick=False):
        for household in (cast.h1, cast.h1b, cast.h2):
            raise_public(cast, household=household)
        with pytest.raises(ValidationError):
            raise_public(cast, household=cast.h3)
    assert WelfareAlert.objects.count() == 3
    with time_machine.travel(at(61), tick=False):
        raise_public(cast, household=cast.h3)


def test_public_raises_are_limited_per_building(cast):
    import service_requests.photos as limits

    phones = iter(f"1390000{n:04d}" for n in range(100))
    homes = [
        make_household(cast.cell, room=f"6{n:02d}") for n in range(limits.ANONYMOUS_PER_BUILDING_PER_HOUR)
    ]
    with time_machine.travel(NINE, tick=False):
        for home in homes:
            raise_public(cast, household=home, phone=next(phones))
        with pytest.raises(ValidationError):
            raise_public(cast, household=cast.h1, phone=next(phones))


# ---- Finding the home from a room number ---------------------------------------------------------


@pytest.mark.parametrize("text", ["101", " 101室 ", "１０１", "1单元101", "1-101"])
def test_a_room_is_found_in_its_building(cast, text):
    assert services.alert_household_find(building=building_of(cast.h1), room_text=text) == cast.h1


def test_an_unknown_room_says_so(cast):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.alert_household_find(building=building_of(cast.h1), room_text="999")
    assert "cannot find room 999" in refused.value.messages[0]


def test_a_room_in_two_entrances_asks_for_the_entrance(cast):
    entrance, _created = entrance_get_or_create(
        community=cast.community, estate_name="阳光小区", building_name="1栋", entrance_name="2单元"
    )
    from people.services import household_create

    other = household_create(actor=None, entrance=entrance, room="101", cell=cast.cell)
    building = building_of(cast.h1)
    with pytest.raises(ValidationError):
        services.alert_household_find(building=building, room_text="101")
    assert services.alert_household_find(building=building, room_text="2单元101") == other
    assert services.alert_household_find(building=building, room_text="2-101") == other
    assert services.alert_household_find(building=building, room_text="1单元 101") == cast.h1


def test_a_room_of_another_building_is_not_found(cast):
    with pytest.raises(ValidationError):
        services.alert_household_find(building=building_of(cast.h1), room_text="301")  # h3 is in 2栋


# ---- Figures -------------------------------------------------------------------------------------


def test_alert_figures_from_known_timings(cast, django_assert_num_queries):
    """Four alerts: answered after 10 and 40 minutes (closed after 60 and 120), one open and unanswered
    for 50 minutes (late), one open and unanswered for 5 minutes (not yet due)."""
    with time_machine.travel(NINE, tick=False):
        a = raise_alert(cast, household=cast.h1, actor="cell_leader_2")
        b = raise_alert(cast, household=cast.h2, actor="cell_leader")
    with time_machine.travel(at(10), tick=False):
        services.welfare_alert_step(actor=cast.cell_leader, alert=a, step=AlertStep.KNOCKED)
    with time_machine.travel(at(40), tick=False):
        services.welfare_alert_step(actor=cast.cell_leader_2, alert=b, step=AlertStep.KNOCKED)
    with time_machine.travel(at(60), tick=False):
        services.welfare_alert_close(actor=cast.staff, alert=a, outcome=AlertOutcome.WELL, note="")
    with time_machine.travel(at(70), tick=False):
        raise_alert(cast, household=cast.h3, actor="staff")
    with time_machine.travel(at(115), tick=False):
        raise_alert(cast, household=cast.h1b, actor="staff")
    with time_machine.travel(at(120), tick=False):
        services.welfare_alert_close(actor=cast.staff, alert=b, outcome=AlertOutcome.WELL, note="")
    with django_assert_num_queries(1):
        figures = services.alert_figures(WelfareAlert.objects.all(), now=at(120))
    assert (figures.count, figures.open, figures.closed, figures.responded) == (4, 2, 2, 2)
    assert figures.median_response_minutes == 25 and figures.mean_response_minutes == 25
    assert figures.median_close_minutes == 90 and figures.mean_close_minutes == 90
    # answered in time: a (10 min); due: a, b (40 min), and the one waiting 50 minutes → 1 of 3
    assert figures.within_target_percent == 33


def test_alert_figures_of_nothing(db):
    figures = services.alert_figures(WelfareAlert.objects.none())
    assert (
        figures.count == 0 and figures.median_response_minutes is None and figures.within_target_share is None
    )


def test_someone_told_keeps_an_alert_only_while_in_post_and_until_a_day_after_it_closes(cast):
    import datetime

    import time_machine
    from django.utils import timezone

    from care.models import WelfareAlert
    from care.services_alerts import alert_access, welfare_alert_close, welfare_alert_raise
    from leaders.models import Role
    from leaders.services import appointment_create, appointment_end
    from linli.testing import UserFactory

    butler = UserFactory(full_name="物管家")
    estate = cast.h1.entrance.building.estate
    post = appointment_create(actor=cast.staff, person=butler, role=Role.PROPERTY_BUTLER, estate=estate)
    alert = welfare_alert_raise(actor=cast.cell_leader, household=cast.h1, reason="no_answer")
    assert WelfareAlert.objects.visible_to(butler).filter(pk=alert.pk).exists()
    welfare_alert_close(actor=cast.staff, alert=alert, outcome="well", note="")
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=23)):
        butler = type(butler).objects.get(pk=butler.pk)
        assert alert_access(butler, alert) is not None
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
        butler = type(butler).objects.get(pk=butler.pk)
        assert not WelfareAlert.objects.visible_to(butler).filter(pk=alert.pk).exists()
        assert alert_access(butler, alert) is None
    second = welfare_alert_raise(actor=cast.cell_leader, household=cast.h1b, reason="not_seen")
    appointment_end(actor=cast.staff, appointment=post, reason="resigned", ended_on=post.started_on)
    butler = type(butler).objects.get(pk=butler.pk)
    assert not WelfareAlert.objects.visible_to(butler).filter(pk=second.pk).exists()
    assert alert_access(butler, second) is None
