"""Roster import (people.roster and manage.py import_roster): reading, validation, upsert, error workbook."""

import csv
import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.utils import translation

from audit.models import AccessAction, AccessLog
from linli.testing import make_id_number
from people import identity
from people.models import Household, HouseholdStatus, Relation, Resident
from people.roster import (
    COLUMNS,
    ERROR_COLUMN,
    RosterFileError,
    roster_error_workbook,
    roster_import,
    roster_read,
)
from territory.models import Building, Entrance, Estate


@pytest.fixture(autouse=True)
def _messages_in_english():
    """These tests read error messages; they check the English msgids (the Chinese is checked by
    web/tests/test_translations.py)."""
    with translation.override("en"):
        yield


def roster_row(**values) -> dict:
    row = {
        "姓名": "李秀英",
        "性别": "女",
        "身份证号": make_id_number(datetime.date(1948, 2, 3), "F"),
        "联系电话": "13812340000",
        "与户主关系": "户主",
        "小区": "阳光小区",
        "楼栋": "5栋",
        "单元": "1单元",
        "房号": "1203",
        "居住状态": "常住",
        "人员标签": "",
        "重点人群": "",
        "紧急联系人": "",
        "紧急联系电话": "",
        "备注": "",
    }
    row.update(values)
    return row


def xlsx_bytes(rows: list[dict], headers=COLUMNS, title_rows=()) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for title in title_rows:
        sheet.append(title)
    sheet.append(list(headers))
    for row in rows:
        sheet.append([row.get(h, "") for h in headers])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: list[dict], headers=COLUMNS, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    return out.getvalue().encode(encoding)


def run(cast, data, **kwargs):
    kwargs.setdefault("actor", cast.staff)
    return roster_import(community=cast.community, data=data, **kwargs)


def only_message(summary) -> str:
    assert summary.rejected == 1, [r.message for r in summary.rejected_rows]
    return summary.rejected_rows[0].message


# --- creating ------------------------------------------------------------------------------------


def test_valid_row_creates_resident_with_derived_fields(cast):
    number = make_id_number(datetime.date(1948, 2, 3), "F")
    summary = run(
        cast, xlsx_bytes([roster_row(身份证号=number, 人员标签="党员、志愿者", 重点人群="独居老人 低保")])
    )

    assert summary.line() == "created 1, updated 0, unchanged 0, rejected 0"
    resident = Resident.objects.get(id_number_digest=identity.id_number_digest(number))
    assert (resident.name_pinyin, resident.name_initials) == ("lixiuying", "lxy")
    assert resident.birth_date == datetime.date(1948, 2, 3) and resident.gender == "F"
    assert resident.reveal_id_number() == number and resident.id_number_masked == identity.id_number_mask(
        number
    )
    assert resident.is_party_member and resident.is_volunteer and not resident.is_veteran
    assert resident.is_elderly_alone and resident.has_low_income_allowance and not resident.is_disabled
    assert resident.history.get().history_user == cast.staff


def test_new_household_starts_outside_any_cell_with_floor_from_room(cast):
    summary = run(cast, xlsx_bytes([roster_row(房号="1203")]))

    household = Household.objects.get(room="1203")
    assert household.cell is None and household.floor == 12 and household.community == cast.community
    assert household.status == HouseholdStatus.RESIDENT
    assert household.history.get().history_user == cast.staff
    assert (summary.estates, summary.buildings, summary.entrances, summary.households) == (0, 1, 1, 1)


def test_missing_estates_buildings_and_entrances_are_created_and_counted(cast):
    rows = [
        roster_row(小区="新苑小区", 楼栋="1栋", 单元="1单元", 房号="101"),
        roster_row(身份证号=make_id_number(), 小区="新苑小区", 楼栋="1栋", 单元="2单元", 房号="101"),
        roster_row(身份证号=make_id_number(), 小区="新苑小区", 楼栋="2栋", 单元="", 房号="101"),
        roster_row(身份证号=make_id_number(), 小区="阳光小区", 楼栋="1栋", 单元="1单元", 房号="909"),
    ]
    summary = run(cast, csv_bytes(rows))

    assert (summary.estates, summary.buildings, summary.entrances, summary.households) == (1, 2, 3, 4)
    assert Estate.objects.filter(community=cast.community, name="新苑小区").exists()
    assert Entrance.objects.filter(building__estate__name="新苑小区").count() == 3
    assert Building.objects.filter(estate__name="阳光小区").count() == 3  # 1栋, 2栋, 3栋 of the cast


