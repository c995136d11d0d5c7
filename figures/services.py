"""Keeping the daily rollups (figures.models): rebuilt from raw requests in bulk, never edited by hand.

`rollup_refresh()` is what the periodic job calls: it rebuilds the past days that were never rolled up
and those whose requests changed since (every change writes a RequestEvent). `rollup_rebuild()` redoes
a range of days outright (`manage.py figures_rollup --days N`).
"""

import datetime

from django.db import transaction
from django.db.models import Max
from django.db.models.functions import TruncDate
from django.utils import timezone

from figures.models import RequestDailyDurations, RequestDailyRollup, RollupDay
from figures.selectors import COUNTS, STALE_MARGIN, day_bounds, histogram_add, request_rows
from service_requests.models import Request, RequestEvent

CHUNK_DAYS = 31
REFRESH_WINDOW_DAYS = 400


def rollup_rebuild(day_from: datetime.date, day_to: datetime.date, *, now=None) -> int:
    """Recompute the rollups of the local days from `day_from` to `day_to` (inclusive) from raw rows,
    a month per transaction. Returns the number of rollup rows written."""
    written = 0
    chunk_start = day_from
    while chunk_start <= day_to:
        chunk_end = min(chunk_start + datetime.timedelta(days=CHUNK_DAYS - 1), day_to)
        written += _rebuild_chunk(chunk_start, chunk_end, now or timezone.now())
        chunk_start = chunk_end + datetime.timedelta(days=1)
    return written


@transaction.atomic
def _rebuild_chunk(first: datetime.date, last: datetime.date, now) -> int:
    # Taken before reading: a change committed while we read is newer than built_at, so it marks the
    # day stale again rather than being lost.
    built_at = now
    low, high = day_bounds(first, last)
    requests = Request.objects.filter(created_at__gte=low, created_at__lt=high)
    rollups = [
        RequestDailyRollup(
            day=row["day"],
            street_id=row["street_id"],
            community_id=row["community_id"],
            kind_id=row["kind_id"],
            channel=row["channel"],
            **{name: row[name] for name in COUNTS},
        )
        for row in request_rows(requests, "street_id", "community_id")
    ]
    histograms: dict[tuple, tuple[dict, dict]] = {}
    durations = (
        requests.exclude(responded_at__isnull=True, resolved_at__isnull=True)
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "street_id", "community_id", "created_at", "responded_at", "resolved_at")
        .order_by()
    )
    for day, street_id, community_id, created, responded, resolved in durations.iterator(chunk_size=5000):
        response, resolution = histograms.setdefault((day, street_id, community_id), ({}, {}))
        if responded is not None:
            histogram_add(response, (responded - created).total_seconds() / 3600)
        if resolved is not None:
            histogram_add(resolution, (resolved - created).total_seconds() / 3600)
    RequestDailyRollup.objects.filter(day__gte=first, day__lte=last).delete()
    RequestDailyDurations.objects.filter(day__gte=first, day__lte=last).delete()
    RollupDay.objects.filter(day__gte=first, day__lte=last).delete()
    RequestDailyRollup.objects.bulk_create(rollups, batch_size=2000)
    RequestDailyDurations.objects.bulk_create(
        [
            RequestDailyDurations(
                day=day,
                street_id=street_id,
                community_id=community_id,
                response_hours=response,
                resolution_hours=resolution,
            )
            for (day, street_id, community_id), (response, resolution) in histograms.items()
        ],
        batch_size=2000,
    )
    days = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    RollupDay.objects.bulk_create([RollupDay(day=day, built_at=built_at) for day in days])
    return len(rollups)


def rollup_days_due(now=None, window_days: int = REFRESH_WINDOW_DAYS) -> list[datetime.date]:
    """Past days (within the window) never rolled up, or whose requests changed after their rollup."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    first = today - datetime.timedelta(days=window_days)
    built = dict(
        RollupDay.objects.filter(day__gte=first, day__lt=today).values_list("day", "built_at").order_by()
    )
    due = {first + datetime.timedelta(days=i) for i in range(window_days)} - set(built)
    if built:
        low, _high = day_bounds(first, today)
        changed = (
            RequestEvent.objects.filter(
                created_at__gte=min(built.values()) - STALE_MARGIN, request__created_at__gte=low
            )
            .annotate(day=TruncDate("request__created_at"))
            .values("day")
            .annotate(last=Max("created_at"))
            .order_by()
        )
        for row in changed:
            if row["day"] in built and row["last"] >= built[row["day"]] - STALE_MARGIN:
                due.add(row["day"])
    return sorted(due)


def rollup_refresh(now=None, window_days: int = REFRESH_WINDOW_DAYS) -> int:
    """Rebuild the days that are due (runs of consecutive days at once). Returns the days rebuilt."""
    days = rollup_days_due(now, window_days)
    runs: list[list[datetime.date]] = []
    for day in days:
        if runs and day - runs[-1][1] == datetime.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    for first, last in runs:
        rollup_rebuild(first, last, now=now)
    return len(days)
