"""Rendering GeoReport v2 replies as XML (required by the spec) or JSON, both UTF-8.

A reply is built once as plain Python (dicts, lists, strings, numbers, booleans, None)
and written in either format. In XML a list becomes repeated child elements whose tag
is named after the list (`services` → `service`, …); JSON keeps the list.
"""

import json
import re
import xml.etree.ElementTree as ET

from django.http import HttpResponse

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

# The element name of one item of each list, as in the spec's examples.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}

# Characters XML 1.0 cannot carry at all (escaping does not help): dropped.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_ILLEGAL.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        tag = ITEM_TAGS.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, tag), child)
    else:
        element.text = _text(value)


def to_xml(root: str, value) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    body = ET.tostring(element, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def to_json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(fmt: str, root: str, value, status: int = 200) -> HttpResponse:
    """`value` under the XML root element `root`; in JSON, `value` itself."""
    if fmt == "json":
        body = to_json(value)
    else:
        fmt = "xml"
        body = to_xml(root, value)
    return HttpResponse(body, status=status, content_type=FORMATS[fmt])


def format_of(path: str) -> str:
    """The format a path's suffix asks for: .json, else XML (the spec's default)."""
    return "json" if path.rstrip("/").endswith(".json") else "xml"


def error_shape(request, status: int, code: str, message: str, details=None) -> HttpResponse:
    """An error raised outside the views (core.http.shapes): the errors body in the
    format of the path's suffix."""
    return render_errors(format_of(request.path_info), status, message)


def render_errors(fmt: str, status: int, description: str) -> HttpResponse:
    """The spec's error body: [{"code": 404, "description": "…"}] / <errors><error>…"""
    return render(
        fmt if fmt in FORMATS else "xml",
        "errors",
        [{"code": status, "description": str(description)}],
        status=status,
    )