def test_members_of_one_address_share_one_household(cast):
    head = roster_row()
    spouse = roster_row(姓名="王大山", 性别="男", 身份证号=make_id_number(gender="M"), 与户主关系="丈夫")
    run(cast, xlsx_bytes([head, spouse]))

    household = Household.objects.get(room="1203")
    assert sorted(household.members.values_list("relation", flat=True)) == [Relation.HEAD, Relation.SPOUSE]


def test_household_whose_members_are_all_registered_only_is_marked(cast):
    rows = [
        roster_row(居住状态="空挂"),
        roster_row(身份证号=make_id_number(), 居住状态="空挂"),
        roster_row(身份证号=make_id_number(), 房号="1204", 居住状态="空挂"),
        roster_row(身份证号=make_id_number(), 房号="1204", 居住状态="流动"),
    ]
    run(cast, xlsx_bytes(rows))

    assert Household.objects.get(room="1203").status == HouseholdStatus.REGISTERED_ONLY
    assert Household.objects.get(room="1204").status == HouseholdStatus.RESIDENT


def test_existing_household_left_with_only_registered_only_members_leaves_its_cell(cast):
    member = cast.h1.members.get()
    row = roster_row(
        姓名=member.name, 身份证号=member.reveal_id_number(), 楼栋="1栋", 房号="101", 居住状态="空挂"
    )
    run(cast, xlsx_bytes([row]))

    cast.h1.refresh_from_db()
    assert cast.h1.status == HouseholdStatus.REGISTERED_ONLY and cast.h1.cell is None


# --- validating ----------------------------------------------------------------------------------


def test_bad_checksum_is_rejected(cast):
    good = make_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    message = only_message(run(cast, xlsx_bytes([roster_row(身份证号=bad)])))

    assert "身份证号" in message and "check character" in message
    assert not Resident.objects.filter(name="李秀英").exists()


def test_gender_disagreeing_with_the_id_number_is_rejected(cast):
    message = only_message(
        run(cast, xlsx_bytes([roster_row(性别="男", 身份证号=make_id_number(gender="F"))]))
    )

    assert "性别" in message and "女" in message


def test_ten_digit_phone_is_rejected(cast):
    message = only_message(run(cast, xlsx_bytes([roster_row(联系电话="1381234000")])))

    assert "联系电话" in message and "11 digits" in message


def test_missing_name_is_rejected(cast):
    message = only_message(run(cast, xlsx_bytes([roster_row(姓名="")])))

    assert "姓名" in message


def test_unknown_residence_status_is_rejected_listing_allowed_values(cast):
    message = only_message(run(cast, xlsx_bytes([roster_row(居住状态="暂住")])))

    assert "居住状态" in message and "暂住" in message and "常住、空挂、流动" in message


def test_unknown_tag_is_rejected(cast):
    message = only_message(run(cast, xlsx_bytes([roster_row(人员标签="党员，劳模")])))

    assert "人员标签" in message and "劳模" in message and "党员" not in message.split("劳模")[0][-3:]


def test_every_problem_of_a_row_is_in_one_message(cast):
    row = roster_row(姓名="", 联系电话="12345", 居住状态="暂住", 与户主关系="邻居", 房号="")
    message = only_message(run(cast, xlsx_bytes([row])))

    for column in ("姓名", "联系电话", "居住状态", "与户主关系", "房号"):
        assert column in message


def test_duplicate_id_number_in_file_rejects_both_rows_naming_the_other(cast):
    number = make_id_number()
    rows = [roster_row(身份证号=number), roster_row(), roster_row(身份证号=number, 房号="1204")]
    rows[1]["身份证号"] = make_id_number()
    summary = run(cast, xlsx_bytes(rows))

    assert (summary.created, summary.rejected) == (1, 2)
    first, second = summary.rejected_rows
    assert (first.number, second.number) == (2, 4)
    assert "4" in first.message and "2" in second.message


def test_id_number_of_a_resident_in_another_community_is_rejected(cast):
    other = cast.hb.members.get()
    message = only_message(
        run(cast, xlsx_bytes([roster_row(姓名=other.name, 性别="男", 身份证号=other.reveal_id_number())]))
    )

    assert "another community" in message
    other.refresh_from_db()
    assert other.household_id == cast.hb.pk


