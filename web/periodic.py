"""The periodic job: every time-based rule of the platform, called from one place.

`manage.py run_periodic --loop` calls `periodic_pass()` once a minute. Each rule is a service that finds
what is due, locks each row (select_for_update or a conditional update) and re-checks it before acting,
so a pass is idempotent and two copies of the job running at once move each request exactly once.
Nothing else in the code base polls the clock (ENGINEERING.md).

Rules now: requests past their level's deadline go up a level (逐级上报); resolved requests nobody
complained about within 7 days close. Care reminders join here later.
"""

import time

from django.utils import timezone

from figures.services import rollup_refresh
from service_requests.services import requests_close_unrated, requests_escalate_overdue

# requests_escalate_overdue handles at most this many requests per call; a pass calls it again while
# batches come back full, up to MAX_ROUNDS (the next pass goes on from there).
BATCH = 500
MAX_ROUNDS = 20


def periodic_pass(now=None) -> dict:
    """Run every periodic rule once. Returns counts of what it did and how long it took (`seconds`)."""
    started = time.perf_counter()
    now = now or timezone.now()
    escalated = 0
    for _round in range(MAX_ROUNDS):
        moved = requests_escalate_overdue(now=now, batch=BATCH)
        escalated += moved
        if moved < BATCH:
            break
    closed = requests_close_unrated(now=now)
    rolled_up = rollup_refresh(now=now)
    return {
        "escalated": escalated,
        "closed": closed,
        "days_rolled_up": rolled_up,
        "seconds": round(time.perf_counter() - started, 3),
    }


def periodic_did_something(counts: dict) -> bool:
    return any(value for key, value in counts.items() if key != "seconds")
