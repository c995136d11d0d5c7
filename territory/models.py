"""The territory: street office → community → area → group → neighbour cell (the governance tree),
and beside it the physical address: estate → building → entrance (households hang off entrances).

The governance tree is one table with a materialised path ("/1/7/31/") so that "everything under this
unit" is one indexed prefix match at any level; visibility (accounts.scope) is built on that.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Level(models.TextChoices):
    STREET = "street", _("Street office")
    COMMUNITY = "community", _("Community")
    AREA = "area", _("Area")
    GROUP = "group", _("Group")
    CELL = "cell", _("Neighbour cell")


LEVEL_ORDER = [Level.STREET, Level.COMMUNITY, Level.AREA, Level.GROUP, Level.CELL]
CHILD_LEVEL = {parent: child for parent, child in zip(LEVEL_ORDER, LEVEL_ORDER[1:], strict=False)}

# A neighbour leader keeps in touch with 5 to 15 households (DOMAIN.md §1).
CELL_MIN_HOUSEHOLDS = 5
CELL_MAX_HOUSEHOLDS = 15


def path_ids(path: str) -> list[int]:
    """The ids of the units a materialised path names, from the street down ("/1/7/31/" → [1, 7, 31])."""
    return [int(part) for part in path.strip("/").split("/") if part]


class TerritoryUnitQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        return self.filter(scope_for(user).units_q())

    def under(self, unit: "TerritoryUnit"):
        """The unit and everything below it."""
        return self.filter(path__startswith=unit.path)

    def communities(self):
        return self.filter(level=Level.COMMUNITY)

    def cells(self):
        return self.filter(level=Level.CELL)


class TerritoryUnit(models.Model):
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, editable=False, default="")
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    # A cell staff fixed by hand: the automatic partition keeps its households as they are.
    pinned = models.BooleanField(
        _("fixed by hand"),
        default=False,
        help_text=_("The automatic partition leaves this cell and its households as they are."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TerritoryUnitQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("territory unit")
        verbose_name_plural = _("territory units")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="territory_unit_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["level", "path"], name="territory_unit_level_path"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="territory_unit_unique_name_in_parent"),
        ]

    def __str__(self):
        return self.name

    @property
    def depth(self) -> int:
        return LEVEL_ORDER.index(self.level)

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the street down to this unit, read off the path (no query)."""
        return path_ids(self.path)

    def is_within(self, other: "TerritoryUnit") -> bool:
        return self.path.startswith(other.path)

    def community_id_from_path(self) -> int | None:
        ids = self.ancestor_ids
        return ids[1] if len(ids) > 1 else None


class EstateQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        # A leader's patch may reach into an estate through several households: one row per estate.
        return self.filter(pk__in=Estate.objects.filter(scope_for(user).estates_q()).values("pk"))


class BuildingQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(estate__in=Estate.objects.visible_to(user).values("pk"))


class Estate(models.Model):
    class Kind(models.TextChoices):
        ESTATE = "estate", _("Housing estate")
        VILLAGE = "village", _("Village group")

    community = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="estates",
        limit_choices_to={"level": Level.COMMUNITY},
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ESTATE)
    address = models.CharField(_("street address"), max_length=200, blank=True)

    objects = EstateQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("estate")
        verbose_name_plural = _("estates")
        ordering = ["community_id", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="estate_unique_name")]

    def __str__(self):
        return self.name


class Building(models.Model):
    estate = models.ForeignKey(
        Estate, verbose_name=_("estate"), on_delete=models.PROTECT, related_name="buildings"
    )
    name = models.CharField(_("name"), max_length=50)

    objects = BuildingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["estate_id", "name"]
        constraints = [models.UniqueConstraint(fields=["estate", "name"], name="building_unique_name")]

    def __str__(self):
        return f"{self.estate.name} {self.name}"


class Entrance(models.Model):
    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="entrances"
    )
    # Blank for buildings with a single entrance and for rural households.
    name = models.CharField(_("entrance"), max_length=50, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("entrance")
        verbose_name_plural = _("entrances")
        ordering = ["building_id", "name"]
        constraints = [models.UniqueConstraint(fields=["building", "name"], name="entrance_unique_name")]

    def __str__(self):
        return f"{self.building} {self.name}".strip()
