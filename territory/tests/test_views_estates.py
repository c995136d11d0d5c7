"""Staff keep the address register: estates, buildings, entrances."""

import pytest
from django.urls import reverse

from linli.testing import CAST_ROLES
from territory.models import Building, Entrance, Estate

NOT_STAFF = [role for role in CAST_ROLES if role not in {"street_admin", "staff"}]


def _estate_of(community):
    return Estate.objects.filter(community=community).first()


@pytest.fixture
def staff_client(client, cast):
    client.force_login(cast.staff)
    return client


def test_estate_list_shows_own_community_estates_with_counts(staff_client, cast):
    response = staff_client.get(reverse("territory:estate_list"))
    assert response.status_code == 200
    rows = {e.name: e for e in response.context["estates"]}
    assert set(rows) == {"阳光小区"}  # community B's 和平小区 is not listed
    assert rows["阳光小区"].building_count == 3
    assert rows["阳光小区"].household_count == 5


def test_estate_list_takes_constant_queries(staff_client, cast, django_assert_max_num_queries):
    from territory.services_estates import estate_create

    for n in range(5):
        estate_create(actor=cast.staff, community=cast.community, name=f"小区{n}")
    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("territory:estate_list"))
    assert len(response.context["estates"]) == 6


def test_staff_creates_an_estate(staff_client, cast):
    response = staff_client.post(
        reverse("territory:estate_create"),
        {"community": cast.community.pk, "name": " 幸福家园 ", "kind": "estate", "address": "人民路 8 号"},
    )
    estate = Estate.objects.get(name="幸福家园")
    assert response.status_code == 302
    assert response.url == reverse("territory:estate_detail", args=[estate.pk])
    assert estate.community == cast.community
    assert estate.history.get().history_user == cast.staff


