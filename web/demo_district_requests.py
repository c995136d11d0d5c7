"""A year of residents' requests for the district (web/demo_district.py): rows and timelines made in
bulk, exactly as service_requests.services and the periodic job would have left them.

Each request is a short simulation of the services over floats of time (seconds), step by step:
filed (request_file: the kind's first level above where it comes from, menu orders to the community),
answered (request_respond), sent up by hand (request_escalate) or by the periodic rule when a level's
deadline passes (requests_escalate_overdue, within the minute), dispatched to a volunteer team and
claimed (request_dispatch, request_claim), resolved (request_resolve), rated (request_rate: a low
rating reopens it), closed after 7 days without a complaint (requests_close_unrated), withdrawn by staff
(request_close), or solved on the spot. A step that would fall after now is not taken, so what is still
open stands as the services leave it, and every open request's level deadlines lie ahead: the periodic
job's first pass has nothing to move. Each step writes its RequestEvent, with the services' messages.

Not written: notifications (the inbox rows the services send along), photos, merged duplicates and
requests handed down a level; the community demo (web/demo_requests.py) has those.
"""

import datetime
import random
import secrets
import time
from bisect import bisect_left
from collections.abc import Iterable
from itertools import accumulate

from django.utils.translation import gettext as _

from accounts.models import User
from leaders.models import Appointment, Role
from people.models import Household, HouseholdStatus, Resident
from service_requests.models import Channel, EventKind, Request, RequestEvent, ServiceKind, Status
from territory.models import Level, TerritoryUnit
from volunteers.models import Team
from web.demo_requests import ANSWERS, COMPLAINTS, OUTCOMES, PRAISE, PROBLEMS, TEAMS, UP_REASONS

UTC = datetime.UTC
HOUR = 3600.0
DAY = 86400.0
RATING_WINDOW = 7 * DAY
LOCAL_OFFSET = 8 * HOUR  # Asia/Shanghai keeps no summer time
CHUNK = 20_000

TIERS = [Level.CELL, Level.GROUP, Level.AREA, Level.COMMUNITY, Level.STREET]
CELL, GROUP, AREA, COMMUNITY, STREET = range(5)

KIND_WEIGHTS = {"repair": 28, "sanitation": 14, "dispute": 9, "hazard": 7, "hardship": 3, "appliance": 9,
                "certificate": 6, "micro": 14, "other": 10}  # fmt: skip
WORKER_CHANNELS = [Channel.WECHAT, Channel.VISIT, Channel.PHONE, Channel.MEETING, Channel.SERVICE_CENTRE,
                   Channel.PATROL]  # fmt: skip
WORKER_CHANNEL_WEIGHTS = [35, 24, 24, 5, 8, 4]
# Local hour of filing (people report in the morning and after work) and the year's slow growth.
HOUR_WEIGHTS = [0.1, 0.05, 0.03, 0.03, 0.05, 0.2, 0.6, 1.5, 3, 3.5, 3.2, 2.5, 1.8, 2, 2.6, 2.8, 2.7, 2.4, 2.2,
                2.6, 2.5, 1.8, 0.9, 0.3]  # fmt: skip

# By tier: chance the level answers in time at all; chance it sends the request up by hand after
# answering; chance the work drags past the level's deadline (the periodic rule sends it up).
ANSWERS_IN_TIME = [0.93, 0.95, 0.96, 0.97, 1.0]
SENDS_UP = [0.08, 0.10, 0.12, 0.03, 0.0]
DRAGS = [0.04, 0.05, 0.05, 0.03, 0.0]
RATED = 0.62
RATINGS, RATING_WEIGHTS = [5, 4, 3, 2, 1], [58, 28, 8, 4, 2]
WITHDRAWN = 0.01
ON_THE_SPOT = 0.15  # of what a leader files for a household in their own cell
WITHDRAW_REASONS = [
    "居民已自行解决,申请撤销",
    "不属于社区职责范围,已告知居民向相关部门反映",
    "居民重复提交,已合并处理",
]
LATE_COMMENTS = ["还行,就是慢了点", "解决是解决了,就是拖得有点久"]


