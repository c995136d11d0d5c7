"""Appointing, ending and handing over posts, and the selection that leads to them. Each function runs
in one transaction and keeps history.

Selection: how a post is filled (DOMAIN.md §5). Each selection function is one transition of the
machines below; any other move is refused with a ValidationError saying why, and acting on another
community's selection with PermissionDenied.

Nomination (status):

    (new) ──nomination_self_create / nomination_recommend / election_publish──▶ PROPOSED
    PROPOSED ──nomination_review(approve: every checklist item met)──▶ APPROVED
    PROPOSED ──nomination_review(reject, with a reason)──▶ REJECTED          (final)
    APPROVED ──nomination_appoint (creates the Appointment, or hands the post over)──▶ APPOINTED (final)
    PROPOSED | APPROVED ──nomination_withdraw──▶ WITHDRAWN                    (final)

- self-nomination: a logged-in resident for the 邻长 post of their own cell (they live there);
- recommendation: community staff, for a leader's post on a unit of their community;
- election: staff open it for a cell with candidates living there (election_open → OPEN); each household
  votes once, through a logged-in member living there, while it is open and within its period
  (election_vote); staff close it (election_close → CLOSED) and publish the results (election_publish →
  PUBLISHED): a single winner becomes a PROPOSED nomination, to be reviewed like any other. A tie or no
  vote publishes without a winner. OPEN ──election_cancel──▶ CANCELLED.

Appointing ends nobody's term unless asked: with `replaces`, the holder's term ends and the nominee
succeeds them through appointment_hand_over, so the post's history keeps both appointments.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leaders.models import (
    BUILDING_ROLES,
    ESTATE_ROLES,
    NOMINATION_ROLES,
    REVIEW_CHECKS,
    ROLE_UNIT_LEVELS,
    Appointment,
    Attendance,
    Election,
    ElectionCandidate,
    ElectionStatus,
    EndReason,
    Nomination,
    NominationSource,
    NominationStatus,
    QualificationReview,
    ReviewDecision,
    Role,
    Training,
    Vote,
)
from territory.models import Level


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
    term_ends_on: datetime.date | None = None,
) -> Appointment:
    """Appoint a person to a role over one place, for a term ending on `term_ends_on` (none: open-ended).
    A person may hold several appointments."""
    appointment_place_check(role, unit, estate, building)
    started_on = started_on or timezone.localdate()
    if term_ends_on is not None and term_ends_on <= started_on:
        raise ValidationError(_("The term must end after it starts."))
    duplicate = (
        Appointment.objects.active(started_on)
        .filter(person=person, role=role, unit=unit, estate=estate, building=building)
        .exists()
    )
    if duplicate:
        raise ValidationError(_("This person already holds this post."))
    appointment = Appointment(
        person=person,
        role=role,
        unit=unit,
        estate=estate,
        building=building,
        started_on=started_on,
        term_ends_on=term_ends_on,
    )
    appointment._history_user = actor
    appointment.save()
    _care_follow(appointment)
    return appointment


def _care_follow(appointment: Appointment) -> None:
    """A cell's 邻长 is its residents' default carer: their care plans follow a change of 邻长. Someone
    staff chose as a carer hands their people back when their last post in that community ends."""
    from care.services import care_plans_release_carer, care_plans_sync_cells  # care builds on leaders

    if appointment.role == Role.CELL_LEADER and appointment.unit_id:
        care_plans_sync_cells([appointment.unit_id])
    if appointment.ended_on is not None and appointment.ended_on <= timezone.localdate():
        care_plans_release_carer(appointment.person)


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
    term_ends_on: datetime.date | None = None,
) -> Appointment:
    """End `appointment` and appoint `successor` to the same post from the same day (for a term ending
    on `term_ends_on`, if given)."""
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
        term_ends_on=term_ends_on,
    )


# --- Selection: nominate, review, appoint (the state machine is in the module docstring) -------------


def _require_staff(actor, community_id: int) -> None:
    """Only the community's staff (or its street's) act on its selection; actor None is the system."""
    from accounts.scope import scope_for

    if actor is not None and not scope_for(actor).can_manage_community(community_id):
        raise PermissionDenied(_("Only the staff of this community may do this."))


def resident_lives_in(resident, unit) -> bool:
    """Whether the resident actually lives in the unit: alive, not 空挂, their household living here and
    placed in a cell at or under the unit (the registry's answer to the checklist's last item)."""
    from people.models import HouseholdStatus, ResidenceStatus

    household = resident.household
    return (
        resident.died_on is None
        and resident.residence_status != ResidenceStatus.REGISTERED_ONLY
        and household.status == HouseholdStatus.RESIDENT
        and household.cell_id is not None
        and household.cell.path.startswith(unit.path)
    )


def nomination_lives_in_unit(nomination: Nomination) -> bool | None:
    """The registry's prefill for "actually lives in the patch"; None when the nominee has no resident
    record (a community worker nominated as 片长: staff check by hand)."""
    resident = nomination.resident or (nomination.user.resident if nomination.user_id else None)
    if resident is None:
        return None
    return resident_lives_in(resident, nomination.unit)


def _nomination_check_open_duplicate(*, unit, role, resident, user) -> None:
    open_ones = Nomination.objects.open().filter(unit=unit, role=role)
    if resident is not None and open_ones.filter(resident=resident).exists():
        raise ValidationError(_("This person already has a nomination for this post under way."))
    if user is not None and open_ones.filter(user=user).exists():
        raise ValidationError(_("This person already has a nomination for this post under way."))


def _holds_post(*, user, role, unit) -> bool:
    return (
        user is not None and Appointment.objects.active().filter(person=user, role=role, unit=unit).exists()
    )


def _account_of(resident):
    from accounts.models import User

    return User.objects.filter(resident=resident).first() if resident is not None else None


@transaction.atomic
def nomination_self_create(*, actor, statement: str = "") -> Nomination:
    """A logged-in resident puts themselves forward as the 邻长 of the cell they live in."""
    from people.models import Resident

    if actor is None or not actor.is_authenticated or not actor.resident_id:
        raise ValidationError(_("Only a resident linked to their household can nominate themselves."))
    resident = Resident.objects.select_related("household__cell").get(pk=actor.resident_id)
    cell = resident.household.cell
    if cell is None or not resident_lives_in(resident, cell):
        raise ValidationError(
            _("Your household is not yet in a neighbour cell, or is not recorded as living here.")
        )
    if _holds_post(user=actor, role=Role.CELL_LEADER, unit=cell):
        raise ValidationError(_("You already are the neighbour leader of your cell."))
    _nomination_check_open_duplicate(unit=cell, role=Role.CELL_LEADER, resident=resident, user=actor)
    nomination = Nomination(
        community_id=cell.community_id_from_path(),
        unit=cell,
        role=Role.CELL_LEADER,
        resident=resident,
        user=actor,
        source=NominationSource.SELF,
        statement=statement.strip(),
        created_by=actor,
    )
    nomination._history_user = actor
    nomination.save()
    return nomination


@transaction.atomic
def nomination_recommend(
    *, actor, unit, role: Role, resident=None, user=None, statement: str = ""
) -> Nomination:
    """The community recommends a person (a resident, or a user such as a community worker) for a post."""
    if role not in NOMINATION_ROLES:
        raise ValidationError(_("Nobody is nominated to this role."))
    appointment_place_check(role, unit, None, None)
    community_id = unit.community_id_from_path()
    if community_id is None:
        raise ValidationError(_("Choose a unit within a community."))
    _require_staff(actor, community_id)
    if resident is None and user is None:
        raise ValidationError(_("Choose the person to nominate."))
    if resident is not None and resident.household.community_id != community_id:
        raise ValidationError(_("The nominee must live in this community."))
    if user is None and resident is not None:
        user = _account_of(resident)
    if resident is None and user is not None and user.resident_id:
        resident = user.resident
    if _holds_post(user=user, role=role, unit=unit):
        raise ValidationError(_("This person already holds this post."))
    _nomination_check_open_duplicate(unit=unit, role=role, resident=resident, user=user)
    nomination = Nomination(
        community_id=community_id,
        unit=unit,
        role=role,
        resident=resident,
        user=user,
        source=NominationSource.RECOMMENDATION,
        statement=statement.strip(),
        created_by=actor,
    )
    nomination._history_user = actor
    nomination.save()
    return nomination


def _nomination_lock(nomination: Nomination) -> Nomination:
    """Re-read the nomination under a row lock, so two clicks cannot both move it on."""
    locked = Nomination.objects.select_for_update().get(pk=nomination.pk)
    nomination.status = locked.status
    return nomination


@transaction.atomic
def nomination_withdraw(*, actor, nomination: Nomination, note: str = "") -> Nomination:
    """The nominee or the community withdraws a nomination still under way."""
    nomination = _nomination_lock(nomination)
    own = actor is not None and (
        nomination.user_id == actor.pk or (actor.resident_id and nomination.resident_id == actor.resident_id)
    )
    if not own:
        _require_staff(actor, nomination.community_id)
    if not nomination.is_open:
        raise ValidationError(_("This nomination is no longer under way."))
    nomination.status, nomination.status_note = NominationStatus.WITHDRAWN, note.strip()
    nomination._history_user = actor
    nomination.save()
    return nomination


@transaction.atomic
def nomination_review(
    *,
    actor,
    nomination: Nomination,
    checks: dict[str, bool],
    notes: dict[str, str] | None = None,
    decision: ReviewDecision,
    reason: str = "",
    reviewed_on: datetime.date | None = None,
) -> QualificationReview:
    """Record the qualification review and decide: approve only when every item of the checklist is met;
    reject with a reason."""
    nomination = _nomination_lock(nomination)
    _require_staff(actor, nomination.community_id)
    if nomination.status != NominationStatus.PROPOSED:
        raise ValidationError(_("This nomination is not awaiting review."))
    notes = notes or {}
    reason = reason.strip()
    missing = [str(label) for name, label in REVIEW_CHECKS if not checks.get(name)]
    if decision == ReviewDecision.APPROVE and missing:
        raise ValidationError(
            _("Approve only when every item is met. Not met: %(items)s.") % {"items": "、".join(missing)}
        )
    if decision == ReviewDecision.REJECT and not reason:
        raise ValidationError(_("Give the reason for rejecting."))
    review = QualificationReview(
        nomination=nomination,
        reviewer=actor,
        reviewed_on=reviewed_on or timezone.localdate(),
        decision=decision,
        reason=reason,
    )
    for name, _label in REVIEW_CHECKS:
        setattr(review, name, bool(checks.get(name)))
        setattr(review, f"{name}_note", (notes.get(name) or "").strip()[:200])
    review._history_user = actor
    review.save()
    nomination.status = (
        NominationStatus.APPROVED if decision == ReviewDecision.APPROVE else NominationStatus.REJECTED
    )
    nomination._history_user = actor
    nomination.save()
    return review


def nomination_person(*, actor, nomination: Nomination):
    """The user to appoint: the nominee's own, or a new one created for their resident record."""
    from accounts.services import person_create

    if nomination.user_id:
        return nomination.user
    user = _account_of(nomination.resident)
    if user is None:
        resident = nomination.resident
        user = person_create(actor=actor, full_name=resident.name, phone=resident.phone, resident=resident)
    return user


