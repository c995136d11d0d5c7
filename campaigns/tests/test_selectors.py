"""Coverage figures on a fixture with known answers (campaigns/tests/conftest.py `marked`), at every level
and for every viewer, and the list of households not reached yet."""

import pytest

from campaigns.models import TargetStatus
from campaigns.selectors import Tally, campaign_coverage, campaign_list, campaign_not_reached
from campaigns.tests.factories import start_campaign


def figures(tally: Tally) -> tuple:
    return (tally.total, tally.reached, tally.not_home, tally.declined, tally.pending)


def test_cell_c1_figures(cast, marked):
    coverage = campaign_coverage(marked.campaign, cast.staff)
    assert figures(coverage.tally_for(cast.cell)) == (5, 3, 1, 0, 1)
    assert coverage.tally_for(cast.cell).share == pytest.approx(0.6)


def test_cell_c2_figures(cast, marked):
    coverage = campaign_coverage(marked.campaign, cast.staff)
    assert figures(coverage.tally_for(cast.cell2)) == (3, 1, 0, 1, 1)
    assert coverage.tally_for(cast.cell2).share == pytest.approx(1 / 3)
    assert coverage.tally_for(cast.cell2).percent == 33


def test_group_g1_adds_up_its_cells(cast, marked):
    coverage = campaign_coverage(marked.campaign, cast.staff)
    assert figures(coverage.tally_for(cast.group)) == (8, 4, 1, 1, 2)
    assert coverage.tally_for(cast.group).share == pytest.approx(0.5)


def test_area_a1_adds_up_its_groups(cast, marked):
    coverage = campaign_coverage(marked.campaign, cast.staff)
    assert figures(coverage.tally_for(cast.area)) == (8, 4, 1, 1, 2)
    assert figures(coverage.tally_for(cast.area2)) == (2, 1, 0, 0, 1)


def test_community_a_counts_households_in_no_cell_too(cast, marked):
    coverage = campaign_coverage(marked.campaign, cast.staff)
    assert coverage.unit == cast.community
    assert figures(coverage.tally) == (11, 5, 1, 1, 4)
    assert coverage.tally.share == pytest.approx(5 / 11)
    assert coverage.tally.percent == 45


def test_community_rows_are_its_areas_then_the_households_in_no_cell(cast, marked):
    coverage = campaign_coverage(marked.campaign, cast.staff)
    rows = [(row.unit, figures(row.tally)) for row in coverage.rows]
    assert rows == [(cast.area, (8, 4, 1, 1, 2)), (cast.area2, (2, 1, 0, 0, 1)), (None, (1, 0, 0, 0, 1))]


def test_drilling_down_to_a_group_shows_its_cells(cast, marked):
    coverage = campaign_coverage(marked.campaign, cast.staff, cast.group.pk)
    assert coverage.unit == cast.group
    assert [(row.unit, row.tally.reached, row.tally.total) for row in coverage.rows] == [
        (cast.cell, 3, 5),
        (cast.cell2, 1, 3),
    ]
    assert coverage.crumbs == [cast.community, cast.area]


def test_a_cell_has_no_rows_below_it(cast, marked):
    coverage = campaign_coverage(marked.campaign, cast.staff, cast.cell.pk)
    assert coverage.rows == []
    assert figures(coverage.tally) == (5, 3, 1, 0, 1)


def test_a_full_cell_is_100_percent_and_an_almost_full_one_is_not(cast, marked):
    tally = Tally(reached=199, pending=1)
    assert tally.percent == 99
    assert Tally(reached=3).percent == 100
    assert Tally().percent is None and Tally().share is None


# ---- Each viewer sees the figures of their patch -----------------------------------------------------


def test_cell_leader_sees_only_their_cell(cast, marked):
    coverage = campaign_coverage(marked.campaign, cast.cell_leader)
    assert coverage.unit == cast.cell
    assert figures(coverage.tally) == (5, 3, 1, 0, 1)
    assert set(coverage.tallies) == {
        cast.street.path,
        cast.community.path,
        cast.area.path,
        cast.group.path,
        cast.cell.path,
    }
    assert coverage.crumbs == []


