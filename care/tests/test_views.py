"""A care plan's page (logging a contact, choosing a carer, tap-to-call) and the staff's pages: the
community's plans, the carers' load, the cadence rules."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AccessAction, AccessLog
from care.models import CadenceRule, CareContact, CarePlan
from care.services import care_plan_assign_carer
from leaders.models import Role
from leaders.services import appointment_create
from linli.testing import UserFactory, make_resident
from service_requests.catalogue import service_catalogue_install
from service_requests.models import Request, ServiceKind


@pytest.fixture
def en(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def plan(cast):
    return CarePlan.objects.get(resident__household=cast.h1)


@pytest.fixture
def repair(cast):
    service_catalogue_install(cast.street)
    return ServiceKind.objects.get(street=cast.street, code="repair")


@pytest.fixture
def staff_b(cast):
    user = UserFactory(username="staff_b")
    appointment_create(
        actor=None,
        person=user,
        role=Role.COMMUNITY_STAFF,
        unit=cast.other_community,
        started_on=timezone.localdate(),
    )
    return user


def plan_url(plan):
    return reverse("care:plan", args=[plan.pk])


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def post(client, user, url, data):
    client.force_login(user)
    return client.post(url, data)


# ---- Visibility ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("street_admin", 200),
        ("staff", 200),
        ("area_leader", 200),
        ("group_leader", 200),
        ("cell_leader", 200),
        ("cell_leader_2", 404),
        ("building_leader", 404),
        ("resident", 404),
        ("outsider", 404),
    ],
)
def test_a_plan_page_exists_only_for_those_who_see_the_plan(client, cast, plan, role, status):
    assert get(client, getattr(cast, role), plan_url(plan)).status_code == status


def test_staff_of_another_community_get_404(client, cast, plan, staff_b):
    assert get(client, staff_b, plan_url(plan)).status_code == 404
    assert post(client, staff_b, plan_url(plan), {"kind": "visit", "wellbeing": "well"}).status_code == 404
    assert not CareContact.objects.exists()


def test_a_plan_that_does_not_exist_is_404(client, cast):
    assert get(client, cast.staff, reverse("care:plan", args=[999999])).status_code == 404


# ---- The page --------------------------------------------------------------------------------------


def test_the_plan_page_shows_the_resident_address_carer_due_dates_and_masked_phones(en, cast, plan):
    html = get(en, cast.cell_leader, plan_url(plan)).content.decode()
    assert "张桂莲" in html and "Elderly living alone" in html and "Age " in html
    assert "阳光小区 1栋 1单元 101" in html and "王建国" in html
    assert "139****1111" in html and "13900001111" not in html  # the emergency contact, masked
    assert "李强" in html
    assert reverse("care:plan_reveal", args=[plan.pk, plan.resident_id, "emergency_phone"]) in html
    assert "Log a contact" in html and "Change the carer" not in html  # choosing a carer is for staff


def test_a_building_leader_sees_a_plan_of_their_building_but_cannot_log(en, cast):
    make_resident(cast.h3, "陈奶奶", is_elderly_alone=True)
    plan = CarePlan.objects.get(resident__name="陈奶奶")
    html = get(en, cast.building_leader, plan_url(plan)).content.decode()
    assert "陈奶奶" in html and "Log a contact" not in html
    response = post(en, cast.building_leader, plan_url(plan), {"kind": "visit", "wellbeing": "well"})
    assert response.status_code == 403
    assert not CareContact.objects.exists()


def test_an_ended_plan_shows_its_history_and_takes_no_contact(en, cast, plan):
    CareContact.objects.create(
        plan=plan,
        kind="visit",
        wellbeing="well",
        note="最后一次",
        by=cast.cell_leader,
        contacted_at=timezone.now(),
    )
    resident = plan.resident
    resident.died_on = timezone.localdate()
    from people.services import resident_save

    resident_save(actor=cast.staff, resident=resident)
    html = get(en, cast.cell_leader, plan_url(plan)).content.decode()
    assert "This care plan ended" in html and "Died" in html and "最后一次" in html
    assert "Log a contact" not in html
    post(en, cast.cell_leader, plan_url(plan), {"kind": "visit", "wellbeing": "well"})
    assert CareContact.objects.count() == 1


def test_the_contact_history_is_paged(en, cast, plan, monkeypatch):
    from care import selectors

    monkeypatch.setattr(selectors, "CONTACTS_PER_PAGE", 2)
    for note in ["一", "二", "三"]:
        CareContact.objects.create(
            plan=plan,
            kind="phone",
            wellbeing="well",
            note=f"第{note}次",
            by=cast.cell_leader,
            contacted_at=timezone.now(),
        )
    html = get(en, cast.cell_leader, plan_url(plan)).content.decode()
    assert "第三次" in html and "第一次" not in html and "Page 1 of 2" in html
    assert "第一次" in get(en, cast.cell_leader, plan_url(plan), page="2").content.decode()


# ---- Logging a contact -----------------------------------------------------------------------------


def test_the_carer_logs_a_home_visit_in_three_taps(en, cast, plan):
    response = post(en, cast.cell_leader, plan_url(plan), {"kind": "visit", "wellbeing": "well"})
    assert response.status_code == 302 and response.url == plan_url(plan)
    contact = CareContact.objects.get()
    assert (contact.kind, contact.wellbeing, contact.by, contact.request) == (
        "visit",
        "well",
        cast.cell_leader,
        None,
    )
    plan.refresh_from_db()
    assert plan.last_visit_on == timezone.localdate()
    html = en.get(response.url).content.decode()
    assert "Recorded for 张桂莲." in html and "Home visit" in html


def test_logging_from_the_round_goes_back_to_the_round(en, cast, plan):
    response = post(
        en, cast.cell_leader, plan_url(plan), {"kind": "phone", "wellbeing": "well", "next": "round"}
    )
    assert response.status_code == 302 and response.url == reverse("care:round")


def test_a_need_found_files_a_request_that_shows_in_the_neighbour_leaders_queue(en, cast, plan, repair):
    data = {
        "kind": "visit",
        "wellbeing": "concern",
        "note": "腿脚不便",
        "need_found": "on",
        "need_kind": repair.pk,
        "need_description": "卫生间水管漏水",
    }
    response = post(en, cast.cell_leader, plan_url(plan), data)
    assert response.status_code == 302
    request = Request.objects.get()
    assert CareContact.objects.get().request == request
    assert request.household == cast.h1 and request.first_owner == cast.cell_leader
    html = en.get(response.url).content.decode()
    assert reverse("service_requests:detail", args=[request.pk]) in html  # the success message links to it
    assert f"request {request.reference}" in html or request.reference in html
    queue = en.get(reverse("service_requests:queue")).content.decode()
    assert "卫生间水管漏水" in queue


def test_the_need_select_offers_only_the_active_kinds_of_the_plans_street(en, cast, plan, repair):
    repair.active = False
    repair.save()
    html = get(en, cast.cell_leader, plan_url(plan)).content.decode()
    select = html[html.index('name="need_kind"') : html.index("</select>", html.index('name="need_kind"'))]
    assert f'value="{repair.pk}"' not in select
    assert ServiceKind.objects.filter(street=cast.street, active=True).first().name in select


def test_an_unticked_need_files_nothing(en, cast, plan, repair):
    data = {"kind": "visit", "wellbeing": "well", "need_kind": repair.pk, "need_description": "没勾选"}
    post(en, cast.cell_leader, plan_url(plan), data)
    assert CareContact.objects.get().request is None and not Request.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"wellbeing": "well", "note": "留下的话"}, "Choose how you were in touch."),
        ({"kind": "visit", "note": "留下的话"}, "Choose how the person is."),
        ({"kind": "hug", "wellbeing": "well", "note": "留下的话"}, "Choose how you were in touch."),
        (
            {
                "kind": "visit",
                "wellbeing": "well",
                "note": "留下的话",
                "need_found": "on",
                "need_description": "要修",
            },
            "Choose what kind of need it is.",
        ),
    ],
)
def test_bad_input_is_shown_back_with_nothing_lost_and_nothing_saved(en, cast, plan, repair, data, message):
    response = post(en, cast.cell_leader, plan_url(plan), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and "留下的话" in html
    if "need_description" in data:
        assert "要修" in html and 'id="id_need_found" class="care-need-toggle" checked' in html
    if data.get("kind") == "visit":
        assert (
            'value="visit" id="id_kind_2" required checked' in html
            or 'value="visit" id="id_kind_2" checked' in html
        )
    assert not CareContact.objects.exists() and not Request.objects.exists()


def test_a_need_without_a_description_is_refused(en, cast, plan, repair):
    data = {"kind": "visit", "wellbeing": "well", "need_found": "on", "need_kind": repair.pk}
    response = post(en, cast.cell_leader, plan_url(plan), data)
    assert response.status_code == 200 and "Please describe the need you found." in response.content.decode()
    assert not CareContact.objects.exists()


def test_a_note_over_the_limit_is_shown_back(en, cast, plan):
    response = post(
        en, cast.cell_leader, plan_url(plan), {"kind": "visit", "wellbeing": "well", "note": "长" * 501}
    )
    assert response.status_code == 200 and not CareContact.objects.exists()


def test_the_next_cells_leader_cannot_log(client, cast, plan):
    response = post(client, cast.cell_leader_2, plan_url(plan), {"kind": "visit", "wellbeing": "well"})
    assert response.status_code == 404 and not CareContact.objects.exists()


# ---- Choosing a carer ------------------------------------------------------------------------------


def test_staff_see_the_candidates_with_their_load(en, cast, plan):
    html = get(en, cast.staff, plan_url(plan)).content.decode()
    assert "Change the carer" in html
    assert "王建国 (1 person)" in html and "组长甲 (0 people)" in html
    assert "路人" not in html


def test_staff_choose_a_carer_and_the_plan_is_pinned(en, cast, plan):
    response = post(
        en, cast.staff, reverse("care:plan_carer", args=[plan.pk]), {"carer": cast.group_leader.pk}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.carer == cast.group_leader and plan.carer_pinned
    post(en, cast.staff, reverse("care:plan_carer", args=[plan.pk]), {"carer": ""})
    plan.refresh_from_db()
    assert plan.carer == cast.cell_leader and not plan.carer_pinned


def test_a_carer_outside_the_candidates_is_refused_and_shown_back(en, cast, plan):
    response = post(en, cast.staff, reverse("care:plan_carer", args=[plan.pk]), {"carer": cast.outsider.pk})
    assert (
        response.status_code == 200 and "Please choose one of the people shown." in response.content.decode()
    )
    plan.refresh_from_db()
    assert plan.carer == cast.cell_leader and not plan.carer_pinned


@pytest.mark.parametrize("role", ["group_leader", "cell_leader"])
def test_leaders_cannot_choose_a_carer(client, cast, plan, role):
    response = post(
        client,
        getattr(cast, role),
        reverse("care:plan_carer", args=[plan.pk]),
        {"carer": cast.group_leader.pk},
    )
    assert response.status_code == 404
    plan.refresh_from_db()
    assert plan.carer == cast.cell_leader


# ---- Tap to call -----------------------------------------------------------------------------------


def test_revealing_the_emergency_phone_is_logged_and_gives_a_tap_to_call_link(en, cast, plan):
    url = reverse("care:plan_reveal", args=[plan.pk, plan.resident_id, "emergency_phone"])
    en.force_login(cast.cell_leader)
    response = en.post(url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'href="tel:13900001111"' in html and "<html" not in html
    assert AccessLog.objects.filter(
        user=cast.cell_leader, resident=plan.resident, action=AccessAction.REVEAL_EMERGENCY_PHONE
    ).exists()


def test_without_script_the_reveal_shows_the_page_with_the_number(en, cast, plan):
    url = reverse("care:plan_reveal", args=[plan.pk, plan.resident_id, "phone"])
    html = post(en, cast.cell_leader, url, {}).content.decode()
    assert f'href="tel:{plan.resident.phone}"' in html and "Log a contact" in html


def test_a_carer_chosen_from_another_cell_can_call_their_person(en, cast, plan):
    care_plan_assign_carer(actor=cast.staff, plan=plan, carer=cast.cell_leader_2)
    url = reverse("care:plan_reveal", args=[plan.pk, plan.resident_id, "emergency_phone"])
    assert 'href="tel:13900001111"' in post(en, cast.cell_leader_2, url, {}).content.decode()


@pytest.mark.parametrize("role", ["cell_leader_2", "outsider", "resident"])
def test_others_cannot_reveal(client, cast, plan, role):
    url = reverse("care:plan_reveal", args=[plan.pk, plan.resident_id, "emergency_phone"])
    assert post(client, getattr(cast, role), url, {}).status_code == 404
    assert not AccessLog.objects.exists()


def test_only_phones_of_the_plans_household_and_no_id_numbers_are_revealed(client, cast, plan):
    other = cast.h2.members.first()
    assert (
        post(
            client, cast.staff, reverse("care:plan_reveal", args=[plan.pk, other.pk, "phone"]), {}
        ).status_code
        == 404
    )
    url = reverse("care:plan_reveal", args=[plan.pk, plan.resident_id, "id_number"])
    assert post(client, cast.staff, url, {}).status_code == 404
    assert not AccessLog.objects.exists()


def test_a_housemates_own_phone_is_not_offered_nor_revealed_nor_logged(client, cast, plan):
    housemate = make_resident(cast.h1, "李强", gender="M")
    url = reverse("care:plan_reveal", args=[plan.pk, housemate.pk, "phone"])
    for headers in ({}, {"HX-Request": "true"}):
        client.force_login(cast.cell_leader)
        response = client.post(url, headers=headers)
        assert response.status_code == 404
        assert housemate.phone not in response.content.decode()
    assert not AccessLog.objects.exists()


# ---- Query counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role, queries", [("cell_leader", 9), ("staff", 10)])
def test_the_plan_page_costs_the_same_queries_however_long_its_history(
    client, cast, plan, repair, django_assert_num_queries, role, queries
):
    CareContact.objects.create(
        plan=plan, kind="phone", wellbeing="well", by=cast.cell_leader, contacted_at=timezone.now()
    )
    client.force_login(getattr(cast, role))
    with django_assert_num_queries(queries):
        assert client.get(plan_url(plan)).status_code == 200
    for i in range(5):
        CareContact.objects.create(
            plan=plan,
            kind="visit",
            wellbeing="well",
            by=cast.cell_leader,
            contacted_at=timezone.now(),
            note=str(i),
        )
        make_resident(
            cast.h1, f"家人{i}", emergency_contact_name="儿子", emergency_contact_phone=f"1390000{i:04d}"
        )
    with django_assert_num_queries(queries):
        assert client.get(plan_url(plan)).status_code == 200


# ---- Staff: the community's plans ------------------------------------------------------------------


def _cared(household, name):
    make_resident(household, name, is_elderly_alone=True)
    return CarePlan.objects.get(resident__name=name)


def test_staff_list_the_communitys_plans_with_filters(en, cast, plan):
    _cared(cast.h3, "陈奶奶")  # no carer: C3 has no 邻长
    disabled = make_resident(cast.h2, "刘残", is_disabled=True)
    CarePlan.objects.filter(resident=disabled).update(
        due_on=timezone.localdate() - timezone.timedelta(days=2)
    )
    url = reverse("care:plans")
    html = get(en, cast.staff, url).content.decode()
    assert "张桂莲" in html and "陈奶奶" in html and "刘残" in html
    assert "3 care plans" in html
    html = get(en, cast.staff, url, group="is_disabled").content.decode()
    assert "刘残" in html and "张桂莲" not in html
    html = get(en, cast.staff, url, state="no_carer").content.decode()
    assert "陈奶奶" in html and "张桂莲" not in html
    html = get(en, cast.staff, url, state="overdue").content.decode()
    assert "刘残" in html and "陈奶奶" not in html
    html = get(en, cast.staff, url, carer=cast.cell_leader.pk).content.decode()
    assert "张桂莲" in html and "陈奶奶" not in html and "刘残" not in html


def test_bad_filters_are_ignored(en, cast, plan):
    response = get(
        en, cast.staff, reverse("care:plans"), group="x", state="y", carer="²", community="abc", page="99"
    )
    assert response.status_code == 200 and "张桂莲" in response.content.decode()


def test_ended_plans_are_listed_apart(en, cast, plan):
    resident = plan.resident
    resident.is_elderly_alone = False
    from people.services import resident_save

    resident_save(actor=cast.staff, resident=resident)
    assert "张桂莲" not in get(en, cast.staff, reverse("care:plans")).content.decode()
    html = get(en, cast.staff, reverse("care:plans"), state="ended").content.decode()
    assert "张桂莲" in html and "No longer in a cared-for group" in html


def test_staff_of_another_community_list_only_their_own(en, cast, plan, staff_b):
    html = get(en, staff_b, reverse("care:plans"), community=cast.community.pk).content.decode()
    assert "张桂莲" not in html


@pytest.mark.parametrize("name", ["care:plans", "care:carers", "care:cadence"])
@pytest.mark.parametrize("role", ["area_leader", "group_leader", "cell_leader", "resident", "outsider"])
def test_the_staff_pages_do_not_exist_for_others(client, cast, name, role):
    assert get(client, getattr(cast, role), reverse(name)).status_code == 404


def test_the_plan_list_costs_the_same_queries_however_many_plans(
    client, cast, plan, django_assert_num_queries
):
    client.force_login(cast.staff)
    with django_assert_num_queries(8):
        client.get(reverse("care:plans"))
    for i in range(6):
        _cared([cast.h1b, cast.h2, cast.h3][i % 3], f"老人{i}")
    with django_assert_num_queries(8):
        client.get(reverse("care:plans"))


# ---- Staff: carers' load ---------------------------------------------------------------------------


def test_each_carers_load_in_one_table(en, cast, plan):
    _cared(cast.h1b, "王奶奶")
    overdue = _cared(cast.h1b, "李爷爷")
    CarePlan.objects.filter(pk=overdue.pk).update(due_on=timezone.localdate() - timezone.timedelta(days=1))
    _cared(cast.h3, "陈奶奶")
    html = get(en, cast.staff, reverse("care:carers")).content.decode()
    row = html[html.index("王建国") : html.index("</tr>", html.index("王建国"))]
    assert "<td>3</td><td>2</td>" in row and "<strong>1</strong>" in row
    assert "No carer yet" in html


def test_the_carers_page_costs_one_grouped_query(client, cast, plan, django_assert_num_queries):
    client.force_login(cast.staff)
    with django_assert_num_queries(6):
        client.get(reverse("care:carers"))
    for i in range(4):
        _cared([cast.h1b, cast.h2, cast.h3][i % 3], f"老人{i}")
    with django_assert_num_queries(6):
        client.get(reverse("care:carers"))


# ---- Staff: cadence --------------------------------------------------------------------------------


def test_the_cadence_page_shows_each_groups_rule_and_the_plans_it_covers(en, cast, plan):
    html = get(en, cast.staff, reverse("care:cadence")).content.decode()
    assert "Elderly living alone" in html and "Covers 1 care plan" in html
    assert "Left-behind child" in html and "Covers 0 care plans" in html
    assert CadenceRule.objects.filter(community=cast.community).count() == 6


def test_staff_change_a_rule_and_the_plans_are_replanned(en, cast, plan):
    get(en, cast.staff, reverse("care:cadence"))
    rule = CadenceRule.objects.get(community=cast.community, special_group="is_elderly_alone")
    prefix = f"rule-{rule.pk}-"
    data = {
        "rule": rule.pk,
        "community": cast.community.pk,
        prefix + "cared_for": "on",
        prefix + "greeting_days": "2",
        prefix + "visit_days": "5",
        prefix + "group_after_days": "1",
        prefix + "area_after_days": "2",
    }
    response = post(en, cast.staff, reverse("care:cadence"), data)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.greeting_days, plan.visit_days, plan.area_after_days) == (2, 5, 2)
    assert "Saved. 1 care plans follow the new cadence." in en.get(response.url).content.decode()


@pytest.mark.parametrize(
    "values, message",
    [
        (("0", "7", "1", "3"), "greater than or equal to 1"),
        (("3", "7", "4", "2"), "The area leader is told no sooner than the group leader."),
        (("三", "7", "1", "3"), "Enter a whole number."),
    ],
)
def test_a_bad_rule_is_shown_back_and_nothing_changes(en, cast, plan, values, message):
    get(en, cast.staff, reverse("care:cadence"))
    rule = CadenceRule.objects.get(community=cast.community, special_group="is_elderly_alone")
    prefix = f"rule-{rule.pk}-"
    names = ["greeting_days", "visit_days", "group_after_days", "area_after_days"]
    data = {"rule": rule.pk, "community": cast.community.pk, prefix + "cared_for": "on"}
    data |= {prefix + name: value for name, value in zip(names, values, strict=True)}
    response = post(en, cast.staff, reverse("care:cadence"), data)
    html = response.content.decode()
    assert response.status_code == 200 and message in html
    assert f'value="{values[0]}"' in html  # what was typed stays in the form
    rule.refresh_from_db()
    assert (rule.greeting_days, rule.visit_days, rule.group_after_days, rule.area_after_days) == (3, 7, 1, 3)


def test_a_rule_of_another_community_is_404(client, cast, staff_b):
    from care.services import cadence_rules_for

    rule = cadence_rules_for(cast.community)["is_elderly_alone"]
    data = {"rule": rule.pk, f"rule-{rule.pk}-greeting_days": "1"}
    assert post(client, staff_b, reverse("care:cadence"), data).status_code == 404
    rule.refresh_from_db()
    assert rule.greeting_days == 3


# ---- Admin -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [CadenceRule, CarePlan, CareContact])
def test_the_admin_lists_and_opens_care_records(client, cast, plan, model):
    from care.services import cadence_rules_for

    cadence_rules_for(cast.community)
    CareContact.objects.create(
        plan=plan, kind="visit", wellbeing="well", by=cast.cell_leader, contacted_at=timezone.now()
    )
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    assert model in admin.site._registry
    name = f"admin:care_{model._meta.model_name}"
    assert client.get(reverse(f"{name}_changelist"), {"q": "张"}).status_code == 200
    assert client.get(reverse(f"{name}_change", args=[model.objects.first().pk])).status_code == 200


# ---- Garbage ---------------------------------------------------------------------------------------

GARBAGE = ["²", "-1", "0", "abc", "9" * 30, "１２", "1e3", "%00"]


@pytest.mark.parametrize(
    "role, route",
    [
        ("group_leader", "/care/?page={}"),
        ("staff", "/care/plans/?community={}&group={}&carer={}&state={}&page={}"),
        ("staff", "/care/carers/?community={}"),
        ("staff", "/care/cadence/?community={}"),
    ],
)
def test_garbage_in_query_strings_never_answers_500(client, cast, plan, role, route):
    client.force_login(getattr(cast, role))
    for value in GARBAGE:
        response = client.get(route.replace("{}", value))
        assert response.status_code < 500, (route, value, response.status_code)
    assert client.get(plan_url(plan), {"page": "²"}).status_code == 200


def test_garbage_posts_are_form_errors_or_404_never_500(client, cast, plan):
    client.force_login(cast.staff)
    for value in GARBAGE:
        data = {"kind": value, "wellbeing": value, "need_found": "on", "need_kind": value}
        assert client.post(plan_url(plan), data).status_code == 200
        assert client.post(reverse("care:plan_carer", args=[plan.pk]), {"carer": value}).status_code == 200
        assert client.post(reverse("care:cadence"), {"rule": value}).status_code == 404
    assert not CareContact.objects.exists()
    plan.refresh_from_db()
    assert plan.carer == cast.cell_leader
