"""Which outside system answers a reporter, and where linked media come from.

One sender adapter per reply kind (ReplyHandle.kind); one fetcher per media
source (MediaLink.source). Everything provider-specific lives in the modules
named here.
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import Settings
from chalicelib.domain.channels import Channel
from chalicelib.domain.messages import MediaLink, ReplyHandle
from chalicelib.domain.report import MAX_PHOTO_BYTES


def sender_for(handle: ReplyHandle, settings: Settings) -> Any:
    if handle.kind == "twilio":
        from .twilio_api import TwilioSender

        return TwilioSender(settings)
    if handle.kind in ("whatsapp", "messenger", "meta_comment"):
        from .meta_graph import GraphSender

        return GraphSender(settings, last_message_at=_last_message_at(settings))
    if handle.kind == "x_dm":
        from .x_api import XSender

        return XSender(settings)
    if handle.kind == "email":
        from .ses_mail import SesSender

        return SesSender(settings)
    if handle.kind == "open311":
        from .open311_feed import Open311Feed

        return Open311Feed(settings.cases_table, settings.tracking_code_key)
    from .partner_callback import PartnerCallbackSender

    return PartnerCallbackSender(settings)


def _last_message_at(settings: Settings) -> Any:
    """When a WhatsApp sender last wrote (their sender item; one GetItem), to tell whether
    an update may go as text or needs the template. Only asked when a template is set."""
    if not settings.whatsapp_update_template:
        return None
    from .sender_state import DynamoSenderRepository, sender_key

    senders = DynamoSenderRepository(settings.cases_table)
    return lambda handle: senders.last_message_at(sender_key(settings.tracking_code_key, handle))


def fetch_media(link: MediaLink, channel: Channel, settings: Settings) -> bytes:
    """The bytes of a linked photo (raises http_client.ProviderUnavailable/Rejected)."""
    if link.source == "twilio":
        from .twilio_api import fetch_media as fetch

        return fetch(link.ref, settings, MAX_PHOTO_BYTES)[0]
    if link.source == "whatsapp":
        from .meta_graph import fetch_whatsapp_media

        return fetch_whatsapp_media(link.ref, channel, settings, MAX_PHOTO_BYTES)[0]
    if link.source == "x_url":
        from .x_api import fetch_media as fetch_x

        return fetch_x(link.ref, channel, settings, MAX_PHOTO_BYTES)[0]
    if link.source == "web":
        from .web_fetch import fetch_image

        return fetch_image(link.ref, max_bytes=MAX_PHOTO_BYTES, allow=settings.media_fetch_test_allow)[0]
    from .meta_graph import fetch_attachment

    return fetch_attachment(link.ref, settings, MAX_PHOTO_BYTES)[0]
