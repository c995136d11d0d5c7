"""The people API: the visibility matrix, masking, audited reveals, CSRF, and constant query counts."""

import pytest
from django.test import Client

from audit.models import AccessAction, AccessLog
from linli.testing import CAST_ROLES, CAST_VISIBLE_HOUSEHOLDS, make_household, make_resident
from people.models import Resident

HOUSEHOLDS = ["h1", "h1b", "h2", "h3", "h_unplaced", "hb"]
STAFF = {"street_admin", "staff"}


def _as(client, user):
    client.force_login(user)
    return client


def _member(household):
    return Resident.objects.filter(household=household).first()


def _plain_values():
    """Every full ID number and phone in the database, read through the model (not the API)."""
    values = set()
    for resident in Resident.objects.all():
        values |= {resident.reveal_id_number(), resident.phone, resident.emergency_contact_phone}
    return {value for value in values if value}


@pytest.mark.parametrize("role", CAST_ROLES)
def test_household_list_shows_exactly_the_households_in_scope(client, cast, role):
    response = _as(client, getattr(cast, role)).get("/api/people/households?page_size=100")
    assert response.status_code == 200
    expected = {getattr(cast, name).pk for name in CAST_VISIBLE_HOUSEHOLDS[role]}
    assert {item["id"] for item in response.json()["items"]} == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize("role", CAST_ROLES)
@pytest.mark.parametrize("name", HOUSEHOLDS)
def test_household_detail_answers_inside_scope_and_404_outside(client, cast, role, name):
    response = _as(client, getattr(cast, role)).get(f"/api/people/households/{getattr(cast, name).pk}")
    assert response.status_code == (200 if name in CAST_VISIBLE_HOUSEHOLDS[role] else 404)


@pytest.mark.parametrize("role", CAST_ROLES)
@pytest.mark.parametrize("name", HOUSEHOLDS)
def test_resident_detail_answers_inside_scope_and_404_outside(client, cast, role, name):
    resident = _member(getattr(cast, name))
    response = _as(client, getattr(cast, role)).get(f"/api/people/residents/{resident.pk}")
    assert response.status_code == (200 if name in CAST_VISIBLE_HOUSEHOLDS[role] else 404)


def test_household_detail_lists_members_with_masked_numbers_and_codes(client, cast):
    response = _as(client, cast.cell_leader).get(f"/api/people/households/{cast.h1.pk}")
    body = response.json()
    resident = _member(cast.h1)
    assert body["community"] == {"id": cast.community.pk, "name": cast.community.name}
    assert body["cell"] == {"id": cast.cell.pk, "name": cast.cell.name}
    assert body["member_count"] == 1
    [member] = body["members"]
    assert member["name"] == "张桂莲"
    assert member["id_number_masked"] == resident.id_number_masked
    assert member["phone_masked"] == resident.phone_masked
    assert member["special_groups"] == ["is_elderly_alone"]
    assert member["tags"] == []
    assert member["emergency_contact_name"] == "李强"
    assert member["emergency_phone_masked"] == "139****1111"


@pytest.mark.parametrize(
    "url",
    [
        "/api/people/households?page_size=100",
        "/api/people/residents?q=张",
        "/api/people/residents?q=阳光小区",
        "/api/people/residents?q=13800",
    ],
)
def test_lists_never_carry_a_full_id_number_or_phone(client, cast, url):
    text = _as(client, cast.street_admin).get(url).content.decode()
    assert '"id"' in text
    for value in _plain_values():
        assert value not in text


def test_details_never_carry_a_full_id_number_or_phone(client, cast):
    _as(client, cast.street_admin)
    plain = _plain_values()
    for name in HOUSEHOLDS:
        household = getattr(cast, name)
        texts = [
            client.get(f"/api/people/households/{household.pk}").content.decode(),
            client.get(f"/api/people/residents/{_member(household).pk}").content.decode(),
        ]
        for text in texts:
            assert "masked" in text
            for value in plain:
                assert value not in text


def test_household_list_filters_by_cell_community_and_special_group(client, cast):
    _as(client, cast.street_admin)

    def ids(query):
        return {item["id"] for item in client.get(f"/api/people/households?{query}").json()["items"]}

    assert ids(f"cell={cast.cell.pk}") == {cast.h1.pk, cast.h1b.pk}
    assert ids(f"community={cast.other_community.pk}") == {cast.hb.pk}
    assert ids("special_group=is_elderly_alone") == {cast.h1.pk}
    assert ids("q=wjg") == {cast.h1b.pk}


def test_household_search_stays_within_scope(client, cast):
    response = _as(client, cast.cell_leader_2).get("/api/people/households?q=孙伟")
    assert response.json()["items"] == []


def test_unknown_special_group_is_422(client, cast):
    response = _as(client, cast.staff).get("/api/people/households?special_group=rich")
    assert response.status_code == 422


