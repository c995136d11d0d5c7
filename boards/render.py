"""Boards as A4 pages to print (linli.pdf: fpdf2 with Noto Sans CJK embedded).

One board per page: title, place, community and the QR code at the top, then one row per person
(role, name, phone, the place the post covers), the date the board's content last changed at the foot.
Rows shrink to keep a board on one page (down to a readable minimum), so an estate's "print all" PDF
has one page per building.
"""

from collections.abc import Sequence

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from boards.models import Board
from boards.selectors import BoardContent
from linli.pdf import cjk_pdf, pdf_bytes, qr_place

PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 15.0
QR_SIZE = 52.0
TABLE_TOP, TABLE_BOTTOM = 80.0, 272.0
ROW_MAX, ROW_MIN = 13.0, 7.0
COLUMNS = (40.0, 46.0, 48.0, 46.0)  # role, name, phone, place: 180 mm between the margins
INK, MUTED, RULE, ACCENT = (20, 20, 20), (100, 100, 100), (200, 200, 200), (180, 30, 30)


def board_date(board: Board) -> str:
    """The board's date as the reader's language writes it (2024年1月1日 / Jan. 1, 2024)."""
    return formats.date_format(timezone.localtime(board.generated_at).date(), "DATE_FORMAT")


def _fit(pdf: FPDF, width: float, height: float, text: str, size: float, **kwargs) -> None:
    """A one-line cell at `size` pt, shrunk until `text` fits `width` (names and places vary in length)."""
    pdf.set_font_size(size)
    while size > 6 and pdf.get_string_width(text) > width - 2:
        size -= 0.5
        pdf.set_font_size(size)
    pdf.cell(w=width, h=height, text=text, **kwargs)


def _header(pdf: FPDF, content: BoardContent, qr_url: str) -> None:
    pdf.set_text_color(*ACCENT)
    pdf.set_xy(MARGIN, MARGIN)
    _fit(pdf, 120, 14, _("Public board"), 30)
    pdf.set_text_color(*INK)
    pdf.set_xy(MARGIN, MARGIN + 17)
    _fit(pdf, 120, 11, content.title, 22)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(MARGIN, MARGIN + 30)
    _fit(pdf, 120, 8, content.community_name, 14)
    pdf.set_xy(MARGIN, MARGIN + 40)
    _fit(pdf, 120, 8, _("Whom to call: names and phone numbers"), 12)

    qr_x = PAGE_W - MARGIN - QR_SIZE
    qr_place(pdf, qr_url, x=qr_x, y=MARGIN - 4, size=QR_SIZE)
    pdf.set_text_color(*INK)
    pdf.set_xy(qr_x, MARGIN - 4 + QR_SIZE)
    caption = (
        _("Scan to report a problem")
        if content.building or len(content.buildings) == 1
        else _("Scan, choose your building, report a problem")
    )
    pdf.set_font_size(10)
    pdf.multi_cell(w=QR_SIZE, h=5, text=caption, align="C", max_line_height=5)

    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.8)
    pdf.line(MARGIN, TABLE_TOP - 6, PAGE_W - MARGIN, TABLE_TOP - 6)


def _rows(content: BoardContent) -> list[tuple[str, str, str, str, bool]]:
    """(role, name, phone, place, first of its section) per printed row; a post nobody holds yet is a
    row with a dash, so the gap is visible on the wall."""
    rows = []
    for section in content.sections:
        if not section.lines:
            rows.append((section.role_label, "—", "", "", True))
        for index, line in enumerate(section.lines):
            rows.append(
                (section.role_label if index == 0 else "", line.name, line.phone, line.place, index == 0)
            )
    return rows


def _footer(pdf: FPDF, content: BoardContent, board: Board) -> None:
    pdf.set_text_color(*MUTED)
    pdf.set_font_size(10)
    pdf.set_xy(MARGIN, PAGE_H - MARGIN - 4)
    text = _("Generated on %(date)s · %(community)s") % {
        "date": board_date(board),
        "community": content.community_name,
    }
    pdf.cell(w=PAGE_W - 2 * MARGIN, h=6, text=text)


def _board_page(pdf: FPDF, content: BoardContent, board: Board, qr_url: str) -> None:
    pdf.add_page()
    _header(pdf, content, qr_url)
    rows = _rows(content)
    row_h = max(ROW_MIN, min(ROW_MAX, (TABLE_BOTTOM - TABLE_TOP) / max(len(rows), 1)))
    size = min(18.0, row_h * 1.4)
    y = TABLE_TOP
    pdf.set_line_width(0.2)
    for role, name, phone, place, first in rows:
        if y + row_h > TABLE_BOTTOM + 0.01:  # more people than a page holds even at the minimum height
            _footer(pdf, content, board)
            pdf.add_page()
            y = MARGIN
        if first:
            pdf.set_draw_color(*RULE)
            pdf.line(MARGIN, y, PAGE_W - MARGIN, y)
        x = MARGIN
        for width, text, colour, text_size in (
            (COLUMNS[0], role, ACCENT, size),
            (COLUMNS[1], name, INK, size),
            (COLUMNS[2], phone, INK, size),
            (COLUMNS[3], place, MUTED, size * 0.8),
        ):
            pdf.set_xy(x, y)
            pdf.set_text_color(*colour)
            _fit(pdf, width, row_h, text, text_size)
            x += width
        y += row_h
    _footer(pdf, content, board)


def boards_pdf(pages: Sequence[tuple[BoardContent, Board]], *, base_url: str) -> bytes:
    """One A4 PDF with a page per board. `base_url` ("https://linli.example", no trailing slash) makes
    the QR codes' links absolute; views take it from the request."""
    first_board = pages[0][1] if pages else None
    pdf = cjk_pdf(
        add_page=False,
        title=pages[0][0].title if len(pages) == 1 else _("Public boards"),
        created=first_board.generated_at if first_board else None,
    )
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    for content, board in pages:
        _board_page(pdf, content, board, base_url + content.qr_path)
    return pdf_bytes(pdf)
