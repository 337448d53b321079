"""/webhooks/{channel}: reports from providers, one adapter per channel.

POST, in order of checks, cheapest and safest first: known channel (404),
body size (413), content type (415), signature (401), then parsing (400/422).
Nothing is parsed before the signature is checked, and nothing is stored
unless all of it passed. A delivery with no report in it (receipts, echoes)
gets 200 and stores nothing.

A verified delivery then counts against its channel's ceiling (``webhooks``
in api/limits.py: never per address, providers deliver from a few addresses in
bursts; a forged flood is refused before it is counted, so it cannot use up a
provider's ceiling); over it, 429 with Retry-After.

GET is the provider's subscription check (Meta's hub.challenge, X's CRC);
channels without one answer 405.
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import ApiError, handles_errors, read_body, reply_response
from chalicelib.api.limits import check, limited

bp = Blueprint(__name__)


def _inbound(channel: str, body: bytes, clock):
    from chalicelib.channels.base import InboundRequest

    request = bp.current_request
    return InboundRequest(
        method=request.method,
        path=f"/webhooks/{channel}",
        headers={name.lower(): value for name, value in request.headers.items()},
        query=dict(request.query_params or {}),
        body=body,
        received_at=clock(),
    )


def _adapter(channel: str):
    from chalicelib.channels.registry import adapter_for

    adapter = adapter_for(channel)
    if adapter is None:
        raise ApiError(404, "unknown_channel", f"There is no webhook for channel {channel!r}.")
    return adapter


@bp.route("/webhooks/{channel}", methods=["GET"])
@handles_errors
def handshake(channel):
    from chalicelib.bootstrap import services

    adapter = _adapter(channel)
    check = getattr(adapter, "handshake", None)
    if check is None:
        raise ApiError(405, "method_not_allowed", f"The {channel} webhook takes POST only.")
    app = services()
    return reply_response(check(_inbound(channel, b"", app.clock), app.settings))


def _stop_alerts(handle) -> int:
    """BERHENTI/STOP by SMS or WhatsApp: the number's area alerts go (services/alerts.py)."""
    from chalicelib.bootstrap import services
    from chalicelib.services.alerts import unsubscribe_contact

    return unsubscribe_contact(
        "whatsapp" if handle.channel.value == "whatsapp" else "sms", handle.address, services().alerts_context()
    )


@bp.route("/webhooks/{channel}", methods=["POST"], content_types=["*/*"])
@handles_errors
@limited(bp, "webhooks")
def receive(channel):
    from chalicelib.bootstrap import services
    from chalicelib.channels.base import inline_replies
    from chalicelib.channels.registry import concrete
    from chalicelib.services.intake import submit_report
    from chalicelib.services.notices import send_notices

    adapter = _adapter(channel)
    body = read_body(bp.current_request, adapter.content_types)
    app = services()
    inbound = _inbound(channel, body, app.clock)
    adapter = concrete(adapter, inbound)
    adapter.verify(inbound, app.settings)
    check("webhooks", channel=channel)
    receipts = [
        submit_report(
            report,
            cases=app.cases,
            photos=app.photos,
            clock=app.clock,
            code_key=app.settings.tracking_code_key,
            senders=app.senders,
            stop_alerts=_stop_alerts,
        )
        for report in adapter.parse(inbound)
    ]
    if not inline_replies(adapter):
        send_notices(receipts, lambda: app.notices)
    return reply_response(adapter.reply(receipts, app.settings))
