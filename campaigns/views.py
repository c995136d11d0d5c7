"""Outreach campaign pages: the list, the staff's form, a campaign's coverage, and the leader's marking
page. Thin: parse, call a selector or a service, render. Campaigns and their households are fetched only
through their `visible_to` querysets (campaigns.selectors): outside them, 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scope import scope_for, staff_scope
from campaigns import selectors, services
from campaigns.forms import CampaignForm
from campaigns.models import TargetStatus
from linli.params import int_param

MARK_BUTTONS = [
    (TargetStatus.REACHED, "reached"),
    (TargetStatus.NOT_HOME, "not-home"),
    (TargetStatus.DECLINED, "declined"),
]


def _worker_scope(request):
    scope = scope_for(request.user)
    if not selectors.works_on_campaigns(scope):
        raise Http404
    return scope


def _campaign_or_404(request, pk):
    campaign = selectors.campaign_get(request.user, pk)
    if campaign is None:
        raise Http404
    return campaign


def _optional_id(request, name: str, source=None) -> int | None:
    """An id from the query string: absent is None, anything but a valid id is a 404."""
    raw = (source if source is not None else request.GET).get(name)
    if raw in (None, ""):
        return None
    parsed = int_param(raw)
    if parsed is None:
        raise Http404
    return parsed


# --- The list -----------------------------------------------------------------------------------------


@login_required
@require_GET
def campaign_list(request):
    scope = _worker_scope(request)
    paginator = Paginator(selectors.campaign_list(request.user), selectors.CAMPAIGNS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    campaigns = list(page.object_list)
    for campaign in campaigns:
        campaign.percent = campaign.reached * 100 // campaign.seen if campaign.seen else None
    context = {"page": page, "campaigns": campaigns, "scope": scope, "today": timezone.localdate()}
    return render(request, "campaigns/list.html", context)


# --- A new campaign -----------------------------------------------------------------------------------


def _target_count(form) -> int | None:
    filters = form.target_filters()
    return selectors.campaign_households(**filters).count() if filters else None


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    staff_scope(request)
    count = None
    if request.method == "POST":
        form = CampaignForm(request.POST, user=request.user)
        valid = form.is_valid()
        if "count" in request.POST:  # the "count the households" button, for phones without JavaScript
            count = _target_count(form)
            form.count_errors_only()
        elif valid:
            data = form.cleaned_data
            try:
                campaign = services.campaign_create(actor=request.user, **data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("The campaign is started: %(count)s households to reach.")
                    % {"count": campaign.target_count},
                )
                return redirect("campaigns:detail", pk=campaign.pk)
    else:
        form = CampaignForm(user=request.user)
    return render(request, "campaigns/form.html", {"form": form, "count": count})


@login_required
@require_GET
def campaign_count(request):
    """How many households the form's territory and filters reach (the form asks as it changes)."""
    staff_scope(request)
    form = CampaignForm(request.GET, user=request.user)
    form.is_valid()
    return render(request, "campaigns/_count.html", {"count": _target_count(form)})


# --- A campaign's coverage ----------------------------------------------------------------------------


@login_required
@require_GET
def campaign_detail(request, pk: int):
    _worker_scope(request)
    campaign = _campaign_or_404(request, pk)
    coverage = selectors.campaign_coverage(campaign, request.user, _optional_id(request, "unit"))
    if coverage is None:
        raise Http404
    not_reached = selectors.campaign_not_reached(campaign, request.user, coverage.unit)
    page = Paginator(not_reached, selectors.TARGETS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "campaign": campaign,
        "coverage": coverage,
        "page": page,
        "query_string": query.urlencode(),
        "running": campaign.is_running(),
        "today": timezone.localdate(),
    }
    return render(request, "campaigns/detail.html", context)


# --- Marking households -------------------------------------------------------------------------------


def _mark_context(request, campaign, *, source, failed=None):
    """The marking page; `failed` is (target id, messages, typed note) of a refused mark shown back."""
    to_do_only = source.get("show") == "todo"
    targets = selectors.campaign_mark_targets(campaign, request.user, to_do_only=to_do_only)
    page = Paginator(targets, selectors.TARGETS_PER_PAGE).get_page(source.get("page"))
    rows = list(page.object_list)
    if failed is not None:
        for row in rows:
            if row.pk == failed[0]:
                row.errors, row.typed_note = failed[1], failed[2]
    return {
        "campaign": campaign,
        "page": page,
        "rows": rows,
        "tally": selectors.campaign_my_tally(campaign, request.user),
        "to_do_only": to_do_only,
        "show": "todo" if to_do_only else "",
        "query_string": urlencode({"show": "todo"}) if to_do_only else "",
        "page_number": page.number if page.number > 1 else "",
        "running": campaign.is_running(),
        "today": timezone.localdate(),
        "buttons": MARK_BUTTONS,
    }


def _mark_list_url(campaign, source, target) -> str:
    """Back to the marking page the household was marked on, at its row."""
    query = {}
    if source.get("show") == "todo":
        query["show"] = "todo"
    if int_param(source.get("page")):
        query["page"] = int_param(source.get("page"))
    url = reverse("campaigns:mark_list", args=[campaign.pk])
    return f"{url}?{urlencode(query)}#target-{target.pk}" if query else f"{url}#target-{target.pk}"


@login_required
@require_GET
def campaign_mark_list(request, pk: int):
    _worker_scope(request)
    campaign = _campaign_or_404(request, pk)
    return render(request, "campaigns/mark.html", _mark_context(request, campaign, source=request.GET))


@login_required
@require_POST
def campaign_target_mark(request, pk: int, target_id: int):
    _worker_scope(request)
    campaign = _campaign_or_404(request, pk)
    target = selectors.campaign_mark_target_get(campaign, request.user, target_id)
    if target is None:
        raise Http404
    note = request.POST.get("note", "")
    try:
        services.campaign_target_mark(
            actor=request.user, target=target, status=request.POST.get("status", ""), note=note
        )
    except ValidationError as exc:
        if not request.htmx:
            failed = (target.pk, exc.messages, note)
            return render(
                request,
                "campaigns/mark.html",
                _mark_context(request, campaign, source=request.POST, failed=failed),
            )
        target.errors, target.typed_note = exc.messages, note
    else:
        if not request.htmx:
            messages.success(
                request,
                _("%(address)s: %(status)s.")
                % {"address": target.household.address, "status": target.get_status_display()},
            )
            return redirect(_mark_list_url(campaign, request.POST, target))
    context = {
        "campaign": campaign,
        "target": target,
        "running": campaign.is_running(),
        "buttons": MARK_BUTTONS,
        "tally": selectors.campaign_my_tally(campaign, request.user),
        "oob": True,
        "show": "todo" if request.POST.get("show") == "todo" else "",
        "page_number": int_param(request.POST.get("page")) or "",
    }
    return render(request, "campaigns/_target.html", context)
