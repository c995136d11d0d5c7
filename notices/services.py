"""Telling people: the in-app inbox, messages to reporters through a pluggable SMS sender, and each
community's outbound channels (an email list, a WeCom or DingTalk group robot)."""

import base64
import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from notices.models import ChannelKind, Notification, OutboundChannel, OutboundMessage, OutboundStatus

log = logging.getLogger("linli.sms")
outbound_log = logging.getLogger("linli.outbound")


def notify(users, message: str, *, request=None, url: str = "", key: str | None = None) -> int:
    """One inbox row per person (deduplicated), in one query. With a `key`, a person who already has a
    notification with that key does not get another (daily reminders, escalation steps)."""
    now = timezone.now()
    rows = {
        u.pk: Notification(user=u, request=request, message=message[:300], url=url, key=key, created_at=now)
        for u in users
        if u
    }
    if key is not None:
        already = set(
            Notification.objects.filter(user_id__in=list(rows), key=key).values_list("user_id", flat=True)
        )
        for pk in already:
            rows.pop(pk)
        Notification.objects.bulk_create(rows.values(), ignore_conflicts=True)
    else:
        Notification.objects.bulk_create(rows.values())
    return len(rows)


def outbound_queue(*, community, key: str, title: str, body: str) -> int:
    """Queue a message for every active outbound channel of `community` (email list, group robot), in the
    caller's transaction. `key` names the event: a channel that already has it does not get it again.
    The periodic job delivers the queue (outbound_deliver)."""
    now = timezone.now()
    channels = list(
        OutboundChannel.objects.filter(community=community, active=True).values_list("pk", flat=True)
    )
    if not channels:
        return 0
    rows = [
        OutboundMessage(
            channel_id=pk,
            key=key[:100],
            title=title[:100],
            body=body[:2000],
            next_attempt_at=now,
            created_at=now,
        )
        for pk in channels
    ]
    created = OutboundMessage.objects.bulk_create(rows, ignore_conflicts=True)
    # Deliver at once rather than at the periodic job's next pass; the job stays the safety net (retries,
    # a worker that was down). Both go through outbound_deliver's claim, so a row is still sent once.
    if created:
        transaction.on_commit(lambda: outbound_deliver_soon(community_id=community.pk), robust=True)
    return len(created)


def outbound_deliver_soon(*, community_id: int) -> None:
    """Enqueue the task that delivers `community_id`'s due outbound messages (notices.tasks)."""
    from notices.tasks import outbound_deliver_community

    outbound_deliver_community.enqueue(community_id)


class LogSmsSender:
    """The default SMS sender: writes the message to the log (no SMS gateway configured)."""

    def send(self, phone: str, message: str) -> None:
        log.info("SMS to %s: %s", phone, message)


def sms_sender():
    return import_string(getattr(settings, "LINLI_SMS_SENDER", "notices.services.LogSmsSender"))()


def reporter_sms_send(*, phone: str, message: str) -> None:
    """Send one SMS through the configured sender (LINLI_SMS_SENDER). The task notices.tasks.reporter_sms
    calls it in a worker; nothing else should, so that no web request waits for an SMS gateway."""
    sms_sender().send(phone, message)


_reporter_sms_held: ContextVar[bool] = ContextVar("linli_reporter_sms_held", default=False)


@contextlib.contextmanager
def reporter_sms_held_back():
    """No SMS to reporters is queued inside this block, nor by the commits it wraps: for replaying a past
    (the demo street's stories), where the steps are real but nobody is waiting for a text."""
    token = _reporter_sms_held.set(True)
    try:
        yield
    finally:
        _reporter_sms_held.reset(token)


def reporter_sms_enqueue(*, phone: str, message: str) -> None:
    """Queue an SMS to a reporter once the caller's transaction commits: a step that rolls back must not
    have texted the resident already. A queue that cannot be reached loses the SMS (logged), not the
    step: the resident's tracking page shows every public update anyway."""
    from notices.tasks import reporter_sms

    if _reporter_sms_held.get():
        return
    transaction.on_commit(lambda: reporter_sms.enqueue(phone, str(message)), robust=True)


TASK_RESULTS_KEPT = timedelta(days=1)


