"""The household and resident admin: masked ID numbers, changes through the services, scoped lists."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from linli.testing import make_household, make_id_number
from people.models import Household, Resident


@pytest.fixture
def root(client, cast):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    return client


def _resident(cast):
    return Resident.objects.get(household=cast.h1)


def test_resident_change_page_shows_only_the_masked_id_number(root, cast):
    resident = _resident(cast)
    content = root.get(reverse("admin:people_resident_change", args=[resident.pk])).content.decode()
    assert resident.id_number_masked in content
    assert resident.reveal_id_number() not in content
    assert resident.id_number_ciphertext not in content
    assert resident.id_number_digest not in content


def test_resident_changelist_shows_masked_phone_and_id_number(root, cast):
    content = root.get(reverse("admin:people_resident_changelist")).content.decode()
    for resident in Resident.objects.all():
        assert resident.phone_masked in content
        assert resident.phone not in content
        assert resident.reveal_id_number() not in content


def _resident_form(resident, **changes):
    data = {
        "household": resident.household_id,
        "name": resident.name,
        "relation": resident.relation,
        "residence_status": resident.residence_status,
        "gender": resident.gender,
        "birth_date": resident.birth_date.isoformat(),
        "phone": resident.phone,
        "emergency_contact_name": resident.emergency_contact_name,
        "emergency_contact_phone": resident.emergency_contact_phone,
        "note": "",
        "new_id_number": "",
    }
    data.update(changes)
    return data


def test_new_id_number_typed_in_admin_is_encrypted_and_history_names_the_user(root, cast):
    resident = _resident(cast)
    number = make_id_number(gender="F", seq=321)
    response = root.post(
        reverse("admin:people_resident_change", args=[resident.pk]),
        _resident_form(resident, name="张桂兰", new_id_number=number),
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.reveal_id_number() == number
    assert resident.name_initials == "zgl"  # derived by resident_save
    assert resident.history.latest().history_user.username == "root"


def test_bad_id_number_and_phone_are_form_errors_not_crashes(root, cast):
    resident = _resident(cast)
    response = root.post(
        reverse("admin:people_resident_change", args=[resident.pk]),
        _resident_form(resident, new_id_number="430102195003081235", phone="1380000"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"new_id_number", "phone"}


def test_admin_search_finds_a_resident_by_full_id_number(root, cast):
    resident = _resident(cast)
    response = root.get(reverse("admin:people_resident_changelist"), {"q": resident.reveal_id_number()})
    assert [r.pk for r in response.context["cl"].result_list] == [resident.pk]


def test_staff_admin_lists_only_the_households_of_their_community(client, cast):
    cast.staff.is_staff = True
    cast.staff.save()
    cast.staff.user_permissions.add(Permission.objects.get(codename="view_household"))
    client.force_login(cast.staff)
    response = client.get(reverse("admin:people_household_changelist"))
    assert {h.pk for h in response.context["cl"].result_list} == {
        cast.h1.pk,
        cast.h1b.pk,
        cast.h2.pk,
        cast.h3.pk,
        cast.h_unplaced.pk,
    }
    assert client.get(reverse("admin:people_household_change", args=[cast.hb.pk])).status_code == 302


def test_household_added_in_admin_gets_community_and_floor_from_the_service(root, cast):
    response = root.post(
        reverse("admin:people_household_add"),
        {
            "entrance": cast.h1.entrance_id,
            "room": "1203",
            "cell": cast.cell.pk,
            "status": "resident",
            "latitude": "",
            "longitude": "",
            "note": "",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    household = Household.objects.get(entrance=cast.h1.entrance, room="1203")
    assert (household.community, household.floor) == (cast.community, 12)


def test_household_with_a_cell_of_another_community_is_a_form_error(root, cast):
    response = root.post(
        reverse("admin:people_household_add"),
        {
            "entrance": cast.h1.entrance_id,
            "room": "1204",
            "cell": cast.other_cell.pk,
            "status": "resident",
            "latitude": "",
            "longitude": "",
            "note": "",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert not Household.objects.filter(room="1204").exists()


def test_household_changelist_query_count_does_not_grow(root, cast):
    url = reverse("admin:people_household_changelist")
    with CaptureQueriesContext(connection) as before:
        root.get(url)
    for i in range(20):
        make_household(cast.cell3, building="7栋", room=f"{i}02")
    with CaptureQueriesContext(connection) as after:
        root.get(url)
    assert len(after) == len(before)
