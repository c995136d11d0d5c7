"""Keeping each board's date: a board is "generated" when what it lists changes.

Nothing has to call these when an appointment changes: every board page and PDF computes the board's
content and calls `boards_refresh()`, which compares fingerprints. That also catches what no hook
would: a term that ends on a future date, an appointment edited in the admin, a leader's new phone.
"""

import hashlib
from collections.abc import Sequence

from django.db.models import Q
from django.utils import timezone

from boards.models import Board
from boards.selectors import BoardContent


def _board_q(contents: Sequence[BoardContent]) -> Q:
    building_ids = [c.building.pk for c in contents if c.building]
    estate_ids = [c.estate.pk for c in contents if not c.building]
    q = Q(pk__in=[])
    if building_ids:
        q |= Q(building_id__in=building_ids)
    if estate_ids:
        q |= Q(estate_id__in=estate_ids)
    return q


def _key(board: Board) -> tuple[str, int]:
    return ("building", board.building_id) if board.building_id else ("estate", board.estate_id)


def boards_refresh(*, contents: Sequence[BoardContent]) -> list[Board]:
    """The Board rows of these contents, in the same order, each with a new `generated_at` (now) if
    its content differs from what it showed last; created on first sight. One query when nothing
    changed; each changed or new board adds one write (a conditional update or a get_or_create, both
    safe when two requests race)."""
    now = timezone.now()
    existing = {_key(b): b for b in Board.objects.filter(_board_q(contents)).defer("pdf")}
    boards = []
    for content in contents:
        fingerprint = content.fingerprint
        board = existing.get(content.key)
        if board is None:
            board, _created = Board.objects.get_or_create(
                building=content.building,
                estate=None if content.building else content.estate,
                defaults={"fingerprint": fingerprint, "generated_at": now},
            )
        if board.fingerprint != fingerprint:
            Board.objects.filter(pk=board.pk).update(
                fingerprint=fingerprint, generated_at=now, pdf=b"", pdf_key=""
            )
            board.fingerprint, board.generated_at, board.pdf_key = fingerprint, now, ""
        boards.append(board)
    return boards


def board_refresh(*, content: BoardContent) -> Board:
    """`boards_refresh()` for one board."""
    return boards_refresh(contents=[content])[0]


def board_pdf_key(*parts: str) -> str:
    """The cache key of a rendered PDF: a hash of everything printed on it."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def board_pdf_cached(*, board: Board, key: str) -> bytes | None:
    """The PDF kept for `board` if it was rendered from exactly `key`."""
    if board.pdf_key != key:
        return None
    body = Board.objects.filter(pk=board.pk, pdf_key=key).values_list("pdf", flat=True).first()
    return bytes(body) if body else None


def board_pdf_keep(*, board: Board, key: str, body: bytes) -> None:
    """Keep the rendered PDF, unless the board changed meanwhile (its fingerprint moved on)."""
    Board.objects.filter(pk=board.pk, fingerprint=board.fingerprint).update(pdf=body, pdf_key=key)
    board.pdf_key = key
