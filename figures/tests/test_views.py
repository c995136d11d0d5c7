"""The figures page and its export: who may see them, the numbers they show, and their cost."""

import datetime
import io
import json

import openpyxl
import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from figures.tests.test_figures import NOW, START, H, at, file
from service_requests import services
from service_requests.catalogue import service_catalogue_install
from service_requests.models import Channel, ServiceKind

MARCH = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def kinds(cast):
    service_catalogue_install(cast.street)
    return {k.code: k for k in ServiceKind.objects.filter(street=cast.street)}


@pytest.fixture
def filed(cast, kinds):
    """Three requests in cell C1 on 2 March: one answered and resolved in time and rated 5, one answered
    late, one never answered; and one in community B."""
    r1 = file(
        START, cast, kinds["repair"], cast.h1, Channel.QR, actor=cast.resident, reporter_user=cast.resident
    )
    at(START + H, services.request_respond, actor=cast.cell_leader, request=r1, message="好")
    at(START + 2 * H, services.request_resolve, actor=cast.cell_leader, request=r1, outcome="修好")
    at(START + 3 * H, services.request_rate, request=r1, rating=5)
    r2 = file(START, cast, kinds["hazard"], cast.h1, Channel.VISIT)
    at(START + 5 * H, services.request_respond, actor=cast.cell_leader, request=r2, message="晚了")
    file(START, cast, kinds["dispute"], cast.h1b, Channel.WECHAT)
    file(START, cast, kinds["repair"], cast.hb, Channel.QR, actor=cast.street_admin)


def get(client, user, name="figures:page", **params):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        return client.get(reverse(name), params)


@pytest.mark.parametrize(
    "role, status",
    [
        ("street_admin", 200),
        ("staff", 200),
        ("area_leader", 200),
        ("group_leader", 200),
        ("cell_leader", 200),
        ("cell_leader_2", 200),
        ("building_leader", 404),
        ("resident", 404),
        ("outsider", 404),
    ],
)
def test_page_is_for_staff_and_the_three_leaders(client, cast, role, status):
    assert get(client, getattr(cast, role)).status_code == status
    assert get(client, getattr(cast, role), "figures:export").status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client, cast):
    response = client.get(reverse("figures:page"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize(
    "role, unit",
    [
        ("cell_leader", "cell2"),
        ("cell_leader", "community"),
        ("staff", "other_community"),
        ("group_leader", "area"),
    ],
)
def test_a_unit_outside_the_viewers_scope_is_not_found(client, cast, role, unit):
    user = getattr(cast, role)
    assert get(client, user, unit=getattr(cast, unit).pk).status_code == 404
    assert get(client, user, "figures:export", unit=getattr(cast, unit).pk).status_code == 404


def test_default_unit_is_the_highest_the_viewer_sees(client, cast):
    assert get(client, cast.street_admin).context["figures"].unit == cast.street
    assert get(client, cast.staff).context["figures"].unit == cast.community
    assert get(client, cast.group_leader).context["figures"].unit == cast.group


def test_page_shows_the_rates_the_street_line_and_the_chart_data(client, cast, filed):
    response = get(client, cast.cell_leader, unit=cast.cell.pk, **MARCH)
    page = response.content.decode()
    figures = response.context["figures"]
    assert figures.filed == 3
    assert "33.3%" in page  # response: 1 of 3 in time (hazard answered after 5 h of 2)
    assert "1 of 3 answered by the response deadline" in page
    assert "100.0%" in page  # satisfaction: 1 of 1 rated 4 or 5
    assert "3.0 h" in page and "2.0 h" in page  # medians: to respond of 1 h and 5 h, to resolve of 2 h
    assert figures.overdue_now == 2 and figures.handled == 1
    data = json.loads(page.split('id="figures-data" type="application/json">')[1].split("</script>")[0])
    assert len(data["days"]) == 31 and data["filed"][1] == 3
    assert {k["name"]: k["value"] for k in data["kinds"]} == {"房屋报修": 1, "安全隐患": 1, "邻里纠纷": 1}
    assert "vendor/echarts/echarts.min.js" in page and "cdn" not in page.lower()


def test_a_request_filed_before_the_period_is_not_on_the_page(client, cast, kinds):
    file(
        datetime.datetime(2026, 2, 28, 15, 59, tzinfo=datetime.UTC),
        cast,
        kinds["repair"],
        cast.h1,
        Channel.QR,
    )
    response = get(client, cast.staff, **MARCH)
    assert response.context["figures"].filed == 0
    assert "—" in response.content.decode()


def test_presets_and_bad_dates(client, cast):
    response = get(client, cast.staff, period="last_month")
    assert (response.context["figures"].start, response.context["figures"].end) == (
        datetime.date(2026, 2, 1),
        datetime.date(2026, 2, 28),
    )
    response = get(client, cast.staff, period="custom", start="2026-03-10", end="2026-03-01")
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()
    assert response.context["figures"].start == datetime.date(2026, 3, 1)  # this month instead


def test_page_query_count_does_not_grow_with_requests(client, cast, kinds, django_assert_num_queries):
    client.force_login(cast.street_admin)

    def load():
        with time_machine.travel(NOW, tick=False):
            return client.get(reverse("figures:page"), MARCH)

    load()
    # session, user, scope (2), teams (the last three on the primary before the replica block), units,
    # rolled-up days, kinds, by kind, by channel, by day, durations, overdue
    with django_assert_num_queries(13):
        assert load().context["figures"].filed == 0
    for hour in range(5):
        file(START + hour * H, cast, kinds["repair"], cast.h2, Channel.PHONE, actor=cast.staff)
    with django_assert_num_queries(13):
        assert load().context["figures"].filed == 5


def test_export_holds_the_same_numbers_as_the_page(client, cast, filed):
    response = get(client, cast.staff, "figures:export", **MARCH)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = response["Content-Disposition"]
    assert disposition.isascii() and disposition.startswith("attachment;") and ".xlsx" in disposition
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    assert summary["Requests filed"] == 3
    assert summary["Response rate"] == pytest.approx(1 / 3, abs=0.001)
    assert summary["Resolution rate"] == pytest.approx(1 / 3, abs=0.001)
    assert summary["Satisfaction rate"] == 1.0
    assert summary["Median hours to respond"] == 3.0
    assert summary["Overdue now"] == 2
    assert (summary["Problems found"], summary["Requests handled"], summary["Disputes settled"]) == (3, 1, 0)
    by_kind = {row[0]: row[2] for row in book["By kind"].iter_rows(min_row=2, values_only=True)}
    assert by_kind["房屋报修"] == 1 and by_kind["安全隐患"] == 1
    by_channel = {row[0]: row[1] for row in book["By channel"].iter_rows(min_row=2, values_only=True)}
    assert by_channel == {"QR code on the building board": 1, "Home visit": 1, "WeChat": 1}


def test_export_neutralises_names_that_look_like_formulas(client, cast, kinds):
    ServiceKind.objects.filter(pk=kinds["other"].pk).update(name='=HYPERLINK("http://x")')
    response = get(client, cast.staff, "figures:export", **MARCH)
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    names = [row[0] for row in book["By kind"].iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x")' in names
