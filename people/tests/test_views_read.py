"""The reading pages for households and residents: who sees what, masking, reveals, history, queries."""

import datetime
import itertools
import re

import pytest
from django.urls import reverse

from audit.models import AccessAction, AccessLog
from linli.testing import CAST_ROLES, CAST_VISIBLE_HOUSEHOLDS, make_household, make_resident
from people.models import Household, HouseholdStatus, Resident
from people.services import household_move, resident_save

HOUSEHOLD_NAMES = ["h1", "h1b", "h2", "h3", "h_unplaced", "hb"]
STAFF_ROLES = {"street_admin", "staff"}
LEADER_ROLES = {"area_leader", "group_leader", "cell_leader", "cell_leader_2", "building_leader"}


def shown_households(cast, html: str) -> set[str]:
    """Names (h1, h2, ...) of the cast's households rendered as cards or rows on a page."""
    ids = {int(pk) for pk in re.findall(r'id="household-(\d+)"', html)}
    return {name for name in HOUSEHOLD_NAMES if getattr(cast, name).pk in ids}


def first_resident(household) -> Resident:
    return Resident.objects.filter(household=household).order_by("id").first()


_rooms = itertools.count(1)


def add_households(cell, count: int, **resident_fields):
    for _ in range(count):
        household = make_household(cell, building="9栋", room=f"R{next(_rooms)}")
        make_resident(household, "新住户", **resident_fields)
        make_resident(household, "新家属", relation="spouse")


# --- My households ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(set(CAST_ROLES) - STAFF_ROLES))
def test_my_households_shows_exactly_the_households_in_scope(cast, client, role):
    client.force_login(getattr(cast, role))
    response = client.get(reverse("people:my_households"))
    assert response.status_code == 200
    html = response.content.decode()
    shown = shown_households(cast, html)
    # An area leader's page is an index of cells; each cell opens on its own page.
    for cell_id in re.findall(r'href="\?cell=(\d+)"', html):
        opened = client.get(reverse("people:my_households"), {"cell": cell_id}).content.decode()
        shown |= shown_households(cast, opened)
    assert shown == CAST_VISIBLE_HOUSEHOLDS[role]


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_my_households_sends_staff_to_the_household_list(cast, client, role):
    client.force_login(getattr(cast, role))
    response = client.get(reverse("people:my_households"))
    assert response.status_code == 302
    assert response["Location"] == reverse("people:household_list")


def test_my_households_card_shows_members_badges_and_emergency_contact_masked(cast, client):
    client.force_login(cast.cell_leader)
    html = client.get(reverse("people:my_households")).content.decode()
    zhang = first_resident(cast.h1)
    assert "张桂莲" in html
    assert zhang.phone_masked in html and zhang.phone not in html
    assert "李强" in html and "139****1111" in html and "13900001111" not in html
    assert 'class="badge badge-care"' in html
    assert reverse("people:resident_reveal", args=[zhang.pk, "phone"]) in html
    assert reverse("people:resident_reveal", args=[zhang.pk, "emergency_phone"]) in html


def test_my_households_lists_special_group_households_first(cast, client):
    # Room 103 comes after 102 (h1b) by address, but holds an elderly person living alone.
    special = make_household(cast.cell, room="103")
    make_resident(special, "独居甲", is_elderly_alone=True)
    client.force_login(cast.cell_leader)
    html = client.get(reverse("people:my_households")).content.decode()
    order = [int(pk) for pk in re.findall(r'id="household-(\d+)"', html)]
    assert order == [cast.h1.pk, special.pk, cast.h1b.pk]


def test_my_households_leaves_out_households_not_living_here(cast, client):
    Household.objects.filter(pk=cast.h1b.pk).update(status=HouseholdStatus.REGISTERED_ONLY)
    client.force_login(cast.cell_leader)
    html = client.get(reverse("people:my_households")).content.decode()
    assert shown_households(cast, html) == {"h1"}


