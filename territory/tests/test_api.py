"""The territory API: units per role match TerritoryUnit.objects.visible_to, details with counts."""

import pytest

from linli.testing import CAST_ROLES, make_household, make_resident
from people.models import HouseholdStatus
from people.services import household_set_status
from territory.models import Level, TerritoryUnit
from territory.services import unit_create

UNITS = [
    "street",
    "community",
    "other_community",
    "area",
    "area2",
    "group",
    "group2",
    "cell",
    "cell2",
    "cell3",
    "other_cell",
]


def _as(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", CAST_ROLES)
def test_unit_list_matches_the_scoped_queryset(client, cast, role):
    user = getattr(cast, role)
    response = _as(client, user).get("/api/territory/units?page_size=100")
    assert response.status_code == 200
    expected = set(TerritoryUnit.objects.visible_to(user).values_list("pk", flat=True))
    assert {item["id"] for item in response.json()["items"]} == expected


def test_area_leader_sees_their_area_and_below_only(client, cast):
    response = _as(client, cast.area_leader).get("/api/territory/units")
    assert {item["id"] for item in response.json()["items"]} == {
        cast.area.pk,
        cast.group.pk,
        cast.cell.pk,
        cast.cell2.pk,
    }


@pytest.mark.parametrize("role", CAST_ROLES)
@pytest.mark.parametrize("name", UNITS)
def test_unit_detail_answers_inside_scope_and_404_outside(client, cast, role, name):
    user, unit = getattr(cast, role), getattr(cast, name)
    response = _as(client, user).get(f"/api/territory/units/{unit.pk}")
    visible = TerritoryUnit.objects.visible_to(user).filter(pk=unit.pk).exists()
    assert response.status_code == (200 if visible else 404)


def test_unit_list_filters_by_level_and_parent(client, cast):
    _as(client, cast.street_admin)
    cells = client.get("/api/territory/units?level=cell").json()["items"]
    assert {item["id"] for item in cells} == {cast.cell.pk, cast.cell2.pk, cast.cell3.pk, cast.other_cell.pk}
    children = client.get(f"/api/territory/units?parent={cast.street.pk}").json()["items"]
    assert [item["name"] for item in children] == ["幸福社区", "和平社区"]
    assert client.get("/api/territory/units?level=planet").status_code == 422


def test_unit_detail_counts_resident_households_and_residents_per_child(client, cast):
    household_set_status(actor=None, household=cast.h1b, status=HouseholdStatus.REGISTERED_ONLY)  # 空挂户
    body = _as(client, cast.staff).get(f"/api/territory/units/{cast.community.pk}").json()
    # h1, h2, h3 and the unplaced household live here; h1b is registered only.
    assert (body["household_count"], body["resident_count"]) == (4, 4)
    children = {
        child["name"]: (child["household_count"], child["resident_count"]) for child in body["children"]
    }
    assert children == {"第一片区": (2, 2), "第二片区": (1, 1)}


def test_street_detail_counts_each_community(client, cast):
    body = _as(client, cast.street_admin).get(f"/api/territory/units/{cast.street.pk}").json()
    assert body["household_count"] == 6
    assert {child["name"]: child["household_count"] for child in body["children"]} == {
        "幸福社区": 5,
        "和平社区": 1,
    }


# Queries: session, user, appointments, staff communities, the unit, its children, two grouped counts.
def test_unit_detail_query_count_does_not_grow_with_households(client, cast, django_assert_num_queries):
    _as(client, cast.staff)
    url = f"/api/territory/units/{cast.community.pk}"
    with django_assert_num_queries(8):
        before = client.get(url).json()["household_count"]
    for i in range(15):
        make_resident(make_household(cast.cell3, building="8栋", room=f"{i}01"), f"新住户{i}")
    with django_assert_num_queries(8):
        assert client.get(url).json()["household_count"] == before + 15


def test_unit_list_query_count_does_not_grow_with_units(client, cast, django_assert_num_queries):
    _as(client, cast.street_admin)
    with django_assert_num_queries(6):
        client.get("/api/territory/units")
    for i in range(10):
        unit_create(parent=cast.group, level=Level.CELL, name=f"新邻{i}")
    with django_assert_num_queries(6):
        assert client.get("/api/territory/units").json()["count"] == 23  # 13 units of the cast + 10
