"""Appointment pages: staff only, within scope; appoint, end and hand over with the post's history kept."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from leaders.models import Appointment, EndReason, Role
from leaders.services import appointment_create, appointment_end
from linli.testing import UserFactory, make_household, make_resident

LIST = reverse("leaders:appointment_list")
CREATE = reverse("leaders:appointment_create")


def end_url(appointment):
    return reverse("leaders:appointment_end", args=[appointment.pk])


def hand_over_url(appointment):
    return reverse("leaders:appointment_hand_over", args=[appointment.pk])


def in_english(client):
    """The client's pages in English from here on (the language switch's cookie), so assertions read the
    msgids whatever the catalogue holds."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def post_of(user, role=Role.CELL_LEADER):
    return Appointment.objects.get(person=user, role=role)


@pytest.fixture
def staff_client(cast, client):
    client.force_login(cast.staff)
    return client


@pytest.mark.parametrize(
    "role", ["area_leader", "group_leader", "cell_leader", "building_leader", "resident", "outsider"]
)
def test_appointment_pages_are_404_for_non_staff(cast, client, role):
    client.force_login(getattr(cast, role))
    post = post_of(cast.cell_leader)
    for url in (LIST, CREATE, end_url(post), hand_over_url(post)):
        assert client.get(url).status_code == 404, url
    assert client.post(end_url(post), {"ended_on": "2024-06-01", "reason": "ill"}).status_code == 404
    assert post_of(cast.cell_leader).ended_on is None


