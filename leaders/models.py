"""Appointments: who holds which role over which part of the territory, for which term.

A person may hold several; ending one and appointing a successor keeps both rows, so the history of
every post is the list of its appointments. Visibility (accounts.scope) is derived from the active ones.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from territory.models import Building, Estate, Level, TerritoryUnit


class Role(models.TextChoices):
    STREET_ADMIN = "street_admin", _("Street administrator")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    AREA_LEADER = "area_leader", _("Area leader")  # 片长
    GROUP_LEADER = "group_leader", _("Group leader")  # 组长
    CELL_LEADER = "cell_leader", _("Neighbour leader")  # 邻长
    BUILDING_LEADER = "building_leader", _("Building leader")  # 楼栋长
    GRID_WORKER = "grid_worker", _("Grid worker")  # 网格员
    PROPERTY_BUTLER = "property_butler", _("Property butler")  # 物管家
    MEDIATOR = "mediator", _("Mediator")  # 和事佬
    POLICE = "police", _("Community police officer")  # 民警


# Which kind of place each role covers. A role on a territory unit lists the levels it may sit at.
ROLE_UNIT_LEVELS = {
    Role.STREET_ADMIN: [Level.STREET],
    Role.COMMUNITY_STAFF: [Level.COMMUNITY],
    Role.AREA_LEADER: [Level.AREA],
    Role.GROUP_LEADER: [Level.GROUP],
    Role.CELL_LEADER: [Level.CELL],
    Role.GRID_WORKER: [Level.COMMUNITY, Level.AREA, Level.GROUP],
    Role.MEDIATOR: [Level.COMMUNITY, Level.AREA],
    Role.POLICE: [Level.STREET, Level.COMMUNITY],
}
BUILDING_ROLES = {Role.BUILDING_LEADER}
ESTATE_ROLES = {Role.PROPERTY_BUTLER}
# The three leaders (三长) plus the building leader and grid worker see the households of their patch;
# staff see their whole community or street. Mediators, police and property butlers are listed on boards
# but read no residents' records through this system.
ROLES_SEEING_HOUSEHOLDS = {
    Role.STREET_ADMIN,
    Role.COMMUNITY_STAFF,
    Role.AREA_LEADER,
    Role.GROUP_LEADER,
    Role.CELL_LEADER,
    Role.BUILDING_LEADER,
    Role.GRID_WORKER,
}
STAFF_ROLES = {Role.STREET_ADMIN, Role.COMMUNITY_STAFF}
LEADER_ROLE_FOR_LEVEL = {
    Level.AREA: Role.AREA_LEADER,
    Level.GROUP: Role.GROUP_LEADER,
    Level.CELL: Role.CELL_LEADER,
}


class EndReason(models.TextChoices):
    MOVED_AWAY = "moved_away", _("Moved away")
    ILL = "ill", _("Ill health")
    RESIGNED = "resigned", _("Resigned")
    DISMISSED = "dismissed", _("Dismissed")
    TERM_OVER = "term_over", _("Term over")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


class AppointmentQuerySet(models.QuerySet):
    def active(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on), started_on__lte=on)

    def visible_to(self, user):
        from accounts.scope import scope_for

        return self.filter(scope_for(user).appointments_q())


class Appointment(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    unit = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("territory unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    estate = models.ForeignKey(
        Estate,
        verbose_name=_("estate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    started_on = models.DateField(_("start date"))
    # The term the person was appointed for; blank for open-ended posts (staff, police).
    term_ends_on = models.DateField(_("term ends"), null=True, blank=True)
    ended_on = models.DateField(_("end date"), null=True, blank=True)
    end_reason = models.CharField(
        _("reason for ending"), max_length=16, choices=EndReason.choices, blank=True
    )
    end_note = models.CharField(_("note on ending"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AppointmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["-started_on", "id"]
        indexes = [
            models.Index(fields=["person", "ended_on"], name="appointment_person_active"),
            models.Index(fields=["unit", "role", "ended_on"], name="appointment_unit_role"),
            models.Index(fields=["building", "role", "ended_on"], name="appointment_building_role"),
            models.Index(fields=["estate", "role", "ended_on"], name="appointment_estate_role"),
            models.Index(fields=["term_ends_on"], name="appointment_term_ends"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="appointment_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(term_ends_on__isnull=True) | Q(term_ends_on__gt=models.F("started_on")),
                name="appointment_term_after_start",
            ),
            models.CheckConstraint(
                condition=(
                    Q(unit__isnull=False, estate__isnull=True, building__isnull=True)
                    | Q(unit__isnull=True, estate__isnull=False, building__isnull=True)
                    | Q(unit__isnull=True, estate__isnull=True, building__isnull=False)
                ),
                name="appointment_covers_one_place",
            ),
        ]

    def __str__(self):
        return f"{self.person} · {self.get_role_display()} · {self.place}"

    @property
    def place(self):
        return self.unit or self.building or self.estate

    def is_active(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.started_on <= on and (self.ended_on is None or self.ended_on > on)


# --- Selection: nominations, elections, qualification review, training ------------------------------
#
# A post is filled in four steps (DOMAIN.md §5): someone is nominated (they nominate themselves, the
# community recommends them, or the cell's households elect them), the community reviews their
# qualification against a checklist, the approved nominee is appointed for a term (an Appointment
# above), and the new leader is trained. The rules of each step live in leaders.services.

# Posts a resident may be nominated to: the three leaders and the grid worker and mediator.
NOMINATION_ROLES = [Role.AREA_LEADER, Role.GROUP_LEADER, Role.CELL_LEADER, Role.GRID_WORKER, Role.MEDIATOR]


def _staff_units_q(user, field: str) -> Q:
    """Nominations, elections and trainings are the community's business: staff see those of their
    community (street admins those of the street); leaders see none through their post."""
    from accounts.scope import scope_for

    return scope_for(user).staff_territory_q(field)


class NominationSource(models.TextChoices):
    SELF = "self", _("Self-nomination")
    RECOMMENDATION = "recommendation", _("Recommended by the community")
    ELECTION = "election", _("Elected by the households")


class NominationStatus(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    APPOINTED = "appointed", _("Appointed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


NOMINATION_OPEN_STATUSES = [NominationStatus.PROPOSED, NominationStatus.APPROVED]


class NominationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see their territory's nominations; anyone sees the nominations of themselves."""
        q = _staff_units_q(user, "unit__path")
        if user is not None and user.is_authenticated:
            q |= Q(user=user) | Q(created_by=user)
            if user.resident_id:
                q |= Q(resident_id=user.resident_id)
        return self.filter(q)

    def open(self):
        return self.filter(status__in=NOMINATION_OPEN_STATUSES)


