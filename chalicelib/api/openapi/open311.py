"""Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2), in JSON and XML.

A route whose last path segment carries the format ("{service_code}" is
"garbage.json" on the wire) is documented twice, once per format, under its
real URL shape (".../{service_code}.json"), so clients and fuzzers build the
right URLs.
"""

from __future__ import annotations

from chalicelib.api.openapi.spec import Body, Operation, Param, Reply
from chalicelib.services import responses as r

P = "/open311/v2"
TAGS = ("open311",)
XML = "text/xml"
XML_SCHEMA = {"type": "string", "description": "The spec's XML (same element names as the JSON fields)."}

JURISDICTION = Param(
    "jurisdiction_id",
    "query",
    {"type": "string", "maxLength": 200},
    "Optional: this endpoint serves one jurisdiction (OPEN311_JURISDICTION_ID); another is a 404.",
    example="jakarta.go.id",
)
LANG = Param(
    "lang",
    "query",
    {"type": "string", "enum": ["id", "en"]},
    "Language of names and notes (else Accept-Language, else Bahasa Indonesia).",
)

_ERROR_XML = (
    '<?xml version="1.0" encoding="utf-8"?>\n<errors><error><code>404</code>'
    "<description>service_code 'potholes' was not found</description></error></errors>"
)
_REQUEST = {
    "service_request_id": "39h33j92hyrrc6wrvmw5zwskj0",
    "status": "open",
    "status_notes": "Assigned to an agency. Report assigned to Dinas Bina Marga.",
    "service_name": "Damaged road",
    "service_code": "damaged_road",
    "description": "Jalan berlubang di depan halte",
    "agency_responsible": "Dinas Bina Marga",
    "service_notice": "The responsible agency makes a follow-up plan within 6 hours and resolves the request "
    "within 7 days, or by a completion date it agrees with the city.",
    "requested_datetime": "2026-11-23T10:00:00+07:00",
    "updated_datetime": "2026-11-23T10:05:00+07:00",
    "expected_datetime": "2026-11-30T10:00:00+07:00",
    "address": "Jl. Jend. Gatot Subroto, Setiabudi",
    "address_id": None,
    "zipcode": None,
    "lat": -6.2297,
    "long": 106.8272,
    "media_url": None,
}
_REQUEST_XML = (
    '<?xml version="1.0" encoding="utf-8"?>\n<service_requests><request>'
    "<service_request_id>39h33j92hyrrc6wrvmw5zwskj0</service_request_id><status>open</status>"
    "<service_code>damaged_road</service_code>...</request></service_requests>"
)


def _errors(fmt: str, *statuses: int) -> dict[int, Reply]:
    text = {
        400: "A missing or invalid argument",
        403: "Missing, invalid or revoked api_key",
        413: "The body is larger than 4.5 MB (4,500,000 bytes)",
        404: "Unknown service, request, token or jurisdiction",
        429: "Too many requests: over a rate limit; retry after Retry-After seconds",
        503: "Temporarily unavailable: retry after Retry-After seconds",
    }
    statuses = (*statuses, 429)  # every Open311 route is rate-limited (api/limits.py)
    if fmt == "json":
        return {
            status: Reply(
                text[status],
                r.Open311Error,
                many=True,
                example=[{"code": status, "description": text[status]}],
                headers=_retry(status),
            )
            for status in statuses
        }
    return {
        status: Reply(text[status], schema=XML_SCHEMA, media_type=XML, example=_ERROR_XML, headers=_retry(status))
        for status in statuses
    }


def _retry(status: int) -> dict[str, str]:
    return {"Retry-After": "Seconds to wait"} if status in (429, 503) else {}


def _answer(fmt: str, description: str, model, many: bool, example, example_xml: str | None = None) -> Reply:
    if fmt == "json":
        return Reply(description, model, many=many, example=example)
    return Reply(description, schema=XML_SCHEMA, media_type=XML, example=example_xml)


def _formats(make) -> list[Operation]:
    return [make(fmt) for fmt in ("json", "xml")]


def _discovery(fmt: str) -> Operation:
    return Operation(
        summary=f"Service discovery ({fmt})",
        tags=TAGS,
        params=(JURISDICTION,),
        uses_aws=False,
        responses={
            200: _answer(fmt, "Where the endpoint is and what it speaks", r.Open311Discovery, False, None),
            **_errors(fmt, 404),
        },
        operation_id=f"open311_discovery_{fmt}",
    )