def _dt(seconds: float | None) -> datetime.datetime | None:
    return None if seconds is None else datetime.datetime.fromtimestamp(seconds, UTC)


class _World:
    """The registry as the simulation needs it: compact maps read once from the database."""

    def __init__(self):
        self.level: dict[int, int] = {}
        self.parent: dict[int, int | None] = {}
        self.path: dict[int, str] = {}
        for pk, level, parent_id, path in TerritoryUnit.objects.values_list(
            "pk", "level", "parent_id", "path"
        ):
            self.level[pk], self.parent[pk], self.path[pk] = TIERS.index(level), parent_id, path
        self.kinds: dict[int, dict[str, tuple]] = {}
        for kind in ServiceKind.objects.filter(active=True):
            self.kinds.setdefault(kind.street_id, {})[kind.code] = (
                kind.pk,
                kind.response_hours * HOUR,
                kind.resolution_hours * HOUR,
                TIERS.index(kind.first_level),
                kind.is_menu_service,
            )
        self.people: dict[int, list[int]] = {}  # unit → who answers for it (leader; staff; admins)
        roles = [
            Role.CELL_LEADER,
            Role.GROUP_LEADER,
            Role.AREA_LEADER,
            Role.COMMUNITY_STAFF,
            Role.STREET_ADMIN,
        ]
        for unit_id, role, person_id in (
            Appointment.objects.active()
            .filter(role__in=roles, unit__isnull=False)
            .order_by("started_on", "pk")
            .values_list("unit_id", "role", "person_id")
        ):
            people = self.people.setdefault(unit_id, [])
            if role in (Role.COMMUNITY_STAFF, Role.STREET_ADMIN) or not people:
                people.append(person_id)
        self.names = {
            pk: full_name or username
            for pk, full_name, username in User.objects.filter(teams__isnull=False).values_list(
                "pk", "full_name", "username"
            )
        }
        self.teams: dict[tuple[int, str], tuple[int, str, list[int]]] = {}
        codes = {name: codes for name, _d, codes in TEAMS}
        for team in Team.objects.prefetch_related("members").order_by("pk"):
            members = sorted(m.pk for m in team.members.all())
            for code in codes.get(team.name, []):
                self.teams[(team.community_id, code)] = (team.pk, team.name, members)
        reporter: dict[int, tuple[str, str]] = {}
        for household_id, name, phone in (
            Resident.objects.exclude(phone="")
            .order_by("household_id", "pk")
            .values_list("household_id", "name", "phone")
        ).iterator(chunk_size=20000):
            reporter.setdefault(household_id, (name, phone))
        accounts = dict(
            User.objects.filter(resident__isnull=False).values_list("resident__household_id", "pk")
        )
        self.households = []  # (id, community, cell or None, building, name, phone, account or None)
        by_building: dict[int, set[int]] = {}
        for pk, community_id, cell_id, building_id in (
            Household.objects.filter(status=HouseholdStatus.RESIDENT)
            .order_by("pk")
            .values_list("pk", "community_id", "cell_id", "entrance__building_id")
        ):
            name, phone = reporter.get(pk, ("", ""))
            self.households.append((pk, community_id, cell_id, building_id, name, phone, accounts.get(pk)))
            if cell_id is not None:
                by_building.setdefault(building_id, set()).add(cell_id)
        self.building_unit = {b: self._common_unit(cells) for b, cells in by_building.items()}

    def _common_unit(self, cells: set[int]) -> int:
        """service_requests.services.building_first_unit: the lowest unit over all the building's cells."""
        paths = [self.path[c] for c in cells]
        common = paths[0]
        for path in paths[1:]:
            while not path.startswith(common):
                common = common[: common.rstrip("/").rfind("/") + 1]
        return int(common.strip("/").split("/")[-1])

    def at_tier(self, unit: int, tier: int) -> int:
        while self.level[unit] < tier:
            unit = self.parent[unit]
        return unit


