"""Residents' requests for the demo street: `demo_requests_build()`, called at the end of `seed_demo`.

What it adds, deterministic for a seed:
- the default service catalogue of the street, with the teams kinds are dispatched to;
- the six volunteer teams of one estate (DOMAIN.md §6) in the first community, members drawn from party
  members and volunteers who log in (a few more are given logins), `linzhang` in 惠邻便民队; one team in
  the second community;
- a few response templates;
- about 120 requests over the last 60 days in both communities: most solved at the cell or group, some
  sent up by hand or by the deadline, some late, some solved on the spot, menu orders dispatched to
  teams, ratings (mostly 4–5, a few low that reopened), a merged duplicate, the real 低保 case of DOMAIN.md
  §3 (reported after 9 a.m., resolved before noon), and open work waiting for `linzhang` today.

How the past is made without moving the clock: every step goes through service_requests.services at
the real time, one request after another, and the request's timestamps, events and notifications are
then shifted to when the step happened in the story (a step's delta applies to exactly the fields that
step set). Deadlines follow, since the services compute them from the step's time. A step that needs a
deadline to have passed (escalation by the periodic rule, closing an unrated request) calls the periodic
rule with a `now` that only this request is due at. Every open request ends with its level's deadlines
still ahead, so the periodic job's first pass after seeding has nothing to do.
"""

import datetime
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import DateTimeField, F, Max, Q
from django.utils import timezone

from accounts.models import User
from leaders.models import LEADER_ROLE_FOR_LEVEL, Appointment, Role
from notices.models import Notification
from notices.services import reporter_sms_held_back
from people.models import Household, HouseholdStatus, Resident
from service_requests import services
from service_requests.catalogue import service_catalogue_install
from service_requests.models import (
    Channel,
    EventKind,
    Request,
    RequestEvent,
    ResponseTemplate,
    ServiceKind,
    Status,
)
from territory.models import Level, TerritoryUnit
from volunteers.models import Team

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
_DATE_FIELDS = [f.name for f in Request._meta.get_fields() if isinstance(f, DateTimeField)]
# A moment no real request is due at: a step makes only its own request due then (see the docstring).
_LONG_AGO = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)

# (name, description, kind codes it is dispatched; DOMAIN.md §6)
TEAMS = [
    ("惠邻便民队", "便民服务:家电维修、代买代办、理发磨刀", ["appliance"]),
    ("暖邻帮扶队", "帮扶困难群众、独居老人:陪诊、代办、送物资", ["micro"]),
    ("安邻巡逻队", "夜间巡逻,排查安全隐患", []),
    ("睦邻调解队", "邻里纠纷调解(和事佬)", []),
    ("洁邻管护队", "环境卫生、绿化管护", []),
    ('网格"啄木鸟"队', "发现问题、随手上报", []),
]
OTHER_TEAM = ("和平志愿服务队", "和平社区党员志愿者")
MEMBERS_PER_TEAM = 4

TEMPLATES = [
    ("已受理", "您好,您反映的问题已收到,我们会尽快处理,处理进展会及时告诉您。"),
    ("已上门查看", "您好,工作人员已上门查看情况,正在联系相关单位处理,预计近两日内解决。"),
    ("已转物业", "您好,该问题属于物业维修范围,已转交物业管家并督促处理,如有进展会第一时间告诉您。"),
    ("已办结请评价", "您好,您反映的问题已处理完毕,请您在跟踪页面为我们的服务打分,感谢您的支持!"),
]

