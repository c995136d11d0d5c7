"""Staff edit households and residents: add, move, mark 空挂户, record residents with ID numbers."""

import datetime

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import escape

from linli.testing import CAST_ROLES, make_id_number, make_resident
from people.models import Household, HouseholdStatus, Resident
from territory.models import Entrance

NOT_STAFF = [role for role in CAST_ROLES if role not in {"street_admin", "staff"}]


def _entrance(cast, community=None):
    return Entrance.objects.filter(building__estate__community=community or cast.community).first()


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _resident_data(**overrides):
    data = {
        "name": "李秀英",
        "id_number": "",
        "gender": "",
        "birth_date": "",
        "phone": "",
        "relation": "spouse",
        "residence_status": "resident",
        "emergency_contact_name": "",
        "emergency_contact_phone": "",
        "note": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def staff_client(client, cast):
    client.force_login(cast.staff)
    return client


# Households ---------------------------------------------------------------------------------------


def test_staff_creates_a_household(staff_client, cast):
    entrance = _entrance(cast)
    response = staff_client.post(
        reverse("people:household_create"),
        {"entrance": entrance.pk, "room": "1203", "cell": cast.cell2.pk, "note": "新搬来"},
    )
    household = Household.objects.get(entrance=entrance, room="1203")
    assert response.status_code == 302
    assert response.url == reverse("people:household_detail", args=[household.pk])
    assert (household.community, household.cell, household.floor) == (cast.community, cast.cell2, 12)
    assert household.history.get().history_user == cast.staff


def test_household_form_prefills_the_entrance_and_groups_entrances_by_estate(staff_client, cast):
    entrance = _entrance(cast)
    response = staff_client.get(reverse("people:household_create") + f"?entrance={entrance.pk}")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<optgroup label="阳光小区">' in html
    assert f'<option value="{entrance.pk}" selected>' in html
    assert "和平小区" not in html  # community B's estate is not offered
    assert cast.other_cell.name not in html


def test_household_form_ignores_a_garbage_entrance_prefill(staff_client, cast):
    response = staff_client.get(reverse("people:household_create") + "?entrance=abc")
    assert response.status_code == 200


def test_duplicate_address_is_refused_with_a_message(staff_client, cast):
    response = staff_client.post(
        reverse("people:household_create"), {"entrance": cast.h1.entrance_id, "room": cast.h1.room}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["room"]
    assert Household.objects.filter(entrance=cast.h1.entrance_id, room=cast.h1.room).count() == 1


def test_staff_cannot_choose_another_communitys_entrance_or_cell(staff_client, cast):
    response = staff_client.post(
        reverse("people:household_create"),
        {"entrance": _entrance(cast, cast.other_community).pk, "room": "909", "cell": cast.other_cell.pk},
    )
    errors = response.context["form"].errors
    assert response.status_code == 200
    assert "entrance" in errors and "cell" in errors
    assert not Household.objects.filter(room="909").exists()


def test_street_admin_cannot_put_a_household_in_a_cell_of_another_community(client, cast):
    client.force_login(cast.street_admin)
    response = client.post(
        reverse("people:household_edit", args=[cast.h1.pk]),
        {"entrance": cast.h1.entrance_id, "room": cast.h1.room, "cell": cast.other_cell.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["cell"]
    cast.h1.refresh_from_db()
    assert cast.h1.cell == cast.cell


def test_moving_a_household_keeps_the_old_address_in_history(staff_client, cast):
    old_entrance, old_room = cast.h1.entrance_id, cast.h1.room
    new_entrance = Entrance.objects.get(pk=cast.h3.entrance_id)
    response = staff_client.post(
        reverse("people:household_edit", args=[cast.h1.pk]),
        {"entrance": new_entrance.pk, "room": "502", "cell": cast.cell3.pk, "note": "换房"},
    )
    assert response.status_code == 302
    cast.h1.refresh_from_db()
    assert (cast.h1.entrance_id, cast.h1.room, cast.h1.cell, cast.h1.note) == (
        new_entrance.pk,
        "502",
        cast.cell3,
        "换房",
    )
    versions = list(cast.h1.history.order_by("history_date", "history_id"))
    assert (versions[0].entrance_id, versions[0].room) == (old_entrance, old_room)
    assert versions[-1].history_user == cast.staff
    assert any("history" in m or "历史" in m for m in _messages(response))


def test_household_edit_page_says_the_old_address_is_kept(staff_client, cast):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = staff_client.get(reverse("people:household_edit", args=[cast.h1.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "the old address stays in the history" in html
    assert f'value="{cast.h1.room}"' in html
    assert f'<option value="{cast.cell.pk}" selected>' in html


def test_moving_onto_an_occupied_address_is_refused(staff_client, cast):
    response = staff_client.post(
        reverse("people:household_edit", args=[cast.h1.pk]),
        {"entrance": cast.h1b.entrance_id, "room": cast.h1b.room},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["room"]
    cast.h1.refresh_from_db()
    assert cast.h1.room == "101"


def test_marking_registered_only_empties_the_cell(staff_client, cast):
    response = staff_client.post(
        reverse("people:household_status", args=[cast.h1.pk]), {"status": "registered_only"}
    )
    assert response.status_code == 302
    assert response.url == reverse("people:household_detail", args=[cast.h1.pk])
    cast.h1.refresh_from_db()
    assert cast.h1.status == HouseholdStatus.REGISTERED_ONLY
    assert cast.h1.cell is None
    assert not Household.objects.filter(cell=cast.cell, pk=cast.h1.pk).exists()
    assert any(cast.cell.name in m for m in _messages(response))


def test_marking_living_here_again(staff_client, cast):
    staff_client.post(reverse("people:household_status", args=[cast.h1.pk]), {"status": "registered_only"})
    staff_client.post(reverse("people:household_status", args=[cast.h1.pk]), {"status": "resident"})
    cast.h1.refresh_from_db()
    assert cast.h1.status == HouseholdStatus.RESIDENT


@pytest.mark.parametrize("data", [{}, {"status": "gone"}, {"status": ["resident", "x"]}])
def test_household_status_refuses_unknown_values_without_change(staff_client, cast, data):
    response = staff_client.post(reverse("people:household_status", args=[cast.h1.pk]), data)
    assert response.status_code == 302
    cast.h1.refresh_from_db()
    assert (cast.h1.status, cast.h1.cell) == (HouseholdStatus.RESIDENT, cast.cell)


def test_household_status_answers_only_post(staff_client, cast):
    assert staff_client.get(reverse("people:household_status", args=[cast.h1.pk])).status_code == 405


def test_registered_only_household_cannot_be_put_back_in_a_cell(staff_client, cast):
    staff_client.post(reverse("people:household_status", args=[cast.h1.pk]), {"status": "registered_only"})
    response = staff_client.post(
        reverse("people:household_edit", args=[cast.h1.pk]),
        {"entrance": cast.h1.entrance_id, "room": cast.h1.room, "cell": cast.cell.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["cell"]


# Residents ----------------------------------------------------------------------------------------


def test_staff_adds_a_resident_with_gender_and_birth_read_off_the_id(staff_client, cast):
    number = make_id_number(datetime.date(1958, 4, 9), "M")
    response = staff_client.post(
        reverse("people:resident_create", args=[cast.h1.pk]),
        _resident_data(
            id_number=number,
            phone="１３８ ００１２ ３４５６",
            tags=["is_party_member", "is_veteran"],
            special_groups=["is_disabled"],
            emergency_contact_name="李明",
            emergency_contact_phone="139-0000-2222",
        ),
    )
    assert response.status_code == 302
    assert response.url == reverse("people:household_detail", args=[cast.h1.pk])
    resident = Resident.objects.get(name="李秀英")
    assert (resident.gender, resident.birth_date) == ("M", datetime.date(1958, 4, 9))
    assert resident.reveal_id_number() == number
    assert resident.phone == "13800123456"
    assert resident.emergency_contact_phone == "13900002222"
    assert resident.is_party_member and resident.is_veteran and resident.is_disabled
    assert not resident.is_volunteer and not resident.is_elderly_alone
    assert resident.history.get().history_user == cast.staff


def test_a_resident_without_id_number_needs_a_gender(staff_client, cast):
    response = staff_client.post(reverse("people:resident_create", args=[cast.h1.pk]), _resident_data())
    assert response.status_code == 200
    assert response.context["form"].errors["gender"]
    response = staff_client.post(
        reverse("people:resident_create", args=[cast.h1.pk]), _resident_data(gender="F")
    )
    assert response.status_code == 302
    assert Resident.objects.get(name="李秀英").id_number_masked == ""


def test_bad_id_checksum_shows_an_error_on_the_form(staff_client, cast):
    number = make_id_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = staff_client.post(
        reverse("people:resident_create", args=[cast.h1.pk]), _resident_data(id_number=wrong)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"].errors["id_number"]
    assert 'lang="zh-hans"' in html
    assert escape(response.context["form"].errors["id_number"][0]) in html
    assert not Resident.objects.filter(name="李秀英").exists()


def test_ten_digit_phone_is_refused(staff_client, cast):
    response = staff_client.post(
        reverse("people:resident_create", args=[cast.h1.pk]),
        _resident_data(gender="F", phone="1380012345", emergency_contact_phone="123"),
    )
    errors = response.context["form"].errors
    assert response.status_code == 200
    assert errors["phone"] and errors["emergency_contact_phone"]
    assert not Resident.objects.filter(name="李秀英").exists()


def test_gender_that_disagrees_with_the_id_number_is_refused(staff_client, cast):
    response = staff_client.post(
        reverse("people:resident_create", args=[cast.h1.pk]),
        _resident_data(id_number=make_id_number(gender="F"), gender="M"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["gender"]
    assert not Resident.objects.filter(name="李秀英").exists()


def test_birth_date_that_disagrees_with_the_id_number_is_refused(staff_client, cast):
    response = staff_client.post(
        reverse("people:resident_create", args=[cast.h1.pk]),
        _resident_data(id_number=make_id_number(datetime.date(1960, 1, 1)), birth_date="1961-01-01"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["birth_date"]


def test_an_id_number_held_by_another_resident_is_refused(staff_client, cast):
    number = make_id_number(datetime.date(1970, 2, 2), "F")
    make_resident(cast.h2, "周敏", id_number=number)
    response = staff_client.post(
        reverse("people:resident_create", args=[cast.h1.pk]), _resident_data(id_number=number)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["id_number"]


def test_editing_keeps_the_id_number_when_left_blank(staff_client, cast):
    resident = cast.resident.resident
    digest, masked = resident.id_number_digest, resident.id_number_masked
    page = staff_client.get(reverse("people:resident_edit", args=[resident.pk])).content.decode()
    assert masked in page
    assert resident.reveal_id_number() not in page  # never prefilled
    response = staff_client.post(
        reverse("people:resident_edit", args=[resident.pk]),
        _resident_data(name="张桂莲", gender=resident.gender, relation="head", phone="13711112222"),
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (resident.id_number_digest, resident.id_number_masked) == (digest, masked)
    assert resident.phone == "13711112222"
    assert resident.birth_date == datetime.date(1950, 3, 8)
    assert not resident.is_elderly_alone  # unticked in the post


def test_editing_with_a_new_id_number_replaces_it(staff_client, cast):
    resident = cast.resident.resident
    number = make_id_number(datetime.date(1951, 6, 6), "F")
    response = staff_client.post(
        reverse("people:resident_edit", args=[resident.pk]),
        _resident_data(name="张桂莲", id_number=number, relation="head"),
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.reveal_id_number() == number
    assert resident.birth_date == datetime.date(1951, 6, 6)


def test_editing_can_clear_the_id_number(staff_client, cast):
    resident = cast.resident.resident
    response = staff_client.post(
        reverse("people:resident_edit", args=[resident.pk]),
        _resident_data(name="张桂莲", gender="F", relation="head", clear_id_number="on"),
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (resident.id_number_masked, resident.id_number_digest) == ("", None)


def test_changing_gender_against_a_kept_id_number_is_refused(staff_client, cast):
    resident = cast.resident.resident
    response = staff_client.post(
        reverse("people:resident_edit", args=[resident.pk]),
        _resident_data(name="张桂莲", gender="M", relation="head"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["gender"]
    resident.refresh_from_db()
    assert resident.gender == "F"


# Who may do it ------------------------------------------------------------------------------------


def _pages(cast):
    resident_b = Resident.objects.get(household=cast.hb)
    resident_a = cast.resident.resident
    return {
        "household_create": (reverse("people:household_create"), None),
        "household_edit": (
            reverse("people:household_edit", args=[cast.h1.pk]),
            reverse("people:household_edit", args=[cast.hb.pk]),
        ),
        "household_status": (
            reverse("people:household_status", args=[cast.h1.pk]),
            reverse("people:household_status", args=[cast.hb.pk]),
        ),
        "resident_create": (
            reverse("people:resident_create", args=[cast.h1.pk]),
            reverse("people:resident_create", args=[cast.hb.pk]),
        ),
        "resident_edit": (
            reverse("people:resident_edit", args=[resident_a.pk]),
            reverse("people:resident_edit", args=[resident_b.pk]),
        ),
    }


PAGES = ["household_create", "household_edit", "household_status", "resident_create", "resident_edit"]
HOSTILE_POST = {
    "status": "registered_only",
    "entrance": "1",
    "room": "999",
    "name": "入侵者",
    "gender": "M",
    "relation": "head",
    "residence_status": "resident",
}


@pytest.mark.parametrize("role", NOT_STAFF)
@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_non_staff_get_404_on_every_editing_page(client, cast, role, page, method):
    client.force_login(getattr(cast, role))
    url, _other = _pages(cast)[page]
    response = getattr(client, method)(url, HOSTILE_POST if method == "post" else None)
    assert response.status_code == (405 if page == "household_status" and method == "get" else 404)
    cast.h1.refresh_from_db()
    assert cast.h1.status == HouseholdStatus.RESIDENT
    assert not Resident.objects.filter(name="入侵者").exists()
    assert not Household.objects.filter(room="999").exists()


@pytest.mark.parametrize("page", [p for p in PAGES if p != "household_create"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_of_community_a_gets_404_for_community_b(staff_client, cast, page, method):
    _url, url_b = _pages(cast)[page]
    response = getattr(staff_client, method)(url_b, HOSTILE_POST if method == "post" else None)
    assert response.status_code == (405 if page == "household_status" and method == "get" else 404)
    cast.hb.refresh_from_db()
    assert cast.hb.status == HouseholdStatus.RESIDENT
    assert not Resident.objects.filter(name="入侵者").exists()


GARBAGE = [
    {},
    {"entrance": "abc", "room": "", "cell": "-1", "note": "x" * 2000},
    {"entrance": "99999999999999999999", "room": "\x00", "cell": "1.5"},
    {"room": "   ", "status": "resident"},
    {
        "name": "\u202e" * 60,
        "id_number": "４３０１０２１９５００３０８００２Ｘ",
        "gender": "Q",
        "birth_date": "2020-02-30",
    },
    {
        "name": "甲",
        "id_number": "x" * 41,
        "relation": "king",
        "residence_status": "?",
        "tags": "is_superuser",
    },
    {
        "name": "乙",
        "gender": "F",
        "relation": "head",
        "residence_status": "resident",
        "clear_id_number": "on",
        "id_number": make_id_number(),
        "special_groups": ["nope"],
        "birth_date": "not a date",
    },
    {
        "name": "丙",
        "gender": "F",
        "relation": "head",
        "residence_status": "resident",
        "phone": "+86 138 0000 0000 0",
    },
]


@pytest.mark.parametrize("data", GARBAGE)
def test_garbage_posts_never_answer_500(staff_client, cast, data):
    for page, (url, _other) in _pages(cast).items():
        response = staff_client.post(url, data)
        # 400: a NUL character is refused at the door (web.middleware.RejectNulBytesMiddleware)
        assert response.status_code in (200, 302, 400), page


def test_staff_who_sees_a_household_as_a_leader_still_may_not_edit_it(staff_client, cast):
    from leaders.models import Role
    from leaders.services import appointment_create

    appointment_create(
        actor=None,
        person=cast.staff,
        role=Role.CELL_LEADER,
        unit=cast.other_cell,
        started_on=datetime.date(2024, 1, 1),
    )
    response = staff_client.post(
        reverse("people:household_status", args=[cast.hb.pk]), {"status": "registered_only"}
    )
    assert response.status_code == 403
    cast.hb.refresh_from_db()
    assert cast.hb.status == HouseholdStatus.RESIDENT


def test_household_form_takes_constant_queries(staff_client, cast, django_assert_max_num_queries):
    from territory.services_estates import building_create, estate_create

    for n in range(3):
        estate = estate_create(actor=cast.staff, community=cast.community, name=f"小区{n}")
        for b in range(4):
            building_create(actor=cast.staff, estate=estate, name=f"{b}栋", entrance_names=["1单元", "2单元"])
    with django_assert_max_num_queries(10):
        response = staff_client.get(reverse("people:household_create"))
    assert response.content.decode().count("<optgroup") == 4 + 1  # four estates, one community of cells


def test_a_bad_id_number_is_the_only_error_shown_when_gender_is_blank(staff_client, cast):
    response = staff_client.post(
        reverse("people:resident_create", args=[cast.h1.pk]), _resident_data(id_number="43010219500308")
    )
    assert set(response.context["form"].errors) == {"id_number"}


def test_resident_edit_page_never_shows_phones_in_full(staff_client, cast):
    resident = Resident.objects.get(household=cast.h1)
    html = staff_client.get(reverse("people:resident_edit", args=[resident.pk])).content.decode()
    assert resident.phone not in html and resident.emergency_contact_phone not in html
    assert resident.phone_masked in html


def test_blank_phone_keeps_the_stored_one_and_clearing_removes_it(staff_client, cast):
    resident = Resident.objects.get(household=cast.h1)
    stored = resident.phone
    url = reverse("people:resident_edit", args=[resident.pk])
    data = _resident_data(name=resident.name, phone="", id_number="", gender="F", birth_date="")
    data.pop("id_number")
    staff_client.post(url, data)
    resident.refresh_from_db()
    assert resident.phone == stored
    staff_client.post(url, {**data, "clear_phone": "on"})
    resident.refresh_from_db()
    assert resident.phone == ""


def test_household_whose_every_member_is_registered_only_leaves_its_cell(cast):
    from people.models import ResidenceStatus
    from people.services import resident_save

    resident = Resident.objects.get(household=cast.h2)
    resident.residence_status = ResidenceStatus.REGISTERED_ONLY
    resident_save(actor=cast.staff, resident=resident)
    household = Household.objects.get(pk=cast.h2.pk)
    assert household.status == HouseholdStatus.REGISTERED_ONLY and household.cell is None
