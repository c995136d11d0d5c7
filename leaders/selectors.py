"""Reads of appointments and of the people who may be appointed, always scoped to a viewer."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from leaders.models import (
    BUILDING_ROLES,
    ESTATE_ROLES,
    LEADER_ROLE_FOR_LEVEL,
    ROLE_UNIT_LEVELS,
    STAFF_ROLES,
    Appointment,
    Attendance,
    Election,
    ElectionStatus,
    Nomination,
    Role,
    Training,
    Vote,
)
from linli.params import int_param
from territory.models import LEVEL_ORDER, Building, Estate, Level, TerritoryUnit, path_ids

STATUS_ACTIVE, STATUS_ENDED, STATUS_ALL = "active", "ended", "all"
SEARCH_LIMIT = 20


def appointment_list(
    viewer, *, role: str = "", status: str = STATUS_ACTIVE, unit: TerritoryUnit | None = None
) -> QuerySet[Appointment]:
    """The appointments the viewer may see, newest first; `unit` keeps those on it or below it."""
    appointments = Appointment.objects.visible_to(viewer)
    if role:
        appointments = appointments.filter(role=role)
    if status == STATUS_ACTIVE:
        appointments = appointments.active()
    elif status == STATUS_ENDED:
        appointments = appointments.filter(ended_on__isnull=False).exclude(
            pk__in=Appointment.objects.active()
        )
    if unit is not None:
        appointments = appointments.filter(
            Q(unit__path__startswith=unit.path)
            | Q(estate__community__path__startswith=unit.path)
            | Q(building__estate__community__path__startswith=unit.path)
        )
    return appointments.select_related("person", "unit__parent", "estate", "building__estate").order_by(
        "-started_on", "-id"
    )


def appointment_post_history(viewer, appointment: Appointment) -> QuerySet[Appointment]:
    """Every appointment to the same post (role and place), newest first: the post's history."""
    return (
        Appointment.objects.visible_to(viewer)
        .filter(
            role=appointment.role,
            unit_id=appointment.unit_id,
            estate_id=appointment.estate_id,
            building_id=appointment.building_id,
        )
        .select_related("person")
        .order_by("-started_on", "-id")
    )


def person_candidates(viewer) -> QuerySet[User]:
    """Users who may be chosen for a post: residents in the viewer's scope, or holders of a post in it."""
    from people.models import Resident

    residents = Resident.objects.visible_to(viewer).values("pk")
    holders = Appointment.objects.visible_to(viewer).values("person_id")
    return User.objects.filter(is_active=True).filter(Q(resident__in=residents) | Q(pk__in=holders))


def residents_without_account(viewer):
    """Residents in scope who have no user yet: appointing one creates their user, linked to them."""
    from people.models import Resident

    return Resident.objects.visible_to(viewer).filter(account__isnull=True)


@dataclass
class PersonCandidate:
    value: str  # "u<user id>" or "r<resident id>"
    name: str
    detail: str
    has_account: bool


def person_search(viewer, query: str) -> list[PersonCandidate]:
    """Users and account-less residents in scope whose name, username, pinyin initials or phone match."""
    text = query.strip()
    if not text:
        return []
    initials = text.lower()
    users = (
        person_candidates(viewer)
        .filter(
            Q(full_name__icontains=text)
            | Q(username__icontains=text)
            | Q(phone=text)
            | Q(resident__name__icontains=text)
            | Q(resident__name_initials__startswith=initials)
        )
        .select_related("resident__household__entrance__building__estate")
        .order_by("full_name", "username")[:SEARCH_LIMIT]
    )
    residents = (
        residents_without_account(viewer)
        .filter(Q(name__icontains=text) | Q(phone=text) | Q(name_initials__startswith=initials))
        .select_related("household__entrance__building__estate")
        .order_by("name", "pk")[:SEARCH_LIMIT]
    )
    found = [
        PersonCandidate(
            f"u{user.pk}",
            user.display_name,
            user.resident.household.address if user.resident else user.username,
            True,
        )
        for user in users
    ]
    found += [PersonCandidate(f"r{r.pk}", r.name, r.household.address, False) for r in residents]
    return found


