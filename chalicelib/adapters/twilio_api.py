"""Twilio's REST API: send an SMS/WhatsApp message, fetch a message's media.

POST {TWILIO_API_BASE_URL}/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json
     Authorization: Basic base64(<account sid>:<auth token>)
     To=<reporter>&From=<our number>&Body=<text>
GET  <MediaUrl from the webhook>   (same Basic auth; must be under the base URL)
"""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.domain.events import Envelope
from chalicelib.domain.messages import ReplyHandle

from . import http_client

PROVIDER = "twilio"


def _auth(settings: Settings) -> tuple[str, str]:
    sid = settings.required_secret("TWILIO_ACCOUNT_SID")
    return sid, http_client.basic_auth(sid, settings.required_secret("TWILIO_AUTH_TOKEN"))


class TwilioSender:
    def __init__(self, settings: Settings):
        self.settings = settings

    def send(
        self, handle: ReplyHandle, text: str, *, code: str | None, event: Envelope | None, language: str = "id"
    ) -> None:
        sid, auth = _auth(self.settings)
        sender = handle.via or ""
        if handle.address.startswith("whatsapp:") and not sender.startswith("whatsapp:"):
            sender = f"whatsapp:{sender}"
        http_client.request(
            PROVIDER,
            "POST",
            f"{self.settings.twilio_api_base_url}/2010-04-01/Accounts/{sid}/Messages.json",
            auth=auth,
            form={"To": handle.address, "From": sender, "Body": text[:1600]},
            timeout=self.settings.provider_timeout_seconds,
        )


def fetch_media(url: str, settings: Settings, max_bytes: int) -> tuple[bytes, str | None]:
    if not http_client.host_allowed(url, [settings.twilio_api_base_url], ("twilio.com",)):
        raise http_client.ProviderRejected(PROVIDER, None, "media URL is not on Twilio's API host")
    _, auth = _auth(settings)
    response = http_client.request(
        PROVIDER, "GET", url, auth=auth, max_bytes=max_bytes, timeout=settings.provider_timeout_seconds
    )
    return response.body, response.headers.get("content-type")
