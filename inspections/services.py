"""Safety inspections (安全员): the community's checklist, kept by its staff, and the rounds leaders
record against it. Every hazard found is filed as a request of the street's hazard kind, so it is
followed level by level to its removal like any other request; the round keeps a link to it."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.scope import scope_for
from inspections.models import DEFAULT_CHECKLIST, ChecklistItem, Finding, Inspection
from service_requests.models import Channel, ReportCategory, ServiceKind
from service_requests.services import request_file
from territory.models import Building, Level, TerritoryUnit

TEXT_MAX = ChecklistItem._meta.get_field("text").max_length
NOTE_MAX = Finding._meta.get_field("note").max_length


@dataclass(frozen=True)
class FindingInput:
    """One checklist line as the inspector marked it."""

    item: ChecklistItem
    is_hazard: bool = False
    building: Building | None = None
    note: str = ""


# ---- The checklist --------------------------------------------------------------------------------


@transaction.atomic
def checklist_items_for(community: TerritoryUnit) -> list[ChecklistItem]:
    """The community's active checklist, in order. A community that never had one gets the default
    list on first use (stored in the site's language; its staff edit it from then on)."""
    items = ChecklistItem.objects.filter(community=community)
    if not items.exists():
        # Lock the community row so two first uses at once do not both install the list.
        TerritoryUnit.objects.select_for_update().filter(pk=community.pk).first()
        if not items.exists():
            with translation.override(settings.LANGUAGE_CODE):
                ChecklistItem.objects.bulk_create(
                    ChecklistItem(community=community, text=str(text), sort_order=index)
                    for index, text in enumerate(DEFAULT_CHECKLIST)
                )
    return list(items.filter(active=True).order_by("sort_order", "id"))


def _check_manages(actor, community_id: int) -> None:
    if actor is not None and not scope_for(actor).can_manage_community(community_id):
        raise PermissionDenied(_("Only the community's staff can change its checklist."))


def _clean_text(community_id: int, text: str, *, exclude_pk=None) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError(_("Say what is to be checked."))
    if len(text) > TEXT_MAX:
        raise ValidationError(_("Keep it to %(max)d characters.") % {"max": TEXT_MAX})
    taken = ChecklistItem.objects.filter(community_id=community_id, text=text).exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError(_("The checklist already has this line."))
    return text


@transaction.atomic
def checklist_item_add(*, actor, community: TerritoryUnit, text: str) -> ChecklistItem:
    """Add a line at the end of the community's checklist."""
    _check_manages(actor, community.pk)
    checklist_items_for(community)  # a first edit starts from the default list, not from nothing
    text = _clean_text(community.pk, text)
    last = ChecklistItem.objects.filter(community=community).aggregate(last=Max("sort_order"))["last"]
    return ChecklistItem.objects.create(
        community=community, text=text, sort_order=0 if last is None else last + 1
    )


@transaction.atomic
def checklist_item_rename(*, actor, item: ChecklistItem, text: str) -> ChecklistItem:
    """Reword a line. Rounds already recorded keep the words they were checked against."""
    _check_manages(actor, item.community_id)
    item.text = _clean_text(item.community_id, text, exclude_pk=item.pk)
    item.save(update_fields=["text"])
    return item


@transaction.atomic
def checklist_item_set_active(*, actor, item: ChecklistItem, active: bool) -> ChecklistItem:
    """Take a line off the checklist (or put it back); its past findings stay."""
    _check_manages(actor, item.community_id)
    item.active = active
    item.save(update_fields=["active"])
    return item


@transaction.atomic
def checklist_item_move(*, actor, item: ChecklistItem, up: bool) -> ChecklistItem:
    """Move a line one place up or down among the community's lines in use (or among those taken
    off). The lines are renumbered in order, those in use first."""
    _check_manages(actor, item.community_id)
    lines = list(
        ChecklistItem.objects.select_for_update()
        .filter(community_id=item.community_id)
        .order_by("-active", "sort_order", "id")
    )
    index = next(i for i, line in enumerate(lines) if line.pk == item.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(lines) and lines[other].active == lines[index].active:
        lines[index], lines[other] = lines[other], lines[index]
    for position, line in enumerate(lines):
        line.sort_order = position
    ChecklistItem.objects.bulk_update(lines, ["sort_order"])
    item.sort_order = next(line.sort_order for line in lines if line.pk == item.pk)
    return item


# ---- Rounds ---------------------------------------------------------------------------------------


def inspection_community(unit: TerritoryUnit) -> TerritoryUnit:
    return (
        unit if unit.level == Level.COMMUNITY else TerritoryUnit.objects.get(pk=unit.community_id_from_path())
    )


def patch_buildings(unit: TerritoryUnit):
    """The buildings of a patch: where it has households (for a community: every building of it)."""
    if unit.level == Level.COMMUNITY:
        return Building.objects.filter(estate__community=unit)
    return Building.objects.filter(
        pk__in=Building.objects.filter(entrances__households__cell__path__startswith=unit.path).values("pk")
    )


def hazard_kind_for(community: TerritoryUnit) -> ServiceKind | None:
    """The street's active kind of request for safety hazards (the first in catalogue order)."""
    street_id = community.ancestor_ids[0]
    return (
        ServiceKind.objects.filter(street_id=street_id, report_category=ReportCategory.HAZARD, active=True)
        .order_by("sort_order", "id")
        .first()
    )


def _finding_errors(findings: list[FindingInput], community: TerritoryUnit, building_ids: set[int]):
    errors, seen = [], set()
    for finding in findings:
        item = finding.item
        if item.community_id != community.pk or item.pk in seen:
            errors.append(
                ValidationError(
                    _("%(item)s: this line is not on the community's checklist."),
                    code="bad_item",
                    params={"item": item.text, "item_id": item.pk},
                )
            )
        seen.add(item.pk)
        if not finding.is_hazard:
            continue
        if finding.building is None or not finding.note.strip():
            errors.append(
                ValidationError(
                    _("%(item)s: choose the building and say where the hazard is and what it is."),
                    code="hazard_incomplete",
                    params={"item": item.text, "item_id": item.pk},
                )
            )
        elif finding.building.pk not in building_ids:
            errors.append(
                ValidationError(
                    _("%(item)s: that building is not in this patch."),
                    code="bad_building",
                    params={"item": item.text, "item_id": item.pk},
                )
            )
        elif len(finding.note.strip()) > NOTE_MAX:
            errors.append(
                ValidationError(
                    _("%(item)s: keep the note to %(max)d characters."),
                    code="note_too_long",
                    params={"item": item.text, "item_id": item.pk, "max": NOTE_MAX},
                )
            )
    return errors


@transaction.atomic
def inspection_record(*, actor, unit: TerritoryUnit, findings, note: str = "") -> Inspection:
    """Record a round of `unit` against the checklist. `findings` is a list of FindingInput (or of
    (item, is_hazard, building, note) tuples). Every hazard is filed as a request of the street's
    hazard kind at the building where it was found, with the inspector as its first-asked owner.

    Refused (ValidationError, nothing saved): no line checked, a line of another community, a hazard
    without its building or note, a building outside the patch, a street with no hazard kind."""
    scope = scope_for(actor)
    if not (scope.is_leader or scope.is_staff) or not scope.holds(unit.path):
        raise PermissionDenied(_("Only the leaders and staff of this patch can record its inspection."))
    if unit.level == Level.STREET:
        raise ValidationError(_("Choose a community or a unit inside one."))
    findings = [f if isinstance(f, FindingInput) else FindingInput(*f) for f in findings]
    if not findings:
        raise ValidationError(_("Mark at least one line of the checklist."))
    note = (note or "").strip()
    if len(note) > Inspection._meta.get_field("note").max_length:
        raise ValidationError(_("The note is too long."))
    community = inspection_community(unit)
    hazards = [f for f in findings if f.is_hazard]
    building_ids = set()
    if hazards:
        wanted = {f.building.pk for f in hazards if f.building is not None}
        building_ids = set(patch_buildings(unit).filter(pk__in=wanted).values_list("pk", flat=True))
    errors = _finding_errors(findings, community, building_ids)
    if errors:
        raise ValidationError(errors)
    kind = hazard_kind_for(community) if hazards else None
    if hazards and kind is None:
        raise ValidationError(
            _(
                "The service catalogue has no kind of request for safety hazards, so the hazards "
                "cannot be filed. Ask the staff to add one (street report category: safety hazard) "
                "in the service catalogue."
            ),
            code="no_hazard_kind",
        )
    inspection = Inspection.objects.create(
        unit=unit,
        unit_path=unit.path,
        community=community,
        inspector=actor,
        done_at=timezone.now(),
        note=note,
        hazard_count=len(hazards),
    )
    rows = []
    for finding in findings:
        row = Finding(
            inspection=inspection,
            item=finding.item,
            item_text=finding.item.text,
            is_hazard=finding.is_hazard,
            building=finding.building if finding.is_hazard else None,
            note=finding.note.strip() if finding.is_hazard else "",
        )
        if finding.is_hazard:
            row.request = request_file(
                actor=actor,
                kind=kind,
                description=_("%(item)s: %(note)s") % {"item": finding.item.text, "note": row.note},
                channel=Channel.PATROL,
                building=finding.building,
                community=community,
            )
        rows.append(row)
    Finding.objects.bulk_create(rows)
    return inspection