@pytest.mark.parametrize("unit", ["group", "community", "cell2", "area2"])
def test_cell_leader_cannot_open_units_above_or_beside_their_cell(cast, marked, unit):
    assert campaign_coverage(marked.campaign, cast.cell_leader, getattr(cast, unit).pk) is None


def test_group_leader_starts_at_their_group(cast, marked):
    coverage = campaign_coverage(marked.campaign, cast.group_leader)
    assert coverage.unit == cast.group
    assert figures(coverage.tally) == (8, 4, 1, 1, 2)
    assert [row.unit for row in coverage.rows] == [cast.cell, cast.cell2]


def test_area_leader_starts_at_their_area(cast, marked):
    coverage = campaign_coverage(marked.campaign, cast.area_leader)
    assert coverage.unit == cast.area
    assert [(row.unit, row.tally.total) for row in coverage.rows] == [(cast.group, 8)]


def test_street_admin_starts_at_the_campaigns_community(cast, marked):
    coverage = campaign_coverage(marked.campaign, cast.street_admin)
    assert coverage.unit == cast.community
    assert coverage.tally.total == 11


def test_building_leader_counts_only_their_building(cast, marked):
    coverage = campaign_coverage(marked.campaign, cast.building_leader)
    assert figures(coverage.tally) == (2, 1, 0, 0, 1)  # h3 and the new household of 2栋


def test_unknown_unit_is_refused(cast, marked):
    assert campaign_coverage(marked.campaign, cast.staff, 987654) is None
    assert campaign_coverage(marked.campaign, cast.staff, cast.other_cell.pk) is None


def test_street_campaign_seen_by_community_staff_counts_their_community_only(cast):
    campaign = start_campaign(cast.street_admin, cast.street)
    coverage = campaign_coverage(campaign, cast.staff)
    assert coverage.unit == cast.community
    assert coverage.tally.total == 5
    street_view = campaign_coverage(campaign, cast.street_admin)
    assert street_view.unit == cast.street
    assert [(row.unit, row.tally.total) for row in street_view.rows] == [
        (cast.community, 5),
        (cast.other_community, 1),
    ]


def test_coverage_takes_one_grouped_query_and_one_for_the_units(cast, marked, django_assert_num_queries):
    with django_assert_num_queries(3):  # the viewer's posts, the figures, the units shown
        campaign_coverage(marked.campaign, cast.group_leader)


# ---- Not reached yet, and the list -------------------------------------------------------------------


def test_not_reached_lists_the_households_of_the_unit_not_reached(cast, marked):
    rows = list(campaign_not_reached(marked.campaign, cast.staff, cast.group))
    assert {row.household_id for row in rows} == {
        marked.c1[3].pk,
        marked.c1[4].pk,
        marked.c2[1].pk,
        marked.c2[2].pk,
    }
    assert {row.status for row in rows} == {
        TargetStatus.NOT_HOME,
        TargetStatus.PENDING,
        TargetStatus.DECLINED,
    }


def test_cell_leader_not_reached_is_their_cell_only_even_from_the_community(cast, marked):
    rows = list(campaign_not_reached(marked.campaign, cast.cell_leader, cast.community))
    assert {row.household_id for row in rows} == {marked.c1[3].pk, marked.c1[4].pk}


def test_campaign_list_counts_what_each_viewer_sees(cast, marked):
    by_role = {}
    for role in ["staff", "group_leader", "cell_leader", "cell_leader_2", "building_leader"]:
        campaign = campaign_list(getattr(cast, role)).get()
        by_role[role] = (campaign.seen, campaign.reached, campaign.to_do)
    assert by_role == {
        "staff": (11, 5, 6),
        "group_leader": (8, 4, 4),
        "cell_leader": (5, 3, 2),
        "cell_leader_2": (3, 1, 2),
        "building_leader": (2, 1, 1),
    }


@pytest.mark.parametrize("role", ["resident", "outsider"])
def test_residents_and_outsiders_see_no_campaign(cast, marked, role):
    assert not campaign_list(getattr(cast, role)).exists()


def test_a_campaign_of_another_cell_is_not_listed_for_a_cell_leader(cast):
    start_campaign(cast.staff, cast.cell2)
    assert not campaign_list(cast.cell_leader).exists()
    assert campaign_list(cast.cell_leader_2).count() == 1
    assert campaign_list(cast.group_leader).count() == 1