def person_candidate(viewer, value: str) -> PersonCandidate | None:
    """The candidate behind a chosen value, so a form shown again keeps the choice on screen."""
    kind, pk = value[:1], int_param(value[1:])
    if pk is None:
        return None
    if kind == "u":
        user = person_candidates(viewer).filter(pk=pk).first()
        return PersonCandidate(value, user.display_name, user.username, True) if user else None
    if kind == "r":
        resident = residents_without_account(viewer).select_related("household__entrance__building__estate")
        resident = resident.filter(pk=pk).first()
        return PersonCandidate(value, resident.name, resident.household.address, False) if resident else None
    return None


def scoped_estates(viewer) -> QuerySet[Estate]:
    return Estate.objects.visible_to(viewer)


def scoped_buildings(viewer) -> QuerySet[Building]:
    return Building.objects.visible_to(viewer)


def unit_labels(units: list[TerritoryUnit]) -> dict[int, str]:
    """'Area › Group › Cell' for each unit, from its ancestors' names (no query).

    The ancestors every unit shares (the street; the community, for its staff) are left out.
    """
    names = {unit.pk: unit.name for unit in units}
    chains = {unit.pk: unit.ancestor_ids for unit in units}
    common = min((len(chain) for chain in chains.values()), default=0)
    first = next(iter(chains.values()), [])
    while common and any(chain[:common] != first[:common] for chain in chains.values()):
        common -= 1
    labels = {}
    for unit in units:
        chain = chains[unit.pk]
        shown = chain[common:] or chain[-1:]
        labels[unit.pk] = " › ".join(names[pk] for pk in shown if pk in names)
    return labels


def unit_choices(viewer, levels, *, prefix: str = "") -> list[tuple[str, list]]:
    """Visible units of the given levels as option groups by level, labelled with their ancestors' names."""
    units = list(
        TerritoryUnit.objects.visible_to(viewer).only("id", "name", "level", "path").order_by("path")
    )
    labels = unit_labels(units)
    by_level: dict[str, list] = {}
    for unit in sorted(units, key=lambda u: labels[u.pk]):
        if unit.level in levels:
            by_level.setdefault(unit.level, []).append((f"{prefix}{unit.pk}", labels[unit.pk]))
    return [(Level(level).label, by_level[level]) for level in LEVEL_ORDER if level in by_level]


def place_choices(viewer, role: str = "") -> list[tuple[str, list]]:
    """Options for choosing a place ('unit:1', 'estate:2', 'building:3') in the viewer's scope, grouped.

    Narrowed to the places `role` may cover when a role is given.
    """
    if role in BUILDING_ROLES:
        kinds, levels = {"building"}, []
    elif role in ESTATE_ROLES:
        kinds, levels = {"estate"}, []
    elif role in ROLE_UNIT_LEVELS:
        kinds, levels = set(), ROLE_UNIT_LEVELS[role]
    else:
        kinds, levels = {"estate", "building"}, LEVEL_ORDER
    groups = unit_choices(viewer, levels, prefix="unit:") if levels else []
    if "estate" in kinds:
        estates = [(f"estate:{e.pk}", e.name) for e in scoped_estates(viewer).order_by("name")]
        if estates:
            groups.append((Estate._meta.verbose_name_plural, estates))
    if "building" in kinds:
        buildings = scoped_buildings(viewer).select_related("estate").order_by("estate__name", "name")
        options = [(f"building:{b.pk}", str(b)) for b in buildings]
        if options:
            groups.append((Building._meta.verbose_name_plural, options))
    return groups


def place_parse(viewer, value: str):
    """(unit, estate, building) for a chosen 'kind:id' value, fetched within scope; None when not found."""
    kind, _sep, raw_pk = value.partition(":")
    pk = int_param(raw_pk)
    if pk is None:
        return None
    if kind == "unit":
        unit = TerritoryUnit.objects.visible_to(viewer).filter(pk=pk).first()
        return (unit, None, None) if unit else None
    if kind == "estate":
        estate = scoped_estates(viewer).filter(pk=pk).first()
        return (None, estate, None) if estate else None
    if kind == "building":
        building = scoped_buildings(viewer).filter(pk=pk).first()
        return (None, None, building) if building else None
    return None


# --- Selection: nominations, elections, trainings, coverage ---------------------------------------------


def staff_communities(viewer) -> QuerySet[TerritoryUnit]:
    """The communities whose selection the viewer manages (staff posts; all for a superuser)."""
    from accounts.scope import managed_communities

    return managed_communities(viewer).order_by("path")