class Nomination(models.Model):
    community = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="community_nominations",
        limit_choices_to={"level": Level.COMMUNITY},
    )
    unit = models.ForeignKey(
        TerritoryUnit, verbose_name=_("territory unit"), on_delete=models.PROTECT, related_name="nominations"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nominations",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nominations",
    )
    source = models.CharField(_("source"), max_length=16, choices=NominationSource.choices)
    statement = models.TextField(_("statement"), max_length=1000, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=NominationStatus.choices, default=NominationStatus.PROPOSED
    )
    status_note = models.CharField(_("note on the status"), max_length=200, blank=True)
    election = models.ForeignKey(
        "Election",
        verbose_name=_("election"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nominations",
    )
    appointment = models.OneToOneField(
        Appointment,
        verbose_name=_("appointment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nomination",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("nominated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = NominationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["community", "status", "created_at"], name="nomination_community_status"),
            models.Index(fields=["unit", "role", "status"], name="nomination_post_status"),
            models.Index(fields=["resident", "status"], name="nomination_resident_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | Q(user__isnull=False), name="nomination_has_nominee"
            ),
            models.UniqueConstraint(
                fields=["unit", "role", "resident"],
                condition=Q(status__in=["proposed", "approved"]),
                name="nomination_one_open_per_resident_post",
            ),
        ]

    def __str__(self):
        return f"{self.nominee_name} · {self.get_role_display()} · {self.unit}"

    @property
    def nominee_name(self) -> str:
        if self.resident_id:
            return self.resident.name
        return self.user.display_name

    @property
    def is_open(self) -> bool:
        return self.status in NOMINATION_OPEN_STATUSES


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


# The qualification checklist (DOMAIN.md §5), in display order: (field name, label).
REVIEW_CHECKS = [
    ("political_quality", _("Political quality")),
    ("coordination", _("Coordination ability")),
    ("reputation", _("Reputation among neighbours")),
    ("responsibility", _("Sense of responsibility")),
    ("has_time", _("Has the time")),
    ("lives_in_cell", _("Actually lives in the patch")),
]


class QualificationReview(models.Model):
    nomination = models.OneToOneField(
        Nomination, verbose_name=_("nomination"), on_delete=models.PROTECT, related_name="review"
    )
    political_quality = models.BooleanField(_("political quality"), default=False)
    political_quality_note = models.CharField(_("note"), max_length=200, blank=True)
    coordination = models.BooleanField(_("coordination ability"), default=False)
    coordination_note = models.CharField(_("note"), max_length=200, blank=True)
    reputation = models.BooleanField(_("reputation"), default=False)
    reputation_note = models.CharField(_("note"), max_length=200, blank=True)
    responsibility = models.BooleanField(_("sense of responsibility"), default=False)
    responsibility_note = models.CharField(_("note"), max_length=200, blank=True)
    has_time = models.BooleanField(_("has the time"), default=False)
    has_time_note = models.CharField(_("note"), max_length=200, blank=True)
    lives_in_cell = models.BooleanField(_("actually lives in the patch"), default=False)
    lives_in_cell_note = models.CharField(_("note"), max_length=200, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_on = models.DateField(_("review date"))
    decision = models.CharField(_("decision"), max_length=8, choices=ReviewDecision.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("qualification review")
        verbose_name_plural = _("qualification reviews")
        ordering = ["-reviewed_on", "-id"]

    def __str__(self):
        return f"{self.nomination} · {self.get_decision_display()}"

    def checklist(self) -> list[tuple[str, bool, str]]:
        """(label, met, note) for each item of the checklist, in order."""
        return [(label, getattr(self, name), getattr(self, f"{name}_note")) for name, label in REVIEW_CHECKS]


class ElectionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("election", "Voting open")
    CLOSED = "closed", _("Closed, not yet published")
    PUBLISHED = "published", _("Results published")
    CANCELLED = "cancelled", _("Cancelled")


class ElectionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see their territory's elections; a resident sees those of their own household's cell."""
        from accounts.scope import scope_for

        return self.filter(_staff_units_q(user, "unit__path") | scope_for(user).own_cell_q("unit_id"))


class Election(models.Model):
    """An election of a cell's 邻长 by its households: one vote per household within the period."""

    community = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="community_elections",
        limit_choices_to={"level": Level.COMMUNITY},
    )
    unit = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("neighbour cell"),
        on_delete=models.PROTECT,
        related_name="elections",
        limit_choices_to={"level": Level.CELL},
    )
    opens_at = models.DateTimeField(_("voting opens"))
    closes_at = models.DateTimeField(_("voting closes"))
    status = models.CharField(
        _("status"), max_length=16, choices=ElectionStatus.choices, default=ElectionStatus.OPEN
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    results_published_at = models.DateTimeField(_("results published"), null=True, blank=True)
    winner = models.ForeignKey(
        "people.Resident",
        verbose_name=_("winner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ElectionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        ordering = ["-opens_at", "-id"]
        indexes = [
            models.Index(fields=["community", "status", "opens_at"], name="election_community_status"),
            models.Index(fields=["unit", "status"], name="election_unit_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="election_closes_after_opening"
            ),
            models.UniqueConstraint(
                fields=["unit"], condition=Q(status="open"), name="election_one_open_per_cell"
            ),
        ]

    def __str__(self):
        return f"{self.unit} · {self.opens_at:%Y-%m-%d}"

    def is_voting(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status == ElectionStatus.OPEN and self.opens_at <= now < self.closes_at


class ElectionCandidate(models.Model):
    election = models.ForeignKey(
        Election, verbose_name=_("election"), on_delete=models.CASCADE, related_name="candidates"
    )
    resident = models.ForeignKey(
        "people.Resident", verbose_name=_("resident"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["election_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["election", "resident"], name="candidate_once_per_election")
        ]

    def __str__(self):
        return self.resident.name


class Vote(models.Model):
    """One household's vote. The household votes through one logged-in member; a second is refused."""

    election = models.ForeignKey(
        Election, verbose_name=_("election"), on_delete=models.CASCADE, related_name="votes"
    )
    household = models.ForeignKey(
        "people.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    candidate = models.ForeignKey(
        ElectionCandidate, verbose_name=_("candidate"), on_delete=models.CASCADE, related_name="votes"
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("voter"), on_delete=models.PROTECT, related_name="+"
    )
    cast_at = models.DateTimeField(_("cast"), auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["election", "household"], name="vote_one_per_household"),
        ]

    def __str__(self):
        return f"{self.election} · {self.household_id}"


class TrainingQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(_staff_units_q(user, "community__path"))


class Training(models.Model):
    """A training session for leaders, held by a community (for its whole territory or one unit)."""

    community = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="community_trainings",
        limit_choices_to={"level": Level.COMMUNITY},
    )
    unit = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("for the leaders of"),
        on_delete=models.PROTECT,
        related_name="trainings",
    )
    title = models.CharField(_("title"), max_length=100)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TrainingQuerySet.as_manager()

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["community", "held_on"], name="training_community_date")]

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d} {self.title}"


class Attendance(models.Model):
    training = models.ForeignKey(
        Training, verbose_name=_("training session"), on_delete=models.CASCADE, related_name="attendances"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="training_attendances",
    )
    attended = models.BooleanField(_("attended"), default=False)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["training_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["training", "person"], name="attendance_once_per_person"),
        ]

    def __str__(self):
        return f"{self.training} · {self.person}"
