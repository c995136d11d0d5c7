"""POST requests.{json,xml}: GeoReport v2 service request creation, checked at the spec's level."""

import json
import xml.etree.ElementTree as ET

import pytest

from open311.models import ApiKey
from open311.services import api_key_revoke
from service_requests.models import Channel, Request
from territory.models import Estate

URL = "/open311/v2/requests.json"


def _post(client, plain_key, url=URL, **fields):
    data = {"api_key": plain_key, "service_code": "repair", "description": "楼道灯坏了", **fields}
    return client.post(url, {k: v for k, v in data.items() if v is not None})


def test_post_without_api_key_is_403_in_the_error_format(client, plain_key):
    response = _post(client, None, address_string="阳光小区2栋")
    assert response.status_code == 403
    assert response.json()[0]["code"] == 403
    assert response.json()[0]["description"]
    assert not Request.objects.exists()


def test_post_with_a_wrong_key_is_403(client, plain_key):
    response = _post(client, plain_key + "x", address_string="阳光小区2栋")
    assert response.status_code == 403
    assert not Request.objects.exists()


def test_post_with_a_revoked_key_is_403(client, cast, plain_key):
    api_key_revoke(actor=cast.street_admin, api_key=ApiKey.objects.get())
    response = _post(client, plain_key, address_string="阳光小区2栋")
    assert response.status_code == 403
    assert not Request.objects.exists()


def test_post_without_a_location_is_400(client, plain_key):
    response = _post(client, plain_key)
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400
    assert not Request.objects.exists()


def test_post_with_an_unknown_service_code_is_400(client, plain_key):
    response = _post(client, plain_key, service_code="potholes", address_string="阳光小区2栋")
    assert response.status_code == 400
    assert "service_code" in response.json()[0]["description"]


def test_post_answers_the_new_request_id_with_a_notice(client, plain_key):
    response = _post(client, plain_key, address_string="阳光小区2栋")
    assert response.status_code == 200
    [answer] = response.json()
    filed = Request.objects.get()
    assert answer["service_request_id"] == filed.pk
    assert answer["service_notice"]
    assert answer["account_id"] is None
    assert filed.channel == Channel.OPEN311


def test_post_in_xml_answers_service_requests_request(client, plain_key):
    response = _post(client, plain_key, url="/open311/v2/requests.xml", address_string="阳光小区2栋")
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text == str(Request.objects.get().pk)


def test_address_naming_a_building_lands_at_that_buildings_cell(client, cast, plain_key):
    # h3 is the only household of 阳光小区 2栋, in cell C3.
    _post(client, plain_key, address_string=" 阳光小区  2 栋 ")
    filed = Request.objects.get()
    assert filed.building.name == "2栋"
    assert filed.cell == cast.cell3
    assert filed.holder == cast.cell3


def test_address_with_the_estates_street_address_matches_its_building(client, cast, plain_key):
    Estate.objects.filter(name="阳光小区").update(address="解放路12号")
    _post(client, plain_key, address_string="城关街道解放路12号 2栋 3单元")
    assert Request.objects.get().holder == cast.cell3


def test_unknown_address_is_accepted_and_lands_with_the_street(client, cast, plain_key):
    response = _post(client, plain_key, address_string="建设路88号")
    assert response.status_code == 200
    filed = Request.objects.get()
    assert filed.building is None
    assert filed.address_text == "建设路88号"
    assert filed.holder == cast.street


def test_lat_long_alone_is_a_location(client, cast, plain_key):
    response = _post(client, plain_key, lat="28.194", long="112.982")
    assert response.status_code == 200
    filed = Request.objects.get()
    assert (float(filed.latitude), float(filed.longitude)) == (28.194, 112.982)
    assert filed.holder == cast.street


def test_reporter_contact_is_kept_for_staff(client, plain_key):
    _post(
        client,
        plain_key,
        address_string="阳光小区2栋",
        first_name="桂莲",
        last_name="张",
        phone="+86 139 0000 2222",
    )
    filed = Request.objects.get()
    assert (filed.reporter_name, filed.reporter_phone) == ("张桂莲", "13900002222")


def test_an_invalid_phone_is_left_out_rather_than_refused(client, plain_key):
    response = _post(client, plain_key, address_string="阳光小区2栋", phone="0731-1234")
    assert response.status_code == 200
    assert Request.objects.get().reporter_phone == ""


def test_media_url_and_contact_extras_stay_in_an_internal_note(client, plain_key):
    _post(
        client,
        plain_key,
        address_string="阳光小区2栋",
        media_url="https://partner.example/p/1.jpg",
        email="zhang@example.org",
    )
    note = Request.objects.get().events.get(kind="note")
    assert note.public is False
    assert "https://partner.example/p/1.jpg" in note.message
    assert "zhang@example.org" in note.message


def test_post_records_when_the_key_was_last_used(client, plain_key):
    assert ApiKey.objects.get().last_used_at is None
    _post(client, plain_key, address_string="阳光小区2栋")
    assert ApiKey.objects.get().last_used_at is not None


@pytest.mark.parametrize("missing", ["description", "service_code"])
def test_post_without_a_required_field_is_400(client, plain_key, missing):
    response = _post(client, plain_key, address_string="阳光小区2栋", **{missing: None})
    assert response.status_code == 400
    assert missing in json.loads(response.content)[0]["description"]
