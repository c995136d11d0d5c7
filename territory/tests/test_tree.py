"""The tree page: who sees which part, what each node shows, and a query count that does not grow."""

import pytest
from django.conf import settings
from django.urls import reverse

from linli.testing import make_household, make_resident
from territory.models import Level
from territory.services import unit_create

TREE = reverse("territory:tree")


def page(client, user, **params):
    """The page in English, so assertions read the msgids whatever the catalogue holds."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get(TREE, params)


def test_street_admin_sees_both_communities(cast, client):
    html = page(client, cast.street_admin).content.decode()
    assert "幸福社区" in html and "和平社区" in html and "和平第一邻" in html


def test_community_staff_sees_only_their_community(cast, client):
    html = page(client, cast.staff).content.decode()
    assert "幸福社区" in html and "第三邻" in html
    assert "和平社区" not in html and "城关街道" not in html


def test_group_leader_sees_their_group_and_its_two_cells(cast, client):
    html = page(client, cast.group_leader).content.decode()
    assert "第一组" in html and "第一邻" in html and "第二邻" in html
    assert "第二组" not in html and "第三邻" not in html and "第一片区" not in html


def test_cell_leader_sees_only_their_cell(cast, client):
    html = page(client, cast.cell_leader).content.decode()
    assert "第一邻" in html and "第二邻" not in html and "第一组" not in html


@pytest.mark.parametrize("role", ["resident", "outsider", "building_leader"])
def test_viewers_without_a_territory_get_404(cast, client, role):
    assert page(client, getattr(cast, role)).status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get(TREE)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_subtree_of_a_visible_unit(cast, client):
    html = page(client, cast.street_admin, unit=cast.area2.pk).content.decode()
    assert "第二组" in html and "第三邻" in html and "第一组" not in html and "和平社区" not in html


def test_subtree_of_a_unit_outside_scope_is_404(cast, client):
    assert page(client, cast.staff, unit=cast.other_cell.pk).status_code == 404
    assert page(client, cast.group_leader, unit=cast.area.pk).status_code == 404


def test_malformed_unit_is_404_not_500(cast, client):
    assert page(client, cast.staff, unit="abc").status_code == 404


def test_cell_links_to_its_households(cast, client):
    html = page(client, cast.staff).content.decode()
    assert f'{reverse("people:household_list")}?cell={cast.cell.pk}"' in html


def test_node_shows_leader_counts_and_warnings(cast, client):
    html = page(client, cast.staff).content.decode()
    assert "王建国" in html and "组长甲" in html and "片长甲" in html
    assert "Households: 2 · Residents: 2" in html  # C1: h1 and h1b
    assert "Too few households: 1 (at least 5)" in html
    assert "Households not yet in a cell: 1" in html


def test_summary_line_counts_warnings(cast, client):
    response = page(client, cast.staff)
    summary = {kind: count for kind, _label, count in response.context["tree"].summary}
    assert summary == {"cell_too_small": 3, "no_leader": 3, "unplaced": 1}  # C3, G2, A2 have no leader
    assert "Units with no leader 3" in response.content.decode()


def test_only_warnings_filter_hides_quiet_nodes(cast, client):
    for i in range(3):
        make_household(cast.cell, room=f"9{i}1")
    html = page(client, cast.staff, warnings="1").content.decode()
    assert "第一邻" not in html and "第二邻" in html


def test_staff_get_an_appoint_link_on_nodes_without_leader(cast, client):
    html = page(client, cast.staff).content.decode()
    assert f"{reverse('leaders:appointment_create')}?unit={cast.cell3.pk}&amp;role=cell_leader" in html
    assert "Appoint" not in page(client, cast.area_leader).content.decode()


def test_query_count_does_not_grow_with_cells_and_households(cast, client, django_assert_num_queries):
    client.force_login(cast.street_admin)
    # session, user, the admin's appointments, their communities; units, households, residents, leaders, unplaced
    with django_assert_num_queries(9):
        assert client.get(TREE).status_code == 200
    for i in range(5):
        cell = unit_create(parent=cast.group2, level=Level.CELL, name=f"新邻{i}")
        for j in range(3):
            make_resident(make_household(cell, building="8栋", room=f"{i}{j}01"), f"新人{i}{j}")
    make_household(None, community=cast.other_community, estate="和平小区", building="5栋", room="501")
    with django_assert_num_queries(9):
        response = client.get(TREE)
    assert response.context["tree"].nodes == 13 + 5


def test_a_large_tree_is_drawn_down_to_its_communities_each_opened_apart(cast, client, monkeypatch):
    from territory import views

    monkeypatch.setattr(views, "FULL_TREE_NODES", 10)  # the street has 13 units, a community 8
    html = page(client, cast.street_admin).content.decode()
    assert "This tree is large: open one part at a time." in html
    assert "幸福社区" in html and "第一邻" not in html  # no cells drawn
    assert f"?unit={cast.community.pk}" in html
    html = page(client, cast.street_admin, unit=cast.community.pk).content.decode()
    assert "第一邻" in html
