"""Photo redaction: an officer blurs rectangles (faces, number plates) of a report or
completion photo; the public copy is re-rendered from the private original with
those rectangles obscured, replaces what the public sees, and the change is
audited in the case history (``photo.redacted``, not on the public timeline).

Each request gives the photo's whole set of rectangles (in the public copy's
pixels, as the officer client shows it): the copy is always rendered from the
original, so a later request can add rectangles or correct a wrong one.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.adapters import reference_data
from chalicelib.domain import permissions
from chalicelib.domain.errors import ConcurrentUpdate, InvalidInput
from chalicelib.logs import case_id, get_logger

log = get_logger("redaction")

# Who may redact: whoever answers for the case's public face.
MAY_REDACT = frozenset({"holder", "bureau", "supervisor"})
MAX_REGIONS = 20
MIN_SIDE = 4


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    x: int = Field(ge=0, le=10_000)
    y: int = Field(ge=0, le=10_000)
    width: int = Field(ge=MIN_SIDE, le=10_000)
    height: int = Field(ge=MIN_SIDE, le=10_000)


class RedactPhotoCommand(BaseModel):
    """POST /officer/cases/{code}/photos/{photo_id}/redaction"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    regions: Annotated[list[Region], Field(min_length=1, max_length=MAX_REGIONS)] = Field(
        description="Rectangles to blur, in the pixels of the public copy (the photo's width and height)."
    )
    version: int | None = Field(default=None, ge=1, description="The case version you acted on (optional).")


def may_redact(principal: Any, case: Any) -> bool:
    relations = permissions.relations(principal, case.agency_id, case.collaborators, reference_data.agencies())
    return bool(MAY_REDACT & relations)


def redact_photo(code_text: str, photo_id: str, payload: Any, principal: Any, deps: Any, copies: Any) -> Any:
    """``deps``: lifecycle.Deps (cases, clock); ``copies``: adapters.redacted_copies.RedactedCopies."""
    from chalicelib.adapters.images import UnreadableImage, clean
    from chalicelib.domain.errors import Forbidden
    from chalicelib.services.lifecycle import actor_of, load, parse

    command = parse(RedactPhotoCommand, payload)
    case = load(code_text, deps.cases)
    if not may_redact(principal, case):
        raise Forbidden("you may not redact this case's photos")
    if command.version is not None and command.version != case.version:
        raise ConcurrentUpdate(case.version)
    photo = case.photos.find(photo_id)
    if photo is None:
        raise InvalidInput([("photo_id", f"the case has no photo {photo_id!r}")])
    problems = [
        (f"regions.{i}", f"lies outside the {photo.width}x{photo.height} photo")
        for i, r in enumerate(command.regions)
        if r.x + r.width > photo.width or r.y + r.height > photo.height
    ]
    if problems:
        raise InvalidInput(problems)
    regions = [(r.x, r.y, r.width, r.height) for r in command.regions]
    try:
        image = clean(copies.read_original(photo), redact=tuple(regions))
    except UnreadableImage:
        raise InvalidInput([("photo_id", "the original cannot be read")]) from None
    new_key = copies.store_public(case.tracking_code, photo, image)
    before = case.redact_photo(photo_id, new_key, [list(r) for r in regions], deps.clock(), actor_of(principal))
    deps.cases.save(case)
    if before.public_key != new_key and before.public_key.startswith("public/"):
        copies.delete_public(before.public_key)  # the unredacted copy: nobody may fetch it again
    log.info(
        "photo redacted", extra={"case_id": case_id(case.tracking_code), "photo": photo_id, "regions": len(regions)}
    )
    return case
