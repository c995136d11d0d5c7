"""Test helpers shared by every app: factories and the cast of named users (one per role).

The cast (see `Cast`) is the fixed world every visibility test uses:

    street 城关街道
    ├─ community A 幸福社区 ── area A1 ── group G1 ── cell C1 (household h1: resident's home; h1b)
    │                      │                     └─ cell C2 (household h2)
    │                      └─ area A2 ── group G2 ── cell C3 (household h3)
    │  (household h_unplaced: in community A, no cell yet)
    └─ community B 和平社区 ── area B1 ── group BG1 ── cell BC1 (household hb)

Users: street_admin, staff (community A), area_leader (A1), group_leader (G1), cell_leader (C1),
cell_leader_2 (C2), building_leader (building of h3), resident (lives in h1), outsider (nothing).
"""

import datetime
import itertools
from dataclasses import dataclass

import factory

from accounts.models import User
from leaders.models import Role
from leaders.services import appointment_create
from people import identity
from people.models import Household, Resident
from people.services import household_create, resident_save
from territory.models import Entrance, Level, TerritoryUnit
from territory.services import entrance_get_or_create, unit_create

_sequence = itertools.count(1)
PASSWORD = "linli-test-pass-1"


def make_id_number(
    birth: datetime.date = datetime.date(1950, 3, 8),
    gender: str = "F",
    region: str = "430102",
    seq: int | None = None,
) -> str:
    """A valid GB 11643 number: region, birth date, sequence (odd for men), check character."""
    seq = next(_sequence) % 500 if seq is None else seq
    order = seq * 2 + (1 if gender == "M" else 0)
    first17 = f"{region}{birth:%Y%m%d}{order % 1000:03d}"
    return first17 + identity.id_check_char(first17)


def make_phone() -> str:
    return f"138{next(_sequence):08d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


def make_household(
    cell: TerritoryUnit | None,
    *,
    community: TerritoryUnit | None = None,
    estate="阳光小区",
    building="1栋",
    entrance="1单元",
    room=None,
) -> Household:
    community = community or TerritoryUnit.objects.get(pk=cell.community_id_from_path())
    door, _created = entrance_get_or_create(
        community=community, estate_name=estate, building_name=building, entrance_name=entrance
    )
    while room is None:
        # A free room of the entrance (the sequence is shared by every test, so skip taken ones).
        candidate = f"{next(_sequence) % 30 + 1}0{next(_sequence) % 4 + 1}"
        if not Household.objects.filter(entrance=door, room=candidate).exists():
            room = candidate
    return household_create(actor=None, entrance=door, room=room, cell=cell)


def make_resident(
    household: Household,
    name: str = "张桂莲",
    *,
    gender="F",
    birth=datetime.date(1950, 3, 8),
    phone: str | None = None,
    id_number: str | None = None,
    **fields,
) -> Resident:
    resident = Resident(
        household=household,
        name=name,
        gender=gender,
        phone=phone if phone is not None else make_phone(),
        **fields,
    )
    return resident_save(
        actor=None,
        resident=resident,
        id_number=id_number if id_number is not None else make_id_number(birth, gender),
    )


@dataclass
class Cast:
    street: TerritoryUnit
    community: TerritoryUnit
    other_community: TerritoryUnit
    area: TerritoryUnit
    area2: TerritoryUnit
    group: TerritoryUnit
    group2: TerritoryUnit
    cell: TerritoryUnit
    cell2: TerritoryUnit
    cell3: TerritoryUnit
    other_cell: TerritoryUnit
    h1: Household
    h1b: Household
    h2: Household
    h3: Household
    h_unplaced: Household
    hb: Household
    street_admin: User
    staff: User
    area_leader: User
    group_leader: User
    cell_leader: User
    cell_leader_2: User
    building_leader: User
    resident: User
    outsider: User

    def users(self) -> dict[str, User]:
        return {name: getattr(self, name) for name in CAST_ROLES}


CAST_ROLES = [
    "street_admin",
    "staff",
    "area_leader",
    "group_leader",
    "cell_leader",
    "cell_leader_2",
    "building_leader",
    "resident",
    "outsider",
]

# What each member of the cast sees of the cast's households (by attribute name).
CAST_VISIBLE_HOUSEHOLDS = {
    "street_admin": {"h1", "h1b", "h2", "h3", "h_unplaced", "hb"},
    "staff": {"h1", "h1b", "h2", "h3", "h_unplaced"},
    "area_leader": {"h1", "h1b", "h2"},
    "group_leader": {"h1", "h1b", "h2"},
    "cell_leader": {"h1", "h1b"},
    "cell_leader_2": {"h2"},
    "building_leader": {"h3"},
    "resident": {"h1"},
    "outsider": set(),
}