def test_id_number_saved_as_a_number_is_explained(cast):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    values = roster_row()
    values["身份证号"] = float(values["身份证号"][:17] + "0")
    sheet.append([values[h] for h in COLUMNS])
    out = io.BytesIO()
    workbook.save(out)

    assert "as a number" in only_message(run(cast, out.getvalue()))


# --- reading -------------------------------------------------------------------------------------


def test_shuffled_columns_import_the_same(cast):
    headers = list(reversed(COLUMNS))
    summary = run(cast, xlsx_bytes([roster_row(联系电话="13912345678")], headers=headers))

    assert summary.created == 1
    assert Resident.objects.get(name="李秀英").phone == "13912345678"


def test_extra_columns_are_ignored(cast):
    headers = ["序号", *COLUMNS[:5], "民族", *COLUMNS[5:], "文化程度"]
    rows = [dict(roster_row(), 序号="1", 民族="汉族", 文化程度="=cmd|' /C calc'!A0")]
    summary = run(cast, xlsx_bytes(rows, headers=headers))

    assert summary.line() == "created 1, updated 0, unchanged 0, rejected 0"


def test_header_row_may_stand_below_a_title_row(cast):
    summary = run(cast, xlsx_bytes([roster_row()], title_rows=[["幸福社区居民花名册"], []]))

    assert summary.created == 1


def test_optional_columns_may_be_missing(cast):
    headers = ["姓名", "身份证号", "小区", "楼栋", "房号"]
    summary = run(cast, csv_bytes([roster_row()], headers=headers))

    assert summary.created == 1
    assert Resident.objects.get(name="李秀英").relation == Relation.HEAD


def test_missing_required_headers_are_named(cast):
    headers = ["姓名", "身份证号", "楼栋"]
    with pytest.raises(RosterFileError) as error:
        run(cast, csv_bytes([roster_row()], headers=headers))

    assert "小区" in str(error.value) and "房号" in str(error.value)


def test_csv_with_bom_and_full_width_digits_is_read(cast):
    number = make_id_number(gender="M")
    full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    row = roster_row(性别="男", 身份证号=full_width, 联系电话="１３８ １２３４ ５６７８")
    data = csv_bytes([row], encoding="utf-8-sig")
    assert data.startswith(b"\xef\xbb\xbf")

    summary = run(cast, data)

    assert summary.created == 1, [r.message for r in summary.rejected_rows]
    resident = Resident.objects.get(name="李秀英")
    assert resident.phone == "13812345678" and resident.reveal_id_number() == number


def test_csv_saved_by_chinese_excel_in_gb18030_is_read(cast):
    summary = run(cast, csv_bytes([roster_row()], encoding="gb18030"))

    assert summary.created == 1 and Resident.objects.filter(name="李秀英").exists()


def test_csv_without_bom_is_read(cast):
    assert run(cast, csv_bytes([roster_row()], encoding="utf-8")).created == 1


# --- hostile files -------------------------------------------------------------------------------


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_zip_bomb_is_refused_before_it_is_unpacked(db):
    bomb = zip_bytes(
        {"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>", "xl/big.xml": b"\0" * 60_000_000}
    )
    assert len(bomb) < 200_000

    with pytest.raises(RosterFileError, match="too much data"):
        roster_read(bomb)


def test_workbook_with_too_many_entries_is_refused(db):
    entries = {f"xl/part{n}.xml": b"<x/>" for n in range(1001)}
    entries["xl/workbook.xml"] = b"<x/>"

    with pytest.raises(RosterFileError, match="too many parts"):
        roster_read(zip_bytes(entries))


def test_xml_is_parsed_with_defusedxml(db):
    assert openpyxl.DEFUSEDXML is True


def test_workbook_with_xml_entity_expansion_is_refused(db):
    workbook = io.BytesIO(xlsx_bytes([roster_row()]))
    with zipfile.ZipFile(workbook) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    )
    sheet = entries["xl/worksheets/sheet1.xml"]
    entries["xl/worksheets/sheet1.xml"] = laughs + sheet[sheet.index(b"<worksheet") :]

    with pytest.raises(RosterFileError, match="could not be read"):
        roster_read(zip_bytes(entries))


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
        zip_bytes({"word/document.xml": b"<w/>"}),
        b"PK\x03\x04 this is no zip at all",
        "这不是花名册，只是一段文字。\n第二行".encode(),
        b"",
    ],
    ids=["png", "old-xls", "docx", "broken-zip", "plain-text", "empty"],
)
def test_file_that_is_not_a_roster_gets_a_clear_message(db, data):
    with pytest.raises(RosterFileError) as error:
        roster_read(data)

    assert str(error.value)