def test_appointment_outside_scope_is_404(cast, staff_client):
    other = appointment_create(actor=None, person=UserFactory(), role=Role.CELL_LEADER, unit=cast.other_cell)
    assert staff_client.get(end_url(other)).status_code == 404
    assert staff_client.get(hand_over_url(other)).status_code == 404
    response = staff_client.post(end_url(other), {"ended_on": "2024-06-01", "reason": "ill"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.ended_on is None


def test_list_shows_appointments_in_scope_only(cast, client):
    appointment_create(
        actor=None, person=UserFactory(full_name="和平邻长"), role=Role.CELL_LEADER, unit=cast.other_cell
    )
    client.force_login(cast.staff)
    listed = {a.person for a in client.get(LIST).context["page"].object_list}
    assert cast.cell_leader in listed and cast.building_leader in listed
    assert cast.street_admin not in listed  # the street's post is above the community
    assert "和平邻长" not in client.get(LIST).content.decode()
    client.force_login(cast.street_admin)
    assert "和平邻长" in client.get(LIST).content.decode()


def test_list_filters_by_role_status_and_unit(cast, staff_client):
    former = appointment_create(
        actor=None,
        person=UserFactory(full_name="前任邻长"),
        role=Role.CELL_LEADER,
        unit=cast.cell3,
        started_on=datetime.date(2023, 1, 1),
    )
    appointment_end(
        actor=None, appointment=former, ended_on=datetime.date(2023, 12, 31), reason=EndReason.ILL
    )

    def names(**params):
        page = staff_client.get(LIST, params).context["page"]
        return {a.person.display_name for a in page.object_list}

    assert names(role=Role.CELL_LEADER) == {"王建国", "刘芳"}
    assert names(role=Role.CELL_LEADER, status="ended") == {"前任邻长"}
    assert names(role=Role.CELL_LEADER, status="all") == {"王建国", "刘芳", "前任邻长"}
    assert names(unit=cast.group.pk) == {"组长甲", "王建国", "刘芳"}
    assert names(unit=cast.cell2.pk) == {"刘芳"}


def test_list_filter_on_a_unit_outside_scope_is_404(cast, staff_client):
    assert staff_client.get(LIST, {"unit": cast.other_cell.pk}).status_code == 404


def test_list_query_count_does_not_grow_with_appointments(cast, staff_client, django_assert_num_queries):
    # session, user, scope (2), filter units, count, page of appointments
    with django_assert_num_queries(7):
        staff_client.get(LIST)
    for _ in range(10):
        appointment_create(actor=None, person=UserFactory(), role=Role.GRID_WORKER, unit=cast.group2)
    with django_assert_num_queries(7):
        response = staff_client.get(LIST)
    assert (
        len(response.context["page"].object_list) == 6 + 10
    )  # the cast's six posts in community A, and the ten new ones


def test_staff_appoints_an_existing_resident_user(cast, staff_client):
    response = staff_client.post(
        CREATE,
        {
            "person": f"u{cast.resident.pk}",
            "role": Role.CELL_LEADER,
            "place": f"unit:{cast.cell3.pk}",
            "started_on": "2024-05-01",
        },
    )
    assert response.status_code == 302
    post = post_of(cast.resident)
    assert (post.unit, post.started_on) == (cast.cell3, datetime.date(2024, 5, 1))


def test_appointing_a_resident_without_account_creates_their_user(cast, staff_client):
    resident = make_resident(make_household(cast.cell3, building="2栋", room="302"), "周敏")
    response = staff_client.post(
        CREATE,
        {
            "person": f"r{resident.pk}",
            "role": Role.CELL_LEADER,
            "place": f"unit:{cast.cell3.pk}",
            "started_on": "2024-05-01",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(resident=resident)
    assert (user.full_name, user.has_usable_password()) == ("周敏", False)
    assert post_of(user).unit == cast.cell3


def test_staff_appoints_a_new_person_by_name_and_phone(cast, staff_client):
    response = staff_client.post(
        CREATE,
        {
            "new_full_name": "民警老李",
            "new_phone": "139 0000 2222",
            "role": Role.POLICE,
            "place": f"unit:{cast.community.pk}",
            "started_on": "2024-05-01",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(full_name="民警老李")
    assert (user.phone, user.has_usable_password()) == ("13900002222", False)
    assert post_of(user, Role.POLICE).unit == cast.community


def test_building_leader_is_appointed_to_a_building(cast, staff_client):
    building = cast.h3.entrance.building
    response = staff_client.post(
        CREATE,
        {
            "person": f"u{cast.resident.pk}",
            "role": Role.BUILDING_LEADER,
            "place": f"building:{building.pk}",
            "started_on": "2024-05-01",
        },
    )
    assert response.status_code == 302
    assert post_of(cast.resident, Role.BUILDING_LEADER).building == building


def test_role_at_the_wrong_level_is_refused_with_a_form_error(cast, staff_client):
    response = in_english(staff_client).post(
        CREATE,
        {
            "person": f"u{cast.resident.pk}",
            "role": Role.AREA_LEADER,
            "place": f"unit:{cast.cell.pk}",
            "started_on": "2024-05-01",
        },
    )
    assert response.status_code == 200
    assert "This role cannot be appointed at this level of the territory." in response.content.decode()
    assert not Appointment.objects.filter(person=cast.resident).exists()


def test_new_person_with_a_bad_phone_is_refused_and_not_created(cast, staff_client):
    response = in_english(staff_client).post(
        CREATE,
        {
            "new_full_name": "张三",
            "new_phone": "1380000",
            "role": Role.MEDIATOR,
            "place": f"unit:{cast.community.pk}",
            "started_on": "2024-05-01",
        },
    )
    assert response.status_code == 200
    assert "11 digits" in response.content.decode()
    assert not User.objects.filter(full_name="张三").exists()


def test_new_person_is_not_kept_when_the_appointment_is_refused(cast, staff_client):
    response = staff_client.post(
        CREATE,
        {
            "new_full_name": "张三",
            "new_phone": "13800009999",
            "role": Role.AREA_LEADER,
            "place": f"unit:{cast.cell.pk}",
            "started_on": "2024-05-01",
        },
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not User.objects.filter(full_name="张三").exists()


def test_person_or_place_outside_scope_cannot_be_chosen(cast, staff_client):
    stranger = UserFactory(full_name="外人")
    response = staff_client.post(
        CREATE,
        {
            "person": f"u{stranger.pk}",
            "role": Role.CELL_LEADER,
            "place": f"unit:{cast.other_cell.pk}",
            "started_on": "2024-05-01",
        },
    )
    form = response.context["form"]
    assert "person" in form.errors and "place" in form.errors
    assert not Appointment.objects.filter(person=stranger).exists()


def test_missing_person_and_garbage_values_give_form_errors(cast, staff_client):
    response = staff_client.post(
        CREATE, {"person": "zz", "role": "king", "place": "unit:abc", "started_on": "soon"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"person", "role", "place", "started_on"}


def test_person_search_finds_residents_and_post_holders_in_scope(cast, staff_client):
    make_resident(cast.hb, "王和平")  # in the other community
    response = staff_client.get(CREATE, {"q": "王"})
    names = {candidate.name for candidate in response.context["candidates"]}
    assert "王建国" in names and "王和平" not in names
    response = staff_client.get(CREATE, {"q": "zgl"})  # pinyin initials of 张桂莲
    assert [c.value for c in response.context["candidates"]] == [f"u{cast.resident.pk}"]


def test_create_page_prefills_role_and_place_from_the_tree_link(cast, staff_client):
    response = staff_client.get(CREATE, {"unit": cast.cell3.pk, "role": Role.CELL_LEADER})
    html = response.content.decode()
    assert f'value="unit:{cast.cell3.pk}" selected' in html
    assert f'value="unit:{cast.group.pk}"' not in html  # only cells are offered to a neighbour leader


def test_end_a_term_keeps_it_in_the_post_history(cast, staff_client):
    post = post_of(cast.cell_leader)
    response = staff_client.post(
        end_url(post), {"ended_on": "2024-09-01", "reason": EndReason.MOVED_AWAY, "note": "搬走了"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.ended_on, post.end_reason, post.end_note) == (
        datetime.date(2024, 9, 1),
        "moved_away",
        "搬走了",
    )
    response = in_english(staff_client).get(end_url(post))
    assert "This term has ended." in response.content.decode()
    assert list(response.context["history"]) == [post]


def test_end_before_start_is_a_form_error(cast, staff_client):
    post = post_of(cast.cell_leader)
    response = in_english(staff_client).post(
        end_url(post), {"ended_on": "2023-12-31", "reason": EndReason.ILL}
    )
    assert response.status_code == 200
    assert "A term cannot end before it started." in response.content.decode()
    post.refresh_from_db()
    assert post.ended_on is None


def test_hand_over_appoints_the_successor_and_keeps_the_history(cast, staff_client):
    post = post_of(cast.cell_leader)
    response = staff_client.post(
        hand_over_url(post), {"person": f"u{cast.resident.pk}", "on": "2024-10-08", "reason": EndReason.ILL}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    successor = post_of(cast.resident)
    assert post.ended_on == successor.started_on == datetime.date(2024, 10, 8)
    assert successor.unit == cast.cell
    history = staff_client.get(end_url(successor)).context["history"]
    assert [a.person for a in history] == [cast.resident, cast.cell_leader]


def test_hand_over_to_a_new_person(cast, staff_client):
    post = post_of(cast.cell_leader)
    response = staff_client.post(
        hand_over_url(post),
        {
            "new_full_name": "新邻长",
            "new_phone": "13712345678",
            "on": "2024-10-08",
            "reason": EndReason.MOVED_AWAY,
        },
    )
    assert response.status_code == 302
    assert post_of(User.objects.get(full_name="新邻长")).unit == cast.cell


def test_hand_over_to_the_same_person_is_refused(cast, staff_client):
    post = post_of(cast.cell_leader)
    response = staff_client.post(
        hand_over_url(post),
        {"person": f"u{cast.cell_leader.pk}", "on": "2024-10-08", "reason": EndReason.ILL},
    )
    assert response.status_code == 200 and "person" in response.context["form"].errors
    post.refresh_from_db()
    assert post.ended_on is None


def test_failed_hand_over_shows_the_error_and_ends_nothing(cast, staff_client):
    post = post_of(cast.cell_leader)
    response = in_english(staff_client).post(
        hand_over_url(post),
        {"person": f"u{cast.resident.pk}", "on": "2023-06-01", "reason": EndReason.ILL},
    )
    assert response.status_code == 200
    assert "A term cannot end before it started." in response.content.decode()
    post.refresh_from_db()
    assert post.ended_on is None and not Appointment.objects.filter(person=cast.resident).exists()


def test_place_labels_leave_out_what_every_unit_shares(cast, staff_client):
    options = dict(
        option
        for _group, options in staff_client.get(CREATE).context["form"].fields["place"].widget.choices[1:]
        for option in options
    )
    assert options[f"unit:{cast.cell3.pk}"] == "第二片区 › 第二组 › 第三邻"
    assert options[f"unit:{cast.community.pk}"] == "幸福社区"
