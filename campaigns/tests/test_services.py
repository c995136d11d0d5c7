"""Starting a campaign (its target households, its refusals) and marking a household."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from campaigns.models import Campaign, CampaignTarget, TargetStatus
from campaigns.selectors import age_cutoff
from campaigns.services import campaign_target_mark
from campaigns.tests.factories import start_campaign
from linli.testing import make_household, make_resident
from people.models import HouseholdStatus, ResidenceStatus
from people.services import household_set_status

NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
MARCH_2 = datetime.date(2026, 3, 2)


def target_households(campaign) -> set:
    return set(campaign.targets.values_list("household_id", flat=True))


def ids(*households) -> set:
    return {h.pk for h in households}


# ---- The target set ----------------------------------------------------------------------------------


def test_community_campaign_targets_its_households_including_those_in_no_cell(cast):
    campaign = start_campaign(cast.staff, cast.community)
    assert target_households(campaign) == ids(cast.h1, cast.h1b, cast.h2, cast.h3, cast.h_unplaced)
    assert campaign.target_count == 5


def test_registered_only_households_are_not_targeted(cast):
    household_set_status(actor=None, household=cast.h2, status=HouseholdStatus.REGISTERED_ONLY)
    campaign = start_campaign(cast.staff, cast.community)
    assert cast.h2.pk not in target_households(campaign)
    assert campaign.target_count == 4


def test_area_campaign_targets_the_households_of_its_cells(cast):
    campaign = start_campaign(cast.staff, cast.area)
    assert target_households(campaign) == ids(cast.h1, cast.h1b, cast.h2)


def test_cell_campaign_targets_the_households_of_the_cell(cast):
    campaign = start_campaign(cast.staff, cast.cell2)
    assert target_households(campaign) == ids(cast.h2)


def test_street_admin_campaign_over_the_street_reaches_every_community(cast):
    campaign = start_campaign(cast.street_admin, cast.street)
    assert target_households(campaign) == ids(cast.h1, cast.h1b, cast.h2, cast.h3, cast.h_unplaced, cast.hb)


def test_each_target_carries_its_cell_path_or_else_its_community_path(cast):
    campaign = start_campaign(cast.staff, cast.community)
    paths = dict(campaign.targets.values_list("household_id", "cell_path"))
    assert paths[cast.h1.pk] == cast.cell.path
    assert paths[cast.h3.pk] == cast.cell3.path
    assert paths[cast.h_unplaced.pk] == cast.community.path
    assert set(campaign.targets.values_list("status", flat=True)) == {TargetStatus.PENDING}


def test_min_age_keeps_households_with_someone_that_old_on_the_first_day(cast):
    # h1: born 1950-03-08 (76); h1b: 1962 (64); h2: 1985; h3: 1978; h_unplaced: 1990.
    campaign = start_campaign(cast.staff, cast.community, min_age=70)
    assert target_households(campaign) == ids(cast.h1)
    assert campaign.min_age == 70


@pytest.mark.parametrize("starts_on, included", [(datetime.date(2026, 3, 10), True), (MARCH_2, False)])
def test_min_age_counts_the_birthday_itself(cast, starts_on, included):
    make_resident(cast.h2, "周老伯", gender="M", birth=datetime.date(1956, 3, 10))
    with time_machine.travel(NOW, tick=False):
        campaign = start_campaign(cast.staff, cast.community, min_age=70, starts_on=starts_on)
    assert (cast.h2.pk in target_households(campaign)) is included


def test_age_cutoff_of_someone_born_on_29_february():
    assert age_cutoff(datetime.date(2024, 2, 29), 70) == datetime.date(1954, 2, 28)


def test_age_cutoff_before_the_first_calendar_year_is_the_earliest_date():
    assert age_cutoff(datetime.date(50, 6, 1), 120) == datetime.date.min


def test_min_age_ignores_residents_registered_only_or_dead(cast):
    make_resident(
        cast.h2, "钱奶奶", birth=datetime.date(1930, 1, 1), residence_status=ResidenceStatus.REGISTERED_ONLY
    )
    make_resident(
        cast.h3, "吴爷爷", gender="M", birth=datetime.date(1931, 1, 1), died_on=datetime.date(2025, 1, 1)
    )
    campaign = start_campaign(cast.staff, cast.community, min_age=70)
    assert target_households(campaign) == ids(cast.h1)


def test_special_group_keeps_households_with_someone_in_it(cast):
    make_resident(cast.h3, "孙小宝", birth=datetime.date(2016, 6, 1), is_left_behind_child=True)
    campaign = start_campaign(cast.staff, cast.community, special_group="is_left_behind_child")
    assert target_households(campaign) == ids(cast.h3)


def test_age_and_special_group_together_must_be_the_same_person(cast):
    # h2: an 80-year-old who does not live alone, and a younger resident who does.
    make_resident(cast.h2, "郑老伯", gender="M", birth=datetime.date(1946, 1, 1))
    make_resident(cast.h2, "郑阿姨", birth=datetime.date(1976, 1, 1), is_elderly_alone=True)
    campaign = start_campaign(cast.staff, cast.community, min_age=70, special_group="is_elderly_alone")
    assert target_households(campaign) == ids(cast.h1)


def test_a_campaign_with_nobody_to_reach_is_refused_and_not_saved(cast):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        start_campaign(cast.staff, cast.community, min_age=100)
    assert "No household in 幸福社区 matches these filters" in caught.value.messages[0]
    assert not Campaign.objects.exists()


def test_campaign_history_names_the_staff_member(cast):
    campaign = start_campaign(cast.staff, cast.community)
    assert campaign.history.get().history_user == cast.staff
    assert campaign.created_by == cast.staff


def test_targets_are_written_in_one_statement_whatever_their_number(cast, django_assert_num_queries):
    """A street's 60,000 households must not mean 60,000 inserts (nor 60 batches)."""
    for i in range(30):
        make_household(cast.cell3, building="9栋", room=f"{i + 1}01")
    # the staff's posts and communities, count, savepoint, campaign, its history, the insert, release
    with django_assert_num_queries(8):
        campaign = start_campaign(cast.staff, cast.community)
    assert campaign.targets.count() == campaign.target_count == 35