def test_file_above_the_upload_cap_is_refused(db, settings):
    settings.LINLI_MAX_UPLOAD_BYTES = 1000

    with pytest.raises(RosterFileError, match="larger than"):
        roster_read(csv_bytes([roster_row()] * 20))


# --- upsert --------------------------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing(cast):
    rows = [
        roster_row(),
        roster_row(身份证号=make_id_number(), 房号="1204", 人员标签="五老", 重点人群="大病"),
    ]
    data = xlsx_bytes(rows)
    run(cast, data)
    history_rows = Resident.history.count() + Household.history.count()

    summary = run(cast, data)

    assert summary.line() == "created 0, updated 0, unchanged 2, rejected 0"
    assert (summary.estates, summary.buildings, summary.entrances, summary.households) == (0, 0, 0, 0)
    assert Resident.history.count() + Household.history.count() == history_rows


def test_changed_row_updates_only_that_resident_and_keeps_history(cast):
    first, second = roster_row(), roster_row(身份证号=make_id_number(), 房号="1204")
    run(cast, xlsx_bytes([first, second]))

    first["联系电话"] = "13999998888"
    first["姓名"] = "李秀珍"
    summary = run(cast, xlsx_bytes([first, second]))

    assert summary.line() == "created 0, updated 1, unchanged 1, rejected 0"
    resident = Resident.objects.get(id_number_digest=identity.id_number_digest(first["身份证号"]))
    assert (resident.name, resident.phone, resident.name_initials) == ("李秀珍", "13999998888", "lxz")
    old, new = resident.history.order_by("history_id")
    assert (old.phone, new.phone) == ("13812340000", "13999998888")
    assert new.history_type == "~" and new.history_user == cast.staff


def test_changed_address_moves_the_resident_to_another_household(cast):
    row = roster_row()
    run(cast, xlsx_bytes([row]))

    row["房号"] = "502"
    summary = run(cast, xlsx_bytes([row]))

    assert summary.updated == 1 and summary.households == 1
    assert Resident.objects.get(name="李秀英").household.room == "502"


def test_existing_resident_keeps_fields_whose_column_is_absent(cast):
    member = cast.h1.members.get()
    assert member.is_elderly_alone
    headers = ["姓名", "身份证号", "小区", "楼栋", "单元", "房号"]
    row = roster_row(姓名=member.name, 身份证号=member.reveal_id_number(), 楼栋="1栋", 房号="101")

    summary = run(cast, csv_bytes([row], headers=headers))

    assert summary.unchanged == 1
    member.refresh_from_db()
    assert member.is_elderly_alone and member.emergency_contact_phone == "13900001111"


def test_ten_thousand_rows_import_in_bulk(cast):
    rows = []
    for n in range(10_000):
        birth = datetime.date(1940 + n % 60, 1 + n % 12, 1 + n % 28)
        gender = "M" if n % 2 else "F"
        rows.append(
            roster_row(
                姓名=f"居民{n}",
                性别="男" if gender == "M" else "女",
                身份证号=make_id_number(birth, gender, region=f"43{n % 100:02d}02", seq=n % 499),
                联系电话=f"139{n:08d}",
                楼栋=f"{10 + n // 1000}栋",
                单元=f"{1 + n // 250 % 4}单元",
                房号=f"{1 + n // 2 % 30}0{1 + n % 4}",
            )
        )
    summary = run(cast, csv_bytes(rows))

    assert summary.line() == "created 10000, updated 0, unchanged 0, rejected 0", summary.rejected_rows[:3]
    assert Resident.objects.filter(name__startswith="居民").count() == 10_000
    assert Resident.history.filter(name__startswith="居民").count() == 10_000
    assert summary.buildings == 10 and summary.entrances == 40


# --- error workbook, dry run, audit --------------------------------------------------------------


def test_error_workbook_holds_the_original_rows_and_what_to_fix(cast):
    headers = ["序号", *COLUMNS]
    rows = [
        dict(roster_row(), 序号="1"),
        dict(roster_row(身份证号=make_id_number(), 居住状态="暂住", 备注='=HYPERLINK("x")'), 序号="2"),
    ]
    summary = run(cast, csv_bytes(rows, headers=headers))

    sheet = openpyxl.load_workbook(io.BytesIO(roster_error_workbook(summary))).active
    table = [[c if c is not None else "" for c in r] for r in sheet.iter_rows(values_only=True)]
    assert table[0] == [*headers, ERROR_COLUMN]
    assert len(table) == 2
    assert table[1][0] == "2" and table[1][headers.index("居住状态")] == "暂住"
    assert table[1][headers.index("备注")] == '\'=HYPERLINK("x")'
    assert "居住状态" in table[1][-1]


