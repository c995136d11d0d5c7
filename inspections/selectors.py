"""Reads for the inspection pages, always through Inspection.objects.visible_to(viewer).

Figures over a period, per community and for the viewer's whole territory, counting the rounds done
in the period and, of the hazards those rounds found, how many are removed (their request resolved or
closed) and how many are still open."""

import datetime
import re
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from accounts.scope import Scope, scope_for
from figures.selectors import day_bounds
from inspections.models import Finding, Inspection
from inspections.services import inspection_community, patch_buildings
from service_requests.models import OPEN_STATUSES, Status
from territory.models import Level, TerritoryUnit

LIST_PER_PAGE = 30
REMOVED_STATUSES = [Status.RESOLVED, Status.CLOSED]
# More patches than this are offered as a drop-down list instead of big buttons.
PATCH_BUTTONS_MAX = 12


def works_on_inspections(scope: Scope) -> bool:
    """Leaders and staff have the inspection pages; to anyone else they do not exist."""
    return scope.is_leader or scope.is_staff


# ---- The period -----------------------------------------------------------------------------------


@dataclass
class Period:
    start: datetime.date
    end: datetime.date  # inclusive
    month: str = ""  # "2026-11" when a month is shown
    year: int | None = None  # when a whole year is shown
    error: str = ""

    @property
    def label(self) -> str:
        if self.year is not None:
            return str(self.year)
        return f"{self.start:%Y-%m}"


_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")


def period_parse(params, today: datetime.date) -> Period:
    """?month=YYYY-MM or ?year=YYYY; this month by default and when the value is not a real one."""
    this_month = Period(today.replace(day=1), today, month=f"{today:%Y-%m}")
    month, year = (params.get("month") or "").strip(), (params.get("year") or "").strip()
    if year:
        if year.isascii() and year.isdigit() and 2000 <= int(year) <= today.year:
            number = int(year)
            return Period(datetime.date(number, 1, 1), min(datetime.date(number, 12, 31), today), year=number)
        this_month.error = _("Choose a year from 2000 to this year.")
        return this_month
    if month:
        match = _MONTH.fullmatch(month)
        if match and int(match[1]) >= 2000 and 1 <= int(match[2]) <= 12:
            start = datetime.date(int(match[1]), int(match[2]), 1)
            if start <= today:
                next_month = (start + datetime.timedelta(days=32)).replace(day=1)
                end = min(next_month - datetime.timedelta(days=1), today)
                return Period(start, end, month=f"{start:%Y-%m}")
        this_month.error = _("Choose a month up to this one, like %(example)s.") % {
            "example": f"{today:%Y-%m}"
        }
    return this_month


def year_choices(today: datetime.date, count: int = 5) -> list[int]:
    return list(range(today.year, today.year - count, -1))


# ---- Figures --------------------------------------------------------------------------------------


@dataclass
class Figures:
    name: str = ""
    rounds: int = 0
    found: int = 0
    removed: int = 0
    open: int = 0

    def add(self, other: "Figures") -> None:
        self.rounds += other.rounds
        self.found += other.found
        self.removed += other.removed
        self.open += other.open


@dataclass
class InspectionFigures:
    total: Figures
    communities: list[Figures] = field(default_factory=list)


def _in_period(user, period: Period) -> QuerySet:
    start, end = day_bounds(period.start, period.end)
    return Inspection.objects.visible_to(user).filter(done_at__gte=start, done_at__lt=end)


def inspection_figures(user, period: Period) -> InspectionFigures:
    """Two grouped queries: rounds and hazards found per community, then their requests' state."""
    rounds = (
        _in_period(user, period)
        .values("community_id", "community__name", "community__path")
        .annotate(rounds=Count("id"), found=Sum("hazard_count"))
        .order_by("community__path")
    )
    by_community = {
        row["community_id"]: Figures(row["community__name"], row["rounds"], row["found"] or 0)
        for row in rounds
    }
    hazards = (
        Finding.objects.filter(is_hazard=True, inspection__in=_in_period(user, period).values("pk"))
        .values("inspection__community_id")
        .annotate(
            removed=Count("id", filter=Q(request__status__in=REMOVED_STATUSES)),
            open=Count("id", filter=Q(request__status__in=OPEN_STATUSES)),
        )
        .order_by()
    )
    for row in hazards:
        figures = by_community.get(row["inspection__community_id"])
        if figures is not None:
            figures.removed, figures.open = row["removed"], row["open"]
    total = Figures(_("Your territory"))
    for figures in by_community.values():
        total.add(figures)
    return InspectionFigures(total=total, communities=list(by_community.values()))


# ---- Lists and pages ------------------------------------------------------------------------------


def inspection_list(user, period: Period) -> QuerySet:
    return (
        _in_period(user, period)
        .select_related("unit", "inspector")
        .annotate(
            open_hazards=Count(
                "findings",
                filter=Q(findings__is_hazard=True, findings__request__status__in=OPEN_STATUSES),
            )
        )
        .order_by("-done_at", "-id")
    )


def inspection_get(user, pk: int) -> Inspection | None:
    findings = Finding.objects.select_related("building__estate", "request__kind").order_by("id")
    return (
        Inspection.objects.visible_to(user)
        .select_related("unit", "community", "inspector")
        .prefetch_related(Prefetch("findings", queryset=findings))
        .filter(pk=pk)
        .first()
    )


def patch_choices(user) -> QuerySet:
    """The units a viewer may inspect: those they hold and everything below them (not a street)."""
    return TerritoryUnit.objects.visible_to(user).exclude(level=Level.STREET).order_by("path")


def patch_get(user, pk: int | None) -> TerritoryUnit | None:
    if pk is None:
        return None
    return patch_choices(user).filter(pk=pk).first()


def round_buildings(unit: TerritoryUnit) -> list:
    return list(patch_buildings(unit).select_related("estate").order_by("estate__name", "name"))


def round_community(unit: TerritoryUnit) -> TerritoryUnit:
    return inspection_community(unit)


def may_record(user, unit: TerritoryUnit) -> bool:
    scope = scope_for(user)
    return works_on_inspections(scope) and scope.holds(unit.path)
