"""The periodic job: every time-based rule of the platform, called from one place.

`manage.py run_periodic --loop` calls `periodic_pass()` once a minute. Each rule is a service that finds
what is due, locks each row (select_for_update or a conditional update) and re-checks it before acting,
so a pass is idempotent and two copies of the job running at once act on each thing exactly once.
Nothing else in the code base polls the clock (ENGINEERING.md).

Rules: requests past their level's deadline go up a level (逐级上报); resolved requests nobody complained
about within 7 days close; care plans follow a 邻长 whose term starts or ends today; overdue care is told to the 组长 and then the 片长; once a day, from 07:00,
each carer hears who is due; queued outbound messages (email, group robots) go out; once a day, finished task results older than a day
(they hold reporters' phones) are forgotten; the figures' rollups catch up.
"""

import datetime
import time

from django.db import IntegrityError, transaction
from django.utils import timezone

from care.services import care_carers_follow_appointments, care_due_remind, care_overdue_escalate
from figures.services import rollup_refresh
from notices.services import outbound_deliver, task_results_prune
from service_requests.services import requests_close_unrated, requests_escalate_overdue
from web.models import DailyRun

# requests_escalate_overdue handles at most this many requests per call; a pass calls it again while
# batches come back full, up to MAX_ROUNDS (the next pass goes on from there).
BATCH = 500
MAX_ROUNDS = 20
# The daily care reminder waits for the morning: nobody should be woken by the round at midnight.
MORNING = datetime.time(7, 0)


def daily_claim(rule: str, day: datetime.date) -> bool:
    """True for the one caller that first claims `rule` for `day`."""
    try:
        with transaction.atomic():
            DailyRun.objects.create(rule=rule, day=day)
        return True
    except IntegrityError:
        return False


def periodic_pass(now=None) -> dict:
    """Run every periodic rule once. Returns counts of what it did and how long it took (`seconds`)."""
    started = time.perf_counter()
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    escalated = 0
    for _round in range(MAX_ROUNDS):
        moved = requests_escalate_overdue(now=now, batch=BATCH)
        escalated += moved
        if moved < BATCH:
            break
    closed = requests_close_unrated(now=now)
    carers_moved = 0
    if daily_claim("care_carers_follow", today):
        carers_moved = care_carers_follow_appointments(today=today)
    care_told = {"group": 0, "area": 0}
    for _round in range(MAX_ROUNDS):
        told = care_overdue_escalate(today=today, batch=BATCH)
        care_told = {k: care_told[k] + told[k] for k in care_told}
        if told["group"] < BATCH and told["area"] < BATCH:
            break
    reminded = 0
    if timezone.localtime(now).time() >= MORNING and daily_claim("care_due_remind", today):
        reminded = care_due_remind(today=today)
    sent = outbound_deliver(now=now)
    pruned = task_results_prune(now=now) if daily_claim("task_results_prune", today) else 0
    rolled_up = rollup_refresh(now=now)
    return {
        "escalated": escalated,
        "closed": closed,
        "care_plans_new_carer": carers_moved,
        "care_told_group": care_told["group"],
        "care_told_area": care_told["area"],
        "carers_reminded": reminded,
        "outbound_sent": sent,
        "task_results_pruned": pruned,
        "days_rolled_up": rolled_up,
        "seconds": round(time.perf_counter() - started, 3),
    }


def periodic_did_something(counts: dict) -> bool:
    return any(value for key, value in counts.items() if key != "seconds")
