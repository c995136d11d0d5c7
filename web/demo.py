"""The demo street: a deterministic, realistic registry for `manage.py seed_demo`, tests and benchmarks.

Two phases, so that the same seed always gives the same world and tests can compare two plans cheaply:

- `demo_plan(shape, seed)` decides everything in memory: unsaved model instances linked to each other
  by reference (territory units, estates, buildings, entrances, households, residents, users,
  appointments), with every derived field computed by the project's own functions
  (Resident.set_id_number, people.search.pinyin_forms, people.services.floor_from_room).
- `demo_write(plan, password=...)` saves it in one transaction with bulk inserts. History rows are
  written too (simple_history's bulk helpers), so a record's history page starts with its creation.

The default `DemoShape` is the real community of DOMAIN.md §8 (10 areas, 33 groups, 194 cells, about
2,900 households) beside a smaller one; `DemoShape.tiny()` is for tests. The first community carries
deliberate warnings for the tree page: a cell of 3 and one of 17 households, a cell whose 邻长 moved
away (appointment ended, history kept), a 邻长 living in another group, and households not yet in a cell.
"""

import datetime
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from faker import Faker
from simple_history.utils import bulk_create_with_history

from accounts.models import User
from leaders.models import Appointment, EndReason, Role
from leaders.services import appointment_end
from people import identity
from people.models import (
    SPECIAL_GROUP_FIELDS,
    Gender,
    Household,
    HouseholdStatus,
    Relation,
    ResidenceStatus,
    Resident,
)
from people.search import pinyin_forms
from people.services import floor_from_room
from territory.models import Building, Entrance, Estate, Level, TerritoryUnit

DEFAULT_SEED = 2026
DEFAULT_PASSWORD = "linli-demo"
CHANGE_REASON = "seed_demo"
# Ages are computed against a fixed day, not today, so that a seed gives the same ID numbers every year.
AGE_REFERENCE = datetime.date(2026, 1, 1)
# Hunan region codes (长沙 芙蓉区, 天心区, 岳麓区, 开福区, 雨花区) for the first six ID digits.
REGION_CODES = ["430102", "430103", "430104", "430105", "430111"]
MOBILE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157",
                   "158", "159", "166", "176", "177", "180", "181", "182", "186", "187", "188", "189", "191",
                   "198", "199"]  # fmt: skip


@dataclass(frozen=True)
class EstateShape:
    """A 小区: every building has `entrances` 单元 of `rooms_per_floor` rooms on up to `floors` floors."""

    name: str
    floors: int
    entrances: int
    rooms_per_floor: int
    weight: float  # share of the community's cells that live here


@dataclass(frozen=True)
class CommunityShape:
    name: str
    code: str  # prefix of the community's demo usernames, e.g. "xf" → xf.lin003
    areas: int
    groups: int
    cells: int
    cell_sizes: tuple[int, ...]  # resident households per cell, drawn uniformly from this tuple
    estates: tuple[EstateShape, ...]
    registered_only: int  # 空挂户: registered here, not living here; outside any cell
    unplaced: int  # households living here but not yet in a cell
    staff: int = 3
    residents_with_login: int = 2
    warnings: bool = False  # the deliberate warnings of the tree page (needs ≥ 2 groups)


@dataclass(frozen=True)
class DemoShape:
    street: str = "城关街道"
    communities: tuple[CommunityShape, ...] = (
        CommunityShape(
            name="幸福社区",
            code="xf",
            areas=10,
            groups=33,
            cells=194,
            cell_sizes=(13, 14, 15, 15, 15),
            estates=(
                EstateShape("金桂苑", floors=18, entrances=2, rooms_per_floor=2, weight=0.35),
                EstateShape("枫林小区", floors=7, entrances=3, rooms_per_floor=2, weight=0.25),
                EstateShape("湘江花园", floors=11, entrances=2, rooms_per_floor=2, weight=0.2),
                EstateShape("电力宿舍", floors=6, entrances=2, rooms_per_floor=2, weight=0.1),
                EstateShape("锦绣家园", floors=26, entrances=1, rooms_per_floor=4, weight=0.1),
            ),
            registered_only=40,
            unplaced=8,
            staff=5,
            residents_with_login=4,
            warnings=True,
        ),
        CommunityShape(
            name="和平社区",
            code="hp",
            areas=3,
            groups=8,
            cells=50,
            cell_sizes=(10, 11, 12, 13, 14),
            estates=(
                EstateShape("和平新村", floors=6, entrances=3, rooms_per_floor=2, weight=0.6),
                EstateShape("书香苑", floors=15, entrances=2, rooms_per_floor=2, weight=0.4),
            ),
            registered_only=10,
            unplaced=2,
            staff=3,
            residents_with_login=1,
        ),
    )
    # The street admin's username; `demo_logins`: the first community's posts take the names of DEMO_LOGINS
    # (linzhang, shequ, ...) and the second community's first staff member is shequ2. A district
    # (web/demo_district.py) plans several streets with one planner: only its first street has them.
    admin_username: str = "jiedao"
    demo_logins: bool = True

    @classmethod
    def tiny(cls) -> "DemoShape":
        """A street small enough for a test (about 130 households) with every feature of the real one."""
        return cls(
            communities=(
                CommunityShape(
                    name="幸福社区",
                    code="xf",
                    areas=2,
                    groups=3,
                    cells=8,
                    cell_sizes=(6, 8, 10),
                    estates=(
                        EstateShape("金桂苑", floors=9, entrances=2, rooms_per_floor=2, weight=0.6),
                        EstateShape("枫林小区", floors=6, entrances=2, rooms_per_floor=2, weight=0.4),
                    ),
                    registered_only=3,
                    unplaced=2,
                    staff=2,
                    residents_with_login=2,
                    warnings=True,
                ),
                CommunityShape(
                    name="和平社区",
                    code="hp",
                    areas=1,
                    groups=2,
                    cells=4,
                    cell_sizes=(5, 7),
                    estates=(EstateShape("和平新村", floors=6, entrances=2, rooms_per_floor=2, weight=1.0),),
                    registered_only=1,
                    unplaced=1,
                    staff=1,
                    residents_with_login=1,
                ),
            )
        )


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role_zh: str
    role_en: str
    look_at: str