# What residents report, by kind, and what was done about it.
PROBLEMS = {
    "repair": ["楼道灯不亮,晚上上下楼看不清", "楼上卫生间漏水,渗到我家天花板", "下水道堵塞,厨房反水",
               "单元门禁坏了,门关不上", "门口人行道地砖松动,老人容易绊倒", "楼顶防水层开裂,下雨屋里漏水"],
    "dispute": ["楼上装修噪音太大,中午也不停", "邻居在楼道堆放杂物占道", "楼上空调外机滴水到我家阳台",
                "邻居家的狗夜里一直叫"],
    "hazard": ["有人把电动车推进楼道充电", "消防通道被私家车堵住了", "配电箱门坏了,电线露在外面",
               "五楼窗台上的花盆随时可能掉下来"],
    "hardship": ["家里老人大病住院,想咨询医疗救助", "独居老人行动不便,生活有困难"],
    "sanitation": ["垃圾桶满了两天没人清运", "楼前的树枝挡住窗户,需要修剪", "绿化带里杂草太多,有蚊虫"],
    "appliance": ["老人家里电视没有信号", "洗衣机不排水", "燃气灶打不着火"],
    "certificate": ["需要开具居住证明办理入学", "办理养老金资格认证需要证明"],
    "micro": ["帮独居老人代买米和油", "陪同老人去医院复诊", "帮忙代办社保卡"],
    "other": ["咨询高龄津贴怎么申请", "想报名参加社区志愿服务"],
}  # fmt: skip
OUTCOMES = {
    "repair": ["已联系物业更换灯泡,楼道恢复照明", "已协调楼上住户维修防水,漏水已止住", "物业已疏通下水管道",
               "已更换门禁闭门器", "已安排重新铺设松动地砖"],
    "dispute": ["已上门调解,双方约定施工时间为上午8点至12点、下午2点至6点", "已协调邻居清理楼道杂物",
                "已协调加装空调冷凝水管", "双方当面沟通,邻居承诺夜间看管好宠物"],
    "hazard": ["已劝导车主将电动车推到集中充电棚", "已联系车主挪车并在通道设置禁停标识",
               "已通知物业电工更换配电箱门", "已上门提醒住户将花盆移到室内"],
    "hardship": ["已协助准备材料并提交医疗救助申请", "已上门走访并纳入邻长重点关注名单"],
    "sanitation": ["环卫已清运并增加清运频次", "已安排园林工人修剪树枝", "已组织志愿者清除杂草"],
    "appliance": ["志愿者上门调试,电视已恢复信号", "已清理排水泵,洗衣机恢复正常", "已更换点火器电池"],
    "certificate": ["证明已开具,居民到社区服务中心领取", "已告知所需材料并当场办理"],
    "micro": ["志愿者已送米油上门", "党员志愿者已陪同老人完成复诊", "已代办社保卡并送到家"],
    "other": ["已电话解答并告知办理流程", "已登记,下次活动通知本人"],
}  # fmt: skip
ANSWERS = [
    "收到,我马上过去看看",
    "您好,已收到,今天下午上门",
    "已记下,正在联系物业",
    "好的,明天上午上门了解情况",
]
UP_REASONS = ["需要物业和业委会协调维修资金", "涉及两户矛盾,需要组长出面调解", "本级无法解决,请上级协调",
              "需要社区出面联系相关部门"]  # fmt: skip
PRAISE = ["处理很及时,谢谢邻长", "满意,服务周到", "问题解决了,感谢", "速度快,态度好", ""]
COMPLAINTS = ["还是在漏水,没有修好", "问题没有解决,又出现了"]


@dataclass
class _Step:
    when: datetime.datetime
    action: Callable  # (request or None) -> Request or (Request, reference time of its timestamps)


@dataclass
class _Story:
    """One request's life: steps in the order and at the times they happen."""

    at: datetime.datetime
    steps: list[_Step] = field(default_factory=list)

    def then(self, after: datetime.timedelta, action) -> "_Story":
        self.at = self.at + after
        self.steps.append(_Step(self.at, action))
        return self


def _last_pk(model) -> int:
    return model.objects.aggregate(m=Max("pk"))["m"] or 0


def _story_run(story: _Story, request: Request | None = None) -> Request:
    """Run the steps through the services now, then move every timestamp to when its step happened.
    `request`: one that already exists (its story goes on), else the first step files it."""
    marks = []
    start = {f: getattr(request, f) for f in _DATE_FIELDS} if request is not None else {}
    for step in story.steps:
        events, notes, real = _last_pk(RequestEvent), _last_pk(Notification), timezone.now()
        result = step.action(request)
        request, reference = result if isinstance(result, tuple) else (result, real)
        request.refresh_from_db()
        snapshot = {f: getattr(request, f) for f in _DATE_FIELDS}
        marks.append(
            (step.when - reference, events, _last_pk(RequestEvent), notes, _last_pk(Notification), snapshot)
        )
    values, previous = {}, start
    for delta, events, events_end, notes, notes_end, snapshot in marks:
        for name, value in snapshot.items():
            if value is None:
                values[name] = None
            elif value != previous.get(name):
                values[name] = value + delta
        previous = snapshot
        shifted = {"created_at": F("created_at") + delta}
        RequestEvent.objects.filter(pk__gt=events, pk__lte=events_end).update(**shifted)
        Notification.objects.filter(pk__gt=notes, pk__lte=notes_end).update(**shifted)
    Request.objects.filter(pk=request.pk).update(**values)
    return request


