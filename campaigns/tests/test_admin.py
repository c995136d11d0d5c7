"""The campaign admin: readable lists and pages with history; campaigns are started from the pages."""

import pytest
from django.urls import reverse

from accounts.models import User
from campaigns.models import CampaignTarget, TargetStatus
from campaigns.services import campaign_target_mark


@pytest.fixture
def root(client, cast):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    return client


def test_campaign_pages_open(root, campaign):
    assert root.get(reverse("admin:campaigns_campaign_changelist")).status_code == 200
    assert root.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).status_code == 200
    assert root.get(reverse("admin:campaigns_campaign_history", args=[campaign.pk])).status_code == 200


def test_campaigns_are_not_added_in_the_admin(root, campaign):
    assert root.get(reverse("admin:campaigns_campaign_add")).status_code == 403


def test_a_targets_marks_are_in_its_history(root, cast, campaign):
    target = CampaignTarget.objects.get(campaign=campaign, household=cast.h1)
    campaign_target_mark(actor=cast.cell_leader, target=target, status=TargetStatus.NOT_HOME, note="晚上再来")
    assert root.get(reverse("admin:campaigns_campaigntarget_changelist")).status_code == 200
    page = root.get(reverse("admin:campaigns_campaigntarget_history", args=[target.pk])).content.decode()
    assert "王建国" in page or "cell_leader" in page