def nomination_list(
    viewer, *, community: TerritoryUnit | None = None, status: str = ""
) -> QuerySet[Nomination]:
    nominations = Nomination.objects.visible_to(viewer)
    if community is not None:
        nominations = nominations.filter(community=community)
    if status:
        nominations = nominations.filter(status=status)
    return nominations.select_related(
        "community", "unit__parent", "user", "resident__household__entrance__building__estate"
    ).order_by("-created_at", "-id")


def nomination_get(viewer, pk: int) -> Nomination | None:
    return (
        Nomination.objects.visible_to(viewer)
        .select_related(
            "community",
            "unit__parent",
            "user__resident",
            "resident__household__entrance__building__estate",
            "resident__household__cell",
            "election",
            "appointment",
            "created_by",
        )
        .filter(pk=pk)
        .first()
    )


# --- Who holds posts over a unit now -------------------------------------------------------------------


def posts_above(path: str, roles, *, on: datetime.date | None = None) -> QuerySet[Appointment]:
    """The appointments in `roles` active on `on` (today) on the unit at `path` and on every unit above
    it (the path names them all: /street/community/area/group/cell/), for a query to build on."""
    return Appointment.objects.active(on).filter(unit_id__in=path_ids(path), role__in=list(roles))


def holders_by_unit(unit_ids, roles, *, on: datetime.date | None = None) -> dict[int, list[User]]:
    """The people in post in `roles` on each of the units, by unit id, longest-serving first: in one
    query however many units (a batch of plans, requests or cells at once)."""
    found: dict[int, list[User]] = {}
    posts = (
        Appointment.objects.active(on)
        .filter(unit_id__in=set(unit_ids), role__in=list(roles))
        .select_related("person")
        .order_by("started_on", "id")
    )
    for post in posts:
        found.setdefault(post.unit_id, []).append(post.person)
    return found


def holders_above(path: str, roles, *, on: datetime.date | None = None) -> list[User]:
    """The people in post in `roles` on the unit at `path` and the units above it, each once, from the
    top unit down: e.g. the 组长 and the community's staff over a cell. One query."""
    ids = path_ids(path)
    by_unit = holders_by_unit(ids, roles, on=on) if ids else {}
    people = {person.pk: person for unit_id in ids for person in by_unit.get(unit_id, [])}
    return list(people.values())


def unit_holders(unit: TerritoryUnit, *, on: datetime.date | None = None) -> list[User]:
    """The people who answer for a unit now: its leaders (片长, 组长, 邻长), or for a community or the
    street its staff. One query."""
    roles = [LEADER_ROLE_FOR_LEVEL[unit.level]] if unit.level in LEADER_ROLE_FOR_LEVEL else list(STAFF_ROLES)
    return holders_by_unit([unit.pk], roles, on=on).get(unit.pk, [])


def post_holders(nomination: Nomination) -> QuerySet[Appointment]:
    """The active holders of the post a nomination is for: whom an appointment may replace."""
    return (
        Appointment.objects.active()
        .filter(role=nomination.role, unit_id=nomination.unit_id)
        .select_related("person")
        .order_by("started_on", "id")
    )


def cell_candidates(cell: TerritoryUnit):
    """Residents who may stand in the cell's election (they live in it), by address then name."""
    from leaders.services import cell_voters_q
    from people.models import Resident

    return (
        Resident.objects.filter(cell_voters_q(), household__cell=cell)
        .select_related("household__entrance__building__estate")
        .order_by(
            "household__entrance__building__estate__name", "household__entrance_id", "household__room", "name"
        )
    )


def election_list(viewer, *, community: TerritoryUnit | None = None) -> QuerySet[Election]:
    elections = Election.objects.visible_to(viewer)
    if community is not None:
        elections = elections.filter(community=community)
    return (
        elections.select_related("unit__parent", "winner")
        .annotate(
            vote_count=Count("votes", distinct=True), candidate_count=Count("candidates", distinct=True)
        )
        .order_by("-opens_at", "-id")
    )


def election_get(viewer, pk: int) -> Election | None:
    return (
        Election.objects.visible_to(viewer)
        .select_related("unit__parent", "community", "winner")
        .filter(pk=pk)
        .first()
    )


