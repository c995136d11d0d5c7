"""Telling people: the in-app inbox, and messages to reporters through a pluggable SMS sender."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from notices.models import Notification

log = logging.getLogger("linli.sms")


def notify(users, message: str, *, request=None) -> int:
    """One inbox row per person (deduplicated), in one query."""
    now = timezone.now()
    rows = {
        u.pk: Notification(user=u, request=request, message=message[:300], created_at=now) for u in users if u
    }
    Notification.objects.bulk_create(rows.values())
    return len(rows)


class LogSmsSender:
    """The default SMS sender: writes the message to the log (no SMS gateway configured)."""

    def send(self, phone: str, message: str) -> None:
        log.info("SMS to %s: %s", phone, message)


def sms_sender():
    return import_string(getattr(settings, "LINLI_SMS_SENDER", "notices.services.LogSmsSender"))()


def notify_reporter(request, message: str) -> None:
    """Tell the person who filed the request: by SMS when they left a phone, and in their inbox when
    they filed while logged in. Their tracking page shows every public update anyway."""
    if request.reporter_phone:
        # After the commit: a step that rolls back must not have texted the resident already.
        phone = request.reporter_phone
        transaction.on_commit(lambda: sms_sender().send(phone, message))
    if request.reporter_user_id:
        notify([request.reporter_user], message, request=request)


def inbox_unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
