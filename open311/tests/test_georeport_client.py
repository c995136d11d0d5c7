"""The real `georeport` client (PyPI) against a live server, in JSON and in XML.

georeport 0.3.1 reads (services, service definitions, requests) but has neither discovery nor POST, so
those two go through `requests` as a partner system would send them; its answers are parsed the way the
client parses everything else (json / xmltodict)."""

import gc
import threading

import pytest
import requests
import xmltodict
from georeport import GeoReport

from service_requests.models import Request


@pytest.fixture
def endpoint(transactional_db, live_server, cast, plain_key):
    yield f"{live_server.url}/open311/v2"
    # The live server serves each connection on a daemon thread that, when the client hangs up, closes
    # the shared in-memory database connection. A response still referenced (an HTTPError in a cycle)
    # keeps its keep-alive connection open: collect it, then let the threads finish before the server
    # stops sharing the database, or a late thread fails on it.
    gc.collect()
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=5)


def _post_request(endpoint, fmt, plain_key, description):
    response = requests.post(
        f"{endpoint}/requests.{fmt}",
        data={
            "api_key": plain_key,
            "service_code": "repair",
            "address_string": "阳光小区 2栋",
            "description": description,
            "first_name": "桂莲",
            "last_name": "张",
            "phone": "13900001111",
        },
        timeout=10,
    )
    response.raise_for_status()
    if fmt == "json":
        return response.json()[0]
    return xmltodict.parse(response.content)["service_requests"]["request"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_services_and_a_filed_request(endpoint, cast, plain_key, fmt):
    client = GeoReport(endpoint, output_format=fmt)

    services = client.get_service_list()
    assert "repair" in [service["service_code"] for service in services]

    definition = client.get_service_definition("repair")
    assert definition["service_code"] == "repair"

    answer = _post_request(endpoint, fmt, plain_key, f"楼道灯坏了({fmt})")
    request_id = str(answer["service_request_id"])
    assert answer["service_notice"]
    assert Request.objects.get(pk=request_id).holder == cast.cell3

    listed = client.get_service_requests(service_code="repair", status="open")
    if fmt == "xml":  # xmltodict gives a dict for a single <request>, a list for several
        listed = listed if isinstance(listed, list) else [listed]
    assert request_id in [str(item["service_request_id"]) for item in listed]

    one = client.get_service_request(request_id)
    assert str(one["service_request_id"]) == request_id
    assert one["description"] == f"楼道灯坏了({fmt})"
    assert one["status"] == "open"
    assert one["address"] == "阳光小区 2栋"
    assert "张桂莲" not in str(one) and "13900001111" not in str(one)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_points_clients_at_this_endpoint(endpoint, fmt):
    response = requests.get(f"{endpoint}/discovery.{fmt}", timeout=10)
    response.raise_for_status()
    if fmt == "json":
        [found] = response.json()["endpoints"]
    else:
        found = xmltodict.parse(response.content)["discovery"]["endpoints"]["endpoint"]
    assert found["url"] == f"{endpoint}/"
    assert found["specification"] == "http://wiki.open311.org/GeoReport_v2"


def test_georeport_client_raises_on_a_spec_error(endpoint):
    with pytest.raises(requests.HTTPError) as caught:
        GeoReport(endpoint).get_service_request("424242")
    assert caught.value.response.status_code == 404
    assert caught.value.response.json()[0]["code"] == 404
