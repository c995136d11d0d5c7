"""Reads for the in-app inbox: always the viewer's own notifications."""

from django.db.models import QuerySet
from django.urls import reverse

from notices.models import Notification

INBOX_PER_PAGE = 50


def inbox(user) -> QuerySet:
    """The user's notifications, newest first, with what each row links to loaded."""
    return (
        Notification.objects.filter(user=user).select_related("request__kind").order_by("-created_at", "-id")
    )


def inbox_unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_link(notification, user) -> str:
    """Where a notification leads: the request's page for those working on it, the tracking page for
    the resident who filed it (no query: read off the loaded request)."""
    request = notification.request
    if request is None:
        return notification.url
    if request.reporter_user_id == user.pk:
        return f"{reverse('service_requests:track', args=[request.public_token])}?k={request.reporter_key}"
    return reverse("service_requests:detail", args=[request.pk])


def inbox_decorate(notifications, user) -> list[Notification]:
    rows = list(notifications)
    for notification in rows:
        notification.link = notification_link(notification, user)
    return rows
