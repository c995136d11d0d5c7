"""The admin for outbound channels and messages: the same checks as the channels page; the outbox read-only."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from notices import services
from notices.models import ChannelKind, OutboundChannel, OutboundMessage


@pytest.fixture
def root(client, cast):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    return client


def test_admin_refuses_a_webhook_that_is_not_http(root, cast):
    with translation.override("en"):
        response = root.post(
            reverse("admin:notices_outboundchannel_add"),
            {
                "community": cast.community.pk,
                "kind": ChannelKind.WECOM,
                "name": "群",
                "target": "file:///etc/passwd",
            },
        )
    assert response.status_code == 200
    assert not OutboundChannel.objects.exists()


def test_admin_saves_a_valid_channel(root, cast):
    response = root.post(
        reverse("admin:notices_outboundchannel_add"),
        {
            "community": cast.community.pk,
            "kind": ChannelKind.EMAIL,
            "name": "主任",
            "target": "a@example.org; b@example.org",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert OutboundChannel.objects.get().target == "a@example.org,b@example.org"


def test_outbox_lists_and_is_read_only(root, cast, wecom):
    services.outbound_queue(community=cast.community, key="k", title="今日走访", body="...")
    message = OutboundMessage.objects.get()
    assert "今日走访" in root.get(reverse("admin:notices_outboundmessage_changelist")).content.decode()
    assert (
        root.post(reverse("admin:notices_outboundmessage_change", args=[message.pk]), {}).status_code == 403
    )
    assert root.get(reverse("admin:notices_outboundchannel_changelist")).status_code == 200
