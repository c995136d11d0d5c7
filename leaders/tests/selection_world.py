"""Shared builders for the selection tests: staff of community B, linked residents, a reviewed nomination,
an open election. Built on the cast (linli.testing)."""

import datetime

from django.utils import timezone

from leaders.models import REVIEW_CHECKS, ReviewDecision, Role
from leaders.services import appointment_create, election_open, nomination_recommend, nomination_review
from linli.testing import UserFactory, make_household, make_resident

ALL_MET = {name: True for name, _label in REVIEW_CHECKS}


def staff_of_b(cast):
    user = UserFactory(username="staff_b", full_name="和平社区工作者")
    appointment_create(actor=None, person=user, role=Role.COMMUNITY_STAFF, unit=cast.other_community)
    return user


def linked_resident(household, name, **fields):
    """A resident of `household` with an account linked to their record (they can log in and vote)."""
    resident = make_resident(household, name, **fields)
    return UserFactory(full_name=name, resident=resident)


def resident_without_account(cast, name="赵敏", cell=None):
    household = make_household(cell or cast.cell)
    return make_resident(household, name)


def recommended(cast, resident=None, *, unit=None, role=Role.CELL_LEADER):
    resident = resident or resident_without_account(cast)
    return nomination_recommend(actor=cast.staff, unit=unit or cast.cell, role=role, resident=resident)


def approved(cast, nomination):
    nomination_review(
        actor=cast.staff, nomination=nomination, checks=ALL_MET, decision=ReviewDecision.APPROVE
    )
    nomination.refresh_from_db()
    return nomination


def election_in(cast, candidates, *, cell=None, hours=(-1, 48)):
    now = timezone.now()
    return election_open(
        actor=cast.staff,
        cell=cell or cast.cell,
        opens_at=now + datetime.timedelta(hours=hours[0]),
        closes_at=now + datetime.timedelta(hours=hours[1]),
        candidates=candidates,
    )
