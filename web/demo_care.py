"""Care in the demo street: care plans for every cared-for resident, eight weeks of greetings and visits
by their carers (most keep the cadence, a few fall behind, so today's round has people due and overdue),
and the escalations that the periodic job would have sent for the overdue ones.

Contacts are bulk-inserted (a contact's only side effect is the plan's dates, recomputed here the way
care.services.care_contact_log does), so seeding stays fast."""

import datetime
import random
import time

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign
from care.models import CareContact, CarePlan, ContactKind, Delivery, WelfareAlert, Wellbeing
from care.services import care_overdue_escalate, care_plans_sync, plan_dues_set
from inspections.models import Inspection
from territory.models import Level, TerritoryUnit

WEEKS = 8
NOTES = {
    Wellbeing.WELL: ["", "", "精神不错", "血压正常", "刚从菜市场回来", "孩子周末来看过", "视频聊了几句"],
    Wellbeing.CONCERN: ["腿脚不太方便", "说最近睡不好", "药快吃完了", "家里灯泡坏了", "有点感冒"],
    Wellbeing.URGENT: ["摔了一跤，已联系家属", "胸口不舒服，已打120"],
}


def _contact_days(rng: random.Random, started: datetime.date, today: datetime.date, diligence: float):
    """(day, kind) of a carer's contacts with one person: a visit about weekly and greetings between,
    stretched for less diligent carers."""
    day = started + datetime.timedelta(days=rng.randint(0, 2))
    last_visit = None
    while day < today:
        visit_due = last_visit is None or (day - last_visit).days >= 6
        kind = (
            ContactKind.VISIT
            if visit_due and rng.random() < 0.8
            else rng.choice([ContactKind.ONLINE, ContactKind.ONLINE, ContactKind.PHONE])
        )
        if kind == ContactKind.VISIT:
            last_visit = day
        yield day, kind
        gap = rng.choice([2, 3, 3]) if rng.random() < diligence else rng.randint(4, 9)
        day += datetime.timedelta(days=gap)


def demo_care_build(*, seed: int = 2026, now=None) -> dict[str, int]:
    started_clock = time.perf_counter()
    rng = random.Random(seed + 4)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    started = today - datetime.timedelta(weeks=WEEKS)
    with transaction.atomic():
        for community in TerritoryUnit.objects.filter(level=Level.COMMUNITY).order_by("pk"):
            care_plans_sync(community=community, today=started)
        plans = list(CarePlan.objects.active().select_related("carer").order_by("pk"))
        diligence = {}
        contacts = []
        for plan in plans:
            if plan.carer is None:
                continue
            # Most carers keep the cadence; a few (and the demo 邻长 on one person) fall behind.
            carer_diligence = diligence.setdefault(plan.carer_id, 0.95 if rng.random() < 0.85 else 0.45)
            days = list(_contact_days(rng, started, today, carer_diligence))
            if plan.carer.username == "linzhang" and rng.random() < 0.5:
                days = [d for d in days if (today - d[0]).days > 5]  # someone waiting on the demo 邻长
            for day, kind in days:
                wellbeing = rng.choices(list(NOTES), weights=[88, 11, 1])[0]
                at = timezone.make_aware(
                    datetime.datetime.combine(day, datetime.time(rng.randint(8, 19), rng.randrange(60)))
                )
                contacts.append(
                    CareContact(
                        plan=plan,
                        kind=kind,
                        wellbeing=wellbeing,
                        note=rng.choice(NOTES[wellbeing]),
                        by=plan.carer,
                        contacted_at=at,
                    )
                )
                plan.last_greeting_on = day
                if kind == ContactKind.VISIT:
                    plan.last_visit_on = day
            plan_dues_set(plan)
        CareContact.objects.bulk_create(contacts, batch_size=1000)
        CarePlan.objects.bulk_update(
            plans,
            [
                "last_greeting_on",
                "last_visit_on",
                "greeting_due_on",
                "visit_due_on",
                "due_on",
                "group_alert_on",
                "area_alert_on",
            ],
            batch_size=500,
        )
        told = care_overdue_escalate(today=today)
    return {
        "care plans": len(plans),
        "care contacts": len(contacts),
        "care overdue told": told["group"] + told["area"],
        "seconds": round(time.perf_counter() - started_clock, 2),
    }


# ---- campaigns, inspections, alerts, distributions ------------------------------------------------


def _staff_of(community):
    from leaders.models import Appointment, Role

    appointment = (
        Appointment.objects.active()
        .filter(unit=community, role=Role.COMMUNITY_STAFF)
        .select_related("person")
        .order_by("person__username")
        .first()
    )
    return appointment.person if appointment else None


def _cell_leader_cells():
    from leaders.models import Appointment, Role

    return [
        (a.unit, a.person)
        for a in Appointment.objects.active()
        .filter(role=Role.CELL_LEADER)
        .select_related("unit", "person")
        .order_by("unit__path")
    ]


