"""Take the README's screenshots from a running demo (make run), with Debian's chromium.

.venv/bin/python scripts/screenshots.py [BASE_URL] [OUT_DIR] [REQUEST BUILDING PLAN ALERT CAMPAIGN]
(ids in the demo database; each defaults to 1)
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots")
PASSWORD = "linli-demo"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 360, "height": 740}
DESK = {"width": 1280, "height": 860}

# (file name, login, viewport, path, language)
SHOTS = [
    ("linzhang-home-phone", "linzhang", PHONE, "/", "zh-hans"),
    ("linzhang-my-households-phone", "linzhang", PHONE, "/people/mine/", "zh-hans"),
    ("zuzhang-my-households-phone", "zuzhang", PHONE, "/people/mine/", "zh-hans"),
    ("jiedao-tree", "jiedao", DESK, "/territory/", "zh-hans"),
    ("shequ-household-list", "shequ", DESK, "/people/households/", "zh-hans"),
    ("shequ-search-zgl", "shequ", DESK, "/people/search/?q=zgl", "zh-hans"),
    ("shequ-import", "shequ", DESK, "/people/import/", "zh-hans"),
    ("shequ-appointments", "shequ", DESK, "/leaders/", "zh-hans"),
    ("shequ-estates", "shequ", DESK, "/territory/estates/", "zh-hans"),
    ("jumin-my-household-phone", "jumin", PHONE, "/people/mine/", "zh-hans"),
    ("shequ-household-list-en", "shequ", DESK, "/people/households/", "en"),
    ("linzhang-requests-phone", "linzhang", PHONE, "/requests/", "zh-hans"),
    ("linzhang-request-phone", "linzhang", PHONE, "/requests/{request}/", "zh-hans"),
    ("resident-files-from-qr-phone", None, PHONE, "/r/b/{building}/", "zh-hans"),
    ("shequ-figures", "shequ", DESK, "/figures/", "zh-hans"),
    ("shequ-catalogue", "shequ", DESK, "/requests/catalogue/", "zh-hans"),
    ("linzhang-care-round-phone", "linzhang", PHONE, "/care/", "zh-hans"),
    ("linzhang-care-plan-phone", "linzhang", PHONE, "/care/plans/{plan}/", "zh-hans"),
    ("shequ-care-round", "shequ", DESK, "/care/", "zh-hans"),
    ("shequ-alert", "shequ", DESK, "/care/alerts/{alert}/", "zh-hans"),
    ("neighbour-alert-from-qr-phone", None, PHONE, "/care/alerts/b/{building}/", "zh-hans"),
    ("shequ-campaign-coverage", "shequ", DESK, "/campaigns/{campaign}/", "zh-hans"),
    ("linzhang-campaign-mark-phone", "linzhang", PHONE, "/campaigns/{campaign}/mark/", "zh-hans"),
    ("linzhang-inspection-phone", "linzhang", PHONE, "/inspections/new/", "zh-hans"),
    ("shequ-inspections", "shequ", DESK, "/inspections/", "zh-hans"),
    ("shequ-distribution", "shequ", DESK, "/care/distributions/1/", "zh-hans"),
    ("shequ-care-round-en", "shequ", DESK, "/care/", "en"),
    ("building-board-phone", None, PHONE, "/boards/b/{building}/", "zh-hans"),
    ("shequ-leader-coverage", "shequ", DESK, "/leaders/coverage/", "zh-hans"),
    ("shequ-elections", "shequ", DESK, "/leaders/elections/", "zh-hans"),
    ("jumin-my-cell-phone", "jumin", PHONE, "/leaders/my-cell/", "zh-hans"),
    ("shequ-partition", "shequ", DESK, "/partition/", "zh-hans"),
]


def main(request_id="1", building_id="1", plan_id="1", alert_id="1", campaign_id="1"):
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, login, viewport, path, language in SHOTS:
            context = browser.new_context(viewport=viewport)
            context.add_cookies([{"name": "django_language", "value": language, "url": BASE}])
            page = context.new_page()
            if login:
                page.goto(f"{BASE}/accounts/login/")
                page.fill("input[name=username]", login)
                page.fill("input[name=password]", PASSWORD)
                page.click("button.btn-primary")
                page.wait_for_load_state()
            page.goto(
                BASE
                + path.format(
                    request=request_id,
                    building=building_id,
                    plan=plan_id,
                    alert=alert_id,
                    campaign=campaign_id,
                )
            )
            page.wait_for_load_state()
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
            print(name, page.evaluate("document.documentElement.scrollWidth"), page.url)
            context.close()
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[3:8])
