"""The partition page (staff): choose the number of areas, look at the preview (figures, what changes,
the proposed cells, cells needing a 邻长 with candidates), then apply it. Cells and households can be
fixed by hand from the same page. Thin: parse, call a service, render.

Non-staff get 404 (staff_scope); a community outside the viewer's management is 404 too."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.scope import managed_communities, staff_scope
from linli.params import int_param
from partition import services
from people.models import Household
from territory.models import Level, TerritoryUnit


def _areas_parse(raw) -> tuple[int | None, str]:
    """The number of areas from the form, or an error to show back."""
    number = int_param(raw)
    if number is None:
        return None, _("Enter the number of areas as a whole number, 1 or more.")
    return number, ""


def _back(community, areas) -> str:
    query = {"community": community.pk}
    if areas:
        query["areas"] = areas
    return f"{reverse('partition:page')}?{urlencode(query)}"


@login_required
@require_http_methods(["GET", "POST"])
def partition_page(request):
    staff_scope(request)
    communities = list(managed_communities(request.user).order_by("path"))
    if not communities:
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    chosen = int_param(data.get("community"))
    community = next((c for c in communities if c.pk == chosen), None)
    if community is None:
        if data.get("community") is not None:
            raise Http404
        community = communities[0]
    errors: list[str] = []
    areas_raw = data.get("areas")
    areas = None
    if request.method == "POST":
        response = _post(request, community, errors)
        if response is not None:
            return response
    if areas_raw is not None:
        areas, error = _areas_parse(areas_raw)
        if error:
            errors.append(error)
    preview = None
    if areas is not None:
        try:
            preview = services.partition_preview(actor=request.user, community=community, areas=areas)
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            errors += exc.messages
    context = {
        "communities": communities,
        "community": community,
        "areas_value": areas_raw if areas_raw is not None else services.partition_default_areas(community),
        "errors": list(dict.fromkeys(errors)),  # a bad number is said once, for the form and the apply
        "preview": preview,
    }
    return render(request, "partition/page.html", context)


def _post(request, community, errors):
    """Apply, or fix / free a cell or a household. Returns a redirect, or None to show the page with
    the errors (added to `errors`)."""
    action = request.POST.get("action", "")
    areas, error = _areas_parse(request.POST.get("areas"))
    try:
        if action == "apply":
            if error:
                errors.append(error)
                return None
            if not request.POST.get("confirm"):
                errors.append(_("Tick the box to confirm that you have checked the preview."))
                return None
            result = services.partition_apply(
                actor=request.user, community=community, areas=areas, plan_token=request.POST.get("token", "")
            )
            messages.success(request, _applied_message(result))
            if result.leaderless:
                messages.warning(
                    request,
                    ngettext(
                        "%(count)d cell has no neighbour leader yet: see the candidates below.",
                        "%(count)d cells have no neighbour leader yet: see the candidates below.",
                        len(result.leaderless),
                    )
                    % {"count": len(result.leaderless)},
                )
            return redirect(_back(community, areas))
        if action in ("pin_cell", "unpin_cell"):
            cell = (
                TerritoryUnit.objects.visible_to(request.user)
                .filter(
                    level=Level.CELL, path__startswith=community.path, pk=int_param(request.POST.get("cell"))
                )
                .first()
            )
            if cell is None:
                raise Http404
            services.cell_pin_set(actor=request.user, cell=cell, pinned=action == "pin_cell")
            messages.success(request, _("Cell fixed by hand.") if action == "pin_cell" else _("Cell freed."))
            return redirect(_back(community, areas))
        if action in ("pin_household", "unpin_household"):
            household = (
                Household.objects.visible_to(request.user)
                .filter(community=community, pk=int_param(request.POST.get("household")))
                .first()
            )
            if household is None:
                raise Http404
            services.household_pin_set(
                actor=request.user, household=household, pinned=action == "pin_household"
            )
            messages.success(
                request,
                _("The household stays in its cell.") if action == "pin_household" else _("Household freed."),
            )
            return redirect(_back(community, areas))
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        errors += exc.messages
        return None
    raise Http404


def _applied_message(result) -> str:
    f = result.figures
    return _(
        "Partition applied: %(moved)d households changed cell, %(created)d units created, %(units_moved)d units "
        "moved. %(share)s%% of cells hold 5–15 households."
    ) % {
        "moved": result.households_moved,
        "created": result.units_created,
        "units_moved": result.units_moved,
        "share": 100 if f.cells_in_range == f.cells else int(f.share_in_range * 100),
    }
