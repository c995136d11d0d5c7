"""PDFs that print Chinese on any machine: fpdf2 with Noto Sans CJK embedded, QR codes from segno.

Every PDF the project makes (public boards, letters of appointment, representative cards) starts from
`cjk_pdf()`. The font comes from the `cvttf-NotoSansCJK-Regular` package (an .otf that fpdf2 embeds and
subsets), so the file carries its own glyphs: a printer or phone with no Chinese fonts shows the same
page (tests check it with `pdffonts`: every font "emb yes"). ReportLab's built-in STSong-Light is NOT
embedded and prints as boxes there, which is why this is fpdf2.

Typical use::

    from linli.pdf import cjk_pdf, pdf_response, qr_place

    pdf = cjk_pdf()                      # A4 portrait, one page added, font set at 12 pt
    pdf.set_font_size(24)
    pdf.cell(text="幸福社区 公示牌", new_x="LMARGIN", new_y="NEXT")
    qr_place(pdf, "https://linli.example/r/b/7/", x=80, y=200, size=50)
    return pdf_response(pdf, "公示牌.pdf")        # in a view

Only one weight (Regular) exists in the package: "bold" is not available, so emphasise with size.
Characters the font lacks (emoji) are left out with a warning from fpdf2; keep them out of PDFs.
"""

import datetime
import io
import logging
from pathlib import Path

import segno
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from fpdf import FPDF

# The family name every PDF uses; pass it to pdf.set_font() after switching to another font.
CJK_FAMILY = "NotoSansCJK"
PDF_CONTENT_TYPE = "application/pdf"

# fontTools narrates every subsetting step at INFO level; the root logger would print it all.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def cjk_font_path() -> Path:
    """The Noto Sans CJK .otf file inside the cvttf package (found on disk, no network)."""
    import cvttf_NotoSansCJK_Regular

    return Path(cvttf_NotoSansCJK_Regular.get_TTF_path())


def cjk_pdf(
    orientation: str = "P",
    format: str | tuple[float, float] = "A4",  # fpdf2's own parameter name
    *,
    unit: str = "mm",
    font_size: float = 12,
    title: str = "",
    created: datetime.datetime | None = None,
    add_page: bool = True,
) -> FPDF:
    """A new fpdf2 document with Noto Sans CJK added as `CJK_FAMILY` and set (regular, `font_size` pt).

    `orientation` "P" or "L"; `format` "A4", "A5", ... or (width, height) in `unit` (a card:
    `format=(85.6, 54)`). One page is added unless `add_page=False` (then call `pdf.add_page()` per
    page, the font stays set). `title` goes into the document's metadata; `created` fixes its creation
    date (pass the content's date to make two renderings of the same content identical).
    Loading the font takes about half a second; build one document per response, not one per page.
    """
    pdf = FPDF(orientation=orientation, unit=unit, format=format)
    pdf.add_font(CJK_FAMILY, "", str(cjk_font_path()))
    pdf.set_font(CJK_FAMILY, size=font_size)
    pdf.set_lang("zh-CN")
    if title:
        pdf.set_title(title)
    if created is not None:
        pdf.set_creation_date(created)
    pdf.set_creator("Linli")
    if add_page:
        pdf.add_page()
    return pdf


def qr_image(url: str, scale: int = 10, *, border: int = 4) -> bytes:
    """A QR code for `url` as PNG bytes, `scale` pixels per module, `border` quiet-zone modules.

    Pass the bytes to `pdf.image(png, x=, y=, w=, h=)`, or use `qr_place()`. Error correction M:
    a printed board survives a smudge. The image is black on white with no interpolation, so
    it stays sharp at any printed size.
    """
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def qr_place(pdf: FPDF, url: str, *, x: float, y: float, size: float, border: int = 4) -> None:
    """Draw the QR code for `url` as a `size` × `size` square (in the document's unit) at (x, y),
    quiet zone included (`border` modules of white around the code)."""
    pdf.image(qr_image(url, scale=10, border=border), x=x, y=y, w=size, h=size)


def pdf_bytes(pdf: FPDF) -> bytes:
    """The finished document as bytes (fpdf2's `output()` returns a bytearray)."""
    return bytes(pdf.output())


def pdf_response(pdf: FPDF | bytes, filename: str, *, as_attachment: bool = False) -> HttpResponse:
    """An HTTP response carrying the PDF (a document or its bytes): shown in the browser by default,
    downloaded with `as_attachment=True`. `filename` may be Chinese (RFC 6266 encoding)."""
    body = pdf if isinstance(pdf, bytes) else pdf_bytes(pdf)
    response = HttpResponse(body, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    response["Content-Length"] = str(len(body))
    return response
