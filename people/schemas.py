"""What the API shows of households and residents: masked ID numbers and phones only."""

import datetime
from typing import Literal

from ninja import Schema

from people.models import PERSON_TAGS, SPECIAL_GROUPS

TAG_CODES = [name for name, _label in PERSON_TAGS]
SPECIAL_GROUP_CODES = [name for name, _label in SPECIAL_GROUPS]
SpecialGroupCode = Literal[tuple(SPECIAL_GROUP_CODES)]  # type: ignore[valid-type]


class PlaceOut(Schema):
    id: int
    name: str


class ResidentOut(Schema):
    id: int
    household_id: int
    name: str
    gender: str
    birth_date: datetime.date | None
    relation: str
    residence_status: str
    id_number_masked: str
    phone_masked: str
    tags: list[str]
    special_groups: list[str]
    emergency_contact_name: str
    emergency_phone_masked: str

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return [code for code in TAG_CODES if getattr(obj, code)]

    @staticmethod
    def resolve_special_groups(obj) -> list[str]:
        return [code for code in SPECIAL_GROUP_CODES if getattr(obj, code)]


class ResidentDetailOut(ResidentOut):
    address: str

    @staticmethod
    def resolve_address(obj) -> str:
        return obj.household.address


class HouseholdOut(Schema):
    id: int
    address: str
    community: PlaceOut
    cell: PlaceOut | None
    status: str
    member_count: int


class HouseholdDetailOut(HouseholdOut):
    members: list[ResidentOut]


class RevealIn(Schema):
    field: Literal["id_number", "phone", "emergency_phone"]


class RevealOut(Schema):
    value: str


class ErrorOut(Schema):
    detail: str
