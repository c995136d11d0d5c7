"""The service catalogue pages, the response templates, and the admin of requests, notices and teams."""

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from accounts.models import User
from service_requests.catalogue import DEFAULT_KINDS, service_catalogue_install
from service_requests.models import Channel, Request, RequestPhoto, ResponseTemplate, ServiceKind
from service_requests.services import request_file
from territory.models import Level
from territory.services import unit_create
from volunteers.models import Team


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


def _as(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def kinds(cast):
    service_catalogue_install(cast.street)
    return {k.code: k for k in ServiceKind.objects.filter(street=cast.street)}


def _kind_data(kind=None, **changes):
    data = {
        "name": "楼道照明",
        "code": "lights",
        "icon": "",
        "description": "",
        "grade": "normal",
        "response_hours": "12",
        "resolution_hours": "48",
        "first_level": Level.CELL,
        "report_category": "problem",
        "on_public_menu": "on",
        "dispatch_team": "",
        "sort_order": "3",
        "active": "on",
    }
    if kind is not None:
        data.update(name=kind.name, code=kind.code, grade=kind.grade, first_level=kind.first_level)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def other_street_team(db):
    street = unit_create(parent=None, level=Level.STREET, name="河西街道")
    community = unit_create(parent=street, level=Level.COMMUNITY, name="河西社区")
    return Team.objects.create(community=community, name="河西便民队")


# ---- who may open the pages --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["cell_leader", "group_leader", "area_leader", "resident", "outsider"])
@pytest.mark.parametrize("page", ["catalogue", "kind_create", "template_list", "template_create"])
def test_catalogue_pages_do_not_exist_for_anyone_but_staff(client, cast, kinds, who, page):
    response = _as(client, getattr(cast, who)).get(reverse(f"service_requests:{page}"))
    assert response.status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get(reverse("service_requests:catalogue"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("who", ["street_admin", "staff"])
def test_street_admin_and_community_staff_see_the_streets_catalogue(client, cast, kinds, who):
    content = _as(client, getattr(cast, who)).get(reverse("service_requests:catalogue")).content.decode()
    for kind in kinds.values():
        assert kind.name in content
    assert reverse("service_requests:kind_edit", args=[kinds["hazard"].pk]) in content
    assert 'value="install"' not in content


def test_catalogue_shows_grade_deadlines_and_dispatch_team(en, cast, kinds):
    team = Team.objects.create(community=cast.community, name="惠邻便民队")
    ServiceKind.objects.filter(pk=kinds["micro"].pk).update(dispatch_team=team)
    content = _as(en, cast.staff).get(reverse("service_requests:catalogue")).content.decode()
    assert "respond within 2 h · resolve within 24 h" in content  # the urgent hazard
    assert "Urgent" in content and "惠邻便民队(幸福社区)" in content


def test_a_street_without_a_catalogue_installs_the_default_one(en, cast):
    client = _as(en, cast.street_admin)
    page = client.get(reverse("service_requests:catalogue")).content.decode()
    assert "Install the default catalogue" in page
    response = client.post(
        reverse("service_requests:catalogue"), {"action": "install", "street": cast.street.pk}, follow=True
    )
    assert ServiceKind.objects.filter(street=cast.street).count() == len(DEFAULT_KINDS)
    assert f"The default catalogue is installed: {len(DEFAULT_KINDS)} kinds." in response.content.decode()


def test_staff_cannot_install_a_catalogue_into_another_street(client, cast, other_street_team):
    other_street = other_street_team.community.parent
    response = _as(client, cast.staff).post(
        reverse("service_requests:catalogue"), {"action": "install", "street": other_street.pk}
    )
    assert response.status_code == 404
    assert not ServiceKind.objects.exists()


# ---- editing kinds -----------------------------------------------------------------------------------


def test_community_staff_changes_a_kinds_deadlines_and_team(client, cast, kinds):
    team = Team.objects.create(community=cast.other_community, name="和平帮扶队")
    repair = kinds["repair"]
    response = _as(client, cast.staff).post(
        reverse("service_requests:kind_edit", args=[repair.pk]),
        _kind_data(repair, response_hours="6", resolution_hours="36", dispatch_team=str(team.pk)),
    )
    assert response.status_code == 302
    repair.refresh_from_db()
    assert (repair.response_hours, repair.resolution_hours, repair.dispatch_team) == (6, 36, team)
    assert repair.street == cast.street


def test_new_kind_is_added_to_the_viewers_street(client, cast, kinds):
    response = _as(client, cast.street_admin).post(reverse("service_requests:kind_create"), _kind_data())
    assert response.status_code == 302
    kind = ServiceKind.objects.get(code="lights")
    assert kind.street == cast.street and kind.on_public_menu and not kind.is_menu_service


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"response_hours": "0"}, "response_hours", "Give at least 1 hour."),
        ({"resolution_hours": "-3"}, "resolution_hours", "Give at least 1 hour."),
        ({"response_hours": "abc"}, "response_hours", "Enter a whole number."),
        (
            {"response_hours": "72", "resolution_hours": "24"},
            "response_hours",
            "The time to respond cannot be longer than the time to resolve.",
        ),
        ({"code": "repair"}, "code", "Another kind of this street already has this code."),
        ({"code": "楼道"}, "code", "Enter a valid “slug”"),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_bad_kind_comes_back_with_a_clear_message_and_what_was_typed(
    en, cast, kinds, changes, field, message
):
    response = _as(en, cast.staff).post(reverse("service_requests:kind_create"), _kind_data(**changes))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    content = response.content.decode()
    assert escape(message) in content
    typed = _kind_data(**changes)
    assert typed["name"] == "" or f'value="{typed["name"]}"' in content  # nothing typed is lost
    assert not ServiceKind.objects.filter(street=cast.street, code=typed["code"], name="楼道照明").exists()


def test_a_team_of_another_street_cannot_be_chosen(en, cast, kinds, other_street_team):
    response = _as(en, cast.staff).post(
        reverse("service_requests:kind_edit", args=[kinds["repair"].pk]),
        _kind_data(kinds["repair"], dispatch_team=str(other_street_team.pk)),
    )
    assert response.status_code == 200
    assert "dispatch_team" in response.context["form"].errors
    kinds["repair"].refresh_from_db()
    assert kinds["repair"].dispatch_team is None


def test_editing_keeps_its_own_code(client, cast, kinds):
    hazard = kinds["hazard"]
    response = _as(client, cast.staff).post(
        reverse("service_requests:kind_edit", args=[hazard.pk]), _kind_data(hazard, name="安全隐患排查")
    )
    assert response.status_code == 302
    hazard.refresh_from_db()
    assert hazard.name == "安全隐患排查" and hazard.code == "hazard"


def test_kind_of_another_street_is_not_found(client, cast, other_street_team):
    other_street = other_street_team.community.parent
    [kind, *_rest] = service_catalogue_install(other_street)
    assert (
        _as(client, cast.staff).get(reverse("service_requests:kind_edit", args=[kind.pk])).status_code == 404
    )


# ---- response templates ------------------------------------------------------------------------------


def test_staff_add_edit_and_delete_a_response_template(client, cast):
    client = _as(client, cast.staff)
    response = client.post(
        reverse("service_requests:template_create"), {"title": "已上门", "text": "您好,工作人员已上门查看。"}
    )
    assert response.status_code == 302
    template = ResponseTemplate.objects.get(title="已上门")
    assert template.street == cast.street
    assert "已上门" in client.get(reverse("service_requests:template_list")).content.decode()
    client.post(
        reverse("service_requests:template_edit", args=[template.pk]), {"title": "已上门查看", "text": "好"}
    )
    template.refresh_from_db()
    assert (template.title, template.text) == ("已上门查看", "好")
    client.post(reverse("service_requests:template_edit", args=[template.pk]), {"action": "delete"})
    assert not ResponseTemplate.objects.exists()


def test_a_template_needs_a_unique_title_and_a_text(en, cast):
    ResponseTemplate.objects.create(street=cast.street, title="已受理", text="已受理")
    response = _as(en, cast.staff).post(
        reverse("service_requests:template_create"), {"title": "已受理", "text": ""}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "This street already has a template with this title." in content
    assert "This field is required." in content
    assert ResponseTemplate.objects.count() == 1


def test_template_of_another_street_is_not_found(client, cast, other_street_team):
    template = ResponseTemplate.objects.create(street=other_street_team.community.parent, title="x", text="y")
    client = _as(client, cast.staff)
    assert client.get(reverse("service_requests:template_edit", args=[template.pk])).status_code == 404
    assert "x" not in [
        t.title for t in client.get(reverse("service_requests:template_list")).context["templates"]
    ]


# ---- admin -------------------------------------------------------------------------------------------

ADMIN_MODELS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in {"service_requests", "notices", "volunteers"}
)


@pytest.fixture
def superuser_client(client, cast, kinds, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    team = Team.objects.create(community=cast.community, name="惠邻便民队")
    team.members.add(cast.cell_leader)
    request = request_file(
        actor=cast.resident,
        reporter_user=cast.resident,
        kind=kinds["repair"],
        description="幸福社区 楼道灯坏了",
        channel=Channel.QR,
        household=cast.h1,
        reporter_phone="13900002222",
    )
    RequestPhoto.objects.create(
        request=request, image=SimpleUploadedFile("light.png", b"\x89PNG\r\n\x1a\n"), extension="png"
    )
    ResponseTemplate.objects.create(street=cast.street, title="已受理", text="您的诉求已受理。")
    from notices.models import ChannelKind, OutboundChannel
    from notices.services import outbound_queue

    OutboundChannel.objects.create(
        community=cast.community, kind=ChannelKind.EMAIL, name="幸福社区 邮件", target="office@example.org"
    )
    outbound_queue(community=cast.community, key="admin-test", title="幸福社区", body="测试")
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    return client


def test_every_model_of_requests_notices_and_teams_is_in_the_admin():
    from django.apps import apps

    models = {
        (model._meta.app_label, model._meta.model_name)
        for app in ("service_requests", "notices", "volunteers")
        for model in apps.get_app_config(app).get_models()
        if not model._meta.model_name.startswith("historical")
    }
    assert models == set(ADMIN_MODELS)


@pytest.mark.parametrize(("app_label", "model_name"), ADMIN_MODELS)
def test_superuser_opens_changelist_add_change_and_search(superuser_client, app_label, model_name):
    from django.apps import apps

    model = apps.get_model(app_label, model_name)
    model_admin = admin.site._registry[model]
    changelist = reverse(f"admin:{app_label}_{model_name}_changelist")
    assert superuser_client.get(changelist).status_code == 200
    assert superuser_client.get(changelist, {"q": "幸福"}).status_code == 200
    add = superuser_client.get(reverse(f"admin:{app_label}_{model_name}_add"))
    assert add.status_code == (200 if model_admin.has_add_permission(add.wsgi_request) else 403)
    first = model.objects.order_by("pk").first()
    assert first is not None
    assert (
        superuser_client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[first.pk])).status_code
        == 200
    )


def test_admin_finds_a_request_by_its_reference_and_never_lists_the_reporters_phone(superuser_client):
    request = Request.objects.get()
    response = superuser_client.get(
        reverse("admin:service_requests_request_changelist"), {"q": request.reference}
    )
    assert list(response.context["cl"].result_list) == [request]
    assert "13900002222" not in response.content.decode()
    other = superuser_client.get(reverse("admin:service_requests_request_changelist"), {"q": "99999999"})
    assert list(other.context["cl"].result_list) == []