def election_household_vote(election: Election, user) -> Vote | None:
    """The vote the user's household cast in the election, if any."""
    if not user.resident_id:
        return None
    return (
        Vote.objects.filter(election=election, household__members__pk=user.resident_id)
        .select_related("candidate__resident")
        .first()
    )


def training_list(viewer, *, community: TerritoryUnit | None = None) -> QuerySet[Training]:
    trainings = Training.objects.visible_to(viewer)
    if community is not None:
        trainings = trainings.filter(community=community)
    return (
        trainings.select_related("unit", "community")
        .annotate(
            invited=Count("attendances", distinct=True),
            present=Count("attendances", filter=Q(attendances__attended=True), distinct=True),
        )
        .order_by("-held_on", "-id")
    )


def training_get(viewer, pk: int) -> Training | None:
    return Training.objects.visible_to(viewer).select_related("unit", "community").filter(pk=pk).first()


@dataclass
class Invitee:
    user: User
    posts: list[str]
    attended: bool | None  # None: not recorded yet


def training_invitees(training: Training) -> list[Invitee]:
    """The leaders of the training's territory (active on its date), and anyone already recorded."""
    from leaders.services import TRAINED_ROLES

    unit = training.unit
    places = Q(unit__path__startswith=unit.path)
    if unit.level == Level.COMMUNITY:
        places |= Q(building__estate__community=unit)
    posts = (
        Appointment.objects.active(training.held_on)
        .filter(places, role__in=TRAINED_ROLES)
        .select_related("person", "unit", "building__estate")
        .order_by("role", "unit__path", "building_id", "person_id")
    )
    recorded = {
        row.person_id: row for row in Attendance.objects.filter(training=training).select_related("person")
    }
    found: dict[int, Invitee] = {}
    for post in posts:
        invitee = found.setdefault(post.person_id, Invitee(post.person, [], None))
        invitee.posts.append(f"{post.get_role_display()} · {post.place}")
    for person_id, row in recorded.items():
        found.setdefault(person_id, Invitee(row.person, [], None)).attended = row.attended
    return sorted(found.values(), key=lambda i: (i.user.display_name, i.user.pk))


@dataclass
class Coverage:
    cells_without_leader: list
    crowded: list  # active 邻长 appointments with their cell's `households` count above the maximum
    moved_out: list  # active 邻长 appointments whose holder's home is not a household living in the cell
    terms_ending: list  # active appointments whose term ends within TERM_WARNING_DAYS (or has ended)

    @property
    def total(self) -> int:
        return (
            len(self.cells_without_leader) + len(self.crowded) + len(self.moved_out) + len(self.terms_ending)
        )


TERM_WARNING_DAYS = 30


def _in_community(field: str, community: TerritoryUnit | None) -> Q:
    return Q(**{f"{field}__startswith": community.path}) if community is not None else Q()


def coverage(viewer, *, community: TerritoryUnit | None = None, today=None) -> Coverage:
    """The gaps in the viewer's territory (optionally one community), one query per list."""
    from people.models import HouseholdStatus, ResidenceStatus
    from territory.models import CELL_MAX_HOUSEHOLDS

    today = today or timezone.localdate()
    living = Q(cell_households__status=HouseholdStatus.RESIDENT)
    led_cells = Appointment.objects.active(today).filter(role=Role.CELL_LEADER).values("unit_id")
    cells_without_leader = (
        TerritoryUnit.objects.visible_to(viewer)
        .filter(_in_community("path", community), level=Level.CELL)
        .exclude(pk__in=led_cells)
        .select_related("parent")
        .annotate(households=Count("cell_households", filter=living))
        .order_by("path")
    )
    cell_posts = (
        Appointment.objects.visible_to(viewer)
        .active(today)
        .filter(_in_community("unit__path", community), role=Role.CELL_LEADER)
        .select_related("person", "unit__parent")
    )
    crowded = (
        cell_posts.annotate(
            households=Count(
                "unit__cell_households", filter=Q(unit__cell_households__status=HouseholdStatus.RESIDENT)
            )
        )
        .filter(households__gt=CELL_MAX_HOUSEHOLDS)
        .order_by("-households", "unit__path")
    )
    home = "person__resident__"
    moved_out = (
        cell_posts.filter(person__resident__isnull=False)
        .filter(
            Q(**{f"{home}household__cell__isnull": True})
            | ~Q(**{f"{home}household__cell": F("unit")})
            | ~Q(**{f"{home}household__status": HouseholdStatus.RESIDENT})
            | Q(**{f"{home}residence_status": ResidenceStatus.REGISTERED_ONLY})
            | Q(**{f"{home}died_on__isnull": False})
        )
        .select_related(f"{home}household__entrance__building__estate", f"{home}household__cell")
        .order_by("unit__path")
    )
    terms_ending = (
        Appointment.objects.visible_to(viewer)
        .active(today)
        .filter(
            _in_community("unit__path", community)
            | _in_community("building__estate__community__path", community)
            | _in_community("estate__community__path", community),
            term_ends_on__isnull=False,
            term_ends_on__lte=today + datetime.timedelta(days=TERM_WARNING_DAYS),
        )
        .select_related("person", "unit__parent", "estate", "building__estate")
        .order_by("term_ends_on", "id")
    )
    return Coverage(
        cells_without_leader=list(cells_without_leader),
        crowded=list(crowded),
        moved_out=list(moved_out),
        terms_ending=list(terms_ending),
    )


