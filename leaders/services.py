"""Appointing, ending and handing over posts. Each function runs in one transaction and keeps history."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leaders.models import BUILDING_ROLES, ESTATE_ROLES, ROLE_UNIT_LEVELS, Appointment, EndReason, Role


def appointment_place_check(role: Role, unit, estate, building) -> None:
    if role in BUILDING_ROLES:
        if building is None or unit or estate:
            raise ValidationError(_("A building leader is appointed to a building."))
    elif role in ESTATE_ROLES:
        if estate is None or unit or building:
            raise ValidationError(_("A property butler is appointed to an estate."))
    else:
        if unit is None or estate or building:
            raise ValidationError(_("This role is appointed to a unit of the territory."))
        if unit.level not in ROLE_UNIT_LEVELS[role]:
            raise ValidationError(_("This role cannot be appointed at this level of the territory."))


@transaction.atomic
def appointment_create(
    *,
    actor,
    person,
    role: Role,
    started_on: datetime.date | None = None,
    unit=None,
    estate=None,
    building=None,
) -> Appointment:
    """Appoint a person to a role over one place. A person may hold several appointments."""
    appointment_place_check(role, unit, estate, building)
    started_on = started_on or timezone.localdate()
    duplicate = (
        Appointment.objects.active(started_on)
        .filter(person=person, role=role, unit=unit, estate=estate, building=building)
        .exists()
    )
    if duplicate:
        raise ValidationError(_("This person already holds this post."))
    appointment = Appointment(
        person=person, role=role, unit=unit, estate=estate, building=building, started_on=started_on
    )
    appointment._history_user = actor
    appointment.save()
    _care_follow(appointment)
    return appointment


def _care_follow(appointment: Appointment) -> None:
    """A cell's 邻长 is its residents' default carer: their care plans follow a change of 邻长."""
    if appointment.role == Role.CELL_LEADER and appointment.unit_id:
        from care.services import care_plans_sync_cells  # care builds on leaders: import late

        care_plans_sync_cells([appointment.unit_id])


@transaction.atomic
def appointment_end(
    *,
    actor,
    appointment: Appointment,
    ended_on: datetime.date | None = None,
    reason: EndReason,
    note: str = "",
) -> Appointment:
    """End a term. The appointment stays, with its end date and reason, as the post's history."""
    ended_on = ended_on or timezone.localdate()
    if appointment.ended_on is not None:
        raise ValidationError(_("This appointment has already ended."))
    if ended_on < appointment.started_on:
        raise ValidationError(_("A term cannot end before it started."))
    appointment.ended_on, appointment.end_reason, appointment.end_note = ended_on, reason, note
    appointment._history_user = actor
    appointment.save()
    _care_follow(appointment)
    return appointment


@transaction.atomic
def appointment_hand_over(
    *,
    actor,
    appointment: Appointment,
    successor,
    reason: EndReason,
    on: datetime.date | None = None,
    note: str = "",
) -> Appointment:
    """End `appointment` and appoint `successor` to the same post from the same day."""
    on = on or timezone.localdate()
    appointment_end(actor=actor, appointment=appointment, ended_on=on, reason=reason, note=note)
    return appointment_create(
        actor=actor,
        person=successor,
        role=appointment.role,
        started_on=on,
        unit=appointment.unit,
        estate=appointment.estate,
        building=appointment.building,
    )
