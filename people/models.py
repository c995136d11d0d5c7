"""Households and residents. ID numbers are stored encrypted (Fernet, key from the environment) with a
keyed digest beside them for exact-match search and uniqueness; lists only ever show the masked form."""

from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from people import identity
from territory.models import Entrance, Level, TerritoryUnit


class HouseholdStatus(models.TextChoices):
    RESIDENT = "resident", _("Lives here")
    REGISTERED_ONLY = "registered_only", _("Registered, not living here")  # 空挂户


class ResidenceStatus(models.TextChoices):
    RESIDENT = "resident", _("Lives here")  # 常住
    REGISTERED_ONLY = "registered_only", _("Registered only")  # 空挂
    TENANT = "tenant", pgettext_lazy("residence status", "Tenant")  # 流动


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Sibling")
    RELATIVE = "relative", _("Other relative")
    TENANT = "tenant", pgettext_lazy("relation to head of household", "Tenant")
    OTHER = "other", _("Other")


# (field name, label): the tags of a resident, and the special groups (重点人群), in display order.
PERSON_TAGS = [
    ("is_party_member", _("Party member")),
    ("is_five_elders", _("Five elders")),
    ("is_veteran", _("Veteran")),
    ("is_volunteer", _("Volunteer")),
]
SPECIAL_GROUPS = [
    ("is_elderly_alone", _("Elderly living alone")),
    ("is_left_behind_child", _("Left-behind child")),
    ("is_disabled", _("Disabled")),
    ("has_low_income_allowance", _("Low-income allowance")),
    ("has_serious_illness", _("Serious illness")),
    ("is_special_support", _("Special-support family")),
]
SPECIAL_GROUP_FIELDS = [name for name, _label in SPECIAL_GROUPS]


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        return self.filter(scope_for(user).households_q())

    def living_here(self):
        return self.filter(status=HouseholdStatus.RESIDENT)

    def with_address(self):
        return self.select_related("entrance__building__estate")


