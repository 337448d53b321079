"""Meta's Graph API: WhatsApp Cloud API messages and media, Messenger Send
API, replies to page comments. Base URL and version are configurable
(META_GRAPH_BASE_URL, META_GRAPH_API_VERSION) so tests use a local server.

    POST {base}/{version}/{phone_number_id}/messages      WhatsApp text message; outside the
         24-hour customer-service window, the WHATSAPP_UPDATE_TEMPLATE template instead
    GET  {base}/{version}/{media id}  -> {"url": ...};  GET url   WhatsApp media
    POST {base}/{version}/{page id}/messages               Messenger Send API; with
         {"recipient": {"comment_id" | "post_id": ...}} a private reply to a feed item
    POST {base}/{version}/{comment or post id}/comments    reply under a feed item (PUBLIC)
    Authorization: Bearer <META_ACCESS_TOKEN | GOVERNOR_META_ACCESS_TOKEN>
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain import events
from chalicelib.domain.channels import Channel
from chalicelib.domain.events import Envelope
from chalicelib.domain.messages import ReplyHandle
from chalicelib.logs import case_id, get_logger

from . import http_client

log = get_logger("replies")
PROVIDER = "meta"
MEDIA_HOSTS = ("fbsbx.com", "fbcdn.net", "facebook.com", "whatsapp.net")
# Replies that answer the reporter's own message; the rest are later updates
# and go out as account updates (Messenger's rule for messages after 24 h).
RESPONSE_EVENTS = (events.CaseReceived, events.ReporterAdded)
# WhatsApp's customer-service window: free-form text only within 24 hours of the
# person's last message. Meta accepts a late text and fails it afterwards (a
# "failed" status with error 131047), so the choice is made before sending, with
# a margin for the time the reply spends in the queue.
WINDOW = timedelta(hours=24)
WINDOW_MARGIN = timedelta(minutes=15)
# ... and if Meta does refuse a text at once (older API versions: 470), the template goes too.
OUTSIDE_WINDOW_ERRORS = frozenset({131047, 470})
# The template's languages (Meta's codes) by the reporter's language.
TEMPLATE_LANGUAGES = {"id": "id", "en": "en"}


def token(settings: Settings, channel: Channel) -> str:
    if channel is Channel.GOVERNOR_SOCIAL:
        governor = settings.secret("GOVERNOR_META_ACCESS_TOKEN")
        if governor:
            return governor
    return settings.required_secret("META_ACCESS_TOKEN")


def _url(settings: Settings, path: str) -> str:
    return f"{settings.meta_graph_base_url}/{settings.meta_graph_version}/{path}"


class GraphSender:
    def __init__(self, settings: Settings, last_message_at: Callable[[ReplyHandle], datetime | None] | None = None):
        """``last_message_at``: when the person behind a WhatsApp handle last wrote
        to us (None: not within a day); without it every update tries text first."""
        self.settings = settings
        self.last_message_at = last_message_at

    def send(
        self,
        handle: ReplyHandle,
        text: str,
        *,
        code: str | None,
        event: Envelope | None,
        language: str = "id",
        public_text: str | None = None,
    ) -> None:
        """``public_text``: for a feed comment, what is posted in public under it;
        ``text`` (it has the tracking code) then only goes out as a private reply."""
        auth = "Bearer " + token(self.settings, handle.channel)
        if handle.kind == "whatsapp":
            self._whatsapp(handle, text, code, language, auth)
            return
        if handle.kind == "messenger":
            path = f"{handle.via}/messages"
            body: dict[str, Any] = {"recipient": {"id": handle.address}, "message": {"text": text[:2000]}}
            if event is None or isinstance(event.event, RESPONSE_EVENTS):
                body["messaging_type"] = "RESPONSE"
            else:
                body.update({"messaging_type": "MESSAGE_TAG", "tag": "ACCOUNT_UPDATE"})
        else:  # meta_comment: a public thread -- the code only privately
            self._answer_comment(handle, text, event, public_text, auth)
            return
        http_client.request(
            PROVIDER,
            "POST",
            _url(self.settings, path),
            auth=auth,
            json_body=body,
            timeout=self.settings.provider_timeout_seconds,
        )

    def _whatsapp(self, handle: ReplyHandle, text: str, code: str | None, language: str, auth: str) -> None:
        """Free-form text inside the 24-hour window; outside it the update template
        (when configured): body parameters {{1}} = tracking code, {{2}} = the text."""
        url = _url(self.settings, f"{handle.via}/messages")
        message = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": handle.address}
        template = self.settings.whatsapp_update_template if code else None
        if not (template and self._window_closed(handle)):
            free_form = {**message, "type": "text", "text": {"preview_url": False, "body": text[:4096]}}
            try:
                http_client.request(
                    PROVIDER,
                    "POST",
                    url,
                    auth=auth,
                    json_body=free_form,
                    timeout=self.settings.provider_timeout_seconds,
                )
                return
            except http_client.ProviderRejected as error:
                if not (template and outside_window(error)):
                    raise
        log.info("outside WhatsApp's 24-hour window; sending the update template", extra={"case_id": case_id(code)})
        # Template parameters may not hold newlines, tabs or more than 4 spaces in a row.
        flat = " ".join(text.split())[:1000]
        parameters = [{"type": "text", "text": code}, {"type": "text", "text": flat}]
        http_client.request(
            PROVIDER,
            "POST",
            url,
            auth=auth,
            timeout=self.settings.provider_timeout_seconds,
            json_body={
                **message,
                "type": "template",
                "template": {
                    "name": template,
                    "language": {"code": TEMPLATE_LANGUAGES.get(language, "id")},
                    "components": [{"type": "body", "parameters": parameters}],
                },
            },
        )

    def _window_closed(self, handle: ReplyHandle) -> bool:
        if self.last_message_at is None:
            return False
        last = self.last_message_at(handle)
        return last is None or datetime.now(UTC) - last > WINDOW - WINDOW_MARGIN

    def _answer_comment(
        self, handle: ReplyHandle, text: str, event: Envelope | None, public_text: str | None, auth: str
    ) -> None:
        """Meta allows ONE private reply per comment or visitor post, within 7 days: it
        answers the comment itself (the receipt, or a notice). Later updates go only
        in public. A refused private reply (already sent, too late) still lets the
        public one go out, so a retry after a failed public post is safe."""
        if event is None or isinstance(event.event, RESPONSE_EVENTS):
            # Visitor posts are "{page id}_{n}"; comments "{post n}_{n}".
            target = "post_id" if handle.via and handle.address.startswith(handle.via + "_") else "comment_id"
            body = {"recipient": {target: handle.address}, "message": {"text": text[:2000]}}
            try:
                http_client.request(
                    PROVIDER,
                    "POST",
                    _url(self.settings, f"{handle.via}/messages"),
                    auth=auth,
                    json_body=body,
                    timeout=self.settings.provider_timeout_seconds,
                )
            except http_client.ProviderRejected as error:
                if public_text is None:
                    raise
                log.warning(
                    "private reply refused; answering in public only",
                    extra={"kind": handle.kind, "status": error.status},
                )
        if public_text:
            http_client.request(
                PROVIDER,
                "POST",
                _url(self.settings, f"{handle.address}/comments"),
                auth=auth,
                json_body={"message": public_text[:8000]},
                timeout=self.settings.provider_timeout_seconds,
            )


def fetch_whatsapp_media(
    media_id: str, channel: Channel, settings: Settings, max_bytes: int
) -> tuple[bytes, str | None]:
    auth = "Bearer " + token(settings, channel)
    described = http_client.request(
        PROVIDER, "GET", _url(settings, media_id), auth=auth, timeout=settings.provider_timeout_seconds
    )
    try:
        info = described.json()
        url = info["url"]
    except (ValueError, KeyError, TypeError):
        raise http_client.ProviderRejected(PROVIDER, described.status, "media description has no url") from None
    if not isinstance(url, str) or not http_client.host_allowed(url, [settings.meta_graph_base_url], MEDIA_HOSTS):
        raise http_client.ProviderRejected(PROVIDER, None, "media URL is not on a Meta host")
    response = http_client.request(
        PROVIDER, "GET", url, auth=auth, max_bytes=max_bytes, timeout=settings.provider_timeout_seconds
    )
    return response.body, info.get("mime_type") or response.headers.get("content-type")


def fetch_attachment(url: str, settings: Settings, max_bytes: int) -> tuple[bytes, str | None]:
    """A Messenger/feed attachment URL (a signed CDN link: no token needed)."""
    if not http_client.host_allowed(url, [settings.meta_graph_base_url], MEDIA_HOSTS):
        raise http_client.ProviderRejected(PROVIDER, None, "attachment URL is not on a Meta host")
    response = http_client.request(PROVIDER, "GET", url, max_bytes=max_bytes, timeout=settings.provider_timeout_seconds)
    return response.body, response.headers.get("content-type")


def outside_window(error: http_client.ProviderRejected) -> bool:
    """Whether Meta refused a WhatsApp text because the 24-hour window is closed."""
    import json

    try:
        code = (json.loads(error.detail).get("error") or {}).get("code")
    except (ValueError, AttributeError):
        return False
    return code in OUTSIDE_WINDOW_ERRORS
