"""POST /webhooks/{channel}: reports from providers, one adapter per channel.

Order of checks, cheapest and safest first: known channel (404), body size
(413), content type (415), signature (401), then parsing (400/422). Nothing
is parsed before the signature is checked, and nothing is stored unless all
of it passed.
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import ApiError, handles_errors, read_body, reply_response

bp = Blueprint(__name__)


@bp.route("/webhooks/{channel}", methods=["POST"], content_types=["*/*"])
@handles_errors
def receive(channel):
    from chalicelib.bootstrap import services
    from chalicelib.channels.base import InboundRequest
    from chalicelib.channels.registry import adapter_for
    from chalicelib.services.intake import submit_report

    adapter = adapter_for(channel)
    if adapter is None:
        raise ApiError(404, "unknown_channel", f"There is no webhook for channel {channel!r}.")
    request = bp.current_request
    body = read_body(request, adapter.content_types)
    app = services()
    inbound = InboundRequest(
        method=request.method,
        path=f"/webhooks/{channel}",
        headers={name.lower(): value for name, value in request.headers.items()},
        query=dict(request.query_params or {}),
        body=body,
        received_at=app.clock(),
    )
    adapter.verify(inbound, app.settings)
    receipts = [
        submit_report(
            report,
            cases=app.cases,
            photos=app.photos,
            clock=app.clock,
            code_key=app.settings.tracking_code_key,
        )
        for report in adapter.parse(inbound)
    ]
    return reply_response(adapter.reply(receipts, app.settings))
