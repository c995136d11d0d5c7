"""Public boards (公示牌): one per building and one per estate, listing who to call.

What a board shows is computed from the active appointments every time it is asked for
(boards.selectors); this table only remembers the fingerprint of what it showed last and since when,
so the date printed on a board is the date its content last changed, the same on every request until
an appointment (or a leader's name or phone) changes. The last rendered PDF is kept beside it so that a
public, unauthenticated URL does not cost a font subsetting on every hit.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from territory.models import Building, Estate


class Board(models.Model):
    building = models.OneToOneField(
        Building,
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="board",
    )
    estate = models.OneToOneField(
        Estate,
        verbose_name=_("estate"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="board",
    )
    # sha256 of the ordered (role, place, person id, name, phone) lines the board shows.
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    generated_at = models.DateTimeField(_("generated"))
    # The last PDF rendered and the key of everything printed on it (content, date, link, language).
    pdf = models.BinaryField(_("PDF"), default=b"", editable=False)
    pdf_key = models.CharField(_("PDF key"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("public board")
        verbose_name_plural = _("public boards")
        constraints = [
            models.CheckConstraint(
                condition=Q(building__isnull=False, estate__isnull=True)
                | Q(building__isnull=True, estate__isnull=False),
                name="board_for_building_or_estate",
            ),
        ]

    def __str__(self):
        return str(self.building or self.estate)
