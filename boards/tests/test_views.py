"""Board pages: public (what a resident sees after scanning), showing only roles, names and phones;
the estate's print-all PDF for its community's staff only; and the queries each page costs."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from leaders.models import Role
from leaders.services import appointment_create
from linli.testing import UserFactory, make_household
from territory.models import Level
from territory.services import unit_create

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
MARCH_1 = datetime.datetime(2024, 3, 1, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(MARCH_1, tick=False):
        yield


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_building_board_is_public(cast, boarded, client):
    response = client.get(reverse("boards:building", args=[boarded.b1.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("社区民警", "李警官", "13900000110", "王建国", "13800000003", "刘芳", "周管家", "何调解"):
        assert text in body
    assert 'href="tel:13800000003"' in body


def test_building_board_shows_nothing_about_residents(cast, boarded, client):
    body = client.get(reverse("boards:building", args=[boarded.b1.pk])).content.decode()
    assert "张桂莲" not in body  # resident of h1
    assert "李强" not in body and "13900001111" not in body  # her emergency contact
    assert "1单元" not in body  # no address below the building


def test_building_board_links_the_filing_page_and_its_pdf(cast, boarded, client):
    body = client.get(reverse("boards:building", args=[boarded.b1.pk])).content.decode()
    assert f'href="{reverse("service_requests:file_from_building", args=[boarded.b1.pk])}"' in body
    assert f'href="{reverse("boards:building_pdf", args=[boarded.b1.pk])}"' in body
    assert "<svg" in body  # the code printed on the board


def test_building_board_shows_its_date_and_empty_posts(cast, boarded, client, english):
    body = client.get(reverse("boards:building", args=[boarded.b1.pk])).content.decode()
    assert "Generated on March 1, 2024" in body
    assert "Not appointed yet" in body  # 1栋 has no building leader


def test_unknown_building_or_estate_is_404(cast, client):
    assert client.get(reverse("boards:building", args=[99999])).status_code == 404
    assert client.get(reverse("boards:building_pdf", args=[99999])).status_code == 404
    assert client.get(reverse("boards:estate", args=[99999])).status_code == 404
    assert client.get(reverse("boards:estate_pdf", args=[99999])).status_code == 404


def test_board_pages_refuse_post(cast, boarded, client):
    assert client.post(reverse("boards:building", args=[boarded.b1.pk])).status_code == 405


def test_estate_board_lists_buildings_each_with_its_filing_page(cast, boarded, client):
    body = client.get(reverse("boards:estate", args=[boarded.estate.pk])).content.decode()
    for building in (boarded.b1, boarded.b2, boarded.b3):
        assert f'href="{reverse("service_requests:file_from_building", args=[building.pk])}"' in body
        assert f'href="{reverse("boards:building", args=[building.pk])}"' in body
    assert "陈明" in body and "2栋" in body


def test_estate_with_one_building_files_straight_from_its_board(cast, boarded, client):
    hb_building = cast.hb.entrance.building
    body = client.get(reverse("boards:estate", args=[hb_building.estate_id])).content.decode()
    assert f'href="{reverse("service_requests:file_from_building", args=[hb_building.pk])}"' in body
    assert "孙警官" in body


def test_estate_page_offers_print_all_to_its_staff(cast, boarded, client):
    client.force_login(cast.staff)
    body = client.get(reverse("boards:estate", args=[boarded.estate.pk])).content.decode()
    assert reverse("boards:estate_all_pdf", args=[boarded.estate.pk]) in body


@pytest.mark.parametrize("who", ["anonymous", "resident", "cell_leader", "building_leader", "outsider"])
def test_estate_page_offers_print_all_to_no_one_else(cast, boarded, client, who):
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    body = client.get(reverse("boards:estate", args=[boarded.estate.pk])).content.decode()
    assert reverse("boards:estate_all_pdf", args=[boarded.estate.pk]) not in body


@pytest.mark.parametrize("who", ["staff", "street_admin"])
def test_staff_of_the_estates_community_print_all_boards(cast, boarded, client, who):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("boards:estate_all_pdf", args=[boarded.estate.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    "who",
    ["anonymous", "resident", "area_leader", "group_leader", "cell_leader", "building_leader", "outsider"],
)
def test_print_all_is_404_for_anyone_but_staff(cast, boarded, client, who):
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    assert client.get(reverse("boards:estate_all_pdf", args=[boarded.estate.pk])).status_code == 404


def test_print_all_is_404_for_staff_of_another_community(cast, boarded, client):
    other_staff = UserFactory(full_name="和平社工")
    appointment_create(actor=None, person=other_staff, role=Role.COMMUNITY_STAFF, unit=cast.other_community)
    client.force_login(other_staff)
    assert client.get(reverse("boards:estate_all_pdf", args=[boarded.estate.pk])).status_code == 404


def test_print_all_is_404_for_staff_who_only_lead_a_cell_there(cast, boarded, client):
    """Staff of community B who is also a 邻长 in community A sees A's estates, but prints no boards there."""
    other_staff = UserFactory(full_name="和平社工")
    appointment_create(actor=None, person=other_staff, role=Role.COMMUNITY_STAFF, unit=cast.other_community)
    appointment_create(actor=None, person=other_staff, role=Role.CELL_LEADER, unit=cast.cell3)
    client.force_login(other_staff)
    assert client.get(reverse("boards:estate_all_pdf", args=[boarded.estate.pk])).status_code == 404


