"""X API v2: direct messages to the reporter, and media of their tweets/DMs.

POST {X_API_BASE_URL}/2/dm_conversations/with/{participant id}/messages  {"text": ...}
Authorization: Bearer <X_ACCESS_TOKEN | GOVERNOR_X_ACCESS_TOKEN>  (user context
of the city's or the Governor's account; DMs need it)
"""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.domain.channels import Channel
from chalicelib.domain.events import Envelope
from chalicelib.domain.messages import ReplyHandle

from . import http_client

PROVIDER = "x"
MEDIA_HOSTS = ("twimg.com", "twitter.com", "x.com")


def token(settings: Settings, channel: Channel) -> str:
    if channel is Channel.GOVERNOR_SOCIAL:
        governor = settings.secret("GOVERNOR_X_ACCESS_TOKEN")
        if governor:
            return governor
    return settings.required_secret("X_ACCESS_TOKEN")


class XSender:
    def __init__(self, settings: Settings):
        self.settings = settings

    def send(
        self, handle: ReplyHandle, text: str, *, code: str | None, event: Envelope | None, language: str = "id"
    ) -> None:
        url = f"{self.settings.x_api_base_url}/2/dm_conversations/with/{handle.address}/messages"
        http_client.request(
            PROVIDER,
            "POST",
            url,
            auth="Bearer " + token(self.settings, handle.channel),
            json_body={"text": text[:10000]},
            timeout=self.settings.provider_timeout_seconds,
        )


def fetch_media(url: str, channel: Channel, settings: Settings, max_bytes: int) -> tuple[bytes, str | None]:
    if not http_client.host_allowed(url, [settings.x_api_base_url], MEDIA_HOSTS):
        raise http_client.ProviderRejected(PROVIDER, None, "media URL is not on an X host")
    response = http_client.request(
        PROVIDER,
        "GET",
        url,
        auth="Bearer " + token(settings, channel),
        max_bytes=max_bytes,
        timeout=settings.provider_timeout_seconds,
    )
    return response.body, response.headers.get("content-type")