def test_group_leader_sees_cells_headed_with_their_leaders(cast, client):
    client.force_login(cast.group_leader)
    html = client.get(reverse("people:my_households")).content.decode()
    assert html.count('class="cell-section"') == 2
    first, second = html.index(cast.cell.name), html.index(cast.cell2.name)
    assert first < html.index("王建国") < second < html.index("刘芳")


def test_area_leader_sees_groups_as_collapsible_sections(cast, client):
    client.force_login(cast.area_leader)
    html = client.get(reverse("people:my_households")).content.decode()
    assert html.count("<details") == 1
    assert cast.group.name in html and "组长甲" in html


def test_area_leader_sees_an_index_of_cells_with_counts_not_every_household(cast, client):
    client.force_login(cast.area_leader)
    response = client.get(reverse("people:my_households"))
    assert shown_households(cast, response.content.decode()) == set()
    counts = {c.cell: (c.household_count, c.special_count) for c in response.context["mine"].cells}
    assert counts == {cast.cell: (2, 1), cast.cell2: (1, 0)}  # h1 has an elderly person living alone


def test_a_cell_outside_the_patch_cannot_be_opened(cast, client):
    client.force_login(cast.area_leader)
    response = client.get(reverse("people:my_households"), {"cell": cast.cell3.pk})
    assert shown_households(cast, response.content.decode()) == set()


def test_area_leader_index_query_count_does_not_grow_with_cells(cast, client, django_assert_num_queries):
    client.force_login(cast.area_leader)
    client.get(reverse("people:my_households"))
    with django_assert_num_queries(5):
        client.get(reverse("people:my_households"))
    from territory.models import Level
    from territory.services import unit_create

    for n in range(3):
        add_households(unit_create(parent=cast.group, level=Level.CELL, name=f"新邻{n}"), 2, is_disabled=True)
    with django_assert_num_queries(5):
        client.get(reverse("people:my_households"))


def test_my_households_says_so_when_there_is_nothing(cast, client):
    client.force_login(cast.outsider)
    response = client.get(reverse("people:my_households"))
    assert response.status_code == 200
    assert 'class="empty"' in response.content.decode()


@pytest.mark.parametrize("role", ["cell_leader", "group_leader"])
def test_my_households_query_count_does_not_grow_with_households(
    cast, client, django_assert_num_queries, role
):
    client.force_login(getattr(cast, role))
    expected = {"cell_leader": 7, "group_leader": 6}[role]
    with django_assert_num_queries(expected):
        client.get(reverse("people:my_households"))
    add_households(
        cast.cell,
        8,
        is_elderly_alone=True,
        emergency_contact_name="王五",
        emergency_contact_phone="13700001234",
    )
    with django_assert_num_queries(expected):
        response = client.get(reverse("people:my_households"))
    assert response.content.decode().count('class="household') >= 10


# --- Household list -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(STAFF_ROLES | LEADER_ROLES))
def test_household_list_shows_exactly_the_households_in_scope(cast, client, role):
    client.force_login(getattr(cast, role))
    response = client.get(reverse("people:household_list"))
    assert response.status_code == 200
    assert shown_households(cast, response.content.decode()) == CAST_VISIBLE_HOUSEHOLDS[role]


