"""Changes to households and residents. Each function takes the acting user (`actor`), runs in one
transaction, and leaves a history row naming the actor (django-simple-history)."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AccessAction
from audit.services import access_log_record
from people import identity
from people.models import Household, HouseholdStatus, ResidenceStatus, Resident
from territory.models import Entrance, Level, TerritoryUnit
from territory.services import address_clean


def floor_from_room(room: str) -> int | None:
    """Room 1203 is on floor 12, room 502 on floor 5; a room without digits has no known floor."""
    digits = re.match(r"\D*(\d+)", room or "")
    if not digits:
        return None
    number = digits.group(1)
    return int(number[:-2]) if len(number) >= 3 else None


def _as(obj, actor):
    obj._history_user = actor
    return obj


def household_cell_check(
    cell: TerritoryUnit | None, community: TerritoryUnit, status: str = HouseholdStatus.RESIDENT
) -> None:
    """A household's cell lies in its community, and a 空挂户 (not living here) is in no cell."""
    if cell is None:
        return
    if cell.level != Level.CELL or not cell.path.startswith(community.path):
        raise ValidationError(_("The neighbour cell must belong to the household's community."))
    if status == HouseholdStatus.REGISTERED_ONLY:
        raise ValidationError(_("A household registered here but not living here is not placed in a cell."))


@transaction.atomic
def household_create(
    *, actor, entrance: Entrance, room: str, cell: TerritoryUnit | None = None, note: str = ""
) -> Household:
    community = entrance.building.estate.community
    room = address_clean(room)
    household_cell_check(cell, community)
    if Household.objects.filter(entrance=entrance, room=room).exists():
        raise ValidationError(_("A household already lives at this address."))
    household = _as(
        Household(
            community=community,
            entrance=entrance,
            room=room,
            floor=floor_from_room(room),
            cell=cell,
            note=note,
        ),
        actor,
    )
    household.save()
    return household


@transaction.atomic
def household_move(
    *,
    actor,
    household: Household,
    entrance: Entrance | None = None,
    room: str | None = None,
    cell=...,
    note: str | None = None,
) -> Household:
    """Move a household to another address and/or neighbour cell (and update its note).

    The old values stay in its history."""
    entrance = entrance or household.entrance
    room = household.room if room is None else address_clean(room)
    community = entrance.building.estate.community
    if cell is ...:
        # A move to another community leaves the old cell behind.
        cell = household.cell if community.pk == household.community_id else None
    household_cell_check(cell, community, household.status)
    if Household.objects.filter(entrance=entrance, room=room).exclude(pk=household.pk).exists():
        raise ValidationError(_("A household already lives at this address."))
    household.entrance, household.room, household.floor = entrance, room, floor_from_room(room)
    household.community, household.cell = community, cell
    if note is not None:
        household.note = note
    _as(household, actor).save()
    _care_sync(household=household)
    return household


@transaction.atomic
def household_set_status(*, actor, household: Household, status: HouseholdStatus) -> Household:
    """Mark a household 空挂户 (registered, not living here) or back. 空挂户 leave their cell."""
    household.status = status
    if status == HouseholdStatus.REGISTERED_ONLY:
        household.cell = None
    _as(household, actor).save()
    _care_sync(household=household)
    return household


@transaction.atomic
def resident_save(*, actor, resident: Resident, id_number: str | None = None) -> Resident:
    """Create or update a resident. `id_number` (raw) replaces the stored one when given; '' clears it.

    Derived fields are set here: pinyin for search, and birth date and gender read off the ID number.
    """
    from people.search import pinyin_forms

    if id_number is not None:
        if id_number.strip():
            facts = identity.id_number_parse(id_number)
            digest = identity.id_number_digest(facts.number)
            clash = Resident.objects.filter(id_number_digest=digest).exclude(pk=resident.pk).exists()
            if clash:
                raise ValidationError(_("Another resident already has this ID number."))
            resident.set_id_number(facts.number)
            resident.birth_date = facts.birth_date
            resident.gender = facts.gender
        else:
            resident.set_id_number("")
    if resident.phone:
        resident.phone = identity.phone_validate(resident.phone)
    if resident.emergency_contact_phone:
        resident.emergency_contact_phone = identity.phone_validate(resident.emergency_contact_phone)
    resident.name_pinyin, resident.name_initials = pinyin_forms(resident.name)
    _as(resident, actor).save()
    household_status_sync(actor=actor, household=resident.household)
    _care_sync(resident_ids=[resident.pk])
    return resident


def _care_sync(**kwargs) -> None:
    """Care plans follow the registry: start, end or re-point the plans of the residents touched."""
    from care.services import care_plans_sync_for  # care builds on the registry: import late

    care_plans_sync_for(**kwargs)


def household_status_sync(*, actor, household: Household) -> Household:
    """A household whose every member is registered here but lives elsewhere is a 空挂户: it leaves
    its cell and the counts. (The way back is an explicit household_set_status by staff.)"""
    members = list(household.members.values_list("residence_status", flat=True))
    if (
        members
        and household.status != HouseholdStatus.REGISTERED_ONLY
        and all(status == ResidenceStatus.REGISTERED_ONLY for status in members)
    ):
        household_set_status(actor=actor, household=household, status=HouseholdStatus.REGISTERED_ONLY)
    return household


def resident_reveal(*, actor, resident: Resident, field: str, request=None) -> str:
    """The plain value of a masked field, logged with who and when. The caller checks visibility."""
    from accounts.scope import scope_for

    if field == "id_number":
        if not scope_for(actor).can_reveal_id_numbers:
            raise PermissionError(_("Only community staff may reveal ID numbers."))
        value, action = resident.reveal_id_number(), AccessAction.REVEAL_ID_NUMBER
    elif field == "phone":
        value, action = resident.phone, AccessAction.REVEAL_PHONE
    elif field == "emergency_phone":
        value, action = resident.emergency_contact_phone, AccessAction.REVEAL_EMERGENCY_PHONE
    else:
        raise ValueError(field)
    access_log_record(actor=actor, action=action, resident=resident, request=request)
    return value
