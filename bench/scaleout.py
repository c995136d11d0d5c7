"""Scale-out check (issue #5; the README's "Scaling past one machine"): the same code as two gunicorn
instances on two ports against one PostgreSQL, sessions in Redis, background tasks on an RQ worker, and
uploaded files in an S3-compatible bucket, driven over HTTP as a round-robin proxy would.

    make bench-scaleout      (or: .venv/bin/python bench/scaleout.py [--requests 400])

Steps:
1. a fresh database `linli_scaleout` on the local PostgreSQL (dropped and created again), migrated, with
   the demo street seeded (LINLI_SCALEOUT_DATABASE_URL overrides: it must name a database this may
   drop);
2. an S3 server (moto, a dev dependency) on a free loopback port with a private bucket; Redis database 3
   on the local Redis, emptied for the run (LINLI_SCALEOUT_REDIS_URL overrides);
3. two gunicorn instances, A and B, on two free ports with production settings and LINLI_SESSION_ENGINE=
   cache, LINLI_TASKS_BACKEND=rq, LINLI_MEDIA_STORAGE=s3;
4. the checks, each across the instances: a login on A is a login on B; a resident files a request with
   a photo on A and reads it, photo included, on B; staff answer it on B and the SMS to the resident
   waits in Redis until an RQ worker (`manage.py rqworker --burst`) sends it; logging out on B logs out
   on A; then N page loads alternated between A and B with one session;
5. writes bench/scaleout.json and bench/scaleout.md; exits 1 when a check failed.

What it does not test (the README says so): read replicas (the routing is tested in the suite), a real
reverse proxy, several machines.
"""

import argparse
import datetime
import io
import json
import logging
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from district import (  # noqa: E402 — bench/ is not a package
    ROOT,
    VENV_BIN,
    django_setup,
    free_port,
    gunicorn_start,
    gunicorn_stop,
    loadavg,
    machine,
    percentile,
    static_ensure,
)

OUT = ROOT / "bench" / "out"
DEFAULT_DATABASE_URL = "postgres://root@127.0.0.1:5432/linli_scaleout"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"
PASSWORD = "linli-demo"
STAFF = "shequ"  # the demo street's community staff (web.demo.DEMO_LOGINS)
PHONE = "13900001234"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def run(command: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, check=True, **kwargs)


