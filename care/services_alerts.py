"""Welfare alerts (异常预警): anyone raises one on a household or a person; everyone who answers for that
home is told at once; the responders work through a checklist with times and close it with an outcome.

    raise ──▶ open ──step / note (first by someone other than the raiser = first response)──▶ close
    (a second raise on the same household within 2 hours is a note on the open alert, not a new one)

Who is told (the alert's `responders`, who may then all see it and act on it): the carers of the
household's residents, the 邻长, 组长 and 片长 above its cell, the community's staff (the community
director), the estate's property butler and the building's building leader, never the raiser.

Who may act: anyone who sees the alert (accounts.scope.alerts_q) except someone who sees it only because
they raised it (a resident reporting a neighbour): they may add notes, nothing more, and see no personal
details of the household (`alert_access`).

Outbound messages (group robots, email lists) carry the address and the reason only: never a name or a
phone number, since a group chat is not the place for personal data.
"""

import datetime
import re
import statistics
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from care.models import (
    ALERT_RESPONSE_TARGET_MINUTES,
    AlertEntry,
    AlertOutcome,
    AlertReason,
    AlertStep,
    CarePlan,
    WelfareAlert,
    alerts_told_q,
)
from leaders.models import LEADER_ROLE_FOR_LEVEL, Appointment, Role
from leaders.selectors import posts_above
from notices.services import notify, outbound_queue
from people import identity
from people.models import Household
from territory.services import address_clean

# A second alert on the same household within this time joins the open one (DOMAIN.md §4: a building
# leader, a neighbour and the property company may all notice the same silent flat).
ALERT_MERGE_WINDOW = datetime.timedelta(hours=2)
# The list page's figures cover the alerts raised in this many days.
ALERT_FIGURES_DAYS = 90
TEXT_MAX = 500

ACT = "act"
NOTE = "note"


class AlertError(ValidationError):
    pass


# ---- Who may do what -----------------------------------------------------------------------------


def alert_access(user, alert: WelfareAlert) -> str | None:
    """ACT for those who answer for the alert (their patch, or told about it); NOTE for someone who
    sees it only because they raised it; None for anyone else."""
    from accounts.scope import Scope, scope_for

    if user is None or not user.is_authenticated:
        return None
    scope = scope_for(user)
    if scope.everything:
        return ACT
    patch = Scope(
        staff_unit_paths=scope.staff_unit_paths,
        leader_unit_paths=scope.leader_unit_paths,
        building_ids=scope.building_ids,
    ).households_q(prefix="household__")
    answers = patch | alerts_told_q(user) if scope.roles else patch
    if WelfareAlert.objects.filter(answers, pk=alert.pk).exists():
        return ACT
    if alert.raised_by_id == user.pk:
        return NOTE
    return None


def _require(actor, alert: WelfareAlert, *allowed: str) -> str:
    access = alert_access(actor, alert)
    if access not in allowed:
        if access == NOTE:
            raise PermissionDenied(
                _("You raised this alert: you may add a note; the responders do the rest.")
            )
        raise PermissionDenied(_("You are not among the people answering this alert."))
    return access


def _locked(alert: WelfareAlert) -> WelfareAlert:
    """The alert's row, locked for the transaction (two responders pressing the same step at once)."""
    return WelfareAlert.objects.select_for_update().get(pk=alert.pk)


def _text(value: str, label: str) -> str:
    value = (value or "").strip()
    if len(value) > TEXT_MAX:
        raise AlertError(
            _("%(field)s: at most %(max)d characters, please.") % {"field": label, "max": TEXT_MAX}
        )
    return value


