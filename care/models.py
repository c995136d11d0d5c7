"""Care for special groups (重点人群关爱): care plans and their contacts, welfare alerts (异常预警), and
distributions of seasonal supplies.

A CarePlan ties one resident in a cared-for special group to a carer (by default the 邻长 of their
cell). Its cadence is copied from the community's CadenceRule for the resident's groups (the tightest
one wins), and its due dates are stored, so "who is due today" is one indexed query:

    greeting_due_on = last greeting or visit + greeting_days   (a home visit counts as a greeting)
    visit_due_on    = last home visit + visit_days
    due_on          = the earlier of the two; overdue when it is before today
    group_alert_on  = due_on + group_after_days  → the 组长 is told on that day (once per due date)
    area_alert_on   = due_on + area_after_days   → the 片长 is told

A plan ends (ended_on, end_reason) when the resident moves away, dies or leaves the special group;
its contacts stay.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from people.models import SPECIAL_GROUPS
from territory.models import Level, TerritoryUnit


class SpecialGroup(models.TextChoices):
    """The special groups of people.models.SPECIAL_GROUPS, by their field name on Resident."""

    ELDERLY_ALONE = "is_elderly_alone", _("Elderly living alone")
    LEFT_BEHIND_CHILD = "is_left_behind_child", _("Left-behind child")
    DISABLED = "is_disabled", _("Disabled")
    LOW_INCOME = "has_low_income_allowance", _("Low-income allowance")
    SERIOUS_ILLNESS = "has_serious_illness", _("Serious illness")
    SPECIAL_SUPPORT = "is_special_support", _("Special-support family")


assert [g.value for g in SpecialGroup] == [name for name, _label in SPECIAL_GROUPS]
# The groups that get a care plan unless staff switch them off (DOMAIN.md §4); the others are optional.
DEFAULT_CARED_GROUPS = {"is_elderly_alone", "is_left_behind_child", "is_disabled"}


class CadenceRule(models.Model):
    """How often a community's carers greet and visit the members of one special group, and when
    overdue care is told to the group leader and the area leader. Default: 三天线上一问候、七天上门一访问."""

    community = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("community"),
        on_delete=models.CASCADE,
        related_name="cadence_rules",
        limit_choices_to={"level": Level.COMMUNITY},
    )
    special_group = models.CharField(_("special group"), max_length=32, choices=SpecialGroup.choices)
    cared_for = models.BooleanField(_("gets a care plan"), default=True)
    greeting_days = models.PositiveSmallIntegerField(_("greeting every (days)"), default=3)
    visit_days = models.PositiveSmallIntegerField(_("home visit every (days)"), default=7)
    group_after_days = models.PositiveSmallIntegerField(
        _("tell the group leader after (days overdue)"), default=1
    )
    area_after_days = models.PositiveSmallIntegerField(
        _("tell the area leader after (days overdue)"), default=3
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("care cadence")
        verbose_name_plural = _("care cadences")
        ordering = ["community_id", "special_group"]
        constraints = [
            models.UniqueConstraint(fields=["community", "special_group"], name="cadence_unique_group"),
            models.CheckConstraint(
                condition=Q(greeting_days__gte=1, visit_days__gte=1), name="cadence_positive_days"
            ),
        ]

    def __str__(self):
        return f"{self.community} · {self.get_special_group_display()}"


class PlanEndReason(models.TextChoices):
    MOVED = "moved", _("Moved away")
    DIED = "died", _("Died")
    LEFT_GROUP = "left_group", _("No longer in a cared-for group")
    OTHER = "other", _("Other")


class CarePlanQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        return self.filter(scope_for(user).care_q(user))

    def active(self):
        return self.filter(ended_on__isnull=True)

    def for_list(self):
        return self.select_related("resident__household__entrance__building__estate", "carer", "cell")


class CarePlan(models.Model):
    resident = models.ForeignKey(
        "people.Resident", verbose_name=_("resident"), on_delete=models.PROTECT, related_name="care_plans"
    )
    # Denormalised from the resident's household, kept in step by care.services.care_plans_sync: the
    # round and the coverage figures filter on them without joining through the registry.
    community = models.ForeignKey(
        TerritoryUnit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    cell = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("neighbour cell"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cell_path = models.CharField(max_length=255, blank=True, editable=False)
    groups = models.CharField(_("special groups"), max_length=200, blank=True)
    carer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("carer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_plans",
    )
    # Chosen by staff (a nearer or more capable carer): the sync then leaves it alone.
    carer_pinned = models.BooleanField(_("carer chosen by staff"), default=False)
    greeting_days = models.PositiveSmallIntegerField(_("greeting every (days)"), default=3)
    visit_days = models.PositiveSmallIntegerField(_("home visit every (days)"), default=7)
    group_after_days = models.PositiveSmallIntegerField(default=1)
    area_after_days = models.PositiveSmallIntegerField(default=3)
    started_on = models.DateField(_("started"))
    last_greeting_on = models.DateField(_("last greeting"), null=True, blank=True)
    last_visit_on = models.DateField(_("last home visit"), null=True, blank=True)
    greeting_due_on = models.DateField(_("greeting due"))
    visit_due_on = models.DateField(_("home visit due"))
    due_on = models.DateField(_("due"))
    group_alert_on = models.DateField(editable=False)
    area_alert_on = models.DateField(editable=False)
    group_told_for = models.DateField(null=True, blank=True, editable=False)
    area_told_for = models.DateField(null=True, blank=True, editable=False)
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(
        _("reason for ending"), max_length=16, choices=PlanEndReason.choices, blank=True
    )

    objects = CarePlanQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=["group_told_for", "area_told_for", "group_alert_on", "area_alert_on"]
    )

    class Meta:
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=Q(ended_on__isnull=True), name="care_plan_one_active"
            )
        ]
        indexes = [
            models.Index(
                fields=["carer", "due_on"], name="care_plan_carer_due", condition=Q(ended_on__isnull=True)
            ),
            models.Index(
                fields=["cell_path", "due_on"],
                name="care_plan_path_due",
                condition=Q(ended_on__isnull=True),
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
            models.Index(
                fields=["community", "due_on"],
                name="care_plan_community_due",
                condition=Q(ended_on__isnull=True),
            ),
            models.Index(
                fields=["group_alert_on"], name="care_plan_group_alert", condition=Q(ended_on__isnull=True)
            ),
            models.Index(
                fields=["area_alert_on"], name="care_plan_area_alert", condition=Q(ended_on__isnull=True)
            ),
        ]

    def __str__(self):
        return str(self.resident)

    @property
    def is_active(self) -> bool:
        return self.ended_on is None

    @property
    def next_is_visit(self) -> bool:
        return self.visit_due_on <= self.greeting_due_on

    def days_overdue(self, today=None) -> int:
        today = today or timezone.localdate()
        return max(0, (today - self.due_on).days)

    @property
    def group_labels(self) -> list[str]:
        labels = dict(SpecialGroup.choices)
        return [str(labels[g]) for g in self.groups.split(",") if g in labels]


class ContactKind(models.TextChoices):
    ONLINE = "online", _("Online greeting")
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Home visit")


class Wellbeing(models.TextChoices):
    WELL = "well", _("Well")
    CONCERN = "concern", _("A concern")
    URGENT = "urgent", _("Urgent")


class CareContactQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        return self.filter(scope_for(user).care_q(user, prefix="plan__"))


class CareContact(models.Model):
    plan = models.ForeignKey(
        CarePlan, verbose_name=_("care plan"), on_delete=models.PROTECT, related_name="contacts"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    wellbeing = models.CharField(_("how the person is"), max_length=16, choices=Wellbeing.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    request = models.ForeignKey(
        "service_requests.Request",
        verbose_name=_("need found"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_contacts",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="care_contacts",
    )
    contacted_at = models.DateTimeField(_("time"))

    objects = CareContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("care contact")
        verbose_name_plural = _("care contacts")
        ordering = ["-contacted_at", "-id"]
        indexes = [models.Index(fields=["plan", "contacted_at"], name="care_contact_plan_time")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.plan}"


# ---- Welfare alerts (异常预警) -------------------------------------------------------------------


class AlertReason(models.TextChoices):
    NOT_SEEN = "not_seen", _("Not seen for days")
    NO_ANSWER = "no_answer", _("No answer at the door")
    FELL = "fell", _("Fell")
    OTHER = "other", _("Other")


class AlertOutcome(models.TextChoices):
    WELL = "well", _("Found well")
    HOSPITAL = "hospital", _("In hospital")
    WITH_FAMILY = "with_family", _("With family")
    EMERGENCY = "emergency", _("Emergency services took over")
    DIED = "died", _("Found dead")
    FALSE_ALARM = "false_alarm", _("False alarm")
    OTHER = "other", _("Other")


class AlertStep(models.TextChoices):
    CALLED = "called", _("Called the person")
    KNOCKED = "knocked", _("Knocked at the door")
    PROPERTY = "property", _("Property company came")
    FAMILY = "family", _("Family reached")
    EMERGENCY = "emergency", _("Police or ambulance called")


# The target time to first response (DOMAIN.md §4: drive it to an answer fast).
ALERT_RESPONSE_TARGET_MINUTES = 30
# Someone told about an alert outside their own patch (a property butler, a carer from another cell)
# keeps it while it is open and for this long after it closes, and only while they hold a post.
RESPONDER_WINDOW = datetime.timedelta(days=1)


def alerts_told_q(user) -> Q:
    """The alerts `user` was told about and may still answer (see RESPONDER_WINDOW)."""
    recent = Q(closed_at__isnull=True) | Q(closed_at__gte=timezone.now() - RESPONDER_WINDOW)
    return Q(pk__in=user.alerts_to_answer.filter(recent).values("pk"))


class WelfareAlertQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        return self.filter(scope_for(user).alerts_q(user))

    def open(self):
        return self.filter(closed_at__isnull=True)


class WelfareAlert(models.Model):
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="welfare_alerts",
    )
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="welfare_alerts",
    )
    community = models.ForeignKey(
        TerritoryUnit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("what is wrong"), max_length=16, choices=AlertReason.choices)
    description = models.CharField(_("details"), max_length=500, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="raised_alerts",
    )
    # A neighbour raising it from the building's page, not logged in: how to reach them back.
    raiser_name = models.CharField(_("raised by (name)"), max_length=50, blank=True)
    raiser_phone = models.CharField(_("raised by (phone)"), max_length=11, blank=True)
    # Everyone told when it was raised: they all see it and may act on it (the property butler too,
    # who otherwise reads no residents' records).
    responders = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="alerts_to_answer", blank=True)
    raised_at = models.DateTimeField(_("raised"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first responder"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=AlertOutcome.choices, blank=True)
    outcome_note = models.CharField(_("what happened"), max_length=500, blank=True)

    objects = WelfareAlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("welfare alert")
        verbose_name_plural = _("welfare alerts")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["community", "raised_at"], name="alert_community_time"),
            models.Index(fields=["closed_at", "raised_at"], name="alert_open"),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} · {self.household}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def minutes_to_first_response(self) -> int | None:
        if self.first_response_at is None:
            return None
        return int((self.first_response_at - self.raised_at).total_seconds() // 60)

    @property
    def minutes_to_close(self) -> int | None:
        if self.closed_at is None:
            return None
        return int((self.closed_at - self.raised_at).total_seconds() // 60)

    @property
    def response_late(self) -> bool:
        minutes = self.minutes_to_first_response
        if minutes is None:
            minutes = int((timezone.now() - self.raised_at).total_seconds() // 60)
        return minutes > ALERT_RESPONSE_TARGET_MINUTES


class AlertEntry(models.Model):
    """One line of an alert's log: a checklist step done (at most once each), or a note."""

    alert = models.ForeignKey(WelfareAlert, on_delete=models.CASCADE, related_name="entries")
    step = models.CharField(_("step"), max_length=16, choices=AlertStep.choices, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("alert log entry")
        verbose_name_plural = _("alert log")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "step"], condition=~Q(step=""), name="alert_step_once")
        ]

    def __str__(self):
        return self.get_step_display() or self.note


# ---- Distributions (winter care and other supplies) -----------------------------------------------


class DistributionQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        return self.filter(scope_for(user).community_things_q())


class Distribution(models.Model):
    """A round of supplies for a community (e.g. winter care: rice, oil, vegetables)."""

    community = models.ForeignKey(
        TerritoryUnit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="distributions"
    )
    title = models.CharField(_("title"), max_length=100)
    items = models.CharField(_("what is given"), max_length=300)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = DistributionQuerySet.as_manager()

    class Meta:
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")
        ordering = ["-starts_on", "-id"]

    def __str__(self):
        return self.title


class DeliveryQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        return self.filter(scope_for(user).households_q(prefix="household__"))


class Delivery(models.Model):
    """Who received what, when, and who brought it."""

    distribution = models.ForeignKey(Distribution, on_delete=models.PROTECT, related_name="deliveries")
    household = models.ForeignKey(
        "people.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="deliveries"
    )
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    items = models.CharField(_("what was given"), max_length=300)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delivered by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    delivered_at = models.DateTimeField(_("delivered"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = DeliveryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-delivered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["distribution", "household"], name="delivery_once_per_household")
        ]

    def __str__(self):
        return f"{self.distribution} · {self.household}"