# ---- Who may start one, and bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["cell_leader", "group_leader", "area_leader", "building_leader", "resident", "outsider"]
)
def test_only_staff_start_campaigns(cast, role):
    with pytest.raises(PermissionDenied):
        start_campaign(getattr(cast, role), cast.cell)
    assert not Campaign.objects.exists()


def test_staff_cannot_start_one_in_another_community(cast):
    with pytest.raises(PermissionDenied):
        start_campaign(cast.staff, cast.other_community)


def test_community_staff_cannot_start_one_over_the_street(cast):
    with pytest.raises(PermissionDenied):
        start_campaign(cast.staff, cast.street)


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"title": "  "}, "title", "Give the campaign a title."),
        ({"title": "长" * 101}, "title", "The title is too long"),
        ({"topic": "gossip"}, "topic", "Choose a topic."),
        ({"description": "字" * 2001}, "description", "The text is too long"),
        ({"ends_on": MARCH_2 - datetime.timedelta(days=1)}, "ends_on", "cannot end before it starts"),
        (
            {
                "starts_on": MARCH_2 - datetime.timedelta(days=9),
                "ends_on": MARCH_2 - datetime.timedelta(days=1),
            },
            "ends_on",
            "would already be over",
        ),
        ({"ends_on": MARCH_2 + datetime.timedelta(days=400)}, "ends_on", "a year at most"),
        ({"min_age": 0}, "min_age", "Give an age from 1 to 120"),
        ({"min_age": 121}, "min_age", "Give an age from 1 to 120"),
        ({"special_group": "is_party_member"}, "special_group", "Choose one of the special groups"),
    ],
)
def test_bad_input_is_refused_with_a_message_on_its_field(cast, overrides, field, message):
    fields = {"starts_on": MARCH_2, "ends_on": MARCH_2 + datetime.timedelta(days=30)} | overrides
    with (
        time_machine.travel(NOW, tick=False),
        translation.override("en"),
        pytest.raises(ValidationError) as caught,
    ):
        start_campaign(cast.staff, cast.community, **fields)
    assert message in caught.value.message_dict[field][0]
    assert not Campaign.objects.exists()


# ---- Marking -----------------------------------------------------------------------------------------


def test_a_cell_leader_marks_a_household_of_their_cell(cast, campaign):
    target = CampaignTarget.objects.get(campaign=campaign, household=cast.h1)
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        campaign_target_mark(
            actor=cast.cell_leader, target=target, status=TargetStatus.REACHED, note=" 已讲解 "
        )
    target.refresh_from_db()
    assert (target.status, target.note, target.marked_by) == (
        TargetStatus.REACHED,
        "已讲解",
        cast.cell_leader,
    )
    assert target.marked_at == moment
    assert target.history.latest().history_user == cast.cell_leader