def test_print_all_of_an_estate_without_buildings_is_404(cast, boarded, client):
    from territory.services_estates import estate_create

    empty = estate_create(
        actor=cast.staff, community=cast.community, name="空小区", kind="estate", address=""
    )
    client.force_login(cast.staff)
    assert client.get(reverse("boards:estate_all_pdf", args=[empty.pk])).status_code == 404


def test_estate_detail_page_links_the_boards(cast, boarded, client):
    client.force_login(cast.staff)
    body = client.get(reverse("territory:estate_detail", args=[boarded.estate.pk])).content.decode()
    assert reverse("boards:estate", args=[boarded.estate.pk]) in body
    assert reverse("boards:estate_all_pdf", args=[boarded.estate.pk]) in body
    assert reverse("boards:building", args=[boarded.b2.pk]) in body


# ---- queries ----


def _grow(cast, boarded, n):
    """n more cells with households and 邻长 in 1栋, and n more building leaders across the estate."""
    for i in range(n):
        cell = unit_create(parent=cast.group, level=Level.CELL, name=f"新邻{i}")
        make_household(cell, building="1栋", room=f"9{i:02d}")
        appointment_create(
            actor=None, person=UserFactory(phone="13600000000"), role=Role.CELL_LEADER, unit=cell
        )
        appointment_create(actor=None, person=UserFactory(), role=Role.BUILDING_LEADER, building=boarded.b1)


def test_building_board_query_count_is_pinned(cast, boarded, client, django_assert_num_queries):
    url = reverse("boards:building", args=[boarded.b1.pk])
    client.get(url)  # the first view creates the board row
    # building+estate+community, cells of its households, appointments, board row
    with django_assert_num_queries(4):
        client.get(url)
    _grow(cast, boarded, 4)
    client.get(url)  # content changed: the board's date moves (one update)
    with django_assert_num_queries(4):
        assert "新邻3" in client.get(url).content.decode()


def test_estate_board_query_count_is_pinned(cast, boarded, client, django_assert_num_queries):
    url = reverse("boards:estate", args=[boarded.estate.pk])
    client.get(url)
    # estate+community, buildings, cells, appointments, board row
    with django_assert_num_queries(5):
        client.get(url)
    _grow(cast, boarded, 4)
    client.get(url)
    with django_assert_num_queries(5):
        client.get(url)


def test_estate_board_for_staff_query_count_is_pinned(cast, boarded, client, django_assert_num_queries):
    client.force_login(cast.staff)
    url = reverse("boards:estate", args=[boarded.estate.pk])
    client.get(url)
    # + session, user, the viewer's appointments, their communities
    with django_assert_num_queries(9):
        client.get(url)


def test_kept_pdf_costs_no_rendering(cast, boarded, client, django_assert_num_queries, monkeypatch):
    url = reverse("boards:building_pdf", args=[boarded.b1.pk])
    first = client.get(url).content

    def no_rendering(*args, **kwargs):
        raise AssertionError("the kept PDF should have been served")

    monkeypatch.setattr("boards.views.boards_pdf", no_rendering)
    # building, cells, appointments, board row, the kept PDF
    with django_assert_num_queries(5):
        assert client.get(url).content == first


def test_print_all_query_count_does_not_grow_with_buildings(cast, boarded, client, django_assert_num_queries):
    client.force_login(cast.staff)
    url = reverse("boards:estate_all_pdf", args=[boarded.estate.pk])
    client.get(url)
    # session, user, viewer's appointments, their communities, estate, buildings, cells, appointments, boards
    with django_assert_num_queries(9):
        client.get(url)
    for i in range(3):
        make_household(cast.cell3, building=f"{10 + i}栋", room="101")
    client.get(url)
    with django_assert_num_queries(9):
        client.get(url)


@pytest.mark.parametrize("url", ["/boards/b/{}/", "/boards/b/{}/pdf", "/boards/e/{}/", "/boards/e/{}/pdf"])
def test_huge_ids_are_404_not_500(cast, client, url):
    assert client.get(url.format("9" * 30)).status_code == 404


def test_huge_id_in_print_all_is_404(cast, client):
    client.force_login(cast.staff)
    assert client.get("/boards/e/{}/all.pdf".format("9" * 30)).status_code == 404
