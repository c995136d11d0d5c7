"""Distributions of supplies (winter care: rice, oil, vegetables to an elderly person living alone):
staff open a distribution for their community; leaders record each delivery — who received what,
when, and who brought it. A household receives once per distribution."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import scope_for
from care.models import Delivery, Distribution
from people.models import Household, Resident
from territory.models import Level, TerritoryUnit

TITLE_MAX = Distribution._meta.get_field("title").max_length
ITEMS_MAX = Distribution._meta.get_field("items").max_length
NOTE_MAX = Delivery._meta.get_field("note").max_length
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = datetime.timedelta(minutes=10)


def _text(value: str, *, required_message: str, max_length: int) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValidationError(required_message)
    if len(value) > max_length:
        raise ValidationError(_("Keep it to %(max)d characters.") % {"max": max_length})
    return value


@transaction.atomic
def distribution_create(
    *,
    actor,
    community: TerritoryUnit,
    title: str,
    items: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
) -> Distribution:
    """Open a distribution for a community: its staff (or the street's) only."""
    if community.level != Level.COMMUNITY:
        raise ValidationError(_("A distribution belongs to a community."))
    if actor is not None and not scope_for(actor).can_manage_community(community.pk):
        raise PermissionDenied(_("Only the community's staff can open a distribution."))
    title = _text(title, required_message=_("Give the distribution a title."), max_length=TITLE_MAX)
    items = _text(items, required_message=_("Say what is given."), max_length=ITEMS_MAX)
    if starts_on is None:
        raise ValidationError(_("Give the first day."))
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError(_("The last day is before the first day."))
    return Distribution.objects.create(
        community=community, title=title, items=items, starts_on=starts_on, ends_on=ends_on, created_by=actor
    )


def _already_delivered(distribution: Distribution, household: Household) -> ValidationError:
    earlier = (
        Delivery.objects.filter(distribution=distribution, household=household)
        .select_related("delivered_by")
        .first()
    )
    when = timezone.localtime(earlier.delivered_at).strftime("%Y-%m-%d %H:%M") if earlier else ""
    who = earlier.delivered_by.display_name if earlier and earlier.delivered_by else "—"
    return ValidationError(
        _("This household has already received it: delivered %(when)s by %(who)s.")
        % {"when": when, "who": who},
        code="already_delivered",
    )


@transaction.atomic
def delivery_record(
    *,
    actor,
    distribution: Distribution,
    household: Household,
    resident: Resident | None = None,
    items: str | None = None,
    delivered_at: datetime.datetime | None = None,
    note: str = "",
) -> Delivery:
    """Record that `household` received the distribution (by default its listed items, now), brought
    by `actor`: a leader or staff member who sees the household. A second delivery to the same
    household is refused, saying when and by whom the first was made."""
    scope = scope_for(actor)
    if (
        not (scope.is_leader or scope.is_staff)
        or not Household.objects.visible_to(actor).filter(pk=household.pk).exists()
    ):
        raise PermissionDenied(
            _("Only the leaders and staff of this household's patch can record a delivery.")
        )
    if household.community_id != distribution.community_id:
        raise ValidationError(_("This household is not in the distribution's community."))
    if resident is not None and resident.household_id != household.pk:
        raise ValidationError(_("The person who received it must be a member of the household."))
    items = _text(
        distribution.items if items is None else items,
        required_message=_("Say what was given."),
        max_length=ITEMS_MAX,
    )
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(_("Keep the note to %(max)d characters.") % {"max": NOTE_MAX})
    now = timezone.now()
    delivered_at = delivered_at or now
    if delivered_at > now + CLOCK_SKEW:
        raise ValidationError(_("The delivery time is in the future."))
    if timezone.localdate(delivered_at) < distribution.starts_on:
        raise ValidationError(
            _("The distribution starts on %(date)s; the delivery cannot be earlier.")
            % {"date": distribution.starts_on.isoformat()}
        )
    if Delivery.objects.filter(distribution=distribution, household=household).exists():
        raise _already_delivered(distribution, household)
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                distribution=distribution,
                household=household,
                resident=resident,
                items=items,
                delivered_by=actor,
                delivered_at=delivered_at,
                note=note,
            )
    except IntegrityError:
        # Another leader recorded the same household a moment ago.
        raise _already_delivered(distribution, household) from None