@transaction.atomic
def nomination_appoint(
    *,
    actor,
    nomination: Nomination,
    started_on: datetime.date | None = None,
    term_ends_on: datetime.date | None = None,
    replaces: Appointment | None = None,
    end_reason: EndReason | None = None,
    end_note: str = "",
) -> Appointment:
    """Appoint an approved nominee for a term. With `replaces` (an active holder of the same post), the
    holder's term ends for `end_reason` and the nominee succeeds them (appointment_hand_over)."""
    nomination = _nomination_lock(nomination)
    _require_staff(actor, nomination.community_id)
    if nomination.status != NominationStatus.APPROVED:
        raise ValidationError(_("Only an approved nomination can be appointed."))
    started_on = started_on or timezone.localdate()
    person = nomination_person(actor=actor, nomination=nomination)
    if replaces is not None:
        if (
            replaces.role != nomination.role
            or replaces.unit_id != nomination.unit_id
            or not replaces.is_active(started_on)
        ):
            raise ValidationError(_("The person replaced must hold this post on the start date."))
        if replaces.person_id == person.pk:
            raise ValidationError(_("The successor must be someone else."))
        if not end_reason:
            raise ValidationError(_("Say why the present holder's term ends."))
        appointment = appointment_hand_over(
            actor=actor,
            appointment=replaces,
            successor=person,
            reason=end_reason,
            on=started_on,
            note=end_note,
            term_ends_on=term_ends_on,
        )
    else:
        appointment = appointment_create(
            actor=actor,
            person=person,
            role=nomination.role,
            started_on=started_on,
            unit=nomination.unit,
            term_ends_on=term_ends_on,
        )
    nomination.status, nomination.appointment, nomination.user = (
        NominationStatus.APPOINTED,
        appointment,
        person,
    )
    nomination._history_user = actor
    nomination.save()
    return appointment


