import pytest

from linli.testing import CAST_ROLES, CAST_VISIBLE_HOUSEHOLDS
from people.models import Household, Resident
from territory.models import TerritoryUnit


@pytest.mark.parametrize("role", CAST_ROLES)
def test_each_role_sees_exactly_its_households(cast, role):
    user = getattr(cast, role)
    expected = {getattr(cast, name).pk for name in CAST_VISIBLE_HOUSEHOLDS[role]}
    assert set(Household.objects.visible_to(user).values_list("pk", flat=True)) == expected


@pytest.mark.parametrize("role", CAST_ROLES)
def test_residents_follow_their_households(cast, role):
    user = getattr(cast, role)
    households = set(Household.objects.visible_to(user).values_list("pk", flat=True))
    residents = Resident.objects.visible_to(user)
    assert set(residents.values_list("household_id", flat=True)) == households


def test_group_leader_sees_own_group_and_its_cells(cast):
    units = set(TerritoryUnit.objects.visible_to(cast.group_leader))
    assert units == {cast.group, cast.cell, cast.cell2}


def test_ended_appointment_no_longer_grants_visibility(cast):
    from leaders.models import Appointment, EndReason
    from leaders.services import appointment_end

    post = Appointment.objects.get(person=cast.cell_leader)
    appointment_end(actor=cast.staff, appointment=post, reason=EndReason.MOVED_AWAY)
    cast.cell_leader.refresh_from_db()  # a fresh user object, as the next request would have
    visible = set(Household.objects.visible_to(cast.cell_leader).values_list("pk", flat=True))
    assert visible == {cast.h1b.pk}  # only their own home now
