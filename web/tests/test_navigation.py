"""The top bar: staff keep their daily work in the bar and the management pages behind one 管理
disclosure; leaders and residents keep their short menus."""

import re

import pytest
from django.urls import reverse

DAILY = [
    "territory:tree",
    "people:household_list",
    "people:search",
    "service_requests:queue",
    "care:round",
    "care:alert_list",
    "figures:page",
    "notices:inbox",
]
MANAGEMENT = [
    "campaigns:list",
    "inspections:list",
    "care:distribution_list",
    "care:plans",
    "leaders:appointment_list",
    "leaders:nomination_list",
    "partition:page",
    "service_requests:catalogue",
    "notices:channel_list",
]


def _nav(client, user) -> str:
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    return html.split('<nav class="mainnav"')[1].split("</nav>")[0]


def _bar_and_menu(nav: str) -> tuple[str, str]:
    """The links shown in the bar itself, and those inside the 管理 disclosure."""
    match = re.search(r'<details class="navmore">.*?</details>', nav, re.S)
    if match is None:
        return nav, ""
    return nav[: match.start()] + nav[match.end() :], match.group(0)


def _href(name: str) -> str:
    return f'href="{reverse(name)}"'


@pytest.mark.django_db
def test_staff_keep_their_daily_pages_in_the_bar(client, cast):
    bar, _menu = _bar_and_menu(_nav(client, cast.staff))
    assert all(_href(name) in bar for name in DAILY)


@pytest.mark.django_db
def test_staff_find_the_management_pages_behind_one_manage_disclosure(client, cast):
    bar, menu = _bar_and_menu(_nav(client, cast.staff))
    assert "<summary>管理</summary>" in menu
    assert all(_href(name) in menu and _href(name) not in bar for name in MANAGEMENT)


@pytest.mark.django_db
def test_only_a_street_admin_finds_the_open311_keys_under_manage(client, cast):
    _bar, admin_menu = _bar_and_menu(_nav(client, cast.street_admin))
    _bar, staff_menu = _bar_and_menu(_nav(client, cast.staff))
    assert _href("open311:keys") in admin_menu
    assert _href("open311:keys") not in staff_menu


@pytest.mark.django_db
def test_a_neighbour_leader_keeps_a_short_bar_with_no_manage_menu(client, cast):
    nav = _nav(client, cast.cell_leader)
    assert "navmore" not in nav
    for name in ["people:my_households", "service_requests:queue", "care:round", "campaigns:list"]:
        assert _href(name) in nav
    assert _href("leaders:appointment_list") not in nav and _href("people:household_list") not in nav


@pytest.mark.django_db
def test_a_resident_keeps_their_own_menu(client, cast):
    nav = _nav(client, cast.resident)
    assert "navmore" not in nav
    for name in ["people:my_households", "service_requests:my_requests", "leaders:my_cell", "notices:inbox"]:
        assert _href(name) in nav
    assert _href("service_requests:queue") not in nav
