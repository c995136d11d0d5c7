"""Visibility: the one place that decides what a viewer may see.

A viewer's Scope is derived from their active appointments (leaders.Appointment) and their own resident
record. Every queryset's `visible_to(user)` turns the scope into a filter through one of the `*_q`
methods below; views and API endpoints fetch objects only through those querysets, so something outside
the scope is simply not found (404).

- street admin → the street; community staff → the community; 片长/组长/邻长 → their area/group/cell;
- grid worker → the unit they cover; building leader → the households of their building;
- a resident → their own household; a superuser → everything.
"""

import functools
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Q

from leaders.models import BUILDING_ROLES, ROLES_SEEING_HOUSEHOLDS, STAFF_ROLES, Role
from linli.db_router import replica_reads
from territory.models import Level

_NOTHING = Q(pk__in=[])
_STREET_DEPTH, _COMMUNITY_DEPTH, _CELL_DEPTH = 1, 2, 5  # /street/community/area/group/cell/


def _path_depth(path: str) -> int:
    return len(path.strip("/").split("/"))


def _path_unit_id(path: str) -> int:
    """'/1/5/9/' → 9: a unit's own id is the last step of its path."""
    return int(path.strip("/").split("/")[-1])


def subtree_unit_ids(paths) -> list[int]:
    """The ids of the units at `paths` and of every unit below them, in one query (none for cells:
    a cell has nothing below it). Requests are matched against these ids rather than through joins on
    unit paths, so that each branch of a viewer's filter is one indexed `= ANY(ids)`: joined path
    patterns OR-ed together made PostgreSQL read all of a district's million requests."""
    from territory.models import TerritoryUnit

    ids, roots = set(), []
    for path in paths:
        if _path_depth(path) >= _CELL_DEPTH:
            ids.add(_path_unit_id(path))
        else:
            roots.append(path)
    if roots:
        q = _NOTHING
        for path in roots:
            q |= Q(path__startswith=path)
        ids.update(TerritoryUnit.objects.filter(q).values_list("id", flat=True))
    return sorted(ids)


