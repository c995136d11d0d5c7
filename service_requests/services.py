"""The request lifecycle. Every function takes the acting user (`actor`; None for the system), runs in
one transaction, writes a RequestEvent (the timeline) and tells the people concerned (notices).

    new ──respond──▶ in_progress ──dispatch──▶ dispatched ──claim──▶ (assignee set)
     │                  │                          │
     └──────────────────┴──────── resolve ─────────┴──▶ resolved ──rate ≥ 4──▶ closed
                                                           │   └──rate ≤ 2 / not solved──▶ in_progress (reopened)
                                                           └── 7 days without a complaint ──▶ closed
    escalate (up a level) and hand down keep it open at another level; close and merge end it.

Who may do what: whoever answers for the level holding it (its leader, a leader above, or staff)
answers, moves (up, down, dispatch) and resolves it; the doer it was dispatched to answers and resolves
it; the first-asked owner adds notes; team members claim; staff holding it close and merge. Each of
these people may reveal the reporter's phone to call them back, which is written to the access log.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from notices.services import notify, notify_reporter
from service_requests.models import (
    OPEN_STATUSES,
    TIER_ORDER,
    Channel,
    EventKind,
    Request,
    RequestEvent,
    ServiceKind,
    Status,
)
from territory.models import Building, Level, TerritoryUnit

# A resolved request closes by itself when the resident has not complained within this time.
RATING_WINDOW = datetime.timedelta(days=7)
LOW_RATING = 2


class RequestError(ValidationError):
    pass


def _photos_add(request: Request, photos, event) -> None:
    """Store photos through service_requests.photos (content-checked images, 5 per request at most),
    tied to `event`; a refused file raises PhotoError (a RequestError) and the transaction rolls back."""
    from service_requests.photos import request_photos_add  # it imports this module: import late

    request_photos_add(request=request, files=list(photos), event=event)


def _now():
    return timezone.now()


def _event(
    request: Request, kind: EventKind, actor=None, *, message="", public=True, from_unit=None, to_unit=None
):
    return RequestEvent.objects.create(
        request=request,
        kind=kind,
        actor=actor,
        message=message,
        public=public,
        from_unit=from_unit,
        to_unit=to_unit,
        created_at=_now(),
    )


def _set_level(request: Request, unit: TerritoryUnit, now) -> None:
    request.holder = unit
    request.level_since = now
    request.level_response_due_at = now + datetime.timedelta(hours=request.kind.response_hours)
    request.level_resolution_due_at = now + datetime.timedelta(hours=request.kind.resolution_hours)


def _unit_at_level(start: TerritoryUnit, level: Level) -> TerritoryUnit:
    """The unit at `level` on the way up from `start` (or `start` itself when it is already higher)."""
    if TIER_ORDER.index(start.level) >= TIER_ORDER.index(level):
        return start
    ids = start.ancestor_ids
    return TerritoryUnit.objects.get(
        pk=ids[[Level.STREET, Level.COMMUNITY, Level.AREA, Level.GROUP].index(level)]
    )


def building_first_unit(building: Building) -> TerritoryUnit:
    """The lowest unit that covers every resident household of a building: its cell when it has one,
    else the group or area they share, else the community. The cells are read in one query; a second
    reads their shared ancestor only when the building spans several cells."""
    from people.models import Household, HouseholdStatus

    cells = list(
        TerritoryUnit.objects.filter(
            pk__in=Household.objects.filter(
                entrance__building=building, status=HouseholdStatus.RESIDENT, cell__isnull=False
            ).values("cell_id")
        )
    )
    if not cells:
        return building.estate.community
    if len(cells) == 1:
        return cells[0]
    common = cells[0].path
    for cell in cells[1:]:
        while not cell.path.startswith(common):
            common = common[: common.rstrip("/").rfind("/") + 1]
    return TerritoryUnit.objects.get(pk=int(common.strip("/").split("/")[-1]))


def _holders(unit: TerritoryUnit):
    """The people who answer for a unit now: its leaders, or for a community/street its staff."""
    from leaders.selectors import unit_holders

    return unit_holders(unit)


def _tell(request: Request, message: str, *, also=(), skip=None) -> None:
    """Notify the first-asked owner (always: they answer to the resident) and whoever else is concerned."""
    people = {p.pk: p for p in [request.first_owner, *also] if p is not None}
    if skip is not None:
        people.pop(skip.pk, None)
    notify(list(people.values()), message, request=request)


def request_held_by(actor, request: Request) -> bool:
    """Whether `actor` answers for the level holding the request (they hold it, a unit above, or staff it)."""
    from accounts.scope import scope_for

    return actor is None or scope_for(actor).holds(request.holder.path)


def _check_acts(actor, request: Request) -> None:
    """Answering and resolving: the level holding the request, or the doer it was dispatched to."""
    if actor is None or request_held_by(actor, request) or actor.pk == request.assignee_id:
        return
    raise PermissionDenied(_("Only whoever holds this request at its level can do this."))


def _check_holds(actor, request: Request) -> None:
    """Moving the work (up, down, to a team or person): only the level holding it, not the doer."""
    if not request_held_by(actor, request):
        raise PermissionDenied(_("Only whoever holds this request at its level can do this."))


def _check_open(request: Request) -> None:
    if request.status not in OPEN_STATUSES:
        raise RequestError(_("This request is no longer open."))


@transaction.atomic
def request_file(
    *,
    actor,
    kind: ServiceKind,
    description: str,
    channel: Channel,
    building: Building | None = None,
    household=None,
    community: TerritoryUnit | None = None,
    address_text: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_user=None,
    latitude=None,
    longitude=None,
    solved_on_spot: bool = False,
    on_spot_outcome: str = "",
) -> Request:
    """File a request. It lands at the kind's first level above where it is (household → its cell,
    building → the cell(s) of the building, otherwise the community or the street's staff queue).

    A leader or staff member filing it becomes its first-asked owner; a resident's own filing gets its
    owner when the first person answers it. `solved_on_spot` (现场解决) records it resolved and closed.
    """
    description = (description or "").strip()
    if not description:
        raise RequestError(_("Please describe the problem."))
    now = _now()
    if household is not None:
        building = building or household.entrance.building
        community = household.community
        start = household.cell or household.community
    elif building is not None:
        community = building.estate.community
        start = building_first_unit(building)
    elif community is not None:
        start = community
    else:
        start = kind.street
    holder = _unit_at_level(start, kind.first_level)
    cell = start if start.level == Level.CELL else None
    is_worker = actor is not None and actor != reporter_user
    request = Request(
        kind=kind,
        description=description,
        channel=channel,
        street_id=kind.street_id,
        community=community,
        cell=cell,
        building=building,
        household=household,
        address_text=address_text,
        latitude=latitude,
        longitude=longitude,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        reporter_user=reporter_user,
        first_owner=actor if is_worker else None,
        created_at=now,
        response_due_at=now + datetime.timedelta(hours=kind.response_hours),
        resolution_due_at=now + datetime.timedelta(hours=kind.resolution_hours),
    )
    _set_level(request, holder, now)
    if kind.is_menu_service and community is not None:
        # 群众点单、党组织接单: menu orders land with the community, which accepts and dispatches them.
        _set_level(request, community, now)
    request.save()
    _event(request, EventKind.FILED, actor, message=description, to_unit=request.holder)
    if solved_on_spot:
        request.responded_at = request.resolved_at = request.closed_at = now
        request.status, request.solved_on_spot = Status.CLOSED, True
        request.close_reason = on_spot_outcome
        request.save()
        _event(request, EventKind.RESOLVED, actor, message=on_spot_outcome or _("Solved on the spot."))
        return request
    _tell(
        request, _("New request: %(kind)s") % {"kind": kind.name}, also=_holders(request.holder), skip=actor
    )
    return request


def _first_answer(request: Request, actor, now) -> None:
    if request.responded_at is None:
        request.responded_at = now
    if request.first_owner_id is None and actor is not None:
        request.first_owner = actor


@transaction.atomic
def request_respond(*, actor, request: Request, message: str, public: bool = True) -> Request:
    """The holder answers (回应): the first answer stops the response clock; the first to answer a
    resident's own filing becomes its first-asked owner."""
    _check_open(request)
    _check_acts(actor, request)
    if not message.strip():
        raise RequestError(_("Please write the answer."))
    now = _now()
    _first_answer(request, actor, now)
    if request.status == Status.NEW:
        request.status = Status.IN_PROGRESS
    request.level_response_due_at = None
    request.save()
    _event(request, EventKind.RESPONDED, actor, message=message, public=public)
    if public:
        notify_reporter(request, _("Your request has an answer: %(message)s") % {"message": message[:100]})
    _tell(request, _("Answered: %(kind)s") % {"kind": request.kind.name}, skip=actor)
    return request


