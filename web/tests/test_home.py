"""The home page: leaders and staff see what waits on them and their unread inbox, at a fixed cost."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from service_requests import services
from service_requests.catalogue import service_catalogue_install
from service_requests.models import Channel, ServiceKind


@pytest.fixture
def repair(cast):
    service_catalogue_install(cast.street)
    return ServiceKind.objects.get(street=cast.street, code="repair")


def _file(cast, kind, household):
    return services.request_file(
        actor=cast.resident,
        reporter_user=cast.resident,
        kind=kind,
        description="楼道灯坏了",
        channel=Channel.QR,
        household=household,
    )


def _home(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        return client.get(reverse("home")).content.decode()


def test_neighbour_leader_sees_requests_waiting_and_unread_counts(client, cast, repair):
    _file(cast, repair, cast.h1)
    _file(cast, repair, cast.h1b)
    _file(cast, repair, cast.h2)  # cell C2's, not theirs
    page = _home(client, cast.cell_leader)
    assert "Requests waiting for me (2)" in page
    assert "Inbox (2 unread)" in page
    assert "My households" in page  # the existing tiles stay


def test_answered_and_closed_requests_leave_the_count(client, cast, repair):
    request = _file(cast, repair, cast.h1)
    services.request_close(actor=cast.staff, request=request, reason="撤回")
    assert "Requests waiting for me (0)" in _home(client, cast.cell_leader)


def test_residents_get_no_request_tiles(client, cast, repair):
    _file(cast, repair, cast.h1)
    page = _home(client, cast.resident)
    assert "Requests waiting for me" not in page and "unread" not in page


def test_volunteer_in_a_team_gets_the_team_orders_tile(client, cast):
    from volunteers.models import Team

    Team.objects.create(community=cast.community, name="惠邻便民队").members.add(cast.resident)
    assert reverse("service_requests:team_queue") in _home(client, cast.resident)


# 9: the 7 of the request tiles, one for today's care round (people due and the counts together) and
# one counting the open welfare alerts.
# The waiting count reads the viewer's teams and, for staff, the units of their community first (accounts.scope).
@pytest.mark.parametrize("role, queries", [("staff", 11), ("cell_leader", 10)])
def test_home_counts_cost_the_same_queries_however_many_requests(
    client, cast, repair, django_assert_num_queries, role, queries
):
    _file(cast, repair, cast.h1)
    client.force_login(getattr(cast, role))
    with django_assert_num_queries(queries):
        client.get(reverse("home"))
    for household in (cast.h1, cast.h1b, cast.h2) * 3:
        _file(cast, repair, household)
    with django_assert_num_queries(queries):
        client.get(reverse("home"))


def test_a_resident_reports_a_problem_from_home_through_their_buildings_page(client, cast):
    from django.urls import reverse

    client.force_login(cast.resident)
    html = client.get("/").content.decode()
    assert reverse("service_requests:file_from_building", args=[cast.h1.entrance.building_id]) in html


def test_open_welfare_alerts_show_on_the_community_directors_home(client, cast, settings):
    from care.services_alerts import welfare_alert_raise

    welfare_alert_raise(actor=cast.building_leader, household=cast.h3, reason="not_seen")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(cast.staff)
    page = client.get(reverse("home")).content.decode()
    assert "Welfare alerts (1 open)" in page and reverse("care:alert_list") in page
    client.force_login(cast.cell_leader_2)  # h3 is not in their cell, nor were they told
    assert "Welfare alerts (0 open)" in client.get(reverse("home")).content.decode()


def test_a_resident_can_raise_a_worry_about_a_neighbour_from_home(client, cast):
    assert reverse("care:alert_neighbour") in _home(client, cast.resident)
