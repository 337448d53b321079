"""Which adapter serves /webhooks/{channel}.

Desk channels (kelurahan, kecamatan, ...) are not here: intake officers enter
those through the officer API, not through a provider webhook. E-mail arrives
through SES and S3 (workers/email_intake.py) and the Balai Warga website posts
to /report and /reports (api/report_form.py), not to a webhook.
"""

from __future__ import annotations

from functools import cache

from chalicelib.domain.channels import Channel

from .base import ChannelAdapter, InboundRequest, TwoFormatAdapter


@cache
def _adapters() -> dict[str, ChannelAdapter | TwoFormatAdapter]:
    from .governor import GovernorSocialAdapter
    from .meta_page import MetaPageAdapter
    from .partner import PartnerAdapter
    from .twilio_sms import TwilioAdapter
    from .whatsapp import WhatsAppAdapter
    from .x import XAdapter

    return {
        Channel.JAKI.value: PartnerAdapter(Channel.JAKI, "JAKI_WEBHOOK_SECRET"),
        Channel.QLUE.value: PartnerAdapter(Channel.QLUE, "QLUE_WEBHOOK_SECRET"),
        Channel.SMS_1708.value: TwilioAdapter(Channel.SMS_1708),
        Channel.WHATSAPP.value: WhatsAppAdapter(),
        Channel.FACEBOOK.value: MetaPageAdapter(Channel.FACEBOOK, "FACEBOOK_PAGE_ID"),
        Channel.GOVERNOR_SOCIAL.value: GovernorSocialAdapter(),
        Channel.X.value: XAdapter(Channel.X, "X_USER_ID"),
    }


def adapter_for(channel: str) -> ChannelAdapter | TwoFormatAdapter | None:
    return _adapters().get(channel)


def concrete(adapter: ChannelAdapter | TwoFormatAdapter, request: InboundRequest) -> ChannelAdapter:
    """A channel that takes two providers' formats picks one per request."""
    return adapter.for_request(request) if isinstance(adapter, TwoFormatAdapter) else adapter


def webhook_channels() -> tuple[str, ...]:
    return tuple(_adapters())