class _Request:
    """One request's columns while its story runs (the names of service_requests.models.Request)."""

    __slots__ = (
        "pk", "kind_id", "description", "channel", "street_id", "community_id", "cell_id", "building_id",
        "household_id", "address_text", "reporter_name", "reporter_phone", "reporter_user_id", "first_owner_id",
        "holder_id", "assignee_team_id", "assignee_id", "status", "created_at", "response_due_at",
        "resolution_due_at", "level_since", "level_response_due_at", "level_resolution_due_at", "responded_at",
        "resolved_at", "closed_at", "close_reason", "solved_on_spot", "rating", "rating_comment", "rated_at",
        "times_reopened", "outcome",
    )  # fmt: skip


COLUMNS = [
    "id", "public_token", "kind_id", "description", "channel", "street_id", "community_id", "cell_id",
    "building_id", "household_id", "address_text", "latitude", "longitude", "reporter_name", "reporter_phone",
    "reporter_user_id", "first_owner_id", "holder_id", "assignee_team_id", "assignee_id", "status",
    "created_at", "response_due_at", "resolution_due_at", "level_since", "level_response_due_at",
    "level_resolution_due_at", "responded_at", "resolved_at", "closed_at", "close_reason", "solved_on_spot",
    "merged_into_id", "rating", "rating_comment", "rated_at", "times_reopened",
]  # fmt: skip
EVENT_COLUMNS = [
    "request_id",
    "kind",
    "actor_id",
    "from_unit_id",
    "to_unit_id",
    "message",
    "public",
    "created_at",
]


