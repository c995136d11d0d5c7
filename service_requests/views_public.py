"""The resident's side: file from the QR code on the building's board, follow the request on its
tracking page (an unguessable link, no login), rate the outcome; and "my requests" for those who log in.

Public pages reach a request only by its `public_token` and never show the reporter's name or phone,
internal events, or who did what (an event's actor may be the reporter).
"""

from contextlib import nullcontext

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.scope import scope_for
from leaders.models import Appointment
from linli.params import int_param
from people.models import Household, HouseholdStatus
from service_requests import services
from service_requests.forms_public import PublicFilingForm, RatingForm
from service_requests.models import (
    OPEN_STATUSES,
    Channel,
    EventKind,
    Request,
    RequestPhoto,
    Status,
)
from service_requests.photos import CONTENT_TYPES, PhotoError, anonymous_filing_allowed, request_photos_add
from territory.models import Building

SIMILAR_MAX = 5
SIMILAR_EXCERPT = 60
MY_REQUESTS_PER_PAGE = 30
# Each status as a step on the progress line: filed → answered → resolved → closed. A request sent up
# or down a level is NEW again at its new level, but stays "answered" for the resident.
STATUS_STEP = {
    Status.NEW: 0,
    Status.IN_PROGRESS: 1,
    Status.DISPATCHED: 1,
    Status.RESOLVED: 2,
    Status.CLOSED: 3,
}


def _building_get(building_id: int) -> Building:
    return get_object_or_404(Building.objects.select_related("estate__community"), pk=building_id)


def _street_id(building: Building) -> int:
    return building.estate.community.ancestor_ids[0]


def _similar(building: Building, kind_id: int | None) -> list[dict]:
    """Open requests of the same building and kind: only what a neighbour may see (no names, phones)."""
    if kind_id is None:
        return []
    rows = (
        Request.objects.filter(
            building=building,
            kind_id=kind_id,
            kind__street_id=_street_id(building),
            status__in=OPEN_STATUSES,
        )
        .select_related("kind")
        .only("public_token", "description", "status", "created_at", "kind__name", "kind__icon")
        .order_by("-created_at", "-pk")[:SIMILAR_MAX]
    )
    return [
        {
            "kind": r.kind.name,
            "icon": r.kind.icon,
            "excerpt": r.description[:SIMILAR_EXCERPT],
            "cut": len(r.description) > SIMILAR_EXCERPT,
            "status": r.get_status_display(),
            "created_at": r.created_at,
            "token": r.public_token,
        }
        for r in rows
    ]


def _own_household_here(user, building: Building):
    """The logged-in resident's household when it lives in this building (their filing lands there)."""
    if not user.is_authenticated:
        return None
    own = scope_for(user).own_household_id
    if own is None:
        return None
    return (
        Household.objects.visible_to(user)
        .filter(pk=own, entrance__building=building, status=HouseholdStatus.RESIDENT)
        .first()
    )


def _file(request, building: Building, form: PublicFilingForm):
    """File the request and its photos in one transaction; returns it, or None with errors on the form."""
    user = request.user if request.user.is_authenticated else None
    data = form.cleaned_data
    if user is None and not anonymous_filing_allowed(
        phone=data["phone"], building=building, now=timezone.now()
    ):
        form.add_error(
            None,
            _(
                "Many requests have been sent from this phone number or this building in the last hour. "
                "Please try again later, or call your neighbour leader."
            ),
        )
        return None
    try:
        # With photos, the request and its photos go in one transaction; without, request_file's own is
        # enough (nesting it would cost a savepoint on every filing).
        with transaction.atomic() if data["photos"] else nullcontext():
            filed = services.request_file(
                actor=user,
                reporter_user=user,
                kind=data["kind"],
                description=data["description"],
                channel=Channel.QR,
                building=building,
                household=_own_household_here(request.user, building),
                reporter_name=data["name"],
                reporter_phone=data["phone"],
            )
            if data["photos"]:
                event = filed.events.filter(kind=EventKind.FILED).first()
                request_photos_add(request=filed, files=data["photos"], event=event)
    except PhotoError as exc:
        form.add_error("photos", exc.messages)
        return None
    except services.RequestError as exc:
        form.add_error(None, exc.messages)
        return None
    return filed


@require_http_methods(["GET", "HEAD", "POST"])
def file_from_building(request, building_id: int):
    """The page behind the QR code on the building's board."""
    building = _building_get(building_id)
    street_id = _street_id(building)
    if request.method == "POST":
        form = PublicFilingForm(request.POST, request.FILES, street=street_id)
        if form.is_valid():
            filed = _file(request, building, form)
            if filed is not None:
                messages.success(
                    request, _("Your request has been sent. Keep this page's link to follow it.")
                )
                return redirect(_reporter_url(filed))
    else:
        form = PublicFilingForm(street=street_id)
    kinds = list(form.fields["kind"].queryset)
    selected = int_param(form["kind"].value())
    context = {
        "building": building,
        "form": form,
        "kinds": kinds,
        "selected_kind_id": selected,
        "similar": _similar(building, selected) if selected else [],
        # Browsers cannot refill a file input: say so when the form comes back after photos were chosen.
        "photos_lost": request.method == "POST" and bool(request.FILES.getlist("photos")),
    }
    return render(request, "service_requests/public_file.html", context, status=400 if form.errors else 200)


@require_safe
def similar_open_requests(request, building_id: int):
    """htmx: likely duplicates of what the resident is about to file, to follow instead."""
    building = _building_get(building_id)
    kind_id = int_param(request.GET.get("kind"))
    context = {"building": building, "similar": _similar(building, kind_id)}
    return render(request, "service_requests/_public_similar.html", context)


