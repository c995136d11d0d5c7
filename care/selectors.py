"""Reads for the care pages, always through CarePlan.objects.visible_to(viewer).

- `my_round`: the viewer's own people (as their carer) due today or overdue, and those coming up.
- `territory_round`: for group and area leaders and staff, their territory's plans: the share on
  schedule, a breakdown per child unit (one grouped query), the overdue list and the plans without a
  carer. Every figure is a counting query, whatever the number of plans.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When, Window
from django.utils.translation import gettext as _

from accounts.scope import Scope, managed_communities, scope_for
from care.models import CadenceRule, CareContact, CarePlan, SpecialGroup
from people.models import Relation, Resident
from service_requests.models import ServiceKind
from territory.models import LEVEL_ORDER, Level, TerritoryUnit

# "Coming up" on the round: plans due within this many days.
ROUND_AHEAD_DAYS = 7
OVERDUE_PER_PAGE = 30
WITHOUT_CARER_SHOWN = 30
PLANS_PER_PAGE = 30
CONTACTS_PER_PAGE = 20
# Rows of the round on the home page; the round itself has them all.
HOME_ROWS = 5
_CELL_DEPTH = LEVEL_ORDER.index(Level.CELL)
_NOTHING = Q(pk__in=[])


def works_on_care(scope: Scope) -> bool:
    """Leaders and staff have the care pages (a carer without a post still has their own round)."""
    return scope.is_leader or scope.is_staff


def plan_decorate(plan: CarePlan, today: datetime.date) -> CarePlan:
    """What a row shows, read off the stored due dates (no query)."""
    plan.overdue_days = max(0, (today - plan.due_on).days)
    plan.is_overdue = plan.due_on < today
    plan.is_due_today = plan.due_on == today
    # A home visit is what is due when its date comes first (or has come): it counts as a greeting too.
    plan.due_is_visit = plan.visit_due_on <= max(today, plan.due_on)
    return plan


def _rows(plans, today) -> list[CarePlan]:
    return [plan_decorate(plan, today) for plan in plans]


# ---- The round: the viewer's own people ------------------------------------------------------------


@dataclass
class MyRound:
    due: list[CarePlan]
    coming: list[CarePlan]

    @property
    def overdue_count(self) -> int:
        return sum(1 for plan in self.due if plan.is_overdue)

    @property
    def due_today_count(self) -> int:
        return sum(1 for plan in self.due if plan.is_due_today)


def my_round(user, today: datetime.date) -> MyRound:
    """The plans `user` cares for that are due by a week from today, in one query: overdue by most days
    first, then due today, then the coming week. A carer has 5 to 15 households: no paging needed."""
    ahead = today + datetime.timedelta(days=ROUND_AHEAD_DAYS)
    plans = _rows(
        CarePlan.objects.visible_to(user)
        .active()
        .filter(carer=user, due_on__lte=ahead)
        .for_list()
        .order_by("due_on", "id"),
        today,
    )
    return MyRound(due=[p for p in plans if p.due_on <= today], coming=[p for p in plans if p.due_on > today])


def home_round(user, today: datetime.date) -> tuple[list[CarePlan], int, int]:
    """The first HOME_ROWS plans due today or overdue for `user` as carer, and how many are due today and
    overdue: one query (the counts ride on every row as window aggregates)."""
    overdue = Case(When(due_on__lt=today, then=Value(1)), default=Value(0), output_field=IntegerField())
    plans = list(
        CarePlan.objects.visible_to(user)
        .active()
        .filter(carer=user, due_on__lte=today)
        .for_list()
        .annotate(due_total=Window(Count("pk")), overdue_total=Window(Sum(overdue)))
        .order_by("due_on", "id")[:HOME_ROWS]
    )
    if not plans:
        return [], 0, 0
    overdue_count = plans[0].overdue_total or 0
    return _rows(plans, today), plans[0].due_total - overdue_count, overdue_count


# ---- The round: a leader's or staff member's territory ---------------------------------------------


@dataclass
class Counts:
    """Active plans of a unit (or of the whole territory) and how they stand today."""

    name: str = ""
    unit: TerritoryUnit | None = None
    total: int = 0
    on_schedule: int = 0
    due_today: int = 0
    overdue: int = 0
    no_carer: int = 0

    def add(self, row: dict) -> None:
        self.total += row["total"]
        self.on_schedule += row["on_schedule"]
        self.due_today += row["due_today"]
        self.overdue += row["overdue"]
        self.no_carer += row["no_carer"]

    @property
    def share(self) -> int | None:
        """Percent of active plans on schedule (due today or later), None when there are none."""
        if not self.total:
            return None
        return round(100 * self.on_schedule / self.total)


@dataclass
class TerritoryRound:
    roots: list[TerritoryUnit]
    totals: Counts
    units: list[Counts] = field(default_factory=list)
    plans: QuerySet | None = None  # the territory's active plans, for the overdue page
    without_carer: list[CarePlan] = field(default_factory=list)

    @property
    def unit_heading(self) -> str:
        levels = {unit.level for unit in self.roots}
        child = {
            Level.STREET: _("Community"),
            Level.COMMUNITY: _("Area"),
            Level.AREA: _("Group"),
            Level.GROUP: _("Neighbour cell"),
        }
        return child.get(next(iter(levels)), "") if len(levels) == 1 else _("Unit")


def territory_root_paths(scope: Scope) -> list[str]:
    """The units whose care the viewer oversees: staff units, and the areas and groups they lead (a
    neighbour leader's round is their own people). Nested units are dropped."""
    paths = list(scope.staff_unit_paths) + [
        path for path in scope.leader_unit_paths if len(path.strip("/").split("/")) < _CELL_DEPTH + 1
    ]
    paths = sorted(set(paths), key=len)
    kept: list[str] = []
    for path in paths:
        if not any(path.startswith(other) for other in kept):
            kept.append(path)
    return kept


def _territory_q(scope: Scope, roots: list[TerritoryUnit]) -> Q:
    if scope.everything:
        return Q()
    q = _NOTHING
    for unit in roots:
        if unit.level in (Level.STREET, Level.COMMUNITY):
            # Staff see the plans of their communities' households not yet in a cell too.
            q |= Q(community__path__startswith=unit.path)
        else:
            q |= Q(cell_path__startswith=unit.path)
    return q


def plan_counts(today: datetime.date) -> dict:
    """The aggregate expressions of Counts, for .annotate() or .aggregate()."""
    return {
        "total": Count("pk"),
        "on_schedule": Count("pk", filter=Q(due_on__gte=today)),
        "due_today": Count("pk", filter=Q(due_on=today)),
        "overdue": Count("pk", filter=Q(due_on__lt=today)),
        "no_carer": Count("pk", filter=Q(carer__isnull=True)),
    }


def territory_round(user, today: datetime.date) -> TerritoryRound | None:
    """The care of the viewer's territory, or None for a viewer who oversees none (a neighbour leader,
    a building leader). Three queries whatever the number of plans: the units, one grouped count per
    (community, cell), and the first plans without a carer; the overdue list is paged by the view."""
    scope = scope_for(user)
    if scope.everything:
        units = list(TerritoryUnit.objects.filter(Q(level=Level.STREET) | Q(parent__level=Level.STREET)))
        roots = [u for u in units if u.level == Level.STREET]
    else:
        paths = territory_root_paths(scope)
        if not paths:
            return None
        root_ids = [int(path.strip("/").split("/")[-1]) for path in paths]
        units = list(TerritoryUnit.objects.filter(Q(pk__in=root_ids) | Q(parent_id__in=root_ids)))
        roots = [u for u in units if u.pk in root_ids]
    root_ids = {u.pk for u in roots}
    children = sorted((u for u in units if u.parent_id in root_ids), key=lambda u: (u.sort_order, u.path))
    plans = CarePlan.objects.visible_to(user).active().filter(_territory_q(scope, roots))
    rows = plans.values("community_id", "cell_path").annotate(**plan_counts(today)).order_by()
    totals = Counts(name=_("All"))
    by_child = {child.pk: Counts(name=child.name, unit=child) for child in children}
    unplaced = Counts(name=_("Not in a cell yet"))
    for row in rows:
        totals.add(row)
        for child in children:
            if (child.level == Level.COMMUNITY and row["community_id"] == child.pk) or (
                child.level != Level.COMMUNITY and row["cell_path"].startswith(child.path)
            ):
                by_child[child.pk].add(row)
                break
        else:
            unplaced.add(row)
    breakdown = list(by_child.values()) + ([unplaced] if unplaced.total else [])
    without_carer = []
    if totals.no_carer:
        without_carer = _rows(
            plans.filter(carer__isnull=True).for_list().order_by("due_on", "id")[:WITHOUT_CARER_SHOWN], today
        )
    return TerritoryRound(
        roots=roots, totals=totals, units=breakdown, plans=plans, without_carer=without_carer
    )


def overdue_plans(territory: TerritoryRound, today: datetime.date) -> QuerySet:
    return territory.plans.filter(due_on__lt=today).for_list().order_by("due_on", "id")


# ---- A plan's page ---------------------------------------------------------------------------------


def plan_get(user, pk: int) -> CarePlan | None:
    """A plan the viewer may see (ended ones too: their history stays), with what its page shows."""
    return (
        CarePlan.objects.visible_to(user)
        .select_related("resident__household__entrance__building__estate", "carer", "cell", "community")
        .filter(pk=pk)
        .first()
    )


@dataclass
class Phone:
    """A number on the plan page: masked, with a button that reveals it (audited) as tap-to-call."""

    resident: Resident
    field: str  # "phone" or "emergency_phone"
    label: str
    masked: str
    value: str | None = None

    @property
    def key(self) -> str:
        return f"{self.resident.pk}-{self.field}"


def plan_phones(plan: CarePlan, revealed: dict | None = None) -> list[Phone]:
    """The resident's own phone and the emergency contacts of their household (the resident's first),
    in one query."""
    resident = plan.resident
    head_first = Case(
        When(pk=resident.pk, then=Value(0)),
        When(relation=Relation.HEAD, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    members = list(Resident.objects.filter(household_id=resident.household_id).order_by(head_first, "id"))
    phones = []
    for member in members:
        if member.pk == resident.pk and member.phone:
            phones.append(Phone(member, "phone", _("Own phone"), member.phone_masked))
        if member.emergency_contact_phone:
            label = member.emergency_contact_name or _("Emergency contact")
            if member.pk != resident.pk:
                label = _("%(contact)s (for %(name)s)") % {"contact": label, "name": member.name}
            phones.append(Phone(member, "emergency_phone", label, member.emergency_phone_masked))
    revealed = revealed or {}
    for phone in phones:
        phone.value = revealed.get(phone.key)
    return phones


def plan_contacts(user, plan: CarePlan) -> QuerySet:
    return CareContact.objects.visible_to(user).filter(plan=plan).select_related("by", "request")


def need_kinds(plan: CarePlan) -> QuerySet:
    """The active request kinds of the plan's street: what a need found on a contact can be filed as."""
    street_id = plan.community.ancestor_ids[0]
    return ServiceKind.objects.filter(street_id=street_id, active=True).order_by("sort_order", "name")


def carer_choices(plan: CarePlan) -> list:
    """The people who may care for someone in the plan's community, each with their active plans."""
    from care.services import carer_candidates

    return list(
        carer_candidates(plan.community)
        .annotate(load=Count("care_plans", filter=Q(care_plans__ended_on__isnull=True), distinct=True))
        .order_by("full_name", "username")
    )


# ---- Staff pages -----------------------------------------------------------------------------------


STATES = [
    ("", _("All active")),
    ("overdue", _("Overdue")),
    ("today", _("Due today")),
    ("no_carer", _("Without a carer")),
    ("ended", _("Ended")),
]


@dataclass
class PlanFilters:
    community: TerritoryUnit | None = None
    group: str = ""
    carer_id: int | None = None
    state: str = ""

    @property
    def active(self) -> bool:
        return bool(self.group or self.carer_id or self.state)


def staff_communities(user) -> list[TerritoryUnit]:
    return list(managed_communities(user).order_by("path"))


def community_pick(communities: list[TerritoryUnit], value) -> TerritoryUnit | None:
    """The community chosen with ?community=, else the first the viewer manages."""
    from linli.params import int_param

    wanted = int_param(value)
    return next((c for c in communities if c.pk == wanted), communities[0] if communities else None)


def plan_filters_parse(params, communities: list[TerritoryUnit]) -> PlanFilters:
    from linli.params import int_param

    group = params.get("group", "")
    state = params.get("state", "")
    return PlanFilters(
        community=community_pick(communities, params.get("community")),
        group=group if group in SpecialGroup.values else "",
        carer_id=int_param(params.get("carer")),
        state=state if state in dict(STATES) else "",
    )


def community_plans(user, filters: PlanFilters, today: datetime.date) -> QuerySet:
    plans = CarePlan.objects.visible_to(user).filter(community=filters.community)
    plans = plans.exclude(ended_on=None) if filters.state == "ended" else plans.active()
    if filters.group:
        plans = plans.filter(groups__contains=filters.group)
    if filters.carer_id:
        plans = plans.filter(carer_id=filters.carer_id)
    if filters.state == "overdue":
        plans = plans.filter(due_on__lt=today)
    elif filters.state == "today":
        plans = plans.filter(due_on=today)
    elif filters.state == "no_carer":
        plans = plans.filter(carer__isnull=True)
    order = ["-ended_on", "-id"] if filters.state == "ended" else ["due_on", "id"]
    return plans.for_list().order_by(*order)


def community_carers(user, community: TerritoryUnit, today: datetime.date) -> list[dict]:
    """Each carer's load in a community: active plans, due today, overdue. One grouped query; the
    plans without a carer are a row of their own (carer_id None)."""
    rows = (
        CarePlan.objects.visible_to(user)
        .active()
        .filter(community=community)
        .values("carer_id", "carer__full_name", "carer__username")
        .annotate(**plan_counts(today))
        .order_by("-overdue", "-total", "carer__full_name")
    )
    return list(rows)


def cadence_rows(
    user, community: TerritoryUnit, rules: dict[str, CadenceRule]
) -> list[tuple[CadenceRule, int]]:
    """Each special group's rule and how many active plans of the community it covers (one query)."""
    counts = (
        CarePlan.objects.visible_to(user)
        .active()
        .filter(community=community)
        .aggregate(**{group: Count("pk", filter=Q(groups__contains=group)) for group in SpecialGroup.values})
    )
    return [(rules[group], counts[group]) for group in SpecialGroup.values if group in rules]
