"""Background tasks: an SMS to a reporter and the delivery of just-queued outbound messages go through
the Tasks API after the commit, never before and never for a step that rolled back; a message delivered
by the task is not sent again by the periodic job (at most once still holds); and the same task runs on
the Redis backend in an RQ worker."""

import os
import uuid

import pytest
from django.db import transaction
from django_tasks import default_task_backend
from django_tasks.base import TaskResultStatus

from notices import services, tasks
from notices.models import ChannelKind, OutboundChannel, OutboundMessage, OutboundStatus
from service_requests import services as request_services
from service_requests.catalogue import service_catalogue_install
from service_requests.models import Channel, ServiceKind
from web.periodic import periodic_pass

SENT: list[tuple[str, str]] = []
REDIS_URL = os.environ.get("LINLI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class RecordingSmsSender:
    """LINLI_SMS_SENDER for these tests: keeps what it was asked to send."""

    def send(self, phone: str, message: str) -> None:
        SENT.append((phone, message))


@pytest.fixture(autouse=True)
def sms(settings):
    settings.LINLI_SMS_SENDER = f"{__name__}.RecordingSmsSender"
    SENT.clear()
    yield SENT
    SENT.clear()


@pytest.fixture
def dummy_tasks(settings):
    """Tasks are recorded, not run: default_task_backend.results lists what was enqueued."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return default_task_backend


@pytest.fixture
def request_with_phone(cast):
    service_catalogue_install(cast.street)
    return request_services.request_file(
        actor=None,
        kind=ServiceKind.objects.get(street=cast.street, code="repair"),
        description="楼道灯坏了",
        channel=Channel.QR,
        building=cast.h1.entrance.building,
        reporter_phone="13800138000",
    )


def _answer(cast, request):
    request.refresh_from_db()
    holder = request.holder
    leader = cast.cell_leader if holder == cast.cell else cast.staff
    request_services.request_respond(actor=leader, request=request, message="明天来修")


# ---- SMS to the reporter ------------------------------------------------------------------------------


def test_answering_a_request_texts_the_reporter_after_the_commit(
    cast, request_with_phone, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _answer(cast, request_with_phone)
        assert sms == []  # not before the commit

    assert sms == [("13800138000", "您的诉求有答复了：明天来修")]


def test_a_step_that_rolls_back_texts_nobody(
    cast, request_with_phone, sms, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _answer(cast, request_with_phone)
        raise RuntimeError("the step fails after the answer")

    assert sms == [] and callbacks == []


def test_the_sms_is_enqueued_as_a_task_with_the_phone_and_message(
    cast, request_with_phone, dummy_tasks, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _answer(cast, request_with_phone)

    [result] = [r for r in dummy_tasks.results if r.task.func is tasks.reporter_sms.func]
    assert list(result.args) == ["13800138000", "您的诉求有答复了：明天来修"]
    assert result.status == TaskResultStatus.READY and sms == []  # a worker will send it, not this process


def test_no_sms_is_queued_while_held_back(
    cast, request_with_phone, dummy_tasks, sms, django_capture_on_commit_callbacks
):
    with services.reporter_sms_held_back(), django_capture_on_commit_callbacks(execute=True):
        _answer(cast, request_with_phone)

    assert dummy_tasks.results == [] and sms == []


def test_a_queue_that_cannot_be_reached_does_not_undo_the_step(
    cast, request_with_phone, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0", "SOCKET_CONNECT_TIMEOUT": 1}}

    with django_capture_on_commit_callbacks(execute=True):
        _answer(cast, request_with_phone)  # the enqueue fails after the commit, and is logged

    request_with_phone.refresh_from_db()
    assert request_with_phone.responded_at is not None


# ---- outbound messages --------------------------------------------------------------------------------


def _queue(community, key="alert:1"):
    return services.outbound_queue(community=community, key=key, title="异常预警", body="3 号楼 1201")


def _alerts(robot):
    """The robot's copies of the alert _queue sent (the periodic pass may queue the carers' morning
    reminder beside it, depending on the hour)."""
    return [c for c in robot.received if c.payload["text"]["content"].startswith("异常预警")]


def test_a_queued_outbound_message_goes_out_right_after_the_commit(
    cast, robot, wecom, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _queue(cast.community)
        assert robot.received == []

    [call] = robot.received
    assert call.payload["text"]["content"] == "异常预警\n3 号楼 1201"
    assert OutboundMessage.objects.get().status == OutboundStatus.SENT


def test_queueing_enqueues_one_delivery_task_for_the_community(
    cast, wecom, dummy_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _queue(cast.community)

    [result] = dummy_tasks.results
    assert result.task.func is tasks.outbound_deliver_community.func
    assert list(result.args) == [cast.community.pk]
    assert OutboundMessage.objects.get().status == OutboundStatus.PENDING


def test_a_community_without_channels_enqueues_nothing(cast, dummy_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert _queue(cast.community) == 0

    assert dummy_tasks.results == []


def test_the_periodic_job_does_not_send_again_what_the_task_sent(cast, robot, wecom):
    _queue(cast.community)

    assert tasks.outbound_deliver_community.call(cast.community.pk) == 1
    periodic_pass()
    tasks.outbound_deliver_community.call(cast.community.pk)

    assert len(_alerts(robot)) == 1


def test_the_task_does_not_send_again_what_the_periodic_job_sent(cast, robot, wecom):
    _queue(cast.community)

    assert periodic_pass()["outbound_sent"] == 1
    tasks.outbound_deliver_community.call(cast.community.pk)

    assert len(_alerts(robot)) == 1


def test_the_task_leaves_a_row_another_deliverer_has_claimed(cast, robot, wecom):
    _queue(cast.community)
    message = OutboundMessage.objects.get()
    assert services._outbound_claim(message, message.next_attempt_at)  # the periodic job took it

    assert tasks.outbound_deliver_community.call(cast.community.pk) == 0
    assert robot.received == []


def test_the_task_delivers_only_its_own_communitys_messages(cast, robot, wecom):
    OutboundChannel.objects.create(
        community=cast.other_community, kind=ChannelKind.WECOM, name="和平群", target=robot.webhook("b")
    )
    _queue(cast.community)
    _queue(cast.other_community)

    assert tasks.outbound_deliver_community.call(cast.community.pk) == 1
    [call] = robot.received
    assert call.query["access_token"] == ["t0ken"]
    assert (
        OutboundMessage.objects.get(channel__community=cast.other_community).status == OutboundStatus.PENDING
    )


# ---- the database backend (the default) -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_sms_task_waits_in_the_database_until_db_worker_runs_it(settings, sms):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    result = tasks.reporter_sms.enqueue("13800138000", "您的诉求有答复了：明天来修")
    assert DBTaskResult.objects.filter(id=result.id).exists() and sms == []

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert sms == [("13800138000", "您的诉求有答复了：明天来修")]
    assert tasks.reporter_sms.get_result(result.id).status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db(transaction=True)
def test_finished_task_results_are_forgotten_after_a_day(settings):
    import datetime

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    old, recent, waiting = (tasks.reporter_sms.enqueue("13800138000", "x") for _ in range(3))
    now = timezone.now()
    DBTaskResult.objects.filter(id=old.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=now - datetime.timedelta(days=2)
    )
    DBTaskResult.objects.filter(id=recent.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=now - datetime.timedelta(hours=2)
    )

    assert services.task_results_prune(now=now) == 1
    assert {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)} == {recent.id, waiting.id}
    assert periodic_pass(now=now)["task_results_pruned"] == 0  # nothing older left


# ---- the Redis backend --------------------------------------------------------------------------------


@pytest.fixture
def rq_queue(settings):
    """A private queue on the local Redis, configured as the default task backend; removed afterwards.
    Skipped when Redis is not running, except in CI (CI=true), which has it."""
    import django_rq
    import redis

    name = f"linli-test-{uuid.uuid4().hex[:12]}"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    # The backend fetches results through django-rq's "default" connection: the same Redis.
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}, name: {"URL": REDIS_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [name]}}
    queue = django_rq.get_queue(name)
    yield queue
    queue.delete(delete_jobs=True)


def test_an_sms_task_runs_in_an_rq_worker_against_redis(cast, rq_queue, sms):
    from django_tasks_rq import Job
    from rq import SimpleWorker

    result = tasks.reporter_sms.using(queue_name=rq_queue.name).enqueue(
        "13800138000", "您的诉求有答复了：明天来修"
    )
    assert result.status == TaskResultStatus.READY and rq_queue.count == 1 and sms == []

    worker = SimpleWorker([rq_queue], connection=rq_queue.connection, job_class=Job)
    assert worker.work(burst=True)

    assert sms == [("13800138000", "您的诉求有答复了：明天来修")]
    assert tasks.reporter_sms.get_result(result.id).status == TaskResultStatus.SUCCESSFUL
