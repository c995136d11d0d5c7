"""Reads of appointments and of the people who may be appointed, always scoped to a viewer."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.models import User
from leaders.models import BUILDING_ROLES, ESTATE_ROLES, ROLE_UNIT_LEVELS, Appointment
from linli.params import int_param
from territory.models import LEVEL_ORDER, Building, Estate, Level, TerritoryUnit

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
