"""The figures of residents' requests for a territory unit and a period, scoped to the viewer.

Definitions (shown on the page's footnote too), over the requests filed in the period whose place (their
cell, else their community, else the street) lies in the unit:
- response rate: first answered by the overall response deadline (responded_at <= response_due_at) / all;
- resolution rate: resolved by the overall resolution deadline (resolved_at <= resolution_due_at) / all;
  a request solved on the spot counts as answered and resolved in time;
- satisfaction rate: rated 4 or 5 / rated;
- handled: resolved or closed, and not merged into another request;
- overdue now: still open and either unanswered past its response deadline or past its resolution one.

Two ways to the same numbers: from raw request rows (always for areas, groups and cells, and for anyone
whose scope does not cover the whole unit), or from the daily rollups (figures.models) for a street or a
community seen by its staff, with today and every day changed since its rollup read from raw rows.
Medians are exact from raw rows; from rollups they come from histograms (see `hours_bucket`).
"""

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.scope import scope_for
from figures.models import RequestDailyDurations, RequestDailyRollup, RollupDay
from leaders.models import Role
from service_requests.models import (
    OPEN_STATUSES,
    Channel,
    ReportCategory,
    Request,
    RequestEvent,
    ServiceKind,
    Status,
)
from territory.models import Level, TerritoryUnit

LEADER_ROLES = frozenset({Role.AREA_LEADER, Role.GROUP_LEADER, Role.CELL_LEADER})
COUNTS = ["filed", "responded_in_time", "resolved_in_time", "rated", "rated_good", "handled"]
# A transaction may commit a little after its events' timestamps: a rollup built within this margin
# of a change is treated as not having seen it.
STALE_MARGIN = datetime.timedelta(minutes=5)
MAX_PERIOD_DAYS = 731

RESPONDED_IN_TIME = Q(solved_on_spot=True) | Q(responded_at__lte=F("response_due_at"))
RESOLVED_IN_TIME = Q(solved_on_spot=True) | Q(resolved_at__lte=F("resolution_due_at"))
HANDLED = Q(status__in=[Status.RESOLVED, Status.CLOSED], merged_into__isnull=True)


# ---- Who sees figures, and of which units ----------------------------------------------------------


def figures_allowed(user) -> bool:
    """Staff (street admins, community staff) and the three leaders; nobody else has the page."""
    scope = scope_for(user)
    return scope.is_staff or bool(scope.roles & LEADER_ROLES)


def figures_units(user) -> list[TerritoryUnit]:
    """The units offered in the form, highest first. Staff are not offered every cell (a street has
    hundreds); they may still open one by its id."""
    units = TerritoryUnit.objects.visible_to(user)
    if scope_for(user).is_staff:
        units = units.exclude(level=Level.CELL)
    units = list(units.only("pk", "name", "level", "path").order_by("path")[:1000])
    for unit in units:
        unit.indent = "\u3000" * unit.depth
    return units


def figures_unit_default(units: list[TerritoryUnit]) -> TerritoryUnit | None:
    return min(units, key=lambda u: (u.depth, u.path), default=None)


def figures_unit_get(user, pk) -> TerritoryUnit | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return TerritoryUnit.objects.visible_to(user).filter(pk=pk).first()


# ---- Periods ----------------------------------------------------------------------------------------


