"""The leaders' and staff's request pages: who sees what, every action through the page, filing on
behalf, the team queue, and the queries the lists cost."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from PIL import Image

from audit.models import AccessAction, AccessLog
from service_requests import services
from service_requests.catalogue import service_catalogue_install
from service_requests.models import (
    Channel,
    EventKind,
    Request,
    RequestPhoto,
    ResponseTemplate,
    ServiceKind,
    Status,
)
from service_requests.photos import request_photos_add
from volunteers.models import Team


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _pages_in_english(client, settings):
    """These tests read the pages' English text (the Chinese is checked by test_translations)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def kinds(cast):
    service_catalogue_install(cast.street)
    return {k.code: k for k in ServiceKind.objects.filter(street=cast.street)}


def _file(cast, kinds, *, household=None, kind="repair", actor=None, **extra):
    household = household or cast.h1
    return services.request_file(
        actor=actor or cast.resident,
        reporter_user=None if actor else cast.resident,
        kind=kinds[kind],
        description="楼道灯坏了",
        channel=extra.pop("channel", Channel.QR),
        household=household,
        reporter_phone=extra.pop("reporter_phone", "13900002222"),
        **extra,
    )


@pytest.fixture
def filed(cast, kinds):
    """A resident of cell C1 files a repair from the QR code: it waits with the cell's 邻长."""
    return _file(cast, kinds)


@pytest.fixture
def team(cast):
    team = Team.objects.create(community=cast.community, name="惠邻便民队")
    team.members.add(cast.cell_leader_2, cast.group_leader)
    return team


