"""The letter of appointment (聘书) and the representative card (代表证) as PDFs: every font embedded
(pdffonts), the Chinese text read back (pdftotext), the card's QR code rendered (pdftoppm) and decoded
(zxing-cpp) to the filing page of the cell's main building."""

import datetime
import re
import subprocess

import pytest
import zxingcpp
from django.urls import reverse
from django.utils import translation
from PIL import Image

from leaders.models import Appointment, Role
from leaders.services import appointment_create
from leaders.tests.selection_world import staff_of_b
from linli.testing import UserFactory, make_household
from territory.models import Entrance, Level
from territory.services import unit_create

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "pdffonts"], capture_output=True).returncode != 0, reason="poppler-utils missing"
)


def _run(args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, **kwargs)


def _save(tmp_path, response, name):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / name
    path.write_bytes(response.content)
    return path


def _fonts_all_embedded(path) -> bool:
    rows = _run(["pdffonts", str(path)], text=True).stdout.splitlines()[2:]
    assert rows, "the PDF uses no font"
    # columns: name type encoding emb sub uni object ID
    return all(row.split()[-5] == "yes" for row in rows)


def _text(path) -> str:
    return _run(["pdftotext", "-layout", str(path), "-"], text=True).stdout


def _qr_payloads(path, tmp_path) -> list[str]:
    _run(["pdftoppm", "-r", "300", "-png", "-singlefile", str(path), str(tmp_path / "page")])
    image = Image.open(tmp_path / "page.png")
    return [code.text for code in zxingcpp.read_barcodes(image)]


def _building_id(household) -> int:
    return Entrance.objects.get(pk=household.entrance_id).building_id


@pytest.fixture
def post(cast):
    appointment = Appointment.objects.get(person=cast.cell_leader, role=Role.CELL_LEADER)
    appointment.term_ends_on = datetime.date(2026, 12, 31)
    appointment.save()
    cast.cell_leader.phone = "13912345678"
    cast.cell_leader.save()
    return appointment


def test_letter_of_appointment_embeds_its_font_and_reads_back(cast, client, tmp_path, post):
    client.force_login(cast.staff)
    path = _save(tmp_path, client.get(reverse("leaders:appointment_letter", args=[post.pk])), "letter.pdf")
    assert _fonts_all_embedded(path)
    text = re.sub(r"\s+", "", _text(path))
    with translation.override("zh-hans"):
        title = translation.gettext("Letter of appointment").replace(" ", "")
    for expected in (
        title,
        "王建国",
        "邻长",
        "幸福社区",
        "第一片区",
        "第一组",
        "第一邻",
        "2024年1月1日",
        "2026年12月31日",
    ):
        assert expected in text, expected
    size = _run(["pdfinfo", str(path)], text=True).stdout
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts", size)  # A4


def test_representative_card_is_card_sized_with_phone_and_a_qr_to_the_cells_building(
    cast, client, tmp_path, post
):
    client.force_login(cast.staff)
    path = _save(tmp_path, client.get(reverse("leaders:appointment_card", args=[post.pk])), "card.pdf")
    assert _fonts_all_embedded(path)
    text = re.sub(r"\s+", "", _text(path))
    for expected in ("王建国", "邻长", "第一邻", "幸福社区", "13912345678"):
        assert expected in text, expected
    info = _run(["pdfinfo", str(path)], text=True).stdout
    width, height = (float(v) for v in re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (round(width / 72 * 25.4, 1), round(height / 72 * 25.4, 1)) == (85.6, 54.0)
    building = reverse("service_requests:file_from_building", args=[_building_id(cast.h1)])
    assert _qr_payloads(path, tmp_path) == [f"http://testserver{building}"]


def test_the_cards_qr_goes_to_the_building_where_most_of_the_cell_lives(cast, client, tmp_path, post):
    for room in ("201", "202", "203"):
        make_household(cast.cell, building="5栋", room=room)
    client.force_login(cast.staff)
    path = _save(tmp_path, client.get(reverse("leaders:appointment_card", args=[post.pk])), "card.pdf")
    five = Entrance.objects.get(building__name="5栋").building_id
    expected = reverse("service_requests:file_from_building", args=[five])
    assert _qr_payloads(path, tmp_path) == [f"http://testserver{expected}"]


def test_a_card_with_no_households_in_the_patch_has_no_qr(cast, client, tmp_path):
    empty = unit_create(parent=cast.area2, level=Level.GROUP, name="新组")
    post = appointment_create(
        actor=None, person=UserFactory(full_name="新组长"), role=Role.GROUP_LEADER, unit=empty
    )
    client.force_login(cast.staff)
    path = _save(tmp_path, client.get(reverse("leaders:appointment_card", args=[post.pk])), "card.pdf")
    assert "新组长" in _text(path)
    assert _qr_payloads(path, tmp_path) == []


def test_a_leader_prints_their_own_documents_only(cast, client, post):
    other = Appointment.objects.get(person=cast.cell_leader_2, role=Role.CELL_LEADER)
    client.force_login(cast.cell_leader)
    assert client.get(reverse("leaders:appointment_card", args=[post.pk])).status_code == 200
    assert client.get(reverse("leaders:appointment_letter", args=[other.pk])).status_code == 404
    for user in (cast.resident, cast.outsider, staff_of_b(cast)):
        client.force_login(user)
        assert client.get(reverse("leaders:appointment_letter", args=[post.pk])).status_code == 404
        assert client.get(reverse("leaders:appointment_card", args=[post.pk])).status_code == 404
