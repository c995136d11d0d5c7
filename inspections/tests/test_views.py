"""The inspection pages: who sees which rounds, a new round from a phone, a round's page, the staff's
checklist editor, bad input shown back, and the queries the list costs."""

import pytest
from django.urls import reverse

from inspections import services
from inspections.models import ChecklistItem, Finding, Inspection
from service_requests.models import Request


@pytest.fixture(autouse=True)
def _pages_in_english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _round(actor, unit, marks):
    return services.inspection_record(actor=actor, unit=unit, findings=marks)


@pytest.fixture
def rounds(cast, items, kinds, c1_building, shared_building):
    """One round by each 邻长 of group G1, the first with a hazard."""
    mine = _round(
        cast.cell_leader,
        cast.cell,
        [(items[0], True, c1_building, "楼道堆满纸箱"), (items[1], False, None, "")],
    )
    theirs = _round(cast.cell_leader_2, cast.cell2, [(items[0], False, None, "")])
    return mine, theirs


# ---- The list --------------------------------------------------------------------------------------


def test_a_cell_leader_sees_their_own_rounds_not_their_neighbours(client, cast, rounds):
    mine, theirs = rounds
    client.force_login(cast.cell_leader)
    page = client.get(reverse("inspections:list")).content.decode()
    assert reverse("inspections:detail", args=[mine.pk]) in page
    assert reverse("inspections:detail", args=[theirs.pk]) not in page


def test_a_group_leader_sees_the_rounds_of_their_cells(client, cast, rounds):
    client.force_login(cast.group_leader)
    page = client.get(reverse("inspections:list")).content.decode()
    assert all(reverse("inspections:detail", args=[r.pk]) in page for r in rounds)


def test_the_list_shows_the_figures(client, cast, rounds):
    client.force_login(cast.staff)
    response = client.get(reverse("inspections:list"))
    figures = response.context["figures"].total
    assert (figures.rounds, figures.found, figures.removed, figures.open) == (2, 1, 0, 1)
    assert "Hazards removed" in response.content.decode()


@pytest.mark.parametrize("who", ["outsider", "resident"])
def test_people_without_a_post_have_no_inspection_pages(client, cast, rounds, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("inspections:list")).status_code == 404
    assert client.get(reverse("inspections:new")).status_code == 404
    assert client.get(reverse("inspections:detail", args=[rounds[0].pk])).status_code == 404


def test_a_bad_period_is_shown_back_and_this_month_used(client, cast, rounds):
    client.force_login(cast.cell_leader)
    response = client.get(reverse("inspections:list"), {"month": "2026-99"})
    assert response.status_code == 200
    assert "Choose a month" in response.content.decode()
    assert len(response.context["page"].object_list) == 1


def test_the_list_costs_the_same_queries_however_many_rounds(
    client, cast, items, kinds, c1_building, django_assert_num_queries
):
    client.force_login(cast.cell_leader)
    url = reverse("inspections:list")
    _round(cast.cell_leader, cast.cell, [(items[0], True, c1_building, "堵")])
    client.get(url)  # warm the session and the content types
    with django_assert_num_queries(8):
        client.get(url)
    for _n in range(5):
        _round(
            cast.cell_leader, cast.cell, [(items[1], True, c1_building, "充电"), (items[2], False, None, "")]
        )
    with django_assert_num_queries(8):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 6


# ---- A round's page --------------------------------------------------------------------------------


def test_a_rounds_page_links_each_hazard_to_its_request(client, cast, rounds):
    mine, _theirs = rounds
    client.force_login(cast.cell_leader)
    page = client.get(reverse("inspections:detail", args=[mine.pk])).content.decode()
    request = mine.findings.get(is_hazard=True).request
    assert reverse("service_requests:detail", args=[request.pk]) in page
    assert "楼道堆满纸箱" in page


def test_a_cell_leader_cannot_open_their_neighbours_round(client, cast, rounds):
    client.force_login(cast.cell_leader)
    assert client.get(reverse("inspections:detail", args=[rounds[1].pk])).status_code == 404


def test_a_rounds_page_costs_a_fixed_number_of_queries(client, cast, rounds, django_assert_num_queries):
    client.force_login(cast.cell_leader)
    url = reverse("inspections:detail", args=[rounds[0].pk])
    client.get(url)
    with django_assert_num_queries(6):
        client.get(url)


# ---- A new round -----------------------------------------------------------------------------------


def test_a_cell_leader_goes_straight_to_the_checklist_of_their_cell(client, cast, items):
    client.force_login(cast.cell_leader)
    response = client.get(reverse("inspections:new"))
    assert response.context["unit"] == cast.cell
    assert [line["item"] for line in response.context["lines"]] == items


def test_a_group_leader_first_picks_the_patch(client, cast, items):
    client.force_login(cast.group_leader)
    response = client.get(reverse("inspections:new"))
    assert [u.pk for u in response.context["choices"]] == [cast.group.pk, cast.cell.pk, cast.cell2.pk]


def test_a_patch_outside_the_viewers_is_not_found(client, cast, items):
    client.force_login(cast.cell_leader)
    assert client.get(reverse("inspections:new"), {"unit": cast.cell2.pk}).status_code == 404
    assert client.post(reverse("inspections:new"), {"unit": cast.cell2.pk}).status_code == 404


def _form(cast, items, **marks):
    data = {"unit": cast.cell.pk}
    for item in items:
        data[f"item_{item.pk}"] = "ok"
    data.update(marks)
    return data