@transaction.atomic
def request_note(*, actor, request: Request, message: str, public: bool = False) -> Request:
    """An internal note (or a public update) on the timeline, without changing anything else."""
    from accounts.scope import scope_for

    if actor is not None and not (
        scope_for(actor).holds(request.holder.path)
        or actor.pk in (request.first_owner_id, request.assignee_id)
    ):
        raise PermissionDenied(_("Only the people working on this request can add notes."))
    if not message.strip():
        raise RequestError(_("Please write the note."))
    _event(request, EventKind.NOTE, actor, message=message, public=public)
    return request


def _move(request: Request, actor, to_unit: TerritoryUnit, kind: EventKind, reason: str) -> Request:
    now = _now()
    from_unit = request.holder
    _set_level(request, to_unit, now)
    request.status = Status.NEW
    request.assignee = request.assignee_team = None
    request.save()
    _event(request, kind, actor, message=reason, from_unit=from_unit, to_unit=to_unit)
    _tell(
        request,
        _("%(kind)s is now with %(unit)s") % {"kind": request.kind.name, "unit": to_unit.name},
        also=_holders(to_unit),
        skip=actor,
    )
    return request


@transaction.atomic
def request_escalate(*, actor, request: Request, reason: str) -> Request:
    """Send a request up one level (邻 → 组 → 片 → 社区 → 街道), with the reason."""
    _check_open(request)
    _check_holds(actor, request)
    if not reason.strip():
        raise RequestError(_("Please say why it goes up."))
    if request.holder.parent_id is None:
        raise RequestError(_("The street office is the top level; there is nowhere higher to send it."))
    if actor is not None:
        _first_answer(request, actor, _now())
    return _move(request, actor, request.holder.parent, EventKind.ESCALATED, reason)


