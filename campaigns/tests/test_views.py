"""The campaign pages: who sees what, the staff's form, coverage drill-down, marking (with and without
htmx), bad input shown back, and query counts that do not grow with the rows."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from campaigns.models import Campaign, CampaignTarget, TargetStatus
from campaigns.services import campaign_target_mark
from campaigns.tests.factories import start_campaign
from linli.testing import make_household

TODAY = timezone.localdate


def english(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def target(campaign, household) -> CampaignTarget:
    return CampaignTarget.objects.get(campaign=campaign, household=household)


def form_data(cast, **overrides):
    data = {
        "unit": cast.community.pk,
        "topic": "anti_fraud",
        "title": "反诈宣传进万家",
        "description": "不轻信陌生来电。",
        "starts_on": TODAY().isoformat(),
        "ends_on": (TODAY() + datetime.timedelta(days=14)).isoformat(),
        "min_age": "",
        "special_group": "",
    }
    data.update(overrides)
    return data


# ---- The list ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("street_admin", 200),
        ("staff", 200),
        ("area_leader", 200),
        ("group_leader", 200),
        ("cell_leader", 200),
        ("building_leader", 200),
        ("resident", 404),
        ("outsider", 404),
    ],
)
def test_list_is_for_staff_and_leaders(client, cast, campaign, role, status):
    client.force_login(getattr(cast, role))
    assert client.get(reverse("campaigns:list")).status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client, cast):
    response = client.get(reverse("campaigns:list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_list_shows_the_cell_leaders_own_coverage(client, cast, marked):
    page = english(client, cast.cell_leader).get(reverse("campaigns:list")).content.decode()
    assert "防溺水宣传" in page
    assert "3 of 5 households reached" in page and "60%" in page
    assert "Visit households: 2 to go" in page
    assert "New campaign" not in page


def test_list_offers_staff_a_new_campaign(client, cast, marked):
    page = english(client, cast.staff).get(reverse("campaigns:list")).content.decode()
    assert "5 of 11 households reached" in page and "45%" in page
    assert reverse("campaigns:create") in page


def test_superusers_see_every_campaign_with_its_figures(client, cast, marked):
    root = User.objects.create_superuser("root", "root@example.org", "x")
    page = english(client, root).get(reverse("campaigns:list")).content.decode()
    assert "5 of 11 households reached" in page


def test_list_hides_campaigns_of_another_cell(client, cast):
    start_campaign(cast.staff, cast.cell2, title="第二邻反诈")
    page = english(client, cast.cell_leader).get(reverse("campaigns:list")).content.decode()
    assert "第二邻反诈" not in page and "No campaigns yet." in page


def test_list_queries_do_not_grow_with_campaigns(client, cast, campaign, django_assert_num_queries):
    client.force_login(cast.group_leader)
    url = reverse("campaigns:list")
    client.get(url)
    # session, user, the viewer's posts, count, the page of campaigns with their counts
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200
    for title in ["反诈", "冬季用电", "政务APP"]:
        start_campaign(cast.staff, cast.area, title=title)
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


# ---- A new campaign ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("street_admin", 200),
        ("staff", 200),
        ("area_leader", 404),
        ("cell_leader", 404),
        ("resident", 404),
        ("outsider", 404),
    ],
)
def test_new_campaign_form_is_for_staff(client, cast, role, status):
    client.force_login(getattr(cast, role))
    assert client.get(reverse("campaigns:create")).status_code == status
    assert client.get(reverse("campaigns:count")).status_code == status


def test_form_offers_only_units_of_the_staff_members_community(client, cast):
    page = english(client, cast.staff).get(reverse("campaigns:create")).content.decode()
    assert f'<option value="{cast.community.pk}"' in page and f'<option value="{cast.cell3.pk}"' in page
    assert f'<option value="{cast.other_community.pk}"' not in page
    assert f'<option value="{cast.street.pk}"' not in page


def test_staff_start_a_campaign_and_see_how_many_households_it_reaches(client, cast):
    response = english(client, cast.staff).post(reverse("campaigns:create"), form_data(cast), follow=True)
    campaign = Campaign.objects.get()
    assert response.redirect_chain[-1][0] == reverse("campaigns:detail", args=[campaign.pk])
    assert "The campaign is started: 5 households to reach." in response.content.decode()
    assert (campaign.title, campaign.topic, campaign.unit, campaign.target_count) == (
        "反诈宣传进万家",
        "anti_fraud",
        cast.community,
        5,
    )
    assert campaign.created_by == cast.staff


def test_filters_from_the_form_are_applied(client, cast):
    english(client, cast.staff).post(
        reverse("campaigns:create"), form_data(cast, min_age="70", special_group="is_elderly_alone")
    )
    campaign = Campaign.objects.get()
    assert (campaign.min_age, campaign.special_group) == (70, "is_elderly_alone")
    assert list(campaign.targets.values_list("household_id", flat=True)) == [cast.h1.pk]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"title": ""}, "Give the campaign a title."),
        (
            {"ends_on": (TODAY() - datetime.timedelta(days=1)).isoformat()},
            "The campaign cannot end before it starts.",
        ),
        ({"starts_on": "2026-02-30"}, "Enter a valid date."),
        ({"min_age": "150"}, "Ensure this value is less than or equal to 120."),
        ({"min_age": "100"}, "No household in 幸福社区 matches these filters"),
        ({"special_group": "is_party_member"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_shown_back_and_nothing_is_saved(client, cast, overrides, message):
    response = english(client, cast.staff).post(reverse("campaigns:create"), form_data(cast, **overrides))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "反诈宣传进万家" in page or overrides.get("title") == ""  # what was typed is kept
    assert not Campaign.objects.exists()


def test_a_unit_of_another_community_is_refused(client, cast):
    response = english(client, cast.staff).post(
        reverse("campaigns:create"), form_data(cast, unit=cast.other_community.pk)
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert not Campaign.objects.exists()


def test_count_button_shows_the_number_without_creating(client, cast):
    data = form_data(cast, unit=cast.group.pk, title="", count="1")
    response = english(client, cast.staff).post(reverse("campaigns:create"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "It will reach 3 households." in page
    assert "Give the campaign a title." not in page  # not asked to start it yet
    assert not Campaign.objects.exists()


def test_count_as_the_form_changes(client, cast):
    query = form_data(cast, unit=cast.area.pk, min_age="60")
    response = english(client, cast.staff).get(
        reverse("campaigns:count"), query, headers={"HX-Request": "true"}
    )
    assert "It will reach 2 households." in response.content.decode()  # h1 (76) and h1b (64)
    response = client.get(reverse("campaigns:count"), form_data(cast, unit=cast.other_community.pk))
    assert "Choose where and from when" in response.content.decode()


@pytest.mark.parametrize("starts_on", ["0001-01-01", "0050-06-01"])
def test_counting_with_a_first_day_in_antiquity_and_an_age_reaches_nobody(client, cast, starts_on):
    data = form_data(cast, min_age="120", starts_on=starts_on)
    response = english(client, cast.staff).get(reverse("campaigns:count"), data)
    assert response.status_code == 200
    assert "No household matches" in response.content.decode()
    response = client.post(reverse("campaigns:create"), {**data, "count": "1"})
    assert response.status_code == 200
    assert not Campaign.objects.exists()


# ---- A campaign's coverage ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("street_admin", 200),
        ("staff", 200),
        ("area_leader", 200),
        ("group_leader", 200),
        ("cell_leader", 200),
        ("cell_leader_2", 200),
        ("building_leader", 200),
        ("resident", 404),
        ("outsider", 404),
    ],
)
def test_campaign_page_visibility(client, cast, campaign, role, status):
    client.force_login(getattr(cast, role))
    assert client.get(reverse("campaigns:detail", args=[campaign.pk])).status_code == status
    assert client.get(reverse("campaigns:mark_list", args=[campaign.pk])).status_code == status


def test_campaign_of_another_community_is_404_for_staff(client, cast):
    campaign = start_campaign(cast.street_admin, cast.other_community)
    client.force_login(cast.staff)
    assert client.get(reverse("campaigns:detail", args=[campaign.pk])).status_code == 404


def test_staff_see_the_community_by_area_and_the_households_in_no_cell(client, cast, marked):
    page = (
        english(client, cast.staff)
        .get(reverse("campaigns:detail", args=[marked.campaign.pk]))
        .content.decode()
    )
    assert "5 of 11 households reached" in page
    assert cast.area.name in page and cast.area2.name in page and "Not in a cell yet" in page
    assert "50%" in page  # A1: 4 of 8 and A2: 1 of 2
    assert "阳光小区 3栋 1单元 401" in page  # h_unplaced, not reached


def test_drill_down_to_a_group_shows_its_cells(client, cast, marked):
    url = reverse("campaigns:detail", args=[marked.campaign.pk])
    page = english(client, cast.staff).get(url, {"unit": cast.group.pk}).content.decode()
    assert "4 of 8 households reached" in page
    assert cast.cell.name in page and cast.cell2.name in page
    assert f'href="?unit={cast.area.pk}"' in page  # back up a level
    assert "阳光小区 3栋 1单元 401" not in page and "阳光小区 2栋 1单元 301" not in page


def test_cell_leader_sees_their_cells_figures_and_households_only(client, cast, marked):
    page = (
        english(client, cast.cell_leader)
        .get(reverse("campaigns:detail", args=[marked.campaign.pk]))
        .content.decode()
    )
    assert "3 of 5 households reached" in page
    assert "阳光小区 1栋 1单元 502" in page  # not at home, in C1
    assert "阳光小区 1栋 1单元 601" not in page  # declined, in C2
    assert "阳光小区 3栋 1单元 401" not in page


@pytest.mark.parametrize("unit", ["group", "community", "cell2", "other_cell"])
def test_cell_leader_cannot_drill_outside_their_cell(client, cast, marked, unit):
    client.force_login(cast.cell_leader)
    url = reverse("campaigns:detail", args=[marked.campaign.pk])
    assert client.get(url, {"unit": getattr(cast, unit).pk}).status_code == 404


@pytest.mark.parametrize("value", ["abc", "-1", "0", "99999999999999999999", "１"])
def test_a_bad_unit_parameter_is_404(client, cast, marked, value):
    client.force_login(cast.staff)
    assert (
        client.get(reverse("campaigns:detail", args=[marked.campaign.pk]), {"unit": value}).status_code == 404
    )


def test_detail_queries_do_not_grow_with_households(client, cast, marked, django_assert_num_queries):
    client.force_login(cast.staff)
    url = reverse("campaigns:detail", args=[marked.campaign.pk])
    client.get(url)
    # session, user, posts, staff's communities, campaign, figures, units, not-reached count and page
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(10):  # + the unit asked for
        assert client.get(url, {"unit": cast.group.pk}).status_code == 200
    more = start_campaign(cast.staff, cast.community, title="更多")
    for i in range(12):
        household = make_household(cast.cell2, building="8栋", room=f"{i + 1}02")
        CampaignTarget.objects.create(campaign=more, household=household, cell_path=cast.cell2.path)
    url = reverse("campaigns:detail", args=[more.pk])
    client.get(url)
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200


# ---- Marking -----------------------------------------------------------------------------------------


def test_cell_leader_marking_page_lists_only_their_cells_households(client, cast, marked):
    page = (
        english(client, cast.cell_leader)
        .get(reverse("campaigns:mark_list", args=[marked.campaign.pk]))
        .content.decode()
    )
    for room in ["101", "102", "501", "502", "503"]:
        assert f"阳光小区 1栋 1单元 {room}" in page
    assert "阳光小区 1栋 1单元 201" not in page  # h2, cell C2
    assert "阳光小区 2栋 1单元 301" not in page  # h3, cell C3
    assert "阳光小区 3栋 1单元 401" not in page  # h_unplaced
    assert page.count('name="status" value="reached"') == 5


def test_to_do_tab_leaves_out_reached_households(client, cast, marked):
    url = reverse("campaigns:mark_list", args=[marked.campaign.pk])
    page = english(client, cast.cell_leader).get(url, {"show": "todo"}).content.decode()
    assert page.count('name="status" value="reached"') == 2


def test_marking_page_shows_the_head_of_household(client, cast, campaign):
    page = (
        english(client, cast.cell_leader)
        .get(reverse("campaigns:mark_list", args=[campaign.pk]))
        .content.decode()
    )
    assert "张桂莲" in page and "王建国" in page


def test_marking_without_javascript_saves_and_returns_to_the_row(client, cast, campaign):
    row = target(campaign, cast.h1)
    url = reverse("campaigns:mark", args=[campaign.pk, row.pk])
    response = english(client, cast.cell_leader).post(
        url, {"status": "not_home", "note": "晚上再来", "show": "todo"}
    )
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("campaigns:mark_list", args=[campaign.pk]) + f"?show=todo#target-{row.pk}"
    )
    row.refresh_from_db()
    assert (row.status, row.note, row.marked_by) == (TargetStatus.NOT_HOME, "晚上再来", cast.cell_leader)


def test_marking_with_htmx_re_renders_the_row_and_the_figures(client, cast, campaign):
    row = target(campaign, cast.h1)
    url = reverse("campaigns:mark", args=[campaign.pk, row.pk])
    response = english(client, cast.cell_leader).post(
        url, {"status": "reached"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.startswith(f'<article class="campaign-target target-reached" id="target-{row.pk}">')
    assert 'id="my-tally" hx-swap-oob="true"' in page
    assert "<html" not in page
    assert CampaignTarget.objects.get(pk=row.pk).status == TargetStatus.REACHED


@pytest.mark.parametrize(
    "role, household", [("cell_leader", "h2"), ("cell_leader_2", "h1"), ("building_leader", "h1")]
)
def test_marking_a_household_outside_the_patch_is_404(client, cast, campaign, role, household):
    row = target(campaign, getattr(cast, household))
    client.force_login(getattr(cast, role))
    response = client.post(reverse("campaigns:mark", args=[campaign.pk, row.pk]), {"status": "reached"})
    assert response.status_code == 404
    assert CampaignTarget.objects.get(pk=row.pk).status == TargetStatus.PENDING


@pytest.mark.parametrize("role", ["resident", "outsider"])
def test_residents_cannot_mark(client, cast, campaign, role):
    row = target(campaign, cast.h1)
    client.force_login(getattr(cast, role))
    assert (
        client.post(reverse("campaigns:mark", args=[campaign.pk, row.pk]), {"status": "reached"}).status_code
        == 404
    )


def test_a_target_of_another_campaign_is_404(client, cast, campaign):
    other = start_campaign(cast.staff, cast.cell, title="另一个")
    row = target(other, cast.h1)
    client.force_login(cast.cell_leader)
    assert (
        client.post(reverse("campaigns:mark", args=[campaign.pk, row.pk]), {"status": "reached"}).status_code
        == 404
    )


def test_a_bad_mark_is_shown_back_on_its_row_with_the_note_kept(client, cast, campaign):
    row = target(campaign, cast.h1)
    url = reverse("campaigns:mark", args=[campaign.pk, row.pk])
    response = english(client, cast.cell_leader).post(url, {"status": "maybe", "note": "敲门无人"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose reached, not at home or declined." in page
    assert 'value="敲门无人"' in page
    assert CampaignTarget.objects.get(pk=row.pk).status == TargetStatus.PENDING


def test_a_bad_mark_with_htmx_comes_back_in_the_row(client, cast, campaign):
    row = target(campaign, cast.h1)
    url = reverse("campaigns:mark", args=[campaign.pk, row.pk])
    response = english(client, cast.cell_leader).post(
        url, {"status": "reached", "note": "字" * 301}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The note is too long" in page and "<html" not in page
    assert CampaignTarget.objects.get(pk=row.pk).status == TargetStatus.PENDING


def test_an_ended_campaign_shows_no_buttons(client, cast, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_on=TODAY() - datetime.timedelta(days=10), ends_on=TODAY() - datetime.timedelta(days=1)
    )
    page = (
        english(client, cast.cell_leader)
        .get(reverse("campaigns:mark_list", args=[campaign.pk]))
        .content.decode()
    )
    assert "This campaign is over" in page
    assert 'name="status"' not in page


def test_marking_page_queries_do_not_grow_with_households(client, cast, campaign, django_assert_num_queries):
    client.force_login(cast.cell_leader)
    url = reverse("campaigns:mark_list", args=[campaign.pk])
    client.get(url)
    # session, user, posts, own resident, campaign, count, targets, their members, the viewer's figures
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200
    campaign_target_mark(actor=cast.cell_leader, target=target(campaign, cast.h1), status="reached")
    for i in range(8):
        household = make_household(cast.cell, building="7栋", room=f"{i + 1}01")
        CampaignTarget.objects.create(campaign=campaign, household=household, cell_path=cast.cell.path)
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200


def test_mark_queries_are_constant(client, cast, campaign, django_assert_num_queries):
    client.force_login(cast.cell_leader)
    row = target(campaign, cast.h1)
    url = reverse("campaigns:mark", args=[campaign.pk, row.pk])
    client.post(url, {"status": "not_home"}, headers={"HX-Request": "true"})
    # session, user, posts, own resident, campaign, target, members, savepoint, may-see check, update,
    # history, release, the viewer's figures
    with django_assert_num_queries(13):
        client.post(url, {"status": "reached"}, headers={"HX-Request": "true"})