@pytest.mark.parametrize("role", ["resident", "outsider"])
def test_household_list_sends_people_without_a_post_to_their_own_page(cast, client, role):
    client.force_login(getattr(cast, role))
    response = client.get(reverse("people:household_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("people:my_households")


def test_household_list_masks_phones(cast, client):
    client.force_login(cast.staff)
    html = client.get(reverse("people:household_list")).content.decode()
    for name in ["h1", "h2", "h3"]:
        resident = first_resident(getattr(cast, name))
        assert resident.phone_masked in html
        assert resident.phone not in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"unit": "cell2"}, {"h2"}),
        ({"unit": "area"}, {"h1", "h1b", "h2"}),
        ({"unit": "community"}, {"h1", "h1b", "h2", "h3", "h_unplaced"}),
        ({"special": "is_elderly_alone"}, {"h1"}),
        ({"special": "is_not_a_field"}, {"h1", "h1b", "h2", "h3", "h_unplaced"}),
        ({"status": "unplaced"}, {"h_unplaced"}),
        ({"status": "sideways"}, {"h1", "h1b", "h2", "h3", "h_unplaced"}),
        ({"building": "2栋"}, {"h3"}),
        ({"q": "zgl"}, {"h1"}),
        ({"q": "刘芳"}, {"h2"}),
        ({"page": "banana"}, {"h1", "h1b", "h2", "h3", "h_unplaced"}),
        ({"page": "999"}, {"h1", "h1b", "h2", "h3", "h_unplaced"}),
        ({"unit": "not-a-number", "estate": "-1"}, {"h1", "h1b", "h2", "h3", "h_unplaced"}),
    ],
)
def test_household_list_filters(cast, client, params, expected):
    params = {
        key: str(getattr(cast, value).pk) if key == "unit" and hasattr(cast, value) else value
        for key, value in params.items()
    }
    client.force_login(cast.staff)
    response = client.get(reverse("people:household_list"), params)
    assert response.status_code == 200
    assert shown_households(cast, response.content.decode()) == expected


def test_household_list_filters_registered_only_households(cast, client):
    from people.services import household_set_status

    household_set_status(actor=cast.staff, household=cast.h2, status=HouseholdStatus.REGISTERED_ONLY)
    client.force_login(cast.staff)
    response = client.get(reverse("people:household_list"), {"status": "registered_only"})
    assert shown_households(cast, response.content.decode()) == {"h2"}


def test_household_list_filters_by_estate(cast, client):
    client.force_login(cast.street_admin)
    estate = cast.hb.entrance.building.estate
    response = client.get(reverse("people:household_list"), {"estate": estate.pk})
    assert shown_households(cast, response.content.decode()) == {"hb"}


def test_household_list_ignores_a_unit_outside_the_viewers_scope(cast, client):
    client.force_login(cast.cell_leader)
    response = client.get(reverse("people:household_list"), {"unit": cast.other_cell.pk})
    html = response.content.decode()
    assert shown_households(cast, html) == {"h1", "h1b"}
    assert cast.other_cell.name not in html


def test_household_list_pages_by_fifty(cast, client):
    add_households(cast.cell3, 50)
    client.force_login(cast.staff)
    first = client.get(reverse("people:household_list")).content.decode()
    last = client.get(reverse("people:household_list"), {"page": "2"}).content.decode()
    assert len(re.findall(r'<tr id="household-', first)) == 50
    assert len(re.findall(r'<tr id="household-', last)) == 5


def test_household_list_query_count_does_not_grow_with_households(cast, client, django_assert_num_queries):
    client.force_login(cast.staff)
    with django_assert_num_queries(9):
        client.get(reverse("people:household_list"))
    add_households(cast.cell3, 12)
    with django_assert_num_queries(9):
        response = client.get(reverse("people:household_list"))
    assert len(re.findall(r'<tr id="household-', response.content.decode())) == 17


# --- Household detail ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", CAST_ROLES)
def test_household_detail_answers_404_outside_scope(cast, client, role):
    client.force_login(getattr(cast, role))
    for name in HOUSEHOLD_NAMES:
        response = client.get(reverse("people:household_detail", args=[getattr(cast, name).pk]))
        assert response.status_code == (200 if name in CAST_VISIBLE_HOUSEHOLDS[role] else 404), name


def test_household_detail_shows_masked_id_number_and_phone(cast, client):
    zhang = first_resident(cast.h1)
    client.force_login(cast.staff)
    html = client.get(reverse("people:household_detail", args=[cast.h1.pk])).content.decode()
    assert zhang.id_number_masked in html and zhang.reveal_id_number() not in html
    assert zhang.phone_masked in html and zhang.phone not in html
    assert reverse("people:resident_reveal", args=[zhang.pk, "id_number"]) in html


