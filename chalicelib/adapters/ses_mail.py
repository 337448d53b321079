"""Amazon SES: e-mail replies to reporters who wrote to dki@jakarta.go.id.

The subject carries the tracking code, so the reporter's reply to it adds to
the same case (workers/email_intake.py). The sender address must be a
verified SES identity (infra/template.yaml; moto enforces it too).
"""

from __future__ import annotations

from chalicelib.adapters import aws
from chalicelib.config import Settings
from chalicelib.domain.events import Envelope
from chalicelib.domain.messages import ReplyHandle


class SesSender:
    def __init__(self, settings: Settings):
        self.settings = settings

    def send(
        self,
        handle: ReplyHandle,
        text: str,
        *,
        code: str | None,
        event: Envelope | None,
        language: str = "id",
        subject: str | None = None,
    ) -> None:
        title = "Your report" if language == "en" else "Laporan Anda"
        subject = subject or (f"[{code}] {title}" if code else title)
        with aws.unavailable_on_transient("ses"):
            aws.client("ses").send_email(
                Source=self.settings.email_from_address,
                Destination={"ToAddresses": [handle.address]},
                Message={
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
                },
            )
