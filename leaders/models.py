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
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="appointment_ends_after_start",
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
