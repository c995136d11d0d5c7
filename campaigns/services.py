"""Outreach campaigns: creating one with its target households, and marking a household's contact."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import BigIntegerField, CharField, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.scope import scope_for
from campaigns.models import Campaign, CampaignTarget, TargetStatus, Topic
from campaigns.selectors import CAMPAIGN_LEVELS, MAX_AGE, campaign_households, staff_holds
from people.models import SPECIAL_GROUP_FIELDS
from territory.models import TerritoryUnit

MAX_DAYS = 366
MARKS = [TargetStatus.REACHED, TargetStatus.NOT_HOME, TargetStatus.DECLINED]


def _campaign_errors(
    *, unit, title, topic, description, starts_on, ends_on, min_age, special_group, today
) -> dict[str, str]:
    errors = {}
    if unit.level not in CAMPAIGN_LEVELS:
        errors["unit"] = _("Choose a community, area, group or neighbour cell.")
    if not title:
        errors["title"] = _("Give the campaign a title.")
    elif len(title) > 100:
        errors["title"] = _("The title is too long: 100 characters at most.")
    if topic not in Topic.values:
        errors["topic"] = _("Choose a topic.")
    if len(description) > 2000:
        errors["description"] = _("The text is too long: 2,000 characters at most.")
    if ends_on < starts_on:
        errors["ends_on"] = _("The campaign cannot end before it starts.")
    elif ends_on < today:
        errors["ends_on"] = _("This campaign would already be over: choose an end date from today on.")
    elif (ends_on - starts_on).days > MAX_DAYS:
        errors["ends_on"] = _("A campaign runs for a year at most.")
    if min_age is not None and not 1 <= min_age <= MAX_AGE:
        errors["min_age"] = _("Give an age from 1 to %(max)s, or leave it empty.") % {"max": MAX_AGE}
    if special_group and special_group not in SPECIAL_GROUP_FIELDS:
        errors["special_group"] = _("Choose one of the special groups, or none.")
    return errors


def _targets_insert(campaign: Campaign, households) -> int:
    """Write one pending target per household in a single INSERT … SELECT built from the ORM's own
    query: a street's 60,000 households take a fifth of a second, where bulk_create takes seconds.
    A household in no cell gets its community's path. No history rows: a target's history starts with
    its first mark."""
    rows = (
        households.order_by()
        .annotate(
            _campaign=Value(campaign.pk, output_field=BigIntegerField()),
            _path=Coalesce("cell__path", "community__path"),
            _status=Value(TargetStatus.PENDING.value, output_field=CharField()),
            _note=Value("", output_field=CharField()),
        )
        .values_list("_campaign", "pk", "_path", "_status", "_note")
    )
    select, params = rows.query.sql_with_params()
    meta, quote = CampaignTarget._meta, connection.ops.quote_name
    columns = ", ".join(
        quote(meta.get_field(name).column)
        for name in ["campaign", "household", "cell_path", "status", "note"]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(meta.db_table)} ({columns}) {select}", params)
        return cursor.rowcount


@transaction.atomic
def campaign_create(
    *,
    actor,
    unit: TerritoryUnit,
    title: str,
    topic: str,
    description: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    min_age: int | None = None,
    special_group: str = "",
) -> Campaign:
    """Create a campaign and fix its target set: the households living in `unit` with someone who meets
    the filters (see selectors.campaign_households), one pending target each with its cell's path.

    Only staff over the unit may; a campaign with no household to reach is refused."""
    if not staff_holds(scope_for(actor), unit.path):
        raise PermissionDenied(_("Only the staff of this territory can start a campaign in it."))
    title, description = (title or "").strip(), (description or "").strip()
    special_group = special_group or ""
    errors = _campaign_errors(
        unit=unit,
        title=title,
        topic=topic,
        description=description,
        starts_on=starts_on,
        ends_on=ends_on,
        min_age=min_age,
        special_group=special_group,
        today=timezone.localdate(),
    )
    if errors:
        raise ValidationError(errors)
    households = campaign_households(unit=unit, on=starts_on, min_age=min_age, special_group=special_group)
    count = households.count()
    if not count:
        raise ValidationError(
            _(
                "No household in %(unit)s matches these filters, so there is nobody to reach: "
                "the campaign was not created."
            )
            % {"unit": unit.name}
        )
    campaign = Campaign(
        unit=unit,
        unit_path=unit.path,
        title=title,
        topic=topic,
        description=description,
        starts_on=starts_on,
        ends_on=ends_on,
        min_age=min_age,
        special_group=special_group,
        target_count=count,
        created_by=actor,
    )
    campaign._history_user = actor
    campaign.save()
    written = _targets_insert(campaign, households)
    if written != count:  # a household moved in or out between the count and the insert
        Campaign.objects.filter(pk=campaign.pk).update(target_count=written)
        campaign.target_count = written
    return campaign


@transaction.atomic
def campaign_target_mark(*, actor, target: CampaignTarget, status: str, note: str = "") -> CampaignTarget:
    """Record how the household was met: reached, not at home or declined, with an optional note.

    The actor must be a leader or staff who sees the target; the campaign must be running. A later mark
    replaces an earlier one (a household not at home on Monday is reached on Tuesday); the history keeps
    every mark."""
    scope = scope_for(actor)
    if not (scope.is_leader or scope.is_staff) or not (
        CampaignTarget.objects.visible_to(actor).filter(pk=target.pk).exists()
    ):
        raise PermissionDenied(_("Only the leaders and staff of this household can mark it."))
    if status not in MARKS:
        raise ValidationError(_("Choose reached, not at home or declined."))
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError(_("The note is too long: 300 characters at most."))
    campaign = target.campaign
    today = timezone.localdate()
    if today < campaign.starts_on:
        raise ValidationError(
            _("This campaign starts on %(date)s.") % {"date": date_format(campaign.starts_on)}
        )
    if today > campaign.ends_on:
        raise ValidationError(_("This campaign ended on %(date)s.") % {"date": date_format(campaign.ends_on)})
    target.status, target.note = status, note
    target.marked_by, target.marked_at = actor, timezone.now()
    target._history_user = actor
    target.save(update_fields=["status", "note", "marked_by", "marked_at"])
    return target