def task_results_prune(*, now=None) -> int:
    """Forget finished task results older than a day (the database backend keeps each task's arguments:
    a reporter's phone and the SMS). Called once a day by the periodic job. Returns how many went."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    deleted, _by_model = (
        DBTaskResult.objects.finished().filter(finished_at__lt=now - TASK_RESULTS_KEPT).delete()
    )
    return deleted


def notify_reporter(request, message: str) -> None:
    """Tell the person who filed the request: by SMS when they left a phone, and in their inbox when
    they filed while logged in. Their tracking page shows every public update anyway."""
    if request.reporter_phone:
        reporter_sms_enqueue(phone=request.reporter_phone, message=message)
    if request.reporter_user_id:
        notify([request.reporter_user], message, request=request)


def inbox_unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# ---- Outbound channels: configuring them, and delivering the queue ----------------------------------
#
# Delivery is AT MOST ONCE. outbound_deliver claims each due row with a conditional update
# (pending → sending) before sending, so of two deliverers running at once only the claimer sends.
# A row left in "sending" (the job died between claiming and recording the answer) may or may not
# have reached the group; it is marked failed after OUTBOUND_STUCK_AFTER and never sent again: a
# missed reminder is shown on the channels page, a duplicated one would teach people to ignore them.
# While a row is "sending", next_attempt_at holds the time its claim expires.

OUTBOUND_MAX_ATTEMPTS = 5
# Wait before the 2nd, 3rd, 4th and 5th attempt.
OUTBOUND_BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
OUTBOUND_STUCK_AFTER = timedelta(hours=1)
OUTBOUND_ERROR_LENGTH = 300
_ADDRESS_SEPARATORS = re.compile(r"[,，;；\s]+")


class OutboundError(Exception):
    """A channel refused or could not take a message; the text says why (kept as last_error)."""


class EmailSender:
    """Email through Django's mail settings, to the channel's comma-separated addresses."""

    def send(self, channel: OutboundChannel, message: OutboundMessage) -> None:
        addresses = outbound_email_addresses(channel.target)
        if not addresses:
            raise OutboundError(_("No email address."))
        try:
            send_mail(message.title, message.body, None, addresses, fail_silently=False)
        except Exception as exc:  # smtplib, socket and backend errors alike: the row records why
            raise OutboundError(f"{type(exc).__name__}: {exc}") from exc


def webhook_host_is_public(url: str) -> bool:
    """Whether every address the webhook's host resolves to is a public one. Staff type webhook
    addresses, and the test button shows the error back: without this check they could probe hosts
    inside the network (loopback, private, link-local such as a cloud metadata service).
    LINLI_OUTBOUND_ALLOW_PRIVATE=True lifts it (tests' local robot; a robot gateway on the LAN)."""
    if getattr(settings, "LINLI_OUTBOUND_ALLOW_PRIVATE", False):
        return True
    try:
        split = urllib.parse.urlsplit(url)
        host, port = split.hostname, split.port
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (ValueError, OSError, UnicodeError):
        return True  # unresolvable now: sending fails and says so; nothing internal is reached
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            return False
    return True


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A robot webhook answers itself; a redirect would turn the POST into a GET somewhere else."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class WeComRobotSender:
    """A WeCom (企业微信) group robot: POST {"msgtype": "text", ...} to its webhook URL; it answers
    {"errcode": 0, "errmsg": "ok"}. WeCom takes at most 2048 bytes of text."""

    max_content_bytes = 2048

    def url(self, channel: OutboundChannel) -> str:
        return channel.target

    def payload(self, message: OutboundMessage) -> dict:
        content = f"{message.title}\n{message.body}"
        if self.max_content_bytes:
            content = content.encode()[: self.max_content_bytes].decode(errors="ignore")
        return {"msgtype": "text", "text": {"content": content}}

    def send(self, channel: OutboundChannel, message: OutboundMessage) -> None:
        url = self.url(channel)
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise OutboundError(_("The webhook address must start with http:// or https://."))
        if not webhook_host_is_public(url):
            raise OutboundError(_("The webhook address points inside the network; it is not called."))
        data = json.dumps(self.payload(message), ensure_ascii=False).encode()
        request = urllib.request.Request(
            url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
        )
        timeout = getattr(settings, "LINLI_OUTBOUND_TIMEOUT", 10)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=timeout) as response:
                status, raw = response.status, response.read(65536)
        except urllib.error.HTTPError as exc:
            raise OutboundError(f"HTTP {exc.code} {exc.reason}") from exc
        except urllib.error.URLError as exc:
            raise OutboundError(str(exc.reason)) from exc
        except (OSError, ValueError) as exc:  # timeouts, resets, malformed URLs
            raise OutboundError(f"{type(exc).__name__}: {exc}") from exc
        if not 200 <= status < 300:
            raise OutboundError(f"HTTP {status}")
        try:
            answer = json.loads(raw)
        except ValueError:
            return  # both robots answer JSON; a 2xx without it is taken as accepted
        if isinstance(answer, dict) and answer.get("errcode", 0) not in (0, "0"):
            raise OutboundError(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")


class DingTalkRobotSender(WeComRobotSender):
    """A DingTalk (钉钉) group robot. With 加签 security the URL carries timestamp (ms) and sign: the
    urlencoded base64 HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret (DingTalk's robot docs)."""

    max_content_bytes = 0

    def url(self, channel: OutboundChannel) -> str:
        if not channel.secret:
            return channel.target
        timestamp = str(round(time.time() * 1000))
        sign = dingtalk_sign(channel.secret, timestamp)
        separator = "&" if "?" in channel.target else "?"
        return f"{channel.target}{separator}timestamp={timestamp}&sign={sign}"


def dingtalk_sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


OUTBOUND_SENDERS = {
    ChannelKind.EMAIL: "notices.services.EmailSender",
    ChannelKind.WECOM: "notices.services.WeComRobotSender",
    ChannelKind.DINGTALK: "notices.services.DingTalkRobotSender",
}


def outbound_sender(kind: str):
    """The sender for a kind of channel; LINLI_OUTBOUND_SENDERS ({kind: dotted path}) replaces any."""
    paths = {**OUTBOUND_SENDERS, **getattr(settings, "LINLI_OUTBOUND_SENDERS", {})}
    return import_string(paths[kind])()


def outbound_email_addresses(target: str) -> list[str]:
    return list(dict.fromkeys(a for a in _ADDRESS_SEPARATORS.split(target or "") if a))


def outbound_deliver(now=None, batch: int = 100, *, community_id: int | None = None) -> int:
    """Send due outbound messages (called by the periodic job for every community, and by the task
    notices.tasks.outbound_deliver_community for one community right after it queued some). First marks
    rows stuck in "sending" for over OUTBOUND_STUCK_AFTER failed (never resent: delivery is at most
    once); then claims up to `batch` due rows one by one, sends each claimed row and records the answer.
    Failures wait 1, 5, 30, 120 minutes and give up after OUTBOUND_MAX_ATTEMPTS; after a failure the
    channel's other rows wait for the next pass (a dead robot costs one timeout per pass, not one per
    message). Must run outside a transaction: each claim has to be committed before the message goes
    out. Returns the number sent."""
    now = now or timezone.now()
    outbound_fail_stuck(now=now)
    due = OutboundMessage.objects.filter(
        status=OutboundStatus.PENDING, next_attempt_at__lte=now, channel__active=True
    )
    if community_id is not None:
        due = due.filter(channel__community_id=community_id)
    due = list(due.select_related("channel").order_by("next_attempt_at", "pk")[:batch])
    sent, failing = 0, set()
    for message in due:
        if message.channel_id in failing:
            continue  # its channel just failed: wait for the next pass rather than time out again
        if not _outbound_claim(message, now):
            continue  # another deliverer has it
        if _outbound_send(message, now) == OutboundStatus.SENT:
            sent += 1
        else:
            failing.add(message.channel_id)
    return sent


def outbound_fail_stuck(*, now=None) -> int:
    """Rows claimed over OUTBOUND_STUCK_AFTER ago and never answered: failed, not resent."""
    now = now or timezone.now()
    stuck = OutboundMessage.objects.filter(status=OutboundStatus.SENDING, next_attempt_at__lte=now)
    count = stuck.update(
        status=OutboundStatus.FAILED,
        last_error=_("Interrupted while sending; not sent again in case it arrived."),
    )
    if count:
        outbound_log.warning("%s outbound messages stuck in sending marked failed", count)
    return count


def _outbound_claim(message: OutboundMessage, now) -> bool:
    """Take the row for this deliverer: only one conditional update can move it from pending."""
    claimed = OutboundMessage.objects.filter(
        pk=message.pk, status=OutboundStatus.PENDING, attempts=message.attempts, next_attempt_at__lte=now
    ).update(
        status=OutboundStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + OUTBOUND_STUCK_AFTER
    )
    if claimed:
        message.status = OutboundStatus.SENDING
        message.attempts += 1
    return bool(claimed)


def _outbound_attempt(message: OutboundMessage, now, *, max_attempts: int = OUTBOUND_MAX_ATTEMPTS) -> str:
    """Claim, send and record one message; returns its status afterwards (whatever another deliverer
    left when the claim fails). Runs outside any transaction: the claim must be committed before sending."""
    if not _outbound_claim(message, now):
        return OutboundMessage.objects.filter(pk=message.pk).values_list("status", flat=True).first() or ""
    return _outbound_send(message, now, max_attempts=max_attempts)


def _outbound_send(message: OutboundMessage, now, *, max_attempts: int = OUTBOUND_MAX_ATTEMPTS) -> str:
    """Send a message this deliverer has claimed and record the answer: sent, or pending with a later
    attempt, or failed after max_attempts."""
    try:
        outbound_sender(message.channel.kind).send(message.channel, message)
    except Exception as exc:  # noqa: BLE001 — any failure of any sender is recorded, never raised
        error = str(exc) if isinstance(exc, OutboundError) else f"{type(exc).__name__}: {exc}"
        return _outbound_failed(message, now, error or type(exc).__name__, max_attempts)
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundStatus.SENT, sent_at=now, last_error=""
    )
    message.status, message.sent_at, message.last_error = OutboundStatus.SENT, now, ""
    return OutboundStatus.SENT


