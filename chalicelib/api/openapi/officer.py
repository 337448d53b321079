"""The officer API (Cognito bearer token). Lifecycle actions are described from
the same tables the API is built from (api/officer.OPERATION_PATHS and
services/lifecycle.OPERATIONS), so a new action is documented by itself."""

from __future__ import annotations

from chalicelib.api.officer import OPERATION_PATHS, QUEUE_VIEWS
from chalicelib.api.openapi.spec import Body, Operation, Param, Reply
from chalicelib.services import responses as r
from chalicelib.services.commands import BulkCommand, TemplateCommand
from chalicelib.services.desk_form import DeskForm
from chalicelib.services.lifecycle import OPERATIONS as LIFECYCLE
from chalicelib.services.officer_queue import EXPORT_COLUMNS

CODE = Param(
    "code", "path", {"type": "string", "minLength": 1, "maxLength": 40}, "Tracking code.", example="4N50G-7M7G1-2X63"
)
LANG = Param("lang", "query", {"type": "string", "enum": ["id", "en"]}, "Language of labels.")
TAGS = ("officer",)
TEMPLATE_ID = Param(
    "template_id",
    "path",
    {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,39}$"},
    required=True,
    example="diangkut-besok",
)

QUEUE_FILTERS = (
    Param("view", "query", {"type": "string", "enum": list(QUEUE_VIEWS)}),
    Param("agency_id", "query", {"type": "string", "maxLength": 80}),
    Param("status", "query", {"type": "string"}),
    Param("category", "query", {"type": "string"}),
    Param("priority", "query", {"type": "string", "enum": ["urgent", "normal", "low"]}),
    Param("kota", "query", {"type": "string"}, "An area code, e.g. 31.71"),
    Param("due", "query", {"type": "string", "enum": ["breached", "soon"]}),
    Param(
        "q",
        "query",
        {"type": "string", "maxLength": 100, "pattern": "^[\\w\\s.,/#'()&:-]*$"},
        "A tracking code, a public id, or words of the description or address",
    ),
)

_EXAMPLES = {
    "assign": {"agency_id": "dinas-lh"},
    "delegate": {"agency_id": "sudin-lh-jakpus", "version": 3},
    "transfer": {"agency_id": "dinas-bina-marga", "reason": "Jalan, bukan sampah"},
    "add_collaborator": {"agency_id": "dinas-sda"},
    "submit_plan": {"text": "Pengangkutan besok pagi", "estimated_completion": "2026-12-01"},
    "verify_plan": {"comment": "Disetujui"},
    "return_plan": {"comment": "Sebutkan jadwalnya"},
    "post_progress": {"percent": 50, "text": "Separuh sudah diangkut"},
    "comment": {"text": "Koordinasi dengan kelurahan"},
    "resolve": {"note": "Sudah bersih", "upload_key": "uploads/<user>/<id>"},
    "reject": {"reason": "emergency", "note": "Kebakaran: diteruskan ke 112"},
    "merge": {"primary": "4N50G-7M7G1-2X63"},
    "set_priority": {"priority": "urgent", "reason": "Banjir masuk rumah warga", "version": 4},
}


def _action(path: str, operation: str) -> Operation:
    model, _ = LIFECYCLE[operation]
    return Operation(
        summary=f"Lifecycle: {operation.replace('_', ' ')}",
        description=f"`{operation}` on the case (docs/lifecycle.md says who may, in which states). `version` "
        "refuses to act on a case someone changed since you read it (409 with `current_version`).",
        tags=TAGS,
        params=(CODE, LANG),
        body=Body(model, example=_EXAMPLES.get(operation)),
        responses={200: Reply("The case after the action", r.OfficerCase, headers={"ETag": '"v<version>"'})},
        errors=(404, 409, 413, 415, 422),
        operation_id=f"officer_{operation}",
    )