def test_corrected_error_workbook_imports(cast):
    summary = run(cast, xlsx_bytes([roster_row(居住状态="暂住")]))
    sheet = openpyxl.load_workbook(io.BytesIO(roster_error_workbook(summary))).active
    sheet.cell(row=2, column=COLUMNS.index("居住状态") + 1, value="常住")
    out = io.BytesIO()
    sheet.parent.save(out)

    assert run(cast, out.getvalue()).line() == "created 1, updated 0, unchanged 0, rejected 0"


def test_dry_run_writes_nothing_and_counts_what_would_happen(cast):
    data = xlsx_bytes([roster_row(小区="新苑小区"), roster_row(身份证号=make_id_number(), 居住状态="暂住")])
    before = (
        Resident.objects.count(),
        Household.objects.count(),
        Estate.objects.count(),
        AccessLog.objects.count(),
    )

    preview = run(cast, data, dry_run=True)

    assert (
        Resident.objects.count(),
        Household.objects.count(),
        Estate.objects.count(),
        AccessLog.objects.count(),
    ) == before
    real = run(cast, data)
    assert preview.line() == real.line() == "created 1, updated 0, unchanged 0, rejected 1"
    assert (preview.estates, preview.buildings, preview.entrances, preview.households) == (1, 1, 1, 1)
    assert (real.estates, real.buildings, real.entrances, real.households) == (1, 1, 1, 1)


def test_import_by_a_known_actor_is_logged(cast):
    run(cast, xlsx_bytes([roster_row()]), source_name="花名册.xlsx")

    log = AccessLog.objects.get(action=AccessAction.IMPORT)
    assert log.user == cast.staff
    assert log.detail["created"] == 1 and log.detail["community"] == cast.community.pk
    assert log.detail["file"] == "花名册.xlsx"


def test_import_rejected_status_leaves_residents_as_they_were(cast):
    summary = run(cast, xlsx_bytes([roster_row(居住状态="暂住")]))

    assert summary.created == 0 and not Resident.objects.filter(name="李秀英").exists()
    assert summary.rejected_rows[0].number == 2


# --- the command ---------------------------------------------------------------------------------


def test_command_prints_the_summary_and_succeeds(cast, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes([roster_row()]))

    call_command("import_roster", str(path), community="幸福社区", actor="staff")

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "created 1, updated 0, unchanged 0, rejected 0"
    assert AccessLog.objects.filter(action=AccessAction.IMPORT, user=cast.staff).exists()


def test_command_exits_non_zero_and_writes_errors_when_rows_are_rejected(cast, tmp_path, capsys):
    path, errors = tmp_path / "roster.csv", tmp_path / "errors.xlsx"
    path.write_bytes(csv_bytes([roster_row(), roster_row(身份证号="123", 房号="1204")]))

    with pytest.raises(CommandError):
        call_command("import_roster", str(path), community="幸福社区", errors_out=str(errors))

    assert capsys.readouterr().out.splitlines()[0] == "created 1, updated 0, unchanged 0, rejected 1"
    sheet = openpyxl.load_workbook(errors).active
    assert sheet.cell(row=2, column=COLUMNS.index("身份证号") + 1).value == "123"
    assert not AccessLog.objects.exists()  # no actor named


def test_command_dry_run_writes_nothing(cast, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes([roster_row()]))

    call_command("import_roster", str(path), community="幸福社区", dry_run=True)

    assert capsys.readouterr().out.splitlines()[0] == "created 1, updated 0, unchanged 0, rejected 0"
    assert not Resident.objects.filter(name="李秀英").exists()


def test_command_refuses_an_unknown_community_and_a_non_roster(cast, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)

    with pytest.raises(CommandError, match="无此社区"):
        call_command("import_roster", str(path), community="无此社区")
    with pytest.raises(CommandError):
        call_command("import_roster", str(path), community="幸福社区")


def test_command_exit_status_is_non_zero_on_rejection(cast, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([roster_row(姓名="")]))

    # Run as from the shell (in-process, so it sees the test database): a CommandError exits with 1.
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "import_roster", str(path), "--community", "幸福社区"]).execute()

    assert exited.value.code == 1