def test_duplicate_estate_name_is_refused_with_a_message(staff_client, cast):
    response = staff_client.post(
        reverse("territory:estate_create"),
        {"community": cast.community.pk, "name": "阳光小区", "kind": "estate"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert Estate.objects.filter(community=cast.community, name="阳光小区").count() == 1


def test_staff_cannot_create_an_estate_in_another_community(staff_client, cast):
    response = staff_client.post(
        reverse("territory:estate_create"),
        {"community": cast.other_community.pk, "name": "新小区", "kind": "estate"},
    )
    assert response.status_code == 200
    assert "community" in response.context["form"].errors
    assert not Estate.objects.filter(name="新小区").exists()


def test_staff_adds_a_building_with_entrances(staff_client, cast):
    estate = _estate_of(cast.community)
    response = staff_client.post(
        reverse("territory:estate_detail", args=[estate.pk]),
        {"action": "building", "building-name": "5栋", "building-entrances": "1单元，2单元"},
    )
    assert response.status_code == 302
    building = Building.objects.get(estate=estate, name="5栋")
    assert sorted(building.entrances.values_list("name", flat=True)) == ["1单元", "2单元"]
    assert building.history.get().history_user == cast.staff


def test_a_building_without_named_entrances_gets_one_entrance(staff_client, cast):
    estate = _estate_of(cast.community)
    staff_client.post(
        reverse("territory:estate_detail", args=[estate.pk]), {"action": "building", "building-name": "6栋"}
    )
    assert list(Entrance.objects.filter(building__name="6栋").values_list("name", flat=True)) == [""]


def test_staff_adds_an_entrance(staff_client, cast):
    estate = _estate_of(cast.community)
    building = estate.buildings.get(name="1栋")
    response = staff_client.post(
        reverse("territory:estate_detail", args=[estate.pk]),
        {"action": "entrance", "entrance-building": building.pk, "entrance-name": "2单元"},
    )
    assert response.status_code == 302
    assert building.entrances.filter(name="2单元").exists()


def test_duplicate_building_and_entrance_names_are_refused(staff_client, cast):
    estate = _estate_of(cast.community)
    building = estate.buildings.get(name="1栋")
    url = reverse("territory:estate_detail", args=[estate.pk])
    response = staff_client.post(url, {"action": "building", "building-name": "1栋"})
    assert response.status_code == 200
    assert response.context["building_form"].errors["name"]
    response = staff_client.post(
        url, {"action": "entrance", "entrance-building": building.pk, "entrance-name": "1单元"}
    )
    assert response.status_code == 200
    assert response.context["entrance_form"].errors["name"]
    assert building.entrances.filter(name="1单元").count() == 1


def test_estate_detail_lists_buildings_with_household_counts(staff_client, cast):
    estate = _estate_of(cast.community)
    response = staff_client.get(reverse("territory:estate_detail", args=[estate.pk]))
    assert response.status_code == 200
    counts = {b.name: b.household_count for b in response.context["buildings"]}
    assert counts == {"1栋": 3, "2栋": 1, "3栋": 1}
    assert "1单元" in response.content.decode()


def test_staff_of_community_a_gets_404_for_estate_of_community_b(staff_client, cast):
    estate_b = _estate_of(cast.other_community)
    assert staff_client.get(reverse("territory:estate_detail", args=[estate_b.pk])).status_code == 404
    response = staff_client.post(
        reverse("territory:estate_detail", args=[estate_b.pk]), {"action": "building", "building-name": "9栋"}
    )
    assert response.status_code == 404
    assert not Building.objects.filter(name="9栋").exists()


def test_street_admin_manages_estates_of_every_community(client, cast):
    client.force_login(cast.street_admin)
    response = client.get(reverse("territory:estate_list"))
    assert {e.name for e in response.context["estates"]} == {"阳光小区", "和平小区"}
    estate_b = _estate_of(cast.other_community)
    assert client.get(reverse("territory:estate_detail", args=[estate_b.pk])).status_code == 200


@pytest.mark.parametrize("role", NOT_STAFF)
@pytest.mark.parametrize("page", ["estate_list", "estate_create", "estate_detail"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_non_staff_get_404_on_estate_pages(client, cast, role, page, method):
    client.force_login(getattr(cast, role))
    args = [_estate_of(cast.community).pk] if page == "estate_detail" else []
    data = {"action": "building", "building-name": "9栋", "community": cast.community.pk, "name": "X小区"}
    response = getattr(client, method)(reverse(f"territory:{page}", args=args), data)
    assert response.status_code == 404
    assert not Building.objects.filter(name="9栋").exists()
    assert not Estate.objects.filter(name="X小区").exists()


def test_anonymous_visitor_is_sent_to_login(client, cast):
    response = client.get(reverse("territory:estate_list"))
    assert response.status_code == 302
    assert reverse("login") in response.url


GARBAGE = [
    {},
    {"action": "building"},
    {"action": "entrance", "entrance-building": "abc", "entrance-name": "x" * 500},
    {"action": "entrance", "entrance-building": "999999"},
    {"action": "nonsense", "building-name": "\x00"},
    {"action": "building", "building-name": "   ", "building-entrances": "，，、"},
    {"community": "-1", "name": "x" * 1000, "kind": "castle"},
    {"community": "1' OR 1=1", "name": "\u202e", "address": ["a", "b"]},
]


@pytest.mark.parametrize("data", GARBAGE)
def test_garbage_posts_never_answer_500(staff_client, cast, data):
    estate = _estate_of(cast.community)
    for url in (reverse("territory:estate_create"), reverse("territory:estate_detail", args=[estate.pk])):
        response = staff_client.post(url, data)
        # 400: a NUL character is refused at the door (web.middleware.RejectNulBytesMiddleware)
        assert response.status_code in (200, 302, 400)


def test_estate_service_refuses_staff_of_another_community(cast):
    from django.core.exceptions import PermissionDenied

    from territory.services_estates import estate_create

    with pytest.raises(PermissionDenied):
        estate_create(actor=cast.staff, community=cast.other_community, name="越界小区")
    assert not Estate.objects.filter(name="越界小区").exists()
