"""The appointment and access-log admin: posts appointed through the service, the log read-only."""

import datetime

import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import AccessAction, AccessLog
from leaders.models import Appointment, EndReason, Role


@pytest.fixture
def root(client, cast):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    return client


def _post(**fields):
    data = {
        "person": "",
        "role": "",
        "unit": "",
        "estate": "",
        "building": "",
        "started_on": "2024-03-01",
        "ended_on": "",
        "end_reason": "",
        "end_note": "",
    }
    data.update(fields)
    return data


def test_appointing_a_role_at_the_wrong_level_is_a_form_error(root, cast):
    response = root.post(
        reverse("admin:leaders_appointment_add"),
        _post(person=cast.outsider.pk, role=Role.CELL_LEADER, unit=cast.group.pk),
    )
    assert response.status_code == 200
    assert not Appointment.objects.filter(person=cast.outsider).exists()


def test_appointment_added_in_admin_is_recorded_with_its_author(root, cast):
    response = root.post(
        reverse("admin:leaders_appointment_add"),
        _post(person=cast.outsider.pk, role=Role.CELL_LEADER, unit=cast.cell3.pk),
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get(person=cast.outsider)
    assert appointment.history.latest().history_user.username == "root"


def test_ending_a_term_in_admin_needs_a_reason_and_keeps_the_row(root, cast):
    post = Appointment.objects.get(person=cast.cell_leader_2)
    url = reverse("admin:leaders_appointment_change", args=[post.pk])
    assert root.post(url, {"ended_on": "2024-06-01", "end_reason": "", "end_note": ""}).status_code == 200
    response = root.post(
        url, {"ended_on": "2024-06-01", "end_reason": EndReason.MOVED_AWAY, "end_note": "搬走"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.ended_on, post.end_reason) == (datetime.date(2024, 6, 1), EndReason.MOVED_AWAY)


def test_access_log_cannot_be_added_changed_or_deleted(root, cast):
    entry = AccessLog.objects.create(user=cast.staff, action=AccessAction.REVEAL_PHONE)
    assert root.get(reverse("admin:audit_accesslog_add")).status_code == 403
    assert root.get(reverse("admin:audit_accesslog_delete", args=[entry.pk])).status_code == 403
    root.post(reverse("admin:audit_accesslog_change", args=[entry.pk]), {"action": AccessAction.EXPORT})
    entry.refresh_from_db()
    assert entry.action == AccessAction.REVEAL_PHONE
    assert AccessLog.objects.count() == 1