def _month_start(day: datetime.date, back: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 - back
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_preset(name: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """this_month, last_month, this_year, last_12_months (the last twelve calendar months with this one)."""
    if name == "last_month":
        start = _month_start(today, 1)
        return start, _month_start(today) - datetime.timedelta(days=1)
    if name == "this_year":
        return datetime.date(today.year, 1, 1), today
    if name == "last_12_months":
        return _month_start(today, 11), today
    return _month_start(today), today


def day_bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Local midnight starting `start` and local midnight after `end`."""
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time(), tzinfo=tz),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), tzinfo=tz),
    )


# ---- Histograms for medians -------------------------------------------------------------------------
# Bucket widths: 0.1 h under a day, 1 h under a week, a day beyond. An approximate median is the middle of
# its bucket: off by at most 3 minutes under a day, 30 minutes under a week, 12 hours beyond.


def hours_bucket(hours: float) -> int:
    seconds = max(int(hours * 3600), 0)
    if seconds < 86400:
        return seconds // 360
    if seconds < 7 * 86400:
        return 240 + (seconds - 86400) // 3600
    return 384 + min((seconds - 7 * 86400) // 86400, 3650)


def bucket_width(bucket: int) -> float:
    return 0.1 if bucket < 240 else 1.0 if bucket < 384 else 24.0


def bucket_middle(bucket: int) -> float:
    if bucket < 240:
        low = bucket / 10
    elif bucket < 384:
        low = 24 + (bucket - 240)
    else:
        low = 168 + (bucket - 384) * 24
    return low + bucket_width(bucket) / 2


def histogram_add(histogram: dict, hours: float) -> None:
    key = str(hours_bucket(hours))  # JSON keys are strings
    histogram[key] = histogram.get(key, 0) + 1


def histogram_median(histogram: dict) -> float | None:
    total = sum(histogram.values())
    if not total:
        return None
    wanted = sorted({(total - 1) // 2, total // 2})
    found, seen = [], 0
    for bucket in sorted(int(b) for b in histogram):
        count = histogram[str(bucket)]
        while wanted and wanted[0] < seen + count:
            found.append(bucket_middle(bucket))
            wanted.pop(0)
        seen += count
    if len(found) == 1:
        found.append(found[0])
    return sum(found) / 2


def _hours(later, earlier) -> float:
    return (later - earlier).total_seconds() / 3600


# ---- The figures -----------------------------------------------------------------------------------


@dataclass
class KindFigure:
    pk: int
    name: str
    category: str
    category_label: str
    active: bool = True
    filed: int = 0
    handled: int = 0


@dataclass
class ChannelFigure:
    value: str
    label: str
    filed: int = 0


@dataclass
class Figures:
    unit: TerritoryUnit
    start: datetime.date
    end: datetime.date
    filed: int = 0
    responded_in_time: int = 0
    resolved_in_time: int = 0
    rated: int = 0
    rated_good: int = 0
    handled: int = 0
    disputes_settled: int = 0
    hazards_removed: int = 0
    micro_services: int = 0
    overdue_now: int = 0
    median_response_hours: float | None = None
    median_resolution_hours: float | None = None
    medians_exact: bool = True
    from_rollups: bool = False
    by_kind: list[KindFigure] = field(default_factory=list)
    by_channel: list[ChannelFigure] = field(default_factory=list)
    per_day: list[tuple[datetime.date, int]] = field(default_factory=list)

    @staticmethod
    def _percent(part: int, whole: int) -> float | None:
        return None if not whole else round(100 * part / whole, 1)

    @property
    def response_rate(self) -> float | None:
        return self._percent(self.responded_in_time, self.filed)

    @property
    def resolution_rate(self) -> float | None:
        return self._percent(self.resolved_in_time, self.filed)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._percent(self.rated_good, self.rated)

    @property
    def problems_found(self) -> int:
        return self.filed

    def counts(self) -> dict:
        """Everything a rollup must reproduce exactly (used by the tests that prove it)."""
        return {
            **{name: getattr(self, name) for name in COUNTS},
            "disputes_settled": self.disputes_settled,
            "hazards_removed": self.hazards_removed,
            "micro_services": self.micro_services,
            "overdue_now": self.overdue_now,
            "by_kind": [(k.pk, k.filed, k.handled) for k in self.by_kind],
            "by_channel": [(c.value, c.filed) for c in self.by_channel],
            "per_day": self.per_day,
        }


def placed_in_q(unit: TerritoryUnit, prefix: str = "") -> Q:
    """Requests whose place (cell, else community, else street) lies in `unit`."""
    if unit.level == Level.STREET:
        return Q(**{f"{prefix}street_id": unit.pk})
    if unit.level == Level.COMMUNITY:
        return Q(**{f"{prefix}community_id": unit.pk})
    return Q(**{f"{prefix}cell__path__startswith": unit.path})


def _count_annotations() -> dict:
    return {
        "filed": Count("pk"),
        "responded_in_time": Count("pk", filter=RESPONDED_IN_TIME),
        "resolved_in_time": Count("pk", filter=RESOLVED_IN_TIME),
        "rated": Count("pk", filter=Q(rating__isnull=False)),
        "rated_good": Count("pk", filter=Q(rating__gte=4)),
        "handled": Count("pk", filter=HANDLED),
    }


def request_rows(requests, *keys: str):
    """One row per (local day filed, kind, channel, *keys) with the counts of COUNTS: one query."""
    return (
        requests.annotate(day=TruncDate("created_at"))
        .values("day", "kind_id", "channel", *keys)
        .annotate(**_count_annotations())
        .order_by()
    )


def _day_ranges_q(days: list[datetime.date]) -> Q:
    """created_at within any of `days`, contiguous days merged into one range."""
    q = Q(pk__in=[])
    runs: list[list[datetime.date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][1] == datetime.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    for first, last in runs:
        low, high = day_bounds(first, last)
        q |= Q(created_at__gte=low, created_at__lt=high)
    return q


def _rollups_cover(user, unit: TerritoryUnit) -> bool:
    """Rollups carry no visibility: use them only where the viewer sees every request placed in the
    unit, i.e. a street or community they staff (accounts.scope.Scope.requests_q)."""
    scope = scope_for(user)
    if unit.level not in (Level.STREET, Level.COMMUNITY):
        return False
    return scope.everything or any(unit.path.startswith(p) for p in scope.staff_unit_paths)


def _fresh_days(unit: TerritoryUnit, start, end, today) -> list[datetime.date]:
    """Days of the period before today whose rollup has seen every change to their requests."""
    built = dict(
        RollupDay.objects.filter(day__gte=start, day__lte=min(end, today - datetime.timedelta(days=1)))
        .values_list("day", "built_at")
        .order_by()
    )
    if not built:
        return []
    low, high = day_bounds(start, end)
    changed = (
        RequestEvent.objects.filter(
            placed_in_q(unit, "request__"),
            created_at__gte=min(built.values()) - STALE_MARGIN,
            request__created_at__gte=low,
            request__created_at__lt=high,
        )
        .annotate(day=TruncDate("request__created_at"))
        .values("day")
        .annotate(last=Max("created_at"))
        .order_by()
    )
    stale = {
        row["day"]
        for row in changed
        if row["day"] in built and row["last"] >= built[row["day"]] - STALE_MARGIN
    }
    return sorted(day for day in built if day not in stale)


class _Tally:
    def __init__(self, figures: Figures, kinds: dict[int, KindFigure]):
        self.figures, self.kinds = figures, kinds
        self.channels = {value: ChannelFigure(value, label) for value, label in Channel.choices}
        self.days: dict[datetime.date, int] = defaultdict(int)

    def add(self, by_kind, by_channel, by_day) -> None:
        """Fold in one source's rows: counts by kind, filed by channel, filed by day."""
        f = self.figures
        for row in by_kind:
            for name in COUNTS:
                setattr(f, name, getattr(f, name) + (row[name] or 0))
            kind = self.kinds.get(row["kind_id"])
            if kind is not None:
                kind.filed += row["filed"]
                kind.handled += row["handled"] or 0
        for row in by_channel:
            if row["channel"] in self.channels:
                self.channels[row["channel"]].filed += row["filed"]
        for row in by_day:
            self.days[row["day"]] += row["filed"]

    def finish(self) -> None:
        f = self.figures
        categories = defaultdict(int)
        for kind in self.kinds.values():
            categories[kind.category] += kind.handled
        f.disputes_settled = categories[ReportCategory.DISPUTE]
        f.hazards_removed = categories[ReportCategory.HAZARD]
        f.micro_services = categories[ReportCategory.MICRO_SERVICE]
        f.by_kind = [k for k in self.kinds.values() if k.filed or k.active]
        f.by_channel = [c for c in self.channels.values() if c.filed]
        day, f.per_day = f.start, []
        while day <= f.end:
            f.per_day.append((day, self.days.get(day, 0)))
            day += datetime.timedelta(days=1)


def _kinds(unit: TerritoryUnit) -> dict[int, KindFigure]:
    labels = dict(ReportCategory.choices)
    kinds = {}
    for kind in ServiceKind.objects.filter(street_id=unit.ancestor_ids[0]).only(
        "pk", "name", "report_category", "active"
    ):
        kinds[kind.pk] = KindFigure(
            kind.pk, kind.name, kind.report_category, labels.get(kind.report_category, ""), kind.active
        )
    return kinds


def rollup_sums(rollups) -> tuple[list[dict], list[dict], list[dict]]:
    """The rollup rows' sums by kind (every count), by channel and by day (filed): on PostgreSQL in one
    pass over the rows (GROUPING SETS; a street's year is ~50,000 rows spread over the table), elsewhere
    in three GROUP BY queries."""
    rollups = rollups.order_by()
    if connections[rollups.db].vendor != "postgresql":
        return (
            list(rollups.values("kind_id").annotate(**{name: Sum(name) for name in COUNTS})),
            list(rollups.values("channel").annotate(filed=Sum("filed"))),
            list(rollups.values("day").annotate(filed=Sum("filed"))),
        )
    inner, params = rollups.values("kind_id", "channel", "day", *COUNTS).query.sql_with_params()
    sums = ", ".join(f"SUM(r.{name}) AS {name}" for name in COUNTS)
    # GROUPING(kind, channel) tells the sets apart: 1 a kind's row, 2 a channel's, 3 a day's.
    sql = (
        f"SELECT r.kind_id, r.channel, r.day, GROUPING(r.kind_id, r.channel) AS grouping_set, {sums} "
        f"FROM ({inner}) r GROUP BY GROUPING SETS ((r.kind_id), (r.channel), (r.day))"
    )
    by_set: dict[int, list[dict]] = {1: [], 2: [], 3: []}
    with connections[rollups.db].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            by_set[row["grouping_set"]].append(row)
    by_kind, by_channel, by_day = by_set[1], by_set[2], by_set[3]
    return by_kind, by_channel, by_day


def request_figures(
    user,
    unit: TerritoryUnit,
    start: datetime.date,
    end: datetime.date,
    *,
    use_rollups: bool = True,
    now: datetime.datetime | None = None,
) -> Figures:
    """The figures of the requests filed from `start` to `end` (local dates, inclusive) placed in
    `unit`, as `user` may see them. A constant number of queries, whatever the period."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    figures = Figures(unit=unit, start=start, end=end)
    tally = _Tally(figures, _kinds(unit))
    low, high = day_bounds(start, end)
    covered = _rollups_cover(user, unit)
    # Where the viewer sees every request placed in the unit, the scope's filter (joins on paths) adds
    # nothing but cost; elsewhere it decides.
    requests = Request.objects if covered else Request.objects.visible_to(user)
    requests = requests.filter(placed_in_q(unit), created_at__gte=low, created_at__lt=high)
    fresh = _fresh_days(unit, start, end, today) if use_rollups and covered else []
    raw = requests
    response_hist: dict = {}
    resolution_hist: dict = {}
    if fresh:
        figures.from_rollups, figures.medians_exact = True, False
        place = placed_in_q(unit)
        tally.add(*rollup_sums(RequestDailyRollup.objects.filter(place, day__in=fresh)))
        for response, resolution in RequestDailyDurations.objects.filter(place, day__in=fresh).values_list(
            "response_hours", "resolution_hours"
        ):
            for histogram, part in ((response_hist, response), (resolution_hist, resolution)):
                for bucket, count in part.items():
                    histogram[bucket] = histogram.get(bucket, 0) + count
        fresh_set = set(fresh)
        raw_days = [
            start + datetime.timedelta(days=i)
            for i in range((end - start).days + 1)
            if start + datetime.timedelta(days=i) not in fresh_set
        ]
        raw = requests.filter(_day_ranges_q(raw_days))
    raw = raw.order_by()
    tally.add(
        raw.values("kind_id").annotate(**_count_annotations()),
        raw.values("channel").annotate(filed=Count("pk")),
        raw.annotate(day=TruncDate("created_at")).values("day").annotate(filed=Count("pk")),
    )
    tally.finish()
    response_hours, resolution_hours = [], []
    for created, responded, resolved in raw.filter(
        Q(responded_at__isnull=False) | Q(resolved_at__isnull=False)
    ).values_list("created_at", "responded_at", "resolved_at"):
        if responded is not None:
            response_hours.append(_hours(responded, created))
        if resolved is not None:
            resolution_hours.append(_hours(resolved, created))
    if figures.medians_exact:
        figures.median_response_hours = _median(response_hours)
        figures.median_resolution_hours = _median(resolution_hours)
    else:
        for hours in response_hours:
            histogram_add(response_hist, hours)
        for hours in resolution_hours:
            histogram_add(resolution_hist, hours)
        figures.median_response_hours = histogram_median(response_hist)
        figures.median_resolution_hours = histogram_median(resolution_hist)
    # The one query here that reads a period's raw rows of the unit (open ones only); a partial index on
    # open requests by street would spare it the scan.
    figures.overdue_now = requests.filter(
        Q(responded_at__isnull=True, response_due_at__lt=now) | Q(resolution_due_at__lt=now),
        status__in=OPEN_STATUSES,
    ).count()
    return figures


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def unit_label(unit: TerritoryUnit) -> str:
    return f"{Level(unit.level).label} {unit.name}"