class _Simulation:
    def __init__(self, world: _World, rng: random.Random, now: float):
        self.world, self.rng, self.now = world, rng, now
        self.events: list[tuple] = []
        self.labels: dict[str, int] = {}
        self.messages = {
            "no_answer": _("No answer in time at this level."),
            "not_resolved": _("Not resolved in time at this level."),
            "rated": _("Rated by the resident."),
            "unrated": _("No complaint within 7 days."),
            "unhappy": _("The resident is not satisfied."),
        }

    # ---- the services' steps ----------------------------------------------------------------------

    def event(self, r, kind, actor, t, message="", from_unit=None, to_unit=None, public=True):
        self.events.append((r.pk, kind, actor, from_unit, to_unit, message, public, _dt(t)))

    def set_level(self, r, unit, t, respond, resolve):
        r.holder_id, r.level_since = unit, t
        r.level_response_due_at, r.level_resolution_due_at = t + respond, t + resolve

    def first_answer(self, r, actor, t):
        if r.responded_at is None:
            r.responded_at = t
        if r.first_owner_id is None and actor is not None:
            r.first_owner_id = actor

    def move(self, r, actor, kind, reason, t, respond, resolve):
        old = r.holder_id
        self.set_level(r, self.world.parent[old], t, respond, resolve)
        r.status, r.assignee_id, r.assignee_team_id = Status.NEW, None, None
        self.event(r, kind, actor, t, reason, from_unit=old, to_unit=r.holder_id)

    def resolve(self, r, actor, t, outcome):
        self.first_answer(r, actor, t)
        r.status, r.resolved_at = Status.RESOLVED, t
        r.level_response_due_at = r.level_resolution_due_at = None
        self.event(r, EventKind.RESOLVED, actor, t, outcome)

    # ---- a request's story ------------------------------------------------------------------------

    def label(self, name):
        self.labels[name] = self.labels.get(name, 0) + 1

    def tick(self, deadline: float) -> float | None:
        """When the periodic job (once a minute) acted on a deadline; None when it is still ahead. A
        deadline passed less than a minute before `now` is taken as acted on at `now`: the job's first
        pass over the district must find nothing left to do."""
        if deadline > self.now:
            return None
        return min(deadline + self.rng.uniform(5, 60), self.now)

    def story(self, r: _Request, code: str, kind: tuple, filer: int | None, *, on_the_spot: bool) -> None:
        rng, now, world = self.rng, self.now, self.world
        _kind_id, respond, resolve, _first, menu = kind
        t = r.created_at
        self.event(r, EventKind.FILED, filer, t, r.description, to_unit=r.holder_id)
        if on_the_spot and not menu and world.level[r.holder_id] == CELL and rng.random() < ON_THE_SPOT:
            outcome = rng.choice(OUTCOMES[code])
            r.responded_at = r.resolved_at = r.closed_at = t
            r.status, r.solved_on_spot, r.close_reason = Status.CLOSED, True, outcome
            self.event(r, EventKind.RESOLVED, filer, t, outcome)
            return self.label("solved on the spot")
        staff = world.people.get(r.community_id or r.street_id)
        if rng.random() < WITHDRAWN and staff:
            closing = t + respond * rng.uniform(0.1, 0.8)  # before anyone had to answer it
            if closing > now:
                return self.label("open")
            reason = rng.choice(WITHDRAW_REASONS)
            r.status, r.closed_at, r.close_reason = Status.CLOSED, closing, reason
            self.event(r, EventKind.CLOSED, rng.choice(staff), closing, reason)
            return self.label("closed by staff")
        doer = None
        while True:
            tier = world.level[r.holder_id]
            people = world.people.get(r.holder_id, [])
            start = r.level_since
            team = world.teams.get((r.holder_id, code)) if menu and tier == COMMUNITY else None
            answers = bool(people) and rng.random() < ANSWERS_IN_TIME[tier]
            if answers and team and team[2]:
                dispatched = start + respond * (0.02 + 0.8 * rng.random() ** 2)
                if dispatched > now:
                    return self.label("open")
                staff = rng.choice(people)
                self.first_answer(r, staff, dispatched)
                r.status, r.assignee_team_id, r.assignee_id = Status.DISPATCHED, team[0], None
                r.level_response_due_at = None
                self.event(r, EventKind.DISPATCHED, staff, dispatched, team[1])
                claimed = dispatched + rng.uniform(0.2, 6) * HOUR
                if claimed > now:
                    return self.label("open")
                doer = rng.choice(team[2])
                r.assignee_id = doer
                self.event(r, EventKind.CLAIMED, doer, claimed, world.names.get(doer, ""))
                answered = claimed
            elif answers:
                doer = rng.choice(people)
                answered = start + respond * (0.02 + 0.9 * rng.random() ** 2)
                if answered > now:
                    return self.label("open")
                self.first_answer(r, doer, answered)
                if r.status == Status.NEW:
                    r.status = Status.IN_PROGRESS
                r.level_response_due_at = None
                self.event(r, EventKind.RESPONDED, doer, answered, rng.choice(ANSWERS))
                if rng.random() < SENDS_UP[tier]:
                    sent = answered + (r.level_resolution_due_at - answered) * rng.uniform(0.1, 0.7)
                    if sent > now:
                        return self.label("open")
                    self.move(r, doer, EventKind.ESCALATED, rng.choice(UP_REASONS), sent, respond, resolve)
                    self.label("sent up by hand")
                    continue
            else:
                due = self.tick(r.level_response_due_at)
                if due is None:
                    return self.label("open")
                self.move(
                    r, None, EventKind.AUTO_ESCALATED, self.messages["no_answer"], due, respond, resolve
                )
                self.label("sent up: no answer in time")
                continue
            if rng.random() < DRAGS[tier]:
                due = self.tick(r.level_resolution_due_at)
                if due is None:
                    return self.label("open")
                self.move(
                    r, None, EventKind.AUTO_ESCALATED, self.messages["not_resolved"], due, respond, resolve
                )
                self.label("sent up: not resolved in time")
                continue
            solved = answered + (r.level_resolution_due_at - answered) * (0.05 + 0.9 * rng.random() ** 1.5)
            if solved > now:
                return self.label("open")
            self.resolve(r, doer, solved, rng.choice(OUTCOMES[code]))
            self.label(f"resolved at {TIERS[tier].value} level")
            break
        self.after_resolution(r, code, doer, resolve)

    def after_resolution(self, r: _Request, code: str, doer: int, resolve: float) -> None:
        rng, now = self.rng, self.now
        for attempt in (1, 2):
            if rng.random() < (RATED if attempt == 1 else 0.7):
                rated = r.resolved_at + min(
                    RATING_WINDOW - HOUR, rng.expovariate(1 / (20 * HOUR)) + 0.3 * HOUR
                )
                if rated > now:
                    return self.label("resolved, awaiting rating")
                rating = rng.choices(RATINGS, RATING_WEIGHTS)[0] if attempt == 1 else rng.choice([4, 5, 5])
                late = r.resolved_at > r.resolution_due_at
                comment = (
                    rng.choice(PRAISE)
                    if rating >= 4 and not late
                    else rng.choice(LATE_COMMENTS)
                    if rating >= 3
                    else rng.choice(COMPLAINTS)
                )
                r.rating, r.rating_comment, r.rated_at = rating, comment, rated
                self.event(r, EventKind.RATED, r.reporter_user_id, rated, f"{'★' * rating} {comment}".strip())
                if rating > 2:
                    r.status, r.closed_at = Status.CLOSED, rated
                    self.event(r, EventKind.CLOSED, None, rated, self.messages["rated"])
                    return self.label("closed after rating")
                # Reopened: the level holding it works on it again, with a fresh deadline to resolve.
                r.status, r.resolved_at = Status.IN_PROGRESS, None
                r.times_reopened += 1
                r.level_resolution_due_at = rated + resolve
                self.event(r, EventKind.REOPENED, None, rated, comment or self.messages["unhappy"])
                self.label("reopened")
                again = rated + rng.uniform(1, 12) * HOUR
                if again > now:
                    return
                self.event(r, EventKind.RESPONDED, doer, again, "抱歉,重新安排处理")
                solved = again + (r.level_resolution_due_at - again) * rng.uniform(0.1, 0.8)
                if solved > now:
                    return
                self.resolve(r, doer, solved, rng.choice(OUTCOMES[code]))
                continue
            closing = self.tick(r.resolved_at + RATING_WINDOW)
            if closing is None:
                return self.label("resolved, awaiting rating")
            r.status, r.closed_at = Status.CLOSED, closing
            self.event(r, EventKind.CLOSED, None, closing, self.messages["unrated"])
            return self.label("closed without rating")


