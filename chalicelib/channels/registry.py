"""Which adapter serves /webhooks/{channel}.

Desk channels (kelurahan, kecamatan, ...) are not here: intake officers enter
those through the officer API, not through a provider webhook. E-mail arrives
through SES and S3 (workers/email_intake.py) and the Balai Warga website posts
to /report and /reports (api/report_form.py), not to a webhook.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from chalicelib.domain.channels import Channel

from .base import ChannelAdapter, InboundRequest, TwoFormatAdapter


def _partner(channel: Channel, secret: str) -> ChannelAdapter:
    from .partner import PartnerAdapter

    return PartnerAdapter(channel, secret)


def _twilio() -> ChannelAdapter:
    from .twilio_sms import TwilioAdapter

    return TwilioAdapter(Channel.SMS_1708)


def _whatsapp() -> TwoFormatAdapter:
    from .whatsapp import WhatsAppAdapter

    return WhatsAppAdapter()


def _facebook() -> ChannelAdapter:
    from .meta_page import MetaPageAdapter

    return MetaPageAdapter(Channel.FACEBOOK, "FACEBOOK_PAGE_ID")


def _governor() -> TwoFormatAdapter:
    from .governor import GovernorSocialAdapter

    return GovernorSocialAdapter()


def _x() -> ChannelAdapter:
    from .x import XAdapter

    return XAdapter(Channel.X, "X_USER_ID")


# Each adapter is built (and its module imported) on its channel's first request: a cold
# JAKI webhook does not pay for the Twilio, Meta and X parsers.
_FACTORIES: dict[str, Callable[[], ChannelAdapter | TwoFormatAdapter]] = {
    Channel.JAKI.value: lambda: _partner(Channel.JAKI, "JAKI_WEBHOOK_SECRET"),
    Channel.QLUE.value: lambda: _partner(Channel.QLUE, "QLUE_WEBHOOK_SECRET"),
    Channel.SMS_1708.value: _twilio,
    Channel.WHATSAPP.value: _whatsapp,
    Channel.FACEBOOK.value: _facebook,
    Channel.GOVERNOR_SOCIAL.value: _governor,
    Channel.X.value: _x,
}


@cache
def _adapter(channel: str) -> ChannelAdapter | TwoFormatAdapter:
    return _FACTORIES[channel]()


def adapter_for(channel: str) -> ChannelAdapter | TwoFormatAdapter | None:
    return _adapter(channel) if channel in _FACTORIES else None


def concrete(adapter: ChannelAdapter | TwoFormatAdapter, request: InboundRequest) -> ChannelAdapter:
    """A channel that takes two providers' formats picks one per request."""
    return adapter.for_request(request) if isinstance(adapter, TwoFormatAdapter) else adapter


def webhook_channels() -> tuple[str, ...]:
    return tuple(_FACTORIES)
