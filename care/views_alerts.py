"""Welfare alert pages: raise one (from a household page; as a resident, for a neighbour by building and
room; without logging in, from the building's QR page), the alert page with its checklist, calls and
timing, and the list with its figures. Thin: parse, call care.services_alerts, render.

Alerts are fetched only through WelfareAlert.objects.visible_to (outside it: 404). Someone who sees an
alert only because they raised it gets the short page (what they reported, whether it is being handled,
a note box): no names, ages or phones of the household.
"""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.scope import scope_for
from care import services_alerts as services
from care.models import (
    ALERT_RESPONSE_TARGET_MINUTES,
    AlertOutcome,
    AlertReason,
    AlertStep,
    CarePlan,
    WelfareAlert,
)
from linli.params import int_param
from people import identity
from people import selectors as people_selectors
from people.models import Household, Relation, Resident
from territory.models import Building

ALERTS_PER_PAGE = 30
REASON_ICONS = {
    AlertReason.NOT_SEEN: "🚪",
    AlertReason.NO_ANSWER: "🔔",
    AlertReason.FELL: "🆘",
    AlertReason.OTHER: "💬",
}
STATUS_FILTERS = {
    "all": gettext_lazy("All"),
    "open": gettext_lazy("Open"),
    "closed": gettext_lazy("Closed"),
}


# ---- Forms ---------------------------------------------------------------------------------------


def _reason_field():
    return forms.ChoiceField(
        label=gettext_lazy("What is wrong?"),
        choices=AlertReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Please choose what is wrong."),
            "invalid_choice": gettext_lazy("Please choose one of the reasons shown."),
        },
    )


def _details_field():
    return forms.CharField(
        label=gettext_lazy("Details (optional)"),
        max_length=services.TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What you saw or heard, since when."),
    )


def _room_field():
    return forms.CharField(
        label=gettext_lazy("Room"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "text", "autocomplete": "off", "placeholder": "301"}),
        help_text=gettext_lazy("With the entrance if the building has several, e.g. 2单元301."),
        error_messages={"required": gettext_lazy("Please write the room number, e.g. 301.")},
    )


class RaiseForm(forms.Form):
    """A leader or staff member raising an alert on a household they see."""

    reason = _reason_field()
    resident = forms.ChoiceField(label=gettext_lazy("Who?"), required=False, widget=forms.RadioSelect)
    description = _details_field()

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {m.pk: m for m in members}
        self.fields["resident"].choices = [("", _("The household"))] + [(str(m.pk), m.name) for m in members]

    def clean_resident(self):
        return self.members.get(int_param(self.cleaned_data.get("resident")))