def _filing_times(rng: random.Random, count: int, start: float, now: float) -> list[float]:
    """`count` moments between start and now, sorted: busier mornings and evenings, quieter weekends,
    and more each month as the platform spreads."""
    # Local days after the one `start` falls in, up to today.
    first_day = int((start + LOCAL_OFFSET) // DAY) + 1
    days = max(1, int((now + LOCAL_OFFSET) // DAY) - first_day + 1)
    day_weights = []
    for d in range(days):
        weekday = (first_day + d + 3) % 7  # day 0, 1 January 1970, was a Thursday
        day_weights.append((0.75 if weekday >= 5 else 1.0) * (0.7 + 0.5 * d / days))
    day_cum = list(accumulate(day_weights))
    hour_cum = list(accumulate(HOUR_WEIGHTS))
    moments = []
    while len(moments) < count:
        d = bisect_left(day_cum, rng.random() * day_cum[-1])
        h = bisect_left(hour_cum, rng.random() * hour_cum[-1])
        t = (first_day + d) * DAY - LOCAL_OFFSET + (h + rng.random()) * HOUR
        if t < now:  # today's hours still to come are drawn again
            moments.append(t)
    moments.sort()
    return moments


def _rows(requests: Iterable[_Request]):
    for r in requests:
        yield (
            r.pk, secrets.token_urlsafe(16), r.kind_id, r.description, r.channel, r.street_id, r.community_id,
            r.cell_id, r.building_id, r.household_id, r.address_text, None, None, r.reporter_name,
            r.reporter_phone, r.reporter_user_id, r.first_owner_id, r.holder_id, r.assignee_team_id,
            r.assignee_id, r.status, _dt(r.created_at), _dt(r.response_due_at), _dt(r.resolution_due_at),
            _dt(r.level_since), _dt(r.level_response_due_at), _dt(r.level_resolution_due_at),
            _dt(r.responded_at), _dt(r.resolved_at), _dt(r.closed_at), r.close_reason, r.solved_on_spot, None,
            r.rating, r.rating_comment, _dt(r.rated_at), r.times_reopened,
        )  # fmt: skip


def district_requests_build(shape, *, seed: int, writer) -> dict[str, int]:
    """Write `shape.request_count` requests over the last `shape.months` months, with their events."""
    started = time.perf_counter()
    rng = random.Random(seed + 15)
    world = _World()
    # Nothing happens in the last minutes before `now`: the rollups built at `now` would otherwise see
    # changes within figures' STALE_MARGIN of their build and count those days as due again.
    from figures.selectors import STALE_MARGIN

    now = (writer.now - STALE_MARGIN - datetime.timedelta(minutes=1)).timestamp()
    moments = _filing_times(rng, shape.request_count, now - shape.months * 30.44 * DAY, now)
    codes = list(KIND_WEIGHTS)
    code_cum = list(accumulate(KIND_WEIGHTS.values()))
    channel_cum = list(accumulate(WORKER_CHANNEL_WEIGHTS))
    sim = _Simulation(world, rng, now)
    first_id = writer.reserve(Request, len(moments))
    households = world.households
    street_of = world.parent
    load_seconds = time.perf_counter() - started
    written = events = 0
    batch: list[_Request] = []

    def flush():
        nonlocal written, events, batch
        written += writer.rows(Request._meta.db_table, COLUMNS, _rows(batch))
        events += writer.rows(RequestEvent._meta.db_table, EVENT_COLUMNS, sim.events)
        batch, sim.events = [], []

    for index, t in enumerate(moments):
        pk_household, community, cell, building, name, phone, account = households[
            rng.randrange(len(households))
        ]
        street = street_of[community]
        code = codes[bisect_left(code_cum, rng.random() * code_cum[-1])]
        kind = world.kinds[street][code]
        r = _Request()
        r.pk = first_id + index
        r.kind_id, r.street_id, r.community_id, r.created_at = kind[0], street, community, t
        r.description = rng.choice(PROBLEMS[code])
        r.address_text, r.reporter_name, r.reporter_phone, r.reporter_user_id = "", name, phone, None
        r.first_owner_id = r.assignee_team_id = r.assignee_id = None
        r.responded_at = r.resolved_at = r.closed_at = r.rating = r.rated_at = None
        r.close_reason, r.rating_comment, r.solved_on_spot, r.times_reopened = "", "", False, 0
        r.status = Status.NEW
        form = rng.random()
        if form < 0.88:  # about a household: its cell, or its community when it is in no cell yet
            r.household_id, r.building_id, start = pk_household, building, cell or community
        elif form < 0.96 and building in world.building_unit:  # the building's QR code, no household
            r.household_id, r.building_id, start = None, building, world.building_unit[building]
            if rng.random() < 0.4:
                r.reporter_name = r.reporter_phone = ""
        else:  # a place the registry does not know: the community's queue
            r.household_id, r.building_id, start = None, None, community
            r.address_text = "小区附近"
        r.cell_id = start if world.level[start] == CELL else None
        leader = (world.people.get(r.cell_id) or [None])[0] if r.cell_id else None
        # About a household: a leader or staff member files what they heard, or the resident files by QR
        # code; in the community's queue: staff filed it.
        worker = rng.random() < 0.6 if r.household_id is not None else r.building_id is None
        if worker:
            channel = WORKER_CHANNELS[bisect_left(channel_cum, rng.random() * channel_cum[-1])]
            if leader is None:
                channel = rng.choice([Channel.PHONE, Channel.SERVICE_CENTRE])
            if channel == Channel.SERVICE_CENTRE or leader is None:
                filer = rng.choice(world.people[community])
            else:
                filer = leader
            r.first_owner_id = filer
        else:
            channel, filer = (
                Channel.QR,
                account if r.household_id is not None and rng.random() < 0.5 else None,
            )
            r.reporter_user_id = filer
        r.channel = channel
        _kind_id, respond, resolve, first_tier, menu = kind
        r.response_due_at, r.resolution_due_at = t + respond, t + resolve
        holder = world.at_tier(start, first_tier)
        if menu:
            holder = community
        sim.set_level(r, holder, t, respond, resolve)
        sim.story(r, code, kind, filer, on_the_spot=worker and filer is not None and filer == leader)
        batch.append(r)
        if len(batch) >= CHUNK:
            flush()
    flush()
    writer.sync_sequences(Request)
    labels = {f"requests {k}": v for k, v in sorted(sim.labels.items())}
    return {"requests": written, "request events": events, **labels, "_load_seconds": load_seconds}
