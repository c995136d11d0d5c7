"""Welfare alert pages: raising (household page, neighbour form, public QR page), the alert page with its
calls, checklist and closing, the list with its figures; visibility and query counts."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from audit.models import AccessAction, AccessLog
from care import services_alerts as services
from care.models import AlertOutcome, AlertReason, AlertStep, WelfareAlert
from care.tests.test_alerts_services import (
    NEIGHBOUR_PHONE,
    NINE,
    at,
    building_of,
    raise_alert,
    raise_public,
    the_butler,
    the_carer,
)


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def detail_url(alert) -> str:
    return reverse("care:alert_detail", args=[alert.pk])


def public_url(household) -> str:
    return reverse("care:alert_public", args=[building_of(household).pk])


# ---- Raising from a household page ---------------------------------------------------------------


def test_a_leader_raises_an_alert_from_the_household_page(client, cast):
    client.force_login(cast.cell_leader)
    person = cast.h1.members.get()
    url = f"{reverse('care:alert_new')}?household={cast.h1.pk}&resident={person.pk}"
    page = client.get(url)
    assert page.status_code == 200 and f'value="{person.pk}"' in page.content.decode()
    response = client.post(url, {"reason": AlertReason.FELL, "resident": person.pk, "description": "摔倒了"})
    alert = WelfareAlert.objects.get()
    assert response.status_code == 302 and response.url == detail_url(alert)
    assert (alert.reason, alert.resident, alert.raised_by) == (AlertReason.FELL, person, cast.cell_leader)


def test_raising_without_a_reason_is_shown_back_and_nothing_saved(client, cast, english):
    client.force_login(cast.cell_leader)
    url = f"{reverse('care:alert_new')}?household={cast.h1.pk}"
    response = client.post(url, {"description": "好几天没见"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please choose what is wrong." in page and "好几天没见" in page
    assert not WelfareAlert.objects.exists()


@pytest.mark.parametrize("household", ["h2", "hb"])
def test_a_leader_cannot_raise_on_a_household_outside_their_patch_from_the_household_form(
    client, cast, household
):
    client.force_login(cast.cell_leader)
    url = f"{reverse('care:alert_new')}?household={getattr(cast, household).pk}"
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": AlertReason.FELL}).status_code == 404


@pytest.mark.parametrize("value", ["abc", "0", "-1", "99999999"])
def test_a_bad_household_id_is_not_found(client, cast, value):
    client.force_login(cast.staff)
    assert client.get(reverse("care:alert_new"), {"household": value}).status_code == 404


def test_the_raise_form_without_a_household_leads_to_the_neighbour_form(client, cast):
    client.force_login(cast.cell_leader)
    response = client.get(reverse("care:alert_new"))
    assert response.status_code == 302 and response.url == reverse("care:alert_neighbour")


def test_a_second_raise_within_two_hours_says_it_was_added(client, cast, english):
    raise_alert(cast, actor="staff")
    client.force_login(cast.cell_leader)
    url = f"{reverse('care:alert_new')}?household={cast.h1.pk}"
    response = client.post(url, {"reason": AlertReason.NO_ANSWER}, follow=True)
    assert "your report has been added to it" in response.content.decode()
    assert WelfareAlert.objects.count() == 1


# ---- A resident raising for a neighbour ----------------------------------------------------------


def test_the_neighbour_form_prefills_the_residents_own_building(client, cast):
    client.force_login(cast.resident)
    page = client.get(reverse("care:alert_neighbour")).content.decode()
    assert f'<option value="{building_of(cast.h1).pk}" selected>' in page


def test_a_resident_raises_an_alert_on_a_neighbour_by_room(client, cast, english):
    client.force_login(cast.resident)
    data = {"building": building_of(cast.h2).pk, "room": "201", "reason": AlertReason.NOT_SEEN}
    response = client.post(reverse("care:alert_neighbour"), data)
    alert = WelfareAlert.objects.get()
    assert alert.household == cast.h2 and alert.raised_by == cast.resident
    assert response.url == detail_url(alert)
    page = client.get(response.url).content.decode()
    # The neighbour sees what they reported, not who lives there nor their phones.
    assert "Not seen for days" in page and "刘芳" not in page and "Emergency contact" not in page
    assert "Add the note" in page and "Close the alert" not in page


def test_an_unknown_room_is_shown_back_and_nothing_saved(client, cast, english):
    client.force_login(cast.resident)
    data = {
        "building": building_of(cast.h1).pk,
        "room": "909",
        "reason": AlertReason.FELL,
        "description": "喊救命",
    }
    response = client.post(reverse("care:alert_neighbour"), data)
    page = response.content.decode()
    assert response.status_code == 200 and "cannot find room 909" in page
    assert 'value="909"' in page and "喊救命" in page
    assert not WelfareAlert.objects.exists()


def test_a_building_outside_the_choices_is_refused(client, cast, english):
    client.force_login(cast.resident)
    data = {"building": building_of(cast.hb).pk, "room": "101", "reason": AlertReason.FELL}
    response = client.post(reverse("care:alert_neighbour"), data)
    assert (
        response.status_code == 200
        and "Please choose one of the buildings shown." in response.content.decode()
    )
    assert not WelfareAlert.objects.exists()


def test_an_account_without_a_home_is_told_to_use_the_board(client, cast, english):
    client.force_login(cast.outsider)
    page = client.get(reverse("care:alert_neighbour")).content.decode()
    assert "not linked to a home" in page


# ---- The public page from the building's QR code -------------------------------------------------


def test_the_buildings_qr_page_links_to_the_alert_page(client, cast):
    building = building_of(cast.h1)
    page = client.get(reverse("service_requests:file_from_building", args=[building.pk])).content.decode()
    assert reverse("care:alert_public", args=[building.pk]) in page


def public_data(**extra):
    data = {
        "room": "101",
        "reason": AlertReason.NO_ANSWER,
        "description": "",
        "phone": NEIGHBOUR_PHONE,
        "name": "",
    }
    data.update(extra)
    return data


def test_a_neighbour_raises_an_alert_without_logging_in(client, cast, english):
    response = client.post(public_url(cast.h1), public_data(name="欧阳秀英"), follow=True)
    alert = WelfareAlert.objects.get()
    assert alert.household == cast.h1 and alert.raiser_phone == NEIGHBOUR_PHONE and alert.raised_by is None
    page = response.content.decode()
    assert "The community has been told" in page
    assert "张桂莲" not in page and "13900001111" not in page


@pytest.mark.parametrize("phone", ["", "12345"])
def test_a_bad_phone_on_the_public_page_is_shown_back(client, cast, english, phone):
    response = client.post(public_url(cast.h1), public_data(phone=phone, description="三天没见"))
    page = response.content.decode()
    assert response.status_code == 200 and "mobile number" in page and "三天没见" in page
    assert not WelfareAlert.objects.exists()


def test_an_unknown_room_on_the_public_page_is_shown_back(client, cast, english):
    response = client.post(public_url(cast.h1), public_data(room="808"))
    assert response.status_code == 200 and "cannot find room 808" in response.content.decode()
    assert not WelfareAlert.objects.exists()


def test_the_public_page_is_rate_limited(client, cast, english):
    with time_machine.travel(NINE, tick=False):
        for household in (cast.h1, cast.h1b, cast.h2):
            raise_public(cast, household=household)
        response = client.post(public_url(cast.h1), public_data(room="102"))
    assert response.status_code == 200 and "Many alerts have been sent" in response.content.decode()
    assert WelfareAlert.objects.count() == 3


def test_the_public_page_of_an_unknown_building_is_not_found(client, db):
    assert client.get(reverse("care:alert_public", args=[999999])).status_code == 404


def test_the_public_page_shows_nobody_who_lives_there(client, cast):
    page = client.get(public_url(cast.h1)).content.decode()
    assert "张桂莲" not in page and "王建国" not in page


# ---- Visibility ----------------------------------------------------------------------------------


def test_a_neighbour_leader_of_another_cell_cannot_see_the_alert_unless_told(client, cast):
    alert = raise_alert(cast)
    client.force_login(cast.cell_leader_2)
    assert client.get(detail_url(alert)).status_code == 404
    assert (
        client.post(reverse("care:alert_step", args=[alert.pk]), {"step": AlertStep.CALLED}).status_code
        == 404
    )
    alert.responders.add(cast.cell_leader_2)
    assert client.get(detail_url(alert)).status_code == 200


@pytest.mark.parametrize("name", ["outsider", "building_leader", "resident"])
def test_people_with_no_part_in_the_alert_get_404(client, cast, name):
    alert = raise_alert(cast, household=cast.h2, actor="cell_leader_2")
    client.force_login(getattr(cast, name))
    assert client.get(detail_url(alert)).status_code == 404


def test_the_property_butler_sees_the_alert_because_told(client, cast, english):
    butler = the_butler(cast)
    alert = raise_alert(cast)
    client.force_login(butler)
    page = client.get(detail_url(alert)).content.decode()
    assert "张桂莲" in page and "Emergency contact" in page and "李强" in page
    assert reverse("people:household_detail", args=[cast.h1.pk]) not in page  # no household pages for them


def test_the_list_shows_a_leader_only_the_alerts_they_may_see(client, cast):
    raise_alert(cast, household=cast.h1, actor="staff")
    raise_alert(cast, household=cast.h3, actor="staff")
    client.force_login(cast.cell_leader)
    page = client.get(reverse("care:alert_list")).content.decode()
    assert "1单元 101" in page and "2栋" not in page


def test_the_list_of_an_outsider_is_empty(client, cast, english):
    raise_alert(cast)
    client.force_login(cast.outsider)
    page = client.get(reverse("care:alert_list")).content.decode()
    assert "No welfare alerts." in page


# ---- The alert page ------------------------------------------------------------------------------


def test_the_alert_page_shows_people_carer_and_checklist(client, cast, english):
    the_carer(cast)
    alert = raise_alert(cast, actor="cell_leader_2", resident=cast.h1.members.get())
    client.force_login(cast.cell_leader)
    page = client.get(detail_url(alert)).content.decode()
    assert "张桂莲" in page and "Elderly living alone" in page and "This alert is about them" in page
    assert "护理员" in page and 'href="tel:13500000000"' in page
    assert "李强" in page and "139****1111" in page and "13900001111" not in page
    for label in AlertStep.labels:
        assert str(label) in page
    assert "Nobody has responded yet" in page


def test_revealing_the_emergency_phone_gives_a_call_link_and_is_logged(client, cast):
    butler = the_butler(cast)
    alert = raise_alert(cast)
    person = cast.h1.members.get()
    client.force_login(butler)
    url = reverse("care:alert_call", args=[alert.pk, person.pk, "emergency_phone"])
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'href="tel:13900001111"' in response.content.decode()
    log = AccessLog.objects.get()
    assert (log.user, log.resident, log.action) == (butler, person, AccessAction.REVEAL_EMERGENCY_PHONE)


def test_revealing_without_htmx_shows_the_page_with_the_number(client, cast):
    alert = raise_alert(cast)
    person = cast.h1.members.get()
    client.force_login(cast.staff)
    response = client.post(reverse("care:alert_call", args=[alert.pk, person.pk, "phone"]))
    assert response.status_code == 200 and f'href="tel:{person.phone}"' in response.content.decode()


def test_the_neighbours_phone_is_revealed_to_call_them_back_and_logged(client, cast):
    alert = raise_public(cast)
    client.force_login(cast.cell_leader)
    response = client.post(reverse("care:alert_call_raiser", args=[alert.pk]), headers={"HX-Request": "true"})
    assert f'href="tel:{NEIGHBOUR_PHONE}"' in response.content.decode()
    assert AccessLog.objects.get().detail == {"alert": alert.pk}


def test_a_person_of_another_household_cannot_be_revealed_through_the_alert(client, cast):
    alert = raise_alert(cast)
    client.force_login(cast.staff)
    url = reverse("care:alert_call", args=[alert.pk, cast.h2.members.get().pk, "phone"])
    assert client.post(url).status_code == 404
    assert not AccessLog.objects.exists()


def test_the_raiser_who_only_raised_it_cannot_reveal_phones(client, cast):
    alert = raise_alert(cast, household=cast.h2, actor="resident")
    client.force_login(cast.resident)
    url = reverse("care:alert_call", args=[alert.pk, cast.h2.members.get().pk, "phone"])
    assert client.post(url).status_code == 403
    assert not AccessLog.objects.exists()


def test_a_step_button_records_the_time_and_who(client, cast):
    with time_machine.travel(NINE, tick=False):
        alert = raise_alert(cast, actor="cell_leader_2")
    client.force_login(cast.cell_leader)
    with time_machine.travel(at(7), tick=False):
        response = client.post(reverse("care:alert_step", args=[alert.pk]), {"step": AlertStep.KNOCKED})
        assert response.status_code == 302
        page = client.get(detail_url(alert)).content.decode()
    assert "09:07" in page and "王建国" in page
    alert.refresh_from_db()
    assert alert.minutes_to_first_response == 7


def test_pressing_a_done_step_again_is_shown_back(client, cast, english):
    alert = raise_alert(cast, actor="cell_leader_2")
    services.welfare_alert_step(actor=cast.staff, alert=alert, step=AlertStep.CALLED)
    client.force_login(cast.cell_leader)
    response = client.post(reverse("care:alert_step", args=[alert.pk]), {"step": AlertStep.CALLED})
    assert response.status_code == 200 and "was already done" in response.content.decode()
    assert alert.entries.count() == 1


def test_closing_without_an_outcome_is_shown_back(client, cast, english):
    alert = raise_alert(cast)
    client.force_login(cast.staff)
    response = client.post(reverse("care:alert_close", args=[alert.pk]), {"outcome": "", "note": "看过了"})
    page = response.content.decode()
    assert response.status_code == 200 and "Please choose the outcome." in page and "看过了" in page
    alert.refresh_from_db()
    assert alert.is_open


def test_closing_with_an_outcome_shows_the_time_to_close(client, cast, english):
    with time_machine.travel(NINE, tick=False):
        alert = raise_alert(cast, actor="cell_leader_2")
    client.force_login(cast.staff)
    with time_machine.travel(at(95), tick=False):
        response = client.post(
            reverse("care:alert_close", args=[alert.pk]),
            {"outcome": AlertOutcome.HOSPITAL, "note": "父亲住院"},
        )
        page = client.get(response.url).content.decode()
    assert "after 95 minutes" in page and "In hospital" in page and "Close the alert" not in page


def test_a_late_first_response_is_shown_red(client, cast):
    with time_machine.travel(NINE, tick=False):
        alert = raise_alert(cast, actor="cell_leader_2")
    client.force_login(cast.cell_leader)
    with time_machine.travel(at(45), tick=False):
        page = client.get(detail_url(alert)).content.decode()
    assert "alert-timing alert-late" in page


def test_a_note_is_added(client, cast):
    alert = raise_alert(cast)
    client.force_login(cast.group_leader)
    response = client.post(reverse("care:alert_note", args=[alert.pk]), {"note": "儿子电话打通了"})
    assert response.status_code == 302
    assert alert.entries.get().note == "儿子电话打通了"


def test_an_empty_note_is_shown_back(client, cast, english):
    alert = raise_alert(cast)
    client.force_login(cast.group_leader)
    response = client.post(reverse("care:alert_note", args=[alert.pk]), {"note": ""})
    assert response.status_code == 200 and "Please write the note." in response.content.decode()
    assert not alert.entries.exists()


# ---- The list ------------------------------------------------------------------------------------


def test_the_list_puts_open_alerts_first_and_filters(client, cast):
    with time_machine.travel(NINE, tick=False):
        closed = raise_alert(cast, household=cast.h1, actor="staff")
    services.welfare_alert_close(actor=cast.cell_leader, alert=closed, outcome=AlertOutcome.WELL, note="")
    with time_machine.travel(NINE - datetime.timedelta(days=1), tick=False):
        still_open = raise_alert(cast, household=cast.h2, actor="staff")
    client.force_login(cast.group_leader)
    page = client.get(reverse("care:alert_list")).content.decode()
    assert page.index(detail_url(still_open)) < page.index(detail_url(closed))
    open_only = client.get(reverse("care:alert_list"), {"status": "open"}).content.decode()
    assert detail_url(still_open) in open_only and detail_url(closed) not in open_only
    closed_only = client.get(reverse("care:alert_list"), {"status": "closed"}).content.decode()
    assert detail_url(closed) in closed_only and detail_url(still_open) not in closed_only


def test_the_list_shows_the_figures(client, cast, english):
    with time_machine.travel(NINE, tick=False):
        alert = raise_alert(cast, actor="cell_leader_2")
    with time_machine.travel(at(10), tick=False):
        services.welfare_alert_step(actor=cast.cell_leader, alert=alert, step=AlertStep.KNOCKED)
    client.force_login(cast.staff)
    with time_machine.travel(at(20), tick=False):
        page = client.get(reverse("care:alert_list")).content.decode()
    assert "Answered within 30 minutes" in page and "100%" in page and "10.0 min" in page


# ---- Query counts --------------------------------------------------------------------------------


def _more_alerts(cast, count):
    from linli.testing import make_household, make_resident

    start = WelfareAlert.objects.count()
    for n in range(start, start + count):
        home = make_household(cast.cell, room=f"7{n:02d}")
        make_resident(home, f"居民{n}")
        alert = raise_alert(cast, household=home, actor="staff", resident=home.members.get())
        if n % 2:
            services.welfare_alert_close(
                actor=cast.cell_leader, alert=alert, outcome=AlertOutcome.WELL, note=""
            )


@pytest.mark.parametrize("role", ["staff", "cell_leader"])
def test_the_list_costs_the_same_queries_however_many_alerts(client, cast, django_assert_num_queries, role):
    _more_alerts(cast, 2)
    client.force_login(getattr(cast, role))
    url = reverse("care:alert_list")
    client.get(url)  # the session's first read
    with django_assert_num_queries(7) as first:
        client.get(url)
    _more_alerts(cast, 8)
    with django_assert_num_queries(len(first.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count('<li class="req-row') == 10


def test_the_alert_page_costs_the_same_queries_however_many_entries(client, cast, django_assert_num_queries):
    the_carer(cast)
    the_butler(cast)
    alert = raise_alert(cast, actor="cell_leader_2", resident=cast.h1.members.get())
    client.force_login(cast.cell_leader)
    url = detail_url(alert)
    client.get(url)
    with django_assert_num_queries(11) as first:
        client.get(url)
    for step in (AlertStep.CALLED, AlertStep.KNOCKED, AlertStep.FAMILY):
        services.welfare_alert_step(actor=cast.staff, alert=alert, step=step, note="说明")
    for n in range(5):
        services.welfare_alert_note(actor=cast.group_leader, alert=alert, note=f"第{n}条")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)