def _outbound_failed(message: OutboundMessage, now, error: str, max_attempts: int) -> str:
    error = error[:OUTBOUND_ERROR_LENGTH]
    if message.attempts >= max_attempts:
        status, next_at = OutboundStatus.FAILED, now
    else:
        wait = OUTBOUND_BACKOFF[min(message.attempts, len(OUTBOUND_BACKOFF)) - 1]
        status, next_at = OutboundStatus.PENDING, now + wait
    OutboundMessage.objects.filter(pk=message.pk, status=OutboundStatus.SENDING).update(
        status=status, next_attempt_at=next_at, last_error=error
    )
    message.status, message.next_attempt_at, message.last_error = status, next_at, error
    outbound_log.warning(
        "outbound message %s to channel %s failed (attempt %s): %s",
        message.pk,
        message.channel_id,
        message.attempts,
        error,
    )
    return status


def outbound_channel_test(*, actor, channel: OutboundChannel) -> OutboundMessage:
    """Queue a test message for this one channel under a new key and send it at once (one attempt, no
    retry). Returns the message: status sent, or failed with last_error saying why."""
    _outbound_check_may_manage(actor, channel.community_id)
    now = timezone.now()
    message = OutboundMessage.objects.create(
        channel=channel,
        key=f"test:{uuid.uuid4().hex}",
        title=_("Test message from Linli"),
        body=_("If you can read this, notices of %(community)s will reach this channel (%(name)s).")
        % {"community": channel.community.name, "name": channel.name},
        next_attempt_at=now,
        created_at=now,
    )
    message.channel = channel
    _outbound_attempt(message, now, max_attempts=1)
    return message


