import datetime

from ninja import Schema

from people import identity


class AppointmentOut(Schema):
    id: int
    person_id: int
    person_name: str
    person_phone_masked: str
    role: str
    role_label: str
    place_kind: str
    place_id: int
    place_name: str
    started_on: datetime.date
    term_ends_on: datetime.date | None
    ended_on: datetime.date | None
    end_reason: str

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.display_name

    @staticmethod
    def resolve_person_phone_masked(obj) -> str:
        return identity.phone_mask(obj.person.phone)

    @staticmethod
    def resolve_role_label(obj) -> str:
        return str(obj.get_role_display())

    @staticmethod
    def resolve_place_kind(obj) -> str:
        if obj.unit_id:
            return obj.unit.level
        return "building" if obj.building_id else "estate"

    @staticmethod
    def resolve_place_id(obj) -> int:
        return obj.place.pk

    @staticmethod
    def resolve_place_name(obj) -> str:
        return str(obj.place)
