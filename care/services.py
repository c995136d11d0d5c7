"""Care plans: who cares for whom, how often, and what happened at each contact.

- `care_plans_sync` keeps one active plan for every counted resident in a cared-for special group and
  ends the plans of those who moved away, died or left the group. People services call it for the
  residents they touch; `manage.py care_sync` and the roster import call it for whole communities.
- `care_contact_log` records a greeting, call or visit and moves the plan's due dates.
- `care_overdue_escalate` and `care_due_remind` are the time rules; only web/periodic.py calls them.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from care.models import (
    DEFAULT_CARED_GROUPS,
    CadenceRule,
    CareContact,
    CarePlan,
    ContactKind,
    PlanEndReason,
    SpecialGroup,
    Wellbeing,
)
from leaders.models import Appointment, Role
from leaders.selectors import holders_above, holders_by_unit
from notices.services import notify, outbound_queue
from people.models import HouseholdStatus, ResidenceStatus, Resident
from territory.models import Level, TerritoryUnit, path_ids

BATCH = 500


# ---- Cadence rules --------------------------------------------------------------------------------


def cadence_rules_for(community: TerritoryUnit) -> dict[str, CadenceRule]:
    """The community's cadence rule for every special group, installing the defaults on first use."""
    rules = {r.special_group: r for r in CadenceRule.objects.filter(community=community)}
    missing = [
        CadenceRule(community=community, special_group=group, cared_for=group in DEFAULT_CARED_GROUPS)
        for group in SpecialGroup.values
        if group not in rules
    ]
    if missing:
        CadenceRule.objects.bulk_create(missing, ignore_conflicts=True)
        rules = {r.special_group: r for r in CadenceRule.objects.filter(community=community)}
    return rules


@transaction.atomic
def cadence_rule_update(
    *,
    actor,
    rule: CadenceRule,
    cared_for: bool,
    greeting_days: int,
    visit_days: int,
    group_after_days: int,
    area_after_days: int,
) -> int:
    """Change one community rule (staff only) and re-plan the community's care at once. Returns the
    number of plans whose cadence or due dates changed."""
    from accounts.scope import scope_for

    if not scope_for(actor).can_manage_community(rule.community_id):
        raise PermissionDenied(_("Only the community's staff can change its care cadence."))
    if not (1 <= greeting_days <= 90 and 1 <= visit_days <= 365):
        raise ValidationError(_("Greetings and visits must be due every 1 to 90 and 1 to 365 days."))
    if not (1 <= group_after_days <= area_after_days <= 60):
        raise ValidationError(
            _("The area leader is told no sooner than the group leader (1 to 60 days overdue).")
        )
    rule.cared_for, rule.greeting_days, rule.visit_days = cared_for, greeting_days, visit_days
    rule.group_after_days, rule.area_after_days = group_after_days, area_after_days
    rule._history_user = actor
    rule.save()
    return care_plans_sync(community=rule.community)["updated"]


def _cadence(rules: dict[str, CadenceRule], groups: list[str]) -> tuple[int, int, int, int] | None:
    """The tightest cadence of the cared-for groups a resident is in, or None if none is cared for."""
    cared = [rules[g] for g in groups if g in rules and rules[g].cared_for]
    if not cared:
        return None
    return (
        min(r.greeting_days for r in cared),
        min(r.visit_days for r in cared),
        min(r.group_after_days for r in cared),
        min(r.area_after_days for r in cared),
    )


# ---- Due dates ------------------------------------------------------------------------------------


def plan_dues_set(plan: CarePlan) -> None:
    """Recompute a plan's due dates from its last contacts and cadence (in memory; the caller saves).

    A home visit counts as a greeting. A plan with no contact yet is due on the day it started. When the
    due date moves, the escalation marks reset: the leaders are told again if the new date is missed."""
    greeted = max(filter(None, [plan.last_greeting_on, plan.last_visit_on]), default=None)
    plan.greeting_due_on = (
        greeted + datetime.timedelta(days=plan.greeting_days) if greeted else plan.started_on
    )
    plan.visit_due_on = (
        plan.last_visit_on + datetime.timedelta(days=plan.visit_days)
        if plan.last_visit_on
        else plan.started_on
    )
    plan.due_on = min(plan.greeting_due_on, plan.visit_due_on)
    plan.group_alert_on = plan.due_on + datetime.timedelta(days=plan.group_after_days)
    plan.area_alert_on = plan.due_on + datetime.timedelta(days=plan.area_after_days)


# ---- Keeping plans in step with the registry ------------------------------------------------------


