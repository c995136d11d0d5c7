"""GET endpoints: discovery, services, service definitions and the public request list."""

import datetime
import xml.etree.ElementTree as ET

import time_machine
from django.utils import timezone

from service_requests.models import Channel, Request
from service_requests.services import request_file, request_resolve, request_respond
from territory.models import Building

BASE = "/open311/v2/"


def _file(cast, kind, **fields):
    defaults = {
        "description": "楼上漏水,张桂莲家天花板湿了",
        "channel": Channel.QR,
        "building": Building.objects.get(name="2栋"),
        "reporter_name": "张桂莲",
        "reporter_phone": "13900001111",
    }
    return request_file(actor=None, kind=kind, **{**defaults, **fields})


def test_discovery_names_this_endpoint_and_both_formats(client, cast):
    data = client.get(BASE + "discovery.json").json()
    [endpoint] = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    assert data["changeset"] and data["contact"] and data["key_service"]


def test_discovery_xml_uses_the_specs_element_names(client, cast):
    root = ET.fromstring(client.get(BASE + "discovery.xml").content)
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "application/json",
        "text/xml",
    ]


def test_services_lists_the_active_kinds(client, catalogue):
    catalogue["other"].active = False
    catalogue["other"].save()
    services = client.get(BASE + "services.json").json()
    codes = [s["service_code"] for s in services]
    assert "repair" in codes and "other" not in codes
    repair = next(s for s in services if s["service_code"] == "repair")
    assert repair["service_name"] == "房屋报修"
    assert repair["metadata"] is False
    assert repair["type"] == "realtime"
    assert repair["group"]


def test_services_xml_is_well_formed_and_served_as_xml(client, catalogue):
    response = client.get(BASE + "services.xml")
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "services"
    assert root.find("service/metadata").text == "false"
    assert len(root.findall("service")) == len(catalogue)


def test_services_of_another_jurisdiction_by_street_id(client, cast, catalogue):
    from territory.services import unit_create

    other = unit_create(parent=None, level="street", name="东风街道")
    assert client.get(BASE + "services.json", {"jurisdiction_id": other.pk}).json() == []
    assert client.get(BASE + "services.json", {"jurisdiction_id": cast.street.pk}).json()
    assert client.get(BASE + "services.json", {"jurisdiction_id": "999999"}).status_code == 404


def test_service_definition_has_no_attributes(client, catalogue):
    assert client.get(BASE + "services/repair.json").json() == {"service_code": "repair", "attributes": []}
    root = ET.fromstring(client.get(BASE + "services/repair.xml").content)
    assert root.tag == "service_definition"
    assert root.find("attributes") is not None


def test_unknown_service_definition_is_404_in_the_error_format(client, catalogue):
    response = client.get(BASE + "services/potholes.xml")
    assert response.status_code == 404
    root = ET.fromstring(response.content)
    assert root.tag == "errors"
    assert root.find("error/code").text == "404"
    assert root.find("error/description").text


def test_unknown_format_extension_is_404(client, catalogue):
    assert client.get(BASE + "services.csv").status_code == 404
    assert client.get(BASE + "requests.html").status_code == 404


def test_public_requests_never_show_the_reporters_name_or_phone(client, cast, catalogue):
    _file(cast, catalogue["repair"], description="楼道灯坏了", reporter_name="欧阳娜娜")
    for fmt in ("json", "xml"):
        listing = client.get(BASE + f"requests.{fmt}").content.decode()
        single = client.get(BASE + f"requests/{Request.objects.get().pk}.{fmt}").content.decode()
        for text in (listing, single):
            assert "楼道灯坏了" in text
            assert "欧阳娜娜" not in text
            assert "13900001111" not in text
            assert "139****1111" not in text


def test_a_request_is_published_with_the_specs_fields(client, cast, catalogue):
    filed = _file(cast, catalogue["repair"])
    request_respond(actor=cast.staff, request=filed, message="明天上午来修")
    filed.refresh_from_db()
    [item] = client.get(BASE + f"requests/{filed.pk}.json").json()
    assert item["service_request_id"] == filed.pk
    assert item["status"] == "open"
    assert item["status_notes"] == "明天上午来修"
    assert item["service_code"] == "repair"
    assert item["service_name"] == "房屋报修"
    assert item["agency_responsible"] == cast.cell3.name
    assert item["address"] == "阳光小区 2栋"
    assert item["address_id"] == filed.building_id
    assert item["media_url"] is None
    assert datetime.datetime.fromisoformat(item["requested_datetime"]) == filed.created_at.replace(
        microsecond=0
    )
    assert datetime.datetime.fromisoformat(item["expected_datetime"]) == filed.resolution_due_at.replace(
        microsecond=0
    )


