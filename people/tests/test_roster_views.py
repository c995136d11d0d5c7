"""Roster pages: upload → preview → confirm for staff, and the export of the viewer's scope."""

import datetime
import io

import openpyxl
import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AccessAction, AccessLog
from linli.testing import CAST_ROLES, CAST_VISIBLE_HOUSEHOLDS, make_id_number, make_resident
from people import identity
from people.models import Household, Resident
from people.roster import COLUMNS, ERROR_COLUMN, roster_import
from people.tests.test_roster import csv_bytes, roster_row, xlsx_bytes

CAST_NAMES = {"h1": "张桂莲", "h1b": "王建国", "h2": "刘芳", "h3": "陈明", "h_unplaced": "赵丽", "hb": "孙伟"}
IMPORT = reverse("people:roster_import")
EXPORT = reverse("people:roster_export")


@pytest.fixture(autouse=True)
def _imports_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the default storage: waiting uploads live under imports/


def upload(client, cast, data: bytes, name="花名册.xlsx", community=None):
    file = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(IMPORT, {"community": (community or cast.community).pk, "file": file})


def token_of(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return response.url.rstrip("/").rsplit("/", 1)[-1]


def sheet_rows(content: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]


# --- import pages --------------------------------------------------------------------------------


def test_staff_uploads_previews_and_confirms_an_import(client, cast, tmp_path):
    client.force_login(cast.staff)
    assert client.get(IMPORT).status_code == 200
    rows = [roster_row(), roster_row(身份证号=make_id_number(), 房号="1204")]

    token = token_of(upload(client, cast, xlsx_bytes(rows)))
    preview = client.get(reverse("people:roster_import_preview", args=[token]))

    assert preview.status_code == 200
    assert preview.context["summary"].line() == "created 2, updated 0, unchanged 0, rejected 0"
    assert not Resident.objects.filter(name="李秀英").exists()
    assert (tmp_path / "imports" / token / "upload.bin").exists()

    done = client.post(reverse("people:roster_import_preview", args=[token]))

    assert done.status_code == 200 and done.context["done"]
    assert done.context["summary"].created == 2
    assert Resident.objects.filter(name="李秀英").count() == 2
    assert not (tmp_path / "imports" / token).exists()
    assert AccessLog.objects.filter(action=AccessAction.IMPORT, user=cast.staff).count() == 1
    assert client.post(reverse("people:roster_import_preview", args=[token])).status_code == 404


def test_preview_lists_rejected_rows_and_serves_the_error_workbook(client, cast):
    client.force_login(cast.staff)
    rows = [roster_row(), roster_row(身份证号=make_id_number(), 联系电话="1381234000", 房号="1204")]
    token = token_of(upload(client, cast, csv_bytes(rows), name="roster.csv"))

    preview = client.get(reverse("people:roster_import_preview", args=[token]))
    errors = client.get(reverse("people:roster_import_errors", args=[token]))

    assert "联系电话" in preview.content.decode()
    assert errors.status_code == 200 and errors["Content-Type"].startswith("application/vnd.openxml")
    table = sheet_rows(errors.content)
    assert table[0][-1] == ERROR_COLUMN and table[1][COLUMNS.index("联系电话")] == "1381234000"


def test_rejected_rows_stay_downloadable_after_confirm(client, cast, tmp_path):
    client.force_login(cast.staff)
    rows = [roster_row(), roster_row(身份证号=make_id_number(), 居住状态="暂住", 房号="1204")]
    token = token_of(upload(client, cast, xlsx_bytes(rows)))

    client.post(reverse("people:roster_import_preview", args=[token]))

    assert not (tmp_path / "imports" / token / "upload.bin").exists()
    errors = client.get(reverse("people:roster_import_errors", args=[token]))
    assert errors.status_code == 200 and sheet_rows(errors.content)[1][COLUMNS.index("居住状态")] == "暂住"


@pytest.mark.parametrize("role", ["cell_leader", "group_leader", "area_leader", "resident", "outsider"])
def test_non_staff_cannot_use_the_import_page(client, cast, role):
    client.force_login(getattr(cast, role))

    assert client.get(IMPORT).status_code == 404
    assert upload(client, cast, xlsx_bytes([roster_row()])).status_code == 404
    assert not Resident.objects.filter(name="李秀英").exists()


def test_anonymous_visitor_is_sent_to_log_in(client, cast):
    assert client.get(IMPORT).status_code == 302


def test_only_the_uploader_may_preview_confirm_or_download(client, cast):
    client.force_login(cast.staff)
    token = token_of(upload(client, cast, xlsx_bytes([roster_row(居住状态="暂住")])))

    client.force_login(cast.street_admin)
    preview_url = reverse("people:roster_import_preview", args=[token])
    assert client.get(preview_url).status_code == 404
    assert client.post(preview_url).status_code == 404
    assert client.get(reverse("people:roster_import_errors", args=[token])).status_code == 404


def test_staff_cannot_import_into_a_community_they_do_not_manage(client, cast):
    client.force_login(cast.staff)

    response = upload(client, cast, xlsx_bytes([roster_row()]), community=cast.other_community)

    assert response.status_code == 200 and response.context["form"].errors["community"]
    assert not Resident.objects.filter(name="李秀英").exists()


def test_street_admin_chooses_among_the_street_communities(client, cast):
    client.force_login(cast.street_admin)

    choices = set(client.get(IMPORT).context["form"].fields["community"].queryset)

    assert choices == {cast.community, cast.other_community}


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "姓名,电话\n张三,1\n".encode()],
    ids=["image", "csv-without-required-columns"],
)
def test_file_that_is_not_a_roster_is_shown_back_with_a_message(client, cast, tmp_path, data):
    client.force_login(cast.staff)

    response = upload(client, cast, data, name="roster.xlsx")

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not (tmp_path / "imports").exists()


