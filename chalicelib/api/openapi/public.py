"""Public routes: case status for tracking-code holders, and agency performance."""

from __future__ import annotations

from chalicelib.api.openapi.spec import Body, Operation, Param, Reply
from chalicelib.services import commands as c
from chalicelib.services import responses as r

CODE = Param(
    "tracking_code",
    "path",
    {"type": "string", "minLength": 1, "maxLength": 40},
    "The tracking code (case-insensitive; dashes and spaces optional).",
    example="4N50G-7M7G1-2X63",
)
LANG = Param(
    "lang",
    "query",
    {"type": "string", "enum": ["id", "en"]},
    "Language of labels and timeline texts (else Accept-Language, else Bahasa Indonesia).",
)
PERIOD = (
    Param("from", "query", {"type": "string", "format": "date"}, "First day (Jakarta); default 29 days before `to`."),
    Param("to", "query", {"type": "string", "format": "date"}, "Last day (Jakarta); default today."),
)

_STATUS_EXAMPLE = {
    "tracking_code": "4N50G-7M7G1-2X63",
    "status": "assigned",
    "status_label": "Assigned to an agency",
    "category": {"id": "garbage", "name": "Garbage"},
    "channel": "jaki",
    "description": "Sampah menumpuk di trotoar depan pasar",
    "location": {"lat": -6.1754, "lng": 106.8272, "address": "Jl. Medan Merdeka Barat"},
    "area": {"kota": "Jakarta Pusat", "kecamatan": "Gambir", "kelurahan": "Gambir"},
    "agency": {"id": "sudin-lh-jakpus", "name": "Suku Dinas Lingkungan Hidup Jakarta Pusat"},
    "created_at": "2026-11-23T10:00:00+07:00",
    "updated_at": "2026-11-23T10:00:05+07:00",
    "expected_completion": "2026-11-30T10:00:00+07:00",
    "expected_completion_basis": "standard",
    "progress": 0,
    "photos": [],
    "photos_pending": 0,
    "timeline": [
        {"at": "2026-11-23T10:00:00+07:00", "type": "case.received", "text": "Report received via the JAKI app."}
    ],
    "feedback": None,
    "can_confirm_or_reopen": False,
    "merged_into": None,
    "privacy": "public",
    "language": "en",
}

OPERATIONS = {
    ("GET", "/status/{tracking_code}"): Operation(
        summary="A case's public status",
        description="No reporter details, ever. Sends an `ETag`; `If-None-Match` with it answers 304.",
        tags=("public",),
        params=(CODE, LANG, Param("If-None-Match", "header", description="The ETag you have.")),
        responses={
            200: Reply(
                "The public view", r.PublicStatus, example=_STATUS_EXAMPLE, headers={"ETag": "Version of this view"}
            ),
            304: Reply("Not changed since the ETag you sent"),
        },
        errors=(404,),
    ),
    ("GET", "/status/{tracking_code}/photos/{photo_id}"): Operation(
        summary="A case photo (metadata-free public copy)",
        tags=("public",),
        params=(CODE, Param("photo_id", "path", {"type": "string", "maxLength": 20}, example="p1")),
        responses={302: Reply("Redirect to a short-lived link", headers={"Location": "The photo's link"})},
        errors=(404,),
    ),
    ("POST", "/status/{tracking_code}/feedback"): Operation(
        summary="The reporter confirms a resolved case, with a rating (closes it)",
        tags=("public",),
        params=(CODE, LANG),
        body=Body(c.FeedbackCommand, example={"rating": 5, "comment": "Cepat, terima kasih"}),
        responses={200: Reply("The public view after closing", r.PublicStatus)},
        errors=(404, 409, 413, 415, 422),
    ),
    ("POST", "/status/{tracking_code}/reopen"): Operation(
        summary="The reporter says a resolved case is not solved (within 7 days)",
        tags=("public",),
        params=(CODE, LANG),
        body=Body(c.ReopenCommand, example={"reason": "Sampahnya menumpuk lagi"}),
        responses={200: Reply("The public view after reopening", r.PublicStatus)},
        errors=(404, 409, 413, 415, 422),
    ),
    ("GET", "/metrics/agencies"): Operation(
        summary="Performance of every agency over a period (at most 366 days)",
        tags=("public",),
        params=PERIOD,
        responses={200: Reply("One row per agency, and the total", r.MetricsDashboard)},
        errors=(422,),
    ),
    ("GET", "/metrics/agencies/{agency_id}"): Operation(
        summary="One agency's performance, with a daily series",
        tags=("public",),
        params=(Param("agency_id", "path", {"type": "string", "maxLength": 80}, example="dinas-lh"), *PERIOD),
        responses={200: Reply("The agency's numbers", r.AgencyMetrics)},
        errors=(404, 422),
    ),
}
