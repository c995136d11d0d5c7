"""Roster import and export: the Excel/CSV rosters communities keep (花名册).

Reading treats every upload as hostile: a size cap, the format told by content (zip magic for .xlsx,
otherwise CSV text), the zip checked for unpacked size, entry count and compression ratio before
openpyxl (which parses XML through defusedxml) opens it.

Importing validates every row and collects all of a row's problems in one message; the valid rows are
upserted in one transaction (residents keyed on the ID number's digest, households on estate + building
+ entrance + room), in bulk with history rows; the rejected rows come back in an error workbook.

Exporting writes every resident the viewer may see, masked unless they may reveal ID numbers, with
formula-like cells neutralised. Every import and export is written to the access log.
"""

import csv
import io
import re
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field

import openpyxl
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from audit.models import AccessAction
from audit.services import access_log_record
from people import identity
from people.models import (
    PERSON_TAGS,
    SPECIAL_GROUPS,
    Household,
    HouseholdStatus,
    Relation,
    ResidenceStatus,
    Resident,
)
from people.search import pinyin_forms
from people.services import floor_from_room
from territory.models import Building, Entrance, Estate, TerritoryUnit
from territory.services import address_clean, entrance_get_or_create

# The roster's columns, in the order an export writes them. The headers are the file format
# communities use, so they stay in Chinese whatever the interface language.
# fmt: off
NAME, GENDER, ID_NUMBER, PHONE, RELATION = "姓名", "性别", "身份证号", "联系电话", "与户主关系"
ESTATE, BUILDING, ENTRANCE, ROOM, STATUS = "小区", "楼栋", "单元", "房号", "居住状态"
TAGS, GROUPS, CONTACT, CONTACT_PHONE, NOTE = "人员标签", "重点人群", "紧急联系人", "紧急联系电话", "备注"
COLUMNS = [NAME, GENDER, ID_NUMBER, PHONE, RELATION, ESTATE, BUILDING, ENTRANCE, ROOM, STATUS, TAGS, GROUPS,
           CONTACT, CONTACT_PHONE, NOTE]
REQUIRED_COLUMNS = [NAME, ID_NUMBER, ESTATE, BUILDING, ROOM]
ERROR_COLUMN = "错误说明"
# Other names seen on real rosters for the same columns.
HEADER_ALIASES = {
    "身份证号码": ID_NUMBER, "公民身份号码": ID_NUMBER, "身份证": ID_NUMBER,
    "手机号": PHONE, "手机号码": PHONE, "电话": PHONE, "联系方式": PHONE,
    "小区名称": ESTATE, "楼号": BUILDING, "栋号": BUILDING, "单元号": ENTRANCE,
    "门牌号": ROOM, "房间号": ROOM, "室": ROOM,
}

