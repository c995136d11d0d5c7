"""Outbound channels: what arrives at a group robot or a mailbox, exactly once, and what happens when the
other side fails (retries with back-off, then failed; a row left half-sent is never sent again)."""

import base64
import datetime
import hashlib
import hmac
import socket
import time
import urllib.parse

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from leaders.models import Role
from leaders.services import appointment_create
from linli.testing import UserFactory
from notices import services
from notices.models import ChannelKind, OutboundChannel, OutboundMessage, OutboundStatus

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def _queue(cast, key="care-due:2026-03-02", title="今日走访", body="3 人今天到期，1 人逾期。"):
    return services.outbound_queue(community=cast.community, key=key, title=title, body=body)


def _only_message() -> OutboundMessage:
    return OutboundMessage.objects.get()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- what arrives -------------------------------------------------------------------------------------


def test_wecom_robot_receives_title_and_body_as_a_text_message(cast, robot, wecom):
    _queue(cast)
    assert services.outbound_deliver() == 1
    [call] = robot.received
    assert call.path == "/robot/send" and call.query == {"access_token": ["t0ken"]}
    assert call.headers["Content-Type"].startswith("application/json")
    assert call.payload == {"msgtype": "text", "text": {"content": "今日走访\n3 人今天到期，1 人逾期。"}}
    message = _only_message()
    assert message.status == OutboundStatus.SENT and message.sent_at is not None and message.attempts == 1


def test_dingtalk_robot_call_is_signed_with_timestamp_and_sign(cast, robot):
    secret = "SEC0123456789abcdef"
    OutboundChannel.objects.create(
        community=cast.community,
        kind=ChannelKind.DINGTALK,
        name="钉钉群",
        target=robot.webhook(),
        secret=secret,
    )
    _queue(cast)
    before = round(time.time() * 1000)
    services.outbound_deliver()
    after = round(time.time() * 1000)
    [call] = robot.received
    assert call.payload == {"msgtype": "text", "text": {"content": "今日走访\n3 人今天到期，1 人逾期。"}}
    assert call.query["access_token"] == ["t0ken"]
    [timestamp], [sign] = call.query["timestamp"], call.query["sign"]
    assert before <= int(timestamp) <= after
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert sign == expected  # parse_qs undid the URL-encoding DingTalk asks for


def test_dingtalk_sign_is_urlencoded_in_the_url():
    sign = services.dingtalk_sign("SECxyz", "1700000000000")
    raw = base64.b64encode(hmac.new(b"SECxyz", b"1700000000000\nSECxyz", hashlib.sha256).digest()).decode()
    assert sign == urllib.parse.quote_plus(raw)
    assert urllib.parse.unquote_plus(sign) == raw


def test_dingtalk_robot_without_secret_is_not_signed(cast, robot):
    OutboundChannel.objects.create(
        community=cast.community, kind=ChannelKind.DINGTALK, name="钉钉群", target=robot.webhook()
    )
    _queue(cast)
    services.outbound_deliver()
    [call] = robot.received
    assert set(call.query) == {"access_token"}


def test_wecom_text_is_cut_to_2048_bytes_without_breaking_a_character(cast, robot, wecom):
    _queue(cast, body="长" * 2000)
    services.outbound_deliver()
    content = robot.received[0].payload["text"]["content"]
    assert len(content.encode()) <= 2048 and content.startswith("今日走访\n长")