def cell_leaders(cell_ids) -> dict[int, object]:
    """The active 邻长 of each cell (the longest-serving when there are two), in one query."""
    return {cell_id: people[0] for cell_id, people in holders_by_unit(cell_ids, [Role.CELL_LEADER]).items()}


def _special_q() -> Q:
    q = Q()
    for group in SpecialGroup.values:
        q |= Q(**{group: True})
    return q


def _plan_ending(resident: Resident | None) -> str:
    """Why a resident's plan should end, or '' if it should go on (the cadence decides the rest)."""
    if resident is None:
        return PlanEndReason.OTHER
    if resident.died_on is not None:
        return PlanEndReason.DIED
    household = resident.household
    if (
        resident.residence_status == ResidenceStatus.REGISTERED_ONLY
        or household.status == HouseholdStatus.REGISTERED_ONLY
    ):
        return PlanEndReason.MOVED
    return ""


@transaction.atomic
def care_plans_sync(*, community: TerritoryUnit | None = None, resident_ids=None, today=None) -> dict:
    """Bring care plans in line with the registry, for a community or for some residents: start a plan for
    each counted resident in a cared-for group, end the plans of those who moved away, died or left the
    groups, and follow moves (community, cell, and the default carer: the cell's 邻长, unless staff chose
    one). Idempotent; returns counts {"started", "ended", "updated"}."""
    today = today or timezone.localdate()
    residents = Resident.objects.select_related("household__cell", "household__community")
    plans = CarePlan.objects.active().select_related("resident__household")
    if resident_ids is not None:
        resident_ids = list(resident_ids)
        residents = residents.filter(pk__in=resident_ids)
        plans = plans.filter(resident_id__in=resident_ids)
    elif community is not None:
        residents = residents.filter(household__community=community)
        plans = plans.filter(Q(community=community) | Q(resident__household__community=community))
    candidates = {r.pk: r for r in residents.filter(_special_q())}
    active = {p.resident_id: p for p in plans}
    # Plans of residents no longer in any special group are not among the candidates: load them too.
    for resident in Resident.objects.filter(
        pk__in=[pk for pk in active if pk not in candidates]
    ).select_related("household__cell", "household__community"):
        candidates[resident.pk] = resident
    communities = {r.household.community_id: r.household.community for r in candidates.values()}
    rules = {pk: cadence_rules_for(c) for pk, c in communities.items()}
    carers = cell_leaders({r.household.cell_id for r in candidates.values() if r.household.cell_id})
    counts = {"started": 0, "ended": 0, "updated": 0}
    new_plans = []
    for resident in candidates.values():
        plan = active.get(resident.pk)
        groups = [g for g in SpecialGroup.values if getattr(resident, g)]
        cadence = _cadence(rules[resident.household.community_id], groups)
        ending = _plan_ending(resident) or ("" if cadence else PlanEndReason.LEFT_GROUP)
        if plan is not None and ending:
            plan.ended_on, plan.end_reason = today, ending
            plan.save()
            counts["ended"] += 1
            continue
        if ending:
            continue
        household = resident.household
        if plan is None:
            plan = CarePlan(resident=resident, started_on=today)
        before = _plan_state(plan)
        if plan.pk and plan.carer_pinned and plan.community_id != household.community_id:
            # A carer chosen by the old community's staff does not follow the person into another
            # community (nor keep reading their plan there): the new cell's 邻长 takes over.
            plan.carer_pinned = False
        plan.community, plan.cell = household.community, household.cell
        plan.cell_path = household.cell.path if household.cell else ""
        plan.groups = ",".join(groups)
        if not plan.carer_pinned:
            plan.carer = carers.get(household.cell_id)
        plan.greeting_days, plan.visit_days, plan.group_after_days, plan.area_after_days = cadence
        plan_dues_set(plan)
        if plan.pk is None:
            new_plans.append(plan)
        elif _plan_state(plan) != before:
            plan.save()
            counts["updated"] += 1
    if new_plans:
        from simple_history.utils import bulk_create_with_history

        bulk_create_with_history(new_plans, CarePlan, batch_size=BATCH)
        counts["started"] = len(new_plans)
    return counts


def _plan_state(plan: CarePlan) -> tuple:
    return (
        plan.community_id if plan.pk else None,
        plan.cell_id,
        plan.groups,
        plan.carer_id,
        plan.greeting_days,
        plan.visit_days,
        plan.group_after_days,
        plan.area_after_days,
        plan.due_on if plan.pk else None,
        plan.group_alert_on if plan.pk else None,
    )