@transaction.atomic
def request_hand_down(*, actor, request: Request, to_unit: TerritoryUnit, reason: str) -> Request:
    """Hand a request down to a unit below the current level (e.g. the 组长 gives it to a 邻长)."""
    _check_open(request)
    _check_holds(actor, request)
    if not reason.strip():
        raise RequestError(_("Please say why it goes down."))
    if to_unit.pk == request.holder_id or not to_unit.path.startswith(request.holder.path):
        raise RequestError(_("A request can only be handed down to a unit below its current level."))
    if actor is not None:
        _first_answer(request, actor, _now())
    return _move(request, actor, to_unit, EventKind.HANDED_DOWN, reason)


@transaction.atomic
def request_dispatch(*, actor, request: Request, team=None, person=None, note: str = "") -> Request:
    """派单: give the work to a volunteer team (one member claims it) or to one person."""
    _check_open(request)
    _check_holds(actor, request)
    if (team is None) == (person is None):
        raise RequestError(_("Dispatch to one team or one person."))
    if team is not None and request.community_id and team.community_id != request.community_id:
        raise RequestError(_("This team belongs to another community."))
    _first_answer(request, actor, _now())
    request.status = Status.DISPATCHED
    request.assignee_team, request.assignee = team, person
    request.level_response_due_at = None
    request.save()
    target = team.name if team is not None else person.display_name
    _event(request, EventKind.DISPATCHED, actor, message=note or target)
    doers = list(team.members.all()) if team is not None else [person]
    _tell(request, _("Dispatched to you: %(kind)s") % {"kind": request.kind.name}, also=doers, skip=actor)
    return request


