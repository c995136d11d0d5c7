"""Photos are checked by what the file holds, and anonymous filing is rate-limited from the database."""

import datetime
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from service_requests import services
from service_requests.catalogue import service_catalogue_install
from service_requests.models import Channel, RequestPhoto, ServiceKind
from service_requests.photos import (
    MAX_PHOTO_BYTES,
    PhotoError,
    anonymous_filing_allowed,
    request_photos_add,
)
from territory.models import Building

NOW = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)


def image_upload(name="photo.png", image_format="PNG", size=(4, 3)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, image_format)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def kind(cast):
    service_catalogue_install(cast.street)
    return ServiceKind.objects.get(street=cast.street, code="repair")


@pytest.fixture
def building(cast):
    return Building.objects.get(entrances__households=cast.h1)


@pytest.fixture
def filed(cast, kind, building):
    return services.request_file(
        actor=None, kind=kind, description="楼道灯坏了", channel=Channel.QR, building=building
    )


def file_anonymously(kind, building, phone="13900002222"):
    return services.request_file(
        actor=None,
        kind=kind,
        description="下水道堵了",
        channel=Channel.QR,
        building=building,
        reporter_phone=phone,
    )


def test_a_real_png_is_stored_with_the_png_extension(filed):
    [photo] = request_photos_add(request=filed, files=[image_upload()])
    assert photo.extension == "png" and photo.image.name.endswith(".png")
    with photo.image.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "PNG"


def test_the_extension_follows_the_content_not_the_name(filed):
    [photo] = request_photos_add(request=filed, files=[image_upload("holiday.png", "JPEG")])
    assert photo.extension == "jpg"


@pytest.mark.parametrize("image_format,extension", [("WEBP", "webp"), ("GIF", "gif")])
def test_webp_and_gif_are_accepted(filed, image_format, extension):
    [photo] = request_photos_add(request=filed, files=[image_upload("x.bin", image_format)])
    assert photo.extension == extension


def test_a_text_file_named_jpg_is_refused(filed):
    fake = SimpleUploadedFile("photo.jpg", b"this is not a picture at all")
    with pytest.raises(PhotoError) as refused:
        request_photos_add(request=filed, files=[fake])
    assert "photo.jpg" in refused.value.messages[0]
    assert not RequestPhoto.objects.exists()


def test_a_truncated_png_is_refused(filed):
    whole = image_upload().read()
    with pytest.raises(PhotoError):
        request_photos_add(request=filed, files=[SimpleUploadedFile("cut.png", whole[: len(whole) // 2])])


def test_an_image_format_other_than_the_allowed_ones_is_refused(filed):
    with pytest.raises(PhotoError):
        request_photos_add(request=filed, files=[image_upload("scan.bmp", "BMP")])


def test_a_photo_over_ten_megabytes_is_refused(filed):
    big = SimpleUploadedFile("big.jpg", b"\xff" * (MAX_PHOTO_BYTES + 1))
    with pytest.raises(PhotoError) as refused:
        request_photos_add(request=filed, files=[big])
    assert "big.jpg" in refused.value.messages[0]


def test_six_photos_are_refused_and_none_stored(filed):
    with pytest.raises(PhotoError):
        request_photos_add(request=filed, files=[image_upload(f"{n}.png") for n in range(6)])
    assert not RequestPhoto.objects.exists()


def test_the_limit_counts_photos_already_on_the_request(filed):
    request_photos_add(request=filed, files=[image_upload(f"{n}.png") for n in range(4)])
    with pytest.raises(PhotoError):
        request_photos_add(request=filed, files=[image_upload("a.png"), image_upload("b.png")])
    request_photos_add(request=filed, files=[image_upload("e.png")])
    assert filed.photos.count() == 5


def test_one_bad_file_stores_none_of_the_batch(filed):
    with pytest.raises(PhotoError) as refused:
        request_photos_add(request=filed, files=[image_upload(), SimpleUploadedFile("notes.jpg", b"hello")])
    assert len(refused.value.messages) == 1
    assert not RequestPhoto.objects.exists()


def test_three_filings_an_hour_from_one_phone_then_no_more(kind, building):
    with time_machine.travel(NOW, tick=False):
        for _ in range(3):
            assert anonymous_filing_allowed(phone="13900002222", building=building, now=timezone.now())
            file_anonymously(kind, building)
        assert not anonymous_filing_allowed(phone="13900002222", building=building, now=timezone.now())
        assert anonymous_filing_allowed(phone="13900003333", building=building, now=timezone.now())
    later = NOW + datetime.timedelta(hours=1, minutes=1)
    assert anonymous_filing_allowed(phone="13900002222", building=building, now=later)


def test_twenty_anonymous_filings_an_hour_from_one_building_then_no_more(kind, building):
    with time_machine.travel(NOW, tick=False):
        for n in range(20):
            file_anonymously(kind, building, phone=f"139000{n:05d}")
        assert not anonymous_filing_allowed(phone="", building=building, now=timezone.now())
        assert not anonymous_filing_allowed(phone="13800000000", building=building, now=timezone.now())


def test_both_limits_are_read_in_one_query(kind, building, django_assert_num_queries):
    with time_machine.travel(NOW, tick=False):
        file_anonymously(kind, building, phone="13900002222")
        with django_assert_num_queries(1):
            assert anonymous_filing_allowed(phone="13900002222", building=building, now=timezone.now())
        with django_assert_num_queries(0):  # nothing to count by: a filing with neither
            assert anonymous_filing_allowed(phone="", building=None, now=timezone.now())


def test_filings_by_logged_in_residents_do_not_count(cast, kind, building):
    with time_machine.travel(NOW, tick=False):
        for _ in range(3):
            services.request_file(
                actor=cast.resident,
                reporter_user=cast.resident,
                kind=kind,
                description="灯坏了",
                channel=Channel.QR,
                building=building,
                reporter_phone="13900002222",
            )
        assert anonymous_filing_allowed(phone="13900002222", building=building, now=timezone.now())
