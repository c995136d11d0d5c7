"""Reads for outreach campaigns, always scoped to a viewer.

Coverage is counted from one grouped query over a campaign's targets (GROUP BY cell_path, status) and
rolled up in Python to every unit above each cell: the paths are materialised ('/street/community/area/
group/cell/'), so a target counts for each prefix of its path. A household in no cell carries its
community's path and so counts for the community (shown as "not in a cell yet") and nothing below.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from accounts.scope import scope_for
from campaigns.models import Campaign, CampaignTarget, TargetStatus
from people.models import Household, Relation, Resident
from territory.models import Level, TerritoryUnit

CAMPAIGNS_PER_PAGE = 20
TARGETS_PER_PAGE = 50
# A campaign is made for a community or any unit below it; a street admin may make one for the street.
CAMPAIGN_LEVELS = [Level.STREET, Level.COMMUNITY, Level.AREA, Level.GROUP, Level.CELL]
MAX_AGE = 120
# What Household.with_address() selects, through the target, and the cell for headings.
ADDRESS_RELATED = ("household__entrance__building__estate", "household__cell")


# ---- Who may use the pages ---------------------------------------------------------------------------


def works_on_campaigns(scope) -> bool:
    """Staff and leaders (the three leaders, building leaders, grid workers); residents have no pages."""
    return scope.is_staff or scope.is_leader


def staff_holds(scope, path: str) -> bool:
    """Whether the viewer is staff over this unit (a leader's post elsewhere gives no right to create)."""
    return scope.everything or any(path.startswith(p) for p in scope.staff_unit_paths)


def campaign_units(user) -> QuerySet[TerritoryUnit]:
    """The units a staff member may make a campaign for: those their staff posts cover."""
    scope = scope_for(user)
    units = TerritoryUnit.objects.filter(level__in=CAMPAIGN_LEVELS)
    if scope.everything:
        return units
    q = Q(pk__in=[])
    for path in scope.staff_unit_paths:
        q |= Q(path__startswith=path)
    return units.filter(q)


# ---- The target set ----------------------------------------------------------------------------------


def age_cutoff(on: datetime.date, years: int) -> datetime.date:
    """The last birth date of someone aged at least `years` on `on` (born 29 February: 28 February).
    Before the calendar's first year (a typo'd first day like 0050-06-01): the earliest date, so that
    nobody matches instead of a crash."""
    if on.year - years < datetime.MINYEAR:
        return datetime.date.min
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def campaign_households(
    *, unit: TerritoryUnit, on: datetime.date, min_age: int | None = None, special_group: str = ""
) -> QuerySet[Household]:
    """The households a campaign over `unit` targets: those that live here, in the unit (a community's or
    street's include those not yet placed in a cell), with at least one counted resident meeting every
    filter at once: "someone aged at least 70 who lives alone" is one person. Ages are taken on `on`,
    the campaign's first day."""
    households = Household.objects.living_here()
    if unit.level == Level.COMMUNITY:
        households = households.filter(community=unit)
    elif unit.level == Level.STREET:
        households = households.filter(community__path__startswith=unit.path)
    elif unit.level == Level.CELL:
        households = households.filter(cell=unit)
    else:
        households = households.filter(cell__path__startswith=unit.path)
    if min_age is not None or special_group:
        residents = Resident.objects.counted()
        if min_age is not None:
            residents = residents.filter(birth_date__lte=age_cutoff(on, min_age))
        if special_group:
            residents = residents.filter(**{special_group: True})
        households = households.filter(pk__in=residents.values("household_id"))
    return households


# ---- The list of campaigns ---------------------------------------------------------------------------


def campaign_list(user) -> QuerySet[Campaign]:
    """The campaigns the viewer sees, each with the counts of the targets they see (one query)."""
    seen = scope_for(user).campaign_targets_q(prefix="targets__")
    return (
        Campaign.objects.visible_to(user)
        .select_related("unit")
        .annotate(
            seen=Count("targets", filter=seen),
            reached=Count("targets", filter=seen & Q(targets__status=TargetStatus.REACHED)),
            to_do=Count("targets", filter=seen & ~Q(targets__status=TargetStatus.REACHED)),
        )
        .order_by("-starts_on", "-id")
    )


def campaign_get(user, pk) -> Campaign | None:
    if pk is None:
        return None
    return Campaign.objects.visible_to(user).select_related("unit").filter(pk=pk).first()


# ---- Coverage ----------------------------------------------------------------------------------------


@dataclass
class Tally:
    reached: int = 0
    not_home: int = 0
    declined: int = 0
    pending: int = 0

    def add(self, status: str, count: int) -> None:
        setattr(self, status, getattr(self, status) + count)

    @property
    def total(self) -> int:
        return self.reached + self.not_home + self.declined + self.pending

    @property
    def to_do(self) -> int:
        return self.total - self.reached

    @property
    def share(self) -> float | None:
        """The share of targets reached, or None when there are none."""
        return self.reached / self.total if self.total else None

    @property
    def percent(self) -> int | None:
        """Whole percent reached, rounded down: 100% only when every household is reached."""
        return self.reached * 100 // self.total if self.total else None


@dataclass
class CoverageRow:
    tally: Tally
    unit: TerritoryUnit | None = None  # None: the households not yet placed in a cell


@dataclass
class Coverage:
    unit: TerritoryUnit  # the unit shown
    tally: Tally  # its figures (of the targets the viewer sees)
    rows: list[CoverageRow]  # one per unit below it with targets
    crumbs: list[TerritoryUnit]  # from the top the viewer may open down to the shown unit's parent
    tallies: dict[str, Tally] = field(default_factory=dict)  # every unit's figures by path

    def tally_for(self, unit: TerritoryUnit) -> Tally:
        return self.tallies.get(unit.path, Tally())


def _ancestors(path: str) -> list[str]:
    """'/1/5/9/' → ['/1/', '/1/5/', '/1/5/9/']."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _last_id(path: str) -> int:
    return int(path.strip("/").split("/")[-1])


def coverage_top_path(scope, campaign: Campaign) -> str:
    """The highest unit whose figures the viewer may open: the campaign's unit when they answer for all
    of it, else the smallest unit holding all of their posts inside it (a 邻长: their cell)."""
    if scope.everything:
        return campaign.unit_path
    inside = []
    for path in scope.staff_unit_paths + scope.leader_unit_paths:
        if campaign.unit_path.startswith(path):
            return campaign.unit_path
        if path.startswith(campaign.unit_path):
            inside.append(path)
    if not inside:
        return campaign.unit_path  # a building leader: the campaign's unit, counting their building only
    common = _ancestors(inside[0])
    for path in inside[1:]:
        common = [p for p in common if path.startswith(p)]
    return common[-1]


def coverage_tallies(campaign: Campaign, user) -> tuple[dict[str, Tally], dict[str, Tally]]:
    """Figures per unit path (rolled up) and per exact cell path, in one grouped query."""
    rows = (
        CampaignTarget.objects.visible_to(user)
        .filter(campaign=campaign)
        .order_by()
        .values("cell_path", "status")
        .annotate(count=Count("pk"))
        .values_list("cell_path", "status", "count")
    )
    rolled: dict[str, Tally] = defaultdict(Tally)
    direct: dict[str, Tally] = defaultdict(Tally)
    for path, status, count in rows:
        direct[path].add(status, count)
        for ancestor in _ancestors(path):
            rolled[ancestor].add(status, count)
    return dict(rolled), dict(direct)


def campaign_coverage(campaign: Campaign, user, unit_id: int | None = None) -> Coverage | None:
    """The campaign's coverage at one unit (by default the top the viewer may open) and at each unit
    directly below it, of the targets the viewer sees. None when `unit_id` is not a unit they may open
    in this campaign. Three queries: the figures, the unit asked for, the units shown."""
    top = coverage_top_path(scope_for(user), campaign)
    tallies, direct = coverage_tallies(campaign, user)
    path = top
    if unit_id is not None:
        asked = TerritoryUnit.objects.filter(pk=unit_id).values_list("path", flat=True).first()
        if asked is None or not asked.startswith(top):
            return None
        path = asked
    crumb_paths = [p for p in _ancestors(path) if p.startswith(top)]
    child_paths = [p for p in tallies if p.startswith(path) and p.count("/") == path.count("/") + 1]
    units = {
        u.path: u
        for u in TerritoryUnit.objects.filter(pk__in=[_last_id(p) for p in crumb_paths + child_paths]).only(
            "pk", "name", "level", "path", "sort_order"
        )
    }
    if path not in units:
        return None
    unit = units[path]
    rows = [CoverageRow(tally=tallies[p], unit=units[p]) for p in child_paths if p in units]
    rows.sort(key=lambda row: (row.unit.sort_order, row.unit.pk))
    unplaced = direct.get(path)
    if unplaced is not None and unit.level != Level.CELL:
        rows.append(CoverageRow(tally=unplaced))
    return Coverage(
        unit=unit,
        tally=tallies.get(path, Tally()),
        rows=rows,
        crumbs=[units[p] for p in crumb_paths[:-1] if p in units],
        tallies=tallies,
    )


def campaign_not_reached(campaign: Campaign, user, unit: TerritoryUnit) -> QuerySet[CampaignTarget]:
    """The targets in `unit` the viewer sees that are not reached yet, cell by cell, with addresses."""
    return (
        CampaignTarget.objects.visible_to(user)
        .filter(campaign=campaign, cell_path__startswith=unit.path)
        .exclude(status=TargetStatus.REACHED)
        .select_related(*ADDRESS_RELATED)
        .order_by("cell_path", "household_id")
    )


# ---- The leader's marking page -----------------------------------------------------------------------


def _heads_prefetch() -> Prefetch:
    """Living members of each household, head first: the row shows the head's name."""
    head_first = Case(
        When(relation=Relation.HEAD, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    members = (
        Resident.objects.filter(died_on__isnull=True)
        .order_by(head_first, "id")
        .only("pk", "household_id", "name", "relation")
    )
    return Prefetch("household__members", queryset=members)


def campaign_mark_targets(campaign: Campaign, user, *, to_do_only: bool = False) -> QuerySet[CampaignTarget]:
    """The targets of the campaign in the viewer's patch, cell by cell, ready to mark."""
    targets = CampaignTarget.objects.visible_to(user).filter(campaign=campaign)
    if to_do_only:
        targets = targets.exclude(status=TargetStatus.REACHED)
    return (
        targets.select_related(*ADDRESS_RELATED, "marked_by")
        .prefetch_related(_heads_prefetch())
        .order_by("cell_path", "household_id")
    )


def campaign_mark_target_get(campaign: Campaign, user, pk) -> CampaignTarget | None:
    if pk is None:
        return None
    target = (
        CampaignTarget.objects.visible_to(user)
        .filter(campaign=campaign, pk=pk)
        .select_related(*ADDRESS_RELATED, "marked_by")
        .prefetch_related(_heads_prefetch())
        .first()
    )
    if target is not None:
        target.campaign = campaign  # already fetched: the service reads its dates
    return target


def campaign_my_tally(campaign: Campaign, user) -> Tally:
    """The figures of the targets the viewer sees, in one query."""
    counts = (
        CampaignTarget.objects.visible_to(user)
        .filter(campaign=campaign)
        .aggregate(**{status: Count("pk", filter=Q(status=status)) for status in TargetStatus.values})
    )
    return Tally(**counts)