def test_resident_search_finds_by_pinyin_initials_within_scope(client, cast):
    _as(client, cast.staff)
    items = client.get("/api/people/residents?q=zgl").json()["items"]
    assert [item["name"] for item in items] == ["张桂莲"]
    assert client.get("/api/people/residents?q=sw").json()["items"] == []  # 孙伟 lives in community B


def test_staff_reveal_of_id_number_returns_it_and_is_logged(client, cast):
    resident = _member(cast.h1)
    response = _as(client, cast.staff).post(
        f"/api/people/residents/{resident.pk}/reveal", {"field": "id_number"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json() == {"value": resident.reveal_id_number()}
    log = AccessLog.objects.get()
    assert (log.user, log.action, log.resident) == (cast.staff, AccessAction.REVEAL_ID_NUMBER, resident)


@pytest.mark.parametrize(
    ("field", "action", "attribute"),
    [
        ("phone", AccessAction.REVEAL_PHONE, "phone"),
        ("emergency_phone", AccessAction.REVEAL_EMERGENCY_PHONE, "emergency_contact_phone"),
    ],
)
def test_leader_reveal_of_a_phone_returns_it_and_is_logged(client, cast, field, action, attribute):
    resident = _member(cast.h1)
    response = _as(client, cast.cell_leader).post(
        f"/api/people/residents/{resident.pk}/reveal", {"field": field}, content_type="application/json"
    )
    assert response.json() == {"value": getattr(resident, attribute)}
    assert AccessLog.objects.filter(user=cast.cell_leader, action=action, resident=resident).count() == 1


@pytest.mark.parametrize("role", sorted(set(CAST_ROLES) - STAFF - {"outsider"}))
def test_non_staff_may_not_reveal_an_id_number(client, cast, role):
    household = getattr(cast, sorted(CAST_VISIBLE_HOUSEHOLDS[role])[0])
    response = _as(client, getattr(cast, role)).post(
        f"/api/people/residents/{_member(household).pk}/reveal",
        {"field": "id_number"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "ID" in response.json()["detail"] or "身份证" in response.json()["detail"]
    assert not AccessLog.objects.exists()


def test_reveal_outside_scope_is_404_and_not_logged(client, cast):
    response = _as(client, cast.staff).post(
        f"/api/people/residents/{_member(cast.hb).pk}/reveal",
        {"field": "phone"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_reveal_of_an_unknown_field_is_422(client, cast):
    response = _as(client, cast.staff).post(
        f"/api/people/residents/{_member(cast.h1).pk}/reveal",
        {"field": "password"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not AccessLog.objects.exists()


def test_reveal_without_csrf_token_is_refused(cast):
    client = _as(Client(enforce_csrf_checks=True), cast.staff)
    response = client.post(
        f"/api/people/residents/{_member(cast.h1).pk}/reveal",
        {"field": "phone"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not AccessLog.objects.exists()


def test_reveal_with_csrf_token_is_accepted(cast):
    client = _as(Client(enforce_csrf_checks=True), cast.staff)
    client.get("/api/people/households")  # any page; the token comes from the cookie
    client.cookies.load({"csrftoken": "a" * 32})
    response = client.post(
        f"/api/people/residents/{_member(cast.h1).pk}/reveal",
        {"field": "phone"},
        content_type="application/json",
        headers={"X-CSRFToken": "a" * 32},
    )
    assert response.status_code == 200


def _grow(cast, n):
    start = Resident.objects.count()
    for i in range(start, start + n):
        household = make_household(cast.cell, building="9栋", room=f"{i}")
        make_resident(household, f"新住户{i}", is_elderly_alone=True)
        make_resident(household, f"新家属{i}", is_party_member=True)


# Queries: session, user, the viewer's appointments (+ the staff's communities), then count and page.
@pytest.mark.parametrize(
    ("role", "url", "queries"),
    [
        ("cell_leader", "/api/people/households", 6),
        ("staff", "/api/people/households", 6),
        ("staff", "/api/people/households?special_group=is_elderly_alone&q=新", 6),
        ("staff", "/api/people/residents?q=新", 6),
        ("staff", "/api/people/residents?q=xz", 6),
    ],
)
def test_list_query_count_does_not_grow_with_households(
    client, cast, django_assert_num_queries, role, url, queries
):
    _as(client, getattr(cast, role))
    _grow(cast, 2)
    with django_assert_num_queries(queries):
        small = client.get(url).json()["count"]
    _grow(cast, 20)
    with django_assert_num_queries(queries):
        large = client.get(url).json()["count"]
    assert large > small


def test_household_detail_query_count_does_not_grow_with_members(client, cast, django_assert_num_queries):
    _as(client, cast.cell_leader)
    with django_assert_num_queries(6):
        client.get(f"/api/people/households/{cast.h1.pk}")
    for i in range(10):
        make_resident(cast.h1, f"家属{i}")
    with django_assert_num_queries(6):
        assert client.get(f"/api/people/households/{cast.h1.pk}").json()["member_count"] == 11