def test_file_above_the_cap_is_refused_with_a_message(client, cast, settings):
    settings.LINLI_MAX_UPLOAD_BYTES = 2000
    client.force_login(cast.staff)

    response = upload(client, cast, csv_bytes([roster_row()] * 30), name="big.csv")

    assert response.status_code == 200 and "MB" in str(response.context["form"].errors["file"])


def test_made_up_token_is_not_found(client, cast):
    client.force_login(cast.staff)

    assert client.get(reverse("people:roster_import_preview", args=["x" * 32])).status_code == 404
    assert client.get(reverse("people:roster_import_preview", args=["..%2F..%2Fetc"])).status_code == 404


# --- export --------------------------------------------------------------------------------------


def exported(client, user, query="") -> list[dict]:
    client.force_login(user)
    response = client.get(EXPORT + query)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    table = sheet_rows(response.content)
    assert table[0] == COLUMNS
    return [dict(zip(COLUMNS, row, strict=True)) for row in table[1:]]


@pytest.mark.parametrize("role", CAST_ROLES)
def test_export_holds_exactly_the_residents_the_viewer_may_see(client, cast, role):
    rows = exported(client, getattr(cast, role))

    assert sorted(r["姓名"] for r in rows) == sorted(CAST_NAMES[h] for h in CAST_VISIBLE_HOUSEHOLDS[role])


def test_export_masks_id_numbers_and_phones_for_a_non_staff_viewer(client, cast):
    member = cast.h1.members.get()

    (row,) = [r for r in exported(client, cast.cell_leader) if r["姓名"] == "张桂莲"]

    assert row["身份证号"] == member.id_number_masked and "*" in row["身份证号"]
    assert row["联系电话"] == identity.phone_mask(member.phone)
    assert row["紧急联系电话"] == "139****1111"


def test_export_shows_full_values_to_staff_unless_they_ask_for_masked(client, cast):
    member = cast.h1.members.get()

    (full,) = [r for r in exported(client, cast.staff) if r["姓名"] == "张桂莲"]
    (masked,) = [r for r in exported(client, cast.staff, "?masked=1") if r["姓名"] == "张桂莲"]

    assert full["身份证号"] == member.reveal_id_number() and full["联系电话"] == member.phone
    assert full["重点人群"] == "独居老人" and full["紧急联系人"] == "李强"
    assert masked["身份证号"] == member.id_number_masked and masked["联系电话"] == member.phone_masked


def test_export_neutralises_cells_that_look_like_formulas(client, cast):
    make_resident(
        cast.h1, '=HYPERLINK("http://x")', gender="M", note="+1-2", id_number=make_id_number(gender="M")
    )

    rows = exported(client, cast.staff)

    (row,) = [r for r in rows if r["备注"].endswith("+1-2")]
    assert row["姓名"] == '\'=HYPERLINK("http://x")' and row["备注"] == "'+1-2"


