"""End-to-end on a phone (360 px, Chinese): the 邻长 opens today's round from the home page, logs a home
visit with "a need found", and the request is in their requests queue. Screenshots go to test-artifacts/."""

import os
import shutil
from pathlib import Path

import pytest

from linli.testing import PASSWORD, build_cast

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
    from service_requests.catalogue import service_catalogue_install

    cast = build_cast()
    service_catalogue_install(cast.street)
    return cast


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_neighbour_leader_logs_a_visit_with_a_need_from_the_round(browser, live_server, live_cast):
    from care.models import CareContact
    from service_requests.models import Request

    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=1, locale="zh-CN"
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "cell_leader")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn-primary")
    page.wait_for_url(f"{live_server.url}/")
    assert "张桂莲" in page.inner_text("main")  # today's round on the home page

    page.click("a.care-home-tile")
    page.wait_for_url(f"{live_server.url}/care/")
    _fits_the_phone(page)
    _shot(page, "care-round-360")
    page.click("a.care-log-btn")
    page.wait_for_load_state()
    _fits_the_phone(page)

    fields = page.locator(".care-need-fields")
    assert not fields.is_visible()  # shown only once "a need found" is ticked
    page.click("label.care-kind-visit")
    page.click("label.care-well-concern")
    page.click("label.care-need-label")
    assert fields.is_visible()
    page.select_option("select[name=need_kind]", index=1)
    page.fill("textarea[name=need_description]", "卫生间水管漏水")
    _shot(page, "care-plan-log-360")
    page.click("form.care-log button.btn-huge")
    page.wait_for_url(f"{live_server.url}/care/")
    assert "张桂莲" in page.inner_text(".messages")  # "Recorded for 张桂莲."

    contact = CareContact.objects.get()
    assert contact.kind == "visit" and contact.wellbeing == "concern" and contact.request is not None
    assert Request.objects.get().description == "卫生间水管漏水"
    page.goto(f"{live_server.url}/requests/")
    assert "卫生间水管漏水" in page.inner_text("main")
    _shot(page, "care-need-in-queue-360")
    context.close()
