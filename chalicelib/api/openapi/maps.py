"""The public map (api/public_map.py, api/web.py): the /map page, a report's public page,
and the JSON they draw from."""

from __future__ import annotations

from chalicelib.api.openapi.pages import HTML
from chalicelib.api.openapi.spec import Operation, Param, Reply
from chalicelib.services import responses as r

TAGS = ("public",)
CACHED = {
    "ETag": "Of the answer; If-None-Match with it answers 304",
    "Cache-Control": "public, max-age=30 (the data is at most ~30 s old)",
}
FILTERS = (
    Param("category", "query", {"type": "string", "maxLength": 64}, "A category id (GET /open311/v2/services.json)."),
    Param("status", "query", {"type": "string", "enum": ["open", "closed"]}, "open or closed (resolved, ...)."),
    Param(
        "kota",
        "query",
        {"type": "string", "maxLength": 16},
        "A kota's code, e.g. 31.71 (Jakarta Pusat).",
        example="31.71",
    ),
    Param("days", "query", {"type": "integer", "minimum": 1, "maximum": 7}, "The last 1-7 days (default 7)."),
)
POINT = (
    Param("lat", "query", {"type": "number", "minimum": -90, "maximum": 90}, "Latitude (WGS84).", True, -6.1754),
    Param("lng", "query", {"type": "number", "minimum": -180, "maximum": 180}, "Longitude (WGS84).", True, 106.8272),
)
LANG = Param("lang", "query", {"type": "string", "enum": ["id", "en"]}, "Language of names (else Accept-Language).")
NOT_MODIFIED = Reply("Not changed since the ETag you sent")

_SUMMARY = {
    "id": "0f3k9w2c7m1q8r5t4v6x9z2b3d",
    "url": "https://crm.jakarta.go.id/api/reports/0f3k9w2c7m1q8r5t4v6x9z2b3d",
    "category": {"id": "garbage", "name": "Sampah"},
    "status": "assigned",
    "status_label": "Diteruskan ke instansi",
    "created_at": "2026-11-23T10:00:00+07:00",
    "updated_at": "2026-11-23T10:00:05+07:00",
    "area": {"kota": "Jakarta Pusat", "kecamatan": "Gambir", "kelurahan": "Gambir"},
    "location": {"lat": -6.1754, "lng": 106.8272},
    "summary": "Sampah menumpuk di trotoar depan pasar",
    "progress": 0,
    "photo": None,
}

OPERATIONS = {
    ("GET", "/map"): Operation(
        summary="The public map and list of recent reports (HTML)",
        description="Points from /map/points, clustered in the page; the list from /map/reports.",
        tags=TAGS,
        responses={200: HTML, 304: Reply("Not modified (If-None-Match)")},
        uses_aws=False,
    ),
    ("GET", "/reports/{public_id}"): Operation(
        summary="One report's public page (HTML)",
        description="Status, timeline, public photos and area, from GET /status/{public id}. Never the "
        "reporter or the tracking code. Unknown ids, tracking codes and confidential reports: 404.",
        tags=TAGS,
        params=(
            Param(
                "public_id",
                "path",
                {"type": "string", "maxLength": 64},
                "The public id (Open311 service_request_id).",
                example="0f3k9w2c7m1q8r5t4v6x9z2b3d",
            ),
        ),
        responses={
            200: HTML,
            304: Reply("Not modified (If-None-Match)"),
            404: Reply("No public report has this id (HTML)", schema={"type": "string"}, media_type="text/html"),
        },
    ),
    ("GET", "/map/points"): Operation(
        summary="Recent public reports as compact points (at most 5,000 of the last 7 days)",
        description="Newest first; confidential and merged reports are never listed. Clustering is the "
        "client's (the page groups points per screen cell).",
        tags=TAGS,
        params=(*FILTERS, Param("If-None-Match", "header", description="The ETag you have.")),
        responses={200: Reply("The points", r.MapPoints, headers=CACHED), 304: NOT_MODIFIED},
        errors=(422,),
    ),
    ("GET", "/map/reports"): Operation(
        summary="Recent public reports as a paged list (newest first)",
        tags=TAGS,
        params=(
            *FILTERS,
            Param("page", "query", {"type": "integer", "minimum": 1, "maximum": 1000}, "Default 1."),
            Param("page_size", "query", {"type": "integer", "minimum": 1, "maximum": 50}, "Default 20."),
            LANG,
            Param("If-None-Match", "header", description="The ETag you have."),
        ),
        responses={
            200: Reply(
                "A page of reports",
                r.MapReports,
                headers=CACHED,
                example={
                    "since": "2026-11-16T10:00:00+07:00",
                    "until": "2026-11-23T10:00:00+07:00",
                    "days": 7,
                    "page": 1,
                    "page_size": 20,
                    "total": 1,
                    "truncated": False,
                    "reports": [_SUMMARY],
                },
            ),
            304: NOT_MODIFIED,
        },
        errors=(422,),
    ),
    ("GET", "/map/nearby"): Operation(
        summary="Open public reports of a category within 100 m of a point",
        description='For the report form: "already reported? follow it". Nearest first, at most 5.',
        tags=TAGS,
        params=(
            *POINT,
            Param("category", "query", {"type": "string", "maxLength": 64}, "A category id.", True, "garbage"),
            LANG,
        ),
        responses={
            200: Reply(
                "The reports near the point",
                r.NearbyReports,
                headers=CACHED,
                example={"radius_m": 100, "category": "garbage", "reports": [{**_SUMMARY, "distance_m": 42}]},
            ),
            304: NOT_MODIFIED,
        },
        errors=(422,),
    ),
    ("GET", "/areas/lookup"): Operation(
        summary="The kelurahan, kecamatan and kota of a point",
        description="A pure lookup over the bundled boundaries (no database): cacheable for a day.",
        tags=TAGS,
        params=POINT,
        responses={
            200: Reply(
                "Where the point is",
                r.AreaLookup,
                headers={"ETag": "Of the answer", "Cache-Control": "public, max-age=86400"},
                example={
                    "lat": -6.1754,
                    "lng": 106.8272,
                    "inside": True,
                    "kota": {"code": "31.71", "name": "Jakarta Pusat"},
                    "kecamatan": {"code": "31.71.01", "name": "Gambir"},
                    "kelurahan": {"code": "31.71.01.1001", "name": "Gambir"},
                },
            ),
            304: NOT_MODIFIED,
        },
        errors=(422,),
        uses_aws=False,
    ),
}
