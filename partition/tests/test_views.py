import pytest
from django.conf import settings
from django.urls import reverse

from linli.testing import make_household, make_resident
from people.models import Household
from territory.models import TerritoryUnit

URL = reverse("partition:page")


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _cells(community):
    return dict(Household.objects.filter(community=community).values_list("pk", "cell_id"))


def test_staff_see_the_form_with_the_current_number_of_areas(client, cast):
    client.force_login(cast.staff)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["community"] == cast.community
    assert response.context["areas_value"] == 2  # 第一片区, 第二片区
    assert response.context["preview"] is None


@pytest.mark.parametrize(
    "who", ["cell_leader", "group_leader", "area_leader", "building_leader", "resident", "outsider"]
)
def test_the_page_does_not_exist_for_anyone_but_staff(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(URL, {"community": cast.community.pk, "areas": 1}).status_code == 404
    assert (
        client.post(URL, {"community": cast.community.pk, "areas": 1, "action": "apply"}).status_code == 404
    )


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_another_communitys_partition_is_not_found_for_its_neighbours_staff(client, cast):
    client.force_login(cast.staff)
    assert client.get(URL, {"community": cast.other_community.pk, "areas": 1}).status_code == 404
    assert client.get(URL, {"community": "abc"}).status_code == 404
    before = _cells(cast.other_community)
    response = client.post(
        URL,
        {"community": cast.other_community.pk, "areas": 1, "action": "apply", "confirm": "1", "token": "x"},
    )
    assert response.status_code == 404
    assert _cells(cast.other_community) == before


@pytest.mark.parametrize(
    ("areas", "message"),
    [
        ("abc", "whole number"),
        ("0", "whole number"),
        ("-2", "whole number"),
        ("1.5", "whole number"),
        ("", "whole number"),
        ("3", "at most 1 area"),
        ("99999999999999999999", "whole number"),
    ],
)
def test_a_bad_number_of_areas_is_shown_back(en, cast, areas, message):
    en.force_login(cast.staff)
    before = _cells(cast.community)
    response = en.get(URL, {"community": cast.community.pk, "areas": areas})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["preview"] is None
    assert response.context["areas_value"] == areas
    assert _cells(cast.community) == before


def test_the_preview_shows_figures_changes_cells_and_candidates(en, world, world_staff):
    en.force_login(world_staff)
    response = en.get(URL, {"community": world.pk, "areas": 2})
    assert response.status_code == 200
    body = response.content.decode()
    preview = response.context["preview"]
    assert "of cells hold 5–15 households" in body and 'id="part-share">100%' in body
    assert "households change cell" in body and f'id="part-moved">{preview.figures.moved}<' in body
    assert "Cells that need a neighbour leader" in body
    first = preview.leaderless[0].candidates[0]
    assert first.name in body and first.reasons[0] in body
    assert preview.cell_rows[0].name in body and "needs a leader" in body


def test_applying_needs_the_box_ticked(en, cast):
    en.force_login(cast.staff)
    token = en.get(URL, {"community": cast.community.pk, "areas": 1}).context["preview"].token
    before = _cells(cast.community)
    response = en.post(URL, {"community": cast.community.pk, "areas": 1, "token": token, "action": "apply"})
    assert response.status_code == 200
    assert "Tick the box" in response.content.decode()
    assert _cells(cast.community) == before


def test_staff_apply_the_preview_and_see_the_result(en, cast):
    en.force_login(cast.staff)
    token = en.get(URL, {"community": cast.community.pk, "areas": 1}).context["preview"].token
    data = {"community": cast.community.pk, "areas": 1, "token": token, "action": "apply", "confirm": "1"}
    response = en.post(URL, data, follow=True)
    assert response.redirect_chain[-1][0] == f"{URL}?community={cast.community.pk}&areas=1"
    body = response.content.decode()
    assert "Partition applied: 3 households changed cell" in body
    assert 'id="part-nothing"' in body  # the new preview: nothing left to change
    assert set(_cells(cast.community).values()) == {cast.cell.pk}


def test_a_stale_preview_is_not_applied(en, cast):
    en.force_login(cast.staff)
    token = en.get(URL, {"community": cast.community.pk, "areas": 1}).context["preview"].token
    make_household(None, community=cast.community, building="3栋", room="402")
    before = _cells(cast.community)
    data = {"community": cast.community.pk, "areas": 1, "token": token, "action": "apply", "confirm": "1"}
    response = en.post(URL, data)
    assert response.status_code == 200
    assert "changed since this preview" in response.content.decode()
    assert response.context["preview"].token != token  # the new preview, to look at again
    assert _cells(cast.community) == before


def test_staff_fix_and_free_a_cell(client, cast):
    client.force_login(cast.staff)
    data = {"community": cast.community.pk, "areas": 1, "cell": cast.cell3.pk, "action": "pin_cell"}
    assert client.post(URL, data).status_code == 302
    cast.cell3.refresh_from_db()
    assert cast.cell3.pinned
    assert client.post(URL, {**data, "action": "unpin_cell"}).status_code == 302
    cast.cell3.refresh_from_db()
    assert not cast.cell3.pinned


def test_a_cell_of_another_community_cannot_be_fixed(client, cast):
    client.force_login(cast.staff)
    for cell in (cast.other_cell.pk, cast.group.pk, "x"):
        data = {"community": cast.community.pk, "areas": 1, "cell": cell, "action": "pin_cell"}
        assert client.post(URL, data).status_code == 404
    assert not TerritoryUnit.objects.filter(pinned=True).exists()


def test_staff_keep_a_household_in_its_cell_and_free_it(client, cast):
    client.force_login(cast.staff)
    data = {"community": cast.community.pk, "areas": 1, "household": cast.h2.pk, "action": "pin_household"}
    assert client.post(URL, data).status_code == 302
    cast.h2.refresh_from_db()
    assert cast.h2.cell_pinned
    response = client.get(URL, {"community": cast.community.pk, "areas": 1})
    assert [m.household_id for m in response.context["preview"].pinned_households] == [cast.h2.pk]
    client.post(URL, {**data, "action": "unpin_household"})
    cast.h2.refresh_from_db()
    assert not cast.h2.cell_pinned
    other = {"community": cast.community.pk, "areas": 1, "household": cast.hb.pk, "action": "pin_household"}
    assert client.post(URL, other).status_code == 404


def test_a_household_in_no_cell_cannot_be_kept_and_says_why(en, cast):
    en.force_login(cast.staff)
    data = {
        "community": cast.community.pk,
        "areas": 1,
        "household": cast.h_unplaced.pk,
        "action": "pin_household",
    }
    response = en.post(URL, data)
    assert response.status_code == 200
    assert "cannot be kept" in response.content.decode()


def test_an_unknown_action_is_not_found(client, cast):
    client.force_login(cast.staff)
    assert client.post(URL, {"community": cast.community.pk, "areas": 1, "action": "x"}).status_code == 404


def _grow(cast, count, building):
    for k in range(count):
        household = make_household(None, community=cast.community, building=building, room=f"{k + 1}01")
        make_resident(household, f"新住户{k}", is_party_member=k % 2 == 0)


def test_the_preview_page_makes_the_same_number_of_queries_whatever_the_size(
    client, cast, django_assert_num_queries
):
    client.force_login(cast.staff)
    params = {"community": cast.community.pk, "areas": 1}
    _grow(cast, 12, "5栋")  # a new cell, with no 邻长 yet
    client.get(URL, params)  # warm the session
    # session, user, the viewer's posts and communities, the community list, the households, the units,
    # the 邻长 of the cells, the candidates (residents, their posts, their teams)
    with django_assert_num_queries(11):
        client.get(URL, params)
    _grow(cast, 60, "6栋")
    with django_assert_num_queries(11):
        response = client.get(URL, params)
    preview = response.context["preview"]
    assert preview.figures.households == 77 and len(preview.leaderless) >= 5


def test_applying_with_a_bad_number_of_areas_says_so_once(en, cast):
    en.force_login(cast.staff)
    data = {"community": cast.community.pk, "areas": "x", "token": "t", "action": "apply", "confirm": "1"}
    response = en.post(URL, data)
    assert response.status_code == 200
    assert response.content.decode().count("whole number, 1 or more") == 1