def test_email_channel_mails_every_address(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.outbound_channel_save(
        actor=cast.staff,
        channel=OutboundChannel(
            community=cast.community,
            kind=ChannelKind.EMAIL,
            name="主任",
            target="a@example.org， b@example.org",
        ),
    )
    _queue(cast)
    assert services.outbound_deliver() == 1
    [email] = mail.outbox
    assert email.subject == "今日走访" and email.body == "3 人今天到期，1 人逾期。"
    assert email.to == ["a@example.org", "b@example.org"]


def test_email_failure_is_recorded_for_a_retry(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 2
    OutboundChannel.objects.create(
        community=cast.community, kind=ChannelKind.EMAIL, name="主任", target="a@example.org"
    )
    _queue(cast)
    assert services.outbound_deliver() == 0
    message = _only_message()
    assert message.status == OutboundStatus.PENDING and message.last_error


def test_every_active_channel_of_the_community_gets_the_message_and_no_other(cast, robot, wecom):
    OutboundChannel.objects.create(
        community=cast.community,
        kind=ChannelKind.WECOM,
        name="停用",
        target=robot.webhook("off"),
        active=False,
    )
    OutboundChannel.objects.create(
        community=cast.other_community, kind=ChannelKind.WECOM, name="和平", target=robot.webhook("b")
    )
    _queue(cast)
    services.outbound_deliver()
    assert [c.query["access_token"] for c in robot.received] == [["t0ken"]]


# ---- exactly once -------------------------------------------------------------------------------------


def test_delivering_twice_sends_once(cast, robot, wecom):
    _queue(cast)
    assert services.outbound_deliver() == 1
    assert services.outbound_deliver() == 0
    assert len(robot.received) == 1


def test_queuing_the_same_event_twice_sends_once(cast, robot, wecom):
    _queue(cast)
    _queue(cast, title="again")
    services.outbound_deliver()
    services.outbound_deliver()
    assert OutboundMessage.objects.count() == 1
    assert [c.payload["text"]["content"].split("\n")[0] for c in robot.received] == ["今日走访"]


def test_a_deliverer_that_read_the_row_before_another_sent_it_does_not_send_it_again(cast, robot, wecom):
    _queue(cast)
    slow = OutboundMessage.objects.select_related("channel").get()  # deliverer A reads the due row ...
    assert services.outbound_deliver() == 1  # ... deliverer B claims and sends it ...
    assert services._outbound_attempt(slow, timezone.now()) == OutboundStatus.SENT  # ... A's claim fails
    assert len(robot.received) == 1
    assert _only_message().attempts == 1


def test_a_row_claimed_by_another_deliverer_is_left_to_it(cast, robot, wecom):
    _queue(cast)
    now = timezone.now()
    claimed = OutboundMessage.objects.select_related("channel").get()
    assert services._outbound_claim(claimed, now)  # deliverer A claims, has not sent yet
    assert services.outbound_deliver(now=now) == 0  # deliverer B finds nothing to do
    assert robot.received == []
    services.outbound_sender(claimed.channel.kind).send(claimed.channel, claimed)  # A sends
    assert len(robot.received) == 1


def test_a_row_is_claimed_only_once(cast, wecom):
    _queue(cast)
    first = OutboundMessage.objects.select_related("channel").get()
    second = OutboundMessage.objects.select_related("channel").get()
    assert services._outbound_claim(first, timezone.now())
    assert not services._outbound_claim(second, timezone.now())


def test_a_retry_claimed_elsewhere_is_not_claimed_again_on_a_stale_attempt_count(cast, robot, wecom):
    _queue(cast)
    stale = OutboundMessage.objects.select_related("channel").get()
    OutboundMessage.objects.update(attempts=1)  # another deliverer tried once meanwhile, and it is due again
    assert not services._outbound_claim(stale, timezone.now())


# ---- failures -----------------------------------------------------------------------------------------


def test_server_error_is_retried_a_minute_later(cast, robot, wecom, time_machine):
    time_machine.move_to(T0, tick=False)
    robot.status = 500
    _queue(cast)
    assert services.outbound_deliver() == 0
    message = _only_message()
    assert message.status == OutboundStatus.PENDING and message.attempts == 1
    assert message.next_attempt_at == T0 + datetime.timedelta(minutes=1)
    assert "500" in message.last_error
    assert services.outbound_deliver(now=T0 + datetime.timedelta(seconds=59)) == 0
    assert len(robot.received) == 1  # not tried again before its time
    robot.status = 200
    assert services.outbound_deliver(now=T0 + datetime.timedelta(minutes=1)) == 1
    message.refresh_from_db()
    assert message.status == OutboundStatus.SENT and message.attempts == 2 and message.last_error == ""


def test_nonzero_errcode_is_a_failure(cast, robot, wecom):
    robot.answer = {"errcode": 310000, "errmsg": "sign not match"}
    _queue(cast)
    assert services.outbound_deliver() == 0
    message = _only_message()
    assert message.status == OutboundStatus.PENDING
    assert message.last_error == "errcode 310000: sign not match"


def test_refused_connection_is_a_failure(cast, settings):
    settings.LINLI_OUTBOUND_ALLOW_PRIVATE = True
    OutboundChannel.objects.create(
        community=cast.community,
        kind=ChannelKind.WECOM,
        name="gone",
        target=f"http://127.0.0.1:{_closed_port()}/send?key=x",
    )
    _queue(cast)
    assert services.outbound_deliver() == 0
    message = _only_message()
    assert message.status == OutboundStatus.PENDING and "refused" in message.last_error.lower()


def test_a_redirect_is_not_followed(cast, robot, wecom):
    robot.status, robot.headers = 302, {"Location": "http://example.invalid/elsewhere"}
    _queue(cast)
    assert services.outbound_deliver() == 0
    assert "302" in _only_message().last_error


def test_a_slow_robot_times_out_at_the_configured_timeout(cast, robot, wecom, settings):
    settings.LINLI_OUTBOUND_TIMEOUT = 0.2
    robot.delay = 1
    _queue(cast)
    started = time.monotonic()
    assert services.outbound_deliver() == 0
    assert time.monotonic() - started < 1
    assert "timed out" in _only_message().last_error.lower()


def test_back_off_grows_then_the_message_fails_after_five_attempts(cast, robot, wecom, time_machine):
    time_machine.move_to(T0, tick=False)
    robot.status = 500
    _queue(cast)
    now, waits = T0, []
    for _attempt in range(5):
        assert services.outbound_deliver(now=now) == 0
        message = _only_message()
        waits.append(message.next_attempt_at - now)
        now = message.next_attempt_at
    assert waits[:4] == [datetime.timedelta(minutes=m) for m in (1, 5, 30, 120)]
    assert message.status == OutboundStatus.FAILED and message.attempts == 5 and "500" in message.last_error
    services.outbound_deliver(now=now + datetime.timedelta(days=1))
    assert len(robot.received) == 5


def test_after_a_failure_the_channels_other_messages_wait_for_the_next_pass(cast, robot, wecom):
    robot.status = 500
    _queue(cast, key="k1")
    _queue(cast, key="k2")
    assert services.outbound_deliver() == 0
    assert len(robot.received) == 1
    assert sorted(OutboundMessage.objects.values_list("attempts", flat=True)) == [0, 1]


def test_a_failing_channel_does_not_hold_up_another(cast, robot, wecom):
    OutboundChannel.objects.create(
        community=cast.community,
        kind=ChannelKind.WECOM,
        name="gone",
        target=f"http://127.0.0.1:{_closed_port()}/x",
    )
    _queue(cast)
    assert services.outbound_deliver() == 1
    assert len(robot.received) == 1


def test_long_errors_are_cut_to_fit(cast, robot, wecom):
    robot.answer = {"errcode": 1, "errmsg": "x" * 1000}
    _queue(cast)
    services.outbound_deliver()
    assert len(_only_message().last_error) == services.OUTBOUND_ERROR_LENGTH


def test_a_row_stuck_in_sending_is_failed_after_an_hour_and_never_resent(cast, robot, wecom, time_machine):
    time_machine.move_to(T0, tick=False)
    _queue(cast)
    message = OutboundMessage.objects.select_related("channel").get()
    assert services._outbound_claim(message, T0)  # a job claimed it, then died before sending
    assert services.outbound_deliver(now=T0 + datetime.timedelta(minutes=59)) == 0
    assert _only_message().status == OutboundStatus.SENDING
    assert services.outbound_deliver(now=T0 + datetime.timedelta(minutes=61)) == 0
    message.refresh_from_db()
    assert message.status == OutboundStatus.FAILED and message.last_error
    services.outbound_deliver(now=T0 + datetime.timedelta(days=1))
    assert robot.received == []


def test_a_batch_sends_at_most_that_many(cast, robot, wecom):
    for day in range(3):
        _queue(cast, key=f"care-due:{day}")
    assert services.outbound_deliver(batch=2) == 2
    assert services.outbound_deliver(batch=2) == 1


# ---- configuring channels ---------------------------------------------------------------------------


def _save(actor, **fields):
    fields.setdefault("name", "工作群")
    fields.setdefault("kind", ChannelKind.WECOM)
    return services.outbound_channel_save(actor=actor, channel=OutboundChannel(**fields))


@pytest.mark.parametrize(
    ("kind", "target"),
    [
        (ChannelKind.WECOM, "ftp://qyapi.weixin.qq.com/send"),
        (ChannelKind.WECOM, "javascript:alert(1)"),
        (ChannelKind.DINGTALK, "file:///etc/passwd"),
        (ChannelKind.DINGTALK, "oapi.dingtalk.com/robot/send"),
        (ChannelKind.WECOM, "https://"),
        (ChannelKind.WECOM, "http://[::1"),
        (ChannelKind.DINGTALK, "https://[oapi.dingtalk.com/robot/send"),
        (ChannelKind.EMAIL, "director@example.org, not-an-address"),
        (ChannelKind.EMAIL, "   "),
    ],
)
def test_bad_targets_are_refused(cast, kind, target):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        _save(cast.staff, community=cast.community, kind=kind, target=target)
    assert "target" in refused.value.message_dict
    assert not OutboundChannel.objects.exists()


def test_a_channel_needs_a_name(cast):
    with pytest.raises(ValidationError) as refused:
        _save(cast.staff, community=cast.community, name="  ", target="https://qyapi.weixin.qq.com/x")
    assert "name" in refused.value.message_dict


def test_email_addresses_are_stored_comma_separated_once_each(cast):
    channel = _save(
        cast.staff,
        community=cast.community,
        kind=ChannelKind.EMAIL,
        target="a@example.org；b@example.org a@example.org",
    )
    assert channel.target == "a@example.org,b@example.org"


def test_only_dingtalk_keeps_a_secret(cast):
    channel = _save(
        cast.staff, community=cast.community, target="https://qyapi.weixin.qq.com/x", secret="SEC1"
    )
    assert channel.secret == ""
    channel = _save(
        cast.staff,
        community=cast.community,
        kind=ChannelKind.DINGTALK,
        target="https://oapi.dingtalk.com/robot/send?access_token=x",
        secret=" SEC1 ",
    )
    assert channel.secret == "SEC1"


def test_staff_of_another_community_may_not_add_a_channel(cast):
    other_staff = UserFactory(username="staff_b")
    appointment_create(
        actor=None,
        person=other_staff,
        role=Role.COMMUNITY_STAFF,
        unit=cast.other_community,
        started_on=datetime.date(2024, 1, 1),
    )
    with pytest.raises(PermissionDenied):
        _save(other_staff, community=cast.community, target="https://qyapi.weixin.qq.com/x")
    with pytest.raises(PermissionDenied):
        _save(cast.cell_leader, community=cast.community, target="https://qyapi.weixin.qq.com/x")


def test_switching_a_channel_off_fails_its_waiting_messages(cast, robot, wecom):
    _queue(cast)
    wecom.active = False
    services.outbound_channel_save(actor=cast.staff, channel=wecom)
    message = _only_message()
    assert message.status == OutboundStatus.FAILED and message.last_error
    services.outbound_deliver()
    assert robot.received == []
    assert _queue(cast, key="later") == 0


# ---- test messages ------------------------------------------------------------------------------------


def test_a_test_message_is_sent_at_once(cast, robot, wecom):
    message = services.outbound_channel_test(actor=cast.staff, channel=wecom)
    assert message.status == OutboundStatus.SENT
    [call] = robot.received
    assert cast.community.name in call.payload["text"]["content"]


def test_each_test_message_is_a_new_event(cast, robot, wecom):
    services.outbound_channel_test(actor=cast.staff, channel=wecom)
    services.outbound_channel_test(actor=cast.staff, channel=wecom)
    assert len(robot.received) == 2


def test_a_failed_test_message_says_why_and_is_not_retried(cast, robot, wecom):
    robot.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
    message = services.outbound_channel_test(actor=cast.staff, channel=wecom)
    assert message.status == OutboundStatus.FAILED and "93000" in message.last_error
    services.outbound_deliver(now=timezone.now() + datetime.timedelta(days=1))
    assert len(robot.received) == 1


def test_a_webhook_inside_the_network_is_never_called(cast):
    OutboundChannel.objects.create(
        community=cast.community,
        kind=ChannelKind.WECOM,
        name="metadata",
        target=f"http://127.0.0.1:{_closed_port()}/send?key=x",
    )
    _queue(cast)
    with translation.override("en"):
        assert services.outbound_deliver() == 0
    assert "inside the network" in _only_message().last_error


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/hook", "http://169.254.169.254/latest/", "http://10.1.2.3/x", "http://[::1]/x"],
)
def test_a_channel_to_a_private_address_is_refused_when_saved(url):
    with pytest.raises(ValidationError) as refused:
        services.outbound_target_clean(ChannelKind.WECOM, url)
    assert "target" in refused.value.message_dict


def test_a_public_webhook_address_is_accepted(monkeypatch):
    import socket

    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("1.1.1.1", 443))])
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    assert services.outbound_target_clean(ChannelKind.WECOM, url) == url