def demo_outreach_build(*, seed: int = 2026, now=None) -> dict[str, int]:
    """Campaigns with most households already reached, a few inspection rounds (one hazard each, some
    removed), two welfare alerts (one answered and closed the way DOMAIN.md §4 tells it, one open since
    this morning) and a winter-care distribution half delivered."""
    from campaigns.models import CampaignTarget, TargetStatus, Topic
    from campaigns.services import campaign_create
    from care.models import AlertEntry, AlertOutcome, AlertStep, WelfareAlert
    from care.services_alerts import welfare_alert_close, welfare_alert_raise, welfare_alert_step
    from care.services_distributions import delivery_record, distribution_create
    from inspections.models import Inspection
    from inspections.services import FindingInput, checklist_items_for, inspection_record, patch_buildings
    from people.models import Household
    from service_requests.services import request_resolve

    started_clock = time.perf_counter()
    rng = random.Random(seed + 5)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    counts = {"campaigns": 0, "inspections": 0, "alerts": 0, "deliveries": 0}
    communities = list(TerritoryUnit.objects.filter(level=Level.COMMUNITY).order_by("pk"))
    cells = _cell_leader_cells()
    with transaction.atomic():
        for index, community in enumerate(communities):
            staff = _staff_of(community)
            if staff is None:
                continue
            plans = [
                (
                    Topic.WINTER_ELECTRICAL,
                    "冬季用电安全入户宣讲",
                    "",
                    None,
                    today - datetime.timedelta(days=20),
                    0.85,
                ),
                (Topic.ANTI_FRAUD, "反电信诈骗入户宣传", "", None, today - datetime.timedelta(days=6), 0.45),
                (
                    Topic.GOV_APP,
                    "帮助70岁以上老人注册政务服务App",
                    "",
                    70,
                    today - datetime.timedelta(days=3),
                    0.3,
                ),
            ]
            if index:
                plans = plans[1:2]
            for topic, title, description, min_age, starts_on, share in plans:
                campaign = campaign_create(
                    actor=staff,
                    unit=community,
                    title=title,
                    topic=topic,
                    description=description or title,
                    starts_on=starts_on,
                    ends_on=today + datetime.timedelta(days=30),
                    min_age=min_age,
                )
                leaders = {cell.path: person for cell, person in cells}
                targets = list(CampaignTarget.objects.filter(campaign=campaign))
                for target in targets:
                    roll = rng.random()
                    if roll < share:
                        target.status = TargetStatus.REACHED
                    elif roll < share + 0.08:
                        target.status = TargetStatus.NOT_HOME
                    elif roll < share + 0.1:
                        target.status = TargetStatus.DECLINED
                    else:
                        continue
                    target.marked_by = leaders.get(target.cell_path)
                    days_in = max(1, (today - starts_on).days)
                    target.marked_at = now - datetime.timedelta(
                        days=rng.randrange(days_in), hours=rng.randint(0, 8)
                    )
                CampaignTarget.objects.bulk_update(
                    targets, ["status", "marked_by", "marked_at"], batch_size=1000
                )
                counts["campaigns"] += 1

        # Safety rounds: the first cells of each community, one hazard each; older ones removed.
        for index, (cell, leader) in enumerate(cells[:6] + cells[-3:]):
            community = TerritoryUnit.objects.get(pk=cell.community_id_from_path())
            items = checklist_items_for(community)
            buildings = list(patch_buildings(cell)[:1])
            if not items or not buildings:
                continue
            hazard = items[index % len(items)]
            findings = [FindingInput(item=item, is_hazard=item == hazard) for item in items]
            findings[items.index(hazard)] = FindingInput(
                item=hazard, is_hazard=True, building=buildings[0], note="1单元楼道"
            )
            inspection = inspection_record(actor=leader, unit=cell, findings=findings)
            done_at = now - datetime.timedelta(days=2 + index * 3)
            Inspection.objects.filter(pk=inspection.pk).update(done_at=done_at)
            if index % 2 == 0:
                finding = inspection.findings.filter(is_hazard=True).select_related("request").first()
                if finding and finding.request:
                    request_resolve(
                        actor=_staff_of(community), request=finding.request, outcome="已清理，已提醒住户"
                    )
            counts["inspections"] += 1

        # Welfare alerts in the first community: one closed (the couple not seen for a week), one open.
        first = communities[0]
        plans = list(
            CarePlan.objects.active()
            .filter(community=first, groups__contains="is_elderly_alone")
            .select_related("resident__household")
            .order_by("pk")[:2]
        )
        building_leaders = _building_leaders(first)
        if len(plans) == 2 and building_leaders:
            raiser = building_leaders[0]
            closed = welfare_alert_raise(
                actor=raiser,
                household=plans[0].resident.household,
                resident=plans[0].resident,
                reason="not_seen",
                description="老人快一个星期没下楼了，敲门没人应",
            )
            staff = _staff_of(first)
            for step in (AlertStep.CALLED, AlertStep.KNOCKED, AlertStep.PROPERTY, AlertStep.FAMILY):
                welfare_alert_step(actor=staff, alert=closed, step=step)
            welfare_alert_close(
                actor=staff,
                alert=closed,
                outcome=AlertOutcome.HOSPITAL,
                note="联系上儿子，老人住院了，家属在陪护",
            )
            raised = now - datetime.timedelta(days=9, hours=3)
            WelfareAlert.objects.filter(pk=closed.pk).update(
                raised_at=raised,
                first_response_at=raised + datetime.timedelta(minutes=12),
                closed_at=raised + datetime.timedelta(hours=1, minutes=50),
            )
            for minutes, entry in zip(
                (12, 25, 40, 105), closed.entries.exclude(step="").order_by("at"), strict=False
            ):
                AlertEntry.objects.filter(pk=entry.pk).update(at=raised + datetime.timedelta(minutes=minutes))
            welfare_alert_raise(
                actor=raiser,
                household=plans[1].resident.household,
                resident=plans[1].resident,
                reason="no_answer",
                description="早上送菜敲门没人应，电话也没接",
            )
            counts["alerts"] = 2

        # Winter care: rice, oil and vegetables to the elderly living alone, half delivered so far.
        staff = _staff_of(first)
        distribution = distribution_create(
            actor=staff,
            community=first,
            title=f"{today.year}年冬季关爱",
            items="大米10斤、食用油1桶、蔬菜一份",
            starts_on=today - datetime.timedelta(days=5),
            ends_on=today + datetime.timedelta(days=25),
        )
        carers = {}
        for plan in (
            CarePlan.objects.active()
            .filter(community=first, carer__isnull=False)
            .select_related("resident__household", "carer")
        ):
            if "is_elderly_alone" in plan.groups and rng.random() < 0.5:
                household = plan.resident.household
                if household.pk in carers:
                    continue
                carers[household.pk] = plan.carer
                delivery_record(
                    actor=plan.carer,
                    distribution=distribution,
                    household=Household.objects.get(pk=household.pk),
                    resident=plan.resident,
                    delivered_at=timezone.make_aware(
                        datetime.datetime.combine(
                            today - datetime.timedelta(days=rng.randint(1, 4)),
                            datetime.time(rng.randint(9, 16), rng.randrange(60)),
                        )
                    ),
                )
                counts["deliveries"] += 1
        counts["selection"] = _demo_selection(first, now)
    counts["seconds"] = round(time.perf_counter() - started_clock, 2)
    return counts


