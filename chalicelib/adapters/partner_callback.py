"""Status changes back to a partner app (JAKI, Qlue): a signed JSON POST to the
partner's callback URL (JAKI_CALLBACK_URL, QLUE_CALLBACK_URL), with the same
X-CRM-Timestamp / X-CRM-Signature scheme and secret as its webhook. No URL
configured: nothing is sent (the partner polls GET /status/{code})."""

from __future__ import annotations

import json
import os
import time

from chalicelib.config import Settings
from chalicelib.domain.clock import to_utc_text
from chalicelib.domain.events import Envelope
from chalicelib.domain.messages import ReplyHandle
from chalicelib.domain.signatures import signature_headers
from chalicelib.logs import get_logger

from . import http_client

log = get_logger("partner_callback")


class PartnerCallbackSender:
    def __init__(self, settings: Settings):
        self.settings = settings

    def send(
        self, handle: ReplyHandle, text: str, *, code: str | None, event: Envelope | None, language: str = "id"
    ) -> None:
        prefix = handle.channel.value.upper()
        url = os.environ.get(f"{prefix}_CALLBACK_URL")
        if not url:
            log.info("no partner callback URL configured", extra={"channel": handle.channel.value})
            return
        body = json.dumps(
            {
                "report_id": handle.address,
                "tracking_code": code,
                "event_type": event.type if event else None,
                "status": event.case.status if event else None,
                "occurred_at": to_utc_text(event.event.occurred_at) if event else None,
                "text": text,
                "status_url": f"{self.settings.public_base_url}/status/{code}" if code else None,
            },
            ensure_ascii=False,
        ).encode()
        secret = self.settings.required_secret(f"{prefix}_WEBHOOK_SECRET")
        headers = {**signature_headers(secret, body, int(time.time())), "Content-Type": "application/json"}
        http_client.request(
            "partner", "POST", url, headers=headers, data=body, timeout=self.settings.provider_timeout_seconds
        )