def care_plans_sync_for(*, resident_ids=None, household=None) -> dict:
    """Called by the registry's services after a change to residents or a household."""
    if household is not None:
        resident_ids = list(household.members.values_list("pk", flat=True))
    return care_plans_sync(resident_ids=resident_ids)


def care_plans_sync_cells(cell_ids) -> int:
    """A cell's 邻长 changed: re-point the plans whose carer follows the cell. Returns plans changed."""
    carers = cell_leaders(cell_ids)
    changed = 0
    for plan in CarePlan.objects.active().filter(cell_id__in=list(cell_ids), carer_pinned=False):
        carer = carers.get(plan.cell_id)
        if plan.carer_id != (carer.pk if carer else None):
            plan.carer = carer
            plan.save()
            changed += 1
    return changed


def care_plans_release_carer(person) -> int:
    """A carer chosen by staff who no longer holds a post in the plan's community (their term ended)
    hands the plan back to the cell's 邻长, and the community's staff are told. Returns plans released."""
    released = []
    plans = list(CarePlan.objects.active().filter(carer=person, carer_pinned=True).select_related("resident"))
    still_in_post = {
        community.pk
        for community in TerritoryUnit.objects.filter(pk__in={p.community_id for p in plans})
        if carer_candidates(community).filter(pk=person.pk).exists()
    }
    for plan in plans:
        if plan.community_id in still_in_post:
            continue
        plan.carer_pinned = False
        plan.carer = cell_leaders([plan.cell_id]).get(plan.cell_id) if plan.cell_id else None
        plan.save()
        released.append(plan)
    staff = holders_by_unit({plan.community_id for plan in released}, [Role.COMMUNITY_STAFF])
    for plan in released:
        notify(
            staff.get(plan.community_id, []),
            _("%(carer)s no longer holds a post: %(name)s is back with their neighbour leader.")
            % {"carer": person.full_name, "name": plan.resident.name},
            url=reverse("care:plan", args=[plan.pk]),
        )
    return len(released)


def care_carers_follow_appointments(today=None) -> int:
    """A 邻长 appointed or ended from a date in the future takes over (or leaves) their cell's care that
    day: re-point the plans of cells whose 邻长 appointment starts or ends today. Once a day, from the
    periodic job."""
    today = today or timezone.localdate()
    changing = Appointment.objects.filter(Q(started_on=today) | Q(ended_on=today))
    cells = changing.filter(role=Role.CELL_LEADER, unit__isnull=False).values_list("unit_id", flat=True)
    moved = care_plans_sync_cells(set(cells))
    from accounts.models import User

    for person in User.objects.filter(pk__in=changing.filter(ended_on=today).values("person_id")):
        moved += care_plans_release_carer(person)
    return moved


@transaction.atomic
def care_plan_assign_carer(*, actor, plan: CarePlan, carer) -> CarePlan:
    """Staff choose a nearer or more capable carer (pinned: the sync leaves it), or give the plan back
    to the cell's 邻长 (carer=None)."""
    from accounts.scope import scope_for

    if not scope_for(actor).can_manage_community(plan.community_id):
        raise PermissionDenied(_("Only the community's staff can choose a carer."))
    if carer is None:
        plan.carer_pinned = False
        plan.carer = cell_leaders([plan.cell_id]).get(plan.cell_id) if plan.cell_id else None
    else:
        if not carer_candidates(plan.community).filter(pk=carer.pk).exists():
            raise ValidationError(_("A carer must hold a post in this community."))
        plan.carer, plan.carer_pinned = carer, True
    plan._history_user = actor
    plan.save()
    if plan.carer is not None and plan.carer != actor:
        notify(
            [plan.carer],
            _("You now care for %(name)s.") % {"name": plan.resident.name},
            url=reverse("care:plan", args=[plan.pk]),
        )
    return plan


def carer_candidates(community: TerritoryUnit):
    """People who may care for someone in `community`: its leaders (area, group, cell, building) and staff."""
    from accounts.models import User

    today = timezone.localdate()
    active = Appointment.objects.active(today)
    return User.objects.filter(
        Q(pk__in=active.filter(unit__path__startswith=community.path).values("person_id"))
        | Q(pk__in=active.filter(building__estate__community=community).values("person_id")),
        is_active=True,
    )


# ---- Contacts -------------------------------------------------------------------------------------


def care_plan_can_log(actor, plan: CarePlan) -> bool:
    """The carer, and any leader or staff member who answers for the plan's cell, may log a contact."""
    from accounts.scope import scope_for

    if actor is None or not actor.is_authenticated:
        return False
    if plan.carer_id == actor.pk:
        return True
    scope = scope_for(actor)
    if scope.can_manage_community(plan.community_id):
        return True
    return bool(plan.cell_path) and scope.holds(plan.cell_path)