def _auto_escalate(request: Request) -> tuple[Request, datetime.datetime]:
    """The periodic rule, for this request only: it alone is made due at a moment nobody else is."""
    late = "level_response_due_at" if request.status == Status.NEW else "level_resolution_due_at"
    Request.objects.filter(pk=request.pk).update(**{late: _LONG_AGO})
    moved = services.requests_escalate_overdue(now=_LONG_AGO + HOUR)
    if moved != 1:
        raise RuntimeError("demo: another request was due when one was escalated by its deadline")
    return Request.objects.get(pk=request.pk), timezone.now()


def _close_unrated(request: Request) -> tuple[Request, datetime.datetime]:
    reference = request.resolved_at + services.RATING_WINDOW + datetime.timedelta(minutes=1)
    services.requests_close_unrated(now=reference)
    return Request.objects.get(pk=request.pk), reference


class _Builder:
    def __init__(self, seed: int, now: datetime.datetime):
        self.rng = random.Random(seed)
        self.now = now
        self.today = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
        self.street = TerritoryUnit.objects.filter(level=Level.STREET).order_by("pk").first()
        self.communities = list(
            TerritoryUnit.objects.filter(level=Level.COMMUNITY, parent=self.street).order_by(
                "sort_order", "pk"
            )
        )
        self.kinds: dict[str, ServiceKind] = {}
        self.teams: dict[int, list[Team]] = {}
        self.stories: list[tuple[str, _Story]] = []  # (label, story): built in this order
        self.deferred: list[tuple[str, _Story]] = []  # recent ones, built last (see _close_unrated)
        leaders = Appointment.objects.active().filter(
            role__in=list(LEADER_ROLE_FOR_LEVEL.values()), unit__isnull=False
        )
        self.leader = {a.unit_id: a.person for a in leaders.select_related("person").order_by("pk")}
        staff = Appointment.objects.active().filter(role=Role.COMMUNITY_STAFF).select_related("person")
        self.staff: dict[int, list[User]] = {}
        for appointment in staff.order_by("person__username"):
            self.staff.setdefault(appointment.unit_id, []).append(appointment.person)
        households = (
            Household.objects.filter(status=HouseholdStatus.RESIDENT, cell__isnull=False)
            .select_related("cell", "community", "entrance__building")
            .prefetch_related("members")
            .order_by("pk")
        )
        self.households: dict[int, list[Household]] = {}
        for household in households:
            self.households.setdefault(household.cell_id, []).append(household)
        cells = TerritoryUnit.objects.filter(level=Level.CELL, pk__in=self.leader).select_related(
            "parent__parent"
        )
        self.cells: dict[int, list[TerritoryUnit]] = {}
        for cell in cells.order_by("sort_order", "pk"):
            if self.households.get(cell.pk):
                self.cells.setdefault(cell.community_id_from_path(), []).append(cell)

    # ---- catalogue, teams, templates ------------------------------------------------------------------

    def catalogue(self) -> None:
        service_catalogue_install(self.street)
        self.kinds = {k.code: k for k in ServiceKind.objects.filter(street=self.street)}
        for title, text in TEMPLATES:
            ResponseTemplate.objects.get_or_create(street=self.street, title=title, defaults={"text": text})

    def volunteer_teams(self) -> None:
        first, *others = self.communities
        linzhang = User.objects.filter(username="linzhang").first()
        password = linzhang.password if linzhang else "!"
        in_first = Q(resident__household__community=first) & (
            Q(resident__is_volunteer=True) | Q(resident__is_party_member=True)
        )
        people = list(User.objects.filter(in_first).exclude(username="linzhang").order_by("username"))
        need = len(TEAMS) * MEMBERS_PER_TEAM - 1 - len(people)
        if need > 0:  # give a few volunteers a login of their own
            volunteers = Resident.objects.filter(
                household__community=first, account__isnull=True, is_volunteer=True
            ).order_by("pk")[:need]
            new = [
                User(
                    username=f"xf.zyz{i + 1:02d}",
                    full_name=r.name,
                    phone=r.phone,
                    resident=r,
                    password=password,
                )
                for i, r in enumerate(volunteers)
            ]
            people += User.objects.bulk_create(new)
        self.rng.shuffle(people)
        teams = []
        for index, (name, description, codes) in enumerate(TEAMS):
            team = Team.objects.create(community=first, name=name, description=description)
            members = people[index :: len(TEAMS)][:MEMBERS_PER_TEAM]
            if index == 0 and linzhang is not None:
                members = [linzhang, *members[: MEMBERS_PER_TEAM - 1]]
            team.members.set(members)
            ServiceKind.objects.filter(street=self.street, code__in=codes).update(dispatch_team=team)
            teams.append(team)
        self.teams[first.pk] = teams
        for community in others:
            team = Team.objects.create(community=community, name=OTHER_TEAM[0], description=OTHER_TEAM[1])
            helpers = User.objects.filter(
                resident__household__community=community, resident__is_party_member=True
            )
            team.members.set(helpers.order_by("username")[:MEMBERS_PER_TEAM])
            self.teams[community.pk] = [team]
        self.kinds = {k.code: k for k in ServiceKind.objects.filter(street=self.street)}

    # ---- stories --------------------------------------------------------------------------------------

    def moment(self, days_ago: float, hour: int | None = None) -> datetime.datetime:
        """A time `days_ago` days back, in the daytime (8:00–20:00) unless an hour is given."""
        day = self.today - datetime.timedelta(days=int(days_ago))
        hour = self.rng.randint(8, 19) if hour is None else hour
        return day.replace(hour=hour, minute=self.rng.randrange(60))

    def file_action(self, kind_code, household, *, actor=None, channel=None, resident_files=False, **extra):
        kind = self.kinds[kind_code]
        member = next((m for m in household.members.all() if m.phone), None)
        description = extra.pop("description", None) or self.rng.choice(PROBLEMS[kind_code])
        if resident_files or actor is None:
            fields = {"actor": extra.pop("reporter_user", None), "channel": Channel.QR}
            fields["reporter_user"] = fields["actor"]
        else:
            fields = {
                "actor": actor,
                "channel": channel or self.rng.choice([Channel.WECHAT, Channel.VISIT, Channel.PHONE]),
            }
        return lambda _request: services.request_file(
            kind=kind,
            description=description,
            household=household,
            reporter_name=member.name if member else "",
            reporter_phone=member.phone if member else "",
            **fields,
            **extra,
        )

    @staticmethod
    def respond(actor, message):
        return lambda r: services.request_respond(actor=actor, request=r, message=message)

    @staticmethod
    def escalate(actor, reason):
        return lambda r: services.request_escalate(actor=actor, request=r, reason=reason)

    @staticmethod
    def resolve(actor, outcome):
        return lambda r: services.request_resolve(actor=actor, request=r, outcome=outcome)

    @staticmethod
    def rate(rating, comment="", solved=True):
        return lambda r: services.request_rate(
            request=r, rating=rating, comment=comment, solved=solved, actor=r.reporter_user
        )

    def finish(self, story: _Story, kind_code: str, doer, *, rating=None) -> _Story:
        """Resolve within the level's deadline, then rate or let the 7-day rule close it."""
        hours = self.kinds[kind_code].resolution_hours * self.rng.uniform(0.15, 0.7)
        story.then(datetime.timedelta(hours=hours), self.resolve(doer, self.rng.choice(OUTCOMES[kind_code])))
        roll = self.rng.random()
        if rating is None and roll < 0.7:
            rating = self.rng.choices([5, 4, 3], [6, 3, 1])[0]
        if rating is None:
            story.then(services.RATING_WINDOW + datetime.timedelta(minutes=1), _close_unrated)
        else:
            story.then(
                datetime.timedelta(hours=self.rng.uniform(2, 40)), self.rate(rating, self.rng.choice(PRAISE))
            )
        return story

    def pick(self, community):
        cell = self.rng.choice(self.cells[community.pk])
        return cell, self.rng.choice(self.households[cell.pk])

    def story_solved_at_cell(self, community, days_ago):
        cell, household = self.pick(community)
        code = self.rng.choices(["repair", "dispute", "hazard", "sanitation", "other"], [5, 2, 2, 2, 1])[0]
        leader = self.leader[cell.pk]
        by_leader = self.rng.random() < 0.6
        story = _Story(self.moment(days_ago)).then(
            datetime.timedelta(0), self.file_action(code, household, actor=leader if by_leader else None)
        )
        response = self.kinds[code].response_hours * self.rng.uniform(0.05, 0.5)
        story.then(datetime.timedelta(hours=response), self.respond(leader, self.rng.choice(ANSWERS)))
        return self.finish(story, code, leader)

    def story_on_the_spot(self, community, days_ago):
        cell, household = self.pick(community)
        code = self.rng.choice(["micro", "other", "dispute", "repair"])
        outcome = self.rng.choice(OUTCOMES[code])
        return _Story(self.moment(days_ago)).then(
            datetime.timedelta(0),
            self.file_action(code, household, actor=self.leader[cell.pk], channel=Channel.VISIT,
                             solved_on_spot=True, on_spot_outcome=outcome),
        )  # fmt: skip

    def story_sent_up(self, community, days_ago, *, levels=1):
        """The 邻长 answers, cannot solve it and sends it up; the level above solves it."""
        cell, household = self.pick(community)
        code = self.rng.choice(
            ["repair", "dispute", "repair", "hardship"] if levels == 1 else ["repair", "dispute"]
        )
        leader = self.leader[cell.pk]
        story = _Story(self.moment(days_ago)).then(
            datetime.timedelta(0), self.file_action(code, household, actor=leader)
        )
        story.then(
            datetime.timedelta(hours=self.rng.uniform(0.2, 2)), self.respond(leader, self.rng.choice(ANSWERS))
        )
        unit, holder = cell, leader
        for _level in range(levels):
            story.then(
                datetime.timedelta(hours=self.rng.uniform(2, 10)),
                self.escalate(holder, self.rng.choice(UP_REASONS)),
            )
            unit = unit.parent
            holder = self.leader.get(unit.pk) or self.staff[community.pk][0]
            story.then(
                datetime.timedelta(hours=self.rng.uniform(0.5, 4)),
                self.respond(holder, self.rng.choice(ANSWERS)),
            )
        return self.finish(story, code, holder)

    def story_overdue(self, community, days_ago, *, late):
        """Nobody answers at the cell in time: the periodic rule sends it up; the 组长 takes it."""
        cell, household = self.pick(community)
        code = self.rng.choice(["repair", "sanitation", "hazard"])
        kind = self.kinds[code]
        story = _Story(self.moment(days_ago)).then(datetime.timedelta(0), self.file_action(code, household))
        story.then(
            datetime.timedelta(hours=kind.response_hours, minutes=self.rng.randint(1, 9)), _auto_escalate
        )
        group_leader = self.leader.get(cell.parent_id) or self.staff[community.pk][0]
        story.then(
            datetime.timedelta(hours=self.rng.uniform(0.3, 3)),
            self.respond(group_leader, "抱歉久等,我来跟进"),
        )
        if not late:
            return self.finish(story, code, group_leader, rating=self.rng.choice([3, 4, 4, 5]))
        # Late: after the kind's overall deadline, yet before the group's own deadline sends it higher.
        filed = story.steps[0].when
        resolved = filed + datetime.timedelta(
            hours=kind.resolution_hours + kind.response_hours * self.rng.uniform(0.2, 0.8)
        )
        story.then(resolved - story.at, self.resolve(group_leader, self.rng.choice(OUTCOMES[code])))
        return story.then(
            datetime.timedelta(hours=self.rng.uniform(2, 30)),
            self.rate(self.rng.choice([3, 4]), "解决是解决了,就是慢了点"),
        )

    def story_menu_order(self, community, days_ago):
        """群众点单、党组织接单、党员办单: an order from the menu, dispatched to a team, claimed, done."""
        cell, household = self.pick(community)
        code = self.rng.choice(["appliance", "micro"])
        team = next((t for t in self.teams[community.pk] if t.service_kinds.filter(code=code).exists()), None)
        team = team or self.teams[community.pk][0]
        members = list(team.members.all())
        director = self.staff[community.pk][0]
        story = _Story(self.moment(days_ago)).then(datetime.timedelta(0), self.file_action(code, household))
        story.then(datetime.timedelta(hours=self.rng.uniform(0.3, 3)),
                   lambda r: services.request_dispatch(actor=director, request=r, team=team, note=team.name))  # fmt: skip
        if not members:
            return self.finish(story, code, director, rating=5)
        doer = self.rng.choice(members)
        story.then(
            datetime.timedelta(hours=self.rng.uniform(0.2, 4)),
            lambda r: services.request_claim(actor=doer, request=r),
        )
        return self.finish(story, code, doer, rating=self.rng.choice([5, 5, 4]))

    def story_reopened(self, community, days_ago):
        cell, household = self.pick(community)
        leader = self.leader[cell.pk]
        story = _Story(self.moment(days_ago)).then(
            datetime.timedelta(0), self.file_action("repair", household)
        )
        story.then(datetime.timedelta(hours=self.rng.uniform(1, 6)), self.respond(leader, "明天请师傅上门"))
        story.then(
            datetime.timedelta(hours=self.rng.uniform(15, 30)), self.resolve(leader, "已请师傅修补防水")
        )
        story.then(
            datetime.timedelta(hours=self.rng.uniform(20, 60)),
            self.rate(2, self.rng.choice(COMPLAINTS), solved=False),
        )
        story.then(
            datetime.timedelta(hours=self.rng.uniform(1, 5)), self.respond(leader, "抱歉,重新安排维修")
        )
        return self.finish(story, "repair", leader, rating=4)

    def story_low_income(self, community):
        """DOMAIN.md §3: reported a little after 9 a.m.; the leader and staff were at the door and had filed
        the allowance application before noon."""
        cell = self.cells[community.pk][0]
        household = self.households[cell.pk][-1]
        leader, director = self.leader[cell.pk], self.staff[community.pk][0]
        start = self.moment(12, hour=9).replace(minute=12)
        story = _Story(start).then(
            datetime.timedelta(0),
            self.file_action("hardship", household, actor=leader, channel=Channel.PHONE,
                             description="家中老伴刚做完手术,收入困难,想申请低保,不知道要准备哪些材料"),
        )  # fmt: skip
        story.then(
            datetime.timedelta(minutes=9), self.respond(leader, "您别着急,我马上和社区工作人员一起上门")
        )
        story.then(datetime.timedelta(minutes=6), lambda r: services.request_note(
            actor=leader, request=r, message=f"已通知社区工作人员{director.display_name}一同上门"))  # fmt: skip
        story.then(datetime.timedelta(hours=2, minutes=23),
                   self.resolve(leader, "邻长与社区工作人员上门核实家庭情况,协助填写并提交了低保申请"))  # fmt: skip
        story.then(
            datetime.timedelta(hours=26), self.rate(5, "上午打的电话,中午前就帮我把低保申请交了,谢谢!")
        )
        return story

    def story_merged(self, community, days_ago):
        """Two neighbours report the same broken light; staff merge the second into the first."""
        cell, household = self.pick(community)
        others = [h for h in self.households[cell.pk] if h.pk != household.pk] or [household]
        director, leader = self.staff[community.pk][0], self.leader[cell.pk]
        at = self.moment(days_ago, hour=19)
        first = _Story(at).then(
            datetime.timedelta(0), self.file_action("repair", household, description="单元楼道灯全坏了")
        )
        original = _story_run(first)
        second = _Story(at + datetime.timedelta(minutes=40)).then(
            datetime.timedelta(0),
            self.file_action("repair", self.rng.choice(others), description="楼道里一片黑,灯坏了"),
        )
        duplicate = _story_run(second)
        merge = _Story(second.at + HOUR).then(
            datetime.timedelta(0),
            lambda r: services.request_merge(
                actor=director, request=r, into=Request.objects.get(pk=original.pk)
            ),
        )
        _story_run(merge, request=Request.objects.get(pk=duplicate.pk))
        rest = _Story(at + datetime.timedelta(hours=14)).then(
            datetime.timedelta(0), self.respond(leader, "已报物业,今天更换")
        )
        self.finish(rest, "repair", leader, rating=5)
        _story_run(rest, request=Request.objects.get(pk=original.pk))

    # ---- today: open work -----------------------------------------------------------------------------

    def open_work(self) -> None:
        """Recent requests that are still open, with every deadline of their level ahead of now."""
        first, *others = self.communities
        linzhang = User.objects.filter(username="linzhang").first()
        jumin = User.objects.filter(username="jumin").select_related("resident__household").first()
        cell = self.cells[first.pk][0]
        leader = linzhang or self.leader[cell.pk]
        homes = self.households[cell.pk]

        def recent(hours):
            return self.now - datetime.timedelta(hours=hours, minutes=self.rng.randrange(50))

        # Waiting for linzhang: new, from residents of his cell (one is jumin's own).
        jumin_home = jumin.resident.household if jumin and jumin.resident else homes[0]
        jumin_home = Household.objects.select_related("cell", "community", "entrance__building").get(
            pk=jumin_home.pk
        )
        waiting = [
            ("repair", jumin_home, jumin, "单元门口的路灯坏了好几天了", recent(2)),
            ("sanitation", homes[1 % len(homes)], None, None, recent(5)),
            ("dispute", homes[2 % len(homes)], None, "楼上每天晚上十一点以后还在拖动家具", recent(8)),
        ]
        for code, household, user, description, at in waiting:
            self.deferred.append(("waiting", _Story(at).then(datetime.timedelta(0), self.file_action(
                code, household, reporter_user=user, description=description, resident_files=True))))  # fmt: skip
        # An urgent hazard filed 40 minutes ago: two hours to answer.
        self.deferred.append(("waiting", _Story(self.now - datetime.timedelta(minutes=40)).then(
            datetime.timedelta(0), self.file_action("hazard", homes[3 % len(homes)], resident_files=True,
                                                    description="楼道里有人私拉电线给电动车充电"))))  # fmt: skip
        # Answered by linzhang yesterday, being handled.
        in_hand = _Story(recent(30)).then(
            datetime.timedelta(0), self.file_action("repair", homes[4 % len(homes)], actor=leader)
        )
        in_hand.then(datetime.timedelta(hours=2), self.respond(leader, "已联系物业,等配件到了就修"))
        self.deferred.append(("in progress", in_hand))
        # A menu order the community dispatched to linzhang's team two hours ago: nobody has claimed it.
        team = self.teams[first.pk][0]
        director = self.staff[first.pk][0]
        order = _Story(recent(3)).then(datetime.timedelta(0), self.file_action(
            "appliance", homes[5 % len(homes)], resident_files=True, description="家里的电视机没有图像,老人一个人不会弄"))  # fmt: skip
        order.then(
            datetime.timedelta(hours=1),
            lambda r: services.request_dispatch(actor=director, request=r, team=team, note=team.name),
        )
        self.deferred.append(("dispatched", order))
        # Elsewhere: open at every level, one past its overall deadline (overdue now) though not yet due to move.
        for community in self.communities:
            for _ in range(3):
                cell2, household = self.pick(community)
                story = _Story(recent(self.rng.randint(1, 20))).then(datetime.timedelta(0), self.file_action(
                    self.rng.choice(["repair", "sanitation", "other"]), household, resident_files=True))  # fmt: skip
                self.deferred.append(("open", story))
            cell2, household = self.pick(community)
            cell_leader = self.leader[cell2.pk]
            group_leader = self.leader.get(cell2.parent_id) or self.staff[community.pk][0]
            late = _Story(self.now - datetime.timedelta(hours=84)).then(
                datetime.timedelta(0), self.file_action("repair", household, actor=cell_leader)
            )
            late.then(datetime.timedelta(hours=2), self.respond(cell_leader, "我先去看看"))
            late.then(
                datetime.timedelta(hours=58), self.escalate(cell_leader, "需要物业和业委会协调维修资金")
            )
            late.then(datetime.timedelta(hours=3), self.respond(group_leader, "已约物业和业委会明天现场查看"))
            self.deferred.append(("overdue", late))
        # Resolved in the last days, waiting for the resident's rating.
        for community in self.communities:
            for _ in range(2):
                cell2, household = self.pick(community)
                cell_leader = self.leader[cell2.pk]
                story = _Story(self.now - datetime.timedelta(days=self.rng.randint(2, 5), hours=3)).then(
                    datetime.timedelta(0), self.file_action("repair", household, resident_files=True)
                )
                story.then(datetime.timedelta(hours=3), self.respond(cell_leader, self.rng.choice(ANSWERS)))
                story.then(
                    datetime.timedelta(hours=20),
                    self.resolve(cell_leader, self.rng.choice(OUTCOMES["repair"])),
                )
                self.deferred.append(("awaiting rating", story))
        if any(story.steps[-1].when > self.now for _label, story in self.deferred):
            raise RuntimeError("demo: a step of today's open work lies in the future")

    def plan(self) -> None:
        for community in self.communities:
            weight = 1.0 if community is self.communities[0] else 0.4
            count = round(72 * weight)
            for index in range(count):
                days_ago = 7 + (53 * index) / count + self.rng.random()  # spread over the 60 days
                roll = self.rng.random()
                if roll < 0.42:
                    label, story = "solved at the cell", self.story_solved_at_cell(community, days_ago)
                elif roll < 0.55:
                    label, story = "solved on the spot", self.story_on_the_spot(community, days_ago)
                elif roll < 0.68:
                    label, story = (
                        "sent up",
                        self.story_sent_up(community, days_ago, levels=1 if roll < 0.65 else 3),
                    )
                elif roll < 0.8:
                    label, story = (
                        "escalated by deadline",
                        self.story_overdue(community, days_ago, late=roll > 0.74),
                    )
                elif roll < 0.93:
                    label, story = "menu order", self.story_menu_order(community, days_ago)
                else:
                    label, story = "reopened", self.story_reopened(community, days_ago)
                self.stories.append((label, story))
        self.stories.append(("低保 case", self.story_low_income(self.communities[0])))

    def build(self) -> dict[str, int]:
        labels: dict[str, int] = {}
        self.catalogue()
        self.volunteer_teams()
        self.plan()
        self.open_work()
        for label, story in self.stories:
            _story_run(story)
            labels[label] = labels.get(label, 0) + 1
        self.story_merged(self.communities[0], 20)
        labels["merged duplicate"] = 1
        # Last: a resolved request waiting for its rating would be closed by an earlier story's 7-day rule.
        for label, story in self.deferred:
            _story_run(story)
            labels[label] = labels.get(label, 0) + 1
        return labels


