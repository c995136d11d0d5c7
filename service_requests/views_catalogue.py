"""The service catalogue (kinds, grades, deadlines, menu, dispatch team) and the response templates.

Both belong to a street office. Staff only: a street admin keeps their street's catalogue, and community
staff may view and edit it too (the catalogue is the street's, shared by its communities). A staff
member's street is the first unit of their post's path; anyone else gets 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.scope import staff_scope
from service_requests.catalogue import service_catalogue_install
from service_requests.forms_catalogue import ResponseTemplateForm, ServiceKindForm
from service_requests.models import ResponseTemplate, ServiceKind
from territory.models import Level, TerritoryUnit


def _streets(request):
    """The street offices whose catalogue the viewer keeps (404 for anyone but staff)."""
    scope = staff_scope(request)
    streets = TerritoryUnit.objects.filter(level=Level.STREET).order_by("sort_order", "name")
    if scope.everything:
        return streets
    return streets.filter(pk__in={int(path.strip("/").split("/")[0]) for path in scope.staff_unit_paths})


def _street_from(request, streets, value):
    """The street named by a form or query parameter, or the viewer's only street."""
    if value:
        try:
            return get_object_or_404(streets, pk=int(value))
        except ValueError:
            pass
    streets = list(streets[:2])
    if len(streets) == 1:
        return streets[0]
    return None


@login_required
def catalogue(request):
    streets = _streets(request)
    if request.method == "POST":
        street = _street_from(request, streets, request.POST.get("street"))
        if street is not None and request.POST.get("action") == "install":
            installed = service_catalogue_install(street)
            messages.success(
                request,
                _("The default catalogue is installed: %(count)s kinds.") % {"count": len(installed)},
            )
        return redirect("service_requests:catalogue")
    kinds = ServiceKind.objects.filter(street__in=streets).select_related("dispatch_team__community")
    by_street = {street.pk: (street, []) for street in streets}
    for kind in kinds:
        by_street[kind.street_id][1].append(kind)
    return render(
        request,
        "service_requests/catalogue.html",
        {"sections": list(by_street.values()), "many_streets": len(by_street) > 1},
    )


def _kind_form_page(request, form, kind=None):
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            kind = form.save()
        messages.success(request, _("Saved: %(name)s.") % {"name": kind.name})
        return redirect("service_requests:catalogue")
    return render(
        request,
        "service_requests/catalogue_kind_form.html",
        {"form": form, "kind": kind, "street": form.street},
    )


@login_required
def kind_create(request):
    streets = _streets(request)
    street = _street_from(request, streets, request.POST.get("street") or request.GET.get("street"))
    if street is None:
        messages.error(request, _("Choose the street office first."))
        return redirect("service_requests:catalogue")
    return _kind_form_page(request, ServiceKindForm(request.POST or None, street=street))


@login_required
def kind_edit(request, pk: int):
    kind = get_object_or_404(
        ServiceKind.objects.filter(street__in=_streets(request)).select_related("street"), pk=pk
    )
    return _kind_form_page(
        request, ServiceKindForm(request.POST or None, instance=kind, street=kind.street), kind
    )


@login_required
def template_list(request):
    streets = _streets(request)
    templates = (
        ResponseTemplate.objects.filter(street__in=streets)
        .select_related("street")
        .order_by("street_id", "title")
    )
    return render(
        request,
        "service_requests/template_list.html",
        {"templates": templates, "streets": streets, "many_streets": len(streets) > 1},
    )


def _template_form_page(request, form, template=None):
    if request.method == "POST" and request.POST.get("action") == "delete" and template is not None:
        template.delete()
        messages.success(request, _("Deleted: %(title)s.") % {"title": template.title})
        return redirect("service_requests:template_list")
    if request.method == "POST" and form.is_valid():
        template = form.save()
        messages.success(request, _("Saved: %(title)s.") % {"title": template.title})
        return redirect("service_requests:template_list")
    return render(
        request,
        "service_requests/template_form.html",
        {"form": form, "template": template, "street": form.street},
    )


@login_required
def template_create(request):
    streets = _streets(request)
    street = _street_from(request, streets, request.POST.get("street") or request.GET.get("street"))
    if street is None:
        messages.error(request, _("Choose the street office first."))
        return redirect("service_requests:template_list")
    return _template_form_page(request, ResponseTemplateForm(request.POST or None, street=street))


@login_required
def template_edit(request, pk: int):
    template = get_object_or_404(
        ResponseTemplate.objects.filter(street__in=_streets(request)).select_related("street"), pk=pk
    )
    form = ResponseTemplateForm(request.POST or None, instance=template, street=template.street)
    return _template_form_page(request, form, template)
