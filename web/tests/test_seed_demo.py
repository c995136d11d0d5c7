"""The demo street (web/demo.py and `manage.py seed_demo`): its shape, its leaders and its logins."""

import io
import time

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from accounts.models import User
from leaders.models import LEADER_ROLE_FOR_LEVEL, Appointment, EndReason, Role
from people import identity
from people.models import Household, HouseholdStatus, ResidenceStatus, Resident
from territory.models import CELL_MAX_HOUSEHOLDS, CELL_MIN_HOUSEHOLDS, Level, TerritoryUnit
from web.demo import DEFAULT_PASSWORD, DEMO_LOGINS, DemoShape, demo_build, demo_plan

SEED = 7


@pytest.fixture
def demo(db):
    return demo_build(DemoShape.tiny(), seed=SEED)


def _community(name):
    return TerritoryUnit.objects.get(level=Level.COMMUNITY, name=name)


def _resident_households_per_cell():
    cells = TerritoryUnit.objects.cells().annotate(
        n=Count("cell_households", filter=Q(cell_households__status=HouseholdStatus.RESIDENT))
    )
    return {cell.pk: cell.n for cell in cells}


def test_every_cell_counts_the_resident_households_planned_for_it(demo):
    counted = _resident_households_per_cell()
    for cp in demo.communities:
        for cell, size in zip(cp.cells, cp.cell_sizes, strict=True):
            assert counted[cell.pk] == size


def test_households_are_placed_unplaced_or_registered_only(demo):
    for cp in demo.communities:
        households = Household.objects.filter(community=cp.unit)
        assert households.filter(cell__isnull=False).count() == sum(cp.cell_sizes)
        assert households.filter(status=HouseholdStatus.REGISTERED_ONLY).count() == cp.shape.registered_only
        assert (
            households.filter(status=HouseholdStatus.RESIDENT, cell__isnull=True).count() == cp.shape.unplaced
        )


def test_registered_only_households_sit_outside_cells_with_registered_only_residents(demo):
    registered_only = Household.objects.filter(status=HouseholdStatus.REGISTERED_ONLY)
    assert registered_only.exists()
    assert not registered_only.filter(cell__isnull=False).exists()
    statuses = set(
        Resident.objects.filter(household__in=registered_only).values_list("residence_status", flat=True)
    )
    assert statuses == {ResidenceStatus.REGISTERED_ONLY}


def test_cells_are_made_of_one_communitys_households_in_one_building(demo):
    for cell in TerritoryUnit.objects.cells():
        households = Household.objects.filter(cell=cell).select_related("community", "entrance__building")
        assert {h.community.path for h in households} <= {h.community.path for h in households[:1]}
        assert all(cell.path.startswith(h.community.path) for h in households)
        assert len({h.entrance.building_id for h in households}) <= 1


def test_cells_groups_and_areas_nest_by_path(demo):
    for unit in TerritoryUnit.objects.exclude(level=Level.STREET).select_related("parent"):
        assert unit.path == f"{unit.parent.path}{unit.pk}/"


def test_every_area_group_and_cell_has_an_active_leader_but_the_deliberate_one(demo):
    vacant = demo.warnings["no_leader"]
    for unit in TerritoryUnit.objects.filter(level__in=list(LEADER_ROLE_FOR_LEVEL)):
        has_leader = (
            Appointment.objects.active().filter(unit=unit, role=LEADER_ROLE_FOR_LEVEL[unit.level]).exists()
        )
        assert has_leader == (unit.pk != vacant.pk), unit


def test_the_vacant_cell_keeps_the_history_of_its_leader_who_moved_away(demo):
    ended = Appointment.objects.get(unit=demo.warnings["no_leader"], role=Role.CELL_LEADER)
    assert ended.end_reason == EndReason.MOVED_AWAY and ended.ended_on
    assert ended.history.count() == 2  # created, then ended
    assert ended.person.resident.residence_status == ResidenceStatus.REGISTERED_ONLY


def test_tree_warnings_are_there_to_be_shown(demo):
    sizes = _resident_households_per_cell()
    outside = {pk: n for pk, n in sizes.items() if not CELL_MIN_HOUSEHOLDS <= n <= CELL_MAX_HOUSEHOLDS}
    assert outside == {demo.warnings["small"].pk: 3, demo.warnings["big"].pk: 17}
    away = Appointment.objects.active().get(unit=demo.warnings["leader_away"], role=Role.CELL_LEADER)
    assert not away.person.resident.household.cell.path.startswith(demo.warnings["leader_away"].path)


def test_group_and_cell_leaders_live_in_their_patch_except_the_one_who_moved(demo):
    posts = Appointment.objects.active().filter(role__in=[Role.GROUP_LEADER, Role.CELL_LEADER])
    for post in posts.select_related("unit", "person__resident__household__cell"):
        home_cell = post.person.resident.household.cell
        lives_there = home_cell is not None and home_cell.path.startswith(post.unit.path)
        assert lives_there == (post.unit != demo.warnings["leader_away"]), post


def test_area_leaders_and_staff_are_workers_without_a_resident_record(demo):
    workers = User.objects.filter(appointments__role__in=[Role.AREA_LEADER, Role.COMMUNITY_STAFF])
    assert workers.exists()
    assert not workers.filter(resident__isnull=False).exists()


def test_every_post_is_appointed_in_2024_or_2025(demo):
    years = set(Appointment.objects.values_list("started_on__year", flat=True))
    assert years <= {2024, 2025}
    roles = set(Appointment.objects.values_list("role", flat=True))
    assert roles == set(Role.values)