OPERATIONS = {
    ("GET", "/officer/me"): Operation(
        summary="Who you are: roles, agency, sub-agencies",
        tags=TAGS,
        responses={200: Reply("You", r.Me)},
        uses_aws=False,
    ),
    ("GET", "/officer/queue"): Operation(
        summary="A list of cases, soonest deadline first, with the counts of the whole filtered list",
        description="Your agency's cases by default (a Dinas also sees its Suku Dinas'); `view=triage|review|"
        "escalated` for the Bureau and supervisors. `counts` (first page only) covers every case the filters "
        "select, not just the page. `q`: a tracking code or public id of a case you may open answers that case "
        "alone with `jump` set; otherwise its words are looked for in descriptions and addresses (accents and "
        "case ignored) and the first `limit` matches are answered (no cursor). Counting and searching read at "
        "most 5,000 cases of the list; past that `truncated` is true.",
        tags=TAGS,
        params=QUEUE_FILTERS
        + (
            Param("limit", "query", {"type": "string", "pattern": "^[0-9]{1,4}$"}, "1-100 (default 50)"),
            Param("cursor", "query", {"type": "string"}, "From the previous page"),
            LANG,
        ),
        responses={200: Reply("One page", r.QueuePage)},
        errors=(422,),
    ),
    ("GET", "/officer/queue.csv"): Operation(
        summary="The filtered list as CSV (UTF-8, no BOM) for the weekly meeting",
        description="The same filters as GET /officer/queue. Columns: "
        + ", ".join(EXPORT_COLUMNS)
        + ". Times in Jakarta (yyyy-mm-dd hh:mm). A cell that starts with = + - @ gets a leading apostrophe. "
        "At most 5,000 rows: `X-Export-Truncated: true` when the list has more.",
        tags=TAGS,
        params=(*QUEUE_FILTERS, LANG),
        responses={
            200: Reply(
                "A header row, then one row per case",
                schema={"type": "string"},
                media_type="text/csv",
                headers={"X-Export-Rows": "Rows written", "X-Export-Truncated": "true when rows were left out"},
            )
        },
        errors=(422,),
    ),
    ("POST", "/officer/cases/bulk"): Operation(
        summary="Set the priority of, assign or delegate up to 50 cases at once",
        description="Each case gets the single-case command (POST /officer/cases/{code}/priority, /assign, "
        "/delegate) with the same rules and rights, checked per case. One failing case never stops the others: "
        "`results` lists each code with `ok` or the error the single route answers (a case you may not open: "
        "`not_found`). An empty list, more than 50 codes or a code listed twice: 422.",
        tags=TAGS,
        body=Body(
            BulkCommand,
            example={
                "action": "priority",
                "codes": ["4N50G-7M7G1-2X63", "7Q1KD-2B9ZX-0M4T"],
                "priority": "urgent",
                "reason": "Banjir",
            },
        ),
        responses={200: Reply("What happened to each case", r.BulkOutcome)},
        errors=(413, 415, 422),
    ),
    ("GET", "/officer/cases/{code}"): Operation(
        summary="A case in full (within your rights), with what you may do to it",
        description="`history` holds the newest entries (all of a short case's); when `history_cursor` is set, "
        "older ones page through GET /officer/cases/{code}/history?cursor=<history_cursor>.",
        tags=TAGS,
        params=(CODE, LANG),
        responses={200: Reply("The case", r.OfficerCase, headers={"ETag": '"v<version>"'})},
        errors=(404,),
    ),
    ("GET", "/officer/cases/{code}/history"): Operation(
        summary="A case's full history, a page at a time, from the newest back",
        description="Without `cursor`: the newest entries. Each page lists its entries oldest first; `cursor` "
        "in the answer (null on the oldest page) asks for the page before it. Start from the case view's "
        "`history_cursor` to continue below the entries it showed. Same rights as the case view.",
        tags=TAGS,
        params=(
            CODE,
            Param("cursor", "query", {"type": "string", "pattern": "^[0-9]{1,10}$"}, "From the previous page"),
            Param("limit", "query", {"type": "string", "pattern": "^[0-9]{1,4}$"}, "1-200 (default 50)"),
            LANG,
        ),
        responses={200: Reply("One page", r.HistoryPage)},
        errors=(404, 422),
    ),
    ("GET", "/officer/agencies"): Operation(
        summary="The agency directory",
        tags=TAGS,
        responses={200: Reply("Every agency", r.AgencyDirectory)},
        uses_aws=False,
    ),
    ("GET", "/officer/notifications"): Operation(
        summary="Your agency's inbox, newest first",
        tags=TAGS,
        params=(Param("cursor", "query", {"type": "string"}),),
        responses={200: Reply("One page", r.Notifications)},
        errors=(422,),
    ),
    ("POST", "/officer/uploads"): Operation(
        summary="A presigned S3 form for a completion photo",
        description="Upload the photo from the browser with it, then pass `key` as `upload_key` to resolve.",
        tags=TAGS,
        body=Body(r.UploadRequest, example={"content_type": "image/jpeg"}),
        responses={201: Reply("The upload form", r.UploadForm)},
        errors=(413, 415, 422),
    ),
    ("POST", "/officer/intake"): Operation(
        summary="A walk-in report recorded at a desk (intake officers)",
        description="The office (the officer's agency) decides the desk channel (docs/lifecycle.md). A random "
        "`idempotency_key` per form (or the `Idempotency-Key` header), sent again on retries, makes "
        "a double submission the same case (the same key with other content: 409 `idempotency_key_reused`). "
        "Photos: upload each with POST /officer/uploads first. "
        "Coordinates outside DKI Jakarta (and 1 km around it): 422 `outside_service_area`.",
        tags=TAGS,
        params=(Param("Idempotency-Key", "header", {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"}),),
        body=Body(
            DeskForm,
            example={
                "idempotency_key": "3f2b9c1e8a7d4f60b5c2",
                "channel": "kelurahan",
                "category": "garbage",
                "description": "Sampah menumpuk di depan kantor kelurahan",
                "location": {"address": "Jl. Medan Merdeka Timur", "lat": -6.1767, "lng": 106.8306},
                "anonymous": False,
                "reporter": {"name": "Rina", "email": "rina@example.com"},
            },
        ),
        responses={
            201: Reply("A new case", r.DeskReceipt),
            200: Reply("This form was sent before: the same case", r.DeskReceipt),
        },
        errors=(409, 413, 415, 422),
    ),
    ("GET", "/officer/templates"): Operation(
        summary="An agency's response templates",
        description="Your agency's by default; admins may name any agency.",
        tags=TAGS,
        params=(Param("agency_id", "query", {"type": "string", "maxLength": 80}),),
        responses={200: Reply("The templates", r.TemplateList)},
        errors=(403, 422),
    ),
    ("PUT", "/officer/templates/{template_id}"): Operation(
        summary="Create or replace a response template (the agency's officers, admins)",
        description="Placeholders: `{tracking_code}`, `{agency}`, `{expected_date}`, `{category}`; write a "
        "literal brace twice. An unknown placeholder is a 422 naming it.",
        tags=TAGS,
        params=(TEMPLATE_ID,),
        body=Body(
            TemplateCommand,
            example={
                "category": "garbage",
                "title": "Diangkut besok",
                "text_id": "Laporan {tracking_code}: {agency} mengangkut sampah paling lambat {expected_date}.",
                "text_en": "Report {tracking_code}: {agency} will collect the rubbish by {expected_date}.",
            },
        ),
        responses={200: Reply("The template as stored", r.ResponseTemplate)},
        errors=(403, 413, 415, 422),
    ),
    ("DELETE", "/officer/templates/{template_id}"): Operation(
        summary="Delete a response template",
        tags=TAGS,
        params=(TEMPLATE_ID, Param("agency_id", "query", {"type": "string", "maxLength": 80})),
        responses={200: Reply("Deleted", r.TemplateDeleted)},
        errors=(403, 404, 422),
    ),
    ("GET", "/officer/cases/{code}/templates"): Operation(
        summary="Your agency's templates for this case, filled in",
        description="Those for the case's category and for any category, in Indonesian and English.",
        tags=TAGS,
        params=(CODE,),
        responses={200: Reply("Rendered templates", r.CaseTemplates)},
        errors=(403, 404),
    ),
    **{
        ("POST", f"/officer/cases/{{code}}/{path}"): _action(path, operation)
        for path, operation in OPERATION_PATHS.items()
    },
}
