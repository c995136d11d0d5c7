"""Board pages: what a resident sees after scanning the code on the wall, and the A4 PDF to print.

Boards are public (no login), like the filing page behind their QR code: a board is posted in the
stairwell for anyone to read. They show only roles, places, leaders' names and phones, never anything
about residents. Printing every board of an estate at once is for the estate's community staff only.
"""

import segno
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from accounts.scope import scope_for, staff_scope
from boards import services
from boards.models import Board
from boards.render import board_date, boards_pdf
from boards.selectors import (
    BoardContent,
    board_content_for_building,
    board_content_for_estate,
    board_contents_for_buildings,
    estate_buildings,
)
from linli.pdf import pdf_response
from territory.models import Building, Estate

# Bump when the printed layout changes, so kept PDFs are drawn again.
LAYOUT_VERSION = "1"


def _base_url(request) -> str:
    """Scheme and host the request came in on: the QR codes' links are absolute, built like
    request.build_absolute_uri (so behind a proxy they follow SECURE_PROXY_SSL_HEADER/ALLOWED_HOSTS)."""
    return request.build_absolute_uri("/").rstrip("/")


def _building(building_id: int) -> Building:
    return get_object_or_404(Building.objects.select_related("estate__community"), pk=building_id)


def _estate(estate_id: int) -> Estate:
    return get_object_or_404(Estate.objects.select_related("community"), pk=estate_id)


def _can_print_estate(request, estate: Estate) -> bool:
    if not request.user.is_authenticated:
        return False
    scope = scope_for(request.user)
    return scope.is_staff and scope.can_manage_community(estate.community_id)


def _page(request, content: BoardContent, board: Board, **extra):
    qr_url = request.build_absolute_uri(content.qr_path)
    context = {
        "content": content,
        "board": board,
        "board_date": board_date(board),
        "qr_url": qr_url,
        # segno draws the modules as one SVG path: no text of ours goes into the markup.
        "qr_svg": mark_safe(segno.make(qr_url, error="m").svg_inline(scale=4, border=2, omitsize=True)),
        **extra,
    }
    return render(request, "boards/board.html", context)


def _pdf(request, content: BoardContent, board: Board, filename: str):
    """The board's PDF, drawn once per change of anything printed on it and kept on the board row."""
    base_url = _base_url(request)
    key = services.board_pdf_key(
        LAYOUT_VERSION,
        board.fingerprint,
        board.generated_at.isoformat(),
        content.title,
        content.community_name,
        base_url + content.qr_path,
        get_language() or "",
    )
    body = services.board_pdf_cached(board=board, key=key)
    if body is None:
        body = boards_pdf([(content, board)], base_url=base_url)
        services.board_pdf_keep(board=board, key=key, body=body)
    return pdf_response(body, filename)


@require_safe
def building_board(request, building_id: int):
    building = _building(building_id)
    content = board_content_for_building(building)
    board = services.board_refresh(content=content)
    return _page(request, content, board, pdf_url_name="boards:building_pdf", place_id=building.pk)


@require_safe
def building_board_pdf(request, building_id: int):
    building = _building(building_id)
    content = board_content_for_building(building)
    board = services.board_refresh(content=content)
    return _pdf(request, content, board, f"board-building-{building.pk}.pdf")


@require_safe
def estate_board(request, estate_id: int):
    estate = _estate(estate_id)
    content = board_content_for_estate(estate, estate_buildings(estate))
    board = services.board_refresh(content=content)
    return _page(
        request,
        content,
        board,
        pdf_url_name="boards:estate_pdf",
        place_id=estate.pk,
        can_print_all=bool(content.buildings) and _can_print_estate(request, estate),
    )


@require_safe
def estate_board_pdf(request, estate_id: int):
    estate = _estate(estate_id)
    content = board_content_for_estate(estate, estate_buildings(estate))
    board = services.board_refresh(content=content)
    return _pdf(request, content, board, f"board-estate-{estate.pk}.pdf")


@require_safe
def estate_boards_all_pdf(request, estate_id: int):
    """Every building's board of the estate, one page each, to print in one go (staff of its community)."""
    scope = staff_scope(request)
    estate = get_object_or_404(
        Estate.objects.visible_to(request.user).select_related("community"), pk=estate_id
    )
    if not scope.can_manage_community(estate.community_id):
        raise Http404
    buildings = estate_buildings(estate)
    if not buildings:
        raise Http404
    contents = board_contents_for_buildings(buildings)
    ordered = [contents[b.pk] for b in buildings]
    boards = services.boards_refresh(contents=ordered)
    body = boards_pdf(list(zip(ordered, boards, strict=True)), base_url=_base_url(request))
    return pdf_response(body, f"boards-estate-{estate.pk}.pdf")