@transaction.atomic
def care_contact_log(
    *,
    actor,
    plan: CarePlan,
    kind: str,
    wellbeing: str,
    note: str = "",
    need_kind=None,
    need_description: str = "",
    at: datetime.datetime | None = None,
) -> CareContact:
    """Record a greeting, phone call or home visit and move the plan's due dates. A need found files a
    request on the household's behalf (the leader becomes its first-asked owner) linked to this contact.
    "Urgent" tells the group leader and the community's staff at once."""
    if not care_plan_can_log(actor, plan):
        raise PermissionDenied(_("Only the carer or a leader of this cell can log a contact."))
    if kind not in ContactKind.values:
        raise ValidationError(_("Choose how you were in touch."))
    if wellbeing not in Wellbeing.values:
        raise ValidationError(_("Choose how the person is."))
    at = at or timezone.now()
    if at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError(_("A contact cannot be in the future."))
    note = (note or "").strip()[:500]
    plan = CarePlan.objects.select_for_update().select_related("resident__household").get(pk=plan.pk)
    if not plan.is_active:
        raise ValidationError(_("This care plan has ended."))
    request = None
    if need_kind is not None:
        from service_requests.models import Channel
        from service_requests.services import request_file

        description = (need_description or "").strip() or note
        if not description:
            raise ValidationError(_("Please describe the need you found."))
        channel = {ContactKind.VISIT: Channel.VISIT, ContactKind.PHONE: Channel.PHONE}.get(
            kind, Channel.WECHAT
        )
        resident = plan.resident
        request = request_file(
            actor=actor,
            kind=need_kind,
            description=description,
            channel=channel,
            household=resident.household,
            reporter_name=resident.name,
            reporter_phone=resident.phone,
        )
    contact = CareContact.objects.create(
        plan=plan, kind=kind, wellbeing=wellbeing, note=note, request=request, by=actor, contacted_at=at
    )
    day = timezone.localtime(at).date()
    plan.last_greeting_on = max(filter(None, [plan.last_greeting_on, day]))
    if kind == ContactKind.VISIT:
        plan.last_visit_on = max(filter(None, [plan.last_visit_on, day]))
    plan_dues_set(plan)
    plan._history_user = actor
    plan.save()
    if wellbeing == Wellbeing.URGENT:
        _tell_urgent(plan, contact, actor)
    return contact


def _tell_urgent(plan: CarePlan, contact: CareContact, actor) -> None:
    # The 组长 over the plan's cell and the community's staff (only the staff while it has no cell).
    over = plan.cell_path or plan.community.path
    people = holders_above(over, [Role.GROUP_LEADER, Role.COMMUNITY_STAFF])
    people = [p for p in people if p.pk != getattr(actor, "pk", None)]
    message = _("Urgent: %(name)s (%(address)s) needs attention.") % {
        "name": plan.resident.name,
        "address": plan.resident.household.address,
    }
    notify(people, message, url=reverse("care:plan", args=[plan.pk]))
    outbound_queue(
        community=plan.community,
        key=f"care-urgent:{contact.pk}",
        title=_("Urgent care contact"),
        body=_("%(address)s: a carer marked a contact urgent. Open Linli for details.")
        % {"address": plan.resident.household.address},
    )


# ---- Time rules (called only by web/periodic.py) --------------------------------------------------


def care_overdue_escalate(today=None, batch: int = BATCH) -> dict:
    """Overdue care moves up: on a plan's group_alert_on day its 组长 is told, on area_alert_on its 片长
    (once per due date: a contact moves the due date and resets this). Returns {"group": n, "area": n}.

    Handles up to `batch` plans per step, in one transaction per batch: the plans are locked (skipping
    rows another job holds, on PostgreSQL), marked told for their due date, and the inbox rows and
    outbound messages are written in bulk, keyed by plan and due date, so a plan is told at most once
    per due date even when two jobs race on a database without row locks (SQLite)."""
    today = today or timezone.localdate()
    told = {"group": 0, "area": 0}
    steps = [
        ("group", "group_alert_on", "group_told_for", Role.GROUP_LEADER),
        ("area", "area_alert_on", "area_told_for", Role.AREA_LEADER),
    ]
    for name, alert_field, told_field, role in steps:
        with transaction.atomic():
            plans = list(
                CarePlan.objects.active()
                .filter(**{f"{alert_field}__lte": today})
                .exclude(**{told_field: F("due_on")})
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("resident__household__entrance__building__estate", "carer")
                .order_by("pk")[:batch]
            )
            if not plans:
                continue
            for plan in plans:
                setattr(plan, told_field, plan.due_on)
            CarePlan.objects.bulk_update(plans, [told_field], batch_size=BATCH)
            _tell_overdue(plans, role, today, name)
            told[name] += len(plans)
    return told


