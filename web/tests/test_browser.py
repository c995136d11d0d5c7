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


def _png(path):
    from PIL import Image

    Image.new("RGB", (40, 30), (200, 40, 40)).save(path, "PNG")
    return str(path)


def _as(browser, live_server, username, phone=True):
    viewport = {"width": 360, "height": 740} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    _login(page, live_server, username)
    return context, page


def _act(page, name, fill: dict):
    """Open one of the request page's action forms, fill it and send it."""
    box = page.locator(f"#action-{name}")
    box.locator("summary").click()
    for selector, value in fill.items():
        field = box.locator(selector).first
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    box.locator("button.btn-primary").click()
    page.wait_for_load_state()


def test_a_request_goes_round_the_whole_loop_on_phones(browser, live_server, live_cast, tmp_path):
    """A resident files from the building's QR code with a photo; the 邻长 sends it up; the 组长
    dispatches it to a team; a member claims and resolves it; the resident rates it; the figures count it."""
    from service_requests.catalogue import service_catalogue_install
    from service_requests.models import Request, Status
    from volunteers.models import Team

    cast = live_cast
    service_catalogue_install(cast.street)
    team = Team.objects.create(community=cast.community, name="惠邻便民队")
    team.members.add(cast.cell_leader_2)
    building = cast.h1.entrance.building

    # The resident scans the QR code on the board (logged in, so it is filed for their household;
    # this building spans two cells, and an anonymous filing would land with the group).
    resident, page = _as(browser, live_server, "resident")
    page.goto(f"{live_server.url}/r/b/{building.pk}/")
    page.locator("label.kind-tile", has_text="房屋报修").click()
    page.fill("textarea[name=description]", "三楼楼道灯不亮，晚上看不见台阶")
    page.set_input_files("input[name=photos]", _png(tmp_path / "light.png"))
    page.fill("input[name=phone]", "13900005555")
    _shot(page, "loop-1-resident-files-360")
    page.locator("button.btn-huge").click()
    page.wait_for_load_state()
    tracking_url = page.url
    assert "?k=" in tracking_url and "三楼楼道灯不亮" in page.inner_text("main")
    request = Request.objects.get()
    assert request.holder == cast.cell and request.photos.count() == 1

    # The neighbour leader sees it waiting and sends it up to the group.
    context, leader = _as(browser, live_server, "cell_leader")
    leader.goto(f"{live_server.url}/requests/{request.pk}/")
    _act(leader, "escalate", {"textarea": "需要物业换线路，请组长协调"})
    context.close()
    request.refresh_from_db()
    assert request.holder == cast.group and request.first_owner == cast.cell_leader

    # The group leader dispatches it to the team.
    context, group_leader = _as(browser, live_server, "group_leader")
    group_leader.goto(f"{live_server.url}/requests/{request.pk}/")
    _act(group_leader, "dispatch", {"select[name$=team]": "惠邻便民队"})
    context.close()
    request.refresh_from_db()
    assert request.status == Status.DISPATCHED and request.assignee_team == team

    # A member of the team claims it and reports it done.
    context, member = _as(browser, live_server, "cell_leader_2")
    member.goto(f"{live_server.url}/requests/{request.pk}/")
    member.locator("form.req-action button").first.click()
    member.wait_for_load_state()
    _act(member, "resolve", {"textarea": "已更换灯泡和开关"})
    _shot(member, "loop-4-member-resolved-360")
    context.close()
    request.refresh_from_db()
    assert request.status == Status.RESOLVED and request.assignee == cast.cell_leader_2

    # The resident opens their link again and rates it.
    page.goto(tracking_url)
    page.locator("input[name=rating][value='5']").check(force=True)
    page.locator("input[name=solved][value='yes']").check(force=True)
    page.locator("#rate button").click()
    page.wait_for_load_state()
    _shot(page, "loop-5-resident-rated-360")
    resident.close()
    request.refresh_from_db()
    assert request.status == Status.CLOSED and request.rating == 5

    # The figures page counts it.
    context, staff = _as(browser, live_server, "staff", phone=False)
    staff.goto(f"{live_server.url}/figures/?unit={cast.community.pk}&preset=this_month")
    figures = staff.inner_text("main")
    _shot(staff, "loop-6-figures")
    context.close()
    assert figures.count("100.0%") == 3  # answered in time, resolved in time, rated 5: all three rates


def test_staff_on_an_english_phone_get_chinese_and_a_two_row_bar_with_manage(browser, live_server, live_cast):
    """A community worker's phone set to English still gets Chinese; the bar keeps the daily work in two
    rows and 管理 opens, without any script, on the management pages."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="en-US", java_script_enabled=False
    )
    page = context.new_page()
    _login(page, live_server, "staff")
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    link_height = page.locator(".mainnav > a").first.bounding_box()["height"]
    assert page.locator(".mainnav").bounding_box()["height"] < 2.5 * link_height + 8  # two rows, not four
    assert not page.locator(".navmore-links").is_visible()
    page.click(".navmore > summary")
    _shot(page, "staff-manage-open-360")
    page.click('.navmore-links a[href="/leaders/"]')
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/leaders/"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