def person_phone(user) -> str:
    """The number residents call a leader on: their account's, else their resident record's."""
    return user.phone or (user.resident.phone if user.resident_id else "")


@dataclass
class MyCell:
    """What a resident sees of their cell's selection: its leaders, its election, their nominations."""

    cell: TerritoryUnit | None
    resident: object = None
    leaders: list = field(default_factory=list)  # active 邻长/组长/片长 appointments over the cell
    elections: list = field(default_factory=list)  # open or published, newest first
    nominations: list = field(default_factory=list)
    can_nominate: bool = False


def my_cell(user) -> MyCell:
    """The resident's own cell (through their linked resident record). The leaders listed are those
    on the public board of their building: names and phones every resident may see."""
    from leaders.services import resident_lives_in
    from people.models import Resident

    if not user.is_authenticated or not user.resident_id:
        return MyCell(cell=None)
    resident = (
        Resident.objects.select_related("household__cell__parent", "household__entrance__building__estate")
        .filter(pk=user.resident_id)
        .first()
    )
    cell = resident.household.cell if resident else None
    if cell is None:
        return MyCell(cell=None, resident=resident)
    leaders = list(
        posts_above(cell.path, LEADER_ROLE_FOR_LEVEL.values())
        .select_related("person__resident", "unit")
        .order_by("-unit__path", "started_on", "id")
    )
    elections = list(
        Election.objects.visible_to(user)
        .filter(unit=cell, status__in=[ElectionStatus.OPEN, ElectionStatus.PUBLISHED])
        .select_related("winner")
        .order_by("-opens_at", "-id")[:3]
    )
    nominations = list(
        Nomination.objects.filter(Q(user=user) | Q(resident=resident))
        .select_related("unit")
        .order_by("-created_at")
    )
    for post in leaders:
        post.phone = person_phone(post.person)
    holds = any(a.person_id == user.pk and a.unit_id == cell.pk for a in leaders)
    pending = any(n.is_open and n.unit_id == cell.pk and n.role == Role.CELL_LEADER for n in nominations)
    return MyCell(
        cell=cell,
        resident=resident,
        leaders=leaders,
        elections=elections,
        nominations=nominations,
        can_nominate=resident_lives_in(resident, cell) and not holds and not pending,
    )


def patch_main_building_id(appointment: Appointment) -> int | None:
    """The building with most resident households in the appointment's patch: where its QR code sends
    residents to file a request. A building leader's is their building."""
    from people.models import Household, HouseholdStatus

    if appointment.building_id:
        return appointment.building_id
    households = Household.objects.filter(status=HouseholdStatus.RESIDENT)
    if appointment.estate_id:
        households = households.filter(entrance__building__estate_id=appointment.estate_id)
    elif appointment.unit.level == Level.CELL:
        households = households.filter(cell_id=appointment.unit_id)
    else:
        households = households.filter(
            Q(cell__path__startswith=appointment.unit.path) | Q(community_id=appointment.unit_id)
        )
    row = (
        households.values("entrance__building_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "entrance__building_id")
        .first()
    )
    return row["entrance__building_id"] if row else None
