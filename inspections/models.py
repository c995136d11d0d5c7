"""Safety inspections (安全员): a leader walks their patch against the community's checklist; every
hazard found becomes a request of a hazard kind, so it is followed to its removal like any other."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from territory.models import Level, TerritoryUnit

# The default checklist a community starts with (editable by its staff).
DEFAULT_CHECKLIST = [
    _("Corridors and stairways blocked"),
    _("E-bikes parked or charging indoors"),
    _("Exposed or tangled wiring"),
    _("Fire extinguishers missing or expired"),
    _("Fire exits locked or blocked"),
    _("Gas smell or old gas hoses"),
    _("Loose railings, windows or things that could fall"),
]


class ChecklistItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        return self.filter(scope_for(user).community_things_q())


class ChecklistItem(models.Model):
    community = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("community"),
        on_delete=models.CASCADE,
        related_name="inspection_items",
        limit_choices_to={"level": Level.COMMUNITY},
    )
    text = models.CharField(_("what to check"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    objects = ChecklistItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("inspection checklist")
        ordering = ["community_id", "sort_order", "id"]

    def __str__(self):
        return self.text


class InspectionQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        return self.filter(scope_for(user).inspections_q(user))


class Inspection(models.Model):
    unit = models.ForeignKey(
        TerritoryUnit, verbose_name=_("patch"), on_delete=models.PROTECT, related_name="inspections"
    )
    unit_path = models.CharField(max_length=255, editable=False, db_index=True)
    community = models.ForeignKey(
        TerritoryUnit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="inspections",
    )
    done_at = models.DateTimeField(_("time"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    hazard_count = models.PositiveSmallIntegerField(_("hazards found"), default=0)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("safety inspection")
        verbose_name_plural = _("safety inspections")
        ordering = ["-done_at", "-id"]
        indexes = [models.Index(fields=["community", "done_at"], name="inspection_community_time")]

    def __str__(self):
        return f"{self.unit} · {self.done_at:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("inspections:detail", args=[self.pk])


class Finding(models.Model):
    """One checklist line of a round: fine, or a hazard (with where and what, and the request filed)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    item = models.ForeignKey(
        ChecklistItem,
        verbose_name=_("checklist item"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    item_text = models.CharField(_("what was checked"), max_length=100)
    is_hazard = models.BooleanField(_("hazard"), default=False)
    building = models.ForeignKey(
        "territory.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("where and what"), max_length=500, blank=True)
    request = models.ForeignKey(
        "service_requests.Request",
        verbose_name=_("hazard request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["inspection_id", "id"]

    def __str__(self):
        return self.item_text
