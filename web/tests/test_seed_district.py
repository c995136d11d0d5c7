"""The district generator (web/demo_district.py, `seed_demo --scale district`) at a small size: the
registry's shape and leaders, requests whose rows agree with their timelines, rollups equal to a count
from scratch, care plans due from their last contacts, campaigns, and the guard against a second run."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from accounts.models import User
from campaigns.models import Campaign, CampaignTarget, TargetStatus
from care.models import CareContact, CarePlan, ContactKind
from care.services import care_overdue_escalate, plan_dues_set
from figures.selectors import request_figures
from figures.services import rollup_days_due
from leaders.models import LEADER_ROLE_FOR_LEVEL, Appointment, Role
from people.models import Household, HouseholdStatus, Resident
from service_requests.models import OPEN_STATUSES, EventKind, Request, RequestEvent, Status
from service_requests.services import requests_close_unrated, requests_escalate_overdue
from territory.models import CELL_MAX_HOUSEHOLDS, CELL_MIN_HOUSEHOLDS, LEVEL_ORDER, Level, TerritoryUnit
from web.demo_district import DistrictShape, district_build, district_street_shapes

SHAPE = DistrictShape(households=1600, streets=2, communities_per_street=2, requests=6000, campaigns=6)
SEED = 5


@pytest.fixture(scope="module")
def district(django_db_setup, django_db_blocker):
    """One small district for the whole module, rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield district_build(SHAPE, seed=SEED)
        transaction.set_rollback(True)


@pytest.fixture
def world(district, db):
    return district


def _deliberate(result, key):
    return {warnings[key] for warnings in result.warnings}


# ---- The registry -----------------------------------------------------------------------------------


def test_every_level_has_the_planned_number_of_units(world):
    counts = dict(TerritoryUnit.objects.values_list("level").annotate(n=Count("pk")).order_by())
    shapes = district_street_shapes(SHAPE, SEED)
    assert counts[Level.STREET] == SHAPE.streets
    assert counts[Level.COMMUNITY] == SHAPE.communities
    for level, attr in [(Level.AREA, "areas"), (Level.GROUP, "groups"), (Level.CELL, "cells")]:
        assert counts[level] == sum(getattr(c, attr) for s in shapes for c in s.communities)


def test_units_nest_level_below_level_by_path(world):
    for unit in TerritoryUnit.objects.select_related("parent"):
        if unit.parent is None:
            assert unit.level == Level.STREET and unit.path == f"/{unit.pk}/"
        else:
            assert LEVEL_ORDER.index(unit.level) == LEVEL_ORDER.index(unit.parent.level) + 1
            assert unit.path == f"{unit.parent.path}{unit.pk}/"


def test_households_and_residents_are_about_the_size_asked(world):
    households = Household.objects.count()
    assert abs(households - SHAPE.households) <= SHAPE.households * 0.1
    assert 2.0 <= Resident.objects.count() / households <= 2.8