# One login per role, stable across runs. `linzhang`'s cell always has an elderly person living alone.
DEMO_LOGINS = [
    DemoLogin("jiedao", "街道管理员", "street admin", "the whole tree with counts and warnings"),
    DemoLogin("shequ", "社区书记(社区工作者)", "community director (staff)",
              "manage estates, households, residents; search by name, pinyin initials, phone; reveal an ID number (logged)"),
    DemoLogin("pianzhang", "片长", "area leader", "their area: groups, cells, households"),
    DemoLogin("zuzhang", "组长", "group leader", "their group's cells and households"),
    DemoLogin("linzhang", "邻长", "neighbour leader",
              "on a phone: my households, an elderly person living alone with emergency contact"),
    DemoLogin("loudongzhang", "楼栋长 + 邻长", "building leader + neighbour leader",
              "two posts held by one person: their building and the neighbouring cell"),
    DemoLogin("wanggeyuan", "网格员", "grid worker", "the households in cells of the whole community"),
    DemoLogin("jumin", "居民", "resident", "their own household only"),
    DemoLogin("shequ2", "社区工作者", "community staff (2nd community)", "the other community; nothing of 幸福社区"),
]  # fmt: skip

# Household compositions and their weights; about 2.3 people per household on average.
_KINDS = [
    "elderly_alone",
    "single",
    "couple",
    "nuclear1",
    "nuclear2",
    "single_parent",
    "three_gen",
    "grandparents",
]
_KIND_WEIGHTS = [3, 22, 28, 22, 5, 6, 10, 4]
_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """Chinese numeral for 1 ≤ n < 1000: 12 → 十二, 105 → 一百零五, 194 → 一百九十四."""
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += _CN_DIGITS[hundreds] + "百"
        if rest and tens == 0:
            out += "零"
    if tens:
        out += ("" if tens == 1 and not hundreds else _CN_DIGITS[tens]) + "十"
    if ones:
        out += _CN_DIGITS[ones]
    return out