def test_id_numbers_are_valid_and_agree_with_birth_date_and_gender(demo):
    residents = list(Resident.objects.all())
    assert len(residents) > 100
    for resident in residents:
        facts = identity.id_number_parse(resident.reveal_id_number())
        assert facts.birth_date == resident.birth_date
        assert facts.gender == resident.gender
        assert facts.number[:6] in {"430102", "430103", "430104", "430105", "430111"}
        assert resident.id_number_masked == identity.id_number_mask(facts.number)
        assert identity.id_number_digest(facts.number) == resident.id_number_digest


def test_phones_are_valid_mobiles_and_special_groups_have_emergency_contacts(demo):
    for resident in Resident.objects.exclude(phone=""):
        assert identity.phone_validate(resident.phone) == resident.phone
    special = Resident.objects.in_special_group()
    assert special.exists()
    assert not special.filter(Q(emergency_contact_name="") | Q(emergency_contact_phone="")).exists()


def test_households_have_a_head_and_floors_read_from_rooms(demo):
    heads = Household.objects.annotate(n=Count("members", filter=Q(members__relation="head")))
    assert set(heads.values_list("n", flat=True)) == {1}
    for household in Household.objects.all():
        assert household.floor == int(household.room[:-2])


def test_the_same_seed_gives_the_same_street():
    first, second = demo_plan(DemoShape.tiny(), seed=SEED), demo_plan(DemoShape.tiny(), seed=SEED)
    assert [r.name for r in first.residents] == [r.name for r in second.residents]
    assert [r.id_number_digest for r in first.residents] == [r.id_number_digest for r in second.residents]
    assert [u.username for u in first.users] == [u.username for u in second.users]
    assert [h.room for h in first.households] == [h.room for h in second.households]
    other = demo_plan(DemoShape.tiny(), seed=SEED + 1)
    assert [r.name for r in other.residents] != [r.name for r in first.residents]


def test_demo_logins_exist_with_the_demo_password(demo):
    for login in DEMO_LOGINS:
        user = User.objects.get(username=login.username)
        assert user.check_password(DEFAULT_PASSWORD), login.username


def _visible(username):
    return set(Household.objects.visible_to(User.objects.get(username=username)).values_list("pk", flat=True))


def _households(**filters):
    return set(Household.objects.filter(**filters).values_list("pk", flat=True))


def test_each_demo_login_sees_what_their_role_should(demo):
    first, second = demo.communities
    area, group = first.areas[0], first.groups[0]
    cell, cell2 = first.cells[0], first.cells[1]
    jumin = User.objects.get(username="jumin")
    building = Appointment.objects.get(person__username="loudongzhang", role=Role.BUILDING_LEADER).building
    assert _visible("jiedao") == _households()
    assert _visible("shequ") == _households(community=first.unit)
    assert _visible("shequ2") == _households(community=second.unit)
    assert _visible("wanggeyuan") == _households(community=first.unit, cell__isnull=False)
    assert _visible("pianzhang") == _households(cell__path__startswith=area.path)
    assert _visible("zuzhang") == _households(cell__path__startswith=group.path)
    assert _visible("linzhang") == _households(cell=cell)
    assert _visible("loudongzhang") == _households(cell=cell2) | _households(entrance__building=building)
    assert _visible("jumin") == {jumin.resident.household_id}


def test_linzhang_has_an_elderly_neighbour_living_alone_with_an_emergency_contact(demo):
    linzhang = User.objects.get(username="linzhang")
    elderly = Resident.objects.visible_to(linzhang).filter(is_elderly_alone=True)
    assert elderly.exists()
    assert all(r.emergency_contact_phone for r in elderly)


def test_one_person_holds_two_posts(demo):
    roles = set(
        Appointment.objects.active().filter(person__username="loudongzhang").values_list("role", flat=True)
    )
    assert roles == {Role.CELL_LEADER, Role.BUILDING_LEADER}


def test_seed_demo_refuses_to_duplicate_a_street(demo):
    with pytest.raises(CommandError, match="already holds a street"):
        call_command("seed_demo", stdout=io.StringIO())


def test_seed_demo_if_empty_only_prints_the_logins(demo):
    before = Household.objects.count()
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert Household.objects.count() == before
    for login in DEMO_LOGINS:
        assert login.username in out.getvalue()


def test_seed_demo_builds_the_real_community_in_well_under_a_minute(db):
    """The full default shape, once: the figures of DOMAIN.md §8."""
    out = io.StringIO()
    started = time.perf_counter()
    call_command("seed_demo", "--password", "another-pass-1", stdout=out)
    assert time.perf_counter() - started < 45
    community = _community("幸福社区")
    units = TerritoryUnit.objects.under(community)
    assert units.filter(level=Level.AREA).count() == 10
    assert units.filter(level=Level.GROUP).count() == 33
    assert units.filter(level=Level.CELL).count() == 194
    households = Household.objects.filter(community=community)
    assert 2_700 <= households.count() <= 3_100
    residents = Resident.objects.filter(household__community=community)
    assert 2.1 <= residents.count() / households.count() <= 2.5
    assert 0.06 <= residents.filter(is_party_member=True).count() / residents.count() <= 0.10
    elderly_alone = households.filter(members__is_elderly_alone=True).distinct().count()
    assert 0.02 <= elderly_alone / households.count() <= 0.04
    assert User.objects.get(username="jiedao").check_password("another-pass-1")
    assert "linzhang" in out.getvalue()