def test_every_resident_household_in_a_cell_lives_in_a_cell_of_5_to_15_but_the_deliberate_ones(world):
    sizes = dict(
        Household.objects.filter(status=HouseholdStatus.RESIDENT, cell__isnull=False)
        .values_list("cell_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    deliberate = _deliberate(world, "small") | _deliberate(world, "big")
    assert len(deliberate) == 2 * len(world.warnings) >= 2
    assert set(sizes) == set(TerritoryUnit.objects.cells().values_list("pk", flat=True))
    wrong = {cell for cell, n in sizes.items() if not CELL_MIN_HOUSEHOLDS <= n <= CELL_MAX_HOUSEHOLDS}
    assert wrong == deliberate


def test_registered_only_households_are_in_no_cell(world):
    registered_only = Household.objects.filter(status=HouseholdStatus.REGISTERED_ONLY)
    assert registered_only.exists()
    assert not registered_only.filter(cell__isnull=False).exists()


def test_households_sit_in_cells_of_their_own_community(world):
    for household in Household.objects.filter(cell__isnull=False).select_related("cell", "community"):
        assert household.cell.path.startswith(household.community.path)


def test_every_area_group_and_cell_has_its_leader_but_the_deliberately_vacant_cells(world):
    held = set(
        Appointment.objects.active()
        .filter(role__in=list(LEADER_ROLE_FOR_LEVEL.values()))
        .values_list("unit_id", flat=True)
    )
    units = set(
        TerritoryUnit.objects.filter(level__in=list(LEADER_ROLE_FOR_LEVEL)).values_list("pk", flat=True)
    )
    assert units - held == _deliberate(world, "no_leader")


def test_every_street_has_an_admin_and_every_community_its_staff(world):
    admins = Appointment.objects.active().filter(role=Role.STREET_ADMIN)
    assert set(admins.values_list("unit_id", flat=True)) == set(
        TerritoryUnit.objects.filter(level=Level.STREET).values_list("pk", flat=True)
    )
    staff = Appointment.objects.active().filter(role=Role.COMMUNITY_STAFF)
    per_community = dict(staff.values_list("unit_id").annotate(n=Count("pk")).order_by())
    assert len(per_community) == SHAPE.communities and min(per_community.values()) >= 4


def test_every_row_points_at_rows_that_exist(world):
    connection.check_constraints()  # raises IntegrityError on a dangling foreign key


def test_registry_rows_have_their_creation_in_history(world):
    assert Resident.history.count() == Resident.objects.count()
    assert Household.history.filter(history_type="+").count() == Household.objects.count()
    assert TerritoryUnit.history.count() == TerritoryUnit.objects.count()


def test_demo_logins_are_in_the_first_street_and_other_admins_are_prefixed(world):
    first = TerritoryUnit.objects.filter(level=Level.STREET).order_by("pk").first()
    linzhang = Appointment.objects.active().get(person__username="linzhang", role=Role.CELL_LEADER)
    assert linzhang.unit.path.startswith(first.path)
    assert User.objects.filter(username="s02.jiedao").exists()
    assert not User.objects.filter(username="s02.linzhang").exists()


# ---- Requests and their timelines -----------------------------------------------------------------------


def _timelines():
    events: dict[int, list[RequestEvent]] = {}
    for event in RequestEvent.objects.order_by("request_id", "created_at", "pk"):
        events.setdefault(event.request_id, []).append(event)
    return events


def test_requests_spread_over_the_year_and_the_places_asked(world):
    assert Request.objects.count() == SHAPE.requests
    first = Request.objects.order_by("created_at").first().created_at
    assert world.now - first > datetime.timedelta(days=330)
    assert not Request.objects.filter(created_at__gt=world.now).exists()
    assert Request.objects.values("community_id").distinct().count() == SHAPE.communities


def test_most_requests_are_solved_at_the_cell_or_group(world):
    counts = world.counts
    low = counts["requests resolved at cell level"] + counts["requests resolved at group level"]
    high = sum(v for k, v in counts.items() if k.startswith("requests resolved at "))
    assert low > high / 2
    assert counts["requests sent up by hand"] and counts["requests sent up: no answer in time"]
    assert counts["requests reopened"] and counts["requests solved on the spot"]


def test_every_request_has_a_timeline_that_begins_with_its_filing(world):
    events = _timelines()
    assert set(events) == set(Request.objects.values_list("pk", flat=True))
    for request in Request.objects.all():
        filed = events[request.pk][0]
        assert filed.kind == EventKind.FILED and filed.created_at == request.created_at
        assert all(e.created_at <= world.now for e in events[request.pk])


def test_holder_and_level_follow_the_last_move_in_the_timeline(world):
    moves = {EventKind.FILED, EventKind.ESCALATED, EventKind.AUTO_ESCALATED}
    events = _timelines()
    units = dict(TerritoryUnit.objects.values_list("pk", "parent_id"))
    for request in Request.objects.all():
        timeline = [e for e in events[request.pk] if e.kind in moves]
        last = timeline[-1]
        assert request.holder_id == last.to_unit_id
        assert request.level_since == last.created_at
        for move in timeline[1:]:
            assert units[move.from_unit_id] is not None and move.to_unit_id == units[move.from_unit_id]


def test_dates_and_status_follow_the_timeline(world):
    events = _timelines()
    answers = {EventKind.RESPONDED, EventKind.DISPATCHED, EventKind.RESOLVED}
    for request in Request.objects.all():
        timeline = events[request.pk]
        kinds = [e.kind for e in timeline]
        answered = [e.created_at for e in timeline if e.kind in answers]
        assert request.responded_at == (answered[0] if answered else None)
        resolved = [e.created_at for e in timeline if e.kind == EventKind.RESOLVED]
        if request.status == Status.RESOLVED:
            assert request.resolved_at == resolved[-1] and kinds[-1] == EventKind.RESOLVED
        if request.status == Status.CLOSED:
            closing = [e for e in timeline if e.kind == EventKind.CLOSED]
            if request.solved_on_spot:
                assert (
                    kinds == [EventKind.FILED, EventKind.RESOLVED] and request.closed_at == request.created_at
                )
            else:
                assert request.closed_at == closing[-1].created_at and kinds[-1] == EventKind.CLOSED
        if request.rating is not None:
            rated = [e for e in timeline if e.kind == EventKind.RATED]
            assert rated and request.rated_at == rated[-1].created_at
        assert request.times_reopened == kinds.count(EventKind.REOPENED)
        if request.status in OPEN_STATUSES:
            assert request.closed_at is None and request.resolved_at is None


def test_first_owner_is_the_filing_worker_or_the_first_to_answer(world):
    events = _timelines()
    for request in Request.objects.exclude(first_owner=None):
        timeline = events[request.pk]
        workers = [e.actor_id for e in timeline if e.kind != EventKind.FILED and e.actor_id is not None]
        filer = timeline[0].actor_id if request.channel != "qr" else None
        assert request.first_owner_id in ({filer} if filer else {workers[0]})


def test_the_periodic_jobs_first_pass_finds_no_request_overdue_at_its_level(world):
    assert requests_escalate_overdue(now=world.now) == 0
    assert requests_close_unrated(now=world.now) == 0
    late = Q(status=Status.NEW, level_response_due_at__lte=world.now) | Q(
        status__in=OPEN_STATUSES, level_resolution_due_at__lte=world.now
    )
    assert Request.objects.filter(late).count() == 0
    assert Request.objects.open().exists()


def test_rollups_equal_a_count_from_scratch_for_every_street_and_community(world):
    assert rollup_days_due(now=world.now) == []
    today = timezone.localdate(world.now)
    start = today - datetime.timedelta(days=365)
    for street in TerritoryUnit.objects.filter(level=Level.STREET):
        admin = Appointment.objects.active().filter(unit=street, role=Role.STREET_ADMIN).first().person
        for unit in [street, *TerritoryUnit.objects.filter(parent=street)]:
            rolled = request_figures(admin, unit, start, today, now=world.now)
            scratch = request_figures(admin, unit, start, today, now=world.now, use_rollups=False)
            assert rolled.from_rollups and not scratch.from_rollups
            assert rolled.filed > 0 and rolled.counts() == scratch.counts()


# ---- Care and campaigns ------------------------------------------------------------------------------


def test_care_plans_are_due_from_their_last_contacts(world):
    last = {}
    for plan_id, kind, at in CareContact.objects.values_list("plan_id", "kind", "contacted_at"):
        greeting, visit = last.get(plan_id, (None, None))
        day = timezone.localdate(at)
        greeting = max(filter(None, [greeting, day]))
        if kind == ContactKind.VISIT:
            visit = max(filter(None, [visit, day]))
        last[plan_id] = (greeting, visit)
    plans = list(CarePlan.objects.active())
    assert plans and len(last) >= len(plans) * 0.9
    for plan in plans:
        assert (plan.last_greeting_on, plan.last_visit_on) == last.get(plan.pk, (None, None))
        before = (plan.greeting_due_on, plan.visit_due_on, plan.due_on, plan.group_alert_on)
        plan_dues_set(plan)
        assert (plan.greeting_due_on, plan.visit_due_on, plan.due_on, plan.group_alert_on) == before


def test_care_contacts_are_by_the_plans_carer_over_the_year(world):
    contacts = CareContact.objects.all()
    assert abs(contacts.count() - SHAPE.contact_target) <= SHAPE.contact_target * 0.25
    assert not contacts.exclude(by=F("plan__carer")).exists()
    first = contacts.aggregate(first=Min("contacted_at"))["first"]
    assert world.now - first > datetime.timedelta(days=330)


def test_overdue_care_was_already_told(world):
    assert care_overdue_escalate(today=timezone.localdate(world.now)) == {"group": 0, "area": 0}


def test_campaigns_have_their_targets_marked_by_leaders_in_their_time(world):
    assert Campaign.objects.count() == SHAPE.campaign_count
    marked = CampaignTarget.objects.exclude(status=TargetStatus.PENDING).select_related("campaign")
    assert marked.exists()
    for target in marked:
        assert target.marked_by_id is not None
        day = timezone.localdate(target.marked_at)
        assert target.campaign.starts_on <= day <= target.campaign.ends_on


# ---- The command --------------------------------------------------------------------------------------


def test_seed_demo_refuses_a_second_district_and_leaves_the_first_as_it_was(world):
    before = (Household.objects.count(), Request.objects.count())
    with pytest.raises(CommandError, match="already holds a street"):
        call_command("seed_demo", "--scale", "district", "--households", "6000", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", "--scale", "district", "--if-empty", stdout=out)
    assert "nothing built" in out.getvalue()
    assert (Household.objects.count(), Request.objects.count()) == before


def test_district_options_need_the_district_scale(db):
    with pytest.raises(CommandError, match="only apply to --scale district"):
        call_command("seed_demo", "--households", "100", stdout=io.StringIO())


def test_district_sizes_that_cannot_be_built_are_refused(db):
    units = TerritoryUnit.objects.count()
    with pytest.raises(CommandError, match="at least 100 households per community"):
        call_command("seed_demo", "--scale", "district", "--households", "500", stdout=io.StringIO())
    assert TerritoryUnit.objects.count() == units


def test_the_default_district_is_the_issues(db):
    shape = DistrictShape()
    assert (shape.streets, shape.communities, shape.households) == (10, 60, 200_000)
    assert (shape.request_count, shape.contact_target, shape.campaign_count) == (1_000_000, 2_000_000, 100)
    communities = [c for street in district_street_shapes(shape) for c in street.communities]
    cells = sum(c.cells for c in communities)
    assert 18_000 <= cells <= 22_000  # about 20,000 邻长
    assert 1_700 <= sum(c.groups for c in communities) <= 2_300  # groups of about 100 households
