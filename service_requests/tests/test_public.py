"""The resident's side: filing from the building's QR code, the tracking page, rating, my requests."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from service_requests import services
from service_requests.catalogue import service_catalogue_install
from service_requests.models import Channel, Request, RequestPhoto, ServiceKind, Status
from territory.models import Building, Level
from territory.services import unit_create

REPORTER_NAME = "欧阳秀英"
REPORTER_PHONE = "13712345678"


def png(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), (10, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def english(client):
    """Pages in English (the browser's language choice), for tests that read message text."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def kinds(cast):
    service_catalogue_install(cast.street)
    return {k.code: k for k in ServiceKind.objects.filter(street=cast.street)}


@pytest.fixture
def building(cast):
    """阳光小区 1栋: households h1 and h1b (cell C1) and h2 (cell C2)."""
    return Building.objects.get(entrances__households=cast.h1)


@pytest.fixture
def other_building(cast):
    return Building.objects.get(entrances__households=cast.h3)


def file_url(building):
    return reverse("service_requests:file_from_building", args=[building.pk])


def form_data(chosen, **extra):
    data = {"kind": chosen.pk, "description": "三楼楼道灯不亮,晚上看不见台阶", "phone": "", "name": ""}
    data.update(extra)
    return data


def filed_request(cast, kind, building=None, **fields):
    fields.setdefault("description", "楼道灯坏了")
    return services.request_file(
        actor=None,
        kind=kind,
        channel=Channel.QR,
        building=building or Building.objects.get(entrances__households=cast.h1),
        **fields,
    )


# ---- The QR page and filing ----------------------------------------------------------------------------


def test_qr_page_shows_the_building_and_the_streets_public_menu(client, cast, kinds, building):
    kinds["certificate"].on_public_menu = False
    kinds["certificate"].save()
    kinds["other"].active = False
    kinds["other"].save()
    page = client.get(file_url(building)).content.decode()
    assert "阳光小区" in page and "1栋" in page
    assert kinds["repair"].name in page and kinds["repair"].icon in page
    assert kinds["certificate"].name not in page and kinds["other"].name not in page
    assert page.index(kinds["repair"].name) < page.index(kinds["hazard"].name)  # the menu's order
    assert 'type="file"' in page and "multiple" in page and 'accept="image/*"' in page


def test_unknown_building_is_404(client, cast, kinds):
    assert client.get(reverse("service_requests:file_from_building", args=[999999])).status_code == 404


def test_anonymous_filing_lands_with_the_building_and_goes_to_the_tracking_page(
    client, cast, kinds, building
):
    response = client.post(
        file_url(building), form_data(kinds["repair"], phone="137 1234 5678", name=REPORTER_NAME)
    )
    filed = Request.objects.get()
    assert response.status_code == 302
    track = reverse("service_requests:track", args=[filed.public_token])
    assert response["Location"] == f"{track}?k={filed.reporter_key}"  # the reporter's own link
    assert filed.channel == Channel.QR and filed.building == building and filed.household is None
    assert filed.reporter_phone == REPORTER_PHONE and filed.reporter_name == REPORTER_NAME
    assert filed.reporter_user is None and filed.holder == cast.group  # C1 and C2 share group G1


def test_a_logged_in_resident_files_for_their_household_and_lands_at_their_cell(
    client, cast, kinds, building
):
    client.force_login(cast.resident)
    client.post(file_url(building), form_data(kinds["repair"]))
    filed = Request.objects.get()
    assert filed.household == cast.h1 and filed.holder == cast.cell
    assert filed.reporter_user == cast.resident and filed.first_owner is None


def test_a_logged_in_resident_filing_in_another_building_sets_no_household(
    client, cast, kinds, other_building
):
    client.force_login(cast.resident)
    client.post(file_url(other_building), form_data(kinds["repair"]))
    filed = Request.objects.get()
    assert filed.household is None and filed.building == other_building and filed.holder == cast.cell3


def test_a_wrong_phone_number_is_explained_and_the_text_kept(english, client, cast, kinds, building):
    response = client.post(file_url(building), form_data(kinds["repair"], phone="12345", name=REPORTER_NAME))
    page = response.content.decode()
    assert response.status_code == 400 and not Request.objects.exists()
    assert "A mobile number has 11 digits" in page
    assert "三楼楼道灯不亮" in page and REPORTER_NAME in page and 'value="12345"' in page


def test_a_missing_description_is_explained_and_the_other_fields_kept(english, client, cast, kinds, building):
    response = client.post(
        file_url(building),
        form_data(kinds["hazard"], description="   ", phone=REPORTER_PHONE, name=REPORTER_NAME),
    )
    page = response.content.decode()
    assert response.status_code == 400 and not Request.objects.exists()
    assert "Please describe the problem." in page
    assert REPORTER_PHONE in page and REPORTER_NAME in page
    assert f'value="{kinds["hazard"].pk}" checked' in page


@pytest.mark.parametrize("bad_kind", ["999999", "abc", "other_street"])
def test_a_kind_not_on_this_streets_menu_is_refused(english, client, cast, kinds, building, bad_kind):
    if bad_kind == "other_street":
        elsewhere = unit_create(parent=None, level=Level.STREET, name="别的街道")
        bad_kind = service_catalogue_install(elsewhere)[0].pk
    response = client.post(file_url(building), form_data(kinds["repair"], kind=bad_kind))
    assert response.status_code == 400 and not Request.objects.exists()
    assert "Please choose one of the services shown." in response.content.decode()


def test_a_kind_taken_off_the_menu_is_refused(client, cast, kinds, building):
    kinds["certificate"].on_public_menu = False
    kinds["certificate"].save()
    response = client.post(file_url(building), form_data(kinds["certificate"]))
    assert response.status_code == 400 and not Request.objects.exists()


def test_six_photos_are_refused_with_the_text_kept(english, client, cast, kinds, building):
    response = client.post(
        file_url(building), form_data(kinds["repair"], photos=[png(f"{n}.png") for n in range(6)])
    )
    page = response.content.decode()
    assert response.status_code == 400 and not Request.objects.exists()
    assert "At most 5 photos" in page and "please choose the photos again" in page
    assert "三楼楼道灯不亮" in page


def test_a_text_file_renamed_jpg_is_refused_by_its_content(english, client, cast, kinds, building):
    fake = SimpleUploadedFile("stairs.jpg", b"not an image, just text", content_type="image/jpeg")
    response = client.post(file_url(building), form_data(kinds["repair"], photos=[png(), fake]))
    page = response.content.decode()
    assert response.status_code == 400 and not Request.objects.exists() and not RequestPhoto.objects.exists()
    assert "stairs.jpg is not a photo" in page and "please choose the photos again" in page


def test_a_real_png_is_accepted_and_shown_on_the_tracking_page(client, cast, kinds, building):
    response = client.post(file_url(building), form_data(kinds["repair"], photos=[png()]))
    photo = RequestPhoto.objects.get()
    assert photo.extension == "png"
    page = client.get(response["Location"]).content.decode()
    photo_url = reverse("service_requests:public_photo", args=[photo.request.public_token, photo.pk])
    assert photo_url in page
    served = client.get(photo_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")


def test_a_photo_is_not_served_under_another_requests_token(client, cast, kinds, building):
    client.post(file_url(building), form_data(kinds["repair"], photos=[png()]))
    photo = RequestPhoto.objects.get()
    other = filed_request(cast, kinds["hazard"])
    assert (
        client.get(reverse("service_requests:public_photo", args=[other.public_token, photo.pk])).status_code
        == 404
    )


def test_the_fourth_anonymous_filing_from_one_phone_in_an_hour_is_refused(
    english, client, cast, kinds, building
):
    for _ in range(3):
        assert (
            client.post(file_url(building), form_data(kinds["repair"], phone=REPORTER_PHONE)).status_code
            == 302
        )
    response = client.post(
        file_url(building), form_data(kinds["repair"], phone=REPORTER_PHONE, name=REPORTER_NAME)
    )
    page = response.content.decode()
    assert response.status_code == 400 and Request.objects.count() == 3
    assert "Please try again later" in page
    assert "三楼楼道灯不亮" in page and REPORTER_NAME in page


# ---- Likely duplicates -----------------------------------------------------------------------------------


def test_similar_shows_open_requests_of_the_same_building_and_kind_without_personal_data(
    client, cast, kinds, building, other_building
):
    long_text = "漏水" * 40  # 80 characters: only the first 60 are shown
    same = filed_request(
        cast,
        kinds["repair"],
        description=long_text,
        reporter_name=REPORTER_NAME,
        reporter_phone=REPORTER_PHONE,
    )
    closed = filed_request(cast, kinds["repair"], description="已经关闭的那件")
    services.request_close(actor=None, request=closed, reason="重复")
    filed_request(cast, kinds["repair"], building=other_building, description="隔壁楼的那件")
    filed_request(cast, kinds["hazard"], description="别的类别的那件")
    url = reverse("service_requests:similar_open_requests", args=[building.pk])
    page = client.get(url, {"kind": kinds["repair"].pk}, HTTP_HX_REQUEST="true").content.decode()
    assert reverse("service_requests:track", args=[same.public_token]) in page
    assert "漏水" * 30 in page and "漏水" * 31 not in page
    assert "已经关闭的那件" not in page and "隔壁楼的那件" not in page and "别的类别的那件" not in page
    assert REPORTER_NAME not in page and REPORTER_PHONE not in page


def test_similar_shows_at_most_five_newest_first(client, cast, kinds, building):
    for n in range(7):
        filed_request(cast, kinds["repair"], description=f"第{n}件事")
    url = reverse("service_requests:similar_open_requests", args=[building.pk])
    page = client.get(url, {"kind": kinds["repair"].pk}).content.decode()
    assert "第6件事" in page and "第2件事" in page and "第1件事" not in page
    assert page.index("第6件事") < page.index("第2件事")


def test_similar_with_no_or_bad_kind_shows_nothing(client, cast, kinds, building):
    filed_request(cast, kinds["repair"])
    url = reverse("service_requests:similar_open_requests", args=[building.pk])
    assert client.get(url, {"kind": "x"}).content.decode().strip() == ""
    assert client.get(url).content.decode().strip() == ""


# ---- Tracking ---------------------------------------------------------------------------------------------


def test_tracking_page_never_shows_the_reporter_or_internal_notes(english, client, cast, kinds, building):
    filed = filed_request(
        cast, kinds["repair"], household=cast.h1, reporter_name=REPORTER_NAME, reporter_phone=REPORTER_PHONE
    )
    services.request_respond(actor=cast.cell_leader, request=filed, message="明天上午来修")
    services.request_note(actor=cast.cell_leader, request=filed, message="内部:这家人脾气急", public=False)
    page = client.get(reverse("service_requests:track", args=[filed.public_token])).content.decode()
    assert "明天上午来修" in page and "楼道灯坏了" in page and filed.reference in page
    assert "阳光小区" in page and cast.cell.name in page
    assert REPORTER_NAME not in page and REPORTER_PHONE not in page
    assert "内部:这家人脾气急" not in page
    # The first-asked owner by role only, never by name.
    assert "Neighbour leader" in page and cast.cell_leader.full_name not in page


def test_tracking_page_walks_the_progress_line(english, client, cast, kinds):
    filed = filed_request(cast, kinds["repair"], household=cast.h1)
    services.request_respond(actor=cast.cell_leader, request=filed, message="收到")
    services.request_escalate(actor=cast.cell_leader, request=filed, reason="需要组长协调")
    page = client.get(reverse("service_requests:track", args=[filed.public_token])).content.decode()
    assert 'class="done current" aria-current="step">Answered' in page
    assert "Sent up a level" in page and cast.group.name in page
    assert "Are you satisfied?" not in page  # no rating before it is resolved


def test_wrong_token_is_404(client, cast, kinds):
    filed_request(cast, kinds["repair"])
    assert client.get(reverse("service_requests:track", args=["not-a-token"])).status_code == 404
    assert (
        client.post(reverse("service_requests:rate", args=["not-a-token"]), {"rating": 5}).status_code == 404
    )


def test_tracking_page_queries_stay_the_same_however_long_the_timeline(
    client, cast, kinds, django_assert_num_queries
):
    filed = filed_request(cast, kinds["repair"], household=cast.h1)
    url = reverse("service_requests:track", args=[filed.public_token])
    services.request_respond(actor=cast.cell_leader, request=filed, message="收到")
    with django_assert_num_queries(4):  # request, first owner's appointments, events, photos
        client.get(url)
    for n in range(5):
        services.request_note(actor=cast.cell_leader, request=filed, message=f"进展{n}", public=True)
    services.request_escalate(actor=cast.cell_leader, request=filed, reason="上报")
    services.request_resolve(actor=cast.group_leader, request=filed, outcome="修好了")
    with django_assert_num_queries(4):
        page = client.get(url).content.decode()
    assert "进展4" in page


# ---- Rating -----------------------------------------------------------------------------------------------


@pytest.fixture
def resolved(cast, kinds):
    filed = filed_request(cast, kinds["repair"], household=cast.h1)
    services.request_resolve(actor=cast.cell_leader, request=filed, outcome="换了灯泡")
    return filed


def test_a_resolved_request_offers_the_rating_form(english, client, resolved):
    page = client.get(
        reverse("service_requests:track", args=[resolved.public_token]), {"k": resolved.reporter_key}
    ).content.decode()
    assert "Are you satisfied?" in page and 'name="rating"' in page and 'name="solved"' in page


def test_rating_five_closes_the_request(client, resolved):
    response = client.post(
        reverse("service_requests:rate", args=[resolved.public_token]),
        {"rating": "5", "solved": "yes", "comment": "谢谢", "k": resolved.reporter_key},
    )
    resolved.refresh_from_db()
    assert response.status_code == 302 and resolved.status == Status.CLOSED and resolved.rating == 5
    page = client.get(response["Location"]).content.decode()
    assert "谢谢" in page


def test_rating_one_reopens_the_request(client, resolved):
    client.post(
        reverse("service_requests:rate", args=[resolved.public_token]),
        {"rating": "1", "solved": "no", "comment": "还是不亮", "k": resolved.reporter_key},
    )
    resolved.refresh_from_db()
    assert resolved.status == Status.IN_PROGRESS and resolved.times_reopened == 1


def test_rating_without_stars_comes_back_with_the_comment_kept(english, client, resolved):
    response = client.post(
        reverse("service_requests:rate", args=[resolved.public_token]),
        {"solved": "yes", "comment": "师傅很耐心", "k": resolved.reporter_key},
    )
    page = response.content.decode()
    assert response.status_code == 400 and "Please choose from 1 to 5 stars." in page and "师傅很耐心" in page
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED


def test_rating_a_request_that_is_not_resolved_shows_the_services_refusal(english, client, cast, kinds):
    filed = filed_request(cast, kinds["repair"])
    response = client.post(
        reverse("service_requests:rate", args=[filed.public_token]),
        {"rating": "5", "solved": "yes", "k": filed.reporter_key},
        follow=True,
    )
    assert "Only a resolved request can be rated." in response.content.decode()
    filed.refresh_from_db()
    assert filed.status == Status.NEW and filed.rating is None


def test_someone_with_only_the_tracking_link_sees_updates_but_cannot_rate(english, client, resolved):
    track = reverse("service_requests:track", args=[resolved.public_token])
    page = client.get(track).content.decode()
    assert 'name="rating"' not in page
    for key in ["", "forged"]:
        response = client.post(
            reverse("service_requests:rate", args=[resolved.public_token]),
            {"rating": "1", "solved": "no", "k": key},
        )
        assert response.status_code == 403
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED and resolved.rating is None


# ---- My requests ------------------------------------------------------------------------------------------


def test_my_requests_shows_only_my_own(client, cast, kinds, building):
    mine = filed_request(cast, kinds["repair"], reporter_user=cast.resident, description="我家的事")
    filed_request(cast, kinds["repair"], description="邻居匿名报的事")
    filed_request(cast, kinds["hazard"], reporter_user=cast.cell_leader, description="别人报的事")
    client.force_login(cast.resident)
    page = client.get(reverse("service_requests:my_requests")).content.decode()
    assert reverse("service_requests:track", args=[mine.public_token]) in page and "我家的事" in page
    assert "邻居匿名报的事" not in page and "别人报的事" not in page


def test_my_requests_needs_a_login(client, cast):
    response = client.get(reverse("service_requests:my_requests"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_my_requests_queries_do_not_grow_with_the_list(client, cast, kinds, django_assert_num_queries):
    client.force_login(cast.resident)
    url = reverse("service_requests:my_requests")
    filed_request(cast, kinds["repair"], reporter_user=cast.resident)
    # session, user, the scope (appointments, resident), teams, count, page
    with django_assert_num_queries(7):
        client.get(url)
    for n in range(8):
        filed_request(cast, kinds["dispute"], reporter_user=cast.resident, description=f"事情{n}")
    with django_assert_num_queries(7):
        page = client.get(url).content.decode()
    assert "事情7" in page
