"""Distribution pages: the list, opening one (staff), a distribution's page (delivered against target,
the deliveries, who is still waiting), and recording a delivery (leaders, on a phone).

Distributions are fetched only through Distribution.objects.visible_to, households through
Household.objects.visible_to (selectors_distributions): outside them, 404. Leaders and staff have
these pages; anyone else gets 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.scope import managed_communities, scope_for, staff_scope
from care import selectors_distributions as selectors
from care.forms_distributions import DeliveryForm, DistributionForm
from care.services_distributions import delivery_record, distribution_create
from linli.params import int_param


def _worker_scope(request):
    scope = scope_for(request.user)
    if not selectors.works_on_distributions(scope):
        raise Http404
    return scope


def _distribution_or_404(request, pk: int):
    distribution = selectors.distribution_get(request.user, pk)
    if distribution is None:
        raise Http404
    return distribution


@login_required
@require_GET
def distribution_list(request):
    scope = _worker_scope(request)
    context = {"distributions": selectors.distribution_list(request.user), "scope": scope}
    return render(request, "care/distribution_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def distribution_new(request):
    staff_scope(request)
    communities = managed_communities(request.user).order_by("path")
    form = DistributionForm(request.POST or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            distribution = distribution_create(
                actor=request.user,
                community=data["community"],
                title=data["title"],
                items=data["items"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request, _("The distribution is open: %(title)s.") % {"title": distribution.title}
            )
            return redirect("care:distribution_detail", pk=distribution.pk)
    return render(request, "care/distribution_new.html", {"form": form})


@login_required
@require_GET
def distribution_detail(request, pk: int):
    scope = _worker_scope(request)
    distribution = _distribution_or_404(request, pk)
    paginator = Paginator(
        selectors.distribution_deliveries(request.user, distribution), selectors.DELIVERIES_PER_PAGE
    )
    context = {
        "distribution": distribution,
        "progress": selectors.distribution_progress(request.user, distribution),
        "page": paginator.get_page(request.GET.get("page")),
        "scope": scope,
    }
    return render(request, "care/distribution_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def distribution_deliver(request, pk: int):
    _worker_scope(request)
    user = request.user
    distribution = _distribution_or_404(request, pk)
    household_id = int_param(request.POST.get("household") or request.GET.get("household"))
    household = selectors.delivery_household_get(user, distribution, household_id)
    if household_id is not None and household is None:
        raise Http404
    if household is None:
        query = request.GET.get("q", "").strip()[:50]
        choices = selectors.delivery_household_choices(user, distribution, query)
        sections = selectors.households_by_cell(choices.households)
        context = {"distribution": distribution, "choices": choices, "sections": sections, "query": query}
        return render(request, "care/distribution_deliver_pick.html", context)
    form = DeliveryForm(request.POST or None, initial=DeliveryForm.initial_for(distribution))
    members = {m.pk: m for m in household.member_choices}
    resident_value = request.POST.get("resident", "") if request.method == "POST" else ""
    if request.method == "POST" and form.is_valid():
        resident_id = int_param(resident_value)
        if resident_value and resident_id not in members:
            form.add_error(None, _("Choose the person who received it from the list."))
        else:
            data = form.cleaned_data
            try:
                delivery_record(
                    actor=user,
                    distribution=distribution,
                    household=household,
                    resident=members.get(resident_id),
                    items=data["items"],
                    delivered_at=data["delivered_at"],
                    note=data["note"],
                )
            except PermissionDenied as exc:
                raise Http404 from exc
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request, _("Delivery recorded: %(address)s.") % {"address": household.address}
                )
                return redirect("care:distribution_deliver", pk=distribution.pk)
    if request.method == "GET" and household.special_members:
        resident_value = str(household.special_members[0].pk)
    context = {
        "distribution": distribution,
        "household": household,
        "earlier": selectors.delivery_existing(distribution, household) if household.is_delivered else None,
        "form": form,
        "resident_value": resident_value,
    }
    return render(request, "care/distribution_deliver.html", context)
