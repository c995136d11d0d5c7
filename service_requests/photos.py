"""Photos on requests, checked by what the file holds (not by its name), and the rate limit on filing
without logging in. Both serve the public filing page and anything else that takes a resident's photos."""

import datetime

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from PIL import Image

from service_requests.models import Channel, Request, RequestPhoto
from service_requests.services import RequestError

MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 10 * 1024 * 1024

# Pillow's format name → the extension the photo is stored with. MPO is the multi-picture JPEG some
# phone cameras write; HEIF is read only when a Pillow plugin for it is installed.
ALLOWED_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "HEIF": "heic"}
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "heic": "image/heic",
}

# Filing without an account, per hour: from one phone number, and from one building's QR code.
ANONYMOUS_PER_PHONE_PER_HOUR = 3
ANONYMOUS_PER_BUILDING_PER_HOUR = 20


class PhotoError(RequestError):
    """One message per refused file (ValidationError keeps the list in `.messages`)."""


def _image_extension(upload) -> str | None:
    """The extension for an upload whose content Pillow reads as an allowed image, else None."""
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image.verify()  # checks the data without decoding every pixel
        upload.seek(0)
        with Image.open(upload) as image:  # verify() leaves the image unusable: reopen to read the format
            image_format = image.format
    except Exception:  # Pillow raises many kinds (UnidentifiedImageError, SyntaxError, decompression bomb)
        return None
    finally:
        upload.seek(0)
    return ALLOWED_FORMATS.get(image_format or "")


def photo_uploads_check(files, *, already: int = 0) -> tuple[list[tuple[object, str]], list[str]]:
    """Check uploads without storing them: (accepted [(file, extension)], a message per refused file)."""
    files = [f for f in files if f]
    if already + len(files) > MAX_PHOTOS:
        return [], [
            _("At most %(max)d photos per request; you chose %(count)d.")
            % {"max": MAX_PHOTOS, "count": already + len(files)}
        ]
    accepted, errors = [], []
    for upload in files:
        name = getattr(upload, "name", "") or _("(no name)")
        if upload.size > MAX_PHOTO_BYTES:
            errors.append(
                _("%(name)s is larger than %(mb)d MB.")
                % {"name": name, "mb": MAX_PHOTO_BYTES // (1024 * 1024)}
            )
            continue
        extension = _image_extension(upload)
        if extension is None:
            errors.append(_("%(name)s is not a photo (JPEG, PNG, WEBP or GIF).") % {"name": name})
            continue
        accepted.append((upload, extension))
    return accepted, errors


@transaction.atomic
def request_photos_add(*, request: Request, files, event=None) -> list[RequestPhoto]:
    """Attach photos to a request (and to the event they illustrate). All or none: any refused file
    raises PhotoError with one message per refused file, and nothing is stored."""
    already = RequestPhoto.objects.filter(request=request).count()
    accepted, errors = photo_uploads_check(files, already=already)
    if errors:
        raise PhotoError(errors)
    photos = []
    for upload, extension in accepted:
        photo = RequestPhoto(request=request, event=event, extension=extension)
        photo.image.save(f"photo.{extension}", upload, save=False)
        photo.save()
        photos.append(photo)
    return photos


def anonymous_filing_allowed(*, phone: str, building, now: datetime.datetime) -> bool:
    """Whether one more filing without login may go in: at most 3 an hour from one phone number and
    20 an hour from one building's QR code, counted from the requests already filed, in one query
    (each count reads its own partial index: request_anon_phone_recent, request_anon_building_recent)."""
    if not phone and building is None:
        return True
    since = now - datetime.timedelta(hours=1)
    recent = Request.objects.filter(channel=Channel.QR, reporter_user__isnull=True, created_at__gt=since)
    by_phone = Q(reporter_phone=phone) if phone else Q(pk__in=[])
    by_building = Q(building=building) if building is not None else Q(pk__in=[])
    counts = recent.filter(by_phone | by_building).aggregate(
        phone=Count("pk", filter=by_phone), building=Count("pk", filter=by_building)
    )
    return (
        counts["phone"] < ANONYMOUS_PER_PHONE_PER_HOUR
        and counts["building"] < ANONYMOUS_PER_BUILDING_PER_HOUR
    )
