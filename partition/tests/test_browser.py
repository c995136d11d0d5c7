"""End-to-end: community staff preview and apply a partition of a demo community in a real browser
(Debian's chromium driven by Playwright; the setup of web/tests/test_browser.py)."""

import os
import shutil
from pathlib import Path

import pytest

from partition.tests.world import build_world
from people.models import Household
from territory.models import Level, TerritoryUnit
from web.demo import DEFAULT_PASSWORD

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
def live_world(transactional_db):
    from leaders.models import Appointment, Role

    build_world()
    community = TerritoryUnit.objects.get(level=Level.COMMUNITY, name="幸福社区")
    staff = Appointment.objects.filter(role=Role.COMMUNITY_STAFF, unit=community).first().person
    return community, staff


def test_staff_preview_and_apply_a_partition_on_a_phone(browser, live_server, live_world):
    community, staff = live_world
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", staff.username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button.btn-primary")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/partition/?community={community.pk}")
    page.fill("#part-areas", "2")
    page.click("form.part-choose button.btn-primary")
    page.wait_for_selector("#part-figures")
    assert page.inner_text("#part-share") == "100%"
    moved = int(page.inner_text("#part-moved"))
    placed = int(page.inner_text("#part-placed"))
    assert moved > 0 and placed == 4  # the demo's households in no cell yet
    assert page.locator("#part-leaderless .part-candidates li").count() > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "partition-preview-360.png"), full_page=True)

    page.check("#part-apply input[name=confirm]")
    page.click("#part-apply button[value=apply]")
    page.wait_for_selector("#part-nothing")
    assert page.locator(".messages li").count() >= 1
    assert page.inner_text("#part-share") == "100%"
    page.screenshot(path=str(ARTIFACTS / "partition-applied-360.png"), full_page=True)
    context.close()

    assert not Household.objects.filter(community=community, status="resident", cell__isnull=True).exists()
