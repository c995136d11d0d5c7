"""Residents' requests (诉求) and the service catalogue that grades them.

A request sits at one level of the territory at a time (`holder`: a cell, group, area, community or the
street); whoever holds that level answers it, solves it, hands it down or sends it up, and the periodic
job sends it up by itself when the level's deadline passes. The first person who received it
(`first_owner`, 首问责任人) stays on it until it is closed. Every step is a RequestEvent: the timeline.
"""

import secrets

from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from territory.models import Building, Level, TerritoryUnit


class Grade(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    PRIORITY = "priority", _("Priority")
    NORMAL = "normal", _("Normal")


class ReportCategory(models.TextChoices):
    """The street report's line (DOMAIN.md §3): problems found, disputes, hazards, micro-services."""

    PROBLEM = "problem", _("Problem")
    DISPUTE = "dispute", _("Dispute")
    HAZARD = "hazard", _("Safety hazard")
    MICRO_SERVICE = "micro_service", _("Micro-service")


# The levels a request climbs, bottom to top: 邻 → 组 → 片 → 社区 → 街道.
TIER_ORDER = [Level.CELL, Level.GROUP, Level.AREA, Level.COMMUNITY, Level.STREET]


class ServiceKind(models.Model):
    """One entry of the service catalogue: its grade, deadlines, first level, menu and dispatch team."""

    street = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("street office"),
        on_delete=models.PROTECT,
        related_name="service_kinds",
        limit_choices_to={"level": Level.STREET},
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=50)
    description = models.CharField(_("description"), max_length=300, blank=True)
    grade = models.CharField(_("grade"), max_length=16, choices=Grade.choices, default=Grade.NORMAL)
    response_hours = models.PositiveIntegerField(_("hours to respond"), default=24)
    resolution_hours = models.PositiveIntegerField(_("hours to resolve"), default=72)
    first_level = models.CharField(
        _("level that handles it first"),
        max_length=16,
        choices=[(level, label) for level, label in Level.choices if level in TIER_ORDER],
        default=Level.CELL,
    )
    report_category = models.CharField(
        _("street report category"),
        max_length=16,
        choices=ReportCategory.choices,
        default=ReportCategory.PROBLEM,
    )
    on_public_menu = models.BooleanField(_("residents can order it from the menu"), default=True)
    is_menu_service = models.BooleanField(
        _("menu service: the party organisation dispatches it"), default=False
    )
    dispatch_team = models.ForeignKey(
        "volunteers.Team",
        verbose_name=_("team it is dispatched to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_kinds",
    )
    icon = models.CharField(_("icon"), max_length=8, blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("kind of request")
        verbose_name_plural = _("service catalogue")
        ordering = ["street_id", "sort_order", "name"]
        constraints = [models.UniqueConstraint(fields=["street", "code"], name="service_kind_unique_code")]

    def __str__(self):
        return self.name


class Channel(models.TextChoices):
    QR = "qr", _("QR code on the building board")
    WECHAT = "wechat", _("WeChat")
    VISIT = "visit", _("Home visit")
    PHONE = "phone", _("Phone call")
    MEETING = "meeting", _("Village meeting")
    SERVICE_CENTRE = "service_centre", _("Service centre")
    PATROL = "patrol", _("Patrol or inspection")
    OPEN311 = "open311", _("Partner system (Open311)")


class Status(models.TextChoices):
    NEW = "new", _("Waiting for an answer")
    IN_PROGRESS = "in_progress", _("Being handled")
    DISPATCHED = "dispatched", _("Dispatched")
    RESOLVED = "resolved", _("Resolved, waiting for the resident")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = [Status.NEW, Status.IN_PROGRESS, Status.DISPATCHED]


def _public_token() -> str:
    return secrets.token_urlsafe(16)


class RequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        return self.filter(scope_for(user).requests_q(user))

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Request(models.Model):
    public_token = models.CharField(max_length=32, unique=True, default=_public_token, editable=False)
    kind = models.ForeignKey(
        ServiceKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="requests"
    )
    description = models.TextField(_("description"), max_length=2000)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    # Where: the street always; the rest as far as known. An address that matches no building lands in
    # the street's (or community's) staff queue to be placed.
    street = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("street office"),
        on_delete=models.PROTECT,
        related_name="street_requests",
    )
    community = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="community_requests",
    )
    cell = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("neighbour cell"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cell_requests",
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )
    address_text = models.CharField(_("address as given"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    # The reporter: never shown on public pages or the public API. Both may be blank (anonymous).
    reporter_name = models.CharField(_("reporter's name"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=11, blank=True)
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter's account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_requests",
    )
    first_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first-asked owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="first_owned_requests",
    )
    holder = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("level holding it"),
        on_delete=models.PROTECT,
        related_name="held_requests",
    )
    assignee_team = models.ForeignKey(
        "volunteers.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("doer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(_("filed"), db_index=True)
    # Overall deadlines from the kind's grade (the three rates are measured against these).
    response_due_at = models.DateTimeField(_("respond by"))
    resolution_due_at = models.DateTimeField(_("resolve by"))
    # The current level's deadlines: passing one sends the request up a level.
    level_since = models.DateTimeField(_("at this level since"))
    level_response_due_at = models.DateTimeField(_("this level responds by"), null=True, blank=True)
    level_resolution_due_at = models.DateTimeField(_("this level resolves by"), null=True, blank=True)
    responded_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    close_reason = models.CharField(_("reason for closing"), max_length=200, blank=True)
    solved_on_spot = models.BooleanField(_("solved on the spot"), default=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged",
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    times_reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    objects = RequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["holder", "status"], name="request_holder_status"),
            models.Index(fields=["community", "status", "created_at"], name="request_community_status"),
            models.Index(fields=["street", "created_at"], name="request_street_created"),
            models.Index(fields=["cell", "status"], name="request_cell_status"),
            models.Index(fields=["building", "kind", "status"], name="request_building_kind"),
            models.Index(fields=["first_owner", "status"], name="request_first_owner"),
            models.Index(fields=["assignee_team", "status"], name="request_team_status"),
            models.Index(fields=["assignee", "status"], name="request_assignee_status"),
            models.Index(fields=["reporter_user"], name="request_reporter"),
            models.Index(
                fields=["level_response_due_at"],
                name="request_level_response_due",
                condition=Q(status="new"),
            ),
            models.Index(
                fields=["level_resolution_due_at"],
                name="request_level_resolution_due",
                condition=Q(status__in=["new", "in_progress", "dispatched"]),
            ),
            models.Index(
                fields=["resolved_at"], name="request_awaiting_rating", condition=Q(status="resolved")
            ),
            # The queue's open tabs, oldest first, and their counts: the few open requests among a
            # district's million, in order, without walking the whole created_at index.
            models.Index(
                fields=["created_at", "id"],
                name="request_open_created",
                condition=Q(status__in=["new", "in_progress", "dispatched"]),
            ),
            # The limits on filing without an account (service_requests.photos.anonymous_filing_allowed):
            # the last hour's filings from one phone and from one building's QR code.
            models.Index(
                fields=["reporter_phone", "created_at"],
                name="request_anon_phone_recent",
                condition=Q(channel="qr", reporter_user__isnull=True),
            ),
            models.Index(
                fields=["building", "created_at"],
                name="request_anon_building_recent",
                condition=Q(channel="qr", reporter_user__isnull=True),
            ),
            # "Overdue now" on the figures page for a whole street.
            models.Index(
                fields=["street", "created_at"],
                name="request_street_open",
                condition=Q(status__in=["new", "in_progress", "dispatched"]),
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.kind}"

    @property
    def reference(self) -> str:
        return f"{timezone.localtime(self.created_at):%Y%m%d}-{self.pk}"

    @property
    def reporter_key(self) -> str:
        """A second secret, only on the reporter's own link (?k=): whoever else has the tracking link
        (a neighbour following the same problem) can read the public updates but cannot rate."""
        return signing.Signer(salt="linli.request.reporter").signature(self.public_token)

    def is_reporter_key(self, key: str) -> bool:
        return bool(key) and constant_time_compare(key, self.reporter_key)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EventKind(models.TextChoices):
    FILED = "filed", _("Filed")
    RESPONDED = "responded", _("Answered")
    NOTE = "note", _("Note")
    ESCALATED = "escalated", _("Sent up a level")
    AUTO_ESCALATED = "auto_escalated", _("Sent up a level: deadline passed")
    HANDED_DOWN = "handed_down", _("Handed down a level")
    DISPATCHED = "dispatched", _("Dispatched")
    CLAIMED = "claimed", _("Claimed")
    RESOLVED = "resolved", _("Resolved")
    RATED = "rated", _("Rated by the resident")
    REOPENED = "reopened", _("Reopened")
    CLOSED = "closed", _("Closed")
    MERGED = "merged", _("Merged into another request")


class RequestEvent(models.Model):
    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    from_unit = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_unit = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    message = models.TextField(_("message"), max_length=2000, blank=True)
    public = models.BooleanField(_("shown to the resident"), default=True)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["request", "created_at"], name="request_event_timeline"),
            # The figures rollup looks for days whose requests changed since they were rolled up.
            models.Index(fields=["created_at"], name="request_event_created"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


def photo_path(instance, filename):
    return f"requests/{instance.request_id}/{secrets.token_hex(8)}.{instance.extension}"


class RequestPhoto(models.Model):
    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.CASCADE, related_name="photos"
    )
    event = models.ForeignKey(
        RequestEvent,
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="photos",
    )
    image = models.FileField(_("photo"), upload_to=photo_path)
    extension = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.image.name


class ResponseTemplate(models.Model):
    """Replies staff pick from and edit before sending (常用回复)."""

    street = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("street office"),
        on_delete=models.CASCADE,
        related_name="response_templates",
    )
    title = models.CharField(_("title"), max_length=50)
    text = models.TextField(_("text"), max_length=1000)

    class Meta:
        verbose_name = _("response template")
        verbose_name_plural = _("response templates")
        ordering = ["title"]

    def __str__(self):
        return self.title
