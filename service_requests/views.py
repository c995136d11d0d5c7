"""The leaders' and staff's side of requests: queues, a request's page and its actions, filing on a
resident's behalf, and the team queue. Thin: parse, call a selector or a service, render.

Every request is fetched through selectors.worker_requests (Request.objects.visible_to, minus requests
the viewer sees only as the resident who filed them): outside that, 404. The services decide who may do
what: their PermissionDenied becomes a 403 with its message, their RequestError the form back with it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scope import scope_for
from linli.pagination import BoundedPaginator
from linli.params import int_param
from people.identity import phone_mask
from service_requests import selectors, services
from service_requests.forms import ACTION_FORMS, FileOnBehalfForm
from service_requests.models import Channel, RequestPhoto

# The button on the page, and what the button inside the opened form says.
ACTION_LABELS = {
    "respond": (gettext_lazy("Answer"), gettext_lazy("Send the answer")),
    "note": (gettext_lazy("Add a note"), gettext_lazy("Save the note")),
    "escalate": (gettext_lazy("Send up a level"), gettext_lazy("Send it up")),
    "hand_down": (gettext_lazy("Hand down"), gettext_lazy("Hand it down")),
    "dispatch": (gettext_lazy("Dispatch"), gettext_lazy("Dispatch it")),
    "claim": (gettext_lazy("Claim this order"), gettext_lazy("Claim this order")),
    "resolve": (gettext_lazy("Resolved: record what was done"), gettext_lazy("Mark it resolved")),
    "close": (gettext_lazy("Close"), gettext_lazy("Close the request")),
    "merge": (gettext_lazy("Merge as a duplicate"), gettext_lazy("Merge it")),
}
DONE_MESSAGES = {
    "respond": gettext_lazy("Your answer is recorded."),
    "note": gettext_lazy("Your note is recorded."),
    "escalate": gettext_lazy("Sent up a level."),
    "hand_down": gettext_lazy("Handed down."),
    "dispatch": gettext_lazy("Dispatched."),
    "claim": gettext_lazy("You have claimed this order."),
    "resolve": gettext_lazy("Marked resolved. The resident is asked to rate it."),
    "close": gettext_lazy("The request is closed."),
    "merge": gettext_lazy("Merged into the other request."),
}
PRIMARY_ACTIONS = {"respond", "resolve", "claim"}


def _worker_scope(request):
    scope = scope_for(request.user)
    if not selectors.works_on_requests(scope):
        raise Http404
    return scope


def _request_or_404(user, pk: int):
    found = selectors.request_for_worker(user, pk)
    if found is None:
        raise Http404
    return found


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _query_without(params, *names) -> str:
    query = params.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# --- The queue ----------------------------------------------------------------------------------------


def _unit_options(units, selected) -> str:
    """The territory filter's <option>s in one pass: a community's 275 units through the template's
    loop cost 10-15 ms of every queue page."""
    chosen = selected.pk if selected else None
    return format_html_join(
        "",
        '<option value="{}"{}>{}{}</option>',
        ((u.pk, mark_safe(" selected") if u.pk == chosen else "", u.indent, u.name) for u in units),  # noqa: S308
    )


@login_required
@require_GET
def queue(request):
    _worker_scope(request)
    user, now = request.user, timezone.now()
    options = selectors.queue_filter_options(user)
    filters = selectors.queue_filters_parse(request.GET, options)
    paginator = BoundedPaginator(
        selectors.queue_requests(user, filters, now),
        selectors.QUEUE_PER_PAGE,
        max_count=selectors.QUEUE_MAX_COUNT,
    )
    page = paginator.get_page(request.GET.get("page"))
    counts = selectors.queue_tab_counts(user, now)
    if counts[filters.tab] is None:
        counts[filters.tab] = page.paginator.count  # counted for the page already (at most QUEUE_MAX_COUNT)
    context = {
        "options": options,
        "filters": filters,
        "unit_options": _unit_options(options["units"], filters.unit),
        "tabs": [(name, label, counts[name]) for name, label in selectors.TABS],
        "page": page,
        "rows": selectors.rows_decorate(page.object_list, now),
        "filter_string": _query_without(request.GET, "page", "tab"),
        "query_string": _query_without(request.GET, "page"),
    }
    return render(request, "service_requests/queue.html", context)


# --- A request's page and its actions -----------------------------------------------------------------


def _action_form(name, user, req, data=None, files=None, initial=None):
    return ACTION_FORMS[name](data, files, user=user, request=req, initial=initial, auto_id=f"{name}_%s")


def _deadlines(req, now):
    rows = [
        (_("Respond by"), req.response_due_at, req.responded_at),
        (_("Resolve by"), req.resolution_due_at, req.resolved_at),
    ]
    if req.is_open:
        rows += [
            (_("This level responds by"), req.level_response_due_at, None),
            (_("This level resolves by"), req.level_resolution_due_at, None),
        ]
    return [
        {"label": label, "due": due, "done": done, "state": selectors.deadline_state(due, done, now)}
        for label, due, done in rows
        if due is not None
    ]


def _detail_context(request, req, *, bound=None, failed=None, revealed_phone=None):
    user, now = request.user, timezone.now()
    roles = selectors.request_roles(user, req)
    names = selectors.request_actions(user, req, roles)
    templates = list(selectors.response_templates(req)) if "respond" in names else []
    initial = {}
    template_id = int_param(request.GET.get("template"))
    chosen = next((t for t in templates if t.pk == template_id), None)
    if chosen is not None:
        initial["respond"] = {"message": chosen.text, "public": True}
    bound = bound or {}
    action_list = [
        {
            "name": name,
            "label": ACTION_LABELS[name][0],
            "submit": ACTION_LABELS[name][1],
            "primary": name in PRIMARY_ACTIONS,
            "open": name == failed or (name == "respond" and chosen is not None),
            "form": bound.get(name) or _action_form(name, user, req, initial=initial.get(name)),
        }
        for name in names
    ]
    failed_form = bound.get(failed) if failed and failed not in names else None
    return {
        "req": req,
        "roles": roles,
        "action_list": action_list,
        "failed_errors": failed_form.non_field_errors() if failed_form is not None else [],
        "templates": templates,
        "events": selectors.request_timeline(req),
        "photos": selectors.request_photos(req),
        "holders": selectors.unit_holders(req.holder),
        "household_visible": selectors.household_visible(user, req.household_id),
        "where": selectors.request_where_text(req),
        "lateness": selectors.request_lateness(req, now),
        "deadlines": _deadlines(req, now),
        "phone_masked": phone_mask(req.reporter_phone),
        "may_reveal": selectors.may_reveal_reporter_phone(roles),
        "revealed_phone": revealed_phone,
    }


@login_required
@require_GET
def detail(request, pk: int):
    req = _request_or_404(request.user, pk)
    return render(request, "service_requests/detail.html", _detail_context(request, req))


def _run(action, actor, req, data):
    if action == "respond":
        return services.request_respond(
            actor=actor, request=req, message=data["message"], public=data["public"]
        )
    if action == "note":
        return services.request_note(actor=actor, request=req, message=data["message"], public=data["public"])
    if action == "escalate":
        return services.request_escalate(actor=actor, request=req, reason=data["reason"])
    if action == "hand_down":
        return services.request_hand_down(
            actor=actor, request=req, to_unit=data["to_unit"], reason=data["reason"]
        )
    if action == "dispatch":
        return services.request_dispatch(
            actor=actor, request=req, team=data["team"], person=data["person"], note=data["note"]
        )
    if action == "resolve":
        return services.request_resolve(
            actor=actor, request=req, outcome=data["outcome"], photos=data["photos"]
        )
    if action == "close":
        return services.request_close(actor=actor, request=req, reason=data["reason"])
    if action == "merge":
        return services.request_merge(actor=actor, request=req, into=data["into"])
    raise Http404


def _claim(request, req):
    try:
        services.request_claim(actor=request.user, request=req)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, DONE_MESSAGES["claim"])
    return redirect(_safe_next(request) or reverse("service_requests:detail", args=[req.pk]))


def _reveal_phone(request, req):
    phone = services.request_reporter_phone_reveal(actor=request.user, request=req, http_request=request)
    if request.htmx:
        context = {"req": req, "revealed_phone": phone, "phone_masked": phone_mask(req.reporter_phone)}
        return render(request, "service_requests/_reporter_phone.html", context)
    context = _detail_context(request, req, revealed_phone=phone)
    return render(request, "service_requests/detail.html", context)


@login_required
@require_POST
def act(request, pk: int, action: str):
    if action not in ACTION_FORMS and action != "reveal_phone":
        raise Http404
    req = _request_or_404(request.user, pk)
    if action == "reveal_phone":
        return _reveal_phone(request, req)
    if action == "claim":
        return _claim(request, req)
    form = _action_form(action, request.user, req, request.POST, request.FILES)
    if form.is_valid():
        try:
            _run(action, request.user, req, form.cleaned_data)
        except ValidationError as exc:  # RequestError, PhotoError: the form back with the message
            form.add_error(None, exc.messages)
        else:
            messages.success(request, DONE_MESSAGES[action])
            return redirect("service_requests:detail", pk=req.pk)
    fresh = _request_or_404(request.user, pk)  # the refused step changed nothing; show what is stored
    context = _detail_context(request, fresh, bound={action: form}, failed=action)
    return render(request, "service_requests/detail.html", context)


@login_required
@require_GET
def photo(request, pk: int, photo_id: int):
    req = _request_or_404(request.user, pk)
    picture = get_object_or_404(RequestPhoto, pk=photo_id, request=req)
    from service_requests.photos import CONTENT_TYPES

    try:
        handle = picture.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, content_type=CONTENT_TYPES.get(picture.extension, "application/octet-stream")
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Filing on behalf ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def file_on_behalf(request):
    scope = _worker_scope(request)
    user = request.user
    selected_id = int_param(request.POST.get("household") or request.GET.get("household"))
    query = request.GET.get("q", "").strip()[:50]
    if request.method == "POST":
        form = FileOnBehalfForm(request.POST, user=user, is_staff=scope.is_staff)
        if form.is_valid():
            data = form.cleaned_data
            try:
                filed = services.request_file(
                    actor=user,
                    kind=data["kind"],
                    description=data["description"],
                    channel=data["channel"],
                    household=data["household"],
                    community=data.get("community"),
                    address_text=data.get("address_text", ""),
                    reporter_name=data["reporter_name"].strip(),
                    reporter_phone=data["reporter_phone"],
                    solved_on_spot=data["solved_on_spot"],
                    on_spot_outcome=data["on_spot_outcome"].strip(),
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                if filed.solved_on_spot:
                    messages.success(request, _("Recorded as solved on the spot."))
                else:
                    messages.success(
                        request,
                        _("Request %(ref)s is recorded. You are its first-asked owner.")
                        % {"ref": filed.reference},
                    )
                return redirect("service_requests:detail", pk=filed.pk)
    else:
        initial = {"channel": Channel.SERVICE_CENTRE if scope.is_staff else Channel.WECHAT}
        if selected_id:
            household = selectors.filing_households(user).filter(pk=selected_id).first()
            if household is not None:
                initial["household"] = household.pk
                initial["reporter_name"] = selectors.household_head_name(household)
        form = FileOnBehalfForm(initial=initial, user=user, is_staff=scope.is_staff)
    choices = selectors.filing_household_choices(user, query, selected_id)
    chosen = form["household"].value()
    context = {
        "form": form,
        "scope": scope,
        "query": query,
        "choices": choices,
        "by_cell": selectors.households_by_cell(choices.households),
        "chosen": str(chosen) if chosen else "",
    }
    return render(request, "service_requests/file_on_behalf.html", context)


# --- The team queue -----------------------------------------------------------------------------------


@login_required
@require_GET
def team_queue(request):
    user = request.user
    scope = scope_for(user)
    has_teams = user.teams.exists()
    if not has_teams and not selectors.works_on_requests(scope):
        raise Http404
    now = timezone.now()
    paginator = Paginator(selectors.team_queue(user), selectors.TEAM_QUEUE_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"page": page, "rows": selectors.rows_decorate(page.object_list, now), "has_teams": has_teams}
    return render(request, "service_requests/team_queue.html", context)
