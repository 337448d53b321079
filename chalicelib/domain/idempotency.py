"""Client-chosen idempotency keys bound to what was sent.

A key the client chooses (the report form's ``submission_id``, POST /reports'
``Idempotency-Key``, a desk form's ``idempotency_key``) names one report. The
case it opened keeps a digest of that report's content; the same key sent
again with the same content is a retry (the first case's code, 200), with
other content a mistake or a probe (409 ``idempotency_key_reused``), never the
first case's tracking code.

Provider message ids (webhooks) are not client-chosen: a provider's retry is
the same message by definition, so they are not compared.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from chalicelib.domain.report import IncomingReport

# How we answer is not what was reported: the reply address follows from the
# contact, and the language of the answers is presentation.
_NOT_CONTENT = {"message_id", "photos", "reply_handle", "language"}


class IdempotencyKeyReused(Exception):
    """The key already opened a case for other content (the case is not named)."""


def content_digest(report: IncomingReport, key: bytes) -> str:
    """HMAC-SHA256 (server key: the content includes the contact) of what the report says,
    canonical: sorted keys, photos by their own digest."""
    content = report.model_dump(mode="json", exclude=_NOT_CONTENT)
    content["photos"] = [
        {"content_type": photo.content_type, "sha256": hashlib.sha256(photo.data).hexdigest()}
        for photo in report.photos
    ]
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, b"crm-idempotency/v1\x1f" + text.encode(), hashlib.sha256).hexdigest()


def same_content(stored: str | None, digest: str | None) -> bool:
    """False only when both are known and differ (cases stored before digests were kept pass)."""
    return stored is None or digest is None or hmac.compare_digest(stored, digest)
