"""Open311's two wire formats: JSON and the spec's schemaless XML.

The JSON is the XML mapped by the spec's "Spark convention": a container of
repeated elements is an array, ``<x/>`` is null. The XML is built with the
standard library's ElementTree, which escapes text; characters XML 1.0 cannot
carry at all (most control characters, lone surrogates) are replaced by
U+FFFD first, so any stored text still makes a well-formed document.

    services            <services><service>...</service></services>
    service definition  <service_definition><service_code/><attributes><attribute>... <values><value>
    service requests    <service_requests><request>...</request></service_requests>
    request updates     <service_request_updates><request_update>...</request_update></service_request_updates>
    errors              <errors><error><code/><description/></error></errors>
    discovery           <discovery>... <endpoints><endpoint>... <formats><format/>
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from chalice import Response

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET  # noqa: S405 - building XML, never parsing it

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

# Element name of one item in a list, by the list's element name.
ITEMS = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


@cache
def _not_xml() -> re.Pattern[str]:
    # Compiled on first use: this class is slow to compile, and cold starts matter.
    return re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def split_format(name: str) -> tuple[str, str] | None:
    """``"garbage.json"`` -> ``("garbage", "json")``; None without a known suffix."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or suffix.lower() not in FORMATS:
        return None
    return stem, suffix.lower()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return _not_xml().sub("\ufffd", str(value))


def _append(parent: ET.Element, name: str, value: Any) -> None:
    import xml.etree.ElementTree as ET  # noqa: S405 - building XML, never parsing it

    element = ET.SubElement(parent, name)
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _append(element, key, inner)
    elif isinstance(value, (list, tuple)):
        item_name = ITEMS[name]
        for inner in value:
            _append(element, item_name, inner)
    else:
        element.text = _text(value) or None


def to_xml(root: str, document: Any) -> str:
    import xml.etree.ElementTree as ET  # noqa: S405 - building XML, never parsing it

    element = ET.Element(root)
    if isinstance(document, Mapping):
        for key, value in document.items():
            _append(element, key, value)
    else:
        for item in document:
            _append(element, ITEMS[root], item)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode")


def to_json(document: Any) -> str:
    # Lone surrogates cannot be encoded as UTF-8: replace them like XML does.
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "replace").decode("utf-8")


def respond(
    fmt: str, root: str, document: Any, status: int = 200, headers: Mapping[str, str | list[str]] | None = None
) -> Response:
    body = to_xml(root, document) if fmt == "xml" else to_json(document)
    return Response(body=body, status_code=status, headers={"Content-Type": CONTENT_TYPES[fmt], **(headers or {})})


def error_response(
    fmt: str, status: int, errors: list[tuple[int, str]], headers: Mapping[str, str | list[str]] | None = None
) -> Response:
    document = [{"code": code, "description": description} for code, description in errors]
    return respond(fmt, "errors", document, status, headers)