def _png(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _act(client, user, request, action, data=None, **kwargs):
    client.force_login(user)
    return client.post(reverse("service_requests:act", args=[request.pk, action]), data or {}, **kwargs)


def _detail(client, user, request, query=""):
    client.force_login(user)
    return client.get(reverse("service_requests:detail", args=[request.pk]) + query)


# --- Visibility ---------------------------------------------------------------------------------------

DETAIL_VISIBLE = {
    "street_admin": 200,
    "staff": 200,
    "area_leader": 200,
    "group_leader": 200,
    "cell_leader": 200,
    "cell_leader_2": 404,
    "building_leader": 404,
    "resident": 404,  # the reporter follows it on the tracking page, without internal notes
    "outsider": 404,
}


@pytest.mark.parametrize("role, status", DETAIL_VISIBLE.items())
def test_request_page_is_found_only_within_scope(client, cast, filed, role, status):
    assert _detail(client, getattr(cast, role), filed).status_code == status


@pytest.mark.parametrize("role, status", DETAIL_VISIBLE.items())
def test_request_photo_is_served_only_within_scope(client, cast, filed, role, status):
    photo = request_photos_add(request=filed, files=[_png()])[0]
    client.force_login(getattr(cast, role))
    response = client.get(reverse("service_requests:photo", args=[filed.pk, photo.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_photo_of_another_request_is_not_found_through_this_one(client, cast, kinds, filed):
    other = _file(cast, kinds, household=cast.h1b)
    photo = request_photos_add(request=other, files=[_png()])[0]
    client.force_login(cast.cell_leader)
    assert client.get(reverse("service_requests:photo", args=[filed.pk, photo.pk])).status_code == 404


@pytest.mark.parametrize(
    "role, status",
    [
        ("street_admin", 200),
        ("staff", 200),
        ("group_leader", 200),
        ("cell_leader", 200),
        ("building_leader", 200),
        ("resident", 404),
        ("outsider", 404),
    ],
)
def test_queue_is_for_leaders_and_staff(client, cast, role, status):
    client.force_login(getattr(cast, role))
    assert client.get(reverse("service_requests:queue")).status_code == status


def test_neighbour_leader_queue_lists_their_cell_and_what_they_first_received(client, cast, kinds, filed):
    # cell_leader recorded a request heard from a household of cell C2: they own it, wherever it is.
    owned = _file(cast, kinds, household=cast.h2, actor=cast.cell_leader, kind="dispute")
    elsewhere = _file(cast, kinds, household=cast.h3)
    client.force_login(cast.cell_leader)
    page = client.get(reverse("service_requests:queue"), {"tab": "open"}).content.decode()
    assert filed.reference in page and owned.reference in page
    assert elsewhere.reference not in page


def test_neighbouring_leader_does_not_see_cell_one_request_anywhere(client, cast, filed):
    client.force_login(cast.cell_leader_2)
    page = client.get(reverse("service_requests:queue"), {"tab": "open"}).content.decode()
    assert filed.reference not in page
    assert _act(client, cast.cell_leader_2, filed, "respond", {"message": "x"}).status_code == 404


def test_waiting_tab_drops_what_was_sent_up_and_the_group_leader_gets_it(client, cast, filed):
    services.request_escalate(actor=cast.cell_leader, request=filed, reason="需要组长协调")
    client.force_login(cast.group_leader)
    assert filed.reference in client.get(reverse("service_requests:queue")).content.decode()


def test_queue_filters_by_kind_and_shows_overdue_badge(client, cast, kinds, filed):
    import datetime

    import time_machine

    hazard = _file(cast, kinds, household=cast.h1b, kind="hazard")
    client.force_login(cast.staff)
    url = reverse("service_requests:queue")
    with translation.override("en"):
        page = client.get(url, {"tab": "open", "kind": kinds["hazard"].pk}).content.decode()
        assert hazard.reference in page and filed.reference not in page
        with time_machine.travel(hazard.created_at + datetime.timedelta(hours=5), tick=False):
            page = client.get(url, {"tab": "overdue"}).content.decode()
    assert hazard.reference in page and "overdue by 3 h" in page  # urgent: answer within 2 h
    assert filed.reference not in page


def test_queue_ignores_a_territory_filter_outside_scope(client, cast, filed):
    client.force_login(cast.cell_leader)
    page = client.get(reverse("service_requests:queue"), {"tab": "open", "unit": cast.other_cell.pk})
    assert page.status_code == 200 and filed.reference in page.content.decode()


def _tab_count(page: str, tab: str) -> str | None:
    import re

    found = re.search(
        rf'href="\?tab={tab}"[^>]*>[^<]*(?:<span class="req-tab-count">(\d+)</span>)?</a>', page
    )
    assert found, tab
    return found.group(1)


def test_closed_tab_shows_its_count_only_when_opened(client, cast, kinds, filed):
    closed = _file(cast, kinds, household=cast.h1b)
    services.request_close(actor=cast.staff, request=closed, reason="撤回")
    client.force_login(cast.staff)
    url = reverse("service_requests:queue")
    page = client.get(url, {"tab": "open"}).content.decode()
    assert _tab_count(page, "open") == "1" and _tab_count(page, "closed") is None
    page = client.get(url, {"tab": "closed"}).content.decode()
    assert _tab_count(page, "closed") == "1" and closed.reference in page


def test_queue_lists_open_requests_oldest_first_and_closed_ones_newest_first(client, cast, kinds, filed):
    later = _file(cast, kinds, household=cast.h1b)
    client.force_login(cast.staff)
    url = reverse("service_requests:queue")
    first, second = (f'href="{reverse("service_requests:detail", args=[r.pk])}"' for r in (filed, later))
    page = client.get(url, {"tab": "open"}).content.decode()
    assert page.index(first) < page.index(second)
    for request in (filed, later):
        services.request_close(actor=cast.staff, request=request, reason="撤回")
    page = client.get(url, {"tab": "closed"}).content.decode()
    assert page.index(second) < page.index(first)


# --- Actions through the page -------------------------------------------------------------------------


def test_holder_answers_and_becomes_first_asked_owner(client, cast, filed):
    response = _act(client, cast.cell_leader, filed, "respond", {"message": "我下午去看", "public": "on"})
    assert response.status_code == 302 and response.url == reverse("service_requests:detail", args=[filed.pk])
    filed.refresh_from_db()
    assert filed.status == Status.IN_PROGRESS and filed.first_owner == cast.cell_leader
    event = filed.events.get(kind=EventKind.RESPONDED)
    assert event.public and event.message == "我下午去看"


def test_an_empty_answer_comes_back_with_the_message_and_changes_nothing(client, cast, filed):
    with translation.override("en"):
        response = _act(client, cast.cell_leader, filed, "respond", {"message": "  "})
    assert response.status_code == 200
    assert "Please write the answer." in response.content.decode()
    filed.refresh_from_db()
    assert filed.status == Status.NEW


def test_first_asked_owner_cannot_answer_once_it_has_moved_up_but_can_add_a_note(client, cast, filed):
    services.request_respond(actor=cast.cell_leader, request=filed, message="收到")
    services.request_escalate(actor=cast.cell_leader, request=filed, reason="需要组长协调")
    with translation.override("en"):
        response = _act(client, cast.cell_leader, filed, "respond", {"message": "x"})
    assert response.status_code == 403
    assert "Only whoever holds this request" in response.content.decode()
    response = _act(client, cast.cell_leader, filed, "note", {"message": "居民又打电话来问"})
    assert response.status_code == 302
    assert filed.events.filter(kind=EventKind.NOTE, public=False).exists()


def test_internal_note_is_badged_on_the_timeline(client, cast, filed):
    services.request_note(actor=cast.cell_leader, request=filed, message="内部说明")
    with translation.override("en"):
        page = _detail(client, cast.cell_leader, filed).content.decode()
    assert "内部说明" in page and "internal" in page


def test_holder_sends_it_up_and_the_doer_may_not(client, cast, kinds, team):
    order = _file(cast, kinds, kind="micro")
    services.request_dispatch(actor=cast.staff, request=order, team=team)
    services.request_claim(actor=cast.cell_leader_2, request=order)
    assert _act(client, cast.cell_leader_2, order, "escalate", {"reason": "做不了"}).status_code == 403
    assert _act(client, cast.staff, order, "escalate", {"reason": "需要街道协调"}).status_code == 302
    order.refresh_from_db()
    assert order.holder == cast.street and order.assignee is None


def test_escalate_needs_a_reason(client, cast, filed):
    with translation.override("en"):
        response = _act(client, cast.cell_leader, filed, "escalate", {"reason": ""})
    assert "Please say why it goes up." in response.content.decode()
    filed.refresh_from_db()
    assert filed.holder == cast.cell


def test_group_leader_hands_down_to_a_cell_below(client, cast, filed):
    services.request_escalate(actor=cast.cell_leader, request=filed, reason="需要组长协调")
    response = _act(
        client, cast.group_leader, filed, "hand_down", {"to_unit": cast.cell2.pk, "reason": "刘芳更近"}
    )
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.holder == cast.cell2
    # The first-asked owner, who sees the request but no longer holds it, cannot move it.
    services.request_escalate(actor=cast.group_leader, request=filed, reason="退回")
    response = _act(client, cast.cell_leader, filed, "hand_down", {"to_unit": cast.cell.pk, "reason": "我来"})
    assert response.status_code == 403


def test_hand_down_to_a_unit_outside_the_holder_is_refused_in_the_form(client, cast, filed):
    services.request_escalate(actor=cast.cell_leader, request=filed, reason="需要组长协调")
    with translation.override("en"):
        response = _act(
            client, cast.group_leader, filed, "hand_down", {"to_unit": cast.cell3.pk, "reason": "x"}
        )
    assert "Please choose one of the units shown." in response.content.decode()
    filed.refresh_from_db()
    assert filed.holder == cast.group


def test_staff_dispatch_a_menu_order_to_a_team_and_a_bystander_may_not(client, cast, kinds, team):
    order = _file(cast, kinds, kind="micro")
    assert order.holder == cast.community
    # cell_leader sees it (it is from their cell) but does not hold the community level.
    response = _act(client, cast.cell_leader, order, "dispatch", {"person": cast.group_leader.pk})
    assert response.status_code == 403
    response = _act(client, cast.staff, order, "dispatch", {"team": team.pk, "note": "请尽快"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.assignee_team == team


def test_dispatch_needs_one_team_or_one_person(client, cast, kinds, team):
    order = _file(cast, kinds, kind="micro")
    with translation.override("en"):
        response = _act(
            client, cast.staff, order, "dispatch", {"team": team.pk, "person": cast.group_leader.pk}
        )
    assert "Choose one team or one person." in response.content.decode()


def test_claim_race_second_member_gets_a_message(client, cast, kinds, team):
    order = _file(cast, kinds, kind="micro")
    services.request_dispatch(actor=cast.staff, request=order, team=team)
    assert _act(client, cast.cell_leader_2, order, "claim").status_code == 302
    with translation.override("en"):
        response = _act(client, cast.group_leader, order, "claim", follow=True)
    assert "Someone has already claimed this request." in response.content.decode()
    order.refresh_from_db()
    assert order.assignee == cast.cell_leader_2


def test_only_team_members_can_claim(client, cast, kinds, team):
    order = _file(cast, kinds, kind="micro")
    services.request_dispatch(actor=cast.staff, request=order, team=team)
    assert _act(client, cast.staff, order, "claim").status_code == 403


def test_doer_resolves_with_photos(client, cast, kinds, team):
    order = _file(cast, kinds, kind="micro")
    services.request_dispatch(actor=cast.staff, request=order, team=team)
    services.request_claim(actor=cast.cell_leader_2, request=order)
    data = {"outcome": "已送药上门", "photos": [_png("a.png"), _png("b.png")]}
    assert _act(client, cast.cell_leader_2, order, "resolve", data).status_code == 302
    order.refresh_from_db()
    event = order.events.get(kind=EventKind.RESOLVED)
    assert order.status == Status.RESOLVED
    assert RequestPhoto.objects.filter(request=order, event=event).count() == 2


def test_a_file_that_is_not_a_photo_refuses_the_resolve_and_keeps_the_outcome(client, cast, filed):
    fake = SimpleUploadedFile("a.jpg", b"not an image", content_type="image/jpeg")
    response = _act(client, cast.cell_leader, filed, "resolve", {"outcome": "已修好", "photos": [fake]})
    assert response.status_code == 200 and "已修好" in response.content.decode()
    filed.refresh_from_db()
    assert filed.status == Status.NEW and not RequestPhoto.objects.exists()


def test_resolve_by_someone_who_only_first_received_it_is_forbidden(client, cast, filed):
    services.request_escalate(actor=cast.cell_leader, request=filed, reason="需要组长协调")
    assert _act(client, cast.cell_leader, filed, "resolve", {"outcome": "x"}).status_code == 403


def test_staff_close_with_a_reason_and_leaders_may_not(client, cast, filed):
    assert _act(client, cast.cell_leader, filed, "close", {"reason": "撤回"}).status_code == 403
    assert _act(client, cast.staff, filed, "close", {"reason": "居民撤回"}).status_code == 302
    filed.refresh_from_db()
    assert filed.status == Status.CLOSED and filed.close_reason == "居民撤回"


def test_staff_merge_a_duplicate_by_reference(client, cast, kinds, filed):
    duplicate = _file(cast, kinds, household=cast.h1b)
    assert _act(client, cast.cell_leader, duplicate, "merge", {"into": filed.reference}).status_code == 403
    assert _act(client, cast.staff, duplicate, "merge", {"into": filed.reference}).status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED and duplicate.merged_into == filed


def test_merge_into_an_unknown_or_closed_reference_comes_back_with_a_message(client, cast, kinds, filed):
    duplicate = _file(cast, kinds, household=cast.h1b)
    services.request_close(actor=cast.staff, request=filed, reason="已处理")
    with translation.override("en"):
        for reference in (filed.reference, "99999", "not a number"):
            response = _act(client, cast.staff, duplicate, "merge", {"into": reference})
            assert "No other open request with this reference number" in response.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.status == Status.NEW


def test_unknown_action_is_not_found_and_actions_need_a_post(client, cast, filed):
    assert _act(client, cast.staff, filed, "delete").status_code == 404
    client.force_login(cast.staff)
    assert client.get(reverse("service_requests:act", args=[filed.pk, "respond"])).status_code == 405


def test_closed_request_shows_no_actions(client, cast, filed):
    services.request_close(actor=cast.staff, request=filed, reason="居民撤回")
    with translation.override("en"):
        page = _detail(client, cast.staff, filed).content.decode()
    assert "What you can do" not in page
    assert reverse("service_requests:act", args=[filed.pk, "respond"]) not in page


def test_open_request_shows_the_holders_actions(client, cast, filed):
    page = _detail(client, cast.cell_leader, filed).content.decode()
    for action in ("respond", "note", "escalate", "dispatch", "resolve"):
        assert reverse("service_requests:act", args=[filed.pk, action]) in page
    for action in ("hand_down", "close", "merge"):
        assert reverse("service_requests:act", args=[filed.pk, action]) not in page


def test_response_template_prefills_the_answer(client, cast, filed):
    template = ResponseTemplate.objects.create(
        street=cast.street, title="已收到", text="您好,已收到,我们会在24小时内联系您。"
    )
    page = _detail(client, cast.cell_leader, filed).content.decode()
    assert f'data-text="{template.text}"' in page
    page = _detail(client, cast.cell_leader, filed, f"?template={template.pk}").content.decode()
    assert f"{template.text}</textarea>" in page


def test_first_asked_owner_is_shown_prominently(client, cast, filed):
    services.request_respond(actor=cast.cell_leader, request=filed, message="收到")
    with translation.override("en"):
        page = _detail(client, cast.group_leader, filed).content.decode()
    assert "First-asked owner" in page and cast.cell_leader.display_name in page


# --- The reporter's phone -----------------------------------------------------------------------------


def test_reporter_phone_is_masked_and_revealing_it_is_logged(client, cast, filed):
    page = _detail(client, cast.cell_leader, filed).content.decode()
    assert "139****2222" in page and "13900002222" not in page
    response = _act(client, cast.cell_leader, filed, "reveal_phone")
    assert response.status_code == 200 and 'href="tel:13900002222"' in response.content.decode()
    log = AccessLog.objects.get()
    assert log.user == cast.cell_leader and log.action == AccessAction.REVEAL_PHONE
    assert log.detail == {"request": filed.pk}


def test_reveal_by_htmx_returns_just_the_call_button(client, cast, filed):
    response = _act(client, cast.cell_leader, filed, "reveal_phone", HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert 'href="tel:13900002222"' in content and "<html" not in content


def test_team_member_who_has_not_claimed_cannot_reveal_the_phone(client, cast, kinds, team):
    order = _file(cast, kinds, kind="micro")
    services.request_dispatch(actor=cast.staff, request=order, team=team)
    assert _act(client, cast.cell_leader_2, order, "reveal_phone").status_code == 403
    assert not AccessLog.objects.exists()


# --- Filing on behalf ---------------------------------------------------------------------------------


def _on_behalf(client, user, **data):
    client.force_login(user)
    return client.post(reverse("service_requests:file_on_behalf"), data)


def test_leader_filing_on_behalf_becomes_first_asked_owner(client, cast, kinds):
    response = _on_behalf(
        client,
        cast.cell_leader,
        household=cast.h1.pk,
        kind=kinds["dispute"].pk,
        channel=Channel.WECHAT,
        description="楼上漏水到厨房",
    )
    assert response.status_code == 302
    request = Request.objects.get()
    assert request.first_owner == cast.cell_leader and request.channel == Channel.WECHAT
    assert request.holder == cast.cell and request.status == Status.NEW
    assert response.url == reverse("service_requests:detail", args=[request.pk])


def test_solved_on_the_spot_is_recorded_closed(client, cast, kinds):
    _on_behalf(
        client,
        cast.cell_leader,
        household=cast.h1b.pk,
        kind=kinds["repair"].pk,
        channel=Channel.VISIT,
        description="门锁松了",
        solved_on_spot="on",
        on_spot_outcome="当场拧紧",
    )
    request = Request.objects.get()
    assert request.status == Status.CLOSED and request.solved_on_spot and request.close_reason == "当场拧紧"


def test_solved_on_the_spot_needs_what_was_done(client, cast, kinds):
    with translation.override("en"):
        response = _on_behalf(
            client,
            cast.cell_leader,
            household=cast.h1.pk,
            kind=kinds["repair"].pk,
            channel=Channel.VISIT,
            description="门锁松了",
            solved_on_spot="on",
        )
    assert "Please say what was done on the spot." in response.content.decode()
    assert "门锁松了" in response.content.decode()  # nothing typed is lost
    assert not Request.objects.exists()


def test_leader_cannot_file_for_a_household_outside_their_patch(client, cast, kinds):
    with translation.override("en"):
        response = _on_behalf(
            client,
            cast.cell_leader,
            household=cast.h2.pk,
            kind=kinds["repair"].pk,
            channel=Channel.PHONE,
            description="x",
        )
    assert "Please choose one of your households." in response.content.decode()
    assert not Request.objects.exists()


def test_household_link_prefills_the_head_of_household_name_but_not_the_phone(client, cast, kinds):
    client.force_login(cast.cell_leader)
    response = client.get(reverse("service_requests:file_on_behalf"), {"household": cast.h1.pk})
    page = response.content.decode()
    head = cast.h1.members.get()
    assert f'value="{head.name}"' in page
    assert head.phone not in page
    assert f'id="household_{cast.h1.pk}" value="{cast.h1.pk}" checked' in page


def test_leader_sees_only_their_households_to_pick_from(client, cast, kinds):
    client.force_login(cast.cell_leader)
    page = client.get(reverse("service_requests:file_on_behalf")).content.decode()
    assert f'value="{cast.h1.pk}"' in page and f'value="{cast.h1b.pk}"' in page
    assert f'id="household_{cast.h2.pk}"' not in page


def test_staff_search_a_household_and_file_without_one_at_the_community(client, cast, kinds):
    client.force_login(cast.staff)
    page = client.get(reverse("service_requests:file_on_behalf"), {"q": "刘芳"}).content.decode()
    assert f'id="household_{cast.h2.pk}"' in page and f'id="household_{cast.h1.pk}"' not in page
    response = _on_behalf(
        client,
        cast.staff,
        household="",
        community=cast.community.pk,
        kind=kinds["certificate"].pk,
        channel=Channel.SERVICE_CENTRE,
        description="开居住证明",
    )
    assert response.status_code == 302
    request = Request.objects.get()
    assert request.holder == cast.community and request.first_owner == cast.staff


def test_residents_cannot_file_on_behalf(client, cast):
    client.force_login(cast.resident)
    assert client.get(reverse("service_requests:file_on_behalf")).status_code == 404


# --- The team queue -----------------------------------------------------------------------------------


def test_team_queue_lists_unclaimed_first_then_mine_then_others(client, cast, kinds, team):
    other_team = Team.objects.create(community=cast.community, name="暖邻帮扶队")
    other_team.members.add(cast.cell_leader_2)
    orders = [_file(cast, kinds, kind="micro", household=h) for h in (cast.h1, cast.h1b, cast.h2)]
    for order in orders:
        services.request_dispatch(actor=cast.staff, request=order, team=team)
    services.request_claim(actor=cast.group_leader, request=orders[0])  # someone else's
    services.request_claim(actor=cast.cell_leader_2, request=orders[1])  # mine
    client.force_login(cast.cell_leader_2)
    with translation.override("en"):
        page = client.get(reverse("service_requests:team_queue")).content.decode()
    positions = [page.index(order.reference) for order in (orders[2], orders[1], orders[0])]
    assert positions == sorted(positions)
    assert "Claimed by you" in page and f"Claimed by {cast.group_leader.display_name}" in page
    assert page.count("req-row-grey") == 1


def test_team_queue_is_not_for_residents_outside_any_team(client, cast):
    client.force_login(cast.resident)
    assert client.get(reverse("service_requests:team_queue")).status_code == 404


# --- Queries ------------------------------------------------------------------------------------------


def _more_requests(cast, kinds, count):
    for index in range(count):
        request = _file(cast, kinds, household=(cast.h1, cast.h1b, cast.h2)[index % 3])
        if index % 2:
            services.request_respond(actor=cast.staff, request=request, message="收到")


# The page's requests are chosen, then read with their relations by id (selectors.rows_decorate); the
# viewer's teams and, for staff, the units of their community are read first (accounts.scope).
@pytest.mark.parametrize("role, queries", [("staff", 12), ("cell_leader", 11)])
def test_queue_costs_the_same_queries_however_many_requests(
    client, cast, kinds, filed, django_assert_num_queries, role, queries
):
    user = getattr(cast, role)
    client.force_login(user)
    url = reverse("service_requests:queue")
    with django_assert_num_queries(queries):
        assert client.get(url, {"tab": "open"}).status_code == 200
    _more_requests(cast, kinds, 12)
    with django_assert_num_queries(queries):
        page = client.get(url, {"tab": "open"}).content.decode()
    assert page.count("req-row ") >= 5


def test_a_long_queue_counts_up_to_its_cap_and_says_there_are_more(client, cast, kinds, monkeypatch):
    from service_requests import selectors

    monkeypatch.setattr(selectors, "QUEUE_MAX_COUNT", 3)
    client.force_login(cast.staff)
    url = reverse("service_requests:queue")

    def close_one():
        services.request_close(actor=cast.staff, request=_file(cast, kinds), reason="撤回")

    for _index in range(3):
        close_one()
    page = client.get(url, {"tab": "closed"}).content.decode()
    assert "3 requests" in page and "More than" not in page
    assert '<span class="req-tab-count">3</span>' in page
    close_one()
    page = client.get(url, {"tab": "closed"}).content.decode()
    assert "More than 3 requests: narrow them with the filters" in page
    assert '<span class="req-tab-count">3+</span>' in page


def test_the_territory_filter_marks_the_chosen_unit_and_escapes_names(client, cast):
    from territory.models import TerritoryUnit

    TerritoryUnit.objects.filter(pk=cast.cell.pk).update(name='一邻 <b>"&')
    client.force_login(cast.staff)
    url = reverse("service_requests:queue")

    page = client.get(url, {"unit": cast.cell.pk}).content.decode()

    assert f'<option value="{cast.cell.pk}" selected>' in page
    assert f'<option value="{cast.group.pk}">' in page and page.count(" selected>") == 1
    assert "一邻 &lt;b&gt;&quot;&amp;" in page and '一邻 <b>"&' not in page


def test_a_queue_counts_its_rows_without_ordering_them(client, cast, kinds):
    # Django keeps the ORDER BY of a sliced queryset; ordered, PostgreSQL counted a community's closed
    # requests by walking the whole district's created_at index.
    _file(cast, kinds)
    client.force_login(cast.staff)

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("service_requests:queue"), {"tab": "closed"})

    [count] = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(*) FROM (SELECT")
    ]
    assert "ORDER BY" not in count and "LIMIT" in count


def test_a_patch_too_big_for_the_territory_filter_lists_it_without_its_cells(client, cast, monkeypatch):
    from service_requests import selectors

    assert cast.cell in selectors.queue_unit_options(cast.staff)
    monkeypatch.setattr(selectors, "QUEUE_UNIT_OPTIONS_MAX", 4)
    units = selectors.queue_unit_options(cast.staff)
    assert cast.group in units and cast.community in units
    assert not any(unit.level == "cell" for unit in units)


def test_the_territory_filter_narrows_the_queue_to_the_units_below(client, cast, kinds):
    mine, theirs = _file(cast, kinds, household=cast.h1), _file(cast, kinds, household=cast.h2)
    client.force_login(cast.staff)
    url = reverse("service_requests:queue")
    page = client.get(url, {"tab": "open", "unit": cast.cell.pk}).content.decode()
    assert f'href="/requests/{mine.pk}/"' in page and f'href="/requests/{theirs.pk}/"' not in page
    page = client.get(url, {"tab": "open", "unit": cast.group.pk}).content.decode()
    assert f'href="/requests/{mine.pk}/"' in page and f'href="/requests/{theirs.pk}/"' in page


def test_team_queue_costs_the_same_queries_however_many_orders(
    client, cast, kinds, team, django_assert_num_queries
):
    def dispatch(count):
        for _index in range(count):
            order = _file(cast, kinds, kind="micro")
            services.request_dispatch(actor=cast.staff, request=order, team=team)

    dispatch(1)
    client.force_login(cast.cell_leader_2)
    url = reverse("service_requests:team_queue")
    with django_assert_num_queries(9):
        client.get(url)
    dispatch(6)
    with django_assert_num_queries(9):
        page = client.get(url).content.decode()
    assert page.count("req-row ") == 7


def test_photos_beyond_five_per_request_refuse_the_whole_resolve(client, cast, filed):
    request_photos_add(request=filed, files=[_png() for _index in range(4)])
    data = {"outcome": "已修好", "photos": [_png("a.png"), _png("b.png")]}
    with translation.override("en"):
        response = _act(client, cast.cell_leader, filed, "resolve", data)
    assert response.status_code == 200 and "At most 5 photos per request" in response.content.decode()
    filed.refresh_from_db()
    assert filed.status == Status.NEW and RequestPhoto.objects.count() == 4
    assert not filed.events.filter(kind=EventKind.RESOLVED).exists()


def test_answering_a_closed_request_comes_back_with_the_message(client, cast, filed):
    services.request_close(actor=cast.staff, request=filed, reason="居民撤回")
    with translation.override("en"):
        response = _act(client, cast.cell_leader, filed, "respond", {"message": "我来看看"})
    assert response.status_code == 200 and "This request is no longer open." in response.content.decode()
    assert not filed.events.filter(kind=EventKind.RESPONDED).exists()


@pytest.mark.parametrize("chosen", [None, "cell"])
def test_hand_down_choices_render_as_django_would_render_them(cast, filed, chosen):
    from django import forms
    from django.test.html import parse_html

    from service_requests.forms import HandDownForm
    from territory.models import TerritoryUnit

    services.request_escalate(actor=cast.cell_leader, request=filed, reason="需要组长协调")
    filed.refresh_from_db()
    TerritoryUnit.objects.filter(pk=cast.cell.pk).update(name='一邻 <b>"&')  # escaped like Django does
    data = {"to_unit": cast.cell.pk, "reason": "x"} if chosen else None
    form = HandDownForm(data, user=cast.group_leader, request=filed)
    field = form["to_unit"]
    ours = str(field)
    field.field.widget = forms.Select(choices=field.field.choices)
    assert parse_html(ours) == parse_html(str(form["to_unit"]))
    assert (f'<option value="{cast.cell.pk}" selected>' in ours) == bool(chosen)
    assert "&lt;b&gt;&quot;&amp;" in ours
