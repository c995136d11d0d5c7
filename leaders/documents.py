"""The documents of an appointment, as PDFs that print Chinese anywhere (linli.pdf embeds the font):
the letter of appointment (聘书, A4) and the representative card (代表证, 85.6 × 54 mm, the size of a
bank card) with the leader's role, patch, phone and a QR code to the patch's request-filing page.

Both are drawn from the appointment alone and dated by its start, so printing one again gives the
same document."""

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from leaders.models import Appointment
from leaders.selectors import patch_main_building_id, person_phone
from linli.pdf import cjk_pdf, pdf_bytes, qr_place
from territory.models import Level, TerritoryUnit

CARD_SIZE = (85.6, 54)
RED = (196, 30, 36)
INK = (30, 30, 30)


@dataclass
class PostFacts:
    name: str
    role: str
    patch: str
    community: str
    phone: str
    started_on: datetime.date
    term_ends_on: datetime.date | None
    request_url: str  # absolute URL of the patch's filing page; empty when the patch has no households


def post_facts(appointment: Appointment, *, absolute_url) -> PostFacts:
    """What the documents say about a post. `absolute_url(path)` makes a link absolute (e.g.
    request.build_absolute_uri)."""
    person = appointment.person
    phone = person_phone(person)
    if appointment.unit_id:
        unit = appointment.unit
        chain = {u.pk: u for u in TerritoryUnit.objects.filter(pk__in=unit.ancestor_ids)}
        ordered = [chain[pk] for pk in unit.ancestor_ids if pk in chain]
        community = next((u for u in ordered if u.level == Level.COMMUNITY), ordered[0])
        below = [u.name for u in ordered if u.depth > community.depth]
        patch = " ".join(below) or unit.name
        community_name = community.name
    elif appointment.building_id:
        building = appointment.building
        patch, community_name = str(building), building.estate.community.name
    else:
        patch, community_name = appointment.estate.name, appointment.estate.community.name
    building_id = patch_main_building_id(appointment)
    url = (
        absolute_url(reverse("service_requests:file_from_building", args=[building_id]))
        if building_id
        else ""
    )
    return PostFacts(
        name=person.display_name,
        role=str(appointment.get_role_display()),
        patch=patch,
        community=community_name,
        phone=phone,
        started_on=appointment.started_on,
        term_ends_on=appointment.term_ends_on,
        request_url=url,
    )


def _date(day: datetime.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _created(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC)


def letter_pdf(facts: PostFacts) -> bytes:
    """The letter of appointment (聘书): A4 portrait, a red frame, the title, the appointment, the term,
    the community and the date."""
    pdf = cjk_pdf(title=_("Letter of appointment"), created=_created(facts.started_on))
    pdf.set_auto_page_break(False)
    pdf.set_draw_color(*RED)
    pdf.set_line_width(1.5)
    pdf.rect(12, 12, 186, 273)
    pdf.set_line_width(0.4)
    pdf.rect(16, 16, 178, 265)

    pdf.set_text_color(*RED)
    pdf.set_font_size(44)
    pdf.set_xy(20, 50)
    pdf.cell(170, 22, _("Letter of appointment"), align="C")

    pdf.set_text_color(*INK)
    pdf.set_font_size(18)
    pdf.set_xy(32, 100)
    pdf.cell(146, 12, _("Dear %(name)s:") % {"name": facts.name})
    pdf.set_xy(40, 118)
    body = _("You are hereby appointed %(role)s of %(patch)s, %(community)s.") % {
        "role": facts.role,
        "patch": facts.patch,
        "community": facts.community,
    }
    pdf.multi_cell(138, 12, body, align="L")
    pdf.set_x(40)
    if facts.term_ends_on:
        term = _("Term of office: from %(start)s to %(end)s.") % {
            "start": _date(facts.started_on),
            "end": _date(facts.term_ends_on),
        }
    else:
        term = _("Term of office: from %(start)s.") % {"start": _date(facts.started_on)}
    pdf.multi_cell(138, 12, term, align="L")

    pdf.set_xy(98, 220)
    pdf.cell(80, 12, facts.community, align="R")
    pdf.set_xy(98, 234)
    pdf.cell(80, 12, _date(facts.started_on), align="R")
    return pdf_bytes(pdf)


def card_pdf(facts: PostFacts) -> bytes:
    """The representative card (代表证): card-sized, landscape; a red band with the title, then name,
    role, patch and phone, and on the right the QR code of the patch's request-filing page."""
    width, height = CARD_SIZE
    pdf = cjk_pdf(
        format=CARD_SIZE, orientation="P", title=_("Representative card"), created=_created(facts.started_on)
    )
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_fill_color(*RED)
    pdf.rect(0, 0, width, 11, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font_size(13)
    pdf.set_xy(3, 1.5)
    pdf.cell(width - 6, 8, _("Representative card"), align="L")
    pdf.set_font_size(7)
    pdf.set_xy(3, 1.5)
    pdf.cell(width - 6, 8, facts.community, align="R")

    qr_size = 30 if facts.request_url else 0
    text_width = width - 6 - qr_size - 2
    pdf.set_text_color(*INK)
    pdf.set_font_size(16)
    pdf.set_xy(3, 14)
    pdf.cell(text_width, 8, facts.name)
    pdf.set_font_size(9)
    pdf.set_xy(3, 24)
    pdf.multi_cell(text_width, 4.6, facts.role, align="L")
    pdf.set_x(3)
    pdf.multi_cell(text_width, 4.6, facts.patch, align="L")
    if facts.phone:
        pdf.set_font_size(10)
        pdf.set_xy(3, 44)
        pdf.cell(text_width, 6, _("Phone: %(phone)s") % {"phone": facts.phone})
    if facts.request_url:
        qr_place(pdf, facts.request_url, x=width - qr_size - 2, y=13, size=qr_size)
        pdf.set_font_size(5.5)
        pdf.set_xy(width - qr_size - 2, 13 + qr_size - 0.5)
        pdf.cell(qr_size, 3, _("Scan to report a problem"), align="C")
    return pdf_bytes(pdf)