# --- Elections ------------------------------------------------------------------------------------------


def cell_voters_q():
    """Residents who may vote or stand in their cell: alive, not 空挂, in a household living here."""
    from django.db.models import Q

    from people.models import HouseholdStatus, ResidenceStatus

    return Q(died_on__isnull=True, household__status=HouseholdStatus.RESIDENT) & ~Q(
        residence_status=ResidenceStatus.REGISTERED_ONLY
    )


@transaction.atomic
def election_open(
    *, actor, cell, opens_at: datetime.datetime, closes_at: datetime.datetime, candidates
) -> Election:
    """Staff open an election of the cell's 邻长 with candidates who live in the cell."""
    from people.models import Resident

    if cell.level != Level.CELL:
        raise ValidationError(_("Elections are held in a neighbour cell."))
    community_id = cell.community_id_from_path()
    _require_staff(actor, community_id)
    if closes_at <= opens_at:
        raise ValidationError(_("Voting must close after it opens."))
    if closes_at <= timezone.now():
        raise ValidationError(_("Voting must close in the future."))
    candidate_ids = {resident.pk for resident in candidates}
    if not candidate_ids:
        raise ValidationError(_("Choose at least one candidate."))
    living = set(
        Resident.objects.filter(cell_voters_q(), pk__in=candidate_ids, household__cell=cell).values_list(
            "pk", flat=True
        )
    )
    if living != candidate_ids:
        raise ValidationError(_("Every candidate must live in this cell."))
    if Election.objects.select_for_update().filter(unit=cell, status=ElectionStatus.OPEN).exists():
        raise ValidationError(_("This cell already has an election open."))
    election = Election(
        community_id=community_id, unit=cell, opens_at=opens_at, closes_at=closes_at, created_by=actor
    )
    election._history_user = actor
    election.save()
    ElectionCandidate.objects.bulk_create(
        [ElectionCandidate(election=election, resident_id=pk) for pk in sorted(candidate_ids)]
    )
    return election


