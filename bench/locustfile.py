"""Locust users for the district benchmark (bench/district.py runs this; it is not meant to be run alone).

    locust -f bench/locustfile.py --headless -u 20 -r 5 -t 60s --host http://127.0.0.1:PORT \
        LeaderUser ResidentUser StaffUser StreetAdminUser FloorUser

The driver passes, through the environment:
- LINLI_BENCH_DATA     a JSON file with the users, care plans, buildings and tracking links to use
                       (picked from the district database by bench/district.py)
- LINLI_BENCH_SAMPLES  where to write every request's timing (name, ms, ok, start time) at the end
- LINLI_BENCH_WAIT     think time between a user's tasks, "min,max" seconds ("0,0" for the capacity runs)
- LINLI_BENCH_MIX      "leader=8,resident=4,staff=4,admin=2,floor=2": users of each class in the mix

Every task's request is named after an endpoint group of bench/district.py (see NAMES there). Logging in
("login") is not measured: Argon2 makes it slow on purpose. Users log in once, in on_start.

Production settings send the session and CSRF cookies with the Secure flag; the users' cookie policy sends
them over loopback HTTP anyway (in production TLS ends at the reverse proxy in front of gunicorn).
"""

import json
import os
import random
import re
import time
from http.cookiejar import DefaultCookiePolicy

from locust import FastHttpUser, between, constant, events, task

with open(os.environ["LINLI_BENCH_DATA"], encoding="utf-8") as data_file:
    DATA = json.load(data_file)
PASSWORD = DATA["password"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REQUEST_LINK = re.compile(r'href="/requests/(\d+)/"')
SAMPLES: list = []


def _wait():
    low, _sep, high = os.environ.get("LINLI_BENCH_WAIT", "1,3").partition(",")
    low, high = float(low), float(high or low)
    return constant(low) if low == high else between(low, high)


def _mix() -> dict[str, int]:
    text = os.environ.get("LINLI_BENCH_MIX", "")
    return {k: int(v) for k, _sep, v in (part.partition("=") for part in text.split(",") if part)}


MIX = _mix()


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, start_time=None, **_kw):
    SAMPLES.append([name, round(response_time, 2), exception is None, start_time or time.time()])


@events.quitting.add_listener
def _dump(environment, **_kw):
    path = os.environ.get("LINLI_BENCH_SAMPLES")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(SAMPLES, out)


def _token(text: str) -> str:
    found = CSRF.search(text or "")
    return found.group(1) if found else ""


def _filing(building: dict, token: str) -> dict:
    """A filing from the building's QR page: one of its street's kinds, a random mobile number."""
    return {
        "csrfmiddlewaretoken": token,
        "kind": random.choice(building["kinds"]),
        "description": random.choice(DATA["descriptions"]) + f"（压测 {random.randrange(10**6)}）",
        "phone": f"1{random.choice('3589')}{random.randrange(10**9):09d}",
        "name": "",
    }


class BenchUser(FastHttpUser):
    abstract = True
    wait_time = _wait()

    def on_start(self):
        # Secure cookies over loopback HTTP (see the module's docstring).
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=("https", "wss", "http")))


class LoggedInUser(BenchUser):
    abstract = True
    usernames: list[str] = []

    def on_start(self):
        super().on_start()
        self.username = random.choice(self.usernames)
        page = self.client.get("/accounts/login/", name="login")
        response = self.client.post(
            "/accounts/login/",
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": _token(page.text)},
            name="login",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"could not log in as {self.username}: HTTP {response.status_code}")


