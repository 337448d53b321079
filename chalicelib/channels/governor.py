"""The Governor's social media (``governor_social``): a Facebook page in Meta's
format and an X account in X's format, on one URL. The request says which:
X signs with ``x-twitter-webhooks-signature`` and checks with ``crc_token``,
Meta with ``X-Hub-Signature-256`` and ``hub.*``."""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.domain.channels import Channel

from .base import ChannelAdapter, InboundRequest, MalformedPayload, Reply
from .meta_page import MetaPageAdapter
from .x import SIGNATURE_HEADER as X_SIGNATURE
from .x import XAdapter


class GovernorSocialAdapter:
    channel = Channel.GOVERNOR_SOCIAL
    content_types = ("application/json",)

    def __init__(self) -> None:
        self.page = MetaPageAdapter(Channel.GOVERNOR_SOCIAL, "GOVERNOR_PAGE_ID")
        self.x = XAdapter(Channel.GOVERNOR_SOCIAL, "GOVERNOR_X_USER_ID")

    def for_request(self, request: InboundRequest) -> ChannelAdapter:
        return self.x if request.header(X_SIGNATURE) else self.page

    def handshake(self, request: InboundRequest, settings: Settings) -> Reply:
        if "crc_token" in request.query:
            return self.x.handshake(request, settings)
        if "hub.mode" in request.query:
            return self.page.handshake(request, settings)
        raise MalformedPayload("expected hub.mode (Meta) or crc_token (X)")
