"""Recording a walk-in report at a desk (laporan tatap muka).

    desk form -> which desk (the officer's office) -> the officer's uploaded
    photos -> IncomingReport -> services/intake.submit_report

The same intake as every channel: the same validation, a tracking code, one
conditional write, and routing from the case.received event. The form's
idempotency key is the message id, so a resubmitted form returns the case the
first submission opened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.adapters.case_repository import CaseRepository
from chalicelib.adapters.photo_store import PhotoStore
from chalicelib.domain import desks
from chalicelib.domain.agencies import Agency
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.permissions import Principal
from chalicelib.domain.receipts import Receipt
from chalicelib.services.intake import submit_report

from . import desk_form as desk

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_content_type(data: bytes) -> str | None:
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def record_walk_in(
    payload: Any,
    principal: Principal,
    office: Agency | None,
    *,
    header_key: str | None,
    read_upload: Callable[[str], bytes],
    cases: CaseRepository,
    photos: PhotoStore,
    clock: Clock,
    code_key: bytes,
) -> Receipt:
    form, key = desk.parse(payload, header_key)
    channel = desks.choose_channel(office, form.channel)
    own_prefix = f"uploads/{principal.user_id}/"
    uploaded: list[dict[str, object]] = []
    problems: list[tuple[str, str]] = []
    for index, upload_key in enumerate(form.upload_keys):
        if not upload_key.startswith(own_prefix):
            problems.append((f"upload_keys.{index}", "is not an upload of yours"))
            continue
        data = read_upload(upload_key)
        content_type = sniff_content_type(data)
        if content_type is None:
            problems.append((f"upload_keys.{index}", "is not a JPEG, PNG or WebP image"))
            continue
        uploaded.append({"content_type": content_type, "data": data})
    if problems:
        raise InvalidReport(problems)
    report = desk.to_report(form, key, channel, principal.user_id, uploaded)
    # The form's key is chosen by the client: the same key with other content is refused (409).
    return submit_report(report, cases=cases, photos=photos, clock=clock, code_key=code_key, bind_content=True)
