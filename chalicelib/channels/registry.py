"""Which adapter serves POST /webhooks/{channel}.

Desk channels (kelurahan, kecamatan, ...) are not here: intake officers enter
those through the officer API, not through a provider webhook.
"""

from __future__ import annotations

from functools import cache

from chalicelib.domain.channels import Channel

from .base import ChannelAdapter


@cache
def _adapters() -> dict[str, ChannelAdapter]:
    from .partner import PartnerAdapter

    return {
        Channel.JAKI.value: PartnerAdapter(Channel.JAKI, "JAKI_WEBHOOK_SECRET"),
        Channel.QLUE.value: PartnerAdapter(Channel.QLUE, "QLUE_WEBHOOK_SECRET"),
    }


def adapter_for(channel: str) -> ChannelAdapter | None:
    return _adapters().get(channel)


def webhook_channels() -> tuple[str, ...]:
    return tuple(_adapters())