def _services(fmt: str) -> Operation:
    return Operation(
        summary=f"The services: one per category ({fmt})",
        tags=TAGS,
        params=(JURISDICTION, LANG),
        uses_aws=False,
        responses={
            200: _answer(
                fmt,
                "Every service",
                r.Open311Service,
                True,
                [
                    {
                        "service_code": "damaged_road",
                        "service_name": "Damaged road",
                        "description": "Potholes, sunken or broken road surface.",
                        "metadata": True,
                        "type": "realtime",
                        "keywords": "jalan rusak, jalan berlubang, pothole, road",
                        "group": "Streets and sidewalks",
                    }
                ],
            ),
            **_errors(fmt, 404),
        },
        operation_id=f"open311_services_{fmt}",
    )


def _definition(fmt: str) -> Operation:
    return Operation(
        summary=f"A service's questions: its attributes ({fmt})",
        tags=TAGS,
        uses_aws=False,
        path=f"{P}/services/{{service_code}}.{fmt}",
        params=(
            Param("service_code", "path", {"type": "string", "pattern": "^[a-z_]{1,40}$"}, example="damaged_road"),
            JURISDICTION,
            LANG,
        ),
        responses={
            200: _answer(
                fmt,
                "The service definition",
                r.Open311ServiceDefinition,
                False,
                {
                    "service_code": "damaged_road",
                    "attributes": [
                        {
                            "variable": True,
                            "code": "size",
                            "datatype": "singlevaluelist",
                            "required": True,
                            "datatype_description": None,
                            "order": 1,
                            "description": "Size of the damage",
                            "values": [
                                {"key": "small", "name": "Small (under 30 cm)"},
                                {"key": "large", "name": "Large (over 1 m)"},
                            ],
                        }
                    ],
                },
            ),
            **_errors(fmt, 404),
        },
        operation_id=f"open311_service_definition_{fmt}",
    )


_LIST_PARAMS = (
    Param(
        "service_request_id",
        "query",
        {"type": "string"},
        "Comma-separated ids (at most 100); overrides every other argument.",
    ),
    Param("service_code", "query", {"type": "string"}, "Comma-separated service codes."),
    Param(
        "start_date",
        "query",
        {"type": "string"},
        "W3C date-time with a zone (or a date: that day in Jakarta). Default: 90 days before end_date.",
        example="2026-11-01T00:00:00+07:00",
    ),
    Param(
        "end_date",
        "query",
        {"type": "string"},
        "Default: now (or start_date + 90 days). At most 90 days after start_date.",
        example="2026-11-23T23:59:59+07:00",
    ),
    Param("status", "query", {"type": "string"}, "open, closed, or both comma-separated.", example="open"),
    Param("page", "query", {"type": "string", "pattern": "^[0-9]{1,5}$"}, "Extension: page number, from 1."),
    Param(
        "page_size",
        "query",
        {"type": "string", "pattern": "^[0-9]{1,4}$"},
        "Extension: requests per page, 1-1000 (default 1000, the spec's limit); page * page_size <= 10000.",
    ),
)


def _list(fmt: str) -> Operation:
    return Operation(
        summary=f"Service requests, newest first ({fmt})",
        description="Default window: the last 90 days; at most 1,000 requests (use page/page_size for more). "
        "No reporter details are ever included.",
        tags=TAGS,
        params=(*_LIST_PARAMS, JURISDICTION, LANG),
        uses_aws=False,
        responses={
            200: _answer(fmt, "The requests", r.Open311Request, True, [_REQUEST], _REQUEST_XML),
            **_errors(fmt, 400, 404, 503),
        },
        operation_id=f"open311_requests_{fmt}",
    )


