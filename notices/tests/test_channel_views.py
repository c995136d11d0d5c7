"""The staff pages for a community's outbound channels: who reaches them, adding and changing a channel,
bad input shown back, a test message, and the list's query count."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from leaders.models import Role
from leaders.services import appointment_create
from linli.testing import UserFactory
from notices import services
from notices.models import ChannelKind, OutboundChannel, OutboundMessage, OutboundStatus


@pytest.fixture
def staff_b(cast):
    user = UserFactory(username="staff_b", full_name="和平社区工作者")
    appointment_create(
        actor=None,
        person=user,
        role=Role.COMMUNITY_STAFF,
        unit=cast.other_community,
        started_on=datetime.date(2024, 1, 1),
    )
    return user


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _list(community):
    return f"{reverse('notices:channel_list')}?community={community.pk}"


def _new(community):
    return f"{reverse('notices:channel_new')}?community={community.pk}"


def _form(**fields):
    data = {"name": "主任邮箱", "kind": ChannelKind.EMAIL, "target": "director@example.org", "active": "on"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


# ---- who reaches the pages ----------------------------------------------------------------------------


def test_staff_of_the_community_see_its_channels_and_their_latest_messages(client, cast, wecom):
    services.outbound_queue(community=cast.community, key="k1", title="今日走访提醒", body="...")
    OutboundMessage.objects.update(
        status=OutboundStatus.FAILED, last_error="errcode 93000: invalid webhook url"
    )
    client.force_login(cast.staff)
    page = client.get(reverse("notices:channel_list")).content.decode()  # their only community: no ?community
    assert "社区工作群" in page and "今日走访提醒" in page and "errcode 93000" in page
    assert "t0ken" not in page  # the webhook's access token is not shown on the list


@pytest.mark.parametrize(
    "who",
    ["area_leader", "group_leader", "cell_leader", "building_leader", "resident", "outsider", "staff_b"],
)
def test_everyone_but_the_communitys_staff_gets_404(client, cast, wecom, staff_b, who):
    user = staff_b if who == "staff_b" else getattr(cast, who)
    client.force_login(user)
    assert client.get(_list(cast.community)).status_code == 404
    assert client.get(_new(cast.community)).status_code == 404
    assert client.get(reverse("notices:channel_edit", args=[wecom.pk])).status_code == 404
    assert client.post(reverse("notices:channel_edit", args=[wecom.pk]), _form()).status_code == 404
    assert client.post(reverse("notices:channel_test", args=[wecom.pk])).status_code == 404
    wecom.refresh_from_db()
    assert wecom.kind == ChannelKind.WECOM and not OutboundMessage.objects.exists()


def test_staff_of_another_community_see_their_own_channels_only(client, cast, wecom, staff_b):
    client.force_login(staff_b)
    page = client.get(reverse("notices:channel_list")).content.decode()
    assert cast.other_community.name in page and "社区工作群" not in page


def test_a_street_admin_chooses_among_all_communities(client, cast, wecom):
    client.force_login(cast.street_admin)
    page = client.get(reverse("notices:channel_list")).content.decode()
    assert _list(cast.community).split("?")[1] in page and _list(cast.other_community).split("?")[1] in page
    assert "社区工作群" not in page
    assert "社区工作群" in client.get(_list(cast.community)).content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, cast, wecom):
    response = client.get(_list(cast.community))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "99999999", "１"])
def test_a_garbage_community_is_404(client, cast, raw):
    client.force_login(cast.staff)
    assert client.get(f"{reverse('notices:channel_list')}?community={raw}").status_code == 404


def test_the_test_button_only_answers_post(client, cast, wecom):
    client.force_login(cast.staff)
    assert client.get(reverse("notices:channel_test", args=[wecom.pk])).status_code == 405


# ---- adding and changing ------------------------------------------------------------------------------


def test_staff_add_an_email_channel(client, cast):
    client.force_login(cast.staff)
    response = client.post(_new(cast.community), _form(target="a@example.org, b@example.org"))
    assert response.status_code == 302 and response.url == _list(cast.community)
    channel = OutboundChannel.objects.get()
    assert channel.community == cast.community and channel.target == "a@example.org,b@example.org"
    assert channel.active


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"target": "director@example, other@example.org"}, "is not a valid email address"),
        ({"kind": ChannelKind.WECOM, "target": "ftp://qyapi.weixin.qq.com/x"}, "webhook address"),
        ({"kind": ChannelKind.DINGTALK, "target": "oapi.dingtalk.com/robot/send"}, "webhook address"),
        ({"kind": ChannelKind.WECOM, "target": "http://[::1"}, "webhook address"),
        ({"kind": "sms", "target": "https://qyapi.weixin.qq.com/x"}, "Select a valid choice"),
        ({"name": "   "}, "This field is required"),
        ({"target": ""}, "This field is required"),
    ],
)
def test_bad_input_is_shown_back_and_nothing_is_saved(english, cast, fields, error):
    english.force_login(cast.staff)
    response = english.post(_new(cast.community), _form(**fields))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not OutboundChannel.objects.exists()


def test_a_bad_edit_keeps_the_saved_channel(english, cast, wecom):
    english.force_login(cast.staff)
    response = english.post(
        reverse("notices:channel_edit", args=[wecom.pk]),
        _form(name="新名字", kind=ChannelKind.WECOM, target="javascript:alert(1)"),
    )
    assert response.status_code == 200 and "webhook address" in response.content.decode()
    saved = OutboundChannel.objects.get(pk=wecom.pk)
    assert (saved.name, saved.target) == (wecom.name, wecom.target)


def test_staff_switch_a_channel_off(client, cast, wecom):
    client.force_login(cast.staff)
    response = client.post(
        reverse("notices:channel_edit", args=[wecom.pk]),
        _form(name=wecom.name, kind=wecom.kind, target=wecom.target, active=None),
    )
    assert response.status_code == 302
    wecom.refresh_from_db()
    assert not wecom.active


def test_a_blank_secret_keeps_the_saved_one_and_it_can_be_removed(client, cast, robot):
    channel = OutboundChannel.objects.create(
        community=cast.community,
        kind=ChannelKind.DINGTALK,
        name="钉钉",
        target=robot.webhook(),
        secret="SEC1",
    )
    client.force_login(cast.staff)
    url = reverse("notices:channel_edit", args=[channel.pk])
    page = client.get(url).content.decode()
    assert "SEC1" not in page  # the secret is never shown back
    client.post(url, _form(name="钉钉群", kind=ChannelKind.DINGTALK, target=channel.target, secret=""))
    channel.refresh_from_db()
    assert channel.name == "钉钉群" and channel.secret == "SEC1"
    client.post(
        url, _form(name="钉钉群", kind=ChannelKind.DINGTALK, target=channel.target, clear_secret="on")
    )
    channel.refresh_from_db()
    assert channel.secret == ""


# ---- a test message -----------------------------------------------------------------------------------


def test_a_test_message_arrives_and_the_page_says_so(english, cast, robot, wecom):
    english.force_login(cast.staff)
    response = english.post(reverse("notices:channel_test", args=[wecom.pk]), follow=True)
    assert len(robot.received) == 1
    assert "Test message sent to 社区工作群" in response.content.decode()


def test_a_failed_test_message_shows_the_error(english, cast, robot, wecom):
    robot.status = 500
    english.force_login(cast.staff)
    response = english.post(reverse("notices:channel_test", args=[wecom.pk]), follow=True)
    page = response.content.decode()
    assert "failed" in page and "HTTP 500" in page
    assert OutboundMessage.objects.get().status == OutboundStatus.FAILED


# ---- speed --------------------------------------------------------------------------------------------


def _fill(cast, channels: int, messages: int):
    now = timezone.now()
    for c in range(channels):
        channel = OutboundChannel.objects.create(
            community=cast.community, kind=ChannelKind.EMAIL, name=f"邮箱{c}", target=f"c{c}@example.org"
        )
        OutboundMessage.objects.bulk_create(
            OutboundMessage(
                channel=channel, key=f"k{m}", title=f"t{m}", body="b", next_attempt_at=now, created_at=now
            )
            for m in range(messages)
        )


def test_the_list_takes_the_same_queries_however_many_channels_and_messages(
    client, cast, django_assert_num_queries
):
    _fill(cast, channels=1, messages=1)
    client.force_login(cast.staff)
    client.get(_list(cast.community))
    # session, user, appointments, staff communities, communities, channels, their messages
    with django_assert_num_queries(7):
        client.get(_list(cast.community))
    _fill(cast, channels=4, messages=12)
    with django_assert_num_queries(7):
        page = client.get(_list(cast.community)).content.decode()
    assert page.count('class="badge badge-warn">') == 1 + 4 * 5  # the 5 latest of each (all waiting)
