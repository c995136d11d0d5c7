"""The printed boards and linli.pdf underneath them, read back as a printer would: every font embedded
(so Chinese prints on a machine with no Chinese fonts), the text there, a page that renders, and a QR
code that decodes to the building's filing page."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from boards.tests import pdftools
from boards.tests.pdftools import needs_poppler
from leaders.models import EndReason, Role
from leaders.services import appointment_create, appointment_hand_over
from linli.pdf import CJK_FAMILY, cjk_pdf, pdf_bytes, pdf_response, qr_image, qr_place
from linli.testing import UserFactory, make_household
from territory.models import Level
from territory.services import unit_create

pytestmark = needs_poppler

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
MARCH_1 = datetime.datetime(2024, 3, 1, 9, 0, tzinfo=SHANGHAI)
MARCH_10 = datetime.datetime(2024, 3, 10, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(MARCH_1, tick=False):
        yield


def _get_pdf(client, url, tmp_path, name="board.pdf"):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return pdftools.write(tmp_path, response.content, name)


# ---- linli.pdf ----


def test_cjk_pdf_embeds_its_only_font_and_reads_back_chinese(tmp_path):
    pdf = cjk_pdf()
    pdf.cell(text="邻长 楼栋长 Neighbour leader 13800000003")
    path = pdftools.write(tmp_path, pdf_bytes(pdf))
    fonts = pdftools.fonts(path)
    assert fonts and all(font["emb"] for font in fonts)
    assert "NotoSansCJK" in fonts[0]["name"]
    assert "邻长 楼栋长 Neighbour leader 13800000003" in pdftools.text(path)


def test_cjk_pdf_sets_the_cjk_family_and_page_format():
    pdf = cjk_pdf(orientation="L", format="A4", font_size=20)
    assert pdf.font_family == CJK_FAMILY.lower()
    assert pdf.font_size_pt == 20
    assert round(pdf.w) == 297 and round(pdf.h) == 210


def test_card_sized_pdf(tmp_path):
    pdf = cjk_pdf(format=(85.6, 54))
    pdf.cell(text="代表证")
    path = pdftools.write(tmp_path, pdf_bytes(pdf))
    info = pdftools._run("pdfinfo", str(path))
    assert "242.65 x 153.07 pts" in info  # 85.6 mm × 54 mm


def test_qr_image_is_a_png_that_decodes_to_the_url():
    import io

    import PIL.Image

    png = qr_image("https://linli.example/r/b/7/", scale=4)
    assert png.startswith(b"\x89PNG")
    assert pdftools.qr_texts(PIL.Image.open(io.BytesIO(png))) == ["https://linli.example/r/b/7/"]


def test_qr_placed_in_a_pdf_decodes_after_rendering(tmp_path):
    pdf = cjk_pdf()
    qr_place(pdf, "https://linli.example/r/b/7/", x=20, y=20, size=40)
    path = pdftools.write(tmp_path, pdf_bytes(pdf))
    assert pdftools.qr_texts(pdftools.render(path)) == ["https://linli.example/r/b/7/"]


def test_pdf_response_carries_a_chinese_file_name():
    response = pdf_response(b"%PDF-1.4", "公示牌.pdf", as_attachment=True)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E5%85%AC%E7%A4%BA%E7%89%8C.pdf"


# ---- boards ----


def test_building_board_pdf_embeds_every_font(cast, boarded, client, tmp_path):
    path = _get_pdf(client, reverse("boards:building_pdf", args=[boarded.b1.pk]), tmp_path)
    fonts = pdftools.fonts(path)
    assert fonts
    assert all(font["emb"] for font in fonts), fonts


def test_building_board_pdf_text_has_roles_names_phones_and_date(cast, boarded, client, tmp_path):
    text = pdftools.text(_get_pdf(client, reverse("boards:building_pdf", args=[boarded.b1.pk]), tmp_path))
    for role in ("社区民警", "片长", "组长", "邻长", "物管家", "和事佬", "楼栋长"):
        assert role in text
    for name, phone in [
        ("李警官", "13900000110"),
        ("片长甲", "13800000001"),
        ("组长甲", "13800000002"),
        ("王建国", "13800000003"),
        ("刘芳", "13800000004"),
        ("周管家", "13900000130"),
        ("何调解", "13900000120"),
    ]:
        assert name in text and phone in text
    assert "阳光小区 1栋" in text and "幸福社区" in text
    assert "2024年3月1日" in text
    assert "张桂莲" not in text  # a resident, not a leader


def test_building_board_pdf_renders_and_its_qr_opens_the_filing_page(cast, boarded, client, tmp_path):
    path = _get_pdf(client, reverse("boards:building_pdf", args=[boarded.b1.pk]), tmp_path)
    page = pdftools.render(path)
    assert page.size == (827, 1170)  # A4 at 100 dpi
    filing = "http://testserver" + reverse("service_requests:file_from_building", args=[boarded.b1.pk])
    assert pdftools.qr_texts(page) == [filing]


def test_qr_follows_the_host_and_scheme_of_the_request(cast, boarded, client, tmp_path, settings):
    settings.ALLOWED_HOSTS = ["linli.example"]
    response = client.get(
        reverse("boards:building_pdf", args=[boarded.b2.pk]), HTTP_HOST="linli.example", secure=True
    )
    page = pdftools.render(pdftools.write(tmp_path, response.content))
    assert pdftools.qr_texts(page) == [f"https://linli.example/r/b/{boarded.b2.pk}/"]


def test_estate_board_qr_opens_the_estate_board_to_choose_a_building(cast, boarded, client, tmp_path):
    path = _get_pdf(client, reverse("boards:estate_pdf", args=[boarded.estate.pk]), tmp_path)
    text = pdftools.text(path)
    assert "陈明" in text and "2栋" in text
    assert pdftools.qr_texts(pdftools.render(path)) == [
        "http://testserver" + reverse("boards:estate", args=[boarded.estate.pk])
    ]


def test_board_pdf_after_hand_over_prints_the_successor_and_the_new_date(cast, boarded, client, tmp_path):
    url = reverse("boards:building_pdf", args=[boarded.b1.pk])
    client.get(url)
    with time_machine.travel(MARCH_10, tick=False):
        appointment_hand_over(
            actor=cast.staff,
            appointment=boarded.appointment(cast.cell_leader, Role.CELL_LEADER),
            successor=UserFactory(full_name="赵新邻长", phone="13900000301"),
            reason=EndReason.MOVED_AWAY,
        )
        text = pdftools.text(_get_pdf(client, url, tmp_path))
    assert "赵新邻长" in text and "13900000301" in text
    assert "王建国" not in text
    assert "2024年3月10日" in text


def test_unchanged_board_pdf_is_served_again_with_its_first_date(cast, boarded, client, tmp_path):
    url = reverse("boards:building_pdf", args=[boarded.b1.pk])
    first = client.get(url).content
    with time_machine.travel(MARCH_10, tick=False):
        again = client.get(url).content
    assert again == first
    assert "2024年3月1日" in pdftools.text(pdftools.write(tmp_path, again))


def test_board_pdf_in_english(cast, boarded, client, tmp_path, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = pdftools.text(_get_pdf(client, reverse("boards:building_pdf", args=[boarded.b1.pk]), tmp_path))
    assert "Community police officer" in text and "Neighbour leader" in text
    assert "March 1, 2024" in text


def test_estate_all_pdf_has_one_page_per_building(cast, boarded, client, tmp_path):
    client.force_login(cast.staff)
    path = _get_pdf(client, reverse("boards:estate_all_pdf", args=[boarded.estate.pk]), tmp_path)
    assert pdftools.pages(path) == 3
    assert all(font["emb"] for font in pdftools.fonts(path))
    filing = "http://testserver" + reverse("service_requests:file_from_building", args=[boarded.b2.pk])
    assert pdftools.qr_texts(pdftools.render(path, page=2)) == [filing]
    page_2 = pdftools._run("pdftotext", "-f", "2", "-l", "2", str(path), "-")
    assert "阳光小区 2栋" in page_2 and "陈明" in page_2


def test_a_building_with_many_cells_still_prints_on_one_page(cast, boarded, client, tmp_path):
    for n in range(12):
        cell = unit_create(parent=cast.group, level=Level.CELL, name=f"加邻{n}")
        make_household(cell, building="1栋", room=f"8{n:02d}")
        leader = UserFactory(full_name=f"邻长{n}", phone=f"1370000{n:04d}")
        appointment_create(actor=None, person=leader, role=Role.CELL_LEADER, unit=cell)
    client.force_login(cast.staff)
    path = _get_pdf(client, reverse("boards:estate_all_pdf", args=[boarded.estate.pk]), tmp_path)
    assert pdftools.pages(path) == 3
    text = pdftools.text(path)
    assert "邻长11" in text and "13700000011" in text