def build_cast() -> Cast:
    start = datetime.date(2024, 1, 1)
    street = unit_create(parent=None, level=Level.STREET, name="城关街道")
    community = unit_create(parent=street, level=Level.COMMUNITY, name="幸福社区")
    other_community = unit_create(parent=street, level=Level.COMMUNITY, name="和平社区")
    area = unit_create(parent=community, level=Level.AREA, name="第一片区")
    area2 = unit_create(parent=community, level=Level.AREA, name="第二片区")
    group = unit_create(parent=area, level=Level.GROUP, name="第一组")
    group2 = unit_create(parent=area2, level=Level.GROUP, name="第二组")
    cell = unit_create(parent=group, level=Level.CELL, name="第一邻")
    cell2 = unit_create(parent=group, level=Level.CELL, name="第二邻")
    cell3 = unit_create(parent=group2, level=Level.CELL, name="第三邻")
    other_area = unit_create(parent=other_community, level=Level.AREA, name="和平第一片区")
    other_group = unit_create(parent=other_area, level=Level.GROUP, name="和平第一组")
    other_cell = unit_create(parent=other_group, level=Level.CELL, name="和平第一邻")

    h1 = make_household(cell, room="101")
    h1b = make_household(cell, room="102")
    h2 = make_household(cell2, room="201")
    h3 = make_household(cell3, building="2栋", room="301")
    h_unplaced = make_household(None, community=community, building="3栋", room="401")
    hb = make_household(other_cell, estate="和平小区", room="101")
    residents = {
        "h1": make_resident(
            h1,
            "张桂莲",
            is_elderly_alone=True,
            emergency_contact_name="李强",
            emergency_contact_phone="13900001111",
        ),
        "h1b": make_resident(
            h1b, "王建国", gender="M", birth=datetime.date(1962, 5, 1), is_party_member=True
        ),
        "h2": make_resident(h2, "刘芳", birth=datetime.date(1985, 7, 2)),
        "h3": make_resident(h3, "陈明", gender="M", birth=datetime.date(1978, 1, 20)),
        "h_unplaced": make_resident(h_unplaced, "赵丽", birth=datetime.date(1990, 11, 11)),
        "hb": make_resident(hb, "孙伟", gender="M", birth=datetime.date(1970, 9, 9)),
    }

    def person(username, name, resident=None):
        return UserFactory(username=username, full_name=name, resident=resident)

    users = {
        "street_admin": person("street_admin", "街道管理员"),
        "staff": person("staff", "社区工作者"),
        "area_leader": person("area_leader", "片长甲"),
        "group_leader": person("group_leader", "组长甲"),
        "cell_leader": person("cell_leader", "王建国", residents["h1b"]),
        "cell_leader_2": person("cell_leader_2", "刘芳", residents["h2"]),
        "building_leader": person("building_leader", "陈明", residents["h3"]),
        "resident": person("resident", "张桂莲", residents["h1"]),
        "outsider": person("outsider", "路人"),
    }
    building_of_h3 = Entrance.objects.select_related("building").get(pk=h3.entrance_id).building
    posts = [
        ("street_admin", Role.STREET_ADMIN, {"unit": street}),
        ("staff", Role.COMMUNITY_STAFF, {"unit": community}),
        ("area_leader", Role.AREA_LEADER, {"unit": area}),
        ("group_leader", Role.GROUP_LEADER, {"unit": group}),
        ("cell_leader", Role.CELL_LEADER, {"unit": cell}),
        ("cell_leader_2", Role.CELL_LEADER, {"unit": cell2}),
        ("building_leader", Role.BUILDING_LEADER, {"building": building_of_h3}),
    ]
    for name, role, place in posts:
        appointment_create(actor=None, person=users[name], role=role, started_on=start, **place)
    return Cast(
        street=street,
        community=community,
        other_community=other_community,
        area=area,
        area2=area2,
        group=group,
        group2=group2,
        cell=cell,
        cell2=cell2,
        cell3=cell3,
        other_cell=other_cell,
        h1=h1,
        h1b=h1b,
        h2=h2,
        h3=h3,
        h_unplaced=h_unplaced,
        hb=hb,
        **users,
    )


def make_request(cast: Cast, *, code: str = "repair", **extra):
    """A request filed by the cast's resident from their QR page (the street's default catalogue is
    installed when missing); `extra` overrides any argument of request_file."""
    from service_requests import services
    from service_requests.catalogue import service_catalogue_install
    from service_requests.models import Channel, ServiceKind

    service_catalogue_install(cast.street)
    fields = {
        "actor": cast.resident,
        "reporter_user": cast.resident,
        "kind": ServiceKind.objects.get(street=cast.street, code=code),
        "description": "楼道灯坏了",
        "channel": Channel.QR,
        "household": cast.h1,
        **extra,
    }
    return services.request_file(**fields)