def test_household_detail_offers_no_id_number_reveal_to_leaders(cast, client):
    zhang = first_resident(cast.h1)
    client.force_login(cast.cell_leader)
    html = client.get(reverse("people:household_detail", args=[cast.h1.pk])).content.decode()
    assert zhang.id_number_masked in html
    assert reverse("people:resident_reveal", args=[zhang.pk, "id_number"]) not in html
    assert reverse("people:resident_reveal", args=[zhang.pk, "phone"]) in html


def test_household_detail_gives_staff_the_editing_links(cast, client):
    zhang = first_resident(cast.h1)
    client.force_login(cast.staff)
    html = client.get(reverse("people:household_detail", args=[cast.h1.pk])).content.decode()
    for url in [
        reverse("people:household_edit", args=[cast.h1.pk]),
        reverse("people:resident_create", args=[cast.h1.pk]),
        reverse("people:resident_edit", args=[zhang.pk]),
        reverse("people:household_status", args=[cast.h1.pk]),
        reverse("people:household_history", args=[cast.h1.pk]),
    ]:
        assert url in html
    assert 'name="status" value="registered_only"' in html


def test_household_detail_offers_back_to_living_here_for_registered_only(cast, client):
    Household.objects.filter(pk=cast.h1.pk).update(status=HouseholdStatus.REGISTERED_ONLY)
    client.force_login(cast.staff)
    html = client.get(reverse("people:household_detail", args=[cast.h1.pk])).content.decode()
    assert 'name="status" value="resident"' in html


def test_household_detail_gives_leaders_no_editing_links(cast, client):
    client.force_login(cast.cell_leader)
    html = client.get(reverse("people:household_detail", args=[cast.h1.pk])).content.decode()
    assert reverse("people:household_edit", args=[cast.h1.pk]) not in html
    assert reverse("people:household_history", args=[cast.h1.pk]) not in html


# --- Reveal -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", CAST_ROLES)
def test_reveal_answers_404_outside_scope(cast, client, role):
    client.force_login(getattr(cast, role))
    for name in HOUSEHOLD_NAMES:
        resident = first_resident(getattr(cast, name))
        response = client.post(
            reverse("people:resident_reveal", args=[resident.pk, "phone"]), HTTP_HX_REQUEST="true"
        )
        visible = name in CAST_VISIBLE_HOUSEHOLDS[role]
        assert response.status_code == (200 if visible else 404), name
        assert (resident.phone in response.content.decode()) is visible
    assert AccessLog.objects.filter(user=getattr(cast, role)).count() == len(CAST_VISIBLE_HOUSEHOLDS[role])