def _election_lock(election: Election) -> Election:
    locked = Election.objects.select_for_update().get(pk=election.pk)
    election.status = locked.status
    return election


@transaction.atomic
def election_vote(*, actor, election: Election, candidate: ElectionCandidate) -> Vote:
    """A household votes, through one logged-in member who lives there (adult where the birth date is
    known), while the election is open and within its period. A second vote of the household is refused."""
    from people.models import Resident

    election = _election_lock(election)
    if not election.is_voting():
        raise ValidationError(_("This election is not open for voting now."))
    if candidate.election_id != election.pk:
        raise ValidationError(_("Choose one of this election's candidates."))
    voter = None
    if actor is not None and actor.is_authenticated and actor.resident_id:
        voter = (
            Resident.objects.filter(cell_voters_q(), pk=actor.resident_id, household__cell=election.unit_id)
            .select_related("household")
            .first()
        )
    if voter is None:
        raise ValidationError(_("Only households living in this cell vote in its election."))
    if voter.birth_date and _age(voter.birth_date, timezone.localdate()) < ADULT_AGE:
        raise ValidationError(_("Votes are cast by an adult member of the household."))
    if Vote.objects.filter(election=election, household_id=voter.household_id).exists():
        raise ValidationError(_("Your household has already voted in this election."))
    return Vote.objects.create(
        election=election, household_id=voter.household_id, candidate=candidate, voter=actor
    )


ADULT_AGE = 18