def _outbound_check_may_manage(actor, community_id: int) -> None:
    """`actor=None` is the system itself (commands, tests); anyone else must be staff of the community."""
    if actor is None:
        return
    from accounts.scope import scope_for

    if not scope_for(actor).can_manage_community(community_id):
        raise PermissionDenied(_("Only staff of this community may change its channels."))


def outbound_target_clean(kind: str, target: str) -> str:
    """The target in its stored form (addresses joined by commas), or ValidationError on `target`."""
    target = (target or "").strip()
    if not target:
        raise ValidationError({"target": _("Please enter where the messages go.")})
    if kind == ChannelKind.EMAIL:
        addresses = outbound_email_addresses(target)
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    {"target": _("%(address)s is not a valid email address.") % {"address": address}}
                ) from None
        target = ",".join(addresses)
    else:
        try:
            # urlsplit raises ValueError on a broken address such as "http://[::1" (unclosed IPv6).
            if urllib.parse.urlsplit(target).scheme.lower() not in ("http", "https"):
                raise ValidationError("scheme")
            URLValidator(schemes=["http", "https"])(target)
        except (ValidationError, ValueError):
            raise ValidationError(
                {"target": _("Enter the robot's webhook address, starting with https:// or http://.")}
            ) from None
        if not webhook_host_is_public(target):
            raise ValidationError(
                {
                    "target": _(
                        "This address points inside the network. Enter the robot's public webhook address."
                    )
                }
            )
    if len(target) > OutboundChannel._meta.get_field("target").max_length:
        raise ValidationError({"target": _("This is too long.")})
    return target


@transaction.atomic
def outbound_channel_save(*, actor, channel: OutboundChannel) -> OutboundChannel:
    """Add or change a community's outbound channel after checking it: a name, a known kind, valid
    email addresses (comma-separated) for email, an http(s) webhook URL for a robot; a signing secret
    only for DingTalk. Switching a channel off fails its waiting messages (they are not sent later)."""
    _outbound_check_may_manage(actor, channel.community_id)
    channel.name = (channel.name or "").strip()
    if not channel.name:
        raise ValidationError({"name": _("Please enter a name.")})
    if channel.kind not in ChannelKind.values:
        raise ValidationError({"kind": _("Please choose a kind of channel.")})
    channel.target = outbound_target_clean(channel.kind, channel.target)
    channel.secret = (channel.secret or "").strip() if channel.kind == ChannelKind.DINGTALK else ""
    channel.full_clean(exclude=["community"])
    switched_off = (
        channel.pk is not None
        and not channel.active
        and OutboundChannel.objects.filter(pk=channel.pk, active=True).exists()
    )
    channel.save()
    if switched_off:
        OutboundMessage.objects.filter(channel=channel, status=OutboundStatus.PENDING).update(
            status=OutboundStatus.FAILED, last_error=_("The channel was switched off before sending.")
        )
    return channel
