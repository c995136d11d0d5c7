"""On a phone (360 px): a resident opens the board the QR code leads to, sees whom to call, and prints
it; staff go from the estate page to the board and print every building's board at once. Screenshots
land in test-artifacts/ for a person to look at."""

import os
import shutil
from pathlib import Path

import pytest

from boards.tests import pdftools
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
def cast(transactional_db):
    return build_cast()


def _phone(browser):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=1, locale="zh-CN"
    )
    return context.new_page()


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def test_resident_scans_reads_the_board_and_prints_it(browser, live_server, cast, boarded, tmp_path):
    page = _phone(browser)
    page.goto(f"{live_server.url}/boards/b/{boarded.b1.pk}/")
    main = page.inner_text("main")
    assert "社区民警" in main and "李警官" in main and "13900000110" in main
    assert "邻长" in main and "王建国" in main and "13800000003" in main
    assert _fits_the_phone(page)
    _shot(page, "board-building-phone")

    link = page.locator("a.board-print")
    assert link.is_visible()
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    path = pdftools.write(tmp_path, response.body())
    if shutil.which("pdftotext"):
        assert "王建国" in pdftools.text(path)


def test_resident_taps_report_a_problem_from_the_board(browser, live_server, cast, boarded):
    page = _phone(browser)
    page.goto(f"{live_server.url}/boards/b/{boarded.b1.pk}/")
    page.click("a.btn-huge")
    page.wait_for_url(f"{live_server.url}/r/b/{boarded.b1.pk}/")


def test_staff_print_all_boards_of_an_estate(browser, live_server, cast, boarded, tmp_path):
    page = _phone(browser)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "staff")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.btn-primary")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/territory/estates/{boarded.estate.pk}/")
    page.click(f'a[href="/boards/e/{boarded.estate.pk}/"]')
    page.wait_for_url(f"{live_server.url}/boards/e/{boarded.estate.pk}/")
    assert "2栋" in page.inner_text("main")
    assert _fits_the_phone(page)
    _shot(page, "board-estate-phone")

    href = page.locator("a.board-print-all").get_attribute("href")
    response = page.request.get(live_server.url + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    if shutil.which("pdfinfo"):
        assert pdftools.pages(pdftools.write(tmp_path, response.body())) == 3
