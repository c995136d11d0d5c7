"""End-to-end on a phone: a neighbour leader marks campaign households with the big buttons (htmx swaps
the row and the figures in place), and staff open the coverage of the community. Screenshots land in
test-artifacts/ for a person to look at."""

import os
import shutil
from pathlib import Path

import pytest

from campaigns.models import CampaignTarget, TargetStatus
from campaigns.tests.factories import start_campaign
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
    return build_cast()


def _phone(browser, live_server, username):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=1, locale="zh-CN"
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn-primary")
    page.wait_for_url(f"{live_server.url}/")
    return page


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_neighbour_leader_marks_a_household_reached_with_one_tap(browser, live_server, live_cast):
    cast = live_cast
    campaign = start_campaign(cast.staff, cast.community, title="防范电信诈骗")
    target = CampaignTarget.objects.get(campaign=campaign, household=cast.h1)
    page = _phone(browser, live_server, "cell_leader")
    page.goto(f"{live_server.url}/campaigns/")
    page.click(f'a[href="/campaigns/{campaign.pk}/mark/?show=todo"]')
    page.wait_for_load_state()
    body = page.inner_text("main")
    assert "阳光小区 1栋 1单元 101" in body and "阳光小区 1栋 1单元 102" in body
    assert "阳光小区 1栋 1单元 201" not in body  # the next cell's household
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(page, "campaign-mark-360")

    row = page.locator(f"#target-{target.pk}")
    row.locator("input[name=note]").fill("已讲解反诈知识")
    row.locator('button[value="reached"]').click()
    page.wait_for_selector(f"#target-{target.pk}.target-reached")
    assert "已讲解反诈知识" in page.inner_text(f"#target-{target.pk}")
    assert page.inner_text("#my-tally .tally-reached dd") == "1"
    assert page.url.endswith("?show=todo")  # swapped in place, no page load
    target.refresh_from_db()
    assert (target.status, target.note) == (TargetStatus.REACHED, "已讲解反诈知识")
    _shot(page, "campaign-mark-after-360")


def test_staff_see_coverage_by_area_on_a_phone(browser, live_server, live_cast):
    cast = live_cast
    campaign = start_campaign(cast.staff, cast.community, title="冬季用电安全")
    page = _phone(browser, live_server, "staff")
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    body = page.inner_text("main")
    assert cast.area.name in body and cast.area2.name in body
    page.click(f'a[href="?unit={cast.area.pk}"]')
    page.wait_for_load_state()
    assert cast.group.name in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(page, "campaign-coverage-360")
    page.goto(f"{live_server.url}/campaigns/new/")
    page.select_option("select[name=unit]", str(cast.group.pk))
    page.wait_for_function("document.querySelector('#target-count strong')?.innerText.includes('3')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(page, "campaign-new-360")
