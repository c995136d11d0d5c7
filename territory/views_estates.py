"""Estates, buildings and entrances: the staff pages that keep the address register.

Only staff (community staff, street admins) reach these pages; anyone else gets 404, as for anything
outside their scope. An estate a staff member can see but not manage answers 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.scope import managed_communities, staff_scope
from territory import services_estates
from territory.forms import BuildingForm, EntranceForm, EstateForm
from territory.models import Building, Entrance, Estate


def _add_service_error(form, field: str, exc: Exception) -> None:
    form.add_error(field, exc.messages if isinstance(exc, ValidationError) else str(exc))


@login_required
def estate_list(request):
    staff_scope(request)
    estates = (
        Estate.objects.filter(community__in=managed_communities(request.user))
        .select_related("community")
        .annotate(
            building_count=Count("buildings", distinct=True),
            household_count=Count("buildings__entrances__households", distinct=True),
        )
        .order_by("community__path", "name")
    )
    return render(request, "territory/estate_list.html", {"estates": estates})


@login_required
def estate_create(request):
    staff_scope(request)
    communities = managed_communities(request.user)
    form = EstateForm(request.POST or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            estate = services_estates.estate_create(
                actor=request.user,
                community=data["community"],
                name=data["name"],
                kind=data["kind"],
                address=data["address"],
            )
        except (ValidationError, PermissionDenied) as exc:
            _add_service_error(form, "name", exc)
        else:
            messages.success(request, _("Estate %(name)s added.") % {"name": estate.name})
            return redirect("territory:estate_detail", pk=estate.pk)
    return render(request, "territory/estate_form.html", {"form": form})


@login_required
def estate_detail(request, pk: int):
    scope = staff_scope(request)
    estate = get_object_or_404(Estate.objects.visible_to(request.user).select_related("community"), pk=pk)
    if not scope.can_manage_community(estate.community_id):
        raise PermissionDenied(_("Only staff of this community may change its estates."))

    building_form = BuildingForm(prefix="building")
    entrance_form = EntranceForm(prefix="entrance", estate=estate)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "building":
            building_form = BuildingForm(request.POST, prefix="building")
            if building_form.is_valid():
                try:
                    building = services_estates.building_create(
                        actor=request.user,
                        estate=estate,
                        name=building_form.cleaned_data["name"],
                        entrance_names=building_form.cleaned_data["entrances"],
                    )
                except ValidationError as exc:
                    _add_service_error(building_form, "name", exc)
                else:
                    messages.success(request, _("Building %(name)s added.") % {"name": building.name})
                    return redirect("territory:estate_detail", pk=estate.pk)
        elif action == "entrance":
            entrance_form = EntranceForm(request.POST, prefix="entrance", estate=estate)
            if entrance_form.is_valid():
                try:
                    entrance = services_estates.entrance_create(
                        actor=request.user,
                        building=entrance_form.cleaned_data["building"],
                        name=entrance_form.cleaned_data["name"],
                    )
                except ValidationError as exc:
                    _add_service_error(entrance_form, "name", exc)
                else:
                    messages.success(request, _("Entrance %(name)s added.") % {"name": str(entrance)})
                    return redirect("territory:estate_detail", pk=estate.pk)
        else:
            messages.error(request, _("Nothing was changed: unknown action."))

    buildings = (
        Building.objects.filter(estate=estate)
        .annotate(household_count=Count("entrances__households"))
        .prefetch_related(
            Prefetch(
                "entrances",
                queryset=Entrance.objects.annotate(household_count=Count("households")).order_by("name"),
            )
        )
        .order_by("name")
    )
    return render(
        request,
        "territory/estate_detail.html",
        {
            "estate": estate,
            "buildings": buildings,
            "building_form": building_form,
            "entrance_form": entrance_form,
        },
    )
