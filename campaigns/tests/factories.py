"""Campaign factories for the tests: a campaign started through the service, with sensible defaults."""

import datetime

from django.utils import timezone

from campaigns.models import Campaign, Topic
from campaigns.services import campaign_create


def start_campaign(actor, unit, **overrides) -> Campaign:
    today = timezone.localdate()
    fields = {
        "title": "防溺水宣传",
        "topic": Topic.DROWNING,
        "description": "暑期不去野外水域游泳。",
        "starts_on": today,
        "ends_on": today + datetime.timedelta(days=30),
    }
    fields.update(overrides)
    return campaign_create(actor=actor, unit=unit, **fields)