def test_resolved_requests_are_closed_and_open_ones_open(client, cast, catalogue):
    open_one = _file(cast, catalogue["repair"])
    done = _file(cast, catalogue["repair"])
    request_resolve(actor=cast.staff, request=done, outcome="换了灯泡")
    closed = client.get(BASE + "requests.json", {"status": "closed"}).json()
    opened = client.get(BASE + "requests.json", {"status": "open"}).json()
    assert [r["service_request_id"] for r in closed] == [done.pk]
    assert [r["service_request_id"] for r in opened] == [open_one.pk]
    assert closed[0]["status_notes"] == "换了灯泡"
    assert client.get(BASE + "requests.json", {"status": "pending"}).status_code == 400


def test_requests_filter_by_service_code_and_by_id(client, cast, catalogue):
    repair = _file(cast, catalogue["repair"])
    hazard = _file(cast, catalogue["hazard"])
    _file(cast, catalogue["dispute"])
    by_code = client.get(BASE + "requests.json", {"service_code": "repair,hazard"}).json()
    assert {r["service_request_id"] for r in by_code} == {repair.pk, hazard.pk}
    by_id = client.get(BASE + "requests.json", {"service_request_id": f"{hazard.pk},{repair.pk}"}).json()
    assert {r["service_request_id"] for r in by_id} == {repair.pk, hazard.pk}


def test_requests_default_to_the_last_90_days(client, cast, catalogue):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=120)):
        old = _file(cast, catalogue["repair"])
    recent = _file(cast, catalogue["repair"])
    listed = [r["service_request_id"] for r in client.get(BASE + "requests.json").json()]
    assert listed == [recent.pk]
    # Asking for it by id still finds the old one: service_request_id overrides the other filters.
    by_id = client.get(BASE + "requests.json", {"service_request_id": str(old.pk)}).json()
    assert [r["service_request_id"] for r in by_id] == [old.pk]


def test_requests_between_start_and_end_date(client, cast, catalogue):
    with time_machine.travel(datetime.datetime(2024, 3, 10, 9, 0, tzinfo=datetime.UTC)):
        march = _file(cast, catalogue["repair"])
    with time_machine.travel(datetime.datetime(2024, 5, 10, 9, 0, tzinfo=datetime.UTC)):
        may = _file(cast, catalogue["repair"])
    march_only = client.get(
        BASE + "requests.json",
        {"start_date": "2024-03-01T00:00:00Z", "end_date": "2024-03-31T23:59:59+08:00"},
    ).json()
    assert [r["service_request_id"] for r in march_only] == [march.pk]
    since_april = client.get(
        BASE + "requests.xml", {"start_date": "2024-04-01T00:00:00Z", "end_date": "2024-06-01"}
    )
    root = ET.fromstring(since_april.content)
    assert [e.text for e in root.findall("request/service_request_id")] == [str(may.pk)]


def test_a_bad_date_is_400(client, cast, catalogue):
    response = client.get(BASE + "requests.json", {"start_date": "last tuesday"})
    assert response.status_code == 400
    assert "start_date" in response.json()[0]["description"]


def test_unknown_request_is_404_in_the_error_format(client, cast, catalogue):
    response = client.get(BASE + "requests/424242.json")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": response.json()[0]["description"]}]
    assert client.get(BASE + "requests/abc.xml").status_code == 404


def test_public_gets_need_no_key_but_other_methods_are_refused(client, catalogue):
    assert client.get(BASE + "requests.json").status_code == 200
    assert client.put(BASE + "services.json").status_code == 405


def test_hardship_requests_are_listed_without_their_text_or_place(client, cast, catalogue):
    filed = _file(cast, catalogue["hardship"], description="老伴确诊癌症,申请大病救助")
    for fmt in ("json", "xml"):
        text = client.get(BASE + f"requests/{filed.pk}.{fmt}").content.decode()
        assert "癌症" not in text
        assert "2栋" not in text
    [item] = client.get(BASE + "requests.json").json()
    assert item["service_code"] == "hardship"
    assert item["status"] == "open"
    assert item["description"] is None and item["address"] is None