def _split(n: int, parts: int) -> list[int]:
    """n items into `parts` runs as even as possible, the longer runs first."""
    base, extra = divmod(n, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


@dataclass
class Ending:
    """An appointment ended after it was saved, through leaders.services (so its history shows the end)."""

    appointment: Appointment
    ended_on: datetime.date
    reason: EndReason
    note: str = ""


@dataclass
class CommunityPlan:
    shape: CommunityShape
    unit: TerritoryUnit
    areas: list[TerritoryUnit] = field(default_factory=list)
    groups: list[TerritoryUnit] = field(default_factory=list)
    cells: list[TerritoryUnit] = field(default_factory=list)
    group_of_cell: dict[int, int] = field(default_factory=dict)  # cell index → group index
    area_of_group: dict[int, int] = field(default_factory=dict)
    cell_sizes: list[int] = field(default_factory=list)
    estates: list[Estate] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    households_of_cell: dict[int, list[Household]] = field(default_factory=dict)
    director: User | None = None


@dataclass
class DemoPlan:
    shape: DemoShape
    seed: int
    street: TerritoryUnit
    communities: list[CommunityPlan]
    units: list[TerritoryUnit] = field(default_factory=list)  # street first, then level by level
    estates: list[Estate] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    entrances: list[Entrance] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    residents: list[Resident] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    endings: list[Ending] = field(default_factory=list)
    # Deliberate warnings of the first community, for tests and the printed summary.
    warnings: dict[str, TerritoryUnit] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def user(self, username: str) -> User:
        return next(u for u in self.users if u.username == username)


class _Planner:
    def __init__(self, shape: DemoShape, seed: int):
        self.shape = shape
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.id_numbers: set[str] = set()
        self.phones: set[str] = set()
        self.usernames: set[str] = set()
        self.residents_with_user: set[int] = set()  # id() of residents linked to a User
        self.age: dict[int, int] = {}  # id(resident) → age on AGE_REFERENCE
        self.surname: dict[int, str] = {}  # id(resident) → surname (some are two characters: 欧阳)
        self.plan = DemoPlan(shape=shape, seed=seed, street=TerritoryUnit(level=Level.STREET, name=shape.street),
                             communities=[])  # fmt: skip
        self.plan.units.append(self.plan.street)
        self.pinyin_cache: dict[str, tuple[str, str]] = {}
        self.kind_weights = _KIND_WEIGHTS

    # ---- people -------------------------------------------------------------------------------------

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def pinyin(self, name: str) -> tuple[str, str]:
        """people.search.pinyin_forms, remembered per name: names repeat, and pypinyin is slow."""
        forms = self.pinyin_cache.get(name)
        if forms is None:
            forms = self.pinyin_cache[name] = pinyin_forms(name)
        return forms

    def birth(self, age: int) -> datetime.date:
        return AGE_REFERENCE - datetime.timedelta(days=age * 365 + age // 4 + self.rng.randrange(1, 365))

    def id_number(self, birth: datetime.date, gender: str) -> str:
        region = self.rng.choice(REGION_CODES)
        while True:
            # The 17th digit is odd for men, even for women (GB 11643).
            order = self.rng.randrange(1, 500) * 2 + (1 if gender == Gender.MALE else 0)
            first17 = f"{region}{birth:%Y%m%d}{order:03d}"
            if first17 not in self.id_numbers:
                self.id_numbers.add(first17)
                return first17 + identity.id_check_char(first17)

    def given_name(self, gender: str) -> str:
        return self.fake.first_name_male() if gender == Gender.MALE else self.fake.first_name_female()

    def person_name(self, gender: str | None = None) -> str:
        gender = gender or self.rng.choice([Gender.MALE, Gender.FEMALE])
        return self.fake.last_name() + self.given_name(gender)

    def resident(self, household, *, relation, gender, age, surname, status) -> Resident:
        birth = self.birth(age)
        resident = Resident(
            household=household,
            name=surname + self.given_name(gender),
            gender=gender,
            birth_date=birth,
            relation=relation,
            residence_status=status,
        )
        resident.set_id_number(self.id_number(birth, gender))
        resident.name_pinyin, resident.name_initials = self.pinyin(resident.name)
        # Children under 14 and a quarter of the over-80s have no phone of their own.
        if age >= 14 and not (age >= 80 and self.rng.random() < 0.25):
            resident.phone = self.phone()
        self.age[id(resident)] = age
        self.surname[id(resident)] = surname
        return resident

    def compose(self, kind: str) -> list[tuple[str, str, int, str | None]]:
        """(relation, gender, age, surname or None for a fresh one) of each member, head first."""
        rng = self.rng
        male, female = Gender.MALE, Gender.FEMALE

        def other(g):
            return female if g == male else male

        def couple(lo, hi):
            head_gender = male if rng.random() < 0.8 else female
            head_age = rng.randint(lo, hi)
            spouse_age = max(22, head_age + rng.randint(-5, 3))
            return [
                (Relation.HEAD, head_gender, head_age, None),
                (Relation.SPOUSE, other(head_gender), spouse_age, None),
            ]

        def children(parent_age, count):
            hi = max(0, parent_age - 23)
            return [(Relation.CHILD, rng.choice([male, female]), rng.randint(max(0, hi - 14), hi), "father")
                    for _ in range(count)]  # fmt: skip

        if kind == "elderly_alone":
            return [(Relation.HEAD, female if rng.random() < 0.65 else male, rng.randint(68, 92), None)]
        if kind == "single":
            return [(Relation.HEAD, rng.choice([male, female]), rng.randint(22, 64), None)]
        if kind == "couple":
            return couple(25, 85)
        if kind in ("nuclear1", "nuclear2"):
            members = couple(28, 55)
            return members + children(min(members[0][2], members[1][2]), 1 if kind == "nuclear1" else 2)
        if kind == "single_parent":
            head_gender = female if rng.random() < 0.7 else male
            age = rng.randint(28, 50)
            return [(Relation.HEAD, head_gender, age, None), *children(age, 1)]
        if kind == "three_gen":
            members = couple(30, 50)
            members += children(min(members[0][2], members[1][2]), 1)
            parent_age = min(95, members[0][2] + rng.randint(24, 32))
            members.append((Relation.PARENT, male, parent_age, "head"))
            if rng.random() < 0.6:
                members.append((Relation.PARENT, female, max(50, parent_age - rng.randint(0, 4)), None))
            return members
        if kind == "grandparents":  # grandparents raising a child whose parents work away (留守儿童)
            members = (
                couple(56, 78) if rng.random() < 0.7 else [(Relation.HEAD, female, rng.randint(56, 78), None)]
            )
            return members + [(Relation.GRANDCHILD, rng.choice([male, female]), rng.randint(3, 15), "head")]
        raise ValueError(kind)

    def members(self, household: Household, kind: str, status: str) -> list[Resident]:
        spec = self.compose(kind)
        head_surname = self.fake.last_name()
        surnames = {}
        residents = []
        for relation, gender, age, surname_rule in spec:
            if relation == Relation.HEAD or surname_rule == "head":
                surname = head_surname
            elif surname_rule == "father":
                # Children take the father's surname: the head's, or the spouse's when the head is a woman.
                surname = surnames.get("father") or head_surname
            else:
                surname = self.fake.last_name()
            member = self.resident(household, relation=relation, gender=gender, age=age, surname=surname,
                                   status=status)  # fmt: skip
            if relation in (Relation.HEAD, Relation.SPOUSE) and gender == Gender.MALE:
                surnames.setdefault("father", surname)
            residents.append(member)
        if kind == "elderly_alone":
            residents[0].is_elderly_alone = True
        if kind == "grandparents":
            residents[-1].is_left_behind_child = True
        if status == ResidenceStatus.TENANT and kind == "single" and self.rng.random() < 0.4:
            age = self.age[id(residents[0])] + self.rng.randint(-3, 3)
            residents.append(self.resident(household, relation=Relation.TENANT, gender=residents[0].gender,
                                           age=age, surname=self.fake.last_name(), status=status))  # fmt: skip
        return residents

    def tag(self, household_members: list[Resident], status: str) -> None:
        rng = self.rng
        for resident in household_members:
            age = self.age[id(resident)]
            if age >= 18:
                resident.is_party_member = rng.random() < (0.06 if age < 40 else 0.10 if age < 60 else 0.15)
                resident.is_volunteer = age <= 75 and rng.random() < (
                    0.35 if resident.is_party_member else 0.06
                )
            if age >= 60:
                resident.is_five_elders = rng.random() < 0.06
            if age >= 35:
                resident.is_veteran = rng.random() < (0.05 if resident.gender == Gender.MALE else 0.003)
            resident.is_disabled = rng.random() < 0.012
            resident.has_serious_illness = age >= 40 and rng.random() < 0.01
        head = household_members[0]
        if status != ResidenceStatus.REGISTERED_ONLY:
            if rng.random() < 0.02:
                head.has_low_income_allowance = True
            # 特扶: an older couple who lost their only child, or whose only child is disabled.
            no_children = all(m.relation in (Relation.HEAD, Relation.SPOUSE) for m in household_members)
            if no_children and self.age[id(head)] >= 55 and rng.random() < 0.04:
                for member in household_members:
                    member.is_special_support = True
        for member in household_members:
            if any(getattr(member, name) for name in SPECIAL_GROUP_FIELDS):
                # Usually a son or daughter living elsewhere, with the head's surname.
                gender = rng.choice([Gender.MALE, Gender.FEMALE])
                member.emergency_contact_name = self.surname[id(head)] + self.given_name(gender)
                member.emergency_contact_phone = self.phone()

    # ---- territory ----------------------------------------------------------------------------------

    def territory(self, community_shape: CommunityShape, index: int) -> CommunityPlan:
        unit = TerritoryUnit(
            level=Level.COMMUNITY, name=community_shape.name, parent=self.plan.street, sort_order=index
        )
        cp = CommunityPlan(shape=community_shape, unit=unit)
        group_counts = _split(community_shape.groups, community_shape.areas)
        cell_counts = _split(community_shape.cells, community_shape.groups)
        group_no = cell_no = 0
        for a, groups_here in enumerate(group_counts):
            area = TerritoryUnit(
                level=Level.AREA, name=f"第{cn_number(a + 1)}片区", parent=unit, sort_order=a
            )
            cp.areas.append(area)
            for _ in range(groups_here):
                group = TerritoryUnit(level=Level.GROUP, name=f"第{cn_number(group_no + 1)}组", parent=area,
                                      sort_order=group_no)  # fmt: skip
                cp.area_of_group[group_no] = a
                cp.groups.append(group)
                for _ in range(cell_counts[group_no]):
                    cell = TerritoryUnit(level=Level.CELL, name=f"第{cn_number(cell_no + 1)}邻", parent=group,
                                         sort_order=cell_no)  # fmt: skip
                    cp.group_of_cell[cell_no] = group_no
                    cp.cells.append(cell)
                    cell_no += 1
                group_no += 1
        cp.cell_sizes = [self.rng.choice(community_shape.cell_sizes) for _ in cp.cells]
        return cp

    def warning_cells(self, cp: CommunityPlan) -> dict[str, int]:
        """Four cells outside the first group (whose cells are the demo logins'): small, big, no leader, away."""
        candidates = [i for i, g in cp.group_of_cell.items() if g != 0]
        if len(candidates) < 4:
            raise ValueError("a community with warnings needs at least 4 cells outside its first group")
        chosen = self.rng.sample(candidates, 4)
        return dict(zip(["small", "big", "no_leader", "leader_away"], chosen, strict=True))

    def addresses(self, cp: CommunityPlan, demo_cell: int | None) -> None:
        """Estates and buildings packed with whole cells; each cell a run of neighbouring rooms.

        Rooms are walked entrance by entrance, floor by floor, so a cell is first the households of one
        entrance and floor, then the next floor up, and never crosses into another building.
        """
        rng, shape = self.rng, cp.shape
        cells_per_estate = _split_weighted(len(cp.cells), [e.weight for e in shape.estates])
        cell_index = 0
        vacancies: list[tuple[Entrance, str]] = []
        for estate_shape, n_cells in zip(shape.estates, cells_per_estate, strict=True):
            estate = Estate(community=cp.unit, name=estate_shape.name, address=self.fake.street_address())
            cp.estates.append(estate)
            per_floor = estate_shape.entrances * estate_shape.rooms_per_floor
            capacity = per_floor * estate_shape.floors
            end = cell_index + n_cells
            building_no = 0
            while cell_index < end:
                cells_here = [cell_index]
                need = cp.cell_sizes[cell_index]
                while cell_index + len(cells_here) < end:
                    nxt = cp.cell_sizes[cell_index + len(cells_here)]
                    if need + nxt > capacity - max(2, capacity // 12):
                        break
                    need += nxt
                    cells_here.append(cell_index + len(cells_here))
                building_no += 1
                building = Building(estate=estate, name=f"{building_no}栋")
                cp.buildings.append(building)
                floors = min(
                    estate_shape.floors, math.ceil((need + 2 + rng.randrange(per_floor)) / per_floor)
                )
                floors = max(floors, math.ceil(need / per_floor))  # a cell bigger than the usual building
                rooms = []
                for e in range(estate_shape.entrances):
                    entrance = Entrance(building=building, name=f"{e + 1}单元")
                    self.plan.entrances.append(entrance)
                    for floor in range(1, floors + 1):
                        # Entrance 1 has rooms 01-02, entrance 2 rooms 03-04, … on every floor.
                        for r in range(estate_shape.rooms_per_floor):
                            rooms.append((entrance, f"{floor}{e * estate_shape.rooms_per_floor + r + 1:02d}"))
                vacant = set(rng.sample(range(len(rooms)), len(rooms) - need))
                occupied = [room for i, room in enumerate(rooms) if i not in vacant]
                vacancies += [room for i, room in enumerate(rooms) if i in vacant]
                start = 0
                for c in cells_here:
                    run = occupied[start : start + cp.cell_sizes[c]]
                    start += cp.cell_sizes[c]
                    cp.households_of_cell[c] = [
                        self.household(
                            cp, entrance, room, cell=cp.cells[c], force_elderly=(c == demo_cell and i == 0)
                        )
                        for i, (entrance, room) in enumerate(run)
                    ]
                cell_index += len(cells_here)
        extras = shape.registered_only + shape.unplaced
        if extras > len(vacancies):
            raise ValueError(
                f"{shape.name}: not enough vacant rooms for {extras} unplaced and 空挂 households"
            )
        for k, (entrance, room) in enumerate(rng.sample(vacancies, extras)):
            self.household(cp, entrance, room, cell=None, registered_only=k < shape.registered_only)
        position = {id(entrance): i for i, entrance in enumerate(self.plan.entrances)}
        cp.households.sort(key=lambda h: (position[id(h.entrance)], h.floor or 0, h.room))

    def household(self, cp, entrance, room, *, cell, registered_only=False, force_elderly=False) -> Household:
        household = Household(
            community=cp.unit,
            cell=cell,
            entrance=entrance,
            room=room,
            floor=floor_from_room(room),
            status=HouseholdStatus.REGISTERED_ONLY if registered_only else HouseholdStatus.RESIDENT,
        )
        if registered_only:
            status, kind = ResidenceStatus.REGISTERED_ONLY, self.rng.choice(["single", "couple", "nuclear1"])
        elif not force_elderly and self.rng.random() < 0.06:
            status, kind = ResidenceStatus.TENANT, self.rng.choice(["single", "couple", "nuclear1"])
        else:
            status = ResidenceStatus.RESIDENT
            kind = "elderly_alone" if force_elderly else self.rng.choices(_KINDS, self.kind_weights)[0]
        members = self.members(household, kind, status)
        self.tag(members, status)
        household._demo_members = members
        cp.households.append(household)
        self.plan.residents += members
        return household

    # ---- people who hold posts ----------------------------------------------------------------------

    def user(self, username: str, *, resident: Resident | None = None, name: str | None = None) -> User:
        if username in self.usernames:
            raise ValueError(f"duplicate demo username {username}")
        self.usernames.add(username)
        if resident is not None:
            self.residents_with_user.add(id(resident))
            user = User(username=username, full_name=resident.name, phone=resident.phone, resident=resident)
        else:
            user = User(username=username, full_name=name or self.person_name(), phone=self.phone())
        self.plan.users.append(user)
        return user

    def start(self) -> datetime.date:
        return datetime.date(2024, 1, 1) + datetime.timedelta(days=self.rng.randrange(731))  # 2024–2025

    def appoint(self, person: User, role: Role, *, unit=None, estate=None, building=None, started_on=None):
        appointment = Appointment(person=person, role=role, unit=unit, estate=estate, building=building,
                                  started_on=started_on or self.start())  # fmt: skip
        self.plan.appointments.append(appointment)
        return appointment

    def candidate(self, households: list[Household], *, with_family=False) -> Resident:
        """A resident to lead: lives here (常住), 25–72, party members and volunteers first (DOMAIN.md §5)."""
        scored = []
        for household in households:
            if with_family and len(household._demo_members) < 2:
                continue
            for r in household._demo_members:
                age = self.age[id(r)]
                if (
                    r.residence_status != ResidenceStatus.RESIDENT
                    or not 25 <= age <= 72
                    or r.is_elderly_alone
                ):
                    continue
                if id(r) in self.residents_with_user:
                    continue
                score = 3 * r.is_party_member + 2 * r.is_volunteer + 2 * r.is_five_elders + r.is_veteran
                scored.append((score + 2 * self.rng.random(), r))
        if not scored:
            raise ValueError("no resident can lead here; give the shape larger cells")
        return max(scored, key=lambda pair: pair[0])[1]

    def posts(self, cp: CommunityPlan, c: int, demo: bool, warnings: dict[str, int]) -> None:
        code = cp.shape.code
        if c == 0:
            # The street admin is appointed once, with the first community.
            director = self.user(self.shape.admin_username, name=None)
            self.appoint(director, Role.STREET_ADMIN, unit=self.plan.street)
        second = c == 1 and self.shape.demo_logins
        staff_names = ["shequ" if demo else ("shequ2" if second else f"{code}.staff01")]
        staff_names += [f"{code}.staff{i + 1:02d}" for i in range(1, cp.shape.staff)]
        for name in staff_names:
            self.appoint(self.user(name), Role.COMMUNITY_STAFF, unit=cp.unit)
        cp.director = self.plan.users[-len(staff_names)]
        grid = self.user("wanggeyuan" if demo else f"{code}.wangge")
        self.appoint(grid, Role.GRID_WORKER, unit=cp.unit)
        self.appoint(self.user(f"{code}.police"), Role.POLICE, unit=cp.unit)
        self.appoint(self.user(f"{code}.mediator"), Role.MEDIATOR, unit=cp.unit)
        for e, estate in enumerate(cp.estates):
            self.appoint(self.user(f"{code}.butler{e + 1:02d}"), Role.PROPERTY_BUTLER, estate=estate)
        for a, area in enumerate(cp.areas):  # 片长: paid community workers, no resident record here
            name = "pianzhang" if demo and a == 0 else f"{code}.pian{a + 1:02d}"
            self.appoint(self.user(name), Role.AREA_LEADER, unit=area)

        households_of_group: dict[int, list[Household]] = {}
        for cell_no, households in cp.households_of_cell.items():
            households_of_group.setdefault(cp.group_of_cell[cell_no], []).extend(households)

        cell_leaders: dict[int, User] = {}
        for cell_no, cell in enumerate(cp.cells):
            name = {0: "linzhang", 1: "loudongzhang"}.get(cell_no) if demo else None
            name = name or f"{code}.lin{cell_no + 1:03d}"
            if cell_no == warnings.get("leader_away"):
                # Their household moved to a cell of another group; they still lead this one.
                other_group = (cp.group_of_cell[cell_no] + 1) % len(cp.groups)
                home = self.candidate(households_of_group[other_group])
                leader = self.user(name, resident=home)
            else:
                # The one who will move away leaves family behind, so the household still lives here.
                with_family = cell_no == warnings.get("no_leader")
                leader = self.user(
                    name, resident=self.candidate(cp.households_of_cell[cell_no], with_family=with_family)
                )
            cell_leaders[cell_no] = leader
            appointment = self.appoint(leader, Role.CELL_LEADER, unit=cell)
            if cell_no == warnings.get("no_leader"):
                # They moved away: registered here still, the post is vacant and its history kept.
                leader.resident.residence_status = ResidenceStatus.REGISTERED_ONLY
                ended = min(datetime.date(2026, 9, 30), timezone.localdate())
                self.plan.endings.append(Ending(appointment, ended, EndReason.MOVED_AWAY, "搬离本小区"))
        for g, group in enumerate(cp.groups):
            name = "zuzhang" if demo and g == 0 else f"{code}.zu{g + 1:02d}"
            self.appoint(self.user(name, resident=self.candidate(households_of_group[g])), Role.GROUP_LEADER,
                         unit=group)  # fmt: skip

        # 楼栋长 on about a third of the buildings, and on the building of the second demo cell, whose
        # 邻长 holds both posts.
        households_of_building: dict[int, list[Household]] = {}
        for household in cp.households:
            if household.cell is not None:
                households_of_building.setdefault(id(household.entrance.building), []).append(household)
        two_posts_building = cp.households_of_cell[1][0].entrance.building if demo else None
        handovers = 2 if demo else 0
        number = 0
        for building in cp.buildings:
            households = households_of_building.get(id(building))
            if not households:
                continue
            if building is two_posts_building:
                self.appoint(cell_leaders[1], Role.BUILDING_LEADER, building=building)
                continue
            if self.rng.random() > 0.35:
                continue
            number += 1
            leader = self.user(f"{code}.lou{number:02d}", resident=self.candidate(households))
            if handovers:
                # The predecessor fell ill; the successor took over the same day (DOMAIN.md §1).
                handovers -= 1
                started = datetime.date(2024, 3, 1) + datetime.timedelta(days=self.rng.randrange(120))
                handed = datetime.date(2025, 5, 1) + datetime.timedelta(days=self.rng.randrange(120))
                first = self.appoint(leader, Role.BUILDING_LEADER, building=building, started_on=started)
                self.plan.endings.append(Ending(first, handed, EndReason.ILL, "因病辞任"))
                successor = self.user(f"{code}.lou{number:02d}b", resident=self.candidate(households))
                self.appoint(successor, Role.BUILDING_LEADER, building=building, started_on=handed)
            else:
                self.appoint(leader, Role.BUILDING_LEADER, building=building)

        # A few residents log in to see their own household; `jumin` lives in linzhang's cell.
        placed = [h for h in cp.households if h.cell is not None]
        for k in range(cp.shape.residents_with_login):
            name = "jumin" if demo and k == 0 else f"{code}.jumin{k + 1:02d}"
            where = (
                cp.households_of_cell[0] if demo and k == 0 else self.rng.sample(placed, min(5, len(placed)))
            )
            self.user(name, resident=self.candidate(where))

    def build(self) -> DemoPlan:
        for index, community_shape in enumerate(self.shape.communities):
            cp = self.territory(community_shape, index)
            self.plan.communities.append(cp)
        # Units level by level, so that each parent is saved (and has its path) before its children.
        for attr in ("unit", "areas", "groups", "cells"):
            for cp in self.plan.communities:
                value = getattr(cp, attr)
                self.plan.units += value if isinstance(value, list) else [value]
        for index, cp in enumerate(self.plan.communities):
            demo = index == 0 and self.shape.demo_logins
            warnings = self.warning_cells(cp) if cp.shape.warnings else {}
            if warnings:
                cp.cell_sizes[warnings["small"]], cp.cell_sizes[warnings["big"]] = 3, 17
                self.plan.warnings.update({k: cp.cells[i] for k, i in warnings.items()})
            self.addresses(cp, demo_cell=0 if demo else None)
            self.posts(cp, index, demo, warnings)
            self.plan.estates += cp.estates
            self.plan.buildings += cp.buildings
            self.plan.households += cp.households
        return self.plan


def _split_weighted(n: int, weights: list[float]) -> list[int]:
    """n items in proportion to weights, every share at least one (largest remainders)."""
    total = sum(weights)
    raw = [n * w / total for w in weights]
    shares = [max(1, int(x)) for x in raw]
    order = sorted(range(len(weights)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(shares) < n:
        shares[order[i % len(order)]] += 1
        i += 1
    while sum(shares) > n:
        j = max(range(len(shares)), key=lambda k: shares[k])
        shares[j] -= 1
    return shares


def demo_plan(shape: DemoShape | None = None, seed: int = DEFAULT_SEED) -> DemoPlan:
    """Everything the demo street holds, decided in memory and deterministic for a seed."""
    started = time.perf_counter()
    plan = _Planner(shape or DemoShape(), seed).build()
    plan.timings["plan"] = time.perf_counter() - started
    return plan


def demo_write(
    plan: DemoPlan, *, password: str = DEFAULT_PASSWORD, report: Callable[[str, float], None] | None = None
):
    """Save a plan in one transaction. Every history-tracked row gets its creation in its history.

    `report(stage, seconds)` is called after each stage. The password is hashed once for all users.
    """

    def stage(name, started):
        seconds = time.perf_counter() - started
        plan.timings[name] = seconds
        if report:
            report(name, seconds)
        return time.perf_counter()

    history = {"default_change_reason": CHANGE_REASON}
    with transaction.atomic():
        t = time.perf_counter()
        # Territory: the path rule of territory.services.unit_create ("/<id>/<id>/.../"), level by level.
        for level in (Level.STREET, Level.COMMUNITY, Level.AREA, Level.GROUP, Level.CELL):
            units = [u for u in plan.units if u.level == level]
            TerritoryUnit.objects.bulk_create(units)
            for unit in units:
                unit.path = f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
            TerritoryUnit.objects.bulk_update(units, ["path"], batch_size=500)
        TerritoryUnit.history.bulk_history_create(plan.units, **history)
        t = stage("territory", t)
        bulk_create_with_history(plan.estates, Estate, **history)
        bulk_create_with_history(plan.buildings, Building, **history)
        bulk_create_with_history(plan.entrances, Entrance, **history)
        t = stage("estates", t)
        bulk_create_with_history(plan.households, Household, batch_size=500, **history)
        t = stage("households", t)
        bulk_create_with_history(plan.residents, Resident, batch_size=500, **history)
        t = stage("residents", t)
        hashed = make_password(password)
        for user in plan.users:
            user.password = hashed
        User.objects.bulk_create(plan.users, batch_size=500)
        bulk_create_with_history(plan.appointments, Appointment, batch_size=500, **history)
        director = plan.communities[0].director
        for ending in plan.endings:
            appointment_end(actor=director, appointment=ending.appointment, ended_on=ending.ended_on,
                            reason=ending.reason, note=ending.note)  # fmt: skip
        stage("leaders", t)
    return plan


def demo_build(
    shape: DemoShape | None = None,
    *,
    seed: int = DEFAULT_SEED,
    password: str = DEFAULT_PASSWORD,
    report: Callable[[str, float], None] | None = None,
) -> DemoPlan:
    """Plan and save the demo street."""
    plan = demo_plan(shape, seed)
    if report:
        report("plan", plan.timings["plan"])
    return demo_write(plan, password=password, report=report)


def demo_exists() -> bool:
    return TerritoryUnit.objects.filter(level=Level.STREET).exists()


def demo_totals() -> dict[str, int]:
    """What the database holds now, for the command's summary."""
    households = Household.objects.all()
    return {
        "communities": TerritoryUnit.objects.filter(level=Level.COMMUNITY).count(),
        "areas": TerritoryUnit.objects.filter(level=Level.AREA).count(),
        "groups": TerritoryUnit.objects.filter(level=Level.GROUP).count(),
        "cells": TerritoryUnit.objects.filter(level=Level.CELL).count(),
        "estates": Estate.objects.count(),
        "buildings": Building.objects.count(),
        "households": households.count(),
        "households in cells": households.filter(cell__isnull=False).count(),
        "空挂户 (registered only)": households.filter(status=HouseholdStatus.REGISTERED_ONLY).count(),
        "households not yet in a cell": households.filter(
            cell__isnull=True, status=HouseholdStatus.RESIDENT
        ).count(),
        "residents": Resident.objects.count(),
        "users": User.objects.count(),
        "appointments": Appointment.objects.count(),
        "active appointments": Appointment.objects.active().count(),
    }


def _place_label(appointment: Appointment, unit_names: dict[int, str]) -> str:
    if appointment.unit_id:
        # Street office left out: every patch is in the one street.
        ids = appointment.unit.ancestor_ids
        return " ".join(unit_names.get(i, "?") for i in (ids[1:] if len(ids) > 1 else ids))
    if appointment.building_id:
        building = appointment.building
        return f"{building.estate.community.name} {building.estate.name} {building.name}"
    return f"{appointment.estate.community.name} {appointment.estate.name}"


def demo_login_rows(password: str = DEFAULT_PASSWORD) -> list[dict[str, str]]:
    """One row per demo login, with whose patch it is read from the database (so also after --if-empty)."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[login.username for login in DEMO_LOGINS]).select_related(
            "resident__household__entrance__building__estate"
        )
    }
    unit_names = dict(TerritoryUnit.objects.values_list("id", "name"))
    rows = []
    for login in DEMO_LOGINS:
        user = users.get(login.username)
        if user is None:
            patch = "(no such user in this database)"
        else:
            appointments = (
                Appointment.objects.active()
                .filter(person=user)
                .select_related("unit", "building__estate__community", "estate__community")
                .order_by("role")
            )
            patch = "; ".join(_place_label(a, unit_names) for a in appointments)
            if not patch and user.resident_id:
                household = user.resident.household
                patch = f"{unit_names.get(household.community_id, '')} {household.address}"
        rows.append({
            "username": login.username,
            "password": password,
            "role": f"{login.role_zh} / {login.role_en}",
            "name": user.full_name if user else "",
            "patch": patch,
            "look at": login.look_at,
        })  # fmt: skip
    return rows