def test_a_later_mark_replaces_the_earlier_one_and_history_keeps_both(cast, campaign):
    target = CampaignTarget.objects.get(campaign=campaign, household=cast.h1)
    campaign_target_mark(actor=cast.cell_leader, target=target, status=TargetStatus.NOT_HOME, note="晚上再来")
    campaign_target_mark(actor=cast.group_leader, target=target, status=TargetStatus.REACHED)
    target.refresh_from_db()
    assert (target.status, target.note, target.marked_by) == (TargetStatus.REACHED, "", cast.group_leader)
    assert [h.status for h in target.history.order_by("history_id")] == [
        TargetStatus.NOT_HOME,
        TargetStatus.REACHED,
    ]


@pytest.mark.parametrize("role", ["group_leader", "area_leader", "staff", "street_admin"])
def test_leaders_above_and_staff_may_mark(cast, campaign, role):
    target = CampaignTarget.objects.get(campaign=campaign, household=cast.h1)
    campaign_target_mark(actor=getattr(cast, role), target=target, status=TargetStatus.DECLINED)
    target.refresh_from_db()
    assert target.status == TargetStatus.DECLINED


def test_a_building_leader_marks_the_households_of_their_building(cast, campaign):
    target = CampaignTarget.objects.get(campaign=campaign, household=cast.h3)
    campaign_target_mark(actor=cast.building_leader, target=target, status=TargetStatus.REACHED)
    assert CampaignTarget.objects.get(pk=target.pk).status == TargetStatus.REACHED


@pytest.mark.parametrize("role", ["cell_leader_2", "building_leader", "resident", "outsider"])
def test_nobody_else_may_mark_a_household(cast, campaign, role):
    """cell_leader_2 leads the next cell; the resident lives in h1 itself."""
    target = CampaignTarget.objects.get(campaign=campaign, household=cast.h1)
    with pytest.raises(PermissionDenied):
        campaign_target_mark(actor=getattr(cast, role), target=target, status=TargetStatus.REACHED)
    assert CampaignTarget.objects.get(pk=target.pk).status == TargetStatus.PENDING


@pytest.mark.parametrize(
    "status, note, message",
    [
        ("pending", "", "Choose reached, not at home or declined."),
        ("maybe", "", "Choose reached, not at home or declined."),
        ("reached", "字" * 301, "The note is too long"),
    ],
)
def test_bad_marks_are_refused(cast, campaign, status, note, message):
    target = CampaignTarget.objects.get(campaign=campaign, household=cast.h1)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        campaign_target_mark(actor=cast.cell_leader, target=target, status=status, note=note)
    assert message in caught.value.messages[0]
    assert CampaignTarget.objects.get(pk=target.pk).status == TargetStatus.PENDING


@pytest.mark.parametrize(
    "day, message",
    [
        (datetime.date(2026, 3, 1), "This campaign starts on"),
        (datetime.date(2026, 4, 2), "This campaign ended on"),
    ],
)
def test_households_are_marked_only_while_the_campaign_runs(cast, day, message):
    with time_machine.travel(NOW, tick=False):
        campaign = start_campaign(
            cast.staff, cast.community, starts_on=MARCH_2, ends_on=datetime.date(2026, 4, 1)
        )
    target = CampaignTarget.objects.get(campaign=campaign, household=cast.h1)
    moment = datetime.datetime.combine(day, datetime.time(10), tzinfo=timezone.get_current_timezone())
    with (
        time_machine.travel(moment, tick=False),
        translation.override("en"),
        pytest.raises(ValidationError) as caught,
    ):
        campaign_target_mark(actor=cast.cell_leader, target=target, status=TargetStatus.REACHED)
    assert message in caught.value.messages[0]


def test_the_last_day_of_a_campaign_still_counts(cast):
    with time_machine.travel(NOW, tick=False):
        campaign = start_campaign(cast.staff, cast.community, starts_on=MARCH_2, ends_on=MARCH_2)
        target = CampaignTarget.objects.get(campaign=campaign, household=cast.h1)
        campaign_target_mark(actor=cast.cell_leader, target=target, status=TargetStatus.REACHED)
    assert CampaignTarget.objects.get(pk=target.pk).status == TargetStatus.REACHED