def _post(fmt: str) -> Operation:
    return Operation(
        summary=f"Post a service request ({fmt})",
        description="A form (application/x-www-form-urlencoded) with your `api_key`. The answer carries the "
        "service_request_id at once (every service is `realtime`: no tokens). Retries are safe: "
        "the same POST on the same day, or any POST with the same `Idempotency-Key` header, is the "
        "same request (200 instead of 201). `media_url` is stored as a link for officers and not "
        "fetched; only photos this API cleaned are ever public. `lat`/`long` outside DKI Jakarta (and 1 km "
        "around it) is a 400 whose description starts with `outside_service_area`.",
        tags=TAGS,
        security="open311_key",
        uses_aws=False,
        params=(
            Param(
                "Idempotency-Key",
                "header",
                {"type": "string", "pattern": "^[\\x21-\\x7e]{1,100}$"},
                "Optional: your id for this request; it also answers GET tokens/{token}.",
            ),
            Param(
                "extensions",
                "query",
                {"type": "string", "enum": ["true", "false"]},
                "true: add extended_attributes with the reporter's tracking_code and status_url.",
            ),
            LANG,
        ),
        body=Body(
            r.Open311PostForm,
            media_type="application/x-www-form-urlencoded",
            example={
                "api_key": "crm311_k7m2q9x4tr_...",
                "service_code": "damaged_road",
                "lat": -6.2297,
                "long": 106.8272,
                "address_string": "Jl. Jend. Gatot Subroto",
                "description": "Jalan berlubang di depan halte",
                "attribute[size]": "large",
            },
        ),
        responses={
            201: _answer(
                fmt,
                "Created",
                r.Open311Created,
                True,
                [
                    {
                        "service_request_id": "39h33j92hyrrc6wrvmw5zwskj0",
                        "service_notice": _REQUEST["service_notice"],
                        "account_id": None,
                        "extended_attributes": {
                            "tracking_code": "4N50G-7M7G1-2X63",
                            "status_url": "https://crm.example/status/4N50G-7M7G1-2X63",
                        },
                    }
                ],
            ),
            200: _answer(fmt, "The same request was posted before: its id again", r.Open311Created, True, None),
            **_errors(fmt, 400, 403, 404, 413, 503),
        },
        operation_id=f"open311_post_request_{fmt}",
    )


def _one(fmt: str) -> Operation:
    return Operation(
        summary=f"One service request ({fmt})",
        tags=TAGS,
        uses_aws=False,
        path=f"{P}/requests/{{service_request_id}}.{fmt}",
        params=(
            Param(
                "service_request_id",
                "path",
                {"type": "string", "pattern": "^[0-9a-zA-Z]{1,40}$"},
                example="39h33j92hyrrc6wrvmw5zwskj0",
            ),
            JURISDICTION,
            LANG,
        ),
        responses={
            200: _answer(
                fmt, "The request (a list of one, as the spec says)", r.Open311Request, True, [_REQUEST], _REQUEST_XML
            ),
            **_errors(fmt, 404, 503),
        },
        operation_id=f"open311_request_{fmt}",
    )


def _token(fmt: str) -> Operation:
    return Operation(
        summary=f"What a token (your Idempotency-Key) became ({fmt})",
        description="This server answers POSTs at once, so it issues no tokens of its own. A token here is the "
        "`Idempotency-Key` you posted with; ask with the same `api_key`.",
        tags=TAGS,
        security="open311_key",
        uses_aws=False,
        path=f"{P}/tokens/{{token}}.{fmt}",
        params=(
            Param("token", "path", {"type": "string", "pattern": "^[0-9A-Za-z_-]{1,100}$"}, example="order-0042"),
            Param("api_key", "query", {"type": "string"}, "The key that posted it (or X-Api-Key)."),
            JURISDICTION,
        ),
        responses={
            200: _answer(
                fmt,
                "The request id",
                r.Open311Token,
                True,
                [{"service_request_id": "39h33j92hyrrc6wrvmw5zwskj0", "token": "order-0042"}],
            ),
            **_errors(fmt, 403, 404, 503),
        },
        operation_id=f"open311_token_{fmt}",
    )


OPERATIONS = {
    ("GET", f"{P}/discovery.json"): _discovery("json"),
    ("GET", f"{P}/discovery.xml"): _discovery("xml"),
    ("GET", f"{P}/services.json"): _services("json"),
    ("GET", f"{P}/services.xml"): _services("xml"),
    ("GET", f"{P}/services/{{service_code}}"): _formats(_definition),
    ("GET", f"{P}/requests.json"): _list("json"),
    ("GET", f"{P}/requests.xml"): _list("xml"),
    ("POST", f"{P}/requests.json"): _post("json"),
    ("POST", f"{P}/requests.xml"): _post("xml"),
    ("GET", f"{P}/requests/{{service_request_id}}"): _formats(_one),
    ("GET", f"{P}/tokens/{{token}}"): _formats(_token),
    ("GET", f"{P}/media/{{service_request_id}}/{{photo_id}}"): Operation(
        summary="A request's photo: the metadata-free public copy",
        tags=TAGS,
        uses_aws=False,
        params=(
            Param("service_request_id", "path", {"type": "string", "maxLength": 40}),
            Param("photo_id", "path", {"type": "string", "maxLength": 20}, example="p1"),
        ),
        responses={
            302: Reply("Redirect to a short-lived link", headers={"Location": "The photo's link"}),
            **_errors("json", 404, 503),
        },
    ),
}
