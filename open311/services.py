"""Open311 GeoReport v2 business rules: API keys, jurisdictions, address matching, filing and the public
request list. Views parse and render; everything that decides lives here."""

import datetime
import re
import secrets
import string
import unicodedata
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from open311.models import ApiKey
from people.identity import InvalidIdentity, phone_validate
from service_requests.models import (
    OPEN_STATUSES,
    Channel,
    EventKind,
    Request,
    RequestEvent,
    ServiceKind,
    Status,
)
from service_requests.services import request_file, request_note
from territory.models import Building, Estate, Level, TerritoryUnit

KEY_LENGTH = 40
PREFIX_LENGTH = 8
DEFAULT_WINDOW = datetime.timedelta(days=90)
MAX_REQUESTS = 1000  # GeoReport v2: at most the first 1000 requests
DESCRIPTION_MAX = 2000
CLOSED_STATUSES = [Status.RESOLVED, Status.CLOSED]
# Public update messages: answers and reasons written for the resident. Filing repeats the description,
# dispatch and claim name the doer, rating is the resident's own comment: none of them is a status note.
STATUS_NOTE_KINDS = [
    EventKind.RESPONDED,
    EventKind.NOTE,
    EventKind.ESCALATED,
    EventKind.HANDED_DOWN,
    EventKind.RESOLVED,
    EventKind.REOPENED,
    EventKind.CLOSED,
]


class Open311Error(Exception):
    """An error answered in the GeoReport error format with this HTTP status code."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


# --- API keys ---------------------------------------------------------------------------------------


def _key_hash(plain: str) -> str:
    # Keyed with the data key rather than SECRET_KEY, so that rotating the session secret keeps keys valid.
    return salted_hmac(
        "linli.open311.api_key", plain, secret=settings.LINLI_FIELD_KEY, algorithm="sha256"
    ).hexdigest()


def api_key_issue(*, actor, name: str, street: TerritoryUnit) -> tuple[ApiKey, str]:
    """Issue a key for one integration of one street. Returns the row and the plain key, which is
    shown once and stored nowhere."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Please name the integration the key is for."))
    if street.level != Level.STREET:
        raise ValidationError(_("An API key belongs to a street office."))
    alphabet = string.ascii_letters + string.digits
    plain = "".join(secrets.choice(alphabet) for _i in range(KEY_LENGTH))
    key = ApiKey.objects.create(
        name=name[:100],
        street=street,
        prefix=plain[:PREFIX_LENGTH],
        key_hash=_key_hash(plain),
        created_by=actor,
    )
    return key, plain


def api_key_revoke(*, actor, api_key: ApiKey) -> ApiKey:
    """Revoke a key: from now on every POST with it is refused (403). Revoking twice changes nothing."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.revoked_by = actor
        api_key.save(update_fields=["revoked_at", "revoked_by"])
    return api_key


def api_key_check(plain: str) -> ApiKey:
    """The active key for a plain key, its use recorded; Open311Error 403 when missing, wrong or revoked."""
    plain = (plain or "").strip()
    if not plain:
        raise Open311Error(403, _("api_key was not provided."))
    key = ApiKey.objects.active().select_related("street").filter(key_hash=_key_hash(plain)).first()
    if key is None:
        raise Open311Error(403, _("api_key is invalid or revoked."))
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key


# --- Jurisdictions ----------------------------------------------------------------------------------


def jurisdiction_resolve(jurisdiction_id: str | None) -> TerritoryUnit:
    """The street a request speaks of: `jurisdiction_id` is a street's id; without it, the first street."""
    streets = TerritoryUnit.objects.filter(level=Level.STREET)
    if jurisdiction_id:
        street = streets.filter(pk=int(jurisdiction_id)).first() if jurisdiction_id.isdigit() else None
        if street is None:
            raise Open311Error(404, _("jurisdiction_id was not found."))
        return street
    street = streets.order_by("path").first()
    if street is None:
        raise Open311Error(404, _("No jurisdiction is set up yet."))
    return street


def service_kinds(street: TerritoryUnit):
    return ServiceKind.objects.filter(street=street, active=True).order_by("sort_order", "name")


def service_kind_get(street: TerritoryUnit, code: str) -> ServiceKind:
    kind = service_kinds(street).filter(code=code).first()
    if kind is None:
        raise Open311Error(404, _("service_code was not found."))
    return kind


# --- Address matching -------------------------------------------------------------------------------