@transaction.atomic
def request_claim(*, actor, request: Request) -> Request:
    """A team member takes a dispatched order (one claims it; the others see it taken)."""
    Request.objects.select_for_update().only("pk").get(pk=request.pk)  # lock the row: one claim wins
    request.refresh_from_db()
    if request.status != Status.DISPATCHED or request.assignee_team_id is None:
        raise RequestError(_("Only a request dispatched to a team can be claimed."))
    if request.assignee_id is not None:
        raise RequestError(_("Someone has already claimed this request."))
    if not request.assignee_team.members.filter(pk=actor.pk).exists():
        raise PermissionDenied(_("Only members of the team can claim its requests."))
    request.assignee = actor
    request.save()
    _event(request, EventKind.CLAIMED, actor, message=actor.display_name)
    _tell(
        request, _("Claimed by %(name)s: %(kind)s") % {"name": actor.display_name, "kind": request.kind.name}
    )
    return request


@transaction.atomic
def request_resolve(*, actor, request: Request, outcome: str, photos=()) -> Request:
    """Record what was done, with up to 5 photos of it. The resident is told and asked to rate it.
    A refused photo refuses the whole step (nothing is recorded)."""
    _check_open(request)
    _check_acts(actor, request)
    if not outcome.strip():
        raise RequestError(_("Please say what was done."))
    now = _now()
    _first_answer(request, actor, now)
    request.status, request.resolved_at = Status.RESOLVED, now
    request.level_response_due_at = request.level_resolution_due_at = None
    request.save()
    event = _event(request, EventKind.RESOLVED, actor, message=outcome)
    if photos:
        _photos_add(request, photos, event)
    notify_reporter(
        request, _("Your request is resolved: %(outcome)s. Please rate it.") % {"outcome": outcome[:100]}
    )
    _tell(request, _("Resolved: %(kind)s") % {"kind": request.kind.name}, skip=actor)
    request._resolved_event = event
    return request


@transaction.atomic
def request_rate(
    *, request: Request, rating: int, solved: bool = True, comment: str = "", actor=None
) -> Request:
    """The resident rates the outcome 1–5. A low rating or "not solved" within 7 days reopens it."""
    if request.status != Status.RESOLVED:
        raise RequestError(_("Only a resolved request can be rated."))
    if not 1 <= int(rating) <= 5:
        raise RequestError(_("Choose from 1 to 5 stars."))
    now = _now()
    request.rating, request.rating_comment, request.rated_at = int(rating), comment, now
    _event(request, EventKind.RATED, actor, message=f"{'★' * int(rating)} {comment}".strip())
    if (not solved or int(rating) <= LOW_RATING) and now - request.resolved_at <= RATING_WINDOW:
        request.status, request.resolved_at = Status.IN_PROGRESS, None
        request.times_reopened += 1
        request.level_resolution_due_at = now + datetime.timedelta(hours=request.kind.resolution_hours)
        request.save()
        _event(request, EventKind.REOPENED, None, message=comment or _("The resident is not satisfied."))
        _tell(
            request,
            _("Reopened by the resident: %(kind)s") % {"kind": request.kind.name},
            also=_holders(request.holder),
        )
        return request
    request.status, request.closed_at = Status.CLOSED, now
    request.save()
    _event(request, EventKind.CLOSED, None, message=_("Rated by the resident."))
    _tell(request, _("Closed after rating: %(kind)s") % {"kind": request.kind.name})
    return request


@transaction.atomic
def request_close(*, actor, request: Request, reason: str) -> Request:
    """Staff close a request with a reason (e.g. withdrawn by the resident, not our matter)."""
    from accounts.scope import scope_for

    if request.status == Status.CLOSED:
        raise RequestError(_("This request is already closed."))
    if actor is not None and not (scope_for(actor).is_staff and scope_for(actor).holds(request.holder.path)):
        raise PermissionDenied(_("Only community staff can close a request."))
    if not reason.strip():
        raise RequestError(_("Please give the reason for closing."))
    request.status, request.closed_at, request.close_reason = Status.CLOSED, _now(), reason
    request.save()
    _event(request, EventKind.CLOSED, actor, message=reason)
    notify_reporter(request, _("Your request was closed: %(reason)s") % {"reason": reason[:100]})
    _tell(request, _("Closed: %(kind)s") % {"kind": request.kind.name}, skip=actor)
    return request