def _demo_selection(community, now) -> int:
    """A cell whose 邻长 moved away holds an election this week, and the first area's leaders had a
    training last month."""
    from leaders.models import Appointment, Role
    from leaders.services import election_open, training_attendance_record, training_create
    from people.models import Resident

    staff = _staff_of(community)
    led = Appointment.objects.active().filter(role=Role.CELL_LEADER).values("unit_id")
    cell = (
        TerritoryUnit.objects.filter(level=Level.CELL, path__startswith=community.path)
        .exclude(pk__in=led)
        .filter(cell_households__isnull=False)
        .distinct()
        .order_by("path")
        .first()
    )
    made = 0
    if cell is not None:
        candidates = list(
            Resident.objects.counted()
            .filter(household__cell=cell, birth_date__lte=datetime.date(1990, 1, 1))
            .order_by("-is_party_member", "-is_volunteer", "pk")[:2]
        )
        if len(candidates) == 2:
            election_open(
                actor=staff,
                cell=cell,
                opens_at=now - datetime.timedelta(days=2),
                closes_at=now + datetime.timedelta(days=5),
                candidates=candidates,
            )
            made += 1
    area = (
        TerritoryUnit.objects.filter(level=Level.AREA, parent=community).order_by("sort_order", "pk").first()
    )
    if area is not None:
        training = training_create(
            actor=staff,
            unit=area,
            title="邻长履职培训：入户走访与异常预警",
            held_on=timezone.localdate() - datetime.timedelta(days=24),
            place="社区党群服务中心",
        )
        invited = [
            a.person
            for a in Appointment.objects.active()
            .filter(role=Role.CELL_LEADER, unit__path__startswith=area.path)
            .select_related("person")
        ]
        attended = {p.pk for i, p in enumerate(invited) if i % 7}
        training_attendance_record(actor=staff, training=training, invited=invited, attended_ids=attended)
        made += 1
    return made


def _building_leaders(community):
    from leaders.models import Appointment, Role

    return [
        a.person
        for a in Appointment.objects.active()
        .filter(role=Role.BUILDING_LEADER, building__estate__community=community)
        .select_related("person")
        .order_by("person__username")
    ]


def demo_care_totals() -> dict[str, int]:
    today = timezone.localdate()
    plans = CarePlan.objects.active()
    return {
        "care plans": plans.count(),
        "care plans overdue": plans.filter(due_on__lt=today).count(),
        "care contacts": CareContact.objects.count(),
        "outreach campaigns": Campaign.objects.count(),
        "safety inspections": Inspection.objects.count(),
        "welfare alerts": WelfareAlert.objects.count(),
        "deliveries of supplies": Delivery.objects.count(),
    }
