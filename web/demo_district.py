"""A whole district for `manage.py seed_demo --scale district`: the data the benchmark runs against.

By default (`DistrictShape()`): 10 streets, 60 communities, about 200,000 households and 500,000
residents, cells of 5–15 households with their 邻长 (about 20,000), groups of about 100 households,
areas, staff, street admins; then 12 months of history: 1,000,000 requests with their timelines
(web/demo_district_requests.py), care plans with about 2,000,000 contacts, 100 outreach campaigns with
their marks, and the figures' rollups rebuilt. `DistrictShape(households=3000, streets=2, ...)` is the
same generator small enough for a test.

The registry is planned by web/demo.py's planner (the same households, residents, tags, cells, leaders
and deliberate warnings as the demo street, one street at a time with one random generator and shared
sets of ID numbers, phones and usernames) and written with web/demo_bulk.BulkWriter: COPY on
PostgreSQL, with each registry row's creation in its history table. Then services where they are fast
enough (service catalogue, teams, care_plans_sync, campaign_create, care_overdue_escalate,
rollup_rebuild), and bulk rows where they are not (requests and their events, care contacts, campaign
marks): those are computed here the way the services would have left them.

Everything runs in one transaction: a failed build leaves the database as it was. Nothing is dropped or
switched off: every foreign key is checked (at the end of each statement) and every index kept. Then
VACUUM ANALYZE on PostgreSQL. Deterministic for a seed, except the secrets (request tracking tokens,
ID-number ciphertexts) and the times, which are counted back from now.

Left out at this scale (the demo street has them): history rows of requests, care contacts, care plan
due dates and campaign marks; inbox notifications of past requests and of urgent contacts; needs found
on care contacts; welfare alerts, inspections and distributions.
"""

import datetime
import math
import random
import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from leaders.models import Appointment, Role
from leaders.services import appointment_end
from people.models import Household, HouseholdStatus, ResidenceStatus, Resident
from territory.models import Building, Entrance, Estate, Level, TerritoryUnit
from web.demo import (
    CHANGE_REASON,
    DEFAULT_PASSWORD,
    DEFAULT_SEED,
    CommunityShape,
    DemoPlan,
    DemoShape,
    EstateShape,
    _Planner,
)
from web.demo_bulk import BulkWriter

STREET_NAMES = ["城关街道", "东湖街道", "西岭街道", "南门街道", "北辰街道", "桂花街道", "湘江街道", "望月街道",
                "枫林街道", "新河街道", "白沙街道", "青山街道"]  # fmt: skip
COMMUNITY_NAMES = [
    "幸福", "和平", "光明", "建设", "团结", "友谊", "新华", "文化", "育才", "书香", "金桥", "红旗", "东风", "向阳",
    "朝阳", "长青", "丽景", "锦园", "翠竹", "桃源", "春晖", "秋实", "华景", "晨光", "明珠", "清风", "碧湖", "星沙",
    "天心", "岳麓", "芙蓉", "开福", "雨花", "望城", "梅岭", "杏林", "松柏", "兰苑", "紫荆", "银杉", "玉泉", "石门",
    "龙湾", "凤凰", "麓山", "橘洲", "洪山", "砚池", "牌楼", "黄土岭", "井湾", "侯家塘", "东塘", "左家塘", "圭塘",
    "砂子塘", "仰天湖", "新开铺", "桂花坪", "先锋", "大托", "坡子街", "城南", "劳动", "韶山", "曙光", "人民", "五一",
]  # fmt: skip
ESTATE_PREFIXES = ["金桂", "枫林", "湘江", "锦绣", "书香", "阳光", "翠园", "丽都", "华庭", "嘉园", "名都", "绿洲",
                   "紫薇", "桃李", "芙蓉", "银杏", "梧桐", "兰亭", "春晓", "电力", "铁路", "机械厂", "纺织厂", "粮食局",
                   "教师", "恒大", "碧桂园", "万科", "保利", "中建"]  # fmt: skip