def demo_requests_build(*, seed: int = 2026, now=None) -> dict[str, int]:
    """Add the catalogue, teams, templates and requests to a seeded demo street (see the module docstring)."""
    started = time.perf_counter()
    # The stories replay a past: their reporters were answered long ago and get no SMS now.
    with reporter_sms_held_back(), transaction.atomic():
        builder = _Builder(seed, now or timezone.now())
        labels = builder.build()
        # The inbox of the past is read; what came in today is not.
        Notification.objects.filter(created_at__lt=builder.now - DAY).update(read_at=builder.now)
    labels["seconds"] = round(time.perf_counter() - started, 2)
    return labels


def demo_request_totals() -> dict[str, int]:
    """What the database holds, for seed_demo's summary."""
    requests = Request.objects.all()
    return {
        "service kinds": ServiceKind.objects.count(),
        "volunteer teams": Team.objects.count(),
        "response templates": ResponseTemplate.objects.count(),
        "requests": requests.count(),
        "requests open": requests.open().count(),
        "requests resolved, awaiting rating": requests.filter(status=Status.RESOLVED).count(),
        "requests closed": requests.filter(status=Status.CLOSED).count(),
        "requests solved on the spot": requests.filter(solved_on_spot=True).count(),
        "requests sent up a level": requests.filter(
            events__kind__in=[EventKind.ESCALATED, EventKind.AUTO_ESCALATED]
        )
        .distinct()
        .count(),
        "requests rated": requests.filter(rating__isnull=False).count(),
        "requests reopened": requests.filter(times_reopened__gt=0).count(),
    }
