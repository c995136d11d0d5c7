"""The inspection pages: the rounds with their figures, a new round (made for a phone), a round's page,
and the staff's checklist editor. Thin: parse, call a selector or a service, render.

Rounds are fetched only through Inspection.objects.visible_to (selectors): outside it, 404. Leaders and
staff have these pages; anyone else gets 404. The checklist editor is for staff only (staff_scope)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.scope import managed_communities, scope_for, staff_scope
from inspections import selectors, services
from inspections.models import ChecklistItem
from linli.params import int_param


def _inspector_scope(request):
    scope = scope_for(request.user)
    if not selectors.works_on_inspections(scope):
        raise Http404
    return scope


# ---- The rounds and their figures -----------------------------------------------------------------


@login_required
@require_GET
def inspection_list(request):
    scope = _inspector_scope(request)
    today = timezone.localdate()
    period = selectors.period_parse(request.GET, today)
    if period.error:
        messages.error(request, period.error)
    paginator = Paginator(selectors.inspection_list(request.user, period), selectors.LIST_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "scope": scope,
        "period": period,
        "years": selectors.year_choices(today),
        "figures": selectors.inspection_figures(request.user, period),
        "page": page,
        "query_string": query.urlencode(),
        "may_start": scope.is_staff or bool(scope.leader_unit_paths),
    }
    return render(request, "inspections/list.html", context)


@login_required
@require_GET
def inspection_detail(request, pk: int):
    _inspector_scope(request)
    inspection = selectors.inspection_get(request.user, pk)
    if inspection is None:
        raise Http404
    return render(request, "inspections/detail.html", {"inspection": inspection})


# ---- A new round ----------------------------------------------------------------------------------


def _findings_from(post, items, buildings) -> list[services.FindingInput]:
    """The lines marked on the form; a line not marked at all is left out (the service then asks for
    at least one). An unknown building id becomes no building, which the service refuses for a hazard."""
    by_id = {b.pk: b for b in buildings}
    findings = []
    for item in items:
        mark = post.get(f"item_{item.pk}")
        if mark not in ("ok", "hazard"):
            continue
        hazard = mark == "hazard"
        building = by_id.get(int_param(post.get(f"building_{item.pk}"))) if hazard else None
        note = post.get(f"note_{item.pk}", "") if hazard else ""
        findings.append(services.FindingInput(item, hazard, building, note))
    return findings


def _lines(items, buildings, post=None, errors_by_item=None):
    """What the form shows for each checklist line: the mark, building and note entered so far."""
    errors_by_item = errors_by_item or {}
    only_building = buildings[0].pk if len(buildings) == 1 else None
    lines = []
    for item in items:
        mark = post.get(f"item_{item.pk}", "ok") if post is not None else "ok"
        building = int_param(post.get(f"building_{item.pk}")) if post is not None else None
        lines.append(
            {
                "item": item,
                "hazard": mark == "hazard",
                "building_id": building or only_building,
                "note": post.get(f"note_{item.pk}", "") if post is not None else "",
                "errors": errors_by_item.get(item.pk, []),
            }
        )
    return lines


def _split_errors(exc: ValidationError) -> tuple[list[str], dict[int, list[str]]]:
    general, by_item = [], {}
    for error in exc.error_list:
        message = error.message % error.params if error.params else error.message
        item_id = (error.params or {}).get("item_id")
        if item_id is None:
            general.append(str(message))
        else:
            by_item.setdefault(item_id, []).append(str(message))
    return general, by_item


@login_required
@require_http_methods(["GET", "POST"])
def inspection_new(request):
    _inspector_scope(request)
    user = request.user
    unit_id = int_param(request.POST.get("unit") or request.GET.get("unit"))
    unit = selectors.patch_get(user, unit_id)
    if unit is None:
        if unit_id is not None:
            raise Http404
        choices = list(selectors.patch_choices(user))
        if len(choices) == 1:
            unit = choices[0]
        else:
            return render(
                request,
                "inspections/new_pick.html",
                {"choices": choices, "as_buttons": len(choices) <= selectors.PATCH_BUTTONS_MAX},
            )
    community = selectors.round_community(unit)
    items = services.checklist_items_for(community)
    buildings = selectors.round_buildings(unit)
    errors, errors_by_item, post = [], {}, None
    if request.method == "POST":
        post = request.POST
        try:
            inspection = services.inspection_record(
                actor=user,
                unit=unit,
                findings=_findings_from(post, items, buildings),
                note=post.get("note", ""),
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            errors, errors_by_item = _split_errors(exc)
            if errors_by_item and not errors:
                errors = [_("Some lines need more details: see the lines marked in red.")]
        else:
            if inspection.hazard_count:
                message = ngettext(
                    "The round is recorded. %(count)d hazard is filed as a request.",
                    "The round is recorded. %(count)d hazards are filed as requests.",
                    inspection.hazard_count,
                )
                messages.success(request, message % {"count": inspection.hazard_count})
            else:
                messages.success(request, _("The round is recorded. No hazards found."))
            return redirect("inspections:detail", pk=inspection.pk)
    context = {
        "unit": unit,
        "lines": _lines(items, buildings, post, errors_by_item),
        "buildings": buildings,
        "errors": errors,
        "note": post.get("note", "") if post is not None else "",
        "many_patches": selectors.patch_choices(user)[:2].count() > 1,
    }
    return render(request, "inspections/new.html", context)


# ---- The checklist (staff) ------------------------------------------------------------------------


def _checklist_action(request, communities):
    action = request.POST.get("action", "")
    actor = request.user
    if action == "add":
        community = communities.filter(pk=int_param(request.POST.get("community"))).first()
        if community is None:
            raise Http404
        services.checklist_item_add(actor=actor, community=community, text=request.POST.get("text", ""))
        return community, _("Line added.")
    item = (
        ChecklistItem.objects.filter(community__in=communities, pk=int_param(request.POST.get("item")))
        .select_related("community")
        .first()
    )
    if item is None:
        raise Http404
    if action == "rename":
        services.checklist_item_rename(actor=actor, item=item, text=request.POST.get("text", ""))
        return item.community, _("Saved.")
    if action in ("up", "down"):
        services.checklist_item_move(actor=actor, item=item, up=action == "up")
        return item.community, None
    if action in ("off", "on"):
        services.checklist_item_set_active(actor=actor, item=item, active=action == "on")
        message = _("Taken off the checklist.") if action == "off" else _("Back on the checklist.")
        return item.community, message
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def checklist(request):
    staff_scope(request)
    communities = managed_communities(request.user).order_by("path")
    chosen_id = int_param(request.POST.get("community") or request.GET.get("community"))
    error, failed_item, typed = "", None, ""
    if request.method == "POST":
        try:
            community, message = _checklist_action(request, communities)
        except ValidationError as exc:
            error = " ".join(exc.messages)
            failed_item = int_param(request.POST.get("item"))
            typed = request.POST.get("text", "")
        else:
            if message:
                messages.success(request, message)
            return redirect(f"{request.path}?community={community.pk}")
    community_list = list(communities)
    if not community_list:
        raise Http404
    community = next((c for c in community_list if c.pk == chosen_id), community_list[0])
    services.checklist_items_for(community)  # a community's first visit shows the default list
    items = list(ChecklistItem.objects.filter(community=community).order_by("-active", "sort_order", "id"))
    context = {
        "communities": community_list,
        "community": community,
        "items": items,
        "error": error,
        "failed_item": failed_item,
        "typed": typed,
    }
    return render(request, "inspections/checklist.html", context)