class NeighbourForm(forms.Form):
    """A logged-in resident raising an alert on a neighbour: building and room."""

    building = forms.TypedChoiceField(
        label=gettext_lazy("Building"),
        coerce=int,
        error_messages={
            "required": gettext_lazy("Please choose the building."),
            "invalid_choice": gettext_lazy("Please choose one of the buildings shown."),
        },
    )
    room = _room_field()
    reason = _reason_field()
    description = _details_field()

    def __init__(self, *args, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.buildings = {b.pk: b for b in buildings}
        self.fields["building"].choices = [(b.pk, str(b)) for b in buildings]


class PublicAlertForm(forms.Form):
    """A neighbour without an account, from the building's QR page."""

    room = _room_field()
    reason = _reason_field()
    description = _details_field()
    phone = forms.CharField(
        label=gettext_lazy("Your mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=gettext_lazy("So the community can call you back. It is never shown on public pages."),
        error_messages={
            "required": gettext_lazy("Please leave your mobile number, so the community can call you back.")
        },
    )
    name = forms.CharField(
        label=gettext_lazy("Your name (optional)"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def clean_phone(self):
        return identity.phone_form_clean(self.cleaned_data["phone"])


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=services.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Please write the note.")},
    )


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=AlertOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Please choose the outcome."),
            "invalid_choice": gettext_lazy("Please choose the outcome."),
        },
    )
    note = forms.CharField(
        label=gettext_lazy("What happened"),
        max_length=services.TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required for “Other”."),
    )


# ---- Raising -------------------------------------------------------------------------------------


def _raise(form, **kwargs):
    """Call the service; its refusal goes back on the form. Returns the alert or None."""
    try:
        return services.welfare_alert_raise(**kwargs)
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return None


def _after_raise(request, alert: WelfareAlert):
    if alert.merged:
        messages.warning(
            request,
            _(
                "An alert on this home was raised less than 2 hours ago and is still open: "
                "your report has been added to it and the people answering it are told."
            ),
        )
    else:
        messages.success(
            request, _("The alert is raised: the people who answer for this home have been told.")
        )
    if services.alert_access(request.user, alert) is None:
        return redirect("care:alert_public_sent", building_id=alert.household.entrance.building_id)
    return redirect("care:alert_detail", pk=alert.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def alert_new(request):
    """Raise an alert on a household the viewer sees (?household=<id>, optional &resident=<id>)."""
    if "household" not in request.GET:
        return redirect("care:alert_neighbour")
    household_id = int_param(request.GET.get("household"))
    household = people_selectors.household_get(request.user, household_id) if household_id else None
    if household is None:
        raise Http404
    members = [m for m in household.member_list if m.died_on is None]
    initial = {"resident": request.GET.get("resident", "")}
    form = RaiseForm(request.POST or None, members=members, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        alert = _raise(
            form,
            actor=request.user,
            household=household,
            resident=data["resident"],
            reason=data["reason"],
            description=data["description"],
        )
        if alert is not None:
            return _after_raise(request, alert)
    context = {"household": household, "form": form, "icons": REASON_ICONS}
    return render(request, "care/alert_new.html", context)


def _neighbour_buildings(user) -> tuple[list[Building], int | None]:
    """The buildings of the viewer's own community and those they work in, and their own building."""
    scope = scope_for(user)
    q = Q(pk__in=Building.objects.visible_to(user).values("pk"))
    own_building = None
    if scope.own_household_id:
        own = Household.objects.filter(pk=scope.own_household_id).values(
            "community_id", "entrance__building_id"
        )
        own = own.first()
        if own:
            own_building = own["entrance__building_id"]
            q |= Q(estate__community_id=own["community_id"])
    buildings = list(Building.objects.filter(q).select_related("estate").order_by("estate__name", "name"))
    return buildings, own_building


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def alert_neighbour(request):
    """A logged-in resident (or anyone logged in) raises an alert on a neighbour by building and room."""
    buildings, own_building = _neighbour_buildings(request.user)
    chosen = int_param(request.GET.get("building")) or own_building
    form = NeighbourForm(request.POST or None, buildings=buildings, initial={"building": chosen})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        building = form.buildings[data["building"]]
        try:
            household = services.alert_household_find(building=building, room_text=data["room"])
        except ValidationError as exc:
            form.add_error("room", exc.messages)
        else:
            alert = _raise(
                form,
                actor=request.user,
                household=household,
                reason=data["reason"],
                description=data["description"],
            )
            if alert is not None:
                return _after_raise(request, alert)
    context = {"form": form, "buildings": buildings, "icons": REASON_ICONS}
    return render(request, "care/alert_neighbour.html", context)


def _public_building(building_id: int) -> Building:
    return get_object_or_404(Building.objects.select_related("estate"), pk=building_id)


@require_http_methods(["GET", "HEAD", "POST"])
def alert_public(request, building_id: int):
    """From the building's QR page, no login: room, reason, details, the neighbour's name and phone.
    Never shows who lives in a room; afterwards only "the community has been told"."""
    building = _public_building(building_id)
    form = PublicAlertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = services.alert_household_find(building=building, room_text=data["room"])
        except ValidationError as exc:
            form.add_error("room", exc.messages)
        else:
            user = request.user if request.user.is_authenticated else None
            alert = _raise(
                form,
                actor=user,
                household=household,
                reason=data["reason"],
                description=data["description"],
                raiser_name=data["name"],
                raiser_phone=data["phone"],
            )
            if alert is not None:
                if user is not None:
                    return _after_raise(request, alert)
                # The same page whether or not someone reported this home already: an anonymous
                # visitor learns nothing about who lives where or what happened to them.
                return redirect("care:alert_public_sent", building_id=building.pk)
    context = {"building": building, "form": form, "icons": REASON_ICONS}
    return render(request, "care/alert_public.html", context)


@require_safe
def alert_public_sent(request, building_id: int):
    building = _public_building(building_id)
    return render(request, "care/alert_sent.html", {"building": building})


# ---- The alert page ------------------------------------------------------------------------------


def _alert_or_404(user, pk: int) -> WelfareAlert:
    alert = (
        WelfareAlert.objects.visible_to(user)
        .select_related(
            "household__entrance__building__estate",
            "household__community",
            "household__cell",
            "resident",
            "raised_by",
            "first_responder",
            "closed_by",
        )
        .filter(pk=pk)
        .first()
    )
    if alert is None:
        raise Http404
    return alert


def _minutes_between(start: datetime.datetime, end: datetime.datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _timing(alert: WelfareAlert, now) -> dict:
    response = alert.minutes_to_first_response
    waited = response if response is not None else _minutes_between(alert.raised_at, alert.closed_at or now)
    return {
        "since": _minutes_between(alert.raised_at, now),
        "response": response,
        "waited": waited,
        "late": waited > ALERT_RESPONSE_TARGET_MINUTES,
        "close": alert.minutes_to_close,
        "target": ALERT_RESPONSE_TARGET_MINUTES,
    }


def _members(alert: WelfareAlert, revealed: dict) -> list[Resident]:
    """The household's living members, the person the alert is about first, then the head."""
    members = list(alert.household.members.filter(died_on__isnull=True))
    members.sort(key=lambda m: (m.pk != alert.resident_id, m.relation != Relation.HEAD, m.pk))
    for member in members:
        member.revealed_phone = revealed.get((member.pk, "phone"))
        member.revealed_emergency_phone = revealed.get((member.pk, "emergency_phone"))
    return members


def _detail_context(request, alert: WelfareAlert, *, revealed=None, forms_bound=None, error=None) -> dict:
    access = services.alert_access(request.user, alert)
    revealed = revealed or {}
    forms_bound = forms_bound or {}
    entries = list(alert.entries.select_related("by"))
    done = {e.step: e for e in entries if e.step}
    context = {
        "alert": alert,
        "access": access,
        "may_act": access == services.ACT,
        "icon": REASON_ICONS.get(alert.reason, ""),
        "timing": _timing(alert, timezone.now()),
        "steps": [
            {"value": value, "label": label, "entry": done.get(value)} for value, label in AlertStep.choices
        ],
        "notes": [e for e in entries if e.note],
        "note_form": forms_bound.get("note") or NoteForm(),
        "error": error,
    }
    if access != services.ACT:
        return context
    context.update(
        {
            "members": _members(alert, revealed),
            "carers": list(
                CarePlan.objects.active()
                .filter(resident__household_id=alert.household_id, carer__isnull=False)
                .select_related("carer", "resident")
                .order_by("resident_id")
            ),
            "responders": list(alert.responders.order_by("full_name", "pk")),
            # The property butler answers the alert but reads no household pages: no link for them.
            "household_visible": Household.objects.visible_to(request.user)
            .filter(pk=alert.household_id)
            .exists(),
            "close_form": forms_bound.get("close") or CloseForm(),
            "revealed_raiser": revealed.get((None, "raiser")),
            "raiser_phone_masked": identity.phone_mask(alert.raiser_phone),
        }
    )
    return context


@login_required
@require_safe
def alert_detail(request, pk: int):
    alert = _alert_or_404(request.user, pk)
    return render(request, "care/alert_detail.html", _detail_context(request, alert))


def _refused(request, pk: int, exc: ValidationError, forms_bound=None):
    """The page again, as stored, with the refusal shown (status 200: nothing was saved)."""
    alert = _alert_or_404(request.user, pk)
    context = _detail_context(request, alert, forms_bound=forms_bound, error=" ".join(exc.messages))
    return render(request, "care/alert_detail.html", context)


@login_required
@require_POST
def alert_step(request, pk: int):
    alert = _alert_or_404(request.user, pk)
    try:
        services.welfare_alert_step(actor=request.user, alert=alert, step=request.POST.get("step", ""))
    except ValidationError as exc:
        return _refused(request, pk, exc)
    messages.success(request, _("Recorded."))
    return redirect(f"{reverse('care:alert_detail', args=[pk])}#checklist")


@login_required
@require_POST
def alert_note(request, pk: int):
    alert = _alert_or_404(request.user, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.welfare_alert_note(actor=request.user, alert=alert, note=form.cleaned_data["note"])
        except ValidationError as exc:
            return _refused(request, pk, exc, forms_bound={"note": form})
        messages.success(request, _("Your note is recorded."))
        return redirect(f"{reverse('care:alert_detail', args=[pk])}#notes")
    context = _detail_context(request, alert, forms_bound={"note": form})
    return render(request, "care/alert_detail.html", context)


@login_required
@require_POST
def alert_close(request, pk: int):
    alert = _alert_or_404(request.user, pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.welfare_alert_close(
                actor=request.user,
                alert=alert,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            return _refused(request, pk, exc, forms_bound={"close": form})
        messages.success(request, _("The alert is closed. Everyone told about it has been told the outcome."))
        return redirect("care:alert_detail", pk=pk)
    context = _detail_context(request, alert, forms_bound={"close": form})
    return render(request, "care/alert_detail.html", context)


@login_required
@require_POST
def alert_call(request, pk: int, field: str, resident_id: int | None = None):
    """Reveal a number to call (audited): a household member's phone, their emergency contact's, or the
    neighbour's who raised the alert. htmx gets the button's partial; a plain POST the page."""
    alert = _alert_or_404(request.user, pk)
    if field == "raiser":
        value = services.welfare_alert_raiser_phone_reveal(actor=request.user, alert=alert, request=request)
        key, resident, masked = (None, "raiser"), None, identity.phone_mask(alert.raiser_phone)
    elif field in ("phone", "emergency_phone") and resident_id is not None:
        resident = get_object_or_404(Resident, pk=resident_id, household_id=alert.household_id)
        value = services.welfare_alert_resident_reveal(
            actor=request.user, alert=alert, resident=resident, field=field, request=request
        )
        key = (resident.pk, field)
        masked = resident.phone_masked if field == "phone" else resident.emergency_phone_masked
    else:
        raise Http404
    if request.htmx:
        context = {"alert": alert, "resident": resident, "field": field, "masked": masked, "value": value}
        return render(request, "care/alert_reveal.html", context)
    return render(request, "care/alert_detail.html", _detail_context(request, alert, revealed={key: value}))


# ---- The list ------------------------------------------------------------------------------------


@login_required
@require_safe
def alert_list(request):
    """Open alerts first (newest first), then closed ones (last closed first); the figures of the alerts
    raised in the last ALERT_FIGURES_DAYS days at the top."""
    status = request.GET.get("status", "all")
    if status not in STATUS_FILTERS:
        status = "all"
    visible = WelfareAlert.objects.visible_to(request.user)
    now = timezone.now()
    figures = services.alert_figures(
        visible.filter(raised_at__gte=now - datetime.timedelta(days=services.ALERT_FIGURES_DAYS)), now=now
    )
    rows = visible.select_related("household__entrance__building__estate", "resident").order_by(
        F("closed_at").desc(nulls_first=True), "-raised_at", "-pk"
    )
    if status == "open":
        rows = rows.filter(closed_at__isnull=True)
    elif status == "closed":
        rows = rows.filter(closed_at__isnull=False)
    page = Paginator(rows, ALERTS_PER_PAGE).get_page(request.GET.get("page"))
    alerts = list(page.object_list)
    for alert in alerts:
        alert.timing = _timing(alert, now)
        alert.icon = REASON_ICONS.get(alert.reason, "")
    context = {
        "figures": figures,
        "figures_days": services.ALERT_FIGURES_DAYS,
        "target": ALERT_RESPONSE_TARGET_MINUTES,
        "page": page,
        "alerts": alerts,
        "status": status,
        "status_filters": STATUS_FILTERS.items(),
    }
    return render(request, "care/alert_list.html", context)