def test_export_is_logged_with_the_row_count(client, cast):
    exported(client, cast.cell_leader)

    log = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert log.user == cast.cell_leader and log.detail == {"rows": 2, "masked": True}


def test_staff_export_round_trips_through_import_unchanged(client, cast):
    client.force_login(cast.staff)
    content = client.get(EXPORT).content
    history_rows = Resident.history.count() + Household.history.count()

    summary = roster_import(actor=cast.staff, community=cast.community, data=content)

    assert summary.line() == "created 0, updated 0, unchanged 5, rejected 0"
    assert (summary.estates, summary.buildings, summary.entrances, summary.households) == (0, 0, 0, 0)
    assert Resident.history.count() + Household.history.count() == history_rows


def test_export_does_a_constant_number_of_queries(client, cast, django_assert_num_queries):
    client.force_login(cast.staff)
    # 7: the viewer's appointments and teams are read from the primary before the replica block.
    with django_assert_num_queries(7):
        client.get(EXPORT)
    for n in range(10):
        make_resident(cast.h3, f"新居民{n}", birth=datetime.date(1960, 1, 1 + n))

    with django_assert_num_queries(7):
        response = client.get(EXPORT)

    assert len(sheet_rows(response.content)) == 1 + 5 + 10


def test_a_waiting_upload_is_kept_encrypted_on_disk(client, cast, tmp_path):
    client.force_login(cast.staff)
    row = roster_row()
    token = token_of(upload(client, cast, csv_bytes([row]), name="roster.csv"))
    stored = (tmp_path / "imports" / token / "upload.bin").read_bytes()
    assert row["身份证号"].encode() not in stored and "李秀英".encode() not in stored


def test_a_waiting_upload_on_disk_is_readable_by_the_service_alone(client, cast, tmp_path):
    client.force_login(cast.staff)
    token = token_of(upload(client, cast, csv_bytes([roster_row()]), name="roster.csv"))
    folder = tmp_path / "imports" / token

    assert folder.stat().st_mode & 0o777 == 0o700
    assert {(f.name, f.stat().st_mode & 0o777) for f in folder.iterdir()} == {
        ("upload.bin", 0o600),
        ("meta.json", 0o600),
    }


def test_upload_waits_in_the_shared_file_storage_not_on_this_machine(client, cast, settings, tmp_path):
    # Any storage backend will do (S3 for several instances): nothing is read from a local path.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    client.force_login(cast.staff)
    token = token_of(
        upload(client, cast, xlsx_bytes([roster_row(), roster_row(居住状态="暂住", 房号="1204")]))
    )

    assert default_storage.exists(f"imports/{token}/upload.bin") and not any(tmp_path.iterdir())
    done = client.post(reverse("people:roster_import_preview", args=[token]))

    assert done.context["summary"].created == 1 and done.context["summary"].rejected == 1
    assert not default_storage.exists(f"imports/{token}/upload.bin")
    errors = client.get(reverse("people:roster_import_errors", args=[token]))
    assert sheet_rows(errors.content)[1][COLUMNS.index("居住状态")] == "暂住"


def test_upload_left_waiting_for_over_a_day_is_forgotten(client, cast, tmp_path):
    client.force_login(cast.staff)
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC), tick=False):
        old = token_of(upload(client, cast, xlsx_bytes([roster_row()])))
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False):
        assert client.get(reverse("people:roster_import_preview", args=[old])).status_code == 404
        assert not (tmp_path / "imports" / old).exists()


def test_a_new_upload_sweeps_away_the_stale_ones(client, cast, tmp_path):
    client.force_login(cast.staff)
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC), tick=False):
        old = token_of(upload(client, cast, xlsx_bytes([roster_row()])))
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False):
        new = token_of(upload(client, cast, xlsx_bytes([roster_row()])))

    assert sorted(p.name for p in (tmp_path / "imports").iterdir()) == [new]
    assert old != new


def test_downloading_the_rejected_rows_is_logged_as_an_export(client, cast):
    client.force_login(cast.staff)
    token = token_of(upload(client, cast, csv_bytes([roster_row(联系电话="1381234000")]), name="roster.csv"))
    client.get(reverse("people:roster_import_errors", args=[token]))
    assert AccessLog.objects.filter(action=AccessAction.EXPORT, user=cast.staff).count() == 1