ESTATE_SUFFIXES = {"walkup": ["宿舍", "新村", "小区"], "midrise": ["小区", "花园", "家园", "苑"],
                   "tower": ["华府", "公馆", "国际", "城"]}  # fmt: skip
# Resident households per cell, drawn uniformly from one of these per community: about 10 on average
# (DOMAIN.md §1: 5 to 15), so 200,000 households make about 20,000 cells.
CELL_PROFILES = [(6, 7, 8, 9, 10, 11, 12), (8, 9, 10, 11, 12, 13, 14), (5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                 (7, 8, 9, 10, 11, 12, 13)]  # fmt: skip
# Weights of web.demo._KINDS (elderly alone, single, couple, one child, two children, single parent,
# three generations, grandparents raising a grandchild).
KIND_WEIGHTS = [3, 17, 27, 26, 8, 6, 12, 4]
GROUP_HOUSEHOLDS = 100  # a group is about 100 neighbouring households (DOMAIN.md §1)
GROUPS_PER_AREA = 3.3  # one community: 10 areas, 33 groups (DOMAIN.md §8)
MIN_HOUSEHOLDS = 100  # per community: a few cells, a group and vacant rooms for the 空挂户
REGISTERED_ONLY_SHARE = 0.012
UNPLACED_SHARE = 0.002


@dataclass(frozen=True)
class DistrictShape:
    """How big a district to build. `requests` defaults to 5 per household over `months`."""

    streets: int = 10
    communities_per_street: int = 6
    households: int = 200_000
    requests: int | None = None
    care_contacts: int | None = None  # default 10 per household (2,000,000 for the district)
    campaigns: int | None = None  # default 100 for the district, fewer for a smaller one
    months: int = 12

    def __post_init__(self):
        if min(self.streets, self.communities_per_street, self.months) < 1:
            raise ValueError("A district needs at least one street, one community per street and one month.")
        if self.households < MIN_HOUSEHOLDS * self.communities:
            raise ValueError(f"A district needs at least {MIN_HOUSEHOLDS} households per community.")
        if min(self.requests or 0, self.care_contacts or 0, self.campaigns or 0) < 0:
            raise ValueError("Counts of requests, contacts and campaigns cannot be negative.")

    @property
    def communities(self) -> int:
        return self.streets * self.communities_per_street

    @property
    def request_count(self) -> int:
        return self.requests if self.requests is not None else 5 * self.households

    @property
    def contact_target(self) -> int:
        return self.care_contacts if self.care_contacts is not None else 10 * self.households

    @property
    def campaign_count(self) -> int:
        if self.campaigns is not None:
            return self.campaigns
        return max(self.communities, round(100 * min(1.0, self.households / 200_000)))


@dataclass
class DistrictResult:
    now: datetime.datetime
    seconds: dict[str, float] = field(default_factory=dict)
    # Deliberate warnings of the tree page, per street: {"small": cell id, "big": …, "no_leader": …,
    # "leader_away": …} (the first community of every street has them).
    warnings: list[dict[str, int]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


# ---- The shape of each street ------------------------------------------------------------------------


def _estate_shapes(rng: random.Random, households: int) -> tuple[EstateShape, ...]:
    count = max(1, min(8, round(households / 600)))
    prefixes = rng.sample(ESTATE_PREFIXES, count)
    estates = []
    for prefix in prefixes:
        kind = rng.choices(["walkup", "midrise", "tower"], weights=[4, 4, 2])[0]
        if kind == "walkup":
            floors, entrances, rooms = rng.randint(5, 7), rng.randint(2, 4), 2
        elif kind == "midrise":
            floors, entrances, rooms = rng.randint(9, 18), rng.randint(1, 3), 2
        else:
            floors, entrances, rooms = rng.randint(24, 33), rng.randint(1, 2), 4
        name = prefix + rng.choice(ESTATE_SUFFIXES[kind])
        estates.append(EstateShape(name, floors=floors, entrances=entrances, rooms_per_floor=rooms,
                                   weight=round(rng.uniform(0.5, 1.5), 2)))  # fmt: skip
    return tuple(estates)


def district_street_shapes(shape: DistrictShape, seed: int = DEFAULT_SEED) -> list[DemoShape]:
    """One web.demo.DemoShape per street. The first street is the demo's: its first two communities are
    幸福社区 and 和平社区 and its posts carry the demo logins (jiedao, shequ, linzhang, ...)."""
    rng = random.Random(seed + 11)
    weights = [rng.uniform(0.6, 1.4) for _ in range(shape.communities)]
    total = sum(weights)
    names = iter(COMMUNITY_NAMES * (1 + shape.communities // len(COMMUNITY_NAMES)))
    streets = []
    for s in range(shape.streets):
        communities = []
        for c in range(shape.communities_per_street):
            index = s * shape.communities_per_street + c
            households = max(12, round(shape.households * weights[index] / total))
            registered_only = max(1, round(households * REGISTERED_ONLY_SHARE))
            unplaced = max(1, round(households * UNPLACED_SHARE))
            profile = rng.choice(CELL_PROFILES)
            mean = sum(profile) / len(profile)
            cells = max(1, round((households - registered_only - unplaced) / mean))
            groups = max(1, min(cells, round(cells * mean / GROUP_HOUSEHOLDS)))
            areas = max(1, min(groups, round(groups / GROUPS_PER_AREA)))
            # The tree page's deliberate warnings need four cells outside the first group (the longest).
            warnings = c == 0 and groups >= 2 and cells - math.ceil(cells / groups) >= 4
            name = next(names)
            suffix = "" if index < len(COMMUNITY_NAMES) else f"{index // len(COMMUNITY_NAMES) + 1}"
            communities.append(
                CommunityShape(
                    name=f"{name}社区{suffix}",
                    code=f"s{s + 1:02d}c{c + 1:02d}",
                    areas=areas,
                    groups=groups,
                    cells=cells,
                    cell_sizes=profile,
                    estates=_estate_shapes(rng, households),
                    registered_only=registered_only,
                    unplaced=unplaced,
                    staff=rng.randint(4, 6),
                    residents_with_login=2,
                    warnings=warnings,
                )
            )
        streets.append(
            DemoShape(
                street=STREET_NAMES[s] if s < len(STREET_NAMES) else f"第{s + 1}街道",
                communities=tuple(communities),
                admin_username="jiedao" if s == 0 else f"s{s + 1:02d}.jiedao",
                demo_logins=s == 0,
            )
        )
    return streets


# ---- Planning and writing the registry, a street at a time ----------------------------------------


class _Names:
    """Faker's zh_CN surnames (with their weights) and given names, drawn with the planner's generator:
    the same names as Faker's, several times faster (half a million residents)."""

    def __init__(self, rng: random.Random, fake):
        from faker.providers.person.zh_CN import Provider

        self.rng, self.fake = rng, fake
        self.surnames = list(Provider.last_names)
        self.weights = list(accumulate(Provider.last_names.values()))
        self.male, self.female = Provider.first_names_male, Provider.first_names_female

    def last_name(self) -> str:
        return self.surnames[bisect_left(self.weights, self.rng.random() * self.weights[-1])]

    def first_name_male(self) -> str:
        return self.rng.choice(self.male)

    def first_name_female(self) -> str:
        return self.rng.choice(self.female)

    def street_address(self) -> str:
        return self.fake.street_address()


class _DistrictPlanner(_Planner):
    """web.demo's planner over several streets: one random generator and one set of ID numbers, phones
    and usernames for the whole district, a fresh DemoPlan per street."""

    def __init__(self, seed: int, today: datetime.date):
        super().__init__(DemoShape(), seed)
        self.fake = _Names(self.rng, self.fake)
        # More families than the demo street: 2.5 people a household (the 2020 census: 2.62).
        self.kind_weights = KIND_WEIGHTS
        self.today = today
        self.current: list = []  # the households of the community being staffed

    def street_plan(self, shape: DemoShape, index: int) -> DemoPlan:
        self.shape = shape
        street = TerritoryUnit(level=Level.STREET, name=shape.street, sort_order=index)
        self.plan = DemoPlan(shape=shape, seed=self.plan.seed, street=street, communities=[])
        self.plan.units.append(street)
        return self.build()

    def start(self) -> datetime.date:
        # Every post was taken more than the 12 months of history ago, so the leaders and staff who
        # answered requests and cared for people held their posts at the time.
        return self.today - datetime.timedelta(days=400 + self.rng.randrange(1100))

    def posts(self, cp, c, demo, warnings) -> None:
        self.current = [h for h in cp.households if h.cell is not None]
        super().posts(cp, c, demo, warnings)

    def candidate(self, households, *, with_family=False) -> Resident:
        try:
            return super().candidate(households, with_family=with_family)
        except ValueError:
            pass
        # A small cell of people living alone past 72 and tenants: any adult who lives here; failing
        # that, the nearest willing neighbour elsewhere in the community.
        for pool in (households, self.current):
            adults = [
                r
                for h in pool
                for r in h._demo_members
                if r.residence_status != ResidenceStatus.REGISTERED_ONLY
                and self.age[id(r)] >= 18
                and id(r) not in self.residents_with_user
            ]
            if adults:
                return self.rng.choice(adults)
        raise ValueError("no resident can lead here")


def _write_street(writer: BulkWriter, plan: DemoPlan, password_hash: str) -> None:
    """Save one street's plan with ids chosen here (COPY on PostgreSQL) and the creation history."""
    writer.assign_ids(plan.units)
    for unit in plan.units:  # parents come first: street, communities, areas, groups, cells
        unit.path = f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
    for instances in (
        plan.units,
        plan.estates,
        plan.buildings,
        plan.entrances,
        plan.households,
        plan.residents,
    ):
        writer.assign_ids(instances)
        writer.instances(instances)
        writer.history(instances, CHANGE_REASON)
    for user in plan.users:
        user.password = password_hash
    writer.assign_ids(plan.users)
    writer.instances(plan.users)
    writer.assign_ids(plan.appointments)
    writer.instances(plan.appointments)
    writer.history(plan.appointments, CHANGE_REASON)
    director = plan.communities[0].director
    for ending in plan.endings:
        appointment_end(actor=director, appointment=ending.appointment, ended_on=ending.ended_on,
                        reason=ending.reason, note=ending.note)  # fmt: skip


def district_registry_build(
    shape: DistrictShape, *, seed: int, password: str, writer: BulkWriter, result: DistrictResult
) -> dict[str, float]:
    """Plan and write every street. Returns the seconds spent planning and writing."""
    planner = _DistrictPlanner(seed, timezone.localdate(writer.now))
    password_hash = make_password(password)
    seconds = {"plan": 0.0, "write": 0.0}
    for index, street_shape in enumerate(district_street_shapes(shape, seed)):
        t = time.perf_counter()
        plan = planner.street_plan(street_shape, index)
        seconds["plan"] += time.perf_counter() - t
        t = time.perf_counter()
        _write_street(writer, plan, password_hash)
        seconds["write"] += time.perf_counter() - t
        if plan.warnings:
            result.warnings.append({key: unit.pk for key, unit in plan.warnings.items()})
    return seconds


# ---- Teams and the catalogue ------------------------------------------------------------------------


def district_catalogue_build(*, seed: int) -> int:
    """Each street's default catalogue and response templates, and three volunteer teams per community
    (DOMAIN.md §6) whose members are party members and volunteers among the community's leaders."""
    from service_requests.catalogue import service_catalogue_install
    from service_requests.models import ResponseTemplate
    from volunteers.models import Team
    from web.demo_requests import TEAMS, TEMPLATES

    rng = random.Random(seed + 12)
    for street in TerritoryUnit.objects.filter(level=Level.STREET).order_by("pk"):
        service_catalogue_install(street)
        ResponseTemplate.objects.bulk_create(
            [ResponseTemplate(street=street, title=title, text=text) for title, text in TEMPLATES]
        )
    people: dict[int, list[tuple[int, int]]] = {}
    rows = User.objects.filter(resident__isnull=False).values_list(
        "pk", "resident__household__community_id", "resident__is_party_member", "resident__is_volunteer"
    )
    for pk, community_id, party, volunteer in rows.order_by("pk"):
        people.setdefault(community_id, []).append((2 * party + volunteer + rng.random(), pk))
    teams = 0
    for community in TerritoryUnit.objects.filter(level=Level.COMMUNITY).order_by("pk"):
        ranked = [pk for _score, pk in sorted(people.get(community.pk, []), reverse=True)]
        for index, (name, description, _codes) in enumerate(TEAMS[:3]):
            team = Team.objects.create(community=community, name=name, description=description)
            team.members.set(ranked[index::3][:4])
            teams += 1
    return teams


# ---- Care: plans and a year of contacts ----------------------------------------------------------


def _contact_days(rng: random.Random, first: int, last: int, gap: float, visit_days: int):
    """(day ordinal, is_visit) of a carer's contacts with one person from day `first` to before `last`:
    a greeting every `gap` days or so and a home visit about every `visit_days`."""
    day = first + rng.randint(0, 2)
    last_visit = -(10**6)
    spread = gap / 3
    while day < last:
        is_visit = day - last_visit >= visit_days - 1 and rng.random() < 0.85
        if is_visit:
            last_visit = day
        yield day, is_visit
        day += max(1, round(rng.gauss(gap, spread)))


def district_care_build(shape: DistrictShape, *, seed: int, writer: BulkWriter) -> dict[str, int]:
    """Care plans for every cared-for resident from a year ago (care.services.care_plans_sync), a year of
    greetings and visits (bulk rows), due dates from the last contacts (care.services.plan_dues_set),
    and the overdue care told to the leaders as the periodic job would have (care_overdue_escalate)."""
    from care.models import CareContact, CarePlan, Wellbeing
    from care.services import BATCH, care_overdue_escalate, care_plans_sync, plan_dues_set
    from web.demo_care import NOTES

    rng = random.Random(seed + 13)
    today = timezone.localdate(writer.now)
    start = today - datetime.timedelta(days=round(shape.months * 30.44))
    for community in TerritoryUnit.objects.filter(level=Level.COMMUNITY).order_by("pk"):
        care_plans_sync(community=community, today=start)
    plans = list(CarePlan.objects.active().order_by("pk"))
    with_carer = [p for p in plans if p.carer_id is not None]
    days = (today - start).days
    # Greeting gap that gives the target number of contacts; most carers keep it, a few fall behind.
    gap = max(1.0, len(with_carer) * days / max(1, shape.contact_target) * 0.93)
    diligence: dict[int, float] = {}
    well, concern, urgent = (NOTES[w] for w in (Wellbeing.WELL, Wellbeing.CONCERN, Wellbeing.URGENT))
    # Local midnight of a day ordinal, as a UTC timestamp (Asia/Shanghai keeps no summer time).
    epoch = datetime.date(1970, 1, 1).toordinal()
    offset = timezone.localtime(writer.now).utcoffset().total_seconds()

    def rows():
        for plan in with_carer:
            stretch = diligence.setdefault(plan.carer_id, 1.0 if rng.random() < 0.85 else 2.2)
            last_greeting = last_visit = None
            for day, is_visit in _contact_days(
                rng, start.toordinal(), today.toordinal(), gap * stretch, plan.visit_days
            ):
                roll = rng.random()
                wellbeing, notes = (
                    ("well", well)
                    if roll < 0.88
                    else ("concern", concern)
                    if roll < 0.99
                    else ("urgent", urgent)
                )
                seconds = (day - epoch) * 86400 - offset + rng.randrange(8 * 3600, 20 * 3600)
                kind = "visit" if is_visit else "online" if rng.random() < 0.67 else "phone"
                last_greeting = day
                if is_visit:
                    last_visit = day
                yield (
                    plan.pk,
                    kind,
                    wellbeing,
                    rng.choice(notes),
                    None,
                    plan.carer_id,
                    datetime.datetime.fromtimestamp(seconds, datetime.UTC),
                )
            if last_greeting is not None:
                plan.last_greeting_on = datetime.date.fromordinal(last_greeting)
            if last_visit is not None:
                plan.last_visit_on = datetime.date.fromordinal(last_visit)

    meta = CareContact._meta
    columns = [meta.get_field(n).column for n in ("plan", "kind", "wellbeing", "note", "request", "by",
                                                     "contacted_at")]  # fmt: skip
    contacts = writer.rows(meta.db_table, columns, rows())
    for plan in plans:
        plan_dues_set(plan)
    due_fields = ["last_greeting_on", "last_visit_on", "greeting_due_on", "visit_due_on", "due_on",
                  "group_alert_on", "area_alert_on"]  # fmt: skip
    writer.update(
        CarePlan._meta.db_table,
        "id",
        due_fields,
        ([p.pk, *(getattr(p, f) for f in due_fields)] for p in plans),
    )
    told = {"group": 0, "area": 0}
    while True:  # as the periodic job does: a batch at a time until one comes back short
        step = care_overdue_escalate(today=today, batch=BATCH)
        told = {k: told[k] + step[k] for k in told}
        if step["group"] < BATCH and step["area"] < BATCH:
            break
    return {
        "care plans": len(plans),
        "care contacts": contacts,
        "care overdue told": told["group"] + told["area"],
    }


# ---- Outreach campaigns ---------------------------------------------------------------------------


CAMPAIGNS = [
    ("winter_electrical", "冬季用电安全入户宣讲", None, ""),
    ("anti_fraud", "反电信诈骗入户宣传", None, ""),
    ("drowning", "暑期防溺水安全提醒", None, ""),
    ("anti_drug", "全民禁毒宣传月入户宣讲", None, ""),
    ("gov_app", "帮助70岁以上老人注册政务服务App", 70, ""),
    ("other", "独居老人燃气安全检查提醒", None, "is_elderly_alone"),
    ("other", "医保缴费政策入户告知", None, ""),
]


def district_campaigns_build(shape: DistrictShape, *, seed: int, writer: BulkWriter) -> dict[str, int]:
    """Outreach campaigns over the last months, through campaigns.services.campaign_create (its INSERT …
    SELECT fixes the targets), dated back, with the marks their leaders made (bulk; no history rows)."""
    from django.core.exceptions import ValidationError

    from campaigns.models import Campaign, CampaignTarget, TargetStatus
    from campaigns.services import campaign_create

    rng = random.Random(seed + 14)
    now = writer.now
    today = timezone.localdate(now)
    communities = list(TerritoryUnit.objects.filter(level=Level.COMMUNITY).order_by("pk"))
    areas: dict[int, list[TerritoryUnit]] = {}
    for area in TerritoryUnit.objects.filter(level=Level.AREA).order_by("pk"):
        areas.setdefault(area.parent_id, []).append(area)
    staff: dict[int, int] = {}
    for unit_id, person_id in (
        Appointment.objects.active().filter(role=Role.COMMUNITY_STAFF).order_by("person__username")
    ).values_list("unit_id", "person_id"):
        staff.setdefault(unit_id, person_id)
    staff_users = User.objects.in_bulk(list(staff.values()))
    leaders = dict(
        Appointment.objects.active()
        .filter(role=Role.CELL_LEADER)
        .order_by("-started_on")
        .values_list("unit__path", "person_id")
    )
    count = shape.campaign_count
    made = []
    for index in range(count):
        community = communities[index % len(communities)]
        for _attempt in range(5):  # a filter nobody in a small area meets: draw another campaign
            unit = community
            if index >= len(communities) and areas.get(community.pk) and rng.random() < 0.5:
                unit = rng.choice(areas[community.pk])
            topic, title, min_age, group = CAMPAIGNS[rng.randrange(len(CAMPAIGNS))]
            days_ago = rng.randrange(5, max(6, round(shape.months * 30.44) - 20))
            starts_on = today - datetime.timedelta(days=days_ago)
            ends_on = starts_on + datetime.timedelta(days=rng.choice([30, 45, 60, 90]))
            try:
                campaign = campaign_create(
                    actor=staff_users[staff[community.pk]],
                    unit=unit,
                    title=f"{starts_on.year}年{title}",
                    topic=topic,
                    description=title,
                    starts_on=starts_on,
                    ends_on=max(ends_on, today),
                    min_age=min_age,
                    special_group=group,
                )
            except ValidationError:
                continue
            # Created the day it was planned, a few days before it started; it ends when it ended.
            created = timezone.make_aware(
                datetime.datetime.combine(
                    starts_on - datetime.timedelta(days=rng.randint(1, 5)), datetime.time(9)
                )
            )
            Campaign.objects.filter(pk=campaign.pk).update(ends_on=ends_on, created_at=created)
            Campaign.history.filter(id=campaign.pk).update(history_date=created)
            made.append((campaign.pk, starts_on, ends_on))
            break

    marks = []
    statuses = {pk: (s, e) for pk, s, e in made}
    targets = CampaignTarget.objects.filter(campaign_id__in=list(statuses)).order_by("pk")
    for pk, campaign_id, cell_path in targets.values_list("pk", "campaign_id", "cell_path").iterator(
        chunk_size=20000
    ):
        starts_on, ends_on = statuses[campaign_id]
        last = min(ends_on, today)
        elapsed = (last - starts_on).days
        # Coverage grows with the days gone: most of a finished campaign's households were reached.
        share = min(0.97, 0.25 + 0.8 * elapsed / max(1, (ends_on - starts_on).days))
        roll = rng.random()
        if roll < share:
            status = TargetStatus.REACHED
        elif roll < share + 0.05:
            status = TargetStatus.NOT_HOME
        elif roll < share + 0.065:
            status = TargetStatus.DECLINED
        else:
            continue
        # The cell's 邻长; staff for a cell without one and for households in no cell yet.
        by = leaders.get(cell_path) or staff[int(cell_path.strip("/").split("/")[1])]
        day = starts_on + datetime.timedelta(days=rng.randint(0, max(0, elapsed - 1)))
        at = timezone.make_aware(
            datetime.datetime.combine(day, datetime.time(rng.randint(9, 20), rng.randrange(60)))
        )
        marks.append((pk, str(status), by, min(at, now)))
    writer.update(CampaignTarget._meta.db_table, "id", ["status", "marked_by_id", "marked_at"], marks)
    return {"campaigns": len(made), "campaign targets marked": len(marks)}


# ---- Rollups, totals, the whole build ----------------------------------------------------------------


def district_rollups_build(*, now) -> int:
    """The figures' daily rollups of every day the periodic job keeps (figures.services.rollup_rebuild)."""
    from figures.services import REFRESH_WINDOW_DAYS, rollup_rebuild

    today = timezone.localdate(now)
    return rollup_rebuild(
        today - datetime.timedelta(days=REFRESH_WINDOW_DAYS), today - datetime.timedelta(days=1), now=now
    )


def district_totals() -> dict[str, int]:
    """What the database holds, level by level, for the command's summary."""
    from campaigns.models import Campaign, CampaignTarget
    from care.models import CareContact, CarePlan
    from figures.models import RequestDailyRollup
    from service_requests.models import Request, RequestEvent
    from volunteers.models import Team

    units = dict(TerritoryUnit.objects.values_list("level").annotate(n=Count("pk")).order_by())
    households = Household.objects.all()
    leaders = dict(Appointment.objects.active().values_list("role").annotate(n=Count("pk")).order_by())
    requests = Request.objects.all()
    return {
        "streets": units.get(Level.STREET, 0),
        "communities": units.get(Level.COMMUNITY, 0),
        "areas": units.get(Level.AREA, 0),
        "groups": units.get(Level.GROUP, 0),
        "cells": units.get(Level.CELL, 0),
        "estates": Estate.objects.count(),
        "buildings": Building.objects.count(),
        "entrances": Entrance.objects.count(),
        "households": households.count(),
        "households in cells": households.filter(cell__isnull=False).count(),
        "空挂户 (registered only)": households.filter(status=HouseholdStatus.REGISTERED_ONLY).count(),
        "residents": Resident.objects.count(),
        "users": User.objects.count(),
        "street admins": leaders.get(Role.STREET_ADMIN, 0),
        "community staff": leaders.get(Role.COMMUNITY_STAFF, 0),
        "片长 area leaders": leaders.get(Role.AREA_LEADER, 0),
        "组长 group leaders": leaders.get(Role.GROUP_LEADER, 0),
        "邻长 neighbour leaders": leaders.get(Role.CELL_LEADER, 0),
        "楼栋长 building leaders": leaders.get(Role.BUILDING_LEADER, 0),
        "volunteer teams": Team.objects.count(),
        "requests": requests.count(),
        "requests open": requests.open().count(),
        "request events": RequestEvent.objects.count(),
        "figures rollup rows": RequestDailyRollup.objects.count(),
        "care plans": CarePlan.objects.active().count(),
        "care contacts": CareContact.objects.count(),
        "outreach campaigns": Campaign.objects.count(),
        "campaign households": CampaignTarget.objects.count(),
        "campaign households reached": CampaignTarget.objects.filter(status="reached").count(),
    }


def district_build(
    shape: DistrictShape | None = None,
    *,
    seed: int = DEFAULT_SEED,
    password: str = DEFAULT_PASSWORD,
    report: Callable[[str, float], None] | None = None,
    now: datetime.datetime | None = None,
) -> DistrictResult:
    """Build the district in one transaction; `report(stage, seconds)` after each stage."""
    from web.demo_district_requests import district_requests_build

    shape = shape or DistrictShape()
    now = now or timezone.now()
    result = DistrictResult(now=now)
    writer = BulkWriter(now=now)

    def stage(name: str, started: float) -> float:
        seconds = time.perf_counter() - started
        result.seconds[name] = seconds
        if report:
            report(name, seconds)
        return time.perf_counter()

    with transaction.atomic():
        if writer.postgres:
            with connection.cursor() as cursor:
                # Check each statement's foreign keys when it ends rather than all at commit: the queue
                # of deferred checks for millions of COPY'd rows would otherwise live in memory.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        t = time.perf_counter()
        registry = district_registry_build(shape, seed=seed, password=password, writer=writer, result=result)
        result.seconds["registry plan"] = registry["plan"]
        result.seconds["registry write"] = registry["write"]
        t = stage("registry", t)
        district_catalogue_build(seed=seed)
        t = stage("catalogue", t)
        counts = district_requests_build(shape, seed=seed, writer=writer)
        result.seconds["requests load"] = counts.pop("_load_seconds")
        result.counts.update(counts)
        t = stage("requests", t)
        result.counts.update(district_care_build(shape, seed=seed, writer=writer))
        t = stage("care", t)
        result.counts.update(district_campaigns_build(shape, seed=seed, writer=writer))
        t = stage("campaigns", t)
        result.counts["rollup rows"] = district_rollups_build(now=now)
        t = stage("rollups", t)
        if writer.postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    if writer.postgres and not connection.in_atomic_block:
        # Fresh statistics and visibility maps for the planner and index-only scans (outside the
        # transaction: VACUUM cannot run inside one).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        stage("vacuum", t)
    return result