def user_team_ids(user) -> list[int]:
    """The volunteer teams `user` belongs to, read once per user object (so once per request)."""
    cached = getattr(user, "_linli_team_ids", None)
    if cached is None:
        from volunteers.models import Team

        cached = list(Team.members.through.objects.filter(user_id=user.pk).values_list("team_id", flat=True))
        user._linli_team_ids = cached
    return cached


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    # Subtree roots by path: staff units see unplaced households of their communities too.
    staff_unit_paths: tuple[str, ...] = ()
    leader_unit_paths: tuple[str, ...] = ()
    building_ids: tuple[int, ...] = ()
    own_household_id: int | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    staff_community_ids: tuple[int, ...] = ()

    @cached_property
    def leader_unit_ids(self) -> list[int]:
        """Every unit of the viewer's leader patches (the patches and all below them)."""
        return subtree_unit_ids(self.leader_unit_paths)

    @cached_property
    def staff_unit_ids(self) -> list[int]:
        """Every unit of the viewer's staff territory (their communities or street, and all below)."""
        return subtree_unit_ids(self.staff_unit_paths)

    @property
    def is_staff(self) -> bool:
        """Street admins and community staff: they manage the registry of their territory."""
        return self.everything or bool(self.staff_unit_paths)

    @property
    def is_leader(self) -> bool:
        return bool(self.leader_unit_paths or self.building_ids)

    @property
    def is_street_admin(self) -> bool:
        return self.everything or any(len(p.strip("/").split("/")) == 1 for p in self.staff_unit_paths)

    @property
    def sees_many_households(self) -> bool:
        """Staff, and leaders of a group or more: they get the tree and the household list. A
        neighbour leader's 5–15 households are all on "my households"; more menus would only confuse."""
        cell_depth = 5  # /street/community/area/group/cell/
        return (
            self.everything
            or bool(self.staff_unit_paths)
            or any(len(path.strip("/").split("/")) < cell_depth for path in self.leader_unit_paths)
        )

    @property
    def can_reveal_id_numbers(self) -> bool:
        return self.is_staff

    @property
    def sees_territory(self) -> bool:
        return self.everything or bool(self.staff_unit_paths or self.leader_unit_paths)

    def households_q(self, prefix: str = "") -> Q:
        if self.everything:
            return Q()
        q = _NOTHING
        for path in self.staff_unit_paths:
            q |= Q(**{f"{prefix}community__path__startswith": path})
        for path in self.leader_unit_paths:
            q |= Q(**{f"{prefix}cell__path__startswith": path})
        if self.building_ids:
            q |= Q(**{f"{prefix}entrance__building_id__in": self.building_ids})
        if self.own_household_id:
            q |= Q(**{f"{prefix}pk": self.own_household_id})
        return q

    def units_q(self, prefix: str = "") -> Q:
        if self.everything:
            return Q()
        q = _NOTHING
        for path in self.staff_unit_paths + self.leader_unit_paths:
            q |= Q(**{f"{prefix}path__startswith": path})
        return q

    def estates_q(self, prefix: str = "") -> Q:
        """Estates (and through them buildings and entrances) of the communities a viewer can see."""
        if self.everything:
            return Q()
        q = _NOTHING
        for path in self.staff_unit_paths:
            q |= Q(**{f"{prefix}community__path__startswith": path})
        for path in self.leader_unit_paths:
            # A leader sees the estates where their patch has households.
            q |= Q(**{f"{prefix}buildings__entrances__households__cell__path__startswith": path})
        if self.building_ids:
            q |= Q(**{f"{prefix}buildings__id__in": self.building_ids})
        return q

    def appointments_q(self) -> Q:
        """Appointments over the units in scope, and the estates/buildings of the viewer's communities."""
        if self.everything:
            return Q()
        q = self.units_q(prefix="unit__")
        for path in self.staff_unit_paths:
            q |= Q(building__estate__community__path__startswith=path)
            q |= Q(estate__community__path__startswith=path)
        return q

    def requests_q(self, user, *, as_reporter: bool = True) -> Q:
        """Requests of the viewer's territory, plus those they first received, hold, do (themselves or
        through a team), or filed (unless `as_reporter` is False: a worker's queue leaves out what they
        filed only as a resident). Every branch is an indexed column against ids read beforehand."""
        if self.everything:
            return Q()
        q = _NOTHING
        streets = [_path_unit_id(p) for p in self.staff_unit_paths if _path_depth(p) == _STREET_DEPTH]
        communities = [_path_unit_id(p) for p in self.staff_unit_paths if _path_depth(p) == _COMMUNITY_DEPTH]
        if streets:  # the street's communities' requests and those placed in no community yet
            q |= Q(street_id__in=streets)
        if communities:
            q |= Q(community_id__in=communities)
        if self.leader_unit_paths:
            ids = self.leader_unit_ids
            q |= Q(cell_id__in=ids) | Q(holder_id__in=ids)
        if self.building_ids:
            q |= Q(building_id__in=self.building_ids)
        if user is not None and user.is_authenticated:
            q |= Q(first_owner_id=user.pk) | Q(assignee_id=user.pk)
            if as_reporter:
                q |= Q(reporter_user_id=user.pk)
            teams = user_team_ids(user)
            if teams:
                q |= Q(assignee_team_id__in=teams)
        return q

    def _territory_q(self, field: str) -> Q:
        """Rows whose `field` (a copied unit path: a cell's, a campaign's, an inspection's) lies in the
        viewer's territory."""
        q = _NOTHING
        for path in self.staff_unit_paths + self.leader_unit_paths:
            q |= Q(**{f"{field}__startswith": path})
        return q

    def care_q(self, user, prefix: str = "") -> Q:
        """Care plans (and through `prefix`, their contacts): those in the viewer's territory, those of
        their building for a building leader, and those they are the carer of wherever they are."""
        if self.everything:
            return Q()
        q = _NOTHING
        for path in self.staff_unit_paths:
            q |= Q(**{f"{prefix}community__path__startswith": path})
        for path in self.leader_unit_paths:
            q |= Q(**{f"{prefix}cell_path__startswith": path})
        if self.building_ids:
            q |= Q(**{f"{prefix}resident__household__entrance__building_id__in": self.building_ids})
        if user is not None and user.is_authenticated:
            q |= Q(**{f"{prefix}carer": user})
        return q

    def alerts_q(self, user) -> Q:
        """Welfare alerts: those on households of the viewer's patch (not their own household's: a
        resident sees only the alerts they raised), and those they were called to answer."""
        if self.everything:
            return Q()
        q = Scope(
            staff_unit_paths=self.staff_unit_paths,
            leader_unit_paths=self.leader_unit_paths,
            building_ids=self.building_ids,
        ).households_q(prefix="household__")
        if user is not None and user.is_authenticated:
            q |= Q(raised_by=user)
            if self.roles:  # told about it, still in post, and the alert open or just closed
                from care.models import alerts_told_q

                q |= alerts_told_q(user)
        return q

    def campaigns_q(self, user) -> Q:
        """Campaigns over the viewer's territory, above it (a community's campaign reaches every cell
        in it) or, for a building leader, with target households in their building."""
        if self.everything:
            return Q()
        q = self._territory_q("unit_path")
        for path in self.staff_unit_paths + self.leader_unit_paths:
            q |= Q(unit_path__in=_ancestor_paths(path))
        if self.building_ids:
            from campaigns.models import CampaignTarget

            q |= Q(
                pk__in=CampaignTarget.objects.filter(
                    household__entrance__building_id__in=self.building_ids
                ).values("campaign_id")
            )
        return q

    def campaign_targets_q(self, prefix: str = "") -> Q:
        """Campaign targets (through `prefix`) in the viewer's territory by their copied cell path (for a
        household in no cell, its community's path), and those in a building leader's building. The
        viewer's own household gives no right here: a resident sees no campaign."""
        if self.everything:
            return Q()
        q = self._territory_q(f"{prefix}cell_path")
        if self.building_ids:
            q |= Q(**{f"{prefix}household__entrance__building_id__in": self.building_ids})
        return q

    def inspections_q(self, user) -> Q:
        if self.everything:
            return Q()
        q = self._territory_q("unit_path")
        if user is not None and user.is_authenticated:
            q |= Q(inspector=user)
        return q

    def staff_territory_q(self, field: str) -> Q:
        """Rows whose unit path (`field`) lies in the viewer's staff territory: the community's own
        business (nominations, elections, trainings), which leaders do not see through their post."""
        if self.everything:
            return Q()
        q = _NOTHING
        for path in self.staff_unit_paths:
            q |= Q(**{f"{field}__startswith": path})
        return q

    def own_cell_q(self, field: str) -> Q:
        """Rows whose unit (`field`, an id) is the cell of the viewer's own household (a resident's
        cell election)."""
        if not self.own_household_id:
            return _NOTHING
        from people.models import Household

        return Q(**{f"{field}__in": Household.objects.filter(pk=self.own_household_id).values("cell_id")})

    def community_paths(self) -> tuple[str, ...]:
        """The paths of the communities the viewer works in (a leader's is the one above their unit)."""
        paths = set()
        for path in self.staff_unit_paths + self.leader_unit_paths:
            parts = path.strip("/").split("/")
            paths.add("/" + "/".join(parts[:2]) + "/")
        return tuple(sorted(paths))

    def community_things_q(self, prefix: str = "") -> Q:
        """Things that belong to a whole community (a distribution, a checklist): those of the
        communities the viewer works in, and for street staff all communities of the street."""
        if self.everything:
            return Q()
        q = _NOTHING
        for path in self.community_paths():
            q |= Q(**{f"{prefix}community__path__startswith": path})
        if self.building_ids:
            from territory.models import Building

            communities = Building.objects.filter(pk__in=self.building_ids).values("estate__community_id")
            q |= Q(**{f"{prefix}community_id__in": communities})
        return q

    def holds(self, unit_path: str) -> bool:
        """Whether the viewer answers for this unit: they hold it or a unit above it, or staff it."""
        if self.everything:
            return True
        return any(unit_path.startswith(p) for p in self.staff_unit_paths + self.leader_unit_paths)

    def can_manage_community(self, community_id: int) -> bool:
        return self.everything or community_id in self.staff_community_ids