def _at(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return local.strftime("%H:%M")
    return local.strftime("%m-%d %H:%M")


def _who(user) -> str:
    return user.display_name if user is not None else _("a neighbour")


# ---- Who is told ---------------------------------------------------------------------------------


def _household_with_address(household: Household) -> Household:
    return (
        Household.objects.select_related("entrance__building__estate", "cell", "community")
        .filter(pk=household.pk)
        .first()
    )


def alert_recipients(household: Household, *, exclude=None):
    """The people to tell about an alert on `household` (one query): carers of active care plans of its
    residents; the 邻长, 组长 and 片长 above its cell; the community's staff; the estate's property
    butler(s); the building's building leader(s). Active appointments only; `exclude` (the raiser) left out."""
    from accounts.models import User

    building = household.entrance.building
    # Over the cell: its 邻长, 组长 and 片长 and the community's staff (the staff alone while the household
    # has no cell). Each role sits only at its own level, so these roles over the path are exactly those.
    over = household.cell.path if household.cell_id else household.community.path
    holders = posts_above(over, [*LEADER_ROLE_FOR_LEVEL.values(), Role.COMMUNITY_STAFF])
    holders |= Appointment.objects.active().filter(
        Q(role=Role.PROPERTY_BUTLER, estate_id=building.estate_id)
        | Q(role=Role.BUILDING_LEADER, building_id=building.pk)
    )
    holders = holders.values("person_id")
    carers = (
        CarePlan.objects.active()
        .filter(resident__household_id=household.pk, carer__isnull=False)
        .values("carer_id")
    )
    users = User.objects.filter(Q(pk__in=holders) | Q(pk__in=carers), is_active=True)
    if exclude is not None and getattr(exclude, "pk", None):
        users = users.exclude(pk=exclude.pk)
    return list(users.order_by("pk"))


def alert_url(alert: WelfareAlert) -> str:
    return reverse("care:alert_detail", args=[alert.pk])


# ---- Finding the household from what a neighbour types -------------------------------------------

_ROOM_SUFFIX = re.compile(r"(室|房|号)$")
_ENTRANCE_ROOM = re.compile(r"^(.+?)(?:单元|门|-|/)(.+)$")


def _room_key(text: str) -> str:
    return _ROOM_SUFFIX.sub("", address_clean(text).replace(" ", "").upper())


def _entrance_key(text: str) -> str:
    return address_clean(text).replace(" ", "").upper().removesuffix("单元").removesuffix("门")


def alert_household_find(*, building, room_text: str) -> Household:
    """The household at `room_text` in `building`: "301", "301室", or with the entrance "2单元301",
    "2-301" when rooms repeat across entrances. Raises AlertError with a message to show back."""
    wanted = _room_key(room_text or "")
    if not wanted:
        raise AlertError(_("Please write the room number, e.g. 301."))
    homes = list(
        Household.objects.filter(entrance__building=building)
        .select_related("entrance")
        .only("pk", "room", "entrance__name", "community_id", "cell_id")
    )
    matches = [h for h in homes if _room_key(h.room) == wanted]
    if not matches:
        parts = _ENTRANCE_ROOM.match(wanted)
        if parts:
            entrance, room = _entrance_key(parts.group(1)), _room_key(parts.group(2))
            matches = [
                h for h in homes if _room_key(h.room) == room and _entrance_key(h.entrance.name) == entrance
            ]
    if len(matches) == 1:
        return matches[0]
    values = {"room": address_clean(room_text), "building": str(building)}
    if not matches:
        raise AlertError(
            _(
                "We cannot find room %(room)s in %(building)s. Please check the number (with the entrance "
                "if the building has several, e.g. 2单元301), or call your neighbour leader."
            )
            % values
        )
    raise AlertError(
        _(
            "Room %(room)s is in more than one entrance of %(building)s: please add the entrance, e.g. 2单元301."
        )
        % values
    )


# ---- Raising ---------------------------------------------------------------------------------------


def alert_public_allowed(*, phone: str, building, now: datetime.datetime) -> bool:
    """The limits of filing a request without logging in (service_requests.photos), applied to alerts:
    at most 3 an hour from one phone number and 20 an hour from one building's page (alerts raised and
    reports joined to an open alert both count for the building)."""
    from service_requests.photos import ANONYMOUS_PER_BUILDING_PER_HOUR, ANONYMOUS_PER_PHONE_PER_HOUR

    since = now - datetime.timedelta(hours=1)
    recent = WelfareAlert.objects.filter(raised_by__isnull=True, raised_at__gt=since)
    if phone and recent.filter(raiser_phone=phone).count() >= ANONYMOUS_PER_PHONE_PER_HOUR:
        return False
    if building is None:
        return True
    in_building = recent.filter(household__entrance__building=building).count()
    joined = AlertEntry.objects.filter(
        by__isnull=True, step="", at__gt=since, alert__household__entrance__building=building
    ).count()
    return in_building + joined < ANONYMOUS_PER_BUILDING_PER_HOUR


def _raise_message(alert: WelfareAlert, household: Household, resident) -> str:
    values = {
        "reason": alert.get_reason_display(),
        "address": household.address,
        "minutes": ALERT_RESPONSE_TARGET_MINUTES,
    }
    if resident is not None:
        values["name"] = resident.name
        return (
            _("Welfare alert: %(name)s, %(address)s: %(reason)s. Please respond within %(minutes)d minutes.")
            % values
        )
    return _("Welfare alert: %(address)s: %(reason)s. Please respond within %(minutes)d minutes.") % values


def _merge(open_alert, *, actor, household, resident, reason, description, raiser_name, now):
    """A second report on a household with an open alert: a note on it, and the responders told."""
    who = _who(actor) if actor is not None else (raiser_name or _("a neighbour"))
    note = _("Reported again by %(who)s: %(reason)s.") % {"who": who, "reason": AlertReason(reason).label}
    if resident is not None:
        note = f"{note} ({resident.name})"
    if description:
        note = f"{note} {description}"
    AlertEntry.objects.create(alert=open_alert, note=note[:TEXT_MAX], by=actor, at=now)
    told = [u for u in open_alert.responders.all() if actor is None or u.pk != actor.pk]
    message = _("Another report on the open welfare alert at %(address)s: %(reason)s.") % {
        "address": household.address,
        "reason": AlertReason(reason).label,
    }
    notify(told, message, url=alert_url(open_alert))
    open_alert.merged = True
    return open_alert


@transaction.atomic
def welfare_alert_raise(
    *,
    actor,
    household: Household,
    resident=None,
    reason: str,
    description: str = "",
    raiser_name: str = "",
    raiser_phone: str = "",
) -> WelfareAlert:
    """Raise an alert and tell everyone who answers for the household at once (inbox, and the
    community's group robot or email list). `actor` is None for a neighbour raising it from the
    building's page without logging in: then their mobile number is required, and the public rate limit
    applies. When the household already has an alert open from the last 2 hours, the report becomes a
    note on that one, which is returned with `merged = True`."""
    if reason not in AlertReason.values:
        raise AlertError(_("Please choose what is wrong."))
    description = _text(description, _("Details"))
    raiser_name = (raiser_name or "").strip()[:50]
    if resident is not None and resident.household_id != household.pk:
        raise AlertError(_("This person does not live in this household."))
    if actor is None:
        # The account says who raised it; a neighbour without one leaves a number to be called back on.
        if not (raiser_phone or "").strip():
            raise AlertError(_("Please leave your mobile number, so the community can call you back."))
        try:
            raiser_phone = identity.phone_validate(raiser_phone)
        except identity.InvalidIdentity as exc:
            raise AlertError(str(exc)) from exc
    # One raise at a time per household, so two neighbours pressing at once make one alert, not two.
    list(Household.objects.select_for_update().filter(pk=household.pk).values_list("pk"))
    household = _household_with_address(household)
    now = timezone.now()
    building = household.entrance.building
    if actor is None and not alert_public_allowed(phone=raiser_phone, building=building, now=now):
        raise AlertError(
            _(
                "Many alerts have been sent from this phone number or this building in the last hour. "
                "In an emergency call 120 or 110; otherwise call your neighbour leader."
            )
        )
    open_alert = (
        WelfareAlert.objects.open()
        .filter(household=household, raised_at__gte=now - ALERT_MERGE_WINDOW)
        .order_by("-raised_at", "-pk")
        .first()
    )
    if open_alert is not None:
        return _merge(
            open_alert,
            actor=actor,
            household=household,
            resident=resident,
            reason=reason,
            description=description,
            raiser_name=raiser_name,
            now=now,
        )
    alert = WelfareAlert.objects.create(
        household=household,
        resident=resident,
        community_id=household.community_id,
        reason=reason,
        description=description,
        raised_by=actor,
        raiser_name=raiser_name if actor is None else "",
        raiser_phone=raiser_phone if actor is None else "",
        raised_at=now,
    )
    told = alert_recipients(household, exclude=actor)
    alert.responders.add(*told)
    notify(told, _raise_message(alert, household, resident), url=alert_url(alert), key=f"alert:{alert.pk}")
    outbound_queue(
        community=household.community,
        key=f"alert:{alert.pk}",
        title=_("Welfare alert"),
        body=_("%(address)s: %(reason)s. Raised at %(time)s. Open Linli to respond.")
        % {"address": household.address, "reason": alert.get_reason_display(), "time": _at(now)},
    )
    alert.merged = False
    return alert


# ---- Working through it --------------------------------------------------------------------------


def _first_response(alert: WelfareAlert, actor, now) -> None:
    """The first step, note or close by someone other than the raiser is the first response."""
    if alert.first_response_at is not None or actor is None or actor.pk == alert.raised_by_id:
        return
    updated = WelfareAlert.objects.filter(pk=alert.pk, first_response_at__isnull=True).update(
        first_response_at=now, first_responder=actor
    )
    if updated:
        alert.first_response_at, alert.first_responder = now, actor


@transaction.atomic
def welfare_alert_step(*, actor, alert: WelfareAlert, step: str, note: str = "") -> AlertEntry:
    """Tick one checklist step (called, knocked, property came, family reached, 110/120 called), with the
    time. Each step is done once; a closed alert takes no more steps."""
    _require(actor, alert, ACT)
    if step not in AlertStep.values:
        raise AlertError(_("Please choose one of the steps shown."))
    note = _text(note, _("Note"))
    alert = _locked(alert)
    if not alert.is_open:
        raise AlertError(_("This alert is closed: no more steps can be added."))
    done = alert.entries.filter(step=step).select_related("by").first()
    if done is not None:
        raise AlertError(_already_done(done))
    now = timezone.now()
    try:
        with transaction.atomic():
            entry = AlertEntry.objects.create(alert=alert, step=step, note=note, by=actor, at=now)
    except IntegrityError as exc:  # pressed by someone else a moment ago
        done = alert.entries.filter(step=step).select_related("by").first()
        raise AlertError(_already_done(done) if done else _("This step is already done.")) from exc
    _first_response(alert, actor, now)
    return entry


def _already_done(entry: AlertEntry) -> str:
    return _("“%(step)s” was already done at %(time)s by %(name)s.") % {
        "step": entry.get_step_display(),
        "time": _at(entry.at),
        "name": _who(entry.by),
    }


@transaction.atomic
def welfare_alert_note(*, actor, alert: WelfareAlert, note: str) -> AlertEntry:
    """A note on the alert's log. The raiser who only raised it may add notes too; the responders are
    told of theirs (they may know something the responders need)."""
    access = _require(actor, alert, ACT, NOTE)
    note = _text(note, _("Note"))
    if not note:
        raise AlertError(_("Please write the note."))
    alert = _locked(alert)
    now = timezone.now()
    entry = AlertEntry.objects.create(alert=alert, note=note, by=actor, at=now)
    if alert.is_open:
        _first_response(alert, actor, now)
    if access == NOTE and alert.is_open:
        household = _household_with_address(alert.household)
        message = _("The person who raised the alert at %(address)s added a note: %(note)s") % {
            "address": household.address,
            "note": note,
        }
        notify(list(alert.responders.all()), message, url=alert_url(alert))
    return entry


@transaction.atomic
def welfare_alert_close(*, actor, alert: WelfareAlert, outcome: str, note: str = "") -> WelfareAlert:
    """Close the alert with its outcome (and what happened: required for "other"). The responders and
    the raiser (when they raised it logged in) are told, and the community's channels."""
    _require(actor, alert, ACT)
    if outcome not in AlertOutcome.values:
        raise AlertError(_("Please choose the outcome."))
    note = _text(note, _("What happened"))
    if outcome == AlertOutcome.OTHER and not note:
        raise AlertError(_("Please write what happened."))
    alert = _locked(alert)
    if not alert.is_open:
        raise AlertError(_("This alert is already closed."))
    now = timezone.now()
    _first_response(alert, actor, now)
    alert.closed_at, alert.closed_by, alert.outcome, alert.outcome_note = now, actor, outcome, note
    alert.save(update_fields=["closed_at", "closed_by", "outcome", "outcome_note"])
    household = _household_with_address(alert.household)
    told = list(alert.responders.all())
    if alert.raised_by_id and alert.raised_by_id not in {u.pk for u in told}:
        told.append(alert.raised_by)
    told = [u for u in told if u.pk != actor.pk]
    message = _("Welfare alert closed: %(address)s: %(outcome)s.") % {
        "address": household.address,
        "outcome": alert.get_outcome_display(),
    }
    notify(told, message, url=alert_url(alert), key=f"alert-closed:{alert.pk}")
    outbound_queue(
        community=household.community,
        key=f"alert-closed:{alert.pk}",
        title=_("Welfare alert closed"),
        body=_("%(address)s: the alert is closed (%(outcome)s).")
        % {"address": household.address, "outcome": alert.get_outcome_display()},
    )
    return alert


# ---- Calling people from the alert page (audited) -------------------------------------------------


def welfare_alert_resident_reveal(*, actor, alert: WelfareAlert, resident, field: str, request=None) -> str:
    """The phone of a person of the alert's household or of their emergency contact, for a responder to
    call (the property butler too, who otherwise reads no residents' records). Written to the access log
    through people.services.resident_reveal."""
    from people.services import resident_reveal

    _require(actor, alert, ACT)
    if field not in ("phone", "emergency_phone"):
        raise ValueError(field)
    if resident.household_id != alert.household_id:
        raise PermissionDenied(_("This person does not live in this household."))
    return resident_reveal(actor=actor, resident=resident, field=field, request=request)


def welfare_alert_raiser_phone_reveal(*, actor, alert: WelfareAlert, request=None) -> str:
    """The phone a neighbour left when raising the alert without logging in, to call them back (logged)."""
    from audit.models import AccessAction
    from audit.services import access_log_record

    _require(actor, alert, ACT)
    if not alert.raiser_phone:
        return ""
    access_log_record(
        actor=actor, action=AccessAction.REVEAL_PHONE, detail={"alert": alert.pk}, request=request
    )
    return alert.raiser_phone


# ---- Figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertFigures:
    count: int
    open: int
    responded: int
    median_response_minutes: float | None
    mean_response_minutes: float | None
    closed: int
    median_close_minutes: float | None
    mean_close_minutes: float | None
    # Of the alerts that had to be answered by now (answered, or open and past the target without an
    # answer), the share answered within ALERT_RESPONSE_TARGET_MINUTES; None when there are none.
    within_target_share: float | None

    @property
    def within_target_percent(self) -> int | None:
        return None if self.within_target_share is None else round(self.within_target_share * 100)


def _minutes(start, end) -> float:
    return (end - start).total_seconds() / 60


def _median_mean(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return round(statistics.median(values), 1), round(statistics.fmean(values), 1)


def alert_figures(alerts, *, now: datetime.datetime | None = None) -> AlertFigures:
    """Count, open, time to first response and to close (median and mean, minutes), and the share
    answered within the 30-minute target, for a queryset of alerts: one query reading three timestamps
    per alert, so pass a bounded set (a period's alerts, e.g. ALERT_FIGURES_DAYS)."""
    now = now or timezone.now()
    rows = list(alerts.order_by().values_list("raised_at", "first_response_at", "closed_at"))
    target = ALERT_RESPONSE_TARGET_MINUTES
    response = [_minutes(raised, first) for raised, first, _closed in rows if first is not None]
    close = [_minutes(raised, closed) for raised, _first, closed in rows if closed is not None]
    overdue = sum(
        1
        for raised, first, closed in rows
        if first is None and closed is None and _minutes(raised, now) > target
    )
    due = len(response) + overdue
    within = sum(1 for minutes in response if minutes <= target)
    median_response, mean_response = _median_mean(response)
    median_close, mean_close = _median_mean(close)
    return AlertFigures(
        count=len(rows),
        open=sum(1 for _raised, _first, closed in rows if closed is None),
        responded=len(response),
        median_response_minutes=median_response,
        mean_response_minutes=mean_response,
        closed=len(close),
        median_close_minutes=median_close,
        mean_close_minutes=mean_close,
        within_target_share=(within / due) if due else None,
    )