def _squash(text: str) -> str:
    """Compare addresses ignoring width, case and every kind of white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).casefold()


def building_match(street: TerritoryUnit, address: str) -> Building | None:
    """The building an address string names: "estate name + building name" (or the estate's street
    address + building name), ignoring white space. The longest match wins; none → None."""
    wanted = _squash(address)
    if not wanted:
        return None
    estates = [
        estate
        for estate in Estate.objects.filter(community__path__startswith=street.path).only(
            "pk", "name", "address"
        )
        if (estate.name and _squash(estate.name) in wanted)
        or (estate.address and _squash(estate.address) in wanted)
    ]
    best, best_length = None, 0
    for building in Building.objects.filter(estate__in=estates).select_related("estate"):
        for place in (building.estate.name, building.estate.address):
            label = _squash(place) + _squash(building.name) if place else ""
            if label and label in wanted and len(label) > best_length:
                best, best_length = building, len(label)
    return best


def _building_by_id(street: TerritoryUnit, address_id: str) -> Building:
    building = (
        Building.objects.filter(pk=int(address_id), estate__community__path__startswith=street.path).first()
        if address_id.isdigit()
        else None
    )
    if building is None:
        raise Open311Error(400, _("address_id was not found."))
    return building


def _coordinate(value: str, name: str, limit: int) -> Decimal:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise Open311Error(400, _("%(name)s is not a number.") % {"name": name}) from None
    if not number.is_finite() or abs(number) > limit:
        raise Open311Error(400, _("%(name)s is out of range.") % {"name": name})
    return number.quantize(Decimal("0.000001"))


def _media_url(value: str) -> str:
    value = (value or "").strip()
    return value[:500] if re.match(r"^https?://\S+$", value) else ""


# --- Filing -----------------------------------------------------------------------------------------


@transaction.atomic
def open311_request_file(*, api_key: ApiKey, data) -> Request:
    """File a request sent by a partner system (POST requests.{format}).

    Where: address_id (a building of the key's street), address_string matched against known buildings,
    or lat/long. An address that matches no building is still accepted: with no building it lands with
    the street's staff, who place it. The reporter's contact goes only where staff can see it; an
    invalid phone number is left out rather than refused. media_url is kept as an internal note.
    """
    street = api_key.street
    jurisdiction_id = (data.get("jurisdiction_id") or "").strip()
    if jurisdiction_id and jurisdiction_id != str(street.pk):
        raise Open311Error(400, _("jurisdiction_id does not match the api_key."))
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("service_code was not provided."))
    kind = service_kinds(street).filter(code=code).first()
    if kind is None:
        raise Open311Error(400, _("service_code was not found."))
    lat, long = (data.get("lat") or "").strip(), (data.get("long") or "").strip()
    address_string = (data.get("address_string") or "").strip()
    address_id = (data.get("address_id") or "").strip()
    if bool(lat) != bool(long):
        raise Open311Error(400, _("lat and long must be given together."))
    if not (lat or address_string or address_id):
        raise Open311Error(400, _("A location is required: lat and long, address_string or address_id."))
    description = (data.get("description") or "").strip()
    if not description:
        raise Open311Error(400, _("description was not provided."))
    if len(description) > DESCRIPTION_MAX:
        raise Open311Error(400, _("description is longer than 2000 characters."))
    latitude = _coordinate(lat, "lat", 90) if lat else None
    longitude = _coordinate(long, "long", 180) if long else None
    building = _building_by_id(street, address_id) if address_id else building_match(street, address_string)
    name = ((data.get("last_name") or "").strip() + (data.get("first_name") or "").strip())[:50]
    try:
        phone = phone_validate(data.get("phone") or "") if (data.get("phone") or "").strip() else ""
    except InvalidIdentity:
        phone = ""  # a partner's landline or foreign number: keep the request, leave the number out
    request = request_file(
        actor=None,
        kind=kind,
        description=description,
        channel=Channel.OPEN311,
        building=building,
        address_text=address_string[:200],
        reporter_name=name,
        reporter_phone=phone,
        latitude=latitude,
        longitude=longitude,
    )
    note = [
        _("Filed through Open311 by %(name)s (key %(prefix)s…).")
        % {"name": api_key.name, "prefix": api_key.prefix}
    ]
    for field, label in (("email", "email"), ("device_id", "device_id"), ("account_id", "account_id")):
        if (data.get(field) or "").strip():
            note.append(f"{label}: {data.get(field).strip()[:200]}")
    if media := _media_url(data.get("media_url")):
        note.append(f"media_url: {media}")
    request_note(actor=None, request=request, message="\n".join(note), public=False)
    return request


# --- Reading ----------------------------------------------------------------------------------------


def _when(value: str, name: str, *, end: bool = False) -> datetime.datetime:
    """A W3C/ISO 8601 date-time (or a bare date: its start, or for an end date its end)."""
    value = value.strip().replace(" ", "+")  # a "+08:00" offset sent unencoded arrives as " 08:00"
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = datetime.datetime.combine(day, datetime.time.max if end else datetime.time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(
            400, _("%(name)s is not a W3C date-time such as 2024-01-01T00:00:00Z.") % {"name": name}
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _public_requests():
    notes = RequestEvent.objects.filter(
        request=OuterRef("pk"), public=True, kind__in=STATUS_NOTE_KINDS
    ).order_by("-created_at", "-id")
    latest = RequestEvent.objects.filter(request=OuterRef("pk")).order_by("-created_at", "-id")
    return Request.objects.select_related("kind", "holder", "building__estate").annotate(
        status_notes=Subquery(notes.values("message")[:1]),
        updated_at=Coalesce(Subquery(latest.values("created_at")[:1]), "created_at"),
    )


def requests_public(params, *, now=None) -> list[Request]:
    """The requests the public list shows, per GeoReport v2: service_request_id (comma-separated)
    overrides every other filter; otherwise service_code, status (open/closed) and the requested time
    between start_date and end_date (default: the last 90 days), newest first, at most 1000."""
    ids = (params.get("service_request_id") or "").strip()
    queryset = _public_requests()
    if ids:
        wanted = [part.strip() for part in ids.split(",") if part.strip()]
        if not all(part.isdigit() for part in wanted):
            raise Open311Error(400, _("service_request_id must be numbers separated by commas."))
        if params.get("jurisdiction_id"):
            queryset = queryset.filter(street=jurisdiction_resolve(params.get("jurisdiction_id")))
        return list(queryset.filter(pk__in=[int(part) for part in wanted])[:MAX_REQUESTS])
    queryset = queryset.filter(street=jurisdiction_resolve(params.get("jurisdiction_id")))
    now = now or timezone.now()
    start = _when(params["start_date"], "start_date") if params.get("start_date") else None
    end = _when(params["end_date"], "end_date", end=True) if params.get("end_date") else None
    if start is None and end is None:
        start, end = now - DEFAULT_WINDOW, now
    elif start is None:
        start = end - DEFAULT_WINDOW
    if end is not None:
        queryset = queryset.filter(created_at__lte=end)
    queryset = queryset.filter(created_at__gte=start)
    if codes := [c.strip() for c in (params.get("service_code") or "").split(",") if c.strip()]:
        queryset = queryset.filter(kind__code__in=codes)
    if statuses := {s.strip().lower() for s in (params.get("status") or "").split(",") if s.strip()}:
        if not statuses <= {"open", "closed"}:
            raise Open311Error(400, _("status must be open or closed."))
        wanted_statuses = (OPEN_STATUSES if "open" in statuses else []) + (
            CLOSED_STATUSES if "closed" in statuses else []
        )
        queryset = queryset.filter(status__in=wanted_statuses)
    return list(queryset.order_by("-created_at", "-id")[:MAX_REQUESTS])


def request_public_get(request_id: str, params) -> Request:
    queryset = _public_requests()
    if params.get("jurisdiction_id"):
        queryset = queryset.filter(street=jurisdiction_resolve(params.get("jurisdiction_id")))
    found = queryset.filter(pk=int(request_id)).first() if request_id.isdigit() else None
    if found is None:
        raise Open311Error(404, _("service_request_id was not found."))
    return found


def _w3c(moment: datetime.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _address(request: Request) -> str:
    if request.building_id:
        estate = request.building.estate
        return " ".join(part for part in (estate.address, estate.name, request.building.name) if part)
    return request.address_text


def private_kind_codes() -> set[str]:
    """Kinds whose requests are listed without their text or place: a hardship request (low-income
    allowance, serious-illness aid) says who is poor or ill, and its building says where they live.
    Setting LINLI_OPEN311_PRIVATE_KINDS (a list of codes) overrides the default."""
    return set(getattr(settings, "LINLI_OPEN311_PRIVATE_KINDS", ["hardship"]))


def request_public_fields(request: Request, private_codes: set[str] | None = None) -> dict:
    """One request as GeoReport v2 publishes it. Never the reporter's name, phone, e-mail or device;
    for a private kind not its description, notes or place either."""
    private_codes = private_kind_codes() if private_codes is None else private_codes
    if request.kind.code in private_codes:
        withheld = dict.fromkeys(["status_notes", "description", "address", "address_id", "lat", "long"])
        return {**_public_fields(request), **withheld}
    return _public_fields(request)


def _public_fields(request: Request) -> dict:
    return {
        "service_request_id": request.pk,
        "status": "open" if request.status in OPEN_STATUSES else "closed",
        "status_notes": request.status_notes or None,
        "service_name": request.kind.name,
        "service_code": request.kind.code,
        "description": request.description,
        "agency_responsible": request.holder.name,
        "service_notice": None,
        "requested_datetime": _w3c(request.created_at),
        "updated_datetime": _w3c(request.updated_at),
        "expected_datetime": _w3c(request.resolution_due_at) if request.status in OPEN_STATUSES else None,
        "address": _address(request) or None,
        "address_id": request.building_id,
        "zipcode": None,
        "lat": float(request.latitude) if request.latitude is not None else None,
        "long": float(request.longitude) if request.longitude is not None else None,
        "media_url": None,
    }


def service_fields(kind: ServiceKind) -> dict:
    return {
        "service_code": kind.code,
        "service_name": kind.name,
        "description": kind.description,
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": str(kind.get_report_category_display()),
    }


def discovery_fields(url: str, *, now=None) -> dict:
    """The service discovery document: one production endpoint, this server, in JSON and XML.

    The catalogue keeps no change times, so the changeset is the start of today: clients that cache the
    service list refresh it at least daily, which staff edits never outpace by much."""
    today = timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "changeset": _w3c(today),
        "contact": str(settings.LINLI_SITE_NAME),
        "key_service": _("API keys are issued by the street office's administrators."),
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": url,
                "changeset": _w3c(today),
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
