"""The checklist and recording a round: every hazard becomes a request of the street's hazard kind."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from inspections import services
from inspections.models import DEFAULT_CHECKLIST, ChecklistItem, Finding, Inspection
from service_requests.models import Channel, ReportCategory, Request, ServiceKind
from territory.models import Building


def _record(cast, actor, unit, marks, note=""):
    return services.inspection_record(actor=actor, unit=unit, findings=marks, note=note)


# ---- The checklist ---------------------------------------------------------------------------------


def test_first_use_installs_the_default_checklist_once(cast):
    first = services.checklist_items_for(cast.community)
    again = services.checklist_items_for(cast.community)
    assert len(first) == len(DEFAULT_CHECKLIST)
    assert [i.pk for i in again] == [i.pk for i in first]
    assert ChecklistItem.objects.filter(community=cast.community).count() == len(DEFAULT_CHECKLIST)


def test_the_default_checklist_is_stored_in_the_site_language(cast, settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("zh-hans"):
        items = services.checklist_items_for(cast.community)
    assert items[0].text == "Corridors and stairways blocked"


def test_each_community_gets_its_own_checklist(cast, items):
    other = services.checklist_items_for(cast.other_community)
    assert {i.community_id for i in other} == {cast.other_community.pk}


def test_a_line_taken_off_is_left_out_and_not_reinstalled(cast, items):
    for item in items:
        services.checklist_item_set_active(actor=cast.staff, item=item, active=False)
    assert services.checklist_items_for(cast.community) == []


def test_staff_add_a_line_at_the_end(cast, items):
    added = services.checklist_item_add(actor=cast.staff, community=cast.community, text=" 楼道堆放杂物 ")
    assert added.text == "楼道堆放杂物"
    assert services.checklist_items_for(cast.community)[-1] == added


def test_staff_add_to_a_community_without_a_checklist_keeps_the_default_lines(cast):
    services.checklist_item_add(actor=cast.staff, community=cast.community, text="楼道堆放杂物")
    assert len(services.checklist_items_for(cast.community)) == len(DEFAULT_CHECKLIST) + 1


def test_a_leader_cannot_change_the_checklist(cast, items):
    with pytest.raises(PermissionDenied):
        services.checklist_item_add(actor=cast.area_leader, community=cast.community, text="x")
    with pytest.raises(PermissionDenied):
        services.checklist_item_rename(actor=cast.cell_leader, item=items[0], text="x")


def test_staff_of_another_community_cannot_change_the_checklist(cast):
    items = services.checklist_items_for(cast.other_community)
    with pytest.raises(PermissionDenied):
        services.checklist_item_set_active(actor=cast.staff, item=items[0], active=False)


def test_an_empty_or_repeated_line_is_refused(cast, items):
    with translation.override("en"), pytest.raises(ValidationError, match="Say what is to be checked"):
        services.checklist_item_add(actor=cast.staff, community=cast.community, text="   ")
    with translation.override("en"), pytest.raises(ValidationError, match="already has this line"):
        services.checklist_item_rename(actor=cast.staff, item=items[1], text=items[0].text)


def test_rename_changes_the_line_but_not_past_rounds(cast, items, kinds):
    inspection = _record(cast, cast.cell_leader, cast.cell, [(items[0], False, None, "")])
    services.checklist_item_rename(actor=cast.staff, item=items[0], text="楼道是否畅通")
    assert services.checklist_items_for(cast.community)[0].text == "楼道是否畅通"
    assert inspection.findings.get().item_text == str(DEFAULT_CHECKLIST[0])


def test_move_up_and_down_reorders_the_lines(cast, items):
    services.checklist_item_move(actor=cast.staff, item=items[2], up=True)
    services.checklist_item_move(actor=cast.staff, item=items[0], up=False)
    order = [i.pk for i in services.checklist_items_for(cast.community)]
    assert order[:3] == [items[2].pk, items[0].pk, items[1].pk]


def test_moving_the_first_line_up_changes_nothing(cast, items):
    services.checklist_item_move(actor=cast.staff, item=items[0], up=True)
    assert services.checklist_items_for(cast.community) == items


# ---- Recording a round -----------------------------------------------------------------------------


def test_a_round_with_everything_fine_files_nothing(cast, items, kinds):
    inspection = _record(cast, cast.cell_leader, cast.cell, [(i, False, None, "") for i in items])
    assert inspection.hazard_count == 0
    assert inspection.unit_path == cast.cell.path
    assert inspection.community == cast.community
    assert inspection.inspector == cast.cell_leader
    assert inspection.findings.count() == len(items)
    assert not Request.objects.exists()


def test_a_hazard_files_a_request_of_the_hazard_kind_in_the_cell(cast, items, kinds, c1_building):
    marks = [(items[0], False, None, ""), (items[1], True, c1_building, "3楼楼道电瓶车充电")]
    inspection = _record(cast, cast.cell_leader, cast.cell, marks)
    finding = inspection.findings.get(is_hazard=True)
    request = finding.request
    assert request.kind == kinds["hazard"]
    assert request.channel == Channel.PATROL
    assert request.building == c1_building
    assert request.community == cast.community
    assert request.holder == cast.cell  # the hazard kind is handled first by the cell
    assert request.first_owner == cast.cell_leader
    assert items[1].text in request.description and "3楼楼道电瓶车充电" in request.description
    assert inspection.hazard_count == 1


def test_a_hazard_in_a_building_shared_by_two_cells_goes_to_their_group(cast, items, kinds, shared_building):
    inspection = _record(cast, cast.cell_leader, cast.cell, [(items[2], True, shared_building, "电线裸露")])
    assert inspection.findings.get().request.holder == cast.group


def test_the_first_active_hazard_kind_of_the_street_is_used(cast, items, kinds, c1_building):
    kinds["hazard"].active = False
    kinds["hazard"].save()
    later = ServiceKind.objects.create(
        street=cast.street, code="fire", name="消防隐患", report_category=ReportCategory.HAZARD, sort_order=50
    )
    first = ServiceKind.objects.create(
        street=cast.street, code="gas", name="燃气隐患", report_category=ReportCategory.HAZARD, sort_order=1
    )
    inspection = _record(cast, cast.cell_leader, cast.cell, [(items[0], True, c1_building, "堵住了")])
    assert inspection.findings.get().request.kind == first != later


@pytest.mark.parametrize(("building", "note"), [(None, "楼道堵了"), ("c1", "  ")])
def test_a_hazard_without_its_building_or_note_is_refused(cast, items, kinds, c1_building, building, note):
    building = c1_building if building == "c1" else None
    with translation.override("en"), pytest.raises(ValidationError, match="choose the building"):
        _record(
            cast, cast.cell_leader, cast.cell, [(items[0], False, None, ""), (items[1], True, building, note)]
        )
    assert not Inspection.objects.exists() and not Finding.objects.exists() and not Request.objects.exists()


def test_a_building_outside_the_patch_is_refused(cast, items, kinds):
    elsewhere = Building.objects.get(entrances__households=cast.h3)
    with translation.override("en"), pytest.raises(ValidationError, match="not in this patch"):
        _record(cast, cast.cell_leader, cast.cell, [(items[0], True, elsewhere, "堵住了")])


def test_a_street_without_a_hazard_kind_is_told_to_add_one(cast, items, c1_building):
    with translation.override("en"), pytest.raises(ValidationError, match="service catalogue"):
        _record(cast, cast.cell_leader, cast.cell, [(items[0], True, c1_building, "堵住了")])
    assert not Inspection.objects.exists()


def test_a_round_without_hazards_needs_no_hazard_kind(cast, items):
    assert _record(cast, cast.cell_leader, cast.cell, [(items[0], False, None, "")]).pk


def test_a_round_needs_at_least_one_line(cast, items, kinds):
    with translation.override("en"), pytest.raises(ValidationError, match="at least one line"):
        _record(cast, cast.cell_leader, cast.cell, [])


def test_a_line_of_another_community_is_refused(cast, items, kinds):
    theirs = services.checklist_items_for(cast.other_community)[0]
    with translation.override("en"), pytest.raises(ValidationError, match="not on the community"):
        _record(cast, cast.cell_leader, cast.cell, [(theirs, False, None, "")])


@pytest.mark.parametrize("who", ["cell_leader_2", "resident", "outsider", "building_leader"])
def test_only_those_who_hold_the_patch_record_its_round(cast, items, kinds, who):
    with pytest.raises(PermissionDenied):
        _record(cast, getattr(cast, who), cast.cell, [(items[0], False, None, "")])


@pytest.mark.parametrize("who", ["group_leader", "area_leader", "staff", "street_admin"])
def test_leaders_above_and_staff_record_a_cells_round(cast, items, kinds, who):
    assert _record(cast, getattr(cast, who), cast.cell, [(items[0], False, None, "")]).pk


def test_staff_record_a_round_of_the_whole_community(cast, items, kinds):
    unplaced = Building.objects.get(entrances__households=cast.h_unplaced)
    inspection = _record(cast, cast.staff, cast.community, [(items[0], True, unplaced, "灭火器过期")])
    assert inspection.findings.get().request.holder == cast.community
