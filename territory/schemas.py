from ninja import Schema


class UnitOut(Schema):
    id: int
    level: str
    name: str
    parent_id: int | None
    path: str


class UnitCountsOut(UnitOut):
    household_count: int
    resident_count: int


class UnitDetailOut(UnitCountsOut):
    children: list[UnitCountsOut]
