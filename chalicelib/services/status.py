"""The public view of a case: what anyone holding the tracking code may read.

Built from an allow-list of fields, never by removing private ones from the
whole case: a field added to Case later stays private until it is added here.
No reporter name, phone or e-mail, and no original photo, ever.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.case_repository import CaseRepository
from chalicelib.domain import categories, texts, tracking
from chalicelib.domain.case import Case
from chalicelib.domain.clock import to_jakarta_text


def find_case(code_text: str, cases: CaseRepository) -> Case | None:
    """The case for a typed code; None for unknown and malformed codes alike."""
    code = tracking.normalize(code_text)
    if code is None:
        return None
    return cases.get(code)


def public_view(case: Case, language: str, base_url: str) -> dict[str, Any]:
    category = categories.get(case.category)
    status_url = f"{base_url}/status/{case.tracking_code}"
    return {
        "tracking_code": case.tracking_code,
        "status": case.status.value,
        "status_label": texts.status_label(case.status, language),
        "category": {
            "id": case.category,
            "name": category.name(language) if category else case.category,
        },
        "channel": case.channel.value,
        "description": case.description,
        "location": case.location.model_dump() if case.location else None,
        "agency": {"id": case.agency_id} if case.agency_id else None,
        "created_at": to_jakarta_text(case.created_at),
        "updated_at": to_jakarta_text(case.updated_at),
        "expected_completion": to_jakarta_text(case.expected_completion) if case.expected_completion else None,
        "photos": [
            {
                "id": photo.id,
                "kind": photo.kind,
                "url": f"{status_url}/photos/{photo.id}",
                "width": photo.width,
                "height": photo.height,
            }
            for photo in case.photos
        ],
        "timeline": [
            {
                "at": to_jakarta_text(entry.at),
                "type": entry.type,
                "text": texts.timeline_text(entry.type, entry.data, language),
            }
            for entry in case.timeline
        ],
        "language": language,
    }
