"""Photo redaction (officer API, Cognito bearer token)."""

from __future__ import annotations

from chalicelib.api.openapi.officer import CODE, LANG, TAGS
from chalicelib.api.openapi.spec import Body, Operation, Param, Reply
from chalicelib.services import responses as r
from chalicelib.services.redaction import RedactPhotoCommand

OPERATIONS = {
    ("POST", "/officer/cases/{code}/photos/{photo_id}/redaction"): Operation(
        summary="Blur rectangles (faces, number plates) of a photo's public copy",
        description="The public copy is re-rendered from the private original with every given rectangle "
        "pixelated and blurred, and replaces what the public sees; the original stays private and "
        "unchanged. Send the photo's whole set of rectangles each time (in the public copy's pixels: "
        "the photo's `width` x `height`). Audited in the history as `photo.redacted`. For the "
        "holding agency, the Bureau and supervisors (`may_redact_photos`).",
        tags=TAGS,
        params=(CODE, Param("photo_id", "path", {"type": "string", "maxLength": 20}, "The photo.", example="p1"), LANG),
        body=Body(
            RedactPhotoCommand, example={"regions": [{"x": 120, "y": 40, "width": 80, "height": 60}], "version": 4}
        ),
        responses={200: Reply("The case after the redaction", r.OfficerCase, headers={"ETag": '"v<version>"'})},
        errors=(403, 404, 409, 413, 415, 422),
    ),
}
