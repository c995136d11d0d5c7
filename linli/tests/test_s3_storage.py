"""Uploaded files on S3-compatible storage (LINLI_MEDIA_STORAGE=s3): what several instances share.

The bucket is served by moto's S3 server on the loopback address, spoken to over HTTP by boto3 through
django-storages, as a MinIO or a cloud bucket would be: a request photo stored by one instance is served
by the visibility-checked views, a roster waits between upload and confirm, and nothing touches a local
path. Skipped without moto (a dev dependency), except in CI.
"""

import io
import os
import uuid

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from linli.testing import make_request
from people.tests.test_roster import roster_row, xlsx_bytes
from service_requests.models import RequestPhoto
from service_requests.photos import request_photos_add

KEY, SECRET, REGION = "linli-test", "linli-test-secret", "us-east-1"


@pytest.fixture(scope="module")
def s3_endpoint():
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("moto is not installed")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch, tmp_path):
    import boto3

    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    name = f"linli-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name=REGION,
    )
    client.create_bucket(Bucket=name)
    # The same options linli.settings builds from LINLI_MEDIA_STORAGE=s3 and LINLI_S3_*.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "access_key": KEY,
                "secret_key": SECRET,
                "region_name": REGION,
                "addressing_style": "path",
                "location": "media",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    settings.MEDIA_ROOT = tmp_path  # must stay empty: everything goes to the bucket

    def keys() -> list[str]:
        return sorted(o["Key"] for o in client.list_objects_v2(Bucket=name).get("Contents", []))

    yield keys
    for key in keys():
        client.delete_object(Bucket=name, Key=key)
    client.delete_bucket(Bucket=name)


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 40, 40)).save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue())


def test_a_request_photo_is_stored_in_the_bucket_and_served_by_the_views(client, cast, bucket, tmp_path):
    request = make_request(cast)
    [photo] = request_photos_add(request=request, files=[png()])

    assert bucket() == [f"media/{photo.image.name}"] and not any(tmp_path.iterdir())
    client.force_login(cast.staff)
    served = client.get(reverse("service_requests:photo", args=[request.pk, photo.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    public = client.get(reverse("service_requests:public_photo", args=[request.public_token, photo.pk]))
    assert public.status_code == 200


def test_a_photo_missing_from_the_bucket_is_not_found_not_an_error(client, cast, bucket):
    request = make_request(
        cast, actor=None, reporter_user=None, household=None, building=cast.h1.entrance.building
    )
    [photo] = request_photos_add(request=request, files=[png()])
    default_storage.delete(RequestPhoto.objects.get(pk=photo.pk).image.name)

    response = client.get(reverse("service_requests:public_photo", args=[request.public_token, photo.pk]))
    assert response.status_code == 404


def test_a_roster_waits_in_the_bucket_between_upload_and_confirm(client, cast, bucket, tmp_path):
    client.force_login(cast.staff)
    content = xlsx_bytes([roster_row(), roster_row(居住状态="暂住", 房号="1204")])
    response = client.post(
        reverse("people:roster_import"),
        {"community": cast.community.pk, "file": SimpleUploadedFile("花名册.xlsx", content)},
    )
    token = response["Location"].rstrip("/").split("/")[-1]
    assert bucket() == [f"media/imports/{token}/meta.json", f"media/imports/{token}/upload.bin"]

    done = client.post(reverse("people:roster_import_preview", args=[token]))

    assert done.context["summary"].created == 1 and done.context["summary"].rejected == 1
    assert bucket() == [f"media/imports/{token}/errors.xlsx", f"media/imports/{token}/meta.json"]
    errors = client.get(reverse("people:roster_import_errors", args=[token]))
    assert errors.status_code == 200 and not any(tmp_path.iterdir())
