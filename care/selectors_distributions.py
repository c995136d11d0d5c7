"""Reads for the distribution pages, scoped to the viewer: distributions through
Distribution.objects.visible_to, deliveries and households through the households the viewer sees
(a 邻长 sees and counts only their cell's).

The target of a distribution, for a viewer, is the households of its community in the viewer's patch
where someone in a special group (重点人群) lives; every delivery counts as delivered, and the page
shows how many of the target households have received it."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.scope import Scope, scope_for
from care.models import Delivery, Distribution
from people.models import Household, Resident

LIST_LIMIT = 200  # households listed on the delivery page; more need a search
SEARCH_LIMIT = 50
DELIVERIES_PER_PAGE = 50
STILL_TO_DELIVER_SHOWN = 50


def works_on_distributions(scope: Scope) -> bool:
    return scope.is_leader or scope.is_staff


def _special_households() -> QuerySet:
    return Resident.objects.counted().in_special_group().values("household_id")


def _target_households(user, community_id: int) -> QuerySet:
    return (
        Household.objects.visible_to(user)
        .living_here()
        .filter(community_id=community_id, pk__in=_special_households())
    )


def distribution_list(user) -> list[Distribution]:
    """Visible distributions with, for each, the deliveries the viewer sees and their target: two queries."""
    seen = scope_for(user).households_q(prefix="deliveries__household__")
    special = Q(deliveries__household__in=_special_households())
    distributions = list(
        Distribution.objects.visible_to(user)
        .select_related("community")
        .annotate(
            delivered=Count("deliveries", filter=seen),
            target_delivered=Count("deliveries", filter=seen & special),
        )
        .order_by("-starts_on", "-id")
    )
    targets = dict(
        Household.objects.visible_to(user)
        .living_here()
        .filter(
            community_id__in={d.community_id for d in distributions},
            pk__in=_special_households(),
        )
        .values("community_id")
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
    )
    for distribution in distributions:
        distribution.target = targets.get(distribution.community_id, 0)
    return distributions


def distribution_get(user, pk: int | None) -> Distribution | None:
    if pk is None:
        return None
    return (
        Distribution.objects.visible_to(user).select_related("community", "created_by").filter(pk=pk).first()
    )


@dataclass
class DistributionProgress:
    delivered: int
    target: int
    target_delivered: int
    still_to_deliver: list = field(default_factory=list)

    @property
    def target_left(self) -> int:
        return self.target - self.target_delivered


def distribution_progress(user, distribution: Distribution) -> DistributionProgress:
    """The viewer's share of a distribution: deliveries they see, their target households, and the
    target households still waiting (the first few of them, with their address)."""
    deliveries = Delivery.objects.visible_to(user).filter(distribution=distribution)
    delivered = deliveries.aggregate(
        n=Count("id"), special=Count("id", filter=Q(household__in=_special_households()))
    )
    waiting = (
        _target_households(user, distribution.community_id)
        .exclude(pk__in=Delivery.objects.filter(distribution=distribution).values("household_id"))
        .with_address()
        .order_by(
            "cell__path", "entrance__building__estate__name", "entrance__building__name", "floor", "room"
        )
    )
    return DistributionProgress(
        delivered=delivered["n"],
        target=_target_households(user, distribution.community_id).count(),
        target_delivered=delivered["special"],
        still_to_deliver=list(waiting[:STILL_TO_DELIVER_SHOWN]),
    )


def distribution_deliveries(user, distribution: Distribution) -> QuerySet:
    return (
        Delivery.objects.visible_to(user)
        .filter(distribution=distribution)
        .select_related("household__entrance__building__estate", "resident", "delivered_by")
        .order_by("-delivered_at", "-id")
    )


# ---- Recording a delivery -------------------------------------------------------------------------


def _members_prefetch() -> Prefetch:
    return Prefetch(
        "members",
        queryset=Resident.objects.counted().order_by("id"),
        to_attr="counted_members",
    )


def _choice_base(user, distribution: Distribution) -> QuerySet:
    return (
        Household.objects.visible_to(user)
        .living_here()
        .filter(community_id=distribution.community_id)
        .with_address()
        .select_related("cell")
        .annotate(
            is_special=Exists(_special_households().filter(household_id=OuterRef("pk"))),
            is_delivered=Exists(
                Delivery.objects.filter(distribution=distribution, household_id=OuterRef("pk"))
            ),
        )
        .prefetch_related(_members_prefetch())
    )


_CHOICE_ORDER = [
    "is_delivered",
    "-is_special",
    "cell__path",
    "entrance__building__estate__name",
    "entrance__building__name",
    "floor",
    "room",
]


@dataclass
class HouseholdChoices:
    households: list[Household] = field(default_factory=list)
    needs_search: bool = False
    more: bool = False


def delivery_household_choices(user, distribution: Distribution, query: str = "") -> HouseholdChoices:
    """The households a leader may deliver to: those waiting first, someone in a special group first
    among them; all of a small patch, a search (address or a resident's name) over a big one."""
    base = _choice_base(user, distribution)
    query = (query or "").strip()[:50]
    if query:
        matching = (
            Q(entrance__building__estate__name__icontains=query)
            | Q(entrance__building__name__icontains=query)
            | Q(room__icontains=query)
            | Q(pk__in=Resident.objects.filter(name__icontains=query).values("household_id"))
        )
        found = list(base.filter(matching).order_by(*_CHOICE_ORDER)[: SEARCH_LIMIT + 1])
        choices = HouseholdChoices(households=found[:SEARCH_LIMIT], more=len(found) > SEARCH_LIMIT)
    else:
        listed = list(base.order_by(*_CHOICE_ORDER)[: LIST_LIMIT + 1])
        choices = (
            HouseholdChoices(needs_search=True)
            if len(listed) > LIST_LIMIT
            else HouseholdChoices(households=listed)
        )
    for household in choices.households:
        _decorate(household)
    return choices


def delivery_household_get(user, distribution: Distribution, pk: int | None) -> Household | None:
    if pk is None:
        return None
    household = _choice_base(user, distribution).filter(pk=pk).first()
    return _decorate(household) if household is not None else None


def _decorate(household: Household) -> Household:
    """The members to show (and to pick the receiver from): those in a special group first."""
    members = sorted(household.counted_members, key=lambda m: (not m.special_group_labels, m.pk))
    household.member_choices = members
    household.special_members = [m for m in members if m.special_group_labels]
    household.label_names = "、".join(m.name for m in (household.special_members or members[:1]))
    return household


def households_by_cell(households) -> list[tuple]:
    """[(cell name, households)] in the order given."""
    sections: dict = {}
    for household in households:
        name = household.cell.name if household.cell_id else _("Not in a cell yet")
        sections.setdefault(name, []).append(household)
    return list(sections.items())


def delivery_existing(distribution: Distribution, household: Household) -> Delivery | None:
    return (
        Delivery.objects.filter(distribution=distribution, household=household)
        .select_related("delivered_by", "resident")
        .first()
    )