def _request_by_token(token: str) -> Request:
    return get_object_or_404(
        Request.objects.select_related("kind", "building__estate", "holder", "community", "merged_into"),
        public_token=token,
    )


def _first_owner_role(req: Request) -> str | None:
    """The role (never the name or phone) of the first-asked owner, as it concerns this request."""
    if req.first_owner_id is None:
        return None
    appointments = list(
        Appointment.objects.active().filter(person_id=req.first_owner_id).select_related("unit")
    )
    if not appointments:
        return _("Community worker")
    community_path = req.community.path if req.community else None

    def closeness(a):
        here = (a.unit is not None and community_path and a.unit.path.startswith(community_path)) or (
            a.building_id is not None and a.building_id == req.building_id
        )
        return (not here, -len(a.unit.path) if a.unit else 0)

    return min(appointments, key=closeness).get_role_display()


def _timeline(req: Request) -> tuple[list[dict], list[RequestPhoto]]:
    """The public events, oldest first, each with the level the request was at and its photos."""
    events = list(req.events.filter(public=True).select_related("to_unit").order_by("created_at", "id"))
    photos: dict[int | None, list] = {}
    visible = req.photos.filter(Q(event__isnull=True) | Q(event__public=True)).only("pk", "event_id")
    for photo in visible:
        photos.setdefault(photo.event_id, []).append(photo)
    level, items = None, []
    for event in events:
        level = event.to_unit or level
        items.append({"event": event, "level": level, "photos": photos.pop(event.pk, [])})
    loose = [p for group in photos.values() for p in group]
    return items, loose


def _reporter_url(req: Request) -> str:
    return f"{reverse('service_requests:track', args=[req.public_token])}?k={req.reporter_key}"


def _track_context(req: Request, rate_form=None, reporter_key: str = "") -> dict:
    timeline, loose_photos = _timeline(req)
    step = STATUS_STEP[req.status]
    if step == 0 and req.responded_at is not None:
        step = 1  # answered, then sent up or down a level: it waits for the new level's answer
    labels = [_("Filed"), _("Answered"), _("Resolved"), _("Closed")]
    plain = {
        Status.NEW: _("Received. It waits for an answer from the people in charge.")
        if req.responded_at is None
        else _("Passed on to another level. It waits for their answer."),
        Status.IN_PROGRESS: _("Someone is working on it."),
        Status.DISPATCHED: _("Helpers have been sent to do the work."),
        Status.RESOLVED: _("The work is reported done. Please tell us if you are satisfied."),
        Status.CLOSED: _("Closed."),
    }
    is_reporter = req.is_reporter_key(reporter_key)
    if req.status == Status.RESOLVED and rate_form is None:
        rate_form = RatingForm()
    return {
        "req": req,
        "status_words": plain[req.status],
        "steps": [
            {"label": label, "done": i <= step, "current": i == step} for i, label in enumerate(labels)
        ],
        "owner_role": _first_owner_role(req),
        "timeline": timeline,
        "loose_photos": loose_photos,
        "rate_form": rate_form if req.status == Status.RESOLVED and is_reporter else None,
        "reporter_key": reporter_key if is_reporter else "",
    }


@require_safe
def track(request, token: str):
    """The tracking page: anyone with the link sees the public updates, never who filed it."""
    req = _request_by_token(token)
    context = _track_context(req, reporter_key=request.GET.get("k", ""))
    return render(request, "service_requests/public_track.html", context)


@require_POST
def rate(request, token: str):
    req = _request_by_token(token)
    key = request.POST.get("k", "")
    if not req.is_reporter_key(key):
        raise PermissionDenied(_("Only the person who filed this request can rate it, from their own link."))
    form = RatingForm(request.POST)
    if not form.is_valid():
        context = _track_context(req, rate_form=form, reporter_key=key)
        return render(request, "service_requests/public_track.html", context, status=400)
    try:
        services.request_rate(
            request=req,
            rating=form.cleaned_data["rating"],
            solved=form.cleaned_data["solved"],
            comment=form.cleaned_data["comment"].strip(),
            actor=request.user if request.user.is_authenticated else None,
        )
    except services.RequestError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(_reporter_url(req))
    if req.status == Status.CLOSED:
        messages.success(request, _("Thank you for your rating. The request is closed."))
    else:
        messages.warning(request, _("We are sorry it is not solved. The request is open again."))
    return redirect(_reporter_url(req))


@require_safe
def public_photo(request, token: str, photo_id: int):
    """A photo of a public event of the request behind this token (404 for any other photo)."""
    photo = get_object_or_404(
        RequestPhoto.objects.filter(Q(event__isnull=True) | Q(event__public=True)),
        pk=photo_id,
        request__public_token=token,
    )
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, content_type=CONTENT_TYPES.get(photo.extension, "application/octet-stream")
    )
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_safe
def my_requests(request):
    """The requests the logged-in user filed, newest first."""
    mine = (
        Request.objects.visible_to(request.user)
        .filter(reporter_user=request.user)
        .select_related("kind", "building__estate")
        .only(
            "public_token",
            "status",
            "created_at",
            "description",
            "kind__name",
            "kind__icon",
            "building__name",
            "building__estate__name",
            "address_text",
        )
        .order_by("-created_at", "-pk")
    )
    page = Paginator(mine, MY_REQUESTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "service_requests/my_requests.html", {"page": page})