def test_reveal_by_htmx_swaps_in_a_tel_link_and_logs_who(cast, client):
    zhang = first_resident(cast.h1)
    client.force_login(cast.cell_leader)
    response = client.post(
        reverse("people:resident_reveal", args=[zhang.pk, "phone"]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert f'href="tel:{zhang.phone}"' in html
    assert "<html" not in html
    log = AccessLog.objects.get()
    assert (log.user, log.resident, log.action) == (cast.cell_leader, zhang, AccessAction.REVEAL_PHONE)


def test_reveal_without_javascript_renders_the_household_page_with_the_number(cast, client):
    zhang = first_resident(cast.h1)
    client.force_login(cast.cell_leader)
    response = client.post(reverse("people:resident_reveal", args=[zhang.pk, "emergency_phone"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'href="tel:13900001111"' in html
    assert AccessLog.objects.get().action == AccessAction.REVEAL_EMERGENCY_PHONE


def test_reveal_is_post_only(cast, client):
    zhang = first_resident(cast.h1)
    client.force_login(cast.cell_leader)
    response = client.get(reverse("people:resident_reveal", args=[zhang.pk, "phone"]))
    assert response.status_code == 405
    assert not AccessLog.objects.exists()


def test_reveal_of_an_unknown_field_is_404(cast, client):
    zhang = first_resident(cast.h1)
    client.force_login(cast.staff)
    response = client.post(reverse("people:resident_reveal", args=[zhang.pk, "password"]))
    assert response.status_code == 404


@pytest.mark.parametrize("role", sorted(LEADER_ROLES | {"resident"}))
def test_non_staff_cannot_reveal_id_numbers(cast, client, role):
    user = getattr(cast, role)
    resident = Resident.objects.visible_to(user).first()
    client.force_login(user)
    response = client.post(
        reverse("people:resident_reveal", args=[resident.pk, "id_number"]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 403
    assert resident.reveal_id_number() not in response.content.decode()
    assert not AccessLog.objects.exists()


def test_staff_reveal_id_number_and_it_is_logged(cast, client):
    zhang = first_resident(cast.h1)
    client.force_login(cast.staff)
    response = client.post(
        reverse("people:resident_reveal", args=[zhang.pk, "id_number"]), HTTP_HX_REQUEST="true"
    )
    assert zhang.reveal_id_number() in response.content.decode()
    log = AccessLog.objects.get()
    assert (log.user, log.action) == (cast.staff, AccessAction.REVEAL_ID_NUMBER)


# --- History ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", CAST_ROLES)
def test_history_is_for_staff_within_scope(cast, client, role):
    client.force_login(getattr(cast, role))
    for name in HOUSEHOLD_NAMES:
        household = getattr(cast, name)
        allowed = role in STAFF_ROLES and name in CAST_VISIBLE_HOUSEHOLDS[role]
        expected = 200 if allowed else 404
        assert client.get(reverse("people:household_history", args=[household.pk])).status_code == expected, (
            name
        )
        resident = first_resident(household)
        assert client.get(reverse("people:resident_history", args=[resident.pk])).status_code == expected, (
            name
        )


def test_history_shows_who_changed_what_with_ids_and_phones_masked(cast, client):
    from linli.testing import make_id_number

    zhang = first_resident(cast.h1)
    old_phone, old_masked_id = zhang.phone, zhang.id_number_masked
    new_id = make_id_number(datetime.date(1950, 3, 8), "F", region="430103")
    zhang.phone = "13512345678"
    resident_save(actor=cast.staff, resident=zhang, id_number=new_id)
    household_move(actor=cast.staff, household=cast.h1, cell=cast.cell2)
    client.cookies["django_language"] = "en"
    client.force_login(cast.staff)

    html = client.get(reverse("people:resident_history", args=[zhang.pk])).content.decode()
    assert "社区工作者" in html
    assert "135****5678" in html and "13512345678" not in html and old_phone not in html
    assert old_masked_id in html and zhang.id_number_masked in html and new_id not in html
    assert html.index("135****5678") < html.index("Created")  # newest first

    html = client.get(reverse("people:household_history", args=[cast.h1.pk])).content.decode()
    assert f"<del>{cast.cell.name}</del> → <ins>{cast.cell2.name}</ins>" in html
    assert "135****5678" in html  # the residents' changes are on the household's page too


def test_history_query_count_is_bounded(cast, client, django_assert_max_num_queries):
    zhang = first_resident(cast.h1)
    for number in range(10):
        zhang.phone = f"1350000{number:04d}"
        resident_save(actor=cast.staff, resident=zhang)
    client.force_login(cast.staff)
    with django_assert_max_num_queries(12):
        client.get(reverse("people:household_history", args=[cast.h1.pk]))


# --- Languages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("url_name", ["my_households", "household_list", "search"])
def test_pages_render_in_both_languages(cast, client, language, url_name):
    client.cookies["django_language"] = language
    client.force_login(cast.group_leader)
    response = client.get(reverse(f"people:{url_name}"), {"q": "张"})
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()


def test_history_page_lists_who_revealed_a_phone_and_when(client, cast):
    from people.models import Resident

    resident = Resident.objects.get(household=cast.h1)
    client.force_login(cast.cell_leader)
    client.post(reverse("people:resident_reveal", args=[resident.pk, "phone"]))
    client.force_login(cast.staff)
    response = client.get(reverse("people:household_history", args=[cast.h1.pk]))
    log = response.context["access_log"]
    assert [(row.user, row.resident, row.action) for row in log] == [
        (cast.cell_leader, resident, "reveal_phone")
    ]
    assert "王建国" in response.content.decode()  # the cell leader's name, shown as who looked
