import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.utils import timezone, translation

from care.models import CarePlan
from care.services import care_plans_sync
from inspections.models import Inspection
from leaders.models import Appointment, Role
from linli.testing import make_household, make_resident
from partition.selectors import leader_candidates, registry_load
from partition.services import (
    CHANGE_REASON,
    cell_pin_set,
    cn_number,
    household_pin_set,
    partition_apply,
    partition_preview,
)
from people.models import Household, HouseholdStatus, ResidenceStatus
from territory.models import Level, TerritoryUnit


def _cells_of(community):
    return dict(
        Household.objects.filter(community=community, status=HouseholdStatus.RESIDENT).values_list(
            "pk", "cell_id"
        )
    )


def _apply(community, areas, actor=None):
    preview = partition_preview(actor=actor, community=community, areas=areas)
    return preview, partition_apply(actor=actor, community=community, areas=areas, plan_token=preview.token)


def test_preview_changes_nothing(world):
    before = _cells_of(world)
    units = TerritoryUnit.objects.count()
    preview = partition_preview(actor=None, community=world, areas=2)
    assert preview.changes
    assert _cells_of(world) == before
    assert TerritoryUnit.objects.count() == units


def test_preview_figures_show_the_demo_warnings_fixed(world):
    """The demo community has a cell of 3 and one of 17, and households in no cell yet."""
    sizes = (
        Household.objects.filter(community=world, cell__isnull=False)
        .values("cell")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    assert 3 in sizes and 17 in sizes
    f = partition_preview(actor=None, community=world, areas=2).figures
    assert f.share_in_range == 1.0
    assert f.placed == Household.objects.filter(community=world, status="resident", cell__isnull=True).count()
    assert f.moved < 30  # the 3 + 17, not the whole community
    assert f.cells_kept + f.cells_changed >= 21  # of the 22 cells of 5–15


def test_apply_keeps_every_cell_within_5_to_15_and_places_everyone_living_here(world):
    _apply(world, 2)
    sizes = (
        Household.objects.filter(community=world, cell__isnull=False).values("cell").annotate(n=Count("pk"))
    )
    assert all(5 <= row["n"] <= 15 for row in sizes)
    assert not Household.objects.filter(
        community=world, status=HouseholdStatus.RESIDENT, cell__isnull=True
    ).exists()
    assert not Household.objects.filter(
        community=world, status=HouseholdStatus.REGISTERED_ONLY, cell__isnull=False
    ).exists()


@pytest.mark.parametrize("areas", [1, 2, 3])
def test_apply_leaves_every_path_consistent(world, areas):
    _apply(world, areas)
    units = (
        TerritoryUnit.objects.filter(path__startswith=world.path)
        .exclude(pk=world.pk)
        .select_related("parent")
    )
    expected_parent = {Level.AREA: Level.COMMUNITY, Level.GROUP: Level.AREA, Level.CELL: Level.GROUP}
    for unit in units:
        assert unit.path == f"{unit.parent.path}{unit.pk}/"
        assert unit.parent.level == expected_parent[unit.level]
    areas_with_households = {
        TerritoryUnit.objects.get(pk=u.ancestor_ids[2]).pk
        for u in TerritoryUnit.objects.filter(pk__in=Household.objects.filter(community=world).values("cell"))
    }
    assert len(areas_with_households) == areas


def test_apply_moves_households_with_history_naming_the_actor(world, world_staff):
    preview, result = _apply(world, 2, actor=world_staff)
    moving = {m.household_id for m in preview.moves}
    assert result.households_moved == len(moving) > 0
    history = Household.history.filter(history_change_reason=CHANGE_REASON)
    assert set(history.values_list("id", flat=True)) == moving
    assert set(history.values_list("history_user", flat=True)) == {world_staff.pk}
    assert TerritoryUnit.history.filter(history_change_reason=CHANGE_REASON).exists()


def test_a_second_partition_right_after_changes_nothing(world):
    _apply(world, 2)
    again = partition_preview(actor=None, community=world, areas=2)
    assert not again.changes
    assert again.figures.moved == again.figures.placed == 0


def test_care_plans_follow_their_household_to_its_new_cell(world):
    preview = partition_preview(actor=None, community=world, areas=2)
    move = next(m for m in preview.moves if m.from_cell)
    household = Household.objects.get(pk=move.household_id)
    resident = make_resident(household, "孙秀英", birth=datetime.date(1940, 2, 2), is_elderly_alone=True)
    care_plans_sync(community=world)
    _apply(world, 2)
    household.refresh_from_db()
    plan = CarePlan.objects.active().get(resident=resident)
    assert plan.cell_id == household.cell_id
    assert plan.cell_path == household.cell.path


def test_copied_paths_follow_a_group_moved_to_another_area(world):
    group = (
        TerritoryUnit.objects.filter(path__startswith=world.path, level=Level.GROUP).order_by("-path").first()
    )
    inspection = Inspection.objects.create(
        unit=group, unit_path=group.path, community=world, done_at=timezone.now()
    )
    _apply(world, 1)
    group.refresh_from_db()
    inspection.refresh_from_db()
    assert inspection.unit_path == group.path


def test_apply_reports_cells_without_a_leader_and_the_leaders_of_emptied_cells(world):
    preview, result = _apply(world, 2)
    leaders = set(
        Appointment.objects.active().filter(role=Role.CELL_LEADER).values_list("unit_id", flat=True)
    )
    cells = TerritoryUnit.objects.filter(
        path__startswith=world.path, level=Level.CELL, cell_households__isnull=False
    )
    without = {c.name for c in cells.distinct() if c.pk not in leaders}
    assert set(result.leaderless) == without
    assert {c.name for c in result.emptied} == {c.name for c in preview.emptied}
    # No appointment ends: a 邻长 of an emptied cell still holds it.
    for cell in preview.emptied:
        if cell.leader:
            assert Appointment.objects.active().filter(role=Role.CELL_LEADER, unit_id=cell.unit_id).exists()


def test_apply_is_refused_when_the_registry_changed_since_the_preview(world):
    preview = partition_preview(actor=None, community=world, areas=2)
    make_household(None, community=world, estate="金桂苑", building="1栋", entrance="1单元", room="999")
    before = _cells_of(world)
    with translation.override("en"), pytest.raises(ValidationError, match="changed since"):
        partition_apply(actor=None, community=world, areas=2, plan_token=preview.token)
    assert _cells_of(world) == before


def test_apply_with_recompute_needs_no_token(world):
    result = partition_apply(actor=None, community=world, areas=2, recompute=True)
    assert result.households_moved > 0


def test_only_the_communitys_staff_may_partition_it(cast):
    for user in (cast.cell_leader, cast.area_leader, cast.resident, cast.outsider):
        with pytest.raises(PermissionDenied):
            partition_preview(actor=user, community=cast.community, areas=1)
        with pytest.raises(PermissionDenied):
            partition_apply(actor=user, community=cast.community, areas=1, recompute=True)
    with pytest.raises(PermissionDenied):
        partition_preview(actor=cast.staff, community=cast.other_community, areas=1)
    assert partition_preview(actor=cast.street_admin, community=cast.other_community, areas=1)


def test_more_areas_than_groups_is_refused_with_the_number_of_groups(cast):
    with translation.override("en"), pytest.raises(ValidationError, match="at most 1 area"):
        partition_preview(actor=cast.staff, community=cast.community, areas=2)


@pytest.mark.parametrize("areas", [0, -1, "2", None, True])
def test_areas_must_be_a_whole_number_from_one(cast, areas):
    with pytest.raises(ValidationError):
        partition_preview(actor=cast.staff, community=cast.community, areas=areas)


def test_the_casts_five_households_make_one_cell_that_continues_the_biggest(cast):
    """C1 (2 households), C2 (1) and C3 (1) are too small; with the household in no cell they make one
    cell of 5, which keeps C1's name and 邻长; C2 and C3 are left empty."""
    preview, result = _apply(cast.community, 1, actor=cast.staff)
    assert [c.name for c in preview.cell_rows] == [cast.cell.name]
    assert {c.name for c in preview.emptied} == {cast.cell2.name, cast.cell3.name}
    assert set(_cells_of(cast.community).values()) == {cast.cell.pk}
    assert result.leaderless == []
    assert Household.objects.get(pk=cast.hb.pk).cell_id == cast.other_cell.pk  # the other community


def test_a_pinned_cell_is_left_as_it_is(cast):
    cell_pin_set(actor=cast.staff, cell=cast.cell3, pinned=True)
    _apply(cast.community, 1)
    assert list(Household.objects.filter(cell=cast.cell3).values_list("pk", flat=True)) == [cast.h3.pk]


def test_a_household_kept_by_hand_stays_in_its_cell(cast):
    household_pin_set(actor=cast.staff, household=cast.h2, pinned=True)
    _apply(cast.community, 1)
    cast.h2.refresh_from_db()
    assert cast.h2.cell_id == cast.cell2.pk


def test_pins_are_for_staff_and_a_household_in_no_cell_cannot_be_kept(cast):
    with pytest.raises(PermissionDenied):
        cell_pin_set(actor=cast.cell_leader, cell=cast.cell, pinned=True)
    with pytest.raises(PermissionDenied):
        household_pin_set(actor=cast.outsider, household=cast.h1, pinned=True)
    with pytest.raises(ValidationError):
        household_pin_set(actor=cast.staff, household=cast.h_unplaced, pinned=True)
    with pytest.raises(ValidationError):
        cell_pin_set(actor=cast.staff, cell=cast.group, pinned=True)


def test_candidates_are_ranked_by_party_five_elders_veteran_volunteer_then_active(cast):
    young = make_resident(cast.h3, "陈小明", gender="M", birth=datetime.date(2015, 1, 1), is_volunteer=True)
    away = make_resident(
        cast.h2, "刘远", residence_status=ResidenceStatus.REGISTERED_ONLY, is_party_member=True
    )
    tenant = make_resident(cast.h1, "周租", residence_status=ResidenceStatus.TENANT, is_party_member=True)
    elder = make_resident(cast.h1b, "王老", birth=datetime.date(1948, 1, 1), is_five_elders=True)
    households = [cast.h1.pk, cast.h1b.pk, cast.h2.pk, cast.h3.pk]
    facts = registry_load(cast.community).facts
    with translation.override("en"):
        found = leader_candidates({"x": households}, facts, limit=10)["x"]
    names = [c.name for c in found]
    assert young.name not in names and away.name not in names  # a child; registered, living elsewhere
    # Party member living here (and a serving 邻长) before the tenant party member, then 五老, then the
    # active ones (刘芳: a 邻长, 陈明: building leader), then the rest.
    assert names[:3] == ["王建国", tenant.name, elder.name]
    assert set(names[3:5]) == {"刘芳", "陈明"}
    assert names[-1] == "张桂莲"
    first = found[0]
    assert "Party member" in first.reasons and any("Neighbour leader" in r for r in first.reasons)
    assert "Tenant living here" in found[1].reasons


def test_cells_needing_a_leader_come_with_candidates(world):
    preview = partition_preview(actor=None, community=world, areas=2)
    assert preview.leaderless
    assert all(c.candidates for c in preview.leaderless)
    assert all(c.candidates[0].reasons for c in preview.leaderless)


def test_chinese_numerals_for_new_unit_names():
    assert [cn_number(n) for n in (1, 10, 12, 20, 105, 110, 194, 1000, 2026, 10000)] == [
        "一",
        "十",
        "十二",
        "二十",
        "一百零五",
        "一百一十",
        "一百九十四",
        "一千",
        "二千零二十六",
        "10000",
    ]


def test_an_area_left_empty_is_shown_with_its_area_leader(world):
    preview = partition_preview(actor=None, community=world, areas=1)
    assert len(preview.emptied_areas) == 1
    emptied = preview.emptied_areas[0]
    leader = Appointment.objects.active().get(role=Role.AREA_LEADER, unit_id=emptied.unit_id).person
    assert emptied.leader == leader.full_name
    result = partition_apply(actor=None, community=world, areas=1, plan_token=preview.token)
    assert Appointment.objects.active().filter(role=Role.AREA_LEADER, unit_id=emptied.unit_id).exists()
    assert result.units_moved > 0


def test_a_community_with_no_tree_yet_gets_areas_groups_and_cells(cast):
    from territory.services import unit_create

    community = unit_create(parent=cast.street, level=Level.COMMUNITY, name="新建社区")
    for floor in range(1, 7):
        for room in (1, 2, 3):
            make_household(None, community=community, estate="新苑", building="1栋", room=f"{floor}0{room}")
    preview, result = _apply(community, 1, actor=cast.street_admin)
    assert [c.name for c in preview.cell_rows] == ["第一邻", "第二邻"]
    assert result.units_created == 4 and result.leaderless == ["第一邻", "第二邻"]
    area = TerritoryUnit.objects.get(parent=community)
    group = TerritoryUnit.objects.get(parent=area)
    assert (area.name, area.level, group.name, group.level) == ("第一片区", Level.AREA, "第一组", Level.GROUP)
    for cell in TerritoryUnit.objects.filter(parent=group):
        assert cell.path == f"{community.path}{area.pk}/{group.pk}/{cell.pk}/"
        assert Household.objects.filter(cell=cell).count() == 9
    assert (
        TerritoryUnit.history.filter(id=area.pk, history_change_reason=CHANGE_REASON).get().path == area.path
    )


def test_a_moved_unit_whose_name_is_taken_there_takes_a_fresh_one():
    from partition.services import _names_unclash

    def unit(pk, parent_id, name):
        return TerritoryUnit(pk=pk, parent_id=parent_id, name=name, level=Level.CELL)

    stays = unit(1, 10, "第一邻")
    clash = unit(2, 10, "第一邻")  # moved from 20 under 10, where 第一邻 stands
    leaving = unit(3, 20, "第二邻")  # moved from 10 to 20
    follows = unit(4, 10, "第二邻")  # moved from 30 to 10: 第二邻 is free there only once 3 has gone
    before = {1: (10, "", "第一邻"), 2: (20, "", "第一邻"), 3: (10, "", "第二邻"), 4: (30, "", "第二邻")}
    _names_unclash([stays, clash, leaving, follows], before)
    assert stays.name == "第一邻" and leaving.name == "第二邻"
    assert clash.name not in ("第一邻", "第二邻") and follows.name not in ("第一邻", "第二邻", clash.name)
