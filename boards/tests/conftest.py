"""The cast's estate 阳光小区 with every board post filled, and leaders' phones set.

阳光小区 1栋: h1, h1b (cell C1, 邻长 王建国), h2 (cell C2, 邻长 刘芳); group G1 (组长甲), area A1 (片长甲)
阳光小区 2栋: h3 (cell C3, no 邻长); group G2, area A2 (no leaders); building leader 陈明
阳光小区 3栋: h_unplaced (no cell)
community A: police 李警官, mediator 何调解 (on area A1, so only 1栋 lists them); estate: butler 周管家
community B (和平小区): police 孙警官, who is on no board of 阳光小区
"""

import datetime
from dataclasses import dataclass

import pytest

from accounts.models import User
from leaders.models import Appointment, Role
from leaders.services import appointment_create
from linli.testing import UserFactory
from territory.models import Building, Estate

START = datetime.date(2024, 1, 1)
PHONES = {
    "area_leader": "13800000001",
    "group_leader": "13800000002",
    "cell_leader": "13800000003",
    "cell_leader_2": "13800000004",
    "building_leader": "13800000005",
}


@dataclass
class Boarded:
    estate: Estate
    b1: Building
    b2: Building
    b3: Building
    police: User
    mediator: User
    butler: User
    other_police: User

    def appointment(self, person, role) -> Appointment:
        return Appointment.objects.active().get(person=person, role=role)


def person(username, name, phone):
    return UserFactory(username=username, full_name=name, phone=phone)


@pytest.fixture
def boarded(cast) -> Boarded:
    for attribute, phone in PHONES.items():
        user = getattr(cast, attribute)
        user.phone = phone
        user.save(update_fields=["phone"])
    estate = Estate.objects.get(community=cast.community, name="阳光小区")
    b1, b2, b3 = (Building.objects.get(estate=estate, name=name) for name in ("1栋", "2栋", "3栋"))
    world = Boarded(
        estate=estate,
        b1=b1,
        b2=b2,
        b3=b3,
        police=person("police", "李警官", "13900000110"),
        mediator=person("mediator", "何调解", "13900000120"),
        butler=person("butler", "周管家", "13900000130"),
        other_police=person("other_police", "孙警官", "13900000140"),
    )
    appointment_create(
        actor=None, person=world.police, role=Role.POLICE, unit=cast.community, started_on=START
    )
    appointment_create(
        actor=None, person=world.mediator, role=Role.MEDIATOR, unit=cast.area, started_on=START
    )
    appointment_create(
        actor=None, person=world.butler, role=Role.PROPERTY_BUTLER, estate=estate, started_on=START
    )
    appointment_create(
        actor=None, person=world.other_police, role=Role.POLICE, unit=cast.other_community, started_on=START
    )
    return world