def database_recreate(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[-1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def s3_start():
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per S3 call
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="linli", aws_secret_access_key="linli-secret",
        region_name="us-east-1",
    )  # fmt: skip


def environment(database_url: str, redis_url: str, s3_endpoint: str, bucket: str) -> dict:
    """What every instance and the worker run with: the production settings of a several-machine setup."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update({
        "DATABASE_URL": database_url,
        "LINLI_DEBUG": "0",
        "LINLI_ALLOWED_HOSTS": "127.0.0.1",
        "LINLI_SECRET_KEY": secrets.token_urlsafe(48),  # one key for all instances, as in production
        "LINLI_FIELD_KEY": secrets.token_urlsafe(32),
        "LINLI_STATIC_ROOT": str(ROOT / "var" / "bench" / "static"),
        "LINLI_REDIS_URL": redis_url,
        "LINLI_SESSION_ENGINE": "cache",
        "LINLI_TASKS_BACKEND": "rq",
        "LINLI_MEDIA_STORAGE": "s3",
        "LINLI_S3_BUCKET": bucket,
        "LINLI_S3_ENDPOINT_URL": s3_endpoint,
        "LINLI_S3_ACCESS_KEY": "linli",
        "LINLI_S3_SECRET_KEY": "linli-secret",
        "LINLI_S3_REGION": "us-east-1",
        "LINLI_S3_ADDRESSING_STYLE": "path",
        "LINLI_S3_PREFIX": "media",
        "LINLI_LOG_LEVEL": "INFO",
        "LINLI_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONDONTWRITEBYTECODE": "1",
    })  # fmt: skip
    return env


# ---- HTTP as a browser behind the proxy would speak it ------------------------------------------------


def browser():
    """A requests session that sends the production cookies (Secure) over loopback HTTP, as the TLS of
    the proxy in front would: every response may set the CSRF cookie again, each time Secure."""
    import requests

    class Browser(requests.Session):
        def request(self, *args, **kwargs):
            response = super().request(*args, **kwargs)
            for cookie in self.cookies:
                cookie.secure = False
            return response

    session = Browser()
    session.trust_env = False
    return session


def token_of(text: str) -> str:
    found = CSRF.search(text)
    if not found:
        raise AssertionError("no CSRF token on the page")
    return found.group(1)


def login(session, host: str, username: str) -> int:
    page = session.get(f"{host}/accounts/login/")
    response = session.post(
        f"{host}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token_of(page.text)},
        allow_redirects=False,
    )
    return response.status_code


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


class Checks:
    def __init__(self):
        self.rows: list[dict] = []

    def record(self, name: str, ok: bool, detail: str) -> bool:
        self.rows.append({"check": name, "ok": bool(ok), "detail": detail})
        print(f"  [{'ok' if ok else 'FAILED'}] {name}: {detail}", flush=True)
        return bool(ok)

    @property
    def passed(self) -> bool:
        return all(row["ok"] for row in self.rows)


def building_on_the_board() -> int:
    """A building of the demo street with households: its board carries a QR code."""
    from territory.models import Building

    return (
        Building.objects.filter(entrances__households__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[0]
    )


def request_id_of(description: str) -> int:
    from service_requests.models import Request

    return Request.objects.get(description=description).pk


def checks_run(env: dict, a: str, b: str, s3, bucket: str, redis_url: str, count: int) -> tuple[Checks, dict]:
    import redis
    from rq import Queue

    checks = Checks()
    staff = browser()
    status = login(staff, a, STAFF)
    on_b = staff.get(f"{b}/requests/", allow_redirects=False)
    checks.record(
        "a login on A is a login on B",
        status == 302 and on_b.status_code == 200,
        f"login on A: HTTP {status}; the queue on B with that cookie: HTTP {on_b.status_code}",
    )

    resident = browser()
    building = building_on_the_board()
    page = resident.get(f"{a}/r/b/{building}/")
    kinds = re.findall(r'name="kind" value="(\d+)"', page.text)
    description = f"楼道灯坏了（扩展测试 {secrets.token_hex(3)}）"
    picture = png_bytes()
    filed = resident.post(
        f"{a}/r/b/{building}/",
        data={
            "csrfmiddlewaretoken": token_of(page.text), "kind": kinds[0], "description": description,
            "phone": PHONE, "name": "",
        },
        files=[("photos", ("灯.png", picture, "image/png"))],
        allow_redirects=False,
    )  # fmt: skip
    location = filed.headers.get("Location", "")
    track = resident.get(f"{b}{location}") if location else None
    photo_links = re.findall(r'(/r/[^/"]+/photos/\d+/)', track.text) if track is not None else []
    photo = resident.get(f"{b}{photo_links[0]}") if photo_links else None
    objects = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    checks.record(
        "a request filed with a photo on A is read, photo included, on B",
        filed.status_code == 302
        and track is not None
        and track.status_code == 200
        and description in track.text
        and photo is not None
        and photo.status_code == 200
        and photo.content == picture
        and len(objects) == 1,
        f"filing on A: HTTP {filed.status_code}; tracking page on B: "
        f"{track.status_code if track is not None else '-'}; photo on B: "
        f"{photo.status_code if photo is not None else '-'}, "
        f"{'the same bytes' if photo is not None and photo.content == picture else 'different'}; "
        f"objects in the bucket: {objects}",
    )

    connection = redis.Redis.from_url(redis_url)
    queue = Queue("default", connection=connection)
    waiting_before = queue.count
    pk = request_id_of(description)
    detail = staff.get(f"{b}/requests/{pk}/")
    answer = "明天上午物业来修（扩展测试）"
    answered = staff.post(
        f"{b}/requests/{pk}/act/respond/",
        data={"csrfmiddlewaretoken": token_of(detail.text), "message": answer, "public": "on"},
        allow_redirects=False,
    )
    waiting = queue.count - waiting_before
    worker = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "rqworker", "--burst", "--job-class", "django_tasks_rq.Job",
         "default"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    worker_log = worker.stdout + worker.stderr
    sms_lines = [line for line in worker_log.splitlines() if f"SMS to {PHONE}" in line]
    checks.record(
        "staff answer on B; the SMS waits in Redis until an RQ worker sends it",
        answered.status_code == 302 and waiting >= 1 and worker.returncode == 0 and
        any(answer in line for line in sms_lines) and queue.count == 0,
        f"answer on B: HTTP {answered.status_code}; jobs queued in Redis: {waiting}; rqworker --burst exit "
        f"{worker.returncode}, its log: {sms_lines[-1].strip() if sms_lines else 'no SMS line'}; "
        f"left in the queue: {queue.count}",
    )  # fmt: skip

    timings = {"A": [], "B": []}
    statuses: list[int] = []

    def load(i: int) -> None:
        name, host = ("A", a) if i % 2 == 0 else ("B", b)
        started = time.perf_counter()
        response = staff.get(f"{host}/requests/?tab=open", allow_redirects=False)
        timings[name].append((time.perf_counter() - started) * 1000)
        statuses.append(response.status_code)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(load, range(count)))
    elapsed = time.perf_counter() - started
    spread = {
        name: {
            "requests": len(values),
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(sorted(values), 95), 1),
        }
        for name, values in timings.items()
    }
    checks.record(
        "page loads alternated between A and B with one session",
        statuses.count(200) == count,
        f"{statuses.count(200)} of {count} answered 200 (8 at a time, {count / elapsed:.0f} pages/s); "
        + "; ".join(f"{k}: p50 {v['p50_ms']} ms, p95 {v['p95_ms']} ms" for k, v in spread.items()),
    )

    logout_page = staff.get(f"{b}/requests/")
    logout = staff.post(
        f"{b}/accounts/logout/",
        data={"csrfmiddlewaretoken": token_of(logout_page.text)},
        allow_redirects=False,
    )
    after = staff.get(f"{a}/requests/", allow_redirects=False)
    checks.record(
        "logging out on B logs out on A",
        logout.status_code == 302
        and after.status_code == 302
        and "/accounts/login/" in after.headers["Location"],
        f"logout on B: HTTP {logout.status_code}; the queue on A afterwards: HTTP {after.status_code} to "
        f"{after.headers.get('Location', '')}",
    )
    return checks, {"load": spread, "load_requests": count, "load_seconds": round(elapsed, 2)}


def markdown(results: dict) -> str:
    lines = [
        "# Scale-out check",
        "",
        f"{results['date']} on {results['machine']['cpu']} ({results['machine']['cores']} cores), "
        f"load average before: {results['loadavg']}. Made by `make bench-scaleout` (bench/scaleout.py).",
        "",
        "Two gunicorn instances (A and B, 2 workers x 2 threads each) on two ports against one PostgreSQL "
        "database (the demo street), sessions in Redis (`LINLI_SESSION_ENGINE=cache`), tasks on RQ "
        "(`LINLI_TASKS_BACKEND=rq`, one `rqworker --burst`), uploaded files in an S3 bucket "
        "(`LINLI_MEDIA_STORAGE=s3`, moto's S3 server on loopback). The script plays the proxy: it sends "
        "each request to A or B.",
        "",
        "| check | result | what was seen |",
        "| --- | --- | --- |",
    ]
    for row in results["checks"]:
        lines.append(f"| {row['check']} | {'ok' if row['ok'] else '**failed**'} | {row['detail']} |")
    lines += [
        "",
        "The page timings show that both instances serve under concurrency, not what they can carry: the "
        "client, both instances, PostgreSQL, Redis and the S3 server share the machine's cores (capacity is "
        "measured by `make bench`).",
        "",
        "Not tested here: read replicas (their routing is tested in the suite, linli/tests/test_db_router.py), "
        "a real reverse proxy, several machines.",
        "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=400, help="page loads spread over A and B")
    args = parser.parse_args()
    database_url = os.environ.get("LINLI_SCALEOUT_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("LINLI_SCALEOUT_REDIS_URL", DEFAULT_REDIS_URL)
    OUT.mkdir(parents=True, exist_ok=True)
    before = loadavg()

    import redis

    redis.Redis.from_url(redis_url).flushdb()
    s3_server, endpoint = s3_start()
    bucket = f"linli-{secrets.token_hex(4)}"
    s3 = s3_client(endpoint)
    s3.create_bucket(Bucket=bucket)
    env = environment(database_url, redis_url, endpoint, bucket)

    print(f"Database {database_url.rsplit('@', 1)[-1]}: created again, migrated, the demo street seeded ...")
    started = time.perf_counter()
    database_recreate(database_url)
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    run([sys.executable, "manage.py", "seed_demo", "--if-empty"], env, stdout=subprocess.DEVNULL)
    django_setup(env)  # collectstatic's fingerprint reads the settings
    static_ensure(env)
    print(f"  ready in {time.perf_counter() - started:.0f} s", flush=True)

    servers, hosts = [], []
    try:
        for name in ("a", "b"):
            port = free_port()
            servers.append(gunicorn_start(env, port, 2, 2, OUT / f"scaleout-gunicorn-{name}.log"))
            hosts.append(f"http://127.0.0.1:{port}")
        print(f"Instances: A {hosts[0]}, B {hosts[1]}; checks:", flush=True)
        checks, figures = checks_run(env, hosts[0], hosts[1], s3, bucket, redis_url, args.requests)
    finally:
        for server in servers:
            gunicorn_stop(server)
        s3_server.stop()

    results = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "loadavg": before,
        "checks": checks.rows,
        **figures,
    }
    (ROOT / "bench" / "scaleout.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    (ROOT / "bench" / "scaleout.md").write_text(markdown(results))
    print("Wrote bench/scaleout.json and bench/scaleout.md")
    sys.exit(0 if checks.passed else 1)


if __name__ == "__main__":
    main()
