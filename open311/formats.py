"""GeoReport v2 rendering: the same Python structures as JSON or as XML with the spec's element names."""

import json
import xml.etree.ElementTree as ET

from django.http import HttpResponse

FORMATS = {"json": "application/json; charset=utf-8", "xml": "application/xml; charset=utf-8"}

# XML wraps each list in a container element and names its items: the spec's element names.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        item_name = ITEM_NAMES[element.tag]
        for item in value:
            _fill(ET.SubElement(element, item_name), item)
    else:
        element.text = _text(value)


def xml_bytes(root_name: str, value) -> bytes:
    root = ET.Element(root_name)
    _fill(root, value)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def render(fmt: str, root_name: str, value, *, status: int = 200) -> HttpResponse:
    """`value` as JSON, or as XML under `root_name` (lists become items named by ITEM_NAMES)."""
    body = xml_bytes(root_name, value) if fmt == "xml" else json.dumps(value, ensure_ascii=False).encode()
    return HttpResponse(body, status=status, content_type=FORMATS.get(fmt, FORMATS["json"]))


def render_error(fmt: str, code: int, description: str) -> HttpResponse:
    """The spec's error format: [{"code": 400, "description": "..."}] or <errors><error>…</error></errors>."""
    return render(fmt, "errors", [{"code": code, "description": description}], status=code)