def _age(born: datetime.date, on: datetime.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@transaction.atomic
def election_close(*, actor, election: Election) -> Election:
    """Staff end the voting (at or before the end of the period). The results are not yet public."""
    election = _election_lock(election)
    _require_staff(actor, election.community_id)
    if election.status != ElectionStatus.OPEN:
        raise ValidationError(_("Only an open election can be closed."))
    election.status, election.closed_at = ElectionStatus.CLOSED, timezone.now()
    election._history_user = actor
    election.save()
    return election


def election_tally(election: Election) -> list[ElectionCandidate]:
    """The candidates with their `vote_count`, most votes first (one query)."""
    from django.db.models import Count

    return list(
        election.candidates.select_related("resident")
        .annotate(vote_count=Count("votes"))
        .order_by("-vote_count", "resident__name", "pk")
    )


@transaction.atomic
def election_publish(*, actor, election: Election) -> Nomination | None:
    """Publish a closed election's results. A single winner becomes a nomination awaiting review (any
    other nomination of theirs for the post still under way is superseded); a tie or no vote has none."""
    election = _election_lock(election)
    _require_staff(actor, election.community_id)
    if election.status != ElectionStatus.CLOSED:
        raise ValidationError(_("Close the election before publishing its results."))
    tally = election_tally(election)
    top = tally[0] if tally else None
    tied = len(tally) > 1 and tally[1].vote_count == top.vote_count
    winner = top if top is not None and top.vote_count > 0 and not tied else None
    election.status, election.results_published_at = ElectionStatus.PUBLISHED, timezone.now()
    election.winner = winner.resident if winner else None
    election._history_user = actor
    election.save()
    if winner is None:
        return None
    total = sum(candidate.vote_count for candidate in tally)
    resident = winner.resident
    for earlier in Nomination.objects.open().filter(
        unit=election.unit, role=Role.CELL_LEADER, resident=resident
    ):
        earlier.status = NominationStatus.WITHDRAWN
        earlier.status_note = _("Superseded by the election result.")
        earlier._history_user = actor
        earlier.save()
    nomination = Nomination(
        community_id=election.community_id,
        unit=election.unit,
        role=Role.CELL_LEADER,
        resident=resident,
        user=_account_of(resident),
        source=NominationSource.ELECTION,
        election=election,
        statement=_("Elected with %(votes)s of %(total)s household votes.")
        % {"votes": winner.vote_count, "total": total},
        created_by=actor,
    )
    nomination._history_user = actor
    nomination.save()
    return nomination


@transaction.atomic
def election_cancel(*, actor, election: Election) -> Election:
    election = _election_lock(election)
    _require_staff(actor, election.community_id)
    if election.status != ElectionStatus.OPEN:
        raise ValidationError(_("Only an open election can be cancelled."))
    election.status, election.closed_at = ElectionStatus.CANCELLED, timezone.now()
    election._history_user = actor
    election.save()
    return election


# --- Training -------------------------------------------------------------------------------------------

# Who is invited to a training: the leaders of its unit's territory.
TRAINED_ROLES = [
    Role.AREA_LEADER,
    Role.GROUP_LEADER,
    Role.CELL_LEADER,
    Role.BUILDING_LEADER,
    Role.GRID_WORKER,
]


@transaction.atomic
def training_create(
    *, actor, unit, title: str, held_on: datetime.date, place: str = "", note: str = ""
) -> Training:
    """Record a training session for the leaders of `unit` (a community or a unit in it)."""
    community_id = unit.pk if unit.level == Level.COMMUNITY else unit.community_id_from_path()
    if community_id is None:
        raise ValidationError(_("Choose a community or a unit within one."))
    _require_staff(actor, community_id)
    if not title.strip():
        raise ValidationError(_("Give the training a title."))
    return Training.objects.create(
        community_id=community_id,
        unit=unit,
        title=title.strip(),
        held_on=held_on,
        place=place.strip(),
        note=note.strip(),
        created_by=actor,
    )


@transaction.atomic
def training_attendance_record(*, actor, training: Training, invited: list, attended_ids: set[int]) -> int:
    """Record who of the `invited` users attended (`attended_ids`); the others are marked absent.
    Returns how many attended."""
    _require_staff(actor, training.community_id)
    invited_ids = {user.pk for user in invited}
    if not attended_ids <= invited_ids:
        raise ValidationError(_("Mark only the people invited to this training."))
    existing = {row.person_id: row for row in Attendance.objects.filter(training=training)}
    changed, created = [], []
    for person_id in sorted(invited_ids):
        attended = person_id in attended_ids
        row = existing.get(person_id)
        if row is None:
            created.append(Attendance(training=training, person_id=person_id, attended=attended))
        elif row.attended != attended:
            row.attended = attended
            changed.append(row)
    Attendance.objects.bulk_create(created)
    Attendance.objects.bulk_update(changed, ["attended"])
    return len(attended_ids)
