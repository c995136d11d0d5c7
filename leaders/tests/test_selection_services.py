"""Selection: the transitions of nominations and elections, the review checklist, appointment with a term,
succession with history, training attendance. See the state machine in leaders/services.py."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from accounts.models import User
from leaders import services
from leaders.models import (
    Appointment,
    Attendance,
    ElectionStatus,
    EndReason,
    NominationSource,
    NominationStatus,
    QualificationReview,
    ReviewDecision,
    Role,
    Vote,
)
from leaders.selectors import my_cell, training_invitees
from leaders.tests.selection_world import (
    ALL_MET,
    approved,
    election_in,
    linked_resident,
    recommended,
    resident_without_account,
    staff_of_b,
)
from linli.testing import UserFactory, make_household
from people.models import Household, HouseholdStatus, ResidenceStatus

# --- Nominating -------------------------------------------------------------------------------------------


def test_a_resident_nominates_themselves_for_their_own_cell(cast):
    nomination = services.nomination_self_create(actor=cast.resident, statement=" 我愿意 ")
    assert nomination.status == NominationStatus.PROPOSED
    assert nomination.source == NominationSource.SELF
    assert (nomination.unit, nomination.role) == (cast.cell, Role.CELL_LEADER)
    assert nomination.resident_id == cast.resident.resident_id
    assert nomination.community == cast.community
    assert nomination.statement == "我愿意"


def test_self_nomination_needs_a_household_in_a_cell(cast):
    unplaced = linked_resident(cast.h_unplaced, "钱多")
    with translation.override("en"):
        with pytest.raises(ValidationError, match="linked to their household"):
            services.nomination_self_create(actor=cast.outsider)
        with pytest.raises(ValidationError, match="not yet in a neighbour cell"):
            services.nomination_self_create(actor=unplaced)


def test_a_registered_only_resident_cannot_nominate_themselves(cast):
    user = linked_resident(cast.h1, "孙空", residence_status=ResidenceStatus.REGISTERED_ONLY)
    with pytest.raises(ValidationError):
        services.nomination_self_create(actor=user)


def test_the_cells_leader_cannot_nominate_themselves_again(cast):
    with translation.override("en"), pytest.raises(ValidationError, match="already are the neighbour leader"):
        services.nomination_self_create(actor=cast.cell_leader)


def test_a_second_open_nomination_for_the_same_post_is_refused(cast):
    services.nomination_self_create(actor=cast.resident)
    with translation.override("en"), pytest.raises(ValidationError, match="under way"):
        services.nomination_self_create(actor=cast.resident)
    with pytest.raises(ValidationError):
        services.nomination_recommend(
            actor=cast.staff, unit=cast.cell, role=Role.CELL_LEADER, resident=cast.resident.resident
        )


def test_staff_recommend_a_resident_and_their_account_is_found(cast):
    nomination = services.nomination_recommend(
        actor=cast.staff,
        unit=cast.cell3,
        role=Role.CELL_LEADER,
        resident=cast.h3.members.get(),
        statement="x",
    )
    assert nomination.source == NominationSource.RECOMMENDATION
    assert nomination.user == cast.building_leader  # 陈明 of h3 has an account
    assert nomination.created_by == cast.staff


def test_staff_recommend_a_community_worker_as_area_leader(cast):
    worker = UserFactory(full_name="片长乙")
    nomination = services.nomination_recommend(
        actor=cast.staff, unit=cast.area2, role=Role.AREA_LEADER, user=worker
    )
    assert nomination.resident is None and nomination.nominee_name == "片长乙"
    assert services.nomination_lives_in_unit(nomination) is None


def test_recommendation_is_refused_at_the_wrong_level_or_outside_the_community(cast):
    resident = resident_without_account(cast)
    with pytest.raises(ValidationError):
        services.nomination_recommend(
            actor=cast.staff, unit=cast.group, role=Role.CELL_LEADER, resident=resident
        )
    with pytest.raises(ValidationError):
        services.nomination_recommend(
            actor=cast.staff, unit=cast.cell, role=Role.CELL_LEADER, resident=cast.hb.members.get()
        )
    with pytest.raises(ValidationError):
        services.nomination_recommend(
            actor=cast.staff, unit=cast.community, role=Role.COMMUNITY_STAFF, user=cast.outsider
        )


def test_only_the_communitys_staff_recommend(cast):
    resident = resident_without_account(cast)
    for actor in (cast.cell_leader, cast.area_leader, cast.resident, staff_of_b(cast)):
        with pytest.raises(PermissionDenied):
            services.nomination_recommend(
                actor=actor, unit=cast.cell, role=Role.CELL_LEADER, resident=resident
            )
    services.nomination_recommend(
        actor=cast.street_admin, unit=cast.cell, role=Role.CELL_LEADER, resident=resident
    )


# --- Review -----------------------------------------------------------------------------------------------


def test_approval_needs_every_item_of_the_checklist(cast):
    nomination = recommended(cast)
    checks = dict(ALL_MET, has_time=False)
    with translation.override("en"), pytest.raises(ValidationError, match="Has the time"):
        services.nomination_review(
            actor=cast.staff, nomination=nomination, checks=checks, decision=ReviewDecision.APPROVE
        )
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.PROPOSED
    assert not QualificationReview.objects.exists()


def test_approval_records_the_checklist_reviewer_and_date(cast):
    nomination = recommended(cast)
    notes = {"reputation": "邻居都认识她"}
    review = services.nomination_review(
        actor=cast.staff,
        nomination=nomination,
        checks=ALL_MET,
        notes=notes,
        decision=ReviewDecision.APPROVE,
        reviewed_on=datetime.date(2025, 3, 1),
    )
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.APPROVED
    assert (review.reviewer, review.reviewed_on) == (cast.staff, datetime.date(2025, 3, 1))
    assert all(met for _label, met, _note in review.checklist())
    assert review.reputation_note == "邻居都认识她"


def test_rejection_needs_a_reason_and_is_final(cast):
    nomination = recommended(cast)
    with translation.override("en"), pytest.raises(ValidationError, match="reason"):
        services.nomination_review(
            actor=cast.staff, nomination=nomination, checks={}, decision=ReviewDecision.REJECT
        )
    services.nomination_review(
        actor=cast.staff, nomination=nomination, checks={}, decision=ReviewDecision.REJECT, reason="没有时间"
    )
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.REJECTED
    with pytest.raises(ValidationError):
        services.nomination_review(
            actor=cast.staff, nomination=nomination, checks=ALL_MET, decision="approve"
        )
    with pytest.raises(ValidationError):
        services.nomination_appoint(actor=cast.staff, nomination=nomination)
    with pytest.raises(ValidationError):
        services.nomination_withdraw(actor=cast.staff, nomination=nomination)


def test_staff_of_another_community_cannot_review(cast):
    nomination = recommended(cast)
    with pytest.raises(PermissionDenied):
        services.nomination_review(
            actor=staff_of_b(cast), nomination=nomination, checks=ALL_MET, decision=ReviewDecision.APPROVE
        )


def test_lives_in_the_cell_is_prefilled_from_the_registry(cast):
    nomination = recommended(cast)
    assert services.nomination_lives_in_unit(nomination) is True
    Household.objects.filter(pk=nomination.resident.household_id).update(cell=cast.cell2)
    nomination.resident.household.refresh_from_db()
    assert services.nomination_lives_in_unit(nomination) is False
    Household.objects.filter(pk=nomination.resident.household_id).update(
        cell=cast.cell, status=HouseholdStatus.REGISTERED_ONLY
    )
    nomination.resident.household.refresh_from_db()
    assert services.nomination_lives_in_unit(nomination) is False


def test_a_nominee_withdraws_and_nothing_more_happens(cast):
    nomination = services.nomination_self_create(actor=cast.resident)
    services.nomination_withdraw(actor=cast.resident, nomination=nomination)
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.WITHDRAWN
    with pytest.raises(ValidationError):
        services.nomination_review(
            actor=cast.staff, nomination=nomination, checks=ALL_MET, decision="approve"
        )
    with pytest.raises(PermissionDenied):
        services.nomination_withdraw(actor=cast.cell_leader_2, nomination=recommended(cast))


# --- Appointing -------------------------------------------------------------------------------------------


def test_appointing_an_unreviewed_nomination_is_refused(cast):
    nomination = recommended(cast)
    with translation.override("en"), pytest.raises(ValidationError, match="approved"):
        services.nomination_appoint(actor=cast.staff, nomination=nomination)
    assert not Appointment.objects.filter(unit=cast.cell, person__full_name="赵敏").exists()


def test_appointing_creates_the_user_and_the_appointment_with_its_term(cast):
    nomination = approved(cast, recommended(cast, unit=cast.cell3))
    resident = nomination.resident
    assert not User.objects.filter(resident=resident).exists()
    appointment = services.nomination_appoint(
        actor=cast.staff,
        nomination=nomination,
        started_on=datetime.date(2025, 1, 1),
        term_ends_on=datetime.date(2027, 12, 31),
    )
    user = User.objects.get(resident=resident)
    assert (user.full_name, user.phone) == (resident.name, resident.phone)
    assert not user.has_usable_password()
    assert (appointment.person, appointment.role, appointment.unit) == (user, Role.CELL_LEADER, cast.cell3)
    assert appointment.term_ends_on == datetime.date(2027, 12, 31)
    nomination.refresh_from_db()
    assert (nomination.status, nomination.appointment, nomination.user) == (
        NominationStatus.APPOINTED,
        appointment,
        user,
    )
    with pytest.raises(ValidationError):
        services.nomination_appoint(actor=cast.staff, nomination=nomination)


def test_appointing_uses_the_residents_existing_account(cast):
    nomination = approved(cast, recommended(cast, cast.h3.members.get(), unit=cast.cell3))
    appointment = services.nomination_appoint(actor=cast.staff, nomination=nomination)
    assert appointment.person == cast.building_leader
    assert User.objects.filter(resident=cast.h3.members.get()).count() == 1


def test_a_term_must_end_after_it_starts(cast):
    nomination = approved(cast, recommended(cast, unit=cast.cell3))
    with translation.override("en"), pytest.raises(ValidationError, match="term must end after"):
        services.nomination_appoint(
            actor=cast.staff,
            nomination=nomination,
            started_on=datetime.date(2025, 1, 1),
            term_ends_on=datetime.date(2025, 1, 1),
        )
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.APPROVED


def test_a_successor_takes_over_the_post_and_its_history_stays(cast):
    old = Appointment.objects.get(person=cast.cell_leader, role=Role.CELL_LEADER)
    nomination = approved(cast, recommended(cast))
    new = services.nomination_appoint(
        actor=cast.staff,
        nomination=nomination,
        started_on=datetime.date(2025, 6, 1),
        replaces=old,
        end_reason=EndReason.MOVED_AWAY,
        end_note="搬去女儿家",
    )
    old.refresh_from_db()
    assert (old.ended_on, old.end_reason, old.end_note) == (
        datetime.date(2025, 6, 1),
        "moved_away",
        "搬去女儿家",
    )
    posts = Appointment.objects.filter(role=Role.CELL_LEADER, unit=cast.cell).order_by("started_on")
    assert list(posts) == [old, new]
    assert list(Appointment.objects.active().filter(role=Role.CELL_LEADER, unit=cast.cell)) == [new]


def test_residents_of_the_cell_see_the_new_leader_at_once(cast):
    old = Appointment.objects.get(person=cast.cell_leader, role=Role.CELL_LEADER)
    nomination = approved(cast, recommended(cast))
    services.nomination_appoint(
        actor=cast.staff, nomination=nomination, replaces=old, end_reason=EndReason.RESIGNED
    )
    leaders = [a.person.display_name for a in my_cell(cast.resident).leaders if a.role == Role.CELL_LEADER]
    assert leaders == ["赵敏"]


def test_replacing_needs_a_reason_and_a_holder_of_the_same_post(cast):
    old = Appointment.objects.get(person=cast.cell_leader, role=Role.CELL_LEADER)
    other = Appointment.objects.get(person=cast.cell_leader_2, role=Role.CELL_LEADER)
    nomination = approved(cast, recommended(cast))
    with pytest.raises(ValidationError):
        services.nomination_appoint(actor=cast.staff, nomination=nomination, replaces=old)
    with pytest.raises(ValidationError):
        services.nomination_appoint(
            actor=cast.staff, nomination=nomination, replaces=other, end_reason=EndReason.ILL
        )
    old.refresh_from_db()
    assert old.ended_on is None


# --- Elections --------------------------------------------------------------------------------------------


@pytest.fixture
def voters(cast):
    """Two households of C1 with a linked member each (h1: the cast's resident; a new one), and a
    candidate in each."""
    h1c = make_household(cast.cell, room="103")
    second = linked_resident(h1c, "周平")
    return {"first": cast.resident, "second": second}


def _candidates(cast, voters):
    return [cast.resident.resident, voters["second"].resident]


def test_candidates_must_live_in_the_cell(cast, voters):
    with translation.override("en"), pytest.raises(ValidationError, match="live in this cell"):
        election_in(cast, [cast.resident.resident, cast.h2.members.get()])


def test_an_election_closes_in_the_future_after_it_opens(cast, voters):
    with pytest.raises(ValidationError):
        election_in(cast, _candidates(cast, voters), hours=(-5, -1))
    with pytest.raises(ValidationError):
        election_in(cast, _candidates(cast, voters), hours=(5, 2))


def test_one_open_election_per_cell(cast, voters):
    election_in(cast, _candidates(cast, voters))
    with translation.override("en"), pytest.raises(ValidationError, match="already has an election open"):
        election_in(cast, _candidates(cast, voters))


def test_staff_of_another_community_cannot_open_an_election(cast, voters):
    with pytest.raises(PermissionDenied):
        services.election_open(
            actor=staff_of_b(cast),
            cell=cast.cell,
            opens_at=timezone.now(),
            closes_at=timezone.now() + datetime.timedelta(days=1),
            candidates=_candidates(cast, voters),
        )


def test_one_vote_per_household(cast, voters):
    election = election_in(cast, _candidates(cast, voters))
    candidate = election.candidates.first()
    services.election_vote(actor=cast.resident, election=election, candidate=candidate)
    spouse = linked_resident(cast.h1, "张丈夫", gender="M", birth=datetime.date(1948, 1, 1))
    with translation.override("en"), pytest.raises(ValidationError, match="already voted"):
        services.election_vote(actor=spouse, election=election, candidate=candidate)
    assert Vote.objects.filter(election=election).count() == 1


def test_only_households_living_in_the_cell_vote(cast, voters):
    election = election_in(cast, _candidates(cast, voters))
    candidate = election.candidates.first()
    tenant_only = linked_resident(cast.h1b, "空挂者", residence_status=ResidenceStatus.REGISTERED_ONLY)
    child = linked_resident(make_household(cast.cell, room="909"), "小明", birth=timezone.localdate())
    for actor in (cast.cell_leader_2, cast.outsider, cast.staff, tenant_only):
        with pytest.raises(ValidationError):
            services.election_vote(actor=actor, election=election, candidate=candidate)
    with translation.override("en"), pytest.raises(ValidationError, match="adult"):
        services.election_vote(actor=child, election=election, candidate=candidate)
    assert not Vote.objects.exists()


def test_votes_count_only_within_the_period_while_open(cast, voters):
    election = election_in(cast, _candidates(cast, voters), hours=(1, 48))
    candidate = election.candidates.first()
    with pytest.raises(ValidationError):
        services.election_vote(actor=cast.resident, election=election, candidate=candidate)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=49)), pytest.raises(ValidationError):
        services.election_vote(actor=cast.resident, election=election, candidate=candidate)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2)):
        services.election_vote(actor=cast.resident, election=election, candidate=candidate)
        services.election_close(actor=cast.staff, election=election)
        with pytest.raises(ValidationError):
            services.election_vote(actor=voters["second"], election=election, candidate=candidate)
    assert Vote.objects.count() == 1


def test_a_candidate_of_another_election_is_refused(cast, voters):
    election = election_in(cast, _candidates(cast, voters))
    other = election_in(cast, [cast.h2.members.get()], cell=cast.cell2)
    with pytest.raises(ValidationError):
        services.election_vote(actor=cast.resident, election=election, candidate=other.candidates.get())


def test_results_are_published_after_closing_and_the_winner_is_nominated(cast, voters):
    election = election_in(cast, _candidates(cast, voters))
    first, second = election.candidates.order_by("pk")
    third_household = linked_resident(make_household(cast.cell, room="104"), "吴军")
    services.election_vote(actor=cast.resident, election=election, candidate=second)
    services.election_vote(actor=voters["second"], election=election, candidate=second)
    services.election_vote(actor=third_household, election=election, candidate=first)
    with pytest.raises(ValidationError):
        services.election_publish(actor=cast.staff, election=election)
    services.election_close(actor=cast.staff, election=election)
    assert [(c.resident.name, c.vote_count) for c in services.election_tally(election)] == [
        ("周平", 2),
        ("张桂莲", 1),
    ]
    nomination = services.election_publish(actor=cast.staff, election=election)
    election.refresh_from_db()
    assert election.status == ElectionStatus.PUBLISHED and election.results_published_at is not None
    assert election.winner == voters["second"].resident
    assert (nomination.source, nomination.status, nomination.election) == (
        NominationSource.ELECTION,
        NominationStatus.PROPOSED,
        election,
    )
    assert (nomination.resident, nomination.user, nomination.unit) == (
        voters["second"].resident,
        voters["second"],
        cast.cell,
    )
    with pytest.raises(ValidationError):
        services.election_publish(actor=cast.staff, election=election)


def test_a_tie_publishes_without_a_winner(cast, voters):
    election = election_in(cast, _candidates(cast, voters))
    first, second = election.candidates.order_by("pk")
    services.election_vote(actor=cast.resident, election=election, candidate=first)
    services.election_vote(actor=voters["second"], election=election, candidate=second)
    services.election_close(actor=cast.staff, election=election)
    assert services.election_publish(actor=cast.staff, election=election) is None
    election.refresh_from_db()
    assert election.winner is None and election.status == ElectionStatus.PUBLISHED


def test_the_election_supersedes_the_winners_own_nomination(cast, voters):
    own = services.nomination_self_create(actor=voters["second"])
    election = election_in(cast, _candidates(cast, voters))
    services.election_vote(
        actor=cast.resident,
        election=election,
        candidate=election.candidates.get(resident=voters["second"].resident),
    )
    services.election_close(actor=cast.staff, election=election)
    elected = services.election_publish(actor=cast.staff, election=election)
    own.refresh_from_db()
    assert own.status == NominationStatus.WITHDRAWN
    assert elected.status == NominationStatus.PROPOSED


def test_only_an_open_election_is_cancelled(cast, voters):
    election = election_in(cast, _candidates(cast, voters))
    services.election_cancel(actor=cast.staff, election=election)
    with pytest.raises(ValidationError):
        services.election_close(actor=cast.staff, election=election)
    election_in(cast, _candidates(cast, voters))  # the cell may hold a new one


# --- Training ---------------------------------------------------------------------------------------------


def test_a_communitys_training_invites_its_leaders_and_records_attendance(cast):
    training = services.training_create(
        actor=cast.staff,
        unit=cast.community,
        title="邻长培训",
        held_on=timezone.localdate(),
        place="社区活动室",
    )
    invitees = training_invitees(training)
    names = {i.user.username for i in invitees}
    assert names == {"area_leader", "group_leader", "cell_leader", "cell_leader_2", "building_leader"}
    services.training_attendance_record(
        actor=cast.staff,
        training=training,
        invited=[i.user for i in invitees],
        attended_ids={cast.cell_leader.pk, cast.cell_leader_2.pk},
    )
    assert Attendance.objects.filter(training=training).count() == 5
    assert set(Attendance.objects.filter(attended=True).values_list("person__username", flat=True)) == {
        "cell_leader",
        "cell_leader_2",
    }
    services.training_attendance_record(
        actor=cast.staff,
        training=training,
        invited=[i.user for i in invitees],
        attended_ids={cast.area_leader.pk},
    )
    assert list(Attendance.objects.filter(attended=True).values_list("person__username", flat=True)) == [
        "area_leader"
    ]


def test_attendance_of_someone_not_invited_is_refused(cast):
    training = services.training_create(
        actor=cast.staff, unit=cast.group, title="组内培训", held_on=timezone.localdate()
    )
    invitees = training_invitees(training)
    assert {i.user.username for i in invitees} == {"group_leader", "cell_leader", "cell_leader_2"}
    with pytest.raises(ValidationError):
        services.training_attendance_record(
            actor=cast.staff,
            training=training,
            invited=[i.user for i in invitees],
            attended_ids={cast.outsider.pk},
        )
    assert not Attendance.objects.exists()


def test_training_of_another_community_is_refused(cast):
    with pytest.raises(PermissionDenied):
        services.training_create(
            actor=staff_of_b(cast), unit=cast.community, title="x", held_on=timezone.localdate()
        )