def _ancestor_paths(path: str) -> list[str]:
    """'/1/5/9/' → ['/1/', '/1/5/', '/1/5/9/']."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def staff_scope(request) -> Scope:
    """The scope of a street admin or community staff member; to anyone else the page does not exist."""
    from django.http import Http404

    scope = scope_for(request.user)
    if not scope.is_staff:
        raise Http404
    return scope


def managed_communities(user):
    """The communities whose registry `user` may edit: all of them for a superuser, else their staff posts."""
    from territory.models import TerritoryUnit

    scope = scope_for(user)
    communities = TerritoryUnit.objects.filter(level=Level.COMMUNITY)
    if scope.everything:
        return communities
    return communities.filter(pk__in=scope.staff_community_ids)


def scope_build(user) -> Scope:
    if not user or not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(everything=True, roles=frozenset({Role.STREET_ADMIN}))
    from leaders.models import Appointment
    from territory.models import TerritoryUnit

    appointments = list(
        Appointment.objects.active()
        .filter(person=user)
        .select_related("unit")
        .only("role", "unit__path", "building_id")
    )
    staff_paths, leader_paths, buildings = [], [], []
    for appointment in appointments:
        if appointment.role not in ROLES_SEEING_HOUSEHOLDS:
            continue
        if appointment.role in BUILDING_ROLES:
            buildings.append(appointment.building_id)
        elif appointment.role in STAFF_ROLES:
            staff_paths.append(appointment.unit.path)
        elif appointment.unit_id:
            leader_paths.append(appointment.unit.path)
    staff_community_ids: tuple[int, ...] = ()
    if staff_paths:
        q = _NOTHING
        for path in staff_paths:
            q |= Q(path__startswith=path)
        staff_community_ids = tuple(
            TerritoryUnit.objects.filter(q, level=Level.COMMUNITY).values_list("id", flat=True)
        )
    resident = user.resident if user.resident_id else None
    return Scope(
        staff_unit_paths=tuple(staff_paths),
        leader_unit_paths=tuple(leader_paths),
        building_ids=tuple(buildings),
        own_household_id=resident.household_id if resident else None,
        roles=frozenset(a.role for a in appointments),
        staff_community_ids=staff_community_ids,
    )


def scope_for(user) -> Scope:
    """The viewer's scope, built once per user object (so once per request)."""
    cached = getattr(user, "_linli_scope", None)
    if cached is None:
        cached = scope_build(user)
        if user is not None and hasattr(user, "__dict__"):
            user._linli_scope = cached
    return cached


def replica_reads_scoped(view):
    """A view decorator for read-only pages that may read from a replica (linli.db_router): who the viewer
    is and what they may see is read first, from the primary, so that an appointment ended a moment ago
    stops at once however far the replica lags; the page's own reads then go to the replica."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        scope_for(request.user)
        user_team_ids(request.user)
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapper
