"""Open311 GeoReport v2 endpoints (thin: parse, call open311.services, render) and the keys page."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.scope import scope_for
from open311 import services
from open311.formats import FORMATS, render_error
from open311.formats import render as render_format
from open311.models import ApiKey
from open311.services import Open311Error
from territory.models import Level, TerritoryUnit


def open311_endpoint(methods):
    """Checks the format extension (unknown → 404) and the method, and answers Open311Error in the spec's
    error format."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, fmt, *args, **kwargs):
            if fmt not in FORMATS:
                return render_error("json", 404, _("Unknown format: use .json or .xml."))
            if request.method not in methods:
                response = render_error(fmt, 405, _("Method not allowed."))
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, fmt, *args, **kwargs)
            except Open311Error as error:
                return render_error(fmt, error.code, error.description)

        return csrf_exempt(wrapper)

    return decorate


@open311_endpoint(["GET"])
def discovery(request, fmt):
    url = request.build_absolute_uri(reverse("open311:root"))
    return render_format(fmt, "discovery", services.discovery_fields(url))


@open311_endpoint(["GET"])
def service_list(request, fmt):
    street = services.jurisdiction_resolve(request.GET.get("jurisdiction_id"))
    return render_format(
        fmt, "services", [services.service_fields(k) for k in services.service_kinds(street)]
    )


@open311_endpoint(["GET"])
def service_definition(request, fmt, code):
    street = services.jurisdiction_resolve(request.GET.get("jurisdiction_id"))
    kind = services.service_kind_get(street, code)
    return render_format(fmt, "service_definition", {"service_code": kind.code, "attributes": []})


@open311_endpoint(["GET", "POST"])
def request_list(request, fmt):
    if request.method == "POST":
        return _request_create(request, fmt)
    found = services.requests_public(request.GET)
    private = services.private_kind_codes()
    return render_format(fmt, "service_requests", [services.request_public_fields(r, private) for r in found])


def _request_create(request, fmt):
    api_key = services.api_key_check(request.POST.get("api_key"))
    try:
        filed = services.open311_request_file(api_key=api_key, data=request.POST)
    except ValidationError as error:
        raise Open311Error(400, " ".join(error.messages)) from None
    notice = _("Received. The street office's staff and leaders will answer within %(hours)s hours.") % {
        "hours": filed.kind.response_hours
    }
    return render_format(
        fmt,
        "service_requests",
        [{"service_request_id": filed.pk, "service_notice": notice, "account_id": None}],
    )


@open311_endpoint(["GET"])
def request_detail(request, fmt, request_id):
    found = services.request_public_get(request_id, request.GET)
    return render_format(fmt, "service_requests", [services.request_public_fields(found)])


def root(request):
    """The endpoint's base URL, named in the discovery document."""
    return redirect("open311:discovery", fmt="json")


# --- The keys page (street administrators) ----------------------------------------------------------


def _managed_streets(user):
    """The streets whose keys `user` manages: street staff (street admins) only; to anyone else, 404."""
    scope = scope_for(user)
    streets = TerritoryUnit.objects.filter(level=Level.STREET)
    if not scope.everything:
        streets = streets.filter(path__in=scope.staff_unit_paths)
    streets = list(streets.order_by("path"))
    if not streets:
        raise Http404
    return streets


def street_admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        return view(request, _managed_streets(request.user), *args, **kwargs)

    return wrapper


@street_admin_required
@require_http_methods(["GET", "POST"])
def keys(request, streets):
    issued = None
    if request.method == "POST":
        chosen = request.POST.get("street") or str(streets[0].pk)
        street = next((s for s in streets if str(s.pk) == chosen), None)
        if street is None:
            raise Http404
        try:
            key, plain = services.api_key_issue(
                actor=request.user, name=request.POST.get("name", ""), street=street
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            # The plain key is shown on this response only; it is stored nowhere.
            issued = {"key": key, "plain": plain}
    api_keys = ApiKey.objects.filter(street__in=streets).select_related("street", "created_by", "revoked_by")
    return render(
        request,
        "open311/keys.html",
        {
            "streets": streets,
            "api_keys": api_keys,
            "issued": issued,
            "endpoint": request.build_absolute_uri(reverse("open311:root")),
        },
    )


@street_admin_required
@require_http_methods(["POST"])
def key_revoke(request, streets, pk):
    key = get_object_or_404(ApiKey, pk=pk, street__in=streets)
    services.api_key_revoke(actor=request.user, api_key=key)
    messages.success(request, _("The key %(prefix)s… is revoked.") % {"prefix": key.prefix})
    return redirect("open311:keys")
