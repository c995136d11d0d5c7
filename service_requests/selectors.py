"""Reads for the leaders' and staff's request pages (queues, a request's page, the team queue, filing on
behalf), always scoped to the viewer through Request.objects.visible_to."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.scope import Scope, scope_for, subtree_unit_ids, user_team_ids
from leaders.models import LEADER_ROLE_FOR_LEVEL, STAFF_ROLES, Appointment
from linli.params import int_param
from people.models import Household, HouseholdStatus, Relation, Resident
from service_requests.models import (
    OPEN_STATUSES,
    Channel,
    Request,
    RequestEvent,
    RequestPhoto,
    ResponseTemplate,
    ServiceKind,
    Status,
)
from territory.models import Building, Level, TerritoryUnit
from volunteers.models import Team

# 25 cards is already a long scroll on a phone; 50 doubled the page's rendering (the staff queue's
# p95 at district scale) for rows few read.
QUEUE_PER_PAGE = 25
# A queue counts at most this many rows (200 pages); past it the total shows as "5000+".
QUEUE_MAX_COUNT = 5000
TEAM_QUEUE_PER_PAGE = 50
# A deadline closer than this shows amber ("due in 2 h").
DUE_SOON = datetime.timedelta(hours=4)
# Filing on behalf: up to this many households are listed; more (staff, area leaders) need a search.
FILING_LIST_LIMIT = 200
FILING_SEARCH_LIMIT = 50

# Channels a leader or staff member records a request from (a QR filing and Open311 come in by themselves).
ON_BEHALF_CHANNELS = [
    Channel.WECHAT,
    Channel.VISIT,
    Channel.PHONE,
    Channel.MEETING,
    Channel.SERVICE_CENTRE,
    Channel.PATROL,
]

_NOTHING = Q(pk__in=[])


# --- Who works on what ------------------------------------------------------------------------------


def works_on_requests(scope: Scope) -> bool:
    """Leaders and staff have the queue and file on residents' behalf; residents have their own pages."""
    return scope.is_staff or scope.is_leader


def _unit_paths(scope: Scope) -> tuple[str, ...]:
    return scope.staff_unit_paths + scope.leader_unit_paths


def held_q(user) -> Q:
    """Requests whose holding level the user answers for (accounts.scope.Scope.holds, as a query)."""
    scope = scope_for(user)
    if scope.everything:
        return Q()
    ids = sorted(set(scope.staff_unit_ids) | set(scope.leader_unit_ids))
    return Q(holder_id__in=ids) if ids else _NOTHING


def _teams_q(user) -> Q:
    teams = user_team_ids(user)
    return Q(assignee_team_id__in=teams) if teams else _NOTHING


def worker_requests(user) -> QuerySet:
    """The requests a user works on: visible to them other than only as the resident who filed them
    (a resident's own request has its tracking page, without internal notes and phone numbers)."""
    return Request.objects.filter(scope_for(user).requests_q(user, as_reporter=False))


def waiting_q(user) -> Q:
    """Open requests waiting on the user: held at a level they answer for, first received, or given them."""
    return Q(status__in=OPEN_STATUSES) & (held_q(user) | Q(first_owner=user) | Q(assignee=user))


def overdue_q(now: datetime.datetime) -> Q:
    """Open requests past a deadline: this level's, or the overall response (unanswered) or resolution."""
    late = (
        Q(level_response_due_at__lt=now)
        | Q(level_resolution_due_at__lt=now)
        | Q(responded_at__isnull=True, response_due_at__lt=now)
        | Q(resolution_due_at__lt=now)
    )
    return Q(status__in=OPEN_STATUSES) & late


CLOSED_STATUSES = [Status.RESOLVED, Status.CLOSED]


def waiting_count(user) -> int:
    """The number on the home page's "waiting for me" tile: one query."""
    return worker_requests(user).filter(waiting_q(user)).count()


# --- Lateness -----------------------------------------------------------------------------------------