@transaction.atomic
def request_merge(*, actor, request: Request, into: Request) -> Request:
    """Close a duplicate into the open request it repeats; its reporter follows the other one.
    The caller fetches `into` through the actor's visibility."""
    if into.pk == request.pk or into.merged_into_id is not None or into.status not in OPEN_STATUSES:
        raise RequestError(_("Choose another, open request to merge into."))
    request_close(
        actor=actor, request=request, reason=_("Duplicate of request %(ref)s") % {"ref": into.reference}
    )
    request.merged_into = into
    request.save(update_fields=["merged_into"])
    _event(request, EventKind.MERGED, actor, message=into.reference, public=True)
    _event(
        into,
        EventKind.NOTE,
        actor,
        message=_("Request %(ref)s was merged into this one.") % {"ref": request.reference},
        public=False,
    )
    return request


def request_reporter_phone_reveal(*, actor, request: Request, http_request=None) -> str:
    """The reporter's phone in full, for whoever works on the request (the holding level, the
    first-asked owner, the doer) to call them back. Every reveal is written to the access log."""
    from audit.models import AccessAction
    from audit.services import access_log_record

    if not (request_held_by(actor, request) or actor.pk in (request.first_owner_id, request.assignee_id)):
        raise PermissionDenied(_("Only the people working on this request can see the reporter's phone."))
    if not request.reporter_phone:
        return ""
    access_log_record(
        actor=actor,
        action=AccessAction.REVEAL_PHONE,
        detail={"request": request.pk},
        request=http_request,
    )
    return request.reporter_phone


# ---- The periodic rules (called only by the periodic job) -------------------------------------------


def requests_escalate_overdue(now=None, batch: int = 500) -> int:
    """Send up every open request whose level response or resolution deadline has passed."""
    now = now or _now()
    moved = 0
    due = (
        Request.objects.filter(
            Q(status=Status.NEW, level_response_due_at__lte=now)
            | Q(status__in=OPEN_STATUSES, level_resolution_due_at__lte=now)
        )
        .order_by()
        .values_list("pk", flat=True)[:batch]
    )
    for pk in list(due):
        with transaction.atomic():
            request = Request.objects.select_for_update().select_related("kind", "holder").get(pk=pk)
            response_late = (
                request.status == Status.NEW
                and request.level_response_due_at is not None
                and request.level_response_due_at <= now
            )
            resolution_late = (
                request.level_resolution_due_at is not None and request.level_resolution_due_at <= now
            )
            if request.status not in OPEN_STATUSES or not (response_late or resolution_late):
                continue  # another job got here first
            reason = (
                _("No answer in time at this level.")
                if response_late
                else _("Not resolved in time at this level.")
            )
            if request.holder.parent_id is None:
                # Already at the street: nowhere higher; stop the clock and tell everyone.
                request.level_response_due_at = request.level_resolution_due_at = None
                request.save()
                _event(request, EventKind.NOTE, None, message=reason, public=False)
                _tell(
                    request,
                    _("Overdue at the street office: %(kind)s") % {"kind": request.kind.name},
                    also=_holders(request.holder),
                )
                continue
            _move(request, None, request.holder.parent, EventKind.AUTO_ESCALATED, reason)
            moved += 1
    return moved


def requests_close_unrated(now=None) -> int:
    """Close resolved requests whose resident has not complained within the rating window."""
    now = now or _now()
    closed = 0
    for pk in Request.objects.filter(
        status=Status.RESOLVED, resolved_at__lte=now - RATING_WINDOW
    ).values_list("pk", flat=True):
        with transaction.atomic():
            count = Request.objects.filter(pk=pk, status=Status.RESOLVED).update(
                status=Status.CLOSED, closed_at=now
            )
            if count:
                request = Request.objects.get(pk=pk)
                _event(request, EventKind.CLOSED, None, message=_("No complaint within 7 days."))
                closed += 1
    return closed
