"""Distributions (winter care and other supplies): opening one, recording deliveries once per
household, who sees what, bad input shown back, and the queries the pages cost."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from care.models import Delivery, Distribution
from care.services_distributions import delivery_record, distribution_create
from linli.testing import make_household, make_resident

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
NOV_20 = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _pages_in_english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOV_20, tick=False):
        yield


@pytest.fixture
def winter(cast):
    return distribution_create(
        actor=cast.staff,
        community=cast.community,
        title="2026冬季关爱",
        items="大米10斤、食用油5升、蔬菜",
        starts_on=datetime.date(2026, 11, 15),
    )


def _elder(household):
    """The one resident of a cast household (张桂莲 of h1 lives alone)."""
    return household.members.get()


# ---- Opening a distribution ------------------------------------------------------------------------


def test_staff_open_a_distribution_for_their_community(cast, winter):
    assert winter.community == cast.community and winter.created_by == cast.staff


def test_a_street_admin_opens_one_for_any_community_of_the_street(cast):
    opened = distribution_create(
        actor=cast.street_admin,
        community=cast.other_community,
        title="送温暖",
        items="米",
        starts_on=datetime.date(2026, 11, 1),
    )
    assert opened.pk


@pytest.mark.parametrize("who", ["cell_leader", "area_leader", "outsider"])
def test_only_staff_open_a_distribution(cast, who):
    with pytest.raises(PermissionDenied):
        distribution_create(
            actor=getattr(cast, who),
            community=cast.community,
            title="x",
            items="米",
            starts_on=datetime.date(2026, 11, 1),
        )


def test_staff_cannot_open_one_for_another_community(cast):
    with pytest.raises(PermissionDenied):
        distribution_create(
            actor=cast.staff,
            community=cast.other_community,
            title="x",
            items="米",
            starts_on=datetime.date(2026, 11, 1),
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "  "}, "title"),
        ({"items": ""}, "what is given"),
        ({"ends_on": datetime.date(2026, 10, 1)}, "before the first day"),
    ],
)
def test_a_distribution_without_title_or_items_or_with_dates_reversed_is_refused(cast, fields, message):
    data = {"title": "冬季关爱", "items": "米", "starts_on": datetime.date(2026, 11, 1)} | fields
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        distribution_create(actor=cast.staff, community=cast.community, **data)


# ---- Recording a delivery --------------------------------------------------------------------------


def test_a_cell_leader_records_a_delivery_with_the_distributions_items_by_default(cast, winter):
    elder = _elder(cast.h1)
    delivery = delivery_record(actor=cast.cell_leader, distribution=winter, household=cast.h1, resident=elder)
    assert delivery.items == winter.items
    assert delivery.delivered_by == cast.cell_leader
    assert delivery.delivered_at == NOV_20
    assert delivery.resident == elder
    assert delivery.history.count() == 1


def test_what_was_given_and_when_can_be_told(cast, winter):
    when = NOV_20 - datetime.timedelta(days=2)
    delivery = delivery_record(
        actor=cast.cell_leader,
        distribution=winter,
        household=cast.h1b,
        items="大米10斤",
        delivered_at=when,
        note="放在门口",
    )
    assert (delivery.items, delivery.delivered_at, delivery.note) == ("大米10斤", when, "放在门口")


def test_a_second_delivery_to_the_same_household_says_when_and_by_whom(cast, winter):
    delivery_record(
        actor=cast.cell_leader,
        distribution=winter,
        household=cast.h1,
        delivered_at=NOV_20 - datetime.timedelta(hours=1),
    )
    with translation.override("en"), pytest.raises(ValidationError, match=r"2026-11-20 09:00 by 王建国"):
        delivery_record(actor=cast.group_leader, distribution=winter, household=cast.h1)
    assert Delivery.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "household"),
    [("cell_leader", "h2"), ("resident", "h1"), ("outsider", "h1"), ("cell_leader_2", "h1")],
)
def test_only_leaders_and_staff_who_see_the_household_record(cast, winter, who, household):
    with pytest.raises(PermissionDenied):
        delivery_record(actor=getattr(cast, who), distribution=winter, household=getattr(cast, household))


@pytest.mark.parametrize("who", ["building_leader", "area_leader", "staff"])
def test_building_leaders_leaders_above_and_staff_record(cast, winter, who):
    household = cast.h3 if who == "building_leader" else cast.h1
    assert delivery_record(actor=getattr(cast, who), distribution=winter, household=household).pk


def test_a_household_of_another_community_is_refused(cast, winter):
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match="not in the distribution's community"),
    ):
        delivery_record(actor=cast.street_admin, distribution=winter, household=cast.hb)


def test_the_receiver_must_live_in_the_household(cast, winter):
    with translation.override("en"), pytest.raises(ValidationError, match="member of the household"):
        delivery_record(
            actor=cast.cell_leader, distribution=winter, household=cast.h1, resident=_elder(cast.h1b)
        )


def test_a_delivery_in_the_future_or_before_the_start_is_refused(cast, winter):
    with translation.override("en"), pytest.raises(ValidationError, match="future"):
        delivery_record(
            actor=cast.cell_leader,
            distribution=winter,
            household=cast.h1,
            delivered_at=NOV_20 + datetime.timedelta(hours=2),
        )
    with translation.override("en"), pytest.raises(ValidationError, match="cannot be earlier"):
        delivery_record(
            actor=cast.cell_leader,
            distribution=winter,
            household=cast.h1,
            delivered_at=NOV_20 - datetime.timedelta(days=10),
        )
    assert not Delivery.objects.exists()


# ---- The list and a distribution's page ------------------------------------------------------------


@pytest.fixture
def delivered(cast, winter):
    """Each 邻长 of group G1 has delivered to one household of their cell; h2 is now special too."""
    make_resident(cast.h2, "刘奶奶", is_disabled=True)
    a = delivery_record(
        actor=cast.cell_leader,
        distribution=winter,
        household=cast.h1,
        resident=_elder(cast.h1),
        note="老人很高兴",
    )
    b = delivery_record(actor=cast.cell_leader_2, distribution=winter, household=cast.h2, note="二邻送达")
    return a, b


def test_a_cell_leader_counts_and_sees_only_their_cells_deliveries(client, cast, winter, delivered):
    client.force_login(cast.cell_leader)
    listed = client.get(reverse("care:distribution_list")).context["distributions"]
    assert [(d.pk, d.delivered, d.target_delivered, d.target) for d in listed] == [(winter.pk, 1, 1, 1)]
    page = client.get(reverse("care:distribution_detail", args=[winter.pk]))
    assert [d.pk for d in page.context["page"].object_list] == [delivered[0].pk]
    assert "老人很高兴" in page.content.decode() and "二邻送达" not in page.content.decode()


def test_a_group_leader_sees_both_cells(client, cast, winter, delivered):
    client.force_login(cast.group_leader)
    listed = client.get(reverse("care:distribution_list")).context["distributions"]
    assert [(d.delivered, d.target_delivered, d.target) for d in listed] == [(2, 2, 2)]


def test_the_page_shows_who_received_what_when_and_who_brought_it(client, cast, winter, delivered):
    client.force_login(cast.staff)
    page = client.get(reverse("care:distribution_detail", args=[winter.pk])).content.decode()
    for text in ["张桂莲", winter.items, "2026-11-20 10:00", "Delivered by 王建国", "Delivered by 刘芳"]:
        assert text in page


def test_special_care_households_still_waiting_are_listed(client, cast, winter):
    client.force_login(cast.cell_leader)
    progress = client.get(reverse("care:distribution_detail", args=[winter.pk])).context["progress"]
    assert (progress.delivered, progress.target, progress.target_delivered) == (0, 1, 0)
    assert progress.still_to_deliver == [cast.h1]


def test_another_communitys_distribution_is_not_found(client, cast):
    theirs = distribution_create(
        actor=cast.street_admin,
        community=cast.other_community,
        title="和平送温暖",
        items="米",
        starts_on=datetime.date(2026, 11, 1),
    )
    client.force_login(cast.cell_leader)
    assert theirs not in client.get(reverse("care:distribution_list")).context["distributions"]
    assert client.get(reverse("care:distribution_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("care:distribution_deliver", args=[theirs.pk])).status_code == 404


@pytest.mark.parametrize("who", ["outsider", "resident"])
def test_people_without_a_post_have_no_distribution_pages(client, cast, winter, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("care:distribution_list")).status_code == 404
    assert client.get(reverse("care:distribution_detail", args=[winter.pk])).status_code == 404
    assert client.get(reverse("care:distribution_deliver", args=[winter.pk])).status_code == 404


_rooms = iter(range(101, 10_000))


def _more_deliveries(cast, winter, count):
    for _n in range(count):
        household = make_household(cast.cell, building="9栋", room=str(next(_rooms)))
        make_resident(household, "李奶奶", is_elderly_alone=True)
        delivery_record(
            actor=cast.cell_leader, distribution=winter, household=household, resident=household.members.get()
        )


def test_the_list_costs_the_same_queries_however_many_deliveries(
    client, cast, winter, django_assert_num_queries
):
    client.force_login(cast.cell_leader)
    url = reverse("care:distribution_list")
    _more_deliveries(cast, winter, 1)
    client.get(url)
    with django_assert_num_queries(6):
        client.get(url)
    _more_deliveries(cast, winter, 1)
    distribution_create(
        actor=cast.staff,
        community=cast.community,
        title="春节慰问",
        items="油",
        starts_on=datetime.date(2026, 11, 1),
    )
    with django_assert_num_queries(6):
        client.get(url)


def test_the_distribution_page_costs_the_same_queries_however_many_deliveries(
    client, cast, winter, django_assert_num_queries
):
    client.force_login(cast.cell_leader)
    url = reverse("care:distribution_detail", args=[winter.pk])
    _more_deliveries(cast, winter, 1)
    client.get(url)
    with django_assert_num_queries(10):
        client.get(url)
    _more_deliveries(cast, winter, 4)
    with django_assert_num_queries(10):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 5


# ---- Opening one from the page ---------------------------------------------------------------------


def test_staff_open_a_distribution_from_the_page(client, cast):
    client.force_login(cast.staff)
    data = {"community": cast.community.pk, "title": "冬季关爱", "items": "米、油", "starts_on": "2026-11-20"}
    response = client.post(reverse("care:distribution_new"), data)
    distribution = Distribution.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "care:distribution_detail", args=[distribution.pk]
    )


def test_reversed_dates_are_shown_back(client, cast):
    client.force_login(cast.staff)
    data = {
        "community": cast.community.pk,
        "title": "冬季关爱",
        "items": "米",
        "starts_on": "2026-11-20",
        "ends_on": "2026-11-01",
    }
    response = client.post(reverse("care:distribution_new"), data)
    assert response.status_code == 200 and "before the first day" in response.content.decode()
    assert 'value="冬季关爱"' in response.content.decode()
    assert not Distribution.objects.exists()


def test_staff_cannot_pick_another_community(client, cast):
    client.force_login(cast.staff)
    data = {"community": cast.other_community.pk, "title": "x", "items": "米", "starts_on": "2026-11-20"}
    assert client.post(reverse("care:distribution_new"), data).status_code == 200
    assert not Distribution.objects.exists()


@pytest.mark.parametrize("who", ["cell_leader", "group_leader"])
def test_leaders_cannot_open_a_distribution(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("care:distribution_new")).status_code == 404


# ---- Recording a delivery from a phone -------------------------------------------------------------


def test_a_cell_leader_picks_from_their_cells_households_special_ones_first(client, cast, winter):
    client.force_login(cast.cell_leader)
    response = client.get(reverse("care:distribution_deliver", args=[winter.pk]))
    households = response.context["choices"].households
    assert households == [cast.h1, cast.h1b]
    assert "张桂莲" in response.content.decode()


def test_households_already_delivered_go_last_and_are_marked(client, cast, winter):
    delivery_record(actor=cast.cell_leader, distribution=winter, household=cast.h1)
    client.force_login(cast.cell_leader)
    response = client.get(reverse("care:distribution_deliver", args=[winter.pk]))
    assert [(h, h.is_delivered) for h in response.context["choices"].households] == [
        (cast.h1b, False),
        (cast.h1, True),
    ]


def test_a_household_outside_the_patch_is_not_found(client, cast, winter):
    client.force_login(cast.cell_leader)
    url = reverse("care:distribution_deliver", args=[winter.pk])
    assert client.get(url, {"household": cast.h2.pk}).status_code == 404
    assert (
        client.post(
            url, {"household": cast.h2.pk, "items": "米", "delivered_at": "2026-11-20T09:00"}
        ).status_code
        == 404
    )
    assert not Delivery.objects.exists()


def test_the_form_offers_the_special_member_as_receiver(client, cast, winter):
    client.force_login(cast.cell_leader)
    response = client.get(reverse("care:distribution_deliver", args=[winter.pk]), {"household": cast.h1.pk})
    assert response.context["resident_value"] == str(_elder(cast.h1).pk)
    assert response.context["form"]["items"].value() == winter.items


def test_recording_a_delivery_from_the_page(client, cast, winter):
    client.force_login(cast.cell_leader)
    url = reverse("care:distribution_deliver", args=[winter.pk])
    data = {
        "household": cast.h1.pk,
        "resident": _elder(cast.h1).pk,
        "items": "大米、油",
        "delivered_at": "2026-11-20T09:30",
        "note": "身体好",
    }
    response = client.post(url, data)
    assert response.status_code == 302 and response.url == url
    delivery = Delivery.objects.get()
    assert delivery.resident == _elder(cast.h1) and delivery.items == "大米、油" and delivery.note == "身体好"
    assert timezone.localtime(delivery.delivered_at).strftime("%H:%M") == "09:30"


def test_a_second_delivery_from_the_page_is_shown_back(client, cast, winter):
    delivery_record(actor=cast.group_leader, distribution=winter, household=cast.h1)
    client.force_login(cast.cell_leader)
    data = {"household": cast.h1.pk, "items": "米", "delivered_at": "2026-11-20T09:30"}
    response = client.post(reverse("care:distribution_deliver", args=[winter.pk]), data)
    assert response.status_code == 200 and "by 组长甲" in response.content.decode()
    assert Delivery.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"items": ""}, "This field is required"),
        ({"delivered_at": "yesterday"}, "Enter a valid date/time"),
        ({"delivered_at": "2026-12-01T09:00"}, "in the future"),
        ({"resident": "h1b"}, "Choose the person who received it"),
    ],
)
def test_bad_delivery_input_is_shown_back(client, cast, winter, changes, message):
    client.force_login(cast.cell_leader)
    data = {
        "household": cast.h1.pk,
        "items": "米",
        "delivered_at": "2026-11-20T09:30",
        "note": "留言",
    } | changes
    if data.get("resident") == "h1b":
        data["resident"] = _elder(cast.h1b).pk
    response = client.post(reverse("care:distribution_deliver", args=[winter.pk]), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert "留言" in response.content.decode()
    assert not Delivery.objects.exists()


def test_the_pick_page_costs_the_same_queries_however_many_households(
    client, cast, winter, django_assert_num_queries
):
    client.force_login(cast.cell_leader)
    url = reverse("care:distribution_deliver", args=[winter.pk])
    client.get(url)
    with django_assert_num_queries(7):
        client.get(url)
    _more_deliveries(cast, winter, 3)
    with django_assert_num_queries(7):
        response = client.get(url)
    assert len(response.context["choices"].households) == 5


GARBAGE = ["²", "-1", "0", "abc", "9" * 30, "１２", "1e3"]


def test_garbage_in_query_strings_never_answers_500(client, cast, winter):
    client.force_login(cast.cell_leader)
    for value in GARBAGE:
        for url in [
            f"/care/distributions/{winter.pk}/?page={value}",
            f"/care/distributions/{winter.pk}/deliver/?household={value}",
            f"/care/distributions/{winter.pk}/deliver/?q={value}",
        ]:
            assert client.get(url).status_code < 500, url
        data = {"household": value, "resident": value, "items": "米", "delivered_at": value}
        assert client.post(f"/care/distributions/{winter.pk}/deliver/", data).status_code < 500
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("model", ["distribution", "delivery"])
def test_superuser_opens_the_admin_list_and_a_row(client, cast, winter, model):
    from accounts.models import User

    delivery = delivery_record(actor=cast.cell_leader, distribution=winter, household=cast.h1)
    row = winter if model == "distribution" else delivery
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    assert client.get(reverse(f"admin:care_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:care_{model}_change", args=[row.pk])).status_code == 200
