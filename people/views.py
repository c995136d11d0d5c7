"""Reading pages for households and residents: thin views over people.selectors, scoped to the viewer."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.scope import scope_for, staff_scope
from linli.params import int_param
from people import selectors, services
from people.models import HouseholdStatus, Resident
from people.templatetags.people_tags import REVEAL_FIELDS


@login_required
@require_GET
def my_households(request):
    scope = scope_for(request.user)
    if scope.is_staff and not scope.is_leader:
        return redirect("people:household_list")
    cell_id = int_param(request.GET.get("cell")) if request.GET.get("cell") else None
    if request.GET.get("cell") and cell_id is None:
        raise Http404
    mine = selectors.my_households(request.user, cell_id=cell_id)
    return render(request, "people/my_households.html", {"mine": mine, "scope": scope})


@login_required
@require_GET
def household_list(request):
    scope = scope_for(request.user)
    if not (scope.is_staff or scope.is_leader):
        return redirect("people:my_households")
    options = selectors.household_filter_options(request.user)
    filters = selectors.household_filters_parse(request.GET, options)
    paginator = Paginator(selectors.household_list(request.user, filters), selectors.HOUSEHOLDS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))  # bad or out-of-range numbers give the first/last page
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "scope": scope,
        "options": options,
        "filters": filters,
        "page": page,
        "households": selectors.households_decorate(page.object_list),
        "query_string": query.urlencode(),
    }
    return render(request, "people/household_list.html", context)


def _detail_context(request, household):
    return {
        "scope": scope_for(request.user),
        "household": household,
        "statuses": HouseholdStatus,
    }


@login_required
@require_GET
def household_detail(request, pk: int):
    household = selectors.household_get(request.user, pk)
    if household is None:
        raise Http404
    return render(request, "people/household_detail.html", _detail_context(request, household))


@login_required
@require_POST
def resident_reveal(request, pk: int, field: str):
    """Reveal one masked value (logged by the service). htmx gets the partial; a plain POST the page."""
    if field not in REVEAL_FIELDS:
        raise Http404
    resident = get_object_or_404(Resident.objects.visible_to(request.user), pk=pk)
    try:
        value = services.resident_reveal(actor=request.user, resident=resident, field=field, request=request)
    except PermissionError as exc:
        context = {"resident": resident, "field": field, "error": str(exc), "masked": ""}
        return render(request, "people/_reveal.html", context, status=403)
    if request.htmx:
        context = {"resident": resident, "field": field, "value": value, "is_revealed": True}
        return render(request, "people/_reveal.html", context)
    household = selectors.household_get(request.user, resident.household_id)
    for member in household.member_list:
        if member.pk == resident.pk:
            member.revealed = {field: value}
    context = _detail_context(request, household) | {"revealed_resident": resident.pk}
    return render(request, "people/household_detail.html", context)


@login_required
@require_GET
def household_history(request, pk: int):
    staff_scope(request)
    household = selectors.household_get(request.user, pk)
    if household is None:
        raise Http404
    entries, truncated = selectors.household_history(household)
    context = {
        "household": household,
        "entries": entries,
        "truncated": truncated,
        "subject": household.address,
        "access_log": selectors.access_log_for(household.members.all()),
    }
    return render(request, "people/history.html", context)


@login_required
@require_GET
def resident_history(request, pk: int):
    staff_scope(request)
    resident = get_object_or_404(
        Resident.objects.visible_to(request.user).select_related("household__entrance__building__estate"),
        pk=pk,
    )
    entries, truncated = selectors.resident_history(resident)
    context = {
        "household": resident.household,
        "resident": resident,
        "entries": entries,
        "truncated": truncated,
        "subject": resident.name,
        "access_log": selectors.access_log_for([resident]),
    }
    return render(request, "people/history.html", context)


@login_required
@require_GET
def search(request):
    query = request.GET.get("q", "").strip()[:100]
    results, more = selectors.search_results(request.user, query) if query else ([], False)
    context = {"query": query, "results": results, "more": more, "limit": selectors.SEARCH_LIMIT}
    return render(request, "people/search.html", context)
