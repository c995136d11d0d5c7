"""What a board lists, post by post, and the date it carries: new when an appointment changes, the same
on every request while nothing does."""

import datetime

import pytest
import time_machine

from boards.models import Board
from boards.selectors import (
    board_content_for_building,
    board_content_for_estate,
    board_contents_for_buildings,
    estate_buildings,
)
from boards.services import board_refresh, boards_refresh
from leaders.models import EndReason, Role
from leaders.services import appointment_create, appointment_end, appointment_hand_over
from linli.testing import UserFactory, make_household
from people.models import HouseholdStatus
from people.services import household_set_status

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
MARCH_1 = datetime.datetime(2024, 3, 1, 9, 0, tzinfo=SHANGHAI)
MARCH_5 = datetime.datetime(2024, 3, 5, 9, 0, tzinfo=SHANGHAI)
MARCH_10 = datetime.datetime(2024, 3, 10, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(MARCH_1, tick=False):
        yield


def _people(content, role):
    return [(line.name, line.phone, line.place) for line in content.lines if line.role == role]


def test_building_board_lists_police_of_its_community(cast, boarded):
    content = board_content_for_building(boarded.b1)
    assert _people(content, Role.POLICE) == [("李警官", "13900000110", "幸福社区")]


def test_police_of_the_street_is_on_every_board_of_the_street(cast, boarded):
    street_police = UserFactory(full_name="街道民警", phone="13900000199")
    appointment_create(actor=None, person=street_police, role=Role.POLICE, unit=cast.street)
    assert ("街道民警", "13900000199", "城关街道") in _people(
        board_content_for_building(boarded.b2), Role.POLICE
    )


def test_building_board_lists_area_and_group_leaders_above_its_cells(cast, boarded):
    content = board_content_for_building(boarded.b1)
    assert _people(content, Role.AREA_LEADER) == [("片长甲", "13800000001", "第一片区")]
    assert _people(content, Role.GROUP_LEADER) == [("组长甲", "13800000002", "第一组")]


def test_building_board_lists_the_neighbour_leader_of_each_of_its_cells(cast, boarded):
    content = board_content_for_building(boarded.b1)
    assert _people(content, Role.CELL_LEADER) == [
        ("王建国", "13800000003", "第一邻"),
        ("刘芳", "13800000004", "第二邻"),
    ]


def test_leaders_of_other_cells_are_not_on_the_board(cast, boarded):
    content = board_content_for_building(boarded.b2)  # cell C3 of group G2, area A2: no leaders yet
    assert _people(content, Role.CELL_LEADER) == []
    assert _people(content, Role.AREA_LEADER) == []
    assert _people(content, Role.GROUP_LEADER) == []


def test_cells_of_registered_only_households_do_not_count(cast, boarded):
    household_set_status(actor=None, household=cast.h2, status=HouseholdStatus.REGISTERED_ONLY)
    content = board_content_for_building(boarded.b1)
    assert [name for name, _phone, _place in _people(content, Role.CELL_LEADER)] == ["王建国"]


def test_building_board_lists_the_property_butler_of_its_estate(cast, boarded):
    assert _people(board_content_for_building(boarded.b3), Role.PROPERTY_BUTLER) == [
        ("周管家", "13900000130", "阳光小区")
    ]


def test_mediator_of_an_area_is_on_the_boards_of_that_area_only(cast, boarded):
    assert _people(board_content_for_building(boarded.b1), Role.MEDIATOR) == [
        ("何调解", "13900000120", "第一片区")
    ]
    assert _people(board_content_for_building(boarded.b2), Role.MEDIATOR) == []


def test_mediator_of_the_community_is_on_every_board_of_it(cast, boarded):
    chair = UserFactory(full_name="和事佬乙", phone="13900000121")
    appointment_create(actor=None, person=chair, role=Role.MEDIATOR, unit=cast.community)
    assert ("和事佬乙", "13900000121", "幸福社区") in _people(
        board_content_for_building(boarded.b3), Role.MEDIATOR
    )


def test_building_board_lists_its_building_leader_only(cast, boarded):
    assert _people(board_content_for_building(boarded.b2), Role.BUILDING_LEADER) == [
        ("陈明", "13800000005", "2栋")
    ]
    assert _people(board_content_for_building(boarded.b1), Role.BUILDING_LEADER) == []


def test_board_of_another_community_does_not_list_our_police(cast, boarded):
    hb_building = cast.hb.entrance.building
    content = board_content_for_building(hb_building)
    assert _people(content, Role.POLICE) == [("孙警官", "13900000140", "和平社区")]


def test_ended_appointments_leave_the_board(cast, boarded):
    appointment_end(
        actor=cast.staff,
        appointment=boarded.appointment(boarded.butler, Role.PROPERTY_BUTLER),
        reason=EndReason.RESIGNED,
    )
    assert _people(board_content_for_building(boarded.b1), Role.PROPERTY_BUTLER) == []


def test_sections_follow_the_board_order_and_show_empty_posts(cast, boarded):
    sections = board_content_for_building(boarded.b2).sections
    assert [s.role for s in sections] == [
        Role.POLICE,
        Role.AREA_LEADER,
        Role.GROUP_LEADER,
        Role.CELL_LEADER,
        Role.PROPERTY_BUTLER,
        Role.MEDIATOR,
        Role.BUILDING_LEADER,
    ]
    assert [len(s.lines) for s in sections] == [1, 0, 0, 0, 1, 0, 1]


def test_estate_board_joins_its_buildings_and_lists_every_building_leader(cast, boarded):
    leader_1 = UserFactory(full_name="楼长一", phone="13900000201")
    appointment_create(actor=None, person=leader_1, role=Role.BUILDING_LEADER, building=boarded.b1)
    content = board_content_for_estate(boarded.estate, estate_buildings(boarded.estate))
    assert _people(content, Role.BUILDING_LEADER) == [
        ("楼长一", "13900000201", "1栋"),
        ("陈明", "13800000005", "2栋"),
    ]
    assert [n for n, _p, _pl in _people(content, Role.CELL_LEADER)] == ["王建国", "刘芳"]
    assert [b.name for b in content.buildings] == ["1栋", "2栋", "3栋"]


def test_contents_for_many_buildings_match_one_by_one(cast, boarded):
    buildings = estate_buildings(boarded.estate)
    together = board_contents_for_buildings(buildings)
    for building in buildings:
        assert together[building.pk].lines == board_content_for_building(building).lines


def test_board_shows_a_leaders_phone_but_nothing_of_residents(cast, boarded):
    content = board_content_for_building(boarded.b1)
    shown = {value for line in content.lines for value in (line.name, line.phone, line.place)}
    assert "张桂莲" not in shown  # the resident of h1
    assert not any("101" in value for value in shown)  # no room numbers


def test_first_view_dates_the_board_today(cast, boarded):
    board = board_refresh(content=board_content_for_building(boarded.b1))
    assert board.generated_at == MARCH_1
    assert Board.objects.get(building=boarded.b1).generated_at == MARCH_1


def test_unchanged_board_keeps_its_date(cast, boarded):
    board_refresh(content=board_content_for_building(boarded.b1))
    with time_machine.travel(MARCH_5, tick=False):
        board = board_refresh(content=board_content_for_building(boarded.b1))
    assert board.generated_at == MARCH_1
    assert Board.objects.count() == 1


def test_hand_over_shows_the_successor_with_a_new_date(cast, boarded):
    board_refresh(content=board_content_for_building(boarded.b1))
    successor = UserFactory(full_name="赵新邻长", phone="13900000301")
    with time_machine.travel(MARCH_10, tick=False):
        appointment_hand_over(
            actor=cast.staff,
            appointment=boarded.appointment(cast.cell_leader, Role.CELL_LEADER),
            successor=successor,
            reason=EndReason.MOVED_AWAY,
        )
        content = board_content_for_building(boarded.b1)
        board = board_refresh(content=content)
    assert _people(content, Role.CELL_LEADER) == [
        ("赵新邻长", "13900000301", "第一邻"),
        ("刘芳", "13800000004", "第二邻"),
    ]
    assert board.generated_at == MARCH_10
    assert Board.objects.get(building=boarded.b1).generated_at == MARCH_10


def test_hand_over_elsewhere_keeps_this_boards_date(cast, boarded):
    board_refresh(content=board_content_for_building(boarded.b1))
    with time_machine.travel(MARCH_10, tick=False):
        appointment_hand_over(
            actor=cast.staff,
            appointment=boarded.appointment(cast.building_leader, Role.BUILDING_LEADER),  # 2栋's
            successor=UserFactory(full_name="新楼长"),
            reason=EndReason.ILL,
        )
        board = board_refresh(content=board_content_for_building(boarded.b1))
    assert board.generated_at == MARCH_1


def test_a_leaders_new_phone_is_a_new_board(cast, boarded):
    board_refresh(content=board_content_for_building(boarded.b1))
    cast.group_leader.phone = "13700000000"
    cast.group_leader.save(update_fields=["phone"])
    with time_machine.travel(MARCH_5, tick=False):
        content = board_content_for_building(boarded.b1)
        board = board_refresh(content=content)
    assert ("组长甲", "13700000000", "第一组") in _people(content, Role.GROUP_LEADER)
    assert board.generated_at == MARCH_5


def test_a_term_ending_later_changes_the_board_on_that_day(cast, boarded):
    """No hook fires on the day a term ends: the check on request is what moves the date."""
    board_refresh(content=board_content_for_building(boarded.b1))
    appointment_end(
        actor=cast.staff,
        appointment=boarded.appointment(boarded.mediator, Role.MEDIATOR),
        ended_on=MARCH_10.date(),
        reason=EndReason.TERM_OVER,
    )
    with time_machine.travel(MARCH_5, tick=False):
        assert board_refresh(content=board_content_for_building(boarded.b1)).generated_at == MARCH_1
    with time_machine.travel(MARCH_10, tick=False):
        content = board_content_for_building(boarded.b1)
        assert _people(content, Role.MEDIATOR) == []
        assert board_refresh(content=content).generated_at == MARCH_10


def test_new_household_in_a_new_cell_brings_its_leader(cast, boarded):
    board_refresh(content=board_content_for_building(boarded.b2))
    make_household(cast.cell, building="2栋", room="909")
    with time_machine.travel(MARCH_5, tick=False):
        content = board_content_for_building(boarded.b2)
        board = board_refresh(content=content)
    assert [n for n, _p, _pl in _people(content, Role.CELL_LEADER)] == ["王建国"]
    assert board.generated_at == MARCH_5


def test_boards_refresh_keeps_order_and_creates_each_board_once(cast, boarded):
    buildings = estate_buildings(boarded.estate)
    contents = board_contents_for_buildings(buildings)
    ordered = [contents[b.pk] for b in buildings]
    first = boards_refresh(contents=ordered)
    again = boards_refresh(contents=ordered)
    assert [b.building_id for b in first] == [b.pk for b in buildings]
    assert [b.pk for b in again] == [b.pk for b in first]
    assert Board.objects.count() == 3


def test_estate_board_and_building_board_are_separate_rows(cast, boarded):
    board_refresh(content=board_content_for_building(boarded.b1))
    board_refresh(content=board_content_for_estate(boarded.estate, estate_buildings(boarded.estate)))
    assert Board.objects.filter(estate=boarded.estate).count() == 1
    assert Board.objects.filter(building=boarded.b1).count() == 1
