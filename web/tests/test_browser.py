"""End-to-end: a real browser (Debian's chromium, driven by Playwright) against the live server.

Screenshots land in test-artifacts/ (ignored by git) for a person to look at.
"""

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
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body
    # are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live_cast(transactional_db):
    return build_cast()


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn-primary")
    page.wait_for_url(f"{live_server.url}/")


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_neighbour_leader_on_a_phone_sees_their_households(browser, live_server, live_cast):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=1, locale="zh-CN"
    )
    page = context.new_page()
    _login(page, live_server, "cell_leader")
    page.click('main a[href="/people/mine/"]')
    page.wait_for_load_state()
    body = page.inner_text("main")
    assert "张桂莲" in body and "王建国" in body  # the two households of cell C1
    assert "刘芳" not in body  # the neighbouring cell's household
    assert "独居老人" in body  # special-group badge, in Chinese
    # Nothing wider than the phone: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(page, "cell-leader-my-households-360")
    context.close()


def test_street_admin_sees_the_tree_with_counts(browser, live_server, live_cast):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, live_server, "street_admin")
    page.goto(f"{live_server.url}/territory/")
    body = page.inner_text("main")
    for name in ["城关街道", "幸福社区", "和平社区", "第一片区", "第一组", "第一邻", "第二邻"]:
        assert name in body
    assert "片长甲" in body and "组长甲" in body  # leaders on their nodes
    _shot(page, "street-admin-tree")
    context.close()