def test_recording_a_round_files_the_hazards_and_opens_the_round(client, cast, items, kinds, c1_building):
    client.force_login(cast.cell_leader)
    hazard = items[1]
    data = _form(
        cast,
        items,
        **{
            f"item_{hazard.pk}": "hazard",
            f"building_{hazard.pk}": c1_building.pk,
            f"note_{hazard.pk}": "3楼充电",
        },
    )
    response = client.post(reverse("inspections:new"), data)
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and response.url == reverse("inspections:detail", args=[inspection.pk])
    assert inspection.findings.count() == len(items)
    assert inspection.findings.get(is_hazard=True).request.building == c1_building
    page = client.get(response.url).content.decode()
    assert "1 hazard is filed as a request" in page


def test_a_hazard_without_a_note_is_shown_back_with_what_was_entered(client, cast, items, kinds, c1_building):
    client.force_login(cast.cell_leader)
    hazard = items[1]
    data = _form(
        cast,
        items,
        **{f"item_{hazard.pk}": "hazard", f"building_{hazard.pk}": c1_building.pk, "note": "下午巡查"},
    )
    response = client.post(reverse("inspections:new"), data)
    assert response.status_code == 200
    line = next(line for line in response.context["lines"] if line["item"] == hazard)
    assert line["hazard"] and line["building_id"] == c1_building.pk and line["errors"]
    assert "say where the hazard is" in response.content.decode()
    assert "下午巡查" in response.content.decode()
    assert not Inspection.objects.exists() and not Request.objects.exists()


def test_an_unknown_building_is_refused(client, cast, items, kinds):
    client.force_login(cast.cell_leader)
    hazard = items[0]
    data = _form(
        cast,
        items,
        **{f"item_{hazard.pk}": "hazard", f"building_{hazard.pk}": "99999", f"note_{hazard.pk}": "x"},
    )
    response = client.post(reverse("inspections:new"), data)
    assert response.status_code == 200 and not Finding.objects.exists()


def test_a_street_without_a_hazard_kind_is_told_on_the_page(client, cast, items, c1_building):
    client.force_login(cast.cell_leader)
    hazard = items[0]
    data = _form(
        cast,
        items,
        **{f"item_{hazard.pk}": "hazard", f"building_{hazard.pk}": c1_building.pk, f"note_{hazard.pk}": "x"},
    )
    response = client.post(reverse("inspections:new"), data)
    assert response.status_code == 200 and "service catalogue" in response.content.decode()


def test_nothing_marked_is_shown_back(client, cast, items, kinds):
    client.force_login(cast.cell_leader)
    response = client.post(reverse("inspections:new"), {"unit": cast.cell.pk})
    assert response.status_code == 200 and "at least one line" in response.content.decode()


# ---- The checklist editor --------------------------------------------------------------------------


def test_staff_add_rename_move_and_take_off_lines(client, cast, items):
    client.force_login(cast.staff)
    url = reverse("inspections:checklist")
    client.post(url, {"action": "add", "community": cast.community.pk, "text": "楼顶违建"})
    client.post(
        url, {"action": "rename", "community": cast.community.pk, "item": items[0].pk, "text": "楼道畅通"}
    )
    client.post(url, {"action": "down", "community": cast.community.pk, "item": items[0].pk})
    response = client.post(url, {"action": "off", "community": cast.community.pk, "item": items[2].pk})
    assert response.status_code == 302
    texts = [i.text for i in services.checklist_items_for(cast.community)]
    assert texts[:2] == [items[1].text, "楼道畅通"] and texts[-1] == "楼顶违建"
    assert items[2].text not in texts


def test_an_empty_line_is_shown_back(client, cast, items):
    client.force_login(cast.staff)
    response = client.post(
        reverse("inspections:checklist"),
        {"action": "rename", "community": cast.community.pk, "item": items[0].pk, "text": " "},
    )
    assert response.status_code == 200 and "Say what is to be checked" in response.content.decode()
    assert ChecklistItem.objects.get(pk=items[0].pk).text == items[0].text


def test_staff_cannot_edit_another_communitys_checklist(client, cast):
    theirs = services.checklist_items_for(cast.other_community)[0]
    client.force_login(cast.staff)
    response = client.post(reverse("inspections:checklist"), {"action": "off", "item": theirs.pk})
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["cell_leader", "area_leader", "outsider"])
def test_the_checklist_editor_is_for_staff_only(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("inspections:checklist")).status_code == 404


GARBAGE = ["²", "-1", "0", "abc", "9" * 30, "１２", "1e3", "2026-00", "0000-01"]


@pytest.mark.parametrize(
    ("role", "route"),
    [
        ("cell_leader", "/inspections/?month={}&page={}"),
        ("staff", "/inspections/?year={}"),
        ("group_leader", "/inspections/new/?unit={}"),
        ("staff", "/inspections/checklist/?community={}"),
        ("cell_leader", "/inspections/{}/"),
    ],
)
def test_garbage_in_query_strings_never_answers_500(client, cast, items, role, route):
    client.force_login(getattr(cast, role))
    for value in GARBAGE:
        url = route.replace("{}", value)
        assert client.get(url).status_code < 500, url


def test_garbage_in_the_round_form_is_shown_back(client, cast, items, kinds):
    client.force_login(cast.cell_leader)
    data = {
        "unit": cast.cell.pk,
        f"item_{items[0].pk}": "hazard",
        f"building_{items[0].pk}": "²",
        "note": "x",
    }
    data.update({f"item_{items[1].pk}": "²", "item_abc": "hazard"})
    assert client.post(reverse("inspections:new"), data).status_code == 200
    assert not Inspection.objects.exists()


def test_garbage_in_the_checklist_form_is_not_found(client, cast, items):
    client.force_login(cast.staff)
    for data in [
        {"action": "up", "item": "²"},
        {"action": "add", "community": "abc", "text": "x"},
        {"action": "zap", "item": items[0].pk},
    ]:
        assert client.post(reverse("inspections:checklist"), data).status_code == 404
