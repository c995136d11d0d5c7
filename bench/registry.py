"""Registry benchmark: roster import speed and page timings on the demo street.

    make bench-registry   (or: .venv/bin/python bench/registry.py [--rows 10000])

Builds a throw-away SQLite database (or uses DATABASE_URL), loads the demo street, then measures:
- importing a generated N-row roster (.xlsx) with manage.py's service, then re-importing it unchanged;
- the tree, household list, "my households" and search pages: median of repeated requests and the
  number of queries each makes.
Writes bench/out/registry.json and prints a Markdown table.
"""

import argparse
import datetime
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LINLI_VAR_DIR", tempfile.mkdtemp(prefix="linli-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from linli.testing import make_id_number  # noqa: E402
from people.roster import COLUMNS, roster_import  # noqa: E402
from territory.models import Level, TerritoryUnit  # noqa: E402


def roster_bytes(rows: int) -> bytes:
    """N valid rows, three residents a household, unique ID numbers (region code varies every 420 rows)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(COLUMNS)
    for i in range(rows):
        birth = datetime.date(1940 + i % 60, 1 + i % 12, 1 + i % 28)
        gender = "M" if i % 2 else "F"
        values = {
            "姓名": f"测试{i:05d}",
            "性别": "男" if gender == "M" else "女",
            "身份证号": make_id_number(birth, gender, region=f"43{i // 420 % 100:02d}01", seq=7),
            "联系电话": f"139{i:08d}",
            "与户主关系": "户主" if i % 3 == 0 else "子女",
            "小区": "基准小区",
            "楼栋": f"{i // 300 + 1}栋",
            "单元": f"{i // 100 % 3 + 1}单元",
            "房号": f"{i // 3 % 33 + 1}0{i % 3 + 1}",
            "居住状态": "常住",
        }
        sheet.append([values.get(c, "") for c in COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def timed(fn, repeat=1):
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, times


def page(client, url, repeat=7):
    client.get(url)  # warm caches and the template loader
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    _, times = timed(lambda: client.get(url), repeat)
    return {"median_ms": round(statistics.median(times) * 1000, 1), "queries": len(queries)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    _, seed_times = timed(lambda: call_command("seed_demo", "--if-empty", stdout=io.StringIO()))
    community = TerritoryUnit.objects.get(level=Level.COMMUNITY, name="幸福社区")
    staff = User.objects.get(username="shequ")
    data = roster_bytes(args.rows)
    first, first_times = timed(lambda: roster_import(actor=staff, community=community, data=data))
    again, again_times = timed(lambda: roster_import(actor=staff, community=community, data=data))

    results = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": connection.vendor,
        "seed_demo_s": round(seed_times[0], 2),
        "import": {
            "rows": args.rows,
            "first_s": round(first_times[0], 2),
            "first": first.line(),
            "reimport_s": round(again_times[0], 2),
            "reimport": again.line(),
        },
        "pages": {},
    }
    pages = [
        ("tree, street admin", "jiedao", "/territory/"),
        ("household list, staff", "shequ", "/people/households/"),
        ("household list page 20, staff", "shequ", "/people/households/?page=20"),
        ("search 'zgl', staff", "shequ", "/people/search/?q=zgl"),
        ("my households, 邻长", "linzhang", "/people/mine/"),
        ("my households, 组长", "zuzhang", "/people/mine/"),
        ("api households, staff", "shequ", "/api/people/households"),
    ]
    for label, username, url in pages:
        client = Client()
        client.force_login(User.objects.get(username=username))
        results["pages"][label] = page(client, url)

    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "registry.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"# Registry benchmark — {results['date']}, {results['machine']}, {results['database']}\n")
    print(f"- seed_demo: {results['seed_demo_s']} s")
    imp = results["import"]
    print(f"- import {imp['rows']} rows: {imp['first_s']} s ({imp['first']})")
    print(f"- re-import unchanged: {imp['reimport_s']} s ({imp['reimport']})\n")
    print("| page | median ms | queries |\n| --- | ---: | ---: |")
    for label, figures in results["pages"].items():
        print(f"| {label} | {figures['median_ms']} | {figures['queries']} |")


if __name__ == "__main__":
    main()
