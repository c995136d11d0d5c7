"""The in-app inbox: notifications written by the request services, newest first, and marking read."""

import pytest
from django.urls import reverse
from django.utils import translation

from notices.models import Notification
from service_requests import services
from service_requests.catalogue import service_catalogue_install
from service_requests.models import Channel, ServiceKind


@pytest.fixture
def repair(cast):
    service_catalogue_install(cast.street)
    return ServiceKind.objects.get(street=cast.street, code="repair")


def _file(cast, kind, household=None):
    return services.request_file(
        actor=cast.resident,
        reporter_user=cast.resident,
        kind=kind,
        description="楼道灯坏了",
        channel=Channel.QR,
        household=household or cast.h1,
    )


def test_inbox_shows_what_the_services_said_with_a_link_to_the_request(client, cast, repair):
    request = _file(cast, repair)
    client.force_login(cast.cell_leader)
    with translation.override("en"):
        page = client.get(reverse("notices:inbox")).content.decode()
    notification = Notification.objects.get(user=cast.cell_leader)
    assert notification.message in page
    assert reverse("service_requests:detail", args=[request.pk]) in page
    assert "inbox-unread" in page


def test_inbox_is_newest_first_and_only_mine(client, cast, repair):
    first = _file(cast, repair)
    services.request_respond(actor=cast.staff, request=first, message="收到")
    second = _file(cast, repair, household=cast.h1b)
    _file(cast, repair, household=cast.h2)  # for cell_leader_2 only
    client.force_login(cast.cell_leader)
    page = client.get(reverse("notices:inbox")).content.decode()
    detail = reverse("service_requests:detail", args=[second.pk])
    assert page.index(detail) < page.index(reverse("service_requests:detail", args=[first.pk]))
    assert page.count('class="inbox-item') == Notification.objects.filter(user=cast.cell_leader).count()


def test_residents_notification_leads_to_their_tracking_page(client, cast, repair):
    request = _file(cast, repair)
    services.request_respond(actor=cast.cell_leader, request=request, message="我下午去看")
    client.force_login(cast.resident)
    page = client.get(reverse("notices:inbox")).content.decode()
    assert reverse("service_requests:track", args=[request.public_token]) in page
    assert reverse("service_requests:detail", args=[request.pk]) not in page


def test_mark_one_read(client, cast, repair):
    _file(cast, repair)
    _file(cast, repair, household=cast.h1b)
    one, other = Notification.objects.filter(user=cast.cell_leader)
    client.force_login(cast.cell_leader)
    response = client.post(reverse("notices:mark_read"), {"id": one.pk, "next": reverse("notices:inbox")})
    assert response.status_code == 302 and response.url == reverse("notices:inbox")
    one.refresh_from_db()
    other.refresh_from_db()
    assert one.read_at is not None and other.read_at is None


def test_mark_all_read_touches_only_my_notifications(client, cast, repair):
    _file(cast, repair)
    _file(cast, repair, household=cast.h2)
    client.force_login(cast.cell_leader)
    client.post(reverse("notices:mark_read"))
    assert not Notification.objects.filter(user=cast.cell_leader, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=cast.cell_leader_2, read_at__isnull=True).count() == 1


def test_marking_someone_elses_notification_does_nothing(client, cast, repair):
    _file(cast, repair, household=cast.h2)
    theirs = Notification.objects.get(user=cast.cell_leader_2)
    client.force_login(cast.cell_leader)
    client.post(reverse("notices:mark_read"), {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_refuses_an_offsite_next_and_bad_ids(client, cast, repair):
    _file(cast, repair)
    client.force_login(cast.cell_leader)
    response = client.post(reverse("notices:mark_read"), {"next": "https://evil.example/"})
    assert response.url == reverse("notices:inbox")
    response = client.post(reverse("notices:mark_read"), {"id": "1 OR 1=1"})
    assert response.status_code == 302
    assert client.get(reverse("notices:mark_read")).status_code == 405


def test_inbox_needs_a_login(client):
    response = client.get(reverse("notices:inbox"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_inbox_costs_the_same_queries_however_many_notifications(
    client, cast, repair, django_assert_num_queries
):
    _file(cast, repair)
    client.force_login(cast.cell_leader)
    url = reverse("notices:inbox")
    with django_assert_num_queries(7):
        client.get(url)
    for household in (cast.h1, cast.h1b) * 4:
        _file(cast, repair, household=household)
    with django_assert_num_queries(7):
        page = client.get(url).content.decode()
    assert page.count('class="inbox-item') == 9
