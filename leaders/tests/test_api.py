"""The appointments API: visible appointments only, phones masked, filters, constant queries."""

import datetime

import pytest

from leaders.models import Appointment, EndReason, Role
from leaders.services import appointment_create, appointment_end
from linli.testing import CAST_ROLES, UserFactory


def _as(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", CAST_ROLES)
def test_appointment_list_matches_the_scoped_queryset(client, cast, role):
    user = getattr(cast, role)
    response = _as(client, user).get("/api/leaders/appointments?page_size=100")
    assert response.status_code == 200
    expected = set(Appointment.objects.visible_to(user).values_list("pk", flat=True))
    assert {item["id"] for item in response.json()["items"]} == expected


def test_group_leader_sees_the_posts_of_their_group_and_below(client, cast):
    items = _as(client, cast.group_leader).get("/api/leaders/appointments").json()["items"]
    assert {item["person_name"] for item in items} == {"组长甲", "王建国", "刘芳"}


def test_appointment_shows_person_place_and_masked_phone(client, cast):
    cast.cell_leader.phone = "13712345678"
    cast.cell_leader.save()
    response = _as(client, cast.staff).get("/api/leaders/appointments?role=cell_leader")
    item = next(i for i in response.json()["items"] if i["person_id"] == cast.cell_leader.pk)
    assert item["person_phone_masked"] == "137****5678"
    assert "13712345678" not in response.content.decode()
    assert (item["place_kind"], item["place_id"], item["place_name"]) == ("cell", cast.cell.pk, "第一邻")
    assert item["started_on"] == "2024-01-01"
    assert item["ended_on"] is None


def test_building_leader_appointment_names_the_building(client, cast):
    items = _as(client, cast.staff).get("/api/leaders/appointments?role=building_leader").json()["items"]
    assert [(i["place_kind"], i["place_name"]) for i in items] == [("building", "阳光小区 2栋")]


def test_active_filter_separates_ended_terms(client, cast):
    post = Appointment.objects.get(person=cast.cell_leader_2)
    appointment_end(
        actor=None, appointment=post, ended_on=datetime.date(2024, 6, 1), reason=EndReason.MOVED_AWAY
    )
    _as(client, cast.staff)
    ended = client.get("/api/leaders/appointments?active=false").json()["items"]
    assert [(i["id"], i["end_reason"]) for i in ended] == [(post.pk, "moved_away")]
    active = client.get("/api/leaders/appointments?active=true").json()["items"]
    assert post.pk not in {i["id"] for i in active}
    assert len(active) == 5  # staff sees the 6 posts of community A


def test_unknown_role_is_422(client, cast):
    assert _as(client, cast.staff).get("/api/leaders/appointments?role=king").status_code == 422


def test_appointment_list_query_count_does_not_grow(client, cast, django_assert_num_queries):
    _as(client, cast.staff)
    with django_assert_num_queries(6):
        client.get("/api/leaders/appointments")
    for i in range(10):
        appointment_create(
            actor=None,
            person=UserFactory(),
            role=Role.CELL_LEADER,
            unit=cast.cell3,
            started_on=datetime.date(2024, 2, i + 1),
        )
    with django_assert_num_queries(6):
        assert client.get("/api/leaders/appointments").json()["count"] == 16
