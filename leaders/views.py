"""Appointment pages: list, appoint, end a term, hand a post over. Staff only; everything is fetched
through Appointment.objects.visible_to, so an appointment outside the viewer's scope is a 404."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.scope import staff_scope
from accounts.services import person_create
from leaders import selectors, services
from leaders.forms import (
    AppointmentCreateForm,
    AppointmentEndForm,
    AppointmentFilterForm,
    AppointmentHandOverForm,
    PersonChoice,
)
from leaders.models import Appointment
from leaders.selectors import STATUS_ACTIVE, appointment_post_history, person_candidate, person_search
from linli.params import int_param
from territory.models import TerritoryUnit

PAGE_SIZE = 50


def staff_required(view):
    """Only street admins and community staff manage appointments; anyone else finds nothing here."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        staff_scope(request)
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def appointment_list(request):
    form = AppointmentFilterForm(request.GET or None, viewer=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    unit = None
    if filters.get("unit"):
        unit_id = int_param(filters["unit"])
        if unit_id is None:
            raise Http404
        unit = get_object_or_404(TerritoryUnit.objects.visible_to(request.user), pk=unit_id)
    appointments = selectors.appointment_list(
        request.user, role=filters.get("role", ""), status=filters.get("status") or STATUS_ACTIVE, unit=unit
    )
    page = Paginator(appointments, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "leaders/appointment_list.html",
        {"form": form, "page": page, "unit": unit, "query": query.urlencode()},
    )


@staff_required
def appointment_create(request):
    if request.method == "POST":
        form = AppointmentCreateForm(request.POST, viewer=request.user)
        if form.is_valid():
            unit, estate, building = form.cleaned_data["place"]
            try:
                with transaction.atomic():
                    person = _person_from(request, form.cleaned_data["choice"])
                    appointment = services.appointment_create(
                        actor=request.user,
                        person=person,
                        role=form.cleaned_data["role"],
                        started_on=form.cleaned_data["started_on"],
                        unit=unit,
                        estate=estate,
                        building=building,
                        term_ends_on=form.cleaned_data.get("term_ends_on"),
                    )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Appointed: %(post)s") % {"post": appointment})
                return redirect("leaders:appointment_list")
    else:
        initial = {
            key: request.GET.get(key, "") for key in ("q", "role", "person", "new_full_name", "new_phone")
        }
        if int_param(request.GET.get("unit")):
            initial["place"] = f"unit:{int_param(request.GET['unit'])}"
        elif request.GET.get("place"):
            initial["place"] = request.GET["place"]
        if request.GET.get("started_on"):
            initial["started_on"] = request.GET["started_on"]
        form = AppointmentCreateForm(initial=initial, viewer=request.user)
    return render(request, "leaders/appointment_create.html", {"form": form, **_picker(request, form)})


@staff_required
def appointment_end(request, pk: int):
    appointment = _visible_appointment(request, pk)
    form = AppointmentEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_end(
                actor=request.user,
                appointment=appointment,
                ended_on=form.cleaned_data["ended_on"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Term ended: %(post)s") % {"post": appointment})
            return redirect("leaders:appointment_list")
    return render(
        request,
        "leaders/appointment_end.html",
        {
            "appointment": appointment,
            "form": form,
            "history": appointment_post_history(request.user, appointment),
        },
    )


@staff_required
def appointment_hand_over(request, pk: int):
    appointment = _visible_appointment(request, pk)
    if request.method == "POST":
        form = AppointmentHandOverForm(request.POST, viewer=request.user, appointment=appointment)
        if form.is_valid():
            try:
                with transaction.atomic():
                    successor = services.appointment_hand_over(
                        actor=request.user,
                        appointment=appointment,
                        successor=_person_from(request, form.cleaned_data["choice"]),
                        reason=form.cleaned_data["reason"],
                        on=form.cleaned_data["on"],
                        note=form.cleaned_data["note"],
                        term_ends_on=form.cleaned_data.get("term_ends_on"),
                    )
            except ValidationError as error:
                appointment.refresh_from_db()  # the failed transaction may have set its end in memory
                form.add_error(None, error)
            else:
                messages.success(request, _("Handed over: %(post)s") % {"post": successor})
                return redirect("leaders:appointment_list")
    else:
        initial = {key: request.GET.get(key, "") for key in ("q", "person", "new_full_name", "new_phone")}
        form = AppointmentHandOverForm(initial=initial, viewer=request.user, appointment=appointment)
    return render(
        request,
        "leaders/appointment_hand_over.html",
        {
            "appointment": appointment,
            "form": form,
            "history": appointment_post_history(request.user, appointment),
            **_picker(request, form),
        },
    )


def _visible_appointment(request, pk: int) -> Appointment:
    return get_object_or_404(
        Appointment.objects.visible_to(request.user).select_related(
            "person", "unit__parent", "estate", "building__estate"
        ),
        pk=pk,
    )


def _picker(request, form) -> dict:
    """The search results of the person picker, with the chosen person kept on screen."""
    source = request.POST if request.method == "POST" else request.GET
    candidates = person_search(request.user, source.get("q", ""))
    chosen = source.get("person", "")
    if chosen and all(candidate.value != chosen for candidate in candidates):
        kept = person_candidate(request.user, chosen)
        if kept:
            candidates.insert(0, kept)
    return {"candidates": candidates, "chosen": chosen, "searched": bool(source.get("q", "").strip())}


def _person_from(request, choice: PersonChoice) -> User:
    """The user to appoint: the chosen one, or a new person created for the post."""
    if choice.user is not None:
        return choice.user
    return person_create(
        actor=request.user, full_name=choice.full_name, phone=choice.phone, resident=choice.resident
    )
