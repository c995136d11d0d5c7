"""The language of a page: Chinese unless the user chose English with the language switch; the browser's
Accept-Language never decides."""

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")


def _title(response) -> str:
    return response.content.decode().split("<title>")[1].split("</title>")[0]


def test_a_browser_preferring_english_gets_chinese(client):
    response = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登录" in _title(response)
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()


def test_the_english_cookie_gets_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert "Log in" in _title(response)
    assert response["Content-Language"] == "en"


def test_a_regional_english_cookie_gets_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-GB"
    assert "Log in" in _title(client.get(LOGIN))


def test_an_unknown_cookie_language_gets_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert "登录" in _title(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en"))


def test_the_language_switch_picks_english_and_back_to_chinese(client):
    client.post(reverse("set_language"), {"language": "en", "next": LOGIN})
    assert "Log in" in _title(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="zh-CN"))
    client.post(reverse("set_language"), {"language": "zh-hans", "next": LOGIN})
    assert "登录" in _title(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en-US"))


def test_the_page_offers_the_switch_to_the_other_language(client):
    assert 'value="en"' in client.get(LOGIN).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert 'value="zh-hans"' in client.get(LOGIN).content.decode()


def test_pages_vary_on_the_cookie_not_on_accept_language(client):
    vary = [part.strip() for part in client.get(LOGIN)["Vary"].split(",")]
    assert "Cookie" in vary
    assert "Accept-Language" not in vary
