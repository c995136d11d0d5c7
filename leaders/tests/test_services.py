"""The rules of appointing, ending and handing over posts."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from leaders.models import Appointment, EndReason, Role
from leaders.services import appointment_create, appointment_end, appointment_hand_over
from linli.testing import UserFactory


@pytest.fixture(autouse=True)
def _messages_in_english():
    """These tests read error messages; they check the English msgids (the Chinese is checked by
    web/tests/test_translations.py)."""
    with translation.override("en"):
        yield


JAN = datetime.date(2024, 1, 1)


def post_of(user, role=Role.CELL_LEADER):
    return Appointment.objects.get(person=user, role=role)


def test_appointment_covers_the_place_from_its_start(cast):
    person = UserFactory()
    appointment = appointment_create(
        actor=cast.staff, person=person, role=Role.CELL_LEADER, unit=cast.cell3, started_on=JAN
    )
    assert (appointment.unit, appointment.started_on, appointment.ended_on) == (cast.cell3, JAN, None)
    assert appointment.history.first().history_user == cast.staff


def test_same_person_cannot_hold_the_same_post_twice(cast):
    with pytest.raises(ValidationError, match="already holds this post"):
        appointment_create(
            actor=cast.staff,
            person=cast.cell_leader,
            role=Role.CELL_LEADER,
            unit=cast.cell,
            started_on=datetime.date(2024, 6, 1),
        )


def test_one_person_may_hold_several_posts(cast):
    appointment_create(actor=cast.staff, person=cast.cell_leader, role=Role.CELL_LEADER, unit=cast.cell3)
    assert Appointment.objects.active().filter(person=cast.cell_leader).count() == 2


def test_role_at_the_wrong_level_is_refused(cast):
    with pytest.raises(ValidationError, match="cannot be appointed at this level"):
        appointment_create(actor=cast.staff, person=UserFactory(), role=Role.AREA_LEADER, unit=cast.cell)


def test_building_leader_needs_a_building(cast):
    with pytest.raises(ValidationError, match="appointed to a building"):
        appointment_create(actor=cast.staff, person=UserFactory(), role=Role.BUILDING_LEADER, unit=cast.cell)


def test_term_cannot_end_before_it_started(cast):
    with pytest.raises(ValidationError, match="cannot end before it started"):
        appointment_end(
            actor=cast.staff,
            appointment=post_of(cast.cell_leader),
            ended_on=JAN - datetime.timedelta(1),
            reason=EndReason.RESIGNED,
        )
    assert post_of(cast.cell_leader).ended_on is None


def test_ended_term_keeps_its_row_with_date_and_reason(cast):
    appointment_end(
        actor=cast.staff,
        appointment=post_of(cast.cell_leader),
        ended_on=datetime.date(2024, 9, 1),
        reason=EndReason.MOVED_AWAY,
        note="搬去儿子家",
    )
    post = post_of(cast.cell_leader)
    assert (post.ended_on, post.end_reason, post.end_note) == (
        datetime.date(2024, 9, 1),
        EndReason.MOVED_AWAY,
        "搬去儿子家",
    )
    assert not post.is_active()


def test_a_term_ends_only_once(cast):
    post = post_of(cast.cell_leader)
    appointment_end(actor=cast.staff, appointment=post, reason=EndReason.ILL)
    with pytest.raises(ValidationError, match="already ended"):
        appointment_end(actor=cast.staff, appointment=post, reason=EndReason.ILL)


def test_successor_starts_the_day_the_predecessor_ends(cast):
    day = datetime.date(2024, 10, 8)
    successor = UserFactory()
    new = appointment_hand_over(
        actor=cast.staff,
        appointment=post_of(cast.cell_leader),
        successor=successor,
        reason=EndReason.ILL,
        on=day,
    )
    old = post_of(cast.cell_leader)
    assert old.ended_on == new.started_on == day
    assert (new.person, new.role, new.unit) == (successor, Role.CELL_LEADER, cast.cell)
    history = Appointment.objects.filter(role=Role.CELL_LEADER, unit=cast.cell).order_by("started_on")
    assert [a.person for a in history] == [cast.cell_leader, successor]


def test_failed_hand_over_leaves_the_post_untouched(cast):
    successor = UserFactory()
    appointment_create(
        actor=cast.staff, person=successor, role=Role.CELL_LEADER, unit=cast.cell, started_on=JAN
    )
    with pytest.raises(ValidationError, match="already holds this post"):
        appointment_hand_over(
            actor=cast.staff,
            appointment=post_of(cast.cell_leader),
            successor=successor,
            reason=EndReason.ILL,
            on=datetime.date(2024, 10, 8),
        )
    assert post_of(cast.cell_leader).ended_on is None