class Household(models.Model):
    community = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="community_households",
        limit_choices_to={"level": Level.COMMUNITY},
    )
    cell = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("neighbour cell"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cell_households",
        limit_choices_to={"level": Level.CELL},
    )
    entrance = models.ForeignKey(
        Entrance, verbose_name=_("entrance"), on_delete=models.PROTECT, related_name="households"
    )
    room = models.CharField(_("room"), max_length=20)
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    status = models.CharField(
        _("household status"),
        max_length=20,
        choices=HouseholdStatus.choices,
        default=HouseholdStatus.RESIDENT,
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    # Placed in its cell by hand: the automatic partition leaves it there.
    cell_pinned = models.BooleanField(
        _("placed by hand"),
        default=False,
        help_text=_("The automatic partition leaves this household in its neighbour cell."),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["entrance_id", "floor", "room"]
        constraints = [models.UniqueConstraint(fields=["entrance", "room"], name="household_unique_address")]
        indexes = [
            models.Index(fields=["community", "status"], name="household_community_status"),
            models.Index(fields=["cell", "status"], name="household_cell_status"),
        ]

    def __str__(self):
        return self.address

    @property
    def address(self) -> str:
        entrance = self.entrance
        building = entrance.building
        parts = [building.estate.name, building.name]
        if entrance.name:
            parts.append(entrance.name)
        parts.append(self.room)
        return " ".join(parts)

    @property
    def is_registered_only(self) -> bool:
        return self.status == HouseholdStatus.REGISTERED_ONLY

    @cached_property
    def head(self):
        members = list(self.members.all())
        return next((m for m in members if m.relation == Relation.HEAD), members[0] if members else None)


class ResidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        return self.filter(scope_for(user).households_q(prefix="household__"))

    def counted(self):
        """Residents who count for leaders' figures: not 空挂, in a household that lives here."""
        return self.exclude(residence_status=ResidenceStatus.REGISTERED_ONLY).filter(
            household__status=HouseholdStatus.RESIDENT, died_on__isnull=True
        )

    def in_special_group(self):
        q = Q()
        for name in SPECIAL_GROUP_FIELDS:
            q |= Q(**{name: True})
        return self.filter(q)


class Resident(models.Model):
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="members"
    )
    name = models.CharField(_("name"), max_length=50)
    name_pinyin = models.CharField(_("name in pinyin"), max_length=200, editable=False, default="")
    name_initials = models.CharField(_("pinyin initials"), max_length=50, editable=False, default="")
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    id_number_ciphertext = models.TextField(editable=False, blank=True)
    id_number_digest = models.CharField(max_length=64, editable=False, null=True, blank=True, unique=True)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False, blank=True)
    phone = models.CharField(_("phone"), max_length=11, blank=True)
    relation = models.CharField(
        _("relation to head of household"), max_length=16, choices=Relation.choices, default=Relation.HEAD
    )
    residence_status = models.CharField(
        _("residence status"),
        max_length=20,
        choices=ResidenceStatus.choices,
        default=ResidenceStatus.RESIDENT,
    )
    is_party_member = models.BooleanField(_("party member"), default=False)
    is_five_elders = models.BooleanField(_("five elders"), default=False)
    is_veteran = models.BooleanField(_("veteran"), default=False)
    is_volunteer = models.BooleanField(_("volunteer"), default=False)
    is_elderly_alone = models.BooleanField(_("elderly living alone"), default=False)
    is_left_behind_child = models.BooleanField(_("left-behind child"), default=False)
    is_disabled = models.BooleanField(_("disabled"), default=False)
    has_low_income_allowance = models.BooleanField(_("low-income allowance"), default=False)
    has_serious_illness = models.BooleanField(_("serious illness"), default=False)
    is_special_support = models.BooleanField(_("special-support family"), default=False)
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=50, blank=True)
    emergency_contact_phone = models.CharField(_("emergency contact phone"), max_length=11, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    died_on = models.DateField(_("date of death"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ResidentQuerySet.as_manager()
    # The ciphertext and digest change with every encryption; the masked form records that a change happened.
    history = HistoricalRecords(excluded_fields=["id_number_ciphertext", "id_number_digest"])

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["household_id", "id"]
        indexes = [
            models.Index(fields=["name"], name="resident_name"),
            models.Index(
                fields=["name_initials"], name="resident_initials", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["name_pinyin"], name="resident_pinyin", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["phone"], name="resident_phone"),
        ] + [
            models.Index(fields=["household"], name=f"resident_{name[:20]}", condition=Q(**{name: True}))
            for name in SPECIAL_GROUP_FIELDS
        ]

    def __str__(self):
        return self.name

    def set_id_number(self, number: str) -> None:
        """Store an already validated ID number: ciphertext, digest and masked form together."""
        if not number:
            self.id_number_ciphertext, self.id_number_digest, self.id_number_masked = "", None, ""
            return
        self.id_number_ciphertext = identity.id_number_encrypt(number)
        self.id_number_digest = identity.id_number_digest(number)
        self.id_number_masked = identity.id_number_mask(number)

    def reveal_id_number(self) -> str:
        """Plain ID number. Call only through people.services.resident_reveal, which audits it."""
        return identity.id_number_decrypt(self.id_number_ciphertext) if self.id_number_ciphertext else ""

    @property
    def phone_masked(self) -> str:
        return identity.phone_mask(self.phone)

    @property
    def emergency_phone_masked(self) -> str:
        return identity.phone_mask(self.emergency_contact_phone)

    @property
    def tag_labels(self) -> list[str]:
        return [str(label) for name, label in PERSON_TAGS if getattr(self, name)]

    @property
    def special_group_labels(self) -> list[str]:
        return [str(label) for name, label in SPECIAL_GROUPS if getattr(self, name)]

    @property
    def is_counted(self) -> bool:
        return self.residence_status != ResidenceStatus.REGISTERED_ONLY and self.died_on is None