class LeaderUser(LoggedInUser):
    """A 邻长: their households, today's round, a care plan opened from the round and a contact logged,
    now and then their requests."""

    fixed_count = MIX.get("leader", 0)
    usernames = list(DATA["leaders"])

    def on_start(self):
        super().on_start()
        self.plans = DATA["leaders"][self.username]

    @task(4)
    def my_households(self):
        self.client.get("/people/mine/", name="leader: my households")

    @task(4)
    def round_today(self):
        self.client.get("/care/", name="leader: today's round")

    @task(2)
    def log_contact(self):
        plan = random.choice(self.plans)
        page = self.client.get(f"/care/plans/{plan}/?from=round", name="leader: care plan")
        data = {
            "csrfmiddlewaretoken": _token(page.text),
            "kind": random.choice(["online", "phone", "visit"]),
            "wellbeing": random.choices(["well", "concern"], weights=[9, 1])[0],
            "note": "",
            "next": "round",
        }
        with self.client.post(
            f"/care/plans/{plan}/",
            data=data,
            name="leader: log contact",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"HTTP {response.status_code}")

    @task(1)
    def my_requests_queue(self):
        self.client.get("/requests/?tab=waiting", name="leader: requests queue")


class ResidentUser(BenchUser):
    """A resident without an account: scans the QR code on their building's board, files a request, reads
    its tracking page; others come back to an older request's tracking page. Phones and buildings are
    spread so the limits on anonymous filing (3 an hour a phone, 20 an hour a building) are not reached."""

    fixed_count = MIX.get("resident", 0)

    def _file(self, name_page: str, name_track: str | None):
        building = random.choice(DATA["buildings"])
        page = self.client.get(f"/r/b/{building['id']}/", name=name_page)
        with self.client.post(
            f"/r/b/{building['id']}/",
            data=_filing(building, _token(page.text)),
            name="resident: file a request",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"HTTP {response.status_code}")
                return
            location = response.headers.get("Location", "")
        if name_track:
            self.client.get(location, name=name_track)

    @task(2)
    def file_from_building(self):
        self._file("resident: building page", "resident: tracking page")

    @task(1)
    def read_tracking_page(self):
        self.client.get(f"/r/{random.choice(DATA['tokens'])}/", name="resident: tracking page")


class StaffUser(LoggedInUser):
    """Community staff: page through the queue's tabs and open requests' timelines from it."""

    fixed_count = MIX.get("staff", 0)
    usernames = DATA["staff"]
    tabs = ["waiting", "waiting", "open", "overdue", "closed"]
    pages = [1, 1, 1, 2, 2, 3, 4, 5, 10]

    def on_start(self):
        super().on_start()
        self.seen: list[str] = []

    @task(3)
    def queue(self):
        url = f"/requests/?tab={random.choice(self.tabs)}&page={random.choice(self.pages)}"
        response = self.client.get(url, name="staff: queue page")
        found = REQUEST_LINK.findall(response.text or "")
        if found:
            self.seen = found

    @task(2)
    def timeline(self):
        if self.seen:
            self.client.get(f"/requests/{random.choice(self.seen)}/", name="staff: request timeline")


class StreetAdminUser(LoggedInUser):
    """A street's admin: the figures page for this month and for this year."""

    fixed_count = MIX.get("admin", 0)
    usernames = DATA["street_admins"]

    @task(1)
    def month(self):
        self.client.get("/figures/?period=this_month", name="figures: street, month")

    @task(1)
    def year(self):
        self.client.get("/figures/?period=last_12_months", name="figures: street, 12 months")


class FloorUser(LoggedInUser):
    """The floor: the cheapest authenticated page (session, middleware, the user), side by side."""

    fixed_count = MIX.get("floor", 0)
    usernames = list(DATA["leaders"])

    @task
    def floor(self):
        self.client.get("/bench/floor/", name="floor")


class FilerUser(BenchUser):
    """The capacity runs: anonymous filings back to back (the building page is read once for the token,
    as a phone keeps the form open)."""

    fixed_count = 0

    def on_start(self):
        super().on_start()
        building = random.choice(DATA["buildings"])
        page = self.client.get(f"/r/b/{building['id']}/", name="resident: building page")
        self.token = _token(page.text)

    @task
    def file_from_building(self):
        building = random.choice(DATA["buildings"])
        with self.client.post(
            f"/r/b/{building['id']}/",
            data=_filing(building, self.token),
            name="resident: file a request",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"HTTP {response.status_code}")
