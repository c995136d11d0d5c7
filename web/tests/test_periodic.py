"""The periodic job (web/periodic.py, `manage.py run_periodic`) with a frozen clock."""

import datetime
import io
import os
import signal

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F

from service_requests import services
from service_requests.catalogue import service_catalogue_install
from service_requests.models import Channel, EventKind, Request, RequestEvent, ServiceKind, Status
from web import periodic
from web.periodic import periodic_pass

START = datetime.datetime(2026, 3, 2, 9, 10, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def repair(cast):
    service_catalogue_install(cast.street)
    return ServiceKind.objects.get(street=cast.street, code="repair")  # respond in 24 h, resolve in 72 h


def _file(cast, kind, n=1):
    with time_machine.travel(START, tick=False):
        return [
            services.request_file(
                actor=cast.cell_leader,
                kind=kind,
                description=f"楼道灯坏了 {i}",
                channel=Channel.VISIT,
                household=cast.h1,
            )
            for i in range(n)
        ]


def _auto_escalations():
    return RequestEvent.objects.filter(kind=EventKind.AUTO_ESCALATED).count()


def test_request_past_its_level_response_deadline_goes_up_to_the_group(cast, repair):
    [request] = _file(cast, repair)
    with time_machine.travel(START + 24 * HOUR + datetime.timedelta(minutes=1), tick=False):
        counts = periodic_pass()
    request.refresh_from_db()
    assert counts["escalated"] == 1
    assert request.holder == cast.group and request.status == Status.NEW
    assert _auto_escalations() == 1


def test_request_not_yet_due_stays_with_its_cell(cast, repair):
    [request] = _file(cast, repair)
    with time_machine.travel(START + 23 * HOUR, tick=False):
        counts = periodic_pass()
    request.refresh_from_db()
    assert (counts["escalated"], counts["closed"]) == (0, 0)
    assert request.holder == cast.cell and _auto_escalations() == 0


def test_answered_request_goes_up_only_when_its_resolution_deadline_passes(cast, repair):
    [request] = _file(cast, repair)
    with time_machine.travel(START + HOUR, tick=False):
        services.request_respond(actor=cast.cell_leader, request=request, message="明天上门")
    with time_machine.travel(START + 30 * HOUR, tick=False):
        assert periodic_pass()["escalated"] == 0
    with time_machine.travel(START + 72 * HOUR + datetime.timedelta(minutes=1), tick=False):
        assert periodic_pass()["escalated"] == 1
    request.refresh_from_db()
    assert request.holder == cast.group


def test_resolved_request_closes_after_seven_days_without_a_complaint(cast, repair):
    [request] = _file(cast, repair)
    with time_machine.travel(START + HOUR, tick=False):
        services.request_resolve(actor=cast.cell_leader, request=request, outcome="换了灯泡")
    with time_machine.travel(START + HOUR + datetime.timedelta(days=6, hours=23), tick=False):
        assert periodic_pass()["closed"] == 0
    request.refresh_from_db()
    assert request.status == Status.RESOLVED
    with time_machine.travel(START + HOUR + datetime.timedelta(days=7, minutes=1), tick=False):
        assert periodic_pass()["closed"] == 1
    request.refresh_from_db()
    assert request.status == Status.CLOSED and request.closed_at is not None


def test_two_passes_over_the_same_due_rows_move_each_request_once(cast, repair):
    requests = _file(cast, repair, n=3)
    with time_machine.travel(START + 25 * HOUR, tick=False):
        first, second = periodic_pass(), periodic_pass()
    assert (first["escalated"], second["escalated"]) == (3, 0)
    assert _auto_escalations() == 3
    assert {r.holder for r in Request.objects.filter(pk__in=[r.pk for r in requests])} == {cast.group}


def _another_copy_acts_first(monkeypatch):
    """Interleave two copies of the job the way a race would: this pass has already read its due rows
    when the other copy moves them, just before this pass locks the first one."""
    real = services.transaction
    state = {"raced": False}

    class Racing:
        def atomic(self, *args, **kwargs):
            if not state["raced"]:
                state["raced"] = True
                state["other"] = periodic_pass()
            return real.atomic(*args, **kwargs)

    monkeypatch.setattr(services, "transaction", Racing())
    return state


def test_a_pass_finding_its_due_rows_already_moved_by_another_copy_leaves_them(cast, repair, monkeypatch):
    requests = _file(cast, repair, n=3)
    state = _another_copy_acts_first(monkeypatch)
    with time_machine.travel(START + 25 * HOUR, tick=False):
        counts = periodic_pass()
    assert state["raced"] and state["other"]["escalated"] == 3
    assert counts["escalated"] == 0
    assert _auto_escalations() == 3
    assert {r.holder for r in Request.objects.filter(pk__in=[r.pk for r in requests])} == {cast.group}


def test_a_request_closed_by_another_copy_is_closed_once(cast, repair, monkeypatch):
    [request] = _file(cast, repair)
    with time_machine.travel(START + HOUR, tick=False):
        services.request_resolve(actor=cast.cell_leader, request=request, outcome="换了灯泡")
    state = _another_copy_acts_first(monkeypatch)
    with time_machine.travel(START + datetime.timedelta(days=8), tick=False):
        counts = periodic_pass()
    assert state["other"]["closed"] == 1 and counts["closed"] == 0
    assert RequestEvent.objects.filter(request=request, kind=EventKind.CLOSED).count() == 1


def test_one_pass_works_through_more_than_one_batch(cast, repair, monkeypatch):
    monkeypatch.setattr(periodic, "BATCH", 2)
    _file(cast, repair, n=5)
    with time_machine.travel(START + 25 * HOUR, tick=False):
        assert periodic_pass()["escalated"] == 5
    assert not Request.objects.filter(holder=cast.cell).exists()


def test_run_periodic_once_prints_the_counts(cast, repair):
    _file(cast, repair, n=2)
    out = io.StringIO()
    with time_machine.travel(START + 25 * HOUR, tick=False):
        call_command("run_periodic", "--once", stdout=out)
    assert "escalated 2, closed 0" in out.getvalue()


def test_run_periodic_loop_prints_only_passes_that_did_something_and_stops_on_sigterm(db, monkeypatch):
    calls = []

    def fake_pass():
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return {"escalated": 2 if len(calls) == 2 else 0, "closed": 0, "seconds": 0.01}

    monkeypatch.setattr("web.management.commands.run_periodic.periodic_pass", fake_pass)
    before = signal.getsignal(signal.SIGTERM)
    out = io.StringIO()
    call_command("run_periodic", "--loop", "--interval", "0.01", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(calls) == 3
    assert lines[0].startswith("run_periodic: started")
    assert [line for line in lines if "escalated" in line] == [lines[1]] and "escalated 2" in lines[1]
    assert lines[-1] == "run_periodic: stopped after 3 passes"
    assert signal.getsignal(signal.SIGTERM) == before


def test_run_periodic_loop_survives_a_failing_pass(db, monkeypatch):
    calls = []

    def flaky_pass():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        os.kill(os.getpid(), signal.SIGTERM)
        return {"escalated": 0, "closed": 0, "seconds": 0.0}

    monkeypatch.setattr("web.management.commands.run_periodic.periodic_pass", flaky_pass)
    out = io.StringIO()
    call_command("run_periodic", "--loop", "--interval", "0.01", stdout=out)
    assert len(calls) == 2 and out.getvalue().splitlines()[-1] == "run_periodic: stopped after 1 passes"


# ---- the demo street's requests (web/demo_requests.py) ----------------------------------------------


@pytest.fixture
def demo_street(db):
    from web.demo import DemoShape, demo_build
    from web.demo_requests import demo_requests_build

    demo_build(DemoShape.tiny(), seed=7)
    return demo_requests_build(seed=7)


def test_the_demo_streets_requests_leave_the_periodic_job_nothing_to_do(demo_street):
    assert periodic_pass()["escalated"] == 0
    assert periodic_pass()["closed"] == 0


def test_demo_requests_tell_a_consistent_story_over_the_last_sixty_days(demo_street):
    from django.utils import timezone

    now = timezone.now()
    requests = Request.objects.prefetch_related("events")
    assert 110 <= requests.count() <= 140
    assert requests.filter(community__name="和平社区").count() >= 25
    for request in requests:
        times = [event.created_at for event in request.events.all()]
        assert times == sorted(times) and times[-1] <= now, request.pk
        assert abs((times[0] - request.created_at).total_seconds()) < 1
        assert now - request.created_at < datetime.timedelta(days=62)
        assert request.responded_at is None or request.responded_at >= request.created_at
    rated = requests.filter(rating__isnull=False)
    assert rated.filter(rating__gte=4).count() / rated.count() >= 0.75
    assert requests.filter(times_reopened__gt=0).exists()
    assert requests.filter(solved_on_spot=True).exists()
    assert requests.filter(events__kind=EventKind.AUTO_ESCALATED).exists()
    assert requests.filter(resolved_at__gt=F("resolution_due_at")).exists()  # some were late
    assert requests.filter(merged_into__isnull=False).count() == 1


def test_demo_linzhang_has_work_waiting_and_a_team_order_to_claim(demo_street):
    from accounts.models import User
    from leaders.models import Appointment, Role
    from volunteers.models import Team

    linzhang = User.objects.get(username="linzhang")
    cell = Appointment.objects.active().get(person=linzhang, role=Role.CELL_LEADER).unit
    assert Request.objects.filter(holder=cell, status=Status.NEW).count() >= 3
    teams = Team.objects.filter(community__name="幸福社区")
    assert set(teams.values_list("name", flat=True)) == {
        "惠邻便民队", "暖邻帮扶队", "安邻巡逻队", "睦邻调解队", "洁邻管护队", '网格"啄木鸟"队'
    }  # fmt: skip
    team = teams.get(name="惠邻便民队")
    assert team.members.filter(pk=linzhang.pk).exists()
    assert Request.objects.filter(assignee_team=team, status=Status.DISPATCHED, assignee=None).count() == 1
    assert User.objects.get(username="jumin").reported_requests.exists()


def test_demo_holds_the_low_income_case_answered_at_the_door_before_noon(demo_street):
    from django.utils import timezone

    case = Request.objects.get(kind__code="hardship", description__contains="低保")
    filed, resolved = timezone.localtime(case.created_at), timezone.localtime(case.resolved_at)
    assert (filed.hour, filed.date()) == (9, resolved.date()) and resolved.hour < 12
    assert case.status == Status.CLOSED and case.rating == 5


def test_the_demo_streets_stories_queue_no_sms(db, settings, django_capture_on_commit_callbacks):
    """Their reporters were answered in the past: seed_demo must not text 200 made-up numbers now."""
    from django_tasks import default_task_backend

    from web.demo import DemoShape, demo_build
    from web.demo_requests import demo_requests_build

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    demo_build(DemoShape.tiny(), seed=7)
    with django_capture_on_commit_callbacks(execute=True):
        demo_requests_build(seed=7)

    assert Request.objects.exclude(reporter_phone="").filter(responded_at__isnull=False).exists()
    assert [r.task.name for r in default_task_backend.results if r.task.name == "reporter_sms"] == []
