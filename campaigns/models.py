"""Outreach campaigns (宣讲): a policy carried to every household of a target set.

Staff choose a territory and filters; the target households are fixed when the campaign is created
(one CampaignTarget each, with its cell's path copied for counting by level), and leaders mark each one
reached, not at home or declined. Coverage is counted live from the targets.

Who sees which targets is decided by that copied path (see accounts.scope.Scope.campaign_targets_q), not by where the household
lives today: the figures of a cell stay those of the households it was given, and the index on
(campaign, cell_path, status) answers every count.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from people.models import SPECIAL_GROUPS
from territory.models import TerritoryUnit


class Topic(models.TextChoices):
    DROWNING = "drowning", _("Drowning prevention")
    ANTI_DRUG = "anti_drug", _("Anti-drug")
    ANTI_FRAUD = "anti_fraud", _("Anti-telecom-fraud")
    WINTER_ELECTRICAL = "winter_electrical", _("Winter electrical safety")
    GOV_APP = "gov_app", _("Government-services app for elderly residents")
    OTHER = "other", _("Other")


class CampaignQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        return self.filter(scope_for(user).campaigns_q(user))


class Campaign(models.Model):
    unit = models.ForeignKey(
        TerritoryUnit, verbose_name=_("territory"), on_delete=models.PROTECT, related_name="campaigns"
    )
    unit_path = models.CharField(max_length=255, editable=False, db_index=True)
    title = models.CharField(_("title"), max_length=100)
    topic = models.CharField(_("topic"), max_length=24, choices=Topic.choices)
    description = models.TextField(_("what to tell residents"), max_length=2000, blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    # The filters the target set was drawn with, kept to show how it was chosen.
    min_age = models.PositiveSmallIntegerField(
        _("households with someone aged at least"), null=True, blank=True
    )
    special_group = models.CharField(
        _("households with someone in"), max_length=32, blank=True, choices=SPECIAL_GROUPS
    )
    target_count = models.PositiveIntegerField(_("households targeted"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CampaignQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("outreach campaign")
        verbose_name_plural = _("outreach campaigns")
        ordering = ["-starts_on", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("campaigns:detail", args=[self.pk])

    def is_running(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.starts_on <= today <= self.ends_on

    def has_ended(self, today=None) -> bool:
        return (today or timezone.localdate()) > self.ends_on


class TargetStatus(models.TextChoices):
    PENDING = "pending", _("Not yet")
    REACHED = "reached", _("Reached")
    NOT_HOME = "not_home", _("Not at home")
    DECLINED = "declined", _("Declined")


class CampaignTargetQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        return self.filter(scope_for(user).campaign_targets_q())


class CampaignTarget(models.Model):
    # No index of its own: the unique constraint and the coverage index both start with the campaign.
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets", db_index=False)
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="campaign_targets",
    )
    # The household's cell when the campaign was made (its community's path if it was in no cell yet):
    # coverage is counted per cell, group, area and community by it.
    cell_path = models.CharField(max_length=255)
    status = models.CharField(
        _("status"), max_length=16, choices=TargetStatus.choices, default=TargetStatus.PENDING
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    marked_at = models.DateTimeField(_("marked"), null=True, blank=True)

    objects = CampaignTargetQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("campaign household")
        verbose_name_plural = _("campaign households")
        ordering = ["campaign_id", "cell_path", "household_id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "household"], name="campaign_target_once")]
        indexes = [
            models.Index(
                fields=["campaign", "cell_path", "status"],
                name="campaign_target_cell",
                opclasses=["int8_ops", "varchar_pattern_ops", "varchar_ops"],
            )
        ]

    def __str__(self):
        return f"{self.campaign} · {self.household}"
