"""Rollups of requests by the local day they were filed, so a street's year is read from a few
thousand rows instead of every request (issue 5).

Counts are keyed by (day, community or street, kind, channel): exact, summed at read time. Medians cannot
be summed, so each (day, place) keeps histograms of hours to respond and to resolve (see
figures.selectors.hours_bucket) and the page reads an approximate median from their sum.

A day's rows describe its requests as they stood at `RollupDay.built_at`. A request changed since (every
change writes a RequestEvent) makes its day stale; readers take stale days and today from raw rows, so
the page is always exact in counts, whatever the periodic job's lag.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from service_requests.models import Channel, ServiceKind
from territory.models import TerritoryUnit


class RollupDay(models.Model):
    """A local day whose rollup rows were rebuilt from raw requests at `built_at`."""

    day = models.DateField(_("day"), primary_key=True)
    built_at = models.DateTimeField(_("built"))

    class Meta:
        verbose_name = _("rolled-up day")
        verbose_name_plural = _("rolled-up days")

    def __str__(self):
        return f"{self.day}"


class RequestDailyRollup(models.Model):
    """Requests filed on one local day in one place (community, or the street when unplaced) of one
    kind through one channel, and how they stood when the day was rolled up."""

    day = models.DateField(_("day"))
    street = models.ForeignKey(
        TerritoryUnit, verbose_name=_("street office"), on_delete=models.CASCADE, related_name="+"
    )
    community = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.ForeignKey(ServiceKind, verbose_name=_("kind"), on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    filed = models.PositiveIntegerField(_("filed"), default=0)
    responded_in_time = models.PositiveIntegerField(_("answered in time"), default=0)
    resolved_in_time = models.PositiveIntegerField(_("resolved in time"), default=0)
    rated = models.PositiveIntegerField(_("rated"), default=0)
    rated_good = models.PositiveIntegerField(_("rated 4 or 5"), default=0)
    handled = models.PositiveIntegerField(_("handled"), default=0)

    class Meta:
        verbose_name = _("daily request rollup")
        verbose_name_plural = _("daily request rollups")
        indexes = [
            models.Index(fields=["street", "day"], name="rollup_street_day"),
            models.Index(fields=["community", "day"], name="rollup_community_day"),
            models.Index(fields=["day"], name="rollup_day"),
        ]

    def __str__(self):
        return f"{self.day} {self.kind_id} {self.channel}: {self.filed}"


class RequestDailyDurations(models.Model):
    """Histograms ({bucket: count}, see figures.selectors.hours_bucket) of the hours to respond and to
    resolve of the requests filed on one local day in one place."""

    day = models.DateField(_("day"))
    street = models.ForeignKey(
        TerritoryUnit, verbose_name=_("street office"), on_delete=models.CASCADE, related_name="+"
    )
    community = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    response_hours = models.JSONField(_("hours to respond"), default=dict)
    resolution_hours = models.JSONField(_("hours to resolve"), default=dict)

    class Meta:
        verbose_name = _("daily request durations")
        verbose_name_plural = _("daily request durations")
        indexes = [
            models.Index(fields=["street", "day"], name="durations_street_day"),
            models.Index(fields=["community", "day"], name="durations_community_day"),
            models.Index(fields=["day"], name="durations_day"),
        ]

    def __str__(self):
        return f"{self.day} {self.community_id or self.street_id}"