def _tell_overdue(plans: list[CarePlan], role, today, step: str) -> None:
    """Tell the leaders above each plan's cell (the community's staff when a plan has no 组长) — in
    three queries for the whole batch — and, at the area step, the community's outbound channels."""
    from notices.models import Notification, OutboundChannel, OutboundMessage

    holders = holders_by_unit({unit_id for plan in plans for unit_id in path_ids(plan.cell_path)}, [role])
    staff = {}
    if step == "group":
        staff = holders_by_unit({plan.community_id for plan in plans}, [Role.COMMUNITY_STAFF])
    now = timezone.now()
    notifications, messages = [], []
    channels: dict[int, list[int]] = {}
    if step == "area":
        for pk, community_id in OutboundChannel.objects.filter(
            community_id__in={p.community_id for p in plans}, active=True
        ).values_list("pk", "community_id"):
            channels.setdefault(community_id, []).append(pk)
    for plan in plans:
        people = {p.pk: p for unit_id in path_ids(plan.cell_path) for p in holders.get(unit_id, [])}
        if step == "group" and not people:
            # No 组长 (or the plan has no cell yet): the community's staff hear of it instead.
            people = {p.pk: p for p in staff.get(plan.community_id, [])}
        days = plan.days_overdue(today)
        message = _("Care overdue %(days)s days: %(name)s (carer: %(carer)s).") % {
            "days": days,
            "name": plan.resident.name,
            "carer": plan.carer.full_name if plan.carer else _("none"),
        }
        url = reverse("care:plan", args=[plan.pk])
        key = f"care-{step}:{plan.pk}:{plan.due_on}"
        notifications += [
            Notification(user=person, message=message[:300], url=url, key=key, created_at=now)
            for person in people.values()
        ]
        body = _("%(address)s: care is %(days)s days overdue.") % {
            "address": plan.resident.household.address,
            "days": days,
        }
        messages += [
            OutboundMessage(
                channel_id=channel_id,
                key=key,
                title=_("Care overdue"),
                body=body,
                next_attempt_at=now,
                created_at=now,
            )
            for channel_id in channels.get(plan.community_id, [])
        ]
    Notification.objects.bulk_create(notifications, batch_size=1000, ignore_conflicts=True)
    OutboundMessage.objects.bulk_create(messages, batch_size=1000, ignore_conflicts=True)


def care_due_remind(today=None) -> int:
    """Once a day, tell each carer how many of their people are due today or overdue (one inbox line
    each, keyed by the date so later passes that day add nothing), and each community's outbound
    channels the day's count. Returns the carers told."""
    from django.db.models import Count

    today = today or timezone.localdate()
    rows = (
        CarePlan.objects.active()
        .filter(due_on__lte=today, carer__isnull=False)
        .values("carer_id")
        .annotate(due=Count("pk", filter=Q(due_on=today)), overdue=Count("pk", filter=Q(due_on__lt=today)))
        .order_by()
    )
    from notices.models import Notification

    now = timezone.now()
    url = reverse("care:round")
    key = f"care-due:{today}"
    rows = [
        Notification(
            user_id=row["carer_id"],
            message=_("Today's round: %(due)s due today, %(overdue)s overdue.") % row,
            url=url,
            key=key,
            created_at=now,
        )
        for row in rows
    ]
    # One insert per thousand carers; the (user, key) constraint makes a second run add nothing.
    Notification.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    told = len(rows)
    per_community = (
        CarePlan.objects.active()
        .filter(due_on__lte=today)
        .values("community_id")
        .annotate(due=Count("pk", filter=Q(due_on=today)), overdue=Count("pk", filter=Q(due_on__lt=today)))
        .order_by()
    )
    communities = {c.pk: c for c in TerritoryUnit.objects.filter(level=Level.COMMUNITY)}
    for row in per_community:
        community = communities.get(row["community_id"])
        if community is None:
            continue
        outbound_queue(
            community=community,
            key=f"care-due:{today}",
            title=_("Care round %(date)s") % {"date": today.isoformat()},
            body=_("%(community)s: %(due)s people due today, %(overdue)s overdue.")
            % {"community": community.name, "due": row["due"], "overdue": row["overdue"]},
        )
    return told
