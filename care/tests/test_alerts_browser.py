"""End-to-end on a phone: a neighbour raises a welfare alert from the building's QR page, the community
director's inbox shows it, and a neighbour leader works through the checklist and closes it.

Screenshots land in test-artifacts/ (ignored by git) for a person to look at."""

import os
import shutil
from pathlib import Path

import pytest

from linli.testing import PASSWORD, build_cast
from territory.models import Building

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="chromium is not installed (CI installs it; locally: apt-get install chromium fonts-noto-cjk)",
    ),
]


@pytest.fixture(scope="module")
def browser():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live_cast(transactional_db):
    return build_cast()


def _phone(browser):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=1, locale="zh-CN"
    )
    return context, context.new_page()


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn-primary")
    page.wait_for_url(f"{live_server.url}/")


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_neighbour_raises_an_alert_and_the_director_and_leader_answer_it(browser, live_server, live_cast):
    building = Building.objects.get(entrances__households=live_cast.h1)
    context, page = _phone(browser)
    page.goto(f"{live_server.url}/r/b/{building.pk}/")
    page.click("a.alert-public-link")
    page.fill("input[name=room]", "101")
    page.click("label.kind-tile:has(input[value=no_answer])")
    page.fill("textarea[name=description]", "敲了好久没人应,灯一直没开")
    page.fill("input[name=phone]", "13712345678")
    _fits(page)
    _shot(page, "alert-public-form")
    page.click("button.btn-huge")
    page.wait_for_selector(".alert-sent")
    assert "张桂莲" not in page.content()
    _shot(page, "alert-public-sent")
    context.close()

    context, page = _phone(browser)
    _login(page, live_server, "staff")
    page.goto(f"{live_server.url}/inbox/")
    assert "阳光小区 1栋 1单元 101" in page.content()
    _shot(page, "alert-director-inbox")
    context.close()

    context, page = _phone(browser)
    _login(page, live_server, "cell_leader")
    page.goto(f"{live_server.url}/care/alerts/")
    _fits(page)
    _shot(page, "alert-list")
    page.click("a.req-row-link")
    page.click("form:has(input[value=knocked]) button")
    page.wait_for_selector(".alert-step-done")
    page.click(".reveal-emergency_phone button")
    page.wait_for_selector('a[href="tel:13900001111"]')
    _fits(page)
    _shot(page, "alert-page")
    page.click("label.big-choice:has(input[value=hospital])")
    page.locator("#close textarea[name=note]").fill("联系上儿子,老人在住院")
    page.click("#close button.btn-huge")
    page.wait_for_selector(".badge-ok")
    _shot(page, "alert-closed")
    context.close()