def duration_text(delta: datetime.timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return ngettext("%(count)d min", "%(count)d min", minutes) % {"count": minutes}
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(count)d h", "%(count)d h", hours) % {"count": hours}
    days = hours // 24
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


@dataclass(frozen=True)
class Lateness:
    state: str  # "overdue" (red), "soon" (amber) or "ok"
    due_at: datetime.datetime
    text: str


def request_next_deadline(request: Request) -> datetime.datetime | None:
    """The nearest deadline an open request must still meet (none once resolved or closed)."""
    if request.status not in OPEN_STATUSES:
        return None
    candidates = [request.level_resolution_due_at, request.resolution_due_at]
    if request.status == Status.NEW:
        candidates.append(request.level_response_due_at)
    if request.responded_at is None:
        candidates.append(request.response_due_at)
    candidates = [c for c in candidates if c is not None]
    return min(candidates) if candidates else None


def request_lateness(request: Request, now: datetime.datetime) -> Lateness | None:
    due = request_next_deadline(request)
    if due is None:
        return None
    if due < now:
        return Lateness("overdue", due, _("overdue by %(time)s") % {"time": duration_text(now - due)})
    state = "soon" if due - now <= DUE_SOON else "ok"
    return Lateness(state, due, _("due in %(time)s") % {"time": duration_text(due - now)})


def deadline_state(due: datetime.datetime | None, done: datetime.datetime | None, now) -> str:
    """For the deadlines list: "met", "missed", "overdue" (still open and past), "soon" or "ok"."""
    if due is None:
        return ""
    if done is not None:
        return "met" if done <= due else "missed"
    if due < now:
        return "overdue"
    return "soon" if due - now <= DUE_SOON else "ok"


# --- The queue ----------------------------------------------------------------------------------------

TABS = [
    ("waiting", gettext_lazy("Waiting for me")),
    ("open", gettext_lazy("All open")),
    ("overdue", gettext_lazy("Overdue")),
    ("closed", gettext_lazy("Resolved and closed")),
]
TAB_NAMES = [name for name, _label in TABS]


@dataclass
class QueueFilters:
    tab: str = "waiting"
    unit: TerritoryUnit | None = None
    kind: ServiceKind | None = None
    status: str = ""
    channel: str = ""

    @property
    def active(self) -> bool:
        return bool(self.unit or self.kind or self.status or self.channel)


def _street_ids(scope: Scope) -> set[int]:
    return {int(path.strip("/").split("/")[0]) for path in _unit_paths(scope)}


def kinds_for(user) -> QuerySet:
    """The service kinds of the viewer's street(s)."""
    scope = scope_for(user)
    if scope.everything:
        return ServiceKind.objects.all()
    streets = _street_ids(scope)
    if scope.building_ids:  # a building leader holds no unit: their street is the building's
        paths = Building.objects.filter(pk__in=scope.building_ids).values_list(
            "estate__community__path", flat=True
        )
        streets |= {int(path.strip("/").split("/")[0]) for path in paths}
    return ServiceKind.objects.filter(street_id__in=streets)


# The territory filter lists every unit of the viewer's patch down to its cells; a street (about 2,000
# units) lists its communities, areas and groups only: a longer list is no use on a phone, and building
# it cost a street admin's queue page as much as its rows.
QUEUE_UNIT_OPTIONS_MAX = 300


def queue_unit_options(user) -> list[TerritoryUnit]:
    units = TerritoryUnit.objects.visible_to(user).order_by("path").only("id", "name", "level", "path")
    listed = list(units[: QUEUE_UNIT_OPTIONS_MAX + 1])
    if len(listed) > QUEUE_UNIT_OPTIONS_MAX:
        listed = list(units.exclude(level=Level.CELL))
    return listed


def queue_filter_options(user) -> dict:
    units = queue_unit_options(user)
    for unit in units:
        unit.indent = "\u3000" * unit.depth
    return {
        "units": units,
        "kinds": list(kinds_for(user).only("id", "name", "icon").order_by("street_id", "sort_order", "name")),
        "statuses": Status.choices,
        "channels": Channel.choices,
        "tabs": TABS,
    }


def queue_filters_parse(params, options: dict) -> QueueFilters:
    """Filters from the query string; anything unknown or outside the viewer's options is ignored."""
    filters = QueueFilters()
    if params.get("tab") in TAB_NAMES:
        filters.tab = params["tab"]
    unit_id = int_param(params.get("unit"))
    filters.unit = next((u for u in options["units"] if u.pk == unit_id), None)
    kind_id = int_param(params.get("kind"))
    filters.kind = next((k for k in options["kinds"] if k.pk == kind_id), None)
    if params.get("status") in Status.values:
        filters.status = params["status"]
    if params.get("channel") in Channel.values:
        filters.channel = params["channel"]
    return filters


def _row_queryset(qs: QuerySet) -> QuerySet:
    return qs.select_related(
        "kind",
        "holder",
        "first_owner",
        "assignee",
        "assignee_team",
        "cell",
        "household__entrance__building__estate",
        "building__estate",
    )


def _tab_q(user, tab: str, now) -> Q:
    if tab == "waiting":
        return waiting_q(user)
    if tab == "overdue":
        return overdue_q(now)
    if tab == "closed":
        return Q(status__in=CLOSED_STATUSES)
    return Q(status__in=OPEN_STATUSES)


def queue_requests(user, filters: QueueFilters, now: datetime.datetime) -> QuerySet:
    qs = worker_requests(user).filter(_tab_q(user, filters.tab, now))
    if filters.unit is not None:
        ids = subtree_unit_ids([filters.unit.path])
        qs = qs.filter(Q(holder_id__in=ids) | Q(cell_id__in=ids) | Q(community_id__in=ids))
    if filters.kind is not None:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    # Oldest first while work waits (the longest-waiting is the most urgent); newest first once done.
    order = ["-created_at", "-pk"] if filters.tab == "closed" else ["created_at", "pk"]
    return qs.order_by(*order)  # the rows' relations are read by rows_decorate, for the page only


# Tabs whose requests are all open: counted on every queue page. "Resolved and closed" is a viewer's whole
# history (at district scale a street's 100,000 requests, a 邻长's scattered through a million): it gets
# no number on the tab, and its total shows only on its own page, where the paginator counts it anyway.
COUNTED_TABS = ["waiting", "open", "overdue"]


def queue_tab_counts(user, now: datetime.datetime) -> dict[str, int | None]:
    """How many requests under each open tab, in one query over open requests only (the partial index
    request_open_created finds them); None for the closed tab."""
    counts = (
        worker_requests(user)
        .filter(status__in=OPEN_STATUSES)
        .aggregate(**{name: Count("pk", filter=_tab_q(user, name, now)) for name in COUNTED_TABS})
    )
    return {name: counts.get(name) for name in TAB_NAMES}


def rows_decorate(requests, now: datetime.datetime) -> list[Request]:
    """The page's requests, in its order, with what a row shows: the rows and their relations are read
    by id in one query. (Choosing the page and joining the dozen tables a row shows in one query costs
    PostgreSQL 15-30 ms of planning alone, with the scope's joins; apart, 2-3 ms.)"""
    ids = [request.pk for request in requests]
    loaded = _row_queryset(Request.objects.filter(pk__in=ids)).in_bulk() if ids else {}
    rows = [loaded[pk] for pk in ids if pk in loaded]
    for request in rows:
        request.lateness = request_lateness(request, now)
        request.where = request_where_text(request)
        request.age = duration_text(now - request.created_at)
    return rows


def request_where_text(request: Request) -> str:
    if request.household_id:
        return request.household.address
    if request.building_id:
        return str(request.building)
    return request.address_text


# --- A request's page ---------------------------------------------------------------------------------


def request_for_worker(user, pk: int) -> Request | None:
    """The request if the user works on it, with what its page shows. Whether they may see it, and the
    dozen rows around it, are read in small queries: in one, PostgreSQL spends longer planning the joins
    than running them."""
    if not worker_requests(user).filter(pk=pk).exists():
        return None
    return (
        Request.objects.filter(pk=pk)
        .select_related(
            "kind", "holder__parent", "first_owner", "assignee", "assignee_team", "community", "street"
        )
        .prefetch_related(
            Prefetch("household", queryset=Household.objects.select_related("entrance__building__estate")),
            Prefetch("building", queryset=Building.objects.select_related("estate")),
            "cell",
            "merged_into",
            "reporter_user",
        )
        .first()
    )


def request_timeline(request: Request) -> list[RequestEvent]:
    return list(
        request.events.select_related("actor", "from_unit", "to_unit").prefetch_related(
            Prefetch("photos", queryset=RequestPhoto.objects.order_by("id"))
        )
    )


def request_photos(request: Request) -> list[RequestPhoto]:
    return list(request.photos.order_by("created_at", "id"))


def unit_holders(unit: TerritoryUnit) -> list:
    """The people who answer for a unit now: its leader(s), or for a community or street its staff."""
    roles = [LEADER_ROLE_FOR_LEVEL[unit.level]] if unit.level in LEADER_ROLE_FOR_LEVEL else list(STAFF_ROLES)
    posts = (
        Appointment.objects.active()
        .filter(unit=unit, role__in=roles)
        .select_related("person")
        .order_by("started_on", "id")
    )
    return [post.person for post in posts]


def request_roles(user, request: Request) -> dict[str, bool]:
    """What the viewer is to this request (the same rules as service_requests.services)."""
    scope = scope_for(user)
    holds = scope.holds(request.holder.path)
    return {
        "holds": holds,
        "staff_holds": scope.is_staff and holds,
        "first_owner": request.first_owner_id == user.pk,
        "assignee": request.assignee_id == user.pk,
    }


def request_actions(user, request: Request, roles: dict | None = None) -> list[str]:
    """The actions the viewer may take now, in the order the page shows them."""
    roles = roles or request_roles(user, request)
    actions: list[str] = []
    if request.status == Status.CLOSED:
        return actions
    if request.status == Status.RESOLVED:
        return ["close"] if roles["staff_holds"] else actions
    holds, doer = roles["holds"], roles["assignee"]
    if holds or doer:
        actions.append("respond")
    if holds or doer or roles["first_owner"]:
        actions.append("note")
    if holds and request.holder.parent_id is not None:
        actions.append("escalate")
    if holds and request.holder.level != Level.CELL:
        actions.append("hand_down")
    if holds:
        actions.append("dispatch")
    if (
        request.status == Status.DISPATCHED
        and request.assignee_team_id is not None
        and request.assignee_id is None
        and request.assignee_team.members.filter(pk=user.pk).exists()
    ):
        actions.append("claim")
    if holds or doer:
        actions.append("resolve")
    if roles["staff_holds"]:
        actions += ["close", "merge"]
    return actions


def may_reveal_reporter_phone(roles: dict) -> bool:
    return roles["holds"] or roles["first_owner"] or roles["assignee"]


def hand_down_units(user, request: Request) -> QuerySet:
    """Units below the holding level that the viewer can see."""
    return (
        TerritoryUnit.objects.visible_to(user)
        .filter(path__startswith=request.holder.path)
        .exclude(pk=request.holder_id)
        .order_by("path")
    )


def dispatch_teams(user, request: Request) -> QuerySet:
    teams = Team.objects.visible_to(user).filter(active=True)
    if request.community_id:
        teams = teams.filter(community_id=request.community_id)
    return teams.order_by("name")


def dispatch_people(user, request: Request):
    """Whom a request can be given to: the leaders of the units below its level, and the members of
    the teams of its community."""
    from accounts.models import User

    below = Appointment.objects.active().filter(
        unit__path__startswith=request.holder.path, role__in=list(LEADER_ROLE_FOR_LEVEL.values())
    )
    below = below.exclude(unit_id=request.holder_id)
    # Ids first: one query joining users to both appointments and teams reads every user.
    people = set(below.values_list("person_id", flat=True))
    if request.community_id:
        members = Team.members.through.objects.filter(
            team__community_id=request.community_id, team__active=True
        )
        people |= set(members.values_list("user_id", flat=True))
    return User.objects.filter(pk__in=people, is_active=True).order_by("full_name", "username")


def response_templates(request: Request) -> QuerySet:
    return ResponseTemplate.objects.filter(street_id=request.street_id).order_by("title")


def household_visible(user, household_id: int | None) -> bool:
    if household_id is None:
        return False
    return Household.objects.visible_to(user).filter(pk=household_id).exists()


def merge_target(user, request: Request, reference: str) -> Request | None:
    """The open request in the viewer's scope that a reference ("20260302-15" or "15") names."""
    text = (reference or "").strip().lstrip("#")
    date_part, _sep, pk_part = text.rpartition("-")
    pk = int_param(pk_part)
    if pk is None or pk == request.pk:
        return None
    target = Request.objects.visible_to(user).filter(pk=pk, status__in=OPEN_STATUSES).first()
    if target is None or (date_part and date_part != target.reference.rpartition("-")[0]):
        return None
    return target


# --- The team queue -----------------------------------------------------------------------------------


def team_queue(user) -> QuerySet:
    """Orders dispatched to the user's teams: unclaimed first, then claimed by the user, then by others."""
    order = Case(
        When(assignee__isnull=True, then=Value(0)),
        When(assignee=user, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        Request.objects.visible_to(user)
        .filter(_teams_q(user), status=Status.DISPATCHED)
        .annotate(claim_order=order)
        .order_by("claim_order", "created_at", "pk")
    )


# --- Filing on behalf ---------------------------------------------------------------------------------


def filing_households(user) -> QuerySet:
    return Household.objects.visible_to(user).filter(status=HouseholdStatus.RESIDENT)


@dataclass
class HouseholdChoices:
    households: list[Household] = field(default_factory=list)
    needs_search: bool = False  # too many to list: the viewer searches instead
    more: bool = False  # the search found more than it shows


def filing_household_choices(user, query: str = "", selected_id: int | None = None) -> HouseholdChoices:
    """The households a leader or staff member files for: all of a small patch, grouped by cell; a
    search over a big one (by address or by a resident's name)."""
    base = filing_households(user).with_address().select_related("cell")
    order = ["cell__path", "entrance__building__estate__name", "entrance__building__name", "floor", "room"]
    query = query.strip()[:50]
    if query:
        matching = Q(entrance__building__estate__name__icontains=query) | Q(
            entrance__building__name__icontains=query
        )
        matching |= Q(room__icontains=query) | Q(
            pk__in=Resident.objects.filter(name__icontains=query).values("household_id")
        )
        found = list(base.filter(matching).order_by(*order)[: FILING_SEARCH_LIMIT + 1])
        choices = HouseholdChoices(
            households=found[:FILING_SEARCH_LIMIT], more=len(found) > FILING_SEARCH_LIMIT
        )
    else:
        listed = list(base.order_by(*order)[: FILING_LIST_LIMIT + 1])
        if len(listed) > FILING_LIST_LIMIT:
            choices = HouseholdChoices(needs_search=True)
        else:
            choices = HouseholdChoices(households=listed)
    if selected_id and all(h.pk != selected_id for h in choices.households):
        selected = base.filter(pk=selected_id).first()
        if selected is not None:
            choices.households.insert(0, selected)
    return choices


def households_by_cell(households) -> list[tuple[TerritoryUnit | None, list[Household]]]:
    """[(cell, households)] in the order given (a household without a cell under None)."""
    sections: dict[int | None, tuple] = {}
    for household in households:
        sections.setdefault(household.cell_id, (household.cell, []))[1].append(household)
    return list(sections.values())


def household_head_name(household: Household) -> str:
    head = (
        Resident.objects.filter(household=household)
        .order_by(Case(When(relation=Relation.HEAD, then=Value(0)), default=Value(1)), "id")
        .values_list("name", flat=True)
        .first()
    )
    return head or ""


def filing_kinds(user) -> QuerySet:
    return kinds_for(user).filter(active=True).order_by("street_id", "sort_order", "name")


def filing_communities(user) -> QuerySet:
    """For staff filing without a household (at the service centre): the communities they staff."""
    from accounts.scope import managed_communities

    return managed_communities(user).order_by("path")
