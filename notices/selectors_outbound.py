"""Reads for the outbound-channel pages: only the channels of communities the viewer manages."""

from django.db.models import Prefetch, QuerySet

from accounts.scope import managed_communities
from notices.models import OutboundChannel, OutboundMessage

CHANNEL_RECENT_MESSAGES = 5


def outbound_channels_managed_by(user) -> QuerySet:
    """The channels a viewer may see and change: those of the communities they are staff of."""
    return OutboundChannel.objects.filter(community__in=managed_communities(user))


def outbound_channels_of(community) -> QuerySet:
    """A community's channels, active first, each with its latest messages (one query for them all)."""
    recent = OutboundMessage.objects.order_by("-created_at", "-id")[:CHANNEL_RECENT_MESSAGES]
    return (
        OutboundChannel.objects.filter(community=community)
        .prefetch_related(Prefetch("messages", queryset=recent, to_attr="recent_messages"))
        .order_by("-active", "name", "pk")
    )


def outbound_target_display(channel: OutboundChannel) -> str:
    """What the list shows of a channel's target: email addresses in full, of a webhook URL only its
    host (the rest holds the robot's access token)."""
    if channel.kind == "email":
        return channel.target.replace(",", ", ")
    from urllib.parse import urlsplit

    host = urlsplit(channel.target).hostname or ""
    return f"{host}/…" if host else "…"
