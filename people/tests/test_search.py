"""Search: by name, pinyin, phone, address and ID number, always within the viewer's scope."""

import re

import pytest
from django.urls import reverse

from linli.testing import CAST_ROLES, CAST_VISIBLE_HOUSEHOLDS, make_household, make_resident
from people.models import Resident
from people.search import resident_search


def hit_households(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/people/households/(\d+)/#resident-', html)]


def zhang(cast) -> Resident:
    return Resident.objects.get(name="张桂莲")


@pytest.mark.parametrize(
    "query",
    ["张桂莲", "桂莲", "zgl", "ZGL", "zhanggui", "zhangguilian", "阳光小区 1栋 101", "101"],
)
def test_search_finds_zhang_guilian(cast, query):
    assert zhang(cast) in resident_search(cast.staff, query)


def test_search_finds_by_phone_digits_and_full_width_digits(cast):
    resident = zhang(cast)
    assert resident in resident_search(cast.staff, resident.phone[-6:])
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in resident.phone)
    assert resident in resident_search(cast.staff, full_width)


def test_search_finds_by_exact_id_number_only(cast):
    resident = zhang(cast)
    number = resident.reveal_id_number()
    assert list(resident_search(cast.staff, number)) == [resident]
    assert not resident_search(cast.staff, number[:-1]).exists()


def test_empty_search_finds_nothing(cast):
    assert not resident_search(cast.staff, "   ").exists()


def test_cell_leader_does_not_find_a_name_from_another_cell(cast):
    assert not resident_search(cast.cell_leader_2, "张桂莲").exists()
    assert not resident_search(cast.cell_leader_2, "zgl").exists()
    assert resident_search(cast.cell_leader, "zgl").exists()


@pytest.mark.parametrize("role", CAST_ROLES)
def test_search_page_shows_only_hits_in_scope(cast, client, role):
    """Every cast resident lives in an estate called 小区; each role finds exactly its households."""
    client.force_login(getattr(cast, role))
    response = client.get(reverse("people:search"), {"q": "小区"})
    assert response.status_code == 200
    expected = {getattr(cast, name).pk for name in CAST_VISIBLE_HOUSEHOLDS[role]}
    assert set(hit_households(response.content.decode())) == expected


def test_search_hit_shows_masked_phone_address_cell_and_badges(cast, client):
    resident = zhang(cast)
    client.force_login(cast.group_leader)
    html = client.get(reverse("people:search"), {"q": "zgl"}).content.decode()
    assert resident.phone_masked in html and resident.phone not in html
    assert cast.h1.address in html and cast.cell.name in html
    assert 'class="badge badge-care"' in html
    assert reverse("people:household_detail", args=[cast.h1.pk]) in html


def test_search_page_shows_no_results_without_a_query(cast, client):
    client.force_login(cast.staff)
    response = client.get(reverse("people:search"))
    assert response.status_code == 200
    assert hit_households(response.content.decode()) == []


def test_search_page_survives_odd_input(cast, client):
    client.force_login(cast.staff)
    for query in ["x" * 5000, "%", "_", "'; drop table", "\u3000", "1" * 18]:
        assert client.get(reverse("people:search"), {"q": query}).status_code == 200


def test_search_page_stops_at_one_hundred_and_says_so(cast, client):
    household = make_household(cast.cell3, building="9栋", room="R1")
    for _ in range(101):
        make_resident(household, "同名人", id_number="")
    client.force_login(cast.staff)
    html = client.get(reverse("people:search"), {"q": "同名人"}).content.decode()
    assert len(hit_households(html)) == 100
    assert 'class="badge badge-warn"' in html


def test_search_page_query_count_does_not_grow_with_hits(cast, client, django_assert_num_queries):
    client.force_login(cast.staff)
    with django_assert_num_queries(5):
        client.get(reverse("people:search"), {"q": "小区"})
    for number in range(10):
        make_resident(make_household(cast.cell3, building="9栋", room=f"R{number}"), "新住户")
    with django_assert_num_queries(5):
        response = client.get(reverse("people:search"), {"q": "小区"})
    assert len(hit_households(response.content.decode())) == 15


@pytest.mark.parametrize(
    "raw",
    [
        "+86 138 1234 5678",
        "0086-13812345678",
        "8613812345678",
        "138\u200b1234\u200b5678",
        "１３８１２３４５６７８",
    ],
)
def test_pasted_phone_numbers_are_normalised(raw):
    from people.identity import phone_validate

    assert phone_validate(raw) == "13812345678"