GENDERS = {"男": "M", "男性": "M", "女": "F", "女性": "F"}
GENDER_LABELS = {"M": "男", "F": "女"}
RELATIONS = {
    "户主": Relation.HEAD, "本人": Relation.HEAD,
    "配偶": Relation.SPOUSE, "妻子": Relation.SPOUSE, "丈夫": Relation.SPOUSE,
    "子女": Relation.CHILD, "儿子": Relation.CHILD, "女儿": Relation.CHILD,
    "父母": Relation.PARENT, "父亲": Relation.PARENT, "母亲": Relation.PARENT,
    "孙子女": Relation.GRANDCHILD, "孙子": Relation.GRANDCHILD, "孙女": Relation.GRANDCHILD,
    "兄弟姐妹": Relation.SIBLING, "兄弟": Relation.SIBLING, "姐妹": Relation.SIBLING,
    "其他亲属": Relation.RELATIVE, "租客": Relation.TENANT, "其他": Relation.OTHER,
}
RELATION_LABELS = {
    Relation.HEAD: "户主", Relation.SPOUSE: "配偶", Relation.CHILD: "子女", Relation.PARENT: "父母",
    Relation.GRANDCHILD: "孙子女", Relation.SIBLING: "兄弟姐妹", Relation.RELATIVE: "其他亲属",
    Relation.TENANT: "租客", Relation.OTHER: "其他",
}
STATUSES = {
    "常住": ResidenceStatus.RESIDENT, "常住人口": ResidenceStatus.RESIDENT,
    "空挂": ResidenceStatus.REGISTERED_ONLY, "空挂户": ResidenceStatus.REGISTERED_ONLY,
    "流动": ResidenceStatus.TENANT, "流动人口": ResidenceStatus.TENANT,
}
STATUS_LABELS = {
    ResidenceStatus.RESIDENT: "常住", ResidenceStatus.REGISTERED_ONLY: "空挂", ResidenceStatus.TENANT: "流动",
}
TAG_VALUES = {"党员": "is_party_member", "五老": "is_five_elders", "退役军人": "is_veteran", "志愿者": "is_volunteer"}
GROUP_VALUES = {
    "独居老人": "is_elderly_alone", "留守儿童": "is_left_behind_child", "残障": "is_disabled",
    "低保": "has_low_income_allowance", "大病": "has_serious_illness", "特扶": "is_special_support",
}
# fmt: on
TAG_LABELS = {name: label for label, name in TAG_VALUES.items()}
GROUP_LABELS = {name: label for label, name in GROUP_VALUES.items()}
GROUP_VALUES["残疾"] = GROUP_VALUES["残疾人"] = "is_disabled"
TAG_FIELDS = [name for name, _label in PERSON_TAGS]
GROUP_FIELDS = [name for name, _label in SPECIAL_GROUPS]
_LIST_SPLIT = re.compile(r"[、,，;；\s]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Hostile uploads: limits checked before anything is parsed.
XLSX_MAX_UNPACKED = 50 * 1024 * 1024
XLSX_MAX_ENTRIES = 1000
XLSX_MAX_RATIO = 100
MAX_ROWS = 50_000
MAX_COLUMNS = 100
HEADER_SEARCH_ROWS = 10
# A sheet formatted down to row 1,048,576 ends here rather than after a million empty rows.
BLANK_ROWS_END = 1000
_CHUNK = 900

# Resident fields each column sets, for the "only columns present in the file are updated" rule.
COLUMN_FIELDS = {
    NAME: ["name"],
    PHONE: ["phone"],
    RELATION: ["relation"],
    STATUS: ["residence_status"],
    TAGS: TAG_FIELDS,
    GROUPS: GROUP_FIELDS,
    CONTACT: ["emergency_contact_name"],
    CONTACT_PHONE: ["emergency_contact_phone"],
    NOTE: ["note"],
}
LENGTH_LIMITS = {NAME: 50, ESTATE: 100, BUILDING: 50, ENTRANCE: 50, ROOM: 20, CONTACT: 50, NOTE: 500}


class RosterFileError(ValueError):
    """The file is not a readable roster; the message says what to do."""


@dataclass
class RosterRow:
    number: int  # the row's number in the spreadsheet, as the user sees it
    raw: list[str]  # the cells as read, in the file's column order
    values: dict[str, str]  # known column → cleaned text
    errors: list[str] = field(default_factory=list)
    fields: dict = field(default_factory=dict)  # resident fields read from the row
    id_number: str = ""
    digest: str = ""
    address: tuple[str, str, str, str] = ("", "", "", "")
    id_was_number: bool = False  # Excel turned the ID number into a number, losing its last digits

    @property
    def name(self) -> str:
        return self.values.get(NAME, "")

    @property
    def message(self) -> str:
        return pgettext("list separator", "; ").join(self.errors)


@dataclass
class RosterTable:
    headers: list[str]  # the header row as in the file
    columns: dict[str, int]  # known column → index
    rows: list[RosterRow]


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    estates: int = 0
    buildings: int = 0
    entrances: int = 0
    households: int = 0
    households_registered_only: int = 0
    dry_run: bool = False
    headers: list[str] = field(default_factory=list)
    rejected_rows: list[RosterRow] = field(default_factory=list)

    def line(self) -> str:
        """The machine-read summary line; its format is fixed."""
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, rejected {self.rejected}"

    def places_line(self) -> str:
        return (
            f"estates created {self.estates}, buildings created {self.buildings}, "
            f"entrances created {self.entrances}, households created {self.households}"
        )


# ---------------------------------------------------------------------------------------------------
# Reading


def roster_read(data: bytes) -> RosterTable:
    """Parse an uploaded roster (.xlsx or CSV, told by content) into rows. Raises RosterFileError."""
    if not data:
        raise RosterFileError(_("The file is empty."))
    limit = settings.LINLI_MAX_UPLOAD_BYTES
    if len(data) > limit:
        raise RosterFileError(
            _("The file is larger than %(limit)s MB; split it into smaller files.")
            % {"limit": limit // (1024 * 1024)}
        )
    if data.startswith(b"PK\x03\x04"):
        grid = _xlsx_rows(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterFileError(
            _(
                "This is an old Excel file (.xls). Open it in Excel or WPS, save it as .xlsx and upload it again."
            )
        )
    else:
        grid = _csv_rows(data)
    return _table(grid)


def _not_a_roster() -> RosterFileError:
    return RosterFileError(_("This file is neither an Excel workbook (.xlsx) nor a CSV text file."))


def _xlsx_rows(data: bytes):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _not_a_roster() from exc
    unpacked = sum(e.file_size for e in entries)
    packed = sum(e.compress_size for e in entries)
    bomb = (
        len(entries) > XLSX_MAX_ENTRIES
        or unpacked > XLSX_MAX_UNPACKED
        or unpacked > XLSX_MAX_RATIO * max(packed, 1)
        or any(
            e.file_size > XLSX_MAX_RATIO * max(e.compress_size, 1)
            for e in entries
            if e.file_size > 1024 * 1024
        )
    )
    if bomb:
        raise RosterFileError(
            _("The workbook unpacks to too much data or holds too many parts; it was refused.")
        )
    if "xl/workbook.xml" not in {e.filename for e in entries}:
        raise _not_a_roster()
    try:
        # openpyxl parses the XML with defusedxml (openpyxl.DEFUSEDXML), so entity tricks are refused.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file; all mean the same to the user
        raise _unreadable_workbook() from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise _unreadable_workbook()
        rows, blank_run = [], 0
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            blank_run = blank_run + 1 if _blank(values) else 0
            if blank_run >= BLANK_ROWS_END:
                break
            rows.append(list(values))
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS + BLANK_ROWS_END:
                raise _too_many_rows()
        return rows
    except RosterFileError:
        raise
    except Exception as exc:
        raise _unreadable_workbook() from exc
    finally:
        workbook.close()


def _too_many_rows() -> RosterFileError:
    return RosterFileError(
        _("The file has more than %(limit)s rows; split it into smaller files.") % {"limit": MAX_ROWS}
    )


def _unreadable_workbook() -> RosterFileError:
    return RosterFileError(
        _("The workbook could not be read. Open it in Excel or WPS, save it again as .xlsx and retry.")
    )


def _csv_rows(data: bytes):
    if b"\x00" in data[:4096]:
        raise _not_a_roster()
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise RosterFileError(_('The CSV file\'s text encoding is not recognised; save it as "CSV UTF-8".'))
    if any(unicodedata.category(ch) == "Cc" and ch not in "\r\n\t" for ch in text[:4096]):
        raise _not_a_roster()
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _not_a_roster() from exc


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "isoformat"):
        value = value.isoformat()
        if value.endswith("T00:00:00"):
            value = value[:-9]
    return str(value).strip()


def _blank(values) -> bool:
    return all(_cell_text(v) == "" for v in values)


def _header_name(value) -> str:
    name = re.sub(r"[\s*＊:：]", "", unicodedata.normalize("NFKC", _cell_text(value)))
    return HEADER_ALIASES.get(name, name)


def _unquote(text: str) -> str:
    """Undo the quote an export puts before formula-like text, so an export imports unchanged."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def _table(grid) -> RosterTable:
    header_index = None
    for index, values in enumerate(grid[:HEADER_SEARCH_ROWS]):
        names = {_header_name(v) for v in values}
        if NAME in names and ID_NUMBER in names:
            header_index = index
            break
    if header_index is None:
        raise RosterFileError(
            _("No header row found: one of the first rows must hold the column names, such as %(examples)s.")
            % {"examples": "、".join(REQUIRED_COLUMNS)}
        )
    headers = [_cell_text(v) for v in grid[header_index]]
    # Sheets are read padded to MAX_COLUMNS; cells right of the last header belong to no column.
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    columns: dict[str, int] = {}
    for index, value in enumerate(grid[header_index]):
        name = _header_name(value)
        if name in COLUMNS:
            if name in columns:
                raise RosterFileError(_("The column %(column)s appears twice; keep one.") % {"column": name})
            columns[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise RosterFileError(
            _("These required columns are missing: %(columns)s.") % {"columns": "、".join(missing)}
        )
    rows = []
    blank_run = 0
    for offset, values in enumerate(grid[header_index + 1 :], start=header_index + 2):
        if _blank(values):
            blank_run += 1
            if blank_run >= BLANK_ROWS_END:
                break
            continue
        blank_run = 0
        if len(rows) >= MAX_ROWS:
            raise _too_many_rows()
        raw = [_cell_text(v) for v in values[:width]]
        cleaned = {name: _unquote(raw[index]) if index < len(raw) else "" for name, index in columns.items()}
        row = RosterRow(number=offset, raw=raw, values=cleaned)
        if ID_NUMBER in columns and columns[ID_NUMBER] < len(values):
            cell = values[columns[ID_NUMBER]]
            row.id_was_number = isinstance(cell, int | float) and not isinstance(cell, bool)
        rows.append(row)
    if not rows:
        raise RosterFileError(_("The file holds no residents: there are no rows below the header."))
    return RosterTable(headers=headers, columns=columns, rows=rows)


# ---------------------------------------------------------------------------------------------------
# Validation


def _address_part(text: str) -> str:
    return address_clean(text)


def _one_of(row: RosterRow, column: str, mapping: dict, default):
    value = row.values.get(column, "").strip()
    if not value:
        return default
    if value not in mapping:
        row.errors.append(
            _("%(column)s: unknown value %(value)s; allowed: %(allowed)s.")
            % {"column": column, "value": value, "allowed": "、".join(_canonical(mapping))}
        )
        return default
    return mapping[value]


def _canonical(mapping: dict) -> list[str]:
    """The first label of each value: the ones to suggest in a message."""
    seen, labels = set(), []
    for label, value in mapping.items():
        if value not in seen:
            seen.add(value)
            labels.append(label)
    return labels


def _flags(row: RosterRow, column: str, mapping: dict, names: list[str]) -> dict[str, bool]:
    flags = dict.fromkeys(names, False)
    unknown = []
    for word in _LIST_SPLIT.split(row.values.get(column, "").strip()):
        if not word:
            continue
        if word in mapping:
            flags[mapping[word]] = True
        else:
            unknown.append(word)
    if unknown:
        row.errors.append(
            _("%(column)s: unknown value %(value)s; allowed: %(allowed)s.")
            % {"column": column, "value": "、".join(unknown), "allowed": "、".join(_canonical(mapping))}
        )
    return flags


def _phone(row: RosterRow, column: str) -> str:
    value = row.values.get(column, "").strip()
    if not value:
        return ""
    try:
        return identity.phone_validate(value)
    except identity.InvalidIdentity as exc:
        row.errors.append(_("%(column)s: %(problem)s") % {"column": column, "problem": exc})
        return ""


def row_validate(row: RosterRow, columns: dict[str, int]) -> None:
    """Check one row on its own, filling row.fields and adding every problem to row.errors."""
    values = row.values
    row.errors = []
    if row.id_was_number:
        row.errors.append(
            _(
                "%(column)s was saved as a number and lost digits; format the column as text and type it again."
            )
            % {"column": ID_NUMBER}
        )
    for column in REQUIRED_COLUMNS:
        if not values.get(column, "").strip():
            row.errors.append(_("%(column)s is required.") % {"column": column})
    for column, limit in LENGTH_LIMITS.items():
        if len(values.get(column, "").strip()) > limit:
            row.errors.append(
                _("%(column)s is too long (at most %(limit)s characters).")
                % {"column": column, "limit": limit}
            )
    facts = None
    raw_id = values.get(ID_NUMBER, "").strip()
    if raw_id and not row.id_was_number:
        try:
            facts = identity.id_number_parse(raw_id)
        except identity.InvalidIdentity as exc:
            row.errors.append(_("%(column)s: %(problem)s") % {"column": ID_NUMBER, "problem": exc})
    gender = _one_of(row, GENDER, GENDERS, None)
    if gender and facts and gender != facts.gender:
        row.errors.append(
            _("%(column)s does not agree with the ID number, which gives %(expected)s; check both.")
            % {"column": GENDER, "expected": GENDER_LABELS[facts.gender]}
        )
    fields = {
        "name": values.get(NAME, "").strip(),
        "phone": _phone(row, PHONE),
        "relation": _one_of(row, RELATION, RELATIONS, Relation.HEAD),
        "residence_status": _one_of(row, STATUS, STATUSES, ResidenceStatus.RESIDENT),
        "emergency_contact_name": values.get(CONTACT, "").strip(),
        "emergency_contact_phone": _phone(row, CONTACT_PHONE),
        "note": values.get(NOTE, "").strip(),
    }
    fields.update(_flags(row, TAGS, TAG_VALUES, TAG_FIELDS))
    fields.update(_flags(row, GROUPS, GROUP_VALUES, GROUP_FIELDS))
    # Columns absent from the file leave those fields of existing residents alone.
    present = {f for column, names in COLUMN_FIELDS.items() if column in columns for f in names}
    row.fields = {name: value for name, value in fields.items() if name in present}
    if facts is not None:
        row.id_number = facts.number
        row.digest = identity.id_number_digest(facts.number)
        row.fields.update(gender=facts.gender, birth_date=facts.birth_date)
    row.address = tuple(_address_part(values.get(c, "")) for c in (ESTATE, BUILDING, ENTRANCE, ROOM))


def _mark_duplicates(rows: list[RosterRow]) -> None:
    by_digest: dict[str, list[RosterRow]] = defaultdict(list)
    for row in rows:
        if row.digest:
            by_digest[row.digest].append(row)
    for same in by_digest.values():
        if len(same) < 2:
            continue
        for row in same:
            others = "、".join(str(r.number) for r in same if r is not row)
            row.errors.append(
                _("The same ID number is also on row %(rows)s; keep only one of them.") % {"rows": others}
            )


def _chunks(items: list, size: int = _CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_residents(digests: list[str]) -> dict[str, Resident]:
    found = {}
    for chunk in _chunks(digests):
        for resident in Resident.objects.filter(id_number_digest__in=chunk).select_related("household"):
            found[resident.id_number_digest] = resident
    return found


# ---------------------------------------------------------------------------------------------------
# Import


class _Places:
    """The community's estates, buildings, entrances and households, read in four queries."""

    def __init__(self, community: TerritoryUnit):
        self.community = community
        self.cache: dict = {}  # in the key format territory.services.entrance_get_or_create uses
        pk = community.pk
        for estate in Estate.objects.filter(community=community):
            self.cache[(pk, estate.name)] = estate
        for building in Building.objects.filter(estate__community=community).select_related("estate"):
            self.cache[(pk, building.estate.name, building.name)] = building
        for entrance in Entrance.objects.filter(building__estate__community=community).select_related(
            "building__estate"
        ):
            self.cache[(pk, entrance.building.estate.name, entrance.building.name, entrance.name)] = entrance
        self.entrance_keys = {
            (e.building.estate.name, e.building.name, e.name): e for k, e in self.cache.items() if len(k) == 4
        }
        self.households = {
            (h.entrance_id, h.room): h
            for h in Household.objects.filter(entrance__building__estate__community=community)
        }

    def household(self, address) -> Household | None:
        estate, building, entrance_name, room = address
        entrance = self.entrance_keys.get((estate, building, entrance_name))
        return self.households.get((entrance.pk, room)) if entrance else None

    def missing(self, addresses) -> tuple[int, int, int]:
        pk = self.community.pk
        estates = {(pk, a[0]) for a in addresses} - self.cache.keys()
        buildings = {(pk, a[0], a[1]) for a in addresses} - self.cache.keys()
        entrances = {(pk, a[0], a[1], a[2]) for a in addresses} - self.cache.keys()
        return len(estates), len(buildings), len(entrances)


def _resident_changes(resident: Resident, fields: dict, household_pk: int | None) -> list[str]:
    changed = []
    for name, value in fields.items():
        if getattr(resident, name) != value:
            setattr(resident, name, value)
            changed.append(name)
    if "name" in fields:
        pinyin, initials = pinyin_forms(resident.name)
        for name, value in (("name_pinyin", pinyin), ("name_initials", initials)):
            if getattr(resident, name) != value:
                setattr(resident, name, value)
                changed.append(name)
    if household_pk is None or household_pk != resident.household_id:
        changed.append("household")  # moved within the community; set once the household exists
    return changed


def _resident_new(row: RosterRow, household: Household) -> Resident:
    resident = Resident(household=household, **row.fields)
    # The same derived fields people.services.resident_save sets, from the same functions.
    resident.set_id_number(row.id_number)
    resident.name_pinyin, resident.name_initials = pinyin_forms(resident.name)
    return resident


def roster_import(
    *,
    actor,
    community: TerritoryUnit,
    data: bytes | None = None,
    table: RosterTable | None = None,
    dry_run: bool = False,
    source_name: str = "",
    request=None,
) -> ImportSummary:
    """Validate a roster and upsert its valid rows into `community`, all in one transaction.

    Residents are keyed on the ID number, households on estate + building + entrance + room; missing
    estates, buildings and entrances are created. `dry_run` validates and counts without writing.
    Raises RosterFileError when the file is not a readable roster.
    """
    if table is None:
        table = roster_read(data or b"")
    summary = ImportSummary(dry_run=dry_run, headers=table.headers)
    rows = table.rows
    for row in rows:
        row_validate(row, table.columns)
    _mark_duplicates(rows)

    with transaction.atomic():
        existing = _existing_residents([r.digest for r in rows if r.digest])
        for row in rows:
            resident = existing.get(row.digest)
            if resident is not None and resident.household.community_id != community.pk:
                row.errors.append(
                    _(
                        "This ID number belongs to a resident of another community; that community must move them first."
                    )
                )
        valid = [r for r in rows if not r.errors]
        summary.rejected_rows = [r for r in rows if r.errors]
        summary.rejected = len(summary.rejected_rows)

        places = _Places(community)
        addresses = {r.address for r in valid}
        summary.estates, summary.buildings, summary.entrances = places.missing(addresses)
        new_addresses = [a for a in dict.fromkeys(r.address for r in valid) if places.household(a) is None]
        summary.households = len(new_addresses)

        # Plan: which residents are new, changed or unchanged (on copies: nothing is written yet).
        plans = []
        for row in valid:
            resident = existing.get(row.digest)
            if resident is None:
                summary.created += 1
                plans.append((row, None, []))
                continue
            household = places.household(row.address)
            changed = _resident_changes(resident, row.fields, household.pk if household else None)
            if changed:
                summary.updated += 1
            else:
                summary.unchanged += 1
            plans.append((row, resident, changed))
        if dry_run:
            transaction.set_rollback(True)
            return summary
        _apply(
            actor=actor,
            community=community,
            places=places,
            plans=plans,
            new_addresses=new_addresses,
            summary=summary,
        )
        if actor is not None:
            access_log_record(
                actor=actor,
                action=AccessAction.IMPORT,
                request=request,
                detail={
                    "community": community.pk,
                    "file": source_name,
                    "created": summary.created,
                    "updated": summary.updated,
                    "unchanged": summary.unchanged,
                    "rejected": summary.rejected,
                },
            )
    return summary


def _apply(*, actor, community, places: _Places, plans, new_addresses, summary: ImportSummary) -> None:
    now = timezone.now()
    # Estates, buildings and entrances: through the territory service, with the prefilled cache.
    for estate, building, entrance_name in dict.fromkeys(a[:3] for a in new_addresses):
        if (estate, building, entrance_name) in places.entrance_keys:
            continue
        entrance, _created = entrance_get_or_create(
            community=community,
            estate_name=estate,
            building_name=building,
            entrance_name=entrance_name,
            cache=places.cache,
        )
        places.entrance_keys[(estate, building, entrance_name)] = entrance

    # Households: new ones start outside any cell; 空挂 when every member in the file is 空挂.
    statuses: dict[tuple, set] = defaultdict(set)
    for row, resident, _changed in plans:
        status = row.fields.get("residence_status") or (
            resident.residence_status if resident else ResidenceStatus.RESIDENT
        )
        statuses[row.address].add(status)
    new_households = []
    for address in new_addresses:
        all_registered_only = statuses[address] == {ResidenceStatus.REGISTERED_ONLY}
        new_households.append(
            Household(
                community=community,
                entrance=places.entrance_keys[address[:3]],
                room=address[3],
                floor=floor_from_room(address[3]),
                cell=None,
                status=HouseholdStatus.REGISTERED_ONLY if all_registered_only else HouseholdStatus.RESIDENT,
            )
        )
    if new_households:
        created = bulk_create_with_history(new_households, Household, batch_size=500, default_user=actor)
        for household in created:
            places.households[(household.entrance_id, household.room)] = household

    to_create, to_update, update_fields = [], [], set()
    for row, resident, changed in plans:
        household = places.household(row.address)
        if resident is None:
            to_create.append(_resident_new(row, household))
        elif changed:
            if "household" in changed:
                resident.household = household
            resident.updated_at = now
            to_update.append(resident)
            update_fields.update(changed)
    if to_create:
        bulk_create_with_history(to_create, Resident, batch_size=500, default_user=actor)
    if to_update:
        bulk_update_with_history(
            to_update, Resident, sorted(update_fields | {"updated_at"}), batch_size=500, default_user=actor
        )
    _mark_registered_only(
        actor=actor, places=places, plans=plans, new_addresses=new_addresses, summary=summary
    )
    from care.services import care_plans_sync  # care builds on the registry: import late

    care_plans_sync(community=community)


def _mark_registered_only(*, actor, places: _Places, plans, new_addresses, summary: ImportSummary) -> None:
    """An existing household the file touches whose members are now all 空挂 becomes a 空挂户 (and leaves
    its cell, as people.services.household_set_status does). The import never turns one back."""
    new = set(new_addresses)
    touched = {places.household(row.address).pk for row, _r, _c in plans if row.address not in new}
    if not touched:
        return
    touched_ids = sorted(touched)
    living = set()
    for chunk in _chunks(touched_ids):
        living.update(
            Resident.objects.filter(household_id__in=chunk)
            .exclude(residence_status=ResidenceStatus.REGISTERED_ONLY)
            .values_list("household_id", flat=True)
        )
    by_pk = {h.pk: h for h in places.households.values()}
    marked = []
    for pk in touched_ids:
        household = by_pk[pk]
        if pk not in living and household.status == HouseholdStatus.RESIDENT:
            household.status, household.cell = HouseholdStatus.REGISTERED_ONLY, None
            household.updated_at = timezone.now()
            marked.append(household)
    if marked:
        bulk_update_with_history(marked, Household, ["status", "cell", "updated_at"], default_user=actor)
    summary.households_registered_only = len(marked)


# ---------------------------------------------------------------------------------------------------
# Workbooks


def neutralise(value) -> str:
    """A cell a spreadsheet would run as a formula gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _workbook_bytes(title: str, header: list[str], rows) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for values in rows:
        sheet.append([neutralise(v) for v in values])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def roster_error_workbook(summary: ImportSummary) -> bytes:
    """The rejected rows as they were, with a last column 错误说明 saying what to fix."""
    headers = [h for h in summary.headers]
    width = max([len(headers)] + [len(r.raw) for r in summary.rejected_rows])
    headers += [""] * (width - len(headers))
    rows = ([*row.raw, *[""] * (width - len(row.raw)), row.message] for row in summary.rejected_rows)
    return _workbook_bytes("rejected", [*headers, ERROR_COLUMN], rows)


# ---------------------------------------------------------------------------------------------------
# Export


_EXPORT_ONLY = [
    "name",
    "gender",
    "id_number_ciphertext",
    "id_number_masked",
    "phone",
    "relation",
    "residence_status",
    "emergency_contact_name",
    "emergency_contact_phone",
    "note",
    *TAG_FIELDS,
    *GROUP_FIELDS,
    "household__room",
    "household__entrance__name",
    "household__entrance__building__name",
    "household__entrance__building__estate__name",
]


def _export_row(resident: Resident, masked: bool) -> list[str]:
    entrance = resident.household.entrance
    if masked:
        id_number, phone = resident.id_number_masked, resident.phone_masked
        contact_phone = resident.emergency_phone_masked
    else:
        id_number, phone = resident.reveal_id_number(), resident.phone
        contact_phone = resident.emergency_contact_phone
    return [
        resident.name,
        GENDER_LABELS.get(resident.gender, ""),
        id_number,
        phone,
        RELATION_LABELS.get(resident.relation, ""),
        entrance.building.estate.name,
        entrance.building.name,
        entrance.name,
        resident.household.room,
        STATUS_LABELS.get(resident.residence_status, ""),
        "、".join(TAG_LABELS[f] for f in TAG_FIELDS if getattr(resident, f)),
        "、".join(GROUP_LABELS[f] for f in GROUP_FIELDS if getattr(resident, f)),
        resident.emergency_contact_name,
        contact_phone,
        resident.note,
    ]


def roster_export(*, actor, masked: bool = False, request=None) -> tuple[bytes, int]:
    """Every resident `actor` may see, as an .xlsx with the roster's headers; logged with the row count.

    ID numbers and phones are masked unless the actor may reveal ID numbers and did not ask for `masked`.
    Returns the workbook and the number of residents in it.
    """
    from accounts.scope import scope_for

    masked = masked or not scope_for(actor).can_reveal_id_numbers
    residents = (
        Resident.objects.visible_to(actor)
        .select_related("household__entrance__building__estate")
        .only(*_EXPORT_ONLY)
        .order_by(
            "household__entrance__building__estate__name",
            "household__entrance__building__name",
            "household__entrance__name",
            "household__room",
            "household_id",
            "id",
        )
    )
    rows = [_export_row(r, masked) for r in residents]
    data = _workbook_bytes("roster", COLUMNS, rows)
    access_log_record(
        actor=actor, action=AccessAction.EXPORT, request=request, detail={"rows": len(rows), "masked": masked}
    )
    return data, len(rows)
