"""The admin pages of the checklist, rounds and findings open for a superuser."""

import pytest
from django.urls import reverse

from accounts.models import User
from inspections import services


@pytest.mark.parametrize("model", ["checklistitem", "inspection", "finding"])
def test_superuser_opens_the_list_and_a_row(client, cast, items, kinds, c1_building, model):
    inspection = services.inspection_record(
        actor=cast.cell_leader, unit=cast.cell, findings=[(items[0], True, c1_building, "堵")]
    )
    row = {"checklistitem": items[0], "inspection": inspection, "finding": inspection.findings.get()}[model]
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    assert client.get(reverse(f"admin:inspections_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:inspections_{model}_change", args=[row.pk])).status_code == 200
