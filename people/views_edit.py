"""Editing pages for households and residents: staff only.

Anyone who is not staff gets 404 on every page here, as for anything outside their scope; a household
that a staff member can see but whose community they do not manage answers 403. Views parse with a form,
call a service in people/services.py, and map the service's refusals back onto the form.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scope import managed_communities, staff_scope
from linli.params import int_param
from people import identity, services
from people.forms import HouseholdForm, HouseholdStatusForm, ResidentForm
from people.models import Household, HouseholdStatus, Resident
from territory.models import TerritoryUnit


def _check_manages(scope, community_id: int) -> None:
    if not scope.can_manage_community(community_id):
        raise PermissionDenied(_("Only staff of this household's community may change it."))


def _household_to_edit(request, pk: int) -> Household:
    scope = staff_scope(request)
    household = get_object_or_404(
        Household.objects.visible_to(request.user).with_address().select_related("community", "cell"), pk=pk
    )
    _check_manages(scope, household.community_id)
    return household


def _household_form(request, *, household: Household | None = None, **kwargs) -> HouseholdForm:
    return HouseholdForm(
        request.POST if request.method == "POST" else None,
        community_ids=list(managed_communities(request.user).values_list("pk", flat=True)),
        visible_units=TerritoryUnit.objects.visible_to(request.user),
        household=household,
        **kwargs,
    )


def _map_household_error(form: HouseholdForm, exc: ValidationError) -> None:
    """The services refuse a duplicate address or a cell of another community; say so on that field."""
    cell, entrance = form.cleaned_data.get("cell"), form.cleaned_data.get("entrance")
    community_path = entrance.building.estate.community.path if entrance else ""
    field = "cell" if cell is not None and not cell.path.startswith(community_path) else "room"
    form.add_error(field, exc.messages)


@login_required
def household_create(request):
    staff_scope(request)
    initial = {}
    entrance_id = int_param(request.GET.get("entrance"))
    if entrance_id:
        initial["entrance"] = entrance_id
    form = _household_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = services.household_create(
                actor=request.user,
                entrance=data["entrance"],
                room=data["room"],
                cell=data["cell"],
                note=data["note"],
            )
        except ValidationError as exc:
            _map_household_error(form, exc)
        else:
            messages.success(request, _("Household %(address)s added.") % {"address": household.address})
            return redirect("people:household_detail", pk=household.pk)
    return render(request, "people/household_form.html", {"form": form, "household": None})


@login_required
def household_edit(request, pk: int):
    household = _household_to_edit(request, pk)
    old_address = household.address
    form = _household_form(
        request,
        household=household,
        initial={
            "entrance": household.entrance_id,
            "room": household.room,
            "cell": household.cell_id,
            "note": household.note,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = services.household_move(
                actor=request.user,
                household=household,
                entrance=data["entrance"],
                room=data["room"],
                cell=data["cell"],
                note=data["note"],
            )
        except ValidationError as exc:
            _map_household_error(form, exc)
        else:
            if household.address != old_address:
                messages.success(
                    request,
                    _("Household moved from %(old)s to %(new)s. The old address stays in the history.")
                    % {"old": old_address, "new": household.address},
                )
            else:
                messages.success(request, _("Household saved."))
            return redirect("people:household_detail", pk=household.pk)
    return render(
        request,
        "people/household_form.html",
        {"form": form, "household": household, "statuses": HouseholdStatus},
    )


@login_required
@require_POST
def household_status(request, pk: int):
    household = _household_to_edit(request, pk)
    form = HouseholdStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was changed: choose whether the household lives here."))
        return redirect("people:household_detail", pk=household.pk)
    status = HouseholdStatus(form.cleaned_data["status"])
    old_cell = household.cell
    services.household_set_status(actor=request.user, household=household, status=status)
    if status == HouseholdStatus.REGISTERED_ONLY:
        if old_cell is not None:
            messages.success(
                request,
                _(
                    "Marked as registered but not living here. The household has left neighbour cell %(cell)s "
                    "and no longer counts for its leaders."
                )
                % {"cell": old_cell.name},
            )
        else:
            messages.success(
                request, _("Marked as registered but not living here. The household is in no neighbour cell.")
            )
    else:
        messages.success(
            request, _("Marked as living here. Remember to place the household in a neighbour cell.")
        )
    return redirect("people:household_detail", pk=household.pk)


def _save_resident(request, form: ResidentForm, resident: Resident) -> Resident | None:
    """Run the service; on refusal put the message on the field it concerns and return None."""
    form.apply_to(resident)
    try:
        return services.resident_save(
            actor=request.user, resident=resident, id_number=form.id_number_for_service()
        )
    except ValidationError as exc:
        # The one refusal left after the form's checks: another resident holds this ID number.
        form.add_error("id_number" if form.cleaned_data.get("id_number") else None, exc.messages)
    except identity.InvalidIdentity as exc:
        form.add_error(_identity_error_field(form, resident), str(exc))
    return None


def _identity_error_field(form: ResidentForm, resident: Resident) -> str | None:
    """Which field the service's InvalidIdentity is about (the form checks the same rules first)."""
    if form.cleaned_data.get("id_number"):
        try:
            identity.id_number_parse(form.cleaned_data["id_number"])
        except identity.InvalidIdentity:
            return "id_number"
    for field in ("phone", "emergency_contact_phone"):
        value = getattr(resident, field)
        if value:
            try:
                identity.phone_validate(value)
            except identity.InvalidIdentity:
                return field
    return None


@login_required
def resident_create(request, pk: int):
    household = _household_to_edit(request, pk)
    form = ResidentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        resident = _save_resident(request, form, Resident(household=household))
        if resident is not None:
            messages.success(request, _("Resident %(name)s added.") % {"name": resident.name})
            return redirect("people:household_detail", pk=household.pk)
    return render(
        request, "people/resident_form.html", {"form": form, "household": household, "resident": None}
    )


@login_required
def resident_edit(request, pk: int):
    scope = staff_scope(request)
    resident = get_object_or_404(
        Resident.objects.visible_to(request.user).select_related(
            "household__entrance__building__estate", "household__community"
        ),
        pk=pk,
    )
    household = resident.household
    _check_manages(scope, household.community_id)
    form = ResidentForm(request.POST if request.method == "POST" else None, resident=resident)
    if request.method == "POST" and form.is_valid():
        saved = _save_resident(request, form, resident)
        if saved is not None:
            messages.success(request, _("Resident %(name)s saved.") % {"name": saved.name})
            return redirect("people:household_detail", pk=household.pk)
        # The form keeps what was typed; the heading shows the stored record, not the refused values.
        resident = Resident.objects.get(pk=resident.pk)
    return render(
        request, "people/resident_form.html", {"form": form, "household": household, "resident": resident}
    )
