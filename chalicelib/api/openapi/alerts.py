"""Area alerts for citizens: subscribe, confirm, unsubscribe (no sign-in)."""

from __future__ import annotations

from chalicelib.api.openapi.spec import Body, Operation, Param, Reply
from chalicelib.services import alert_models as m

TAGS = ("alerts",)
HTML = Reply("A short page (HTML, no script)", schema={"type": "string"}, media_type="text/html")
LINK = (
    Param(
        "s",
        "query",
        {"type": "string", "maxLength": 64},
        "The subscription id from the link.",
        example="0123456789abcdef01234567",
    ),
    Param("t", "query", {"type": "string", "maxLength": 64}, "The token from the link."),
)
_SUB_ID = "0123456789abcdef01234567"

OPERATIONS = {
    ("POST", "/alerts/subscriptions"): Operation(
        summary="Subscribe to new and resolved reports in a kelurahan or around a point",
        description="The subscription stays pending (and expires after 24 hours) until confirmed with the "
        "6-digit code sent to the address (e-mail also gets a link). Confirmed subscribers get at most "
        "one digest a day. Confidential cases and reporters' identities are never included. The "
        "address is never shown back; subscribing again to the same area is the same subscription.",
        tags=TAGS,
        body=Body(
            m.AlertSubscribeCommand,
            example={"channel": "sms", "address": "081234567890", "lat": -6.1754, "lng": 106.8272, "radius_m": 1000},
        ),
        responses={
            202: Reply(
                "Pending: confirm with the code sent to the address",
                m.AlertSubscription,
                example={
                    "subscription_id": _SUB_ID,
                    "status": "pending",
                    "channel": "sms",
                    "area": {"lat": -6.1754, "lng": 106.8272, "radius_m": 1000},
                    "confirm_by": "2026-11-24T10:00:00+07:00",
                },
            )
        },
        errors=(400, 413, 415, 422),
    ),
    ("POST", "/alerts/confirm"): Operation(
        summary="Confirm a subscription with the code sent to the address",
        description="Five wrong codes and the subscription must be made again.",
        tags=TAGS,
        body=Body(m.AlertConfirmCommand, example={"subscription_id": _SUB_ID, "code": "123456"}),
        responses={200: Reply("Confirmed, with the unsubscribe link", m.AlertSubscription)},
        errors=(400, 404, 413, 415, 422),
    ),
    ("GET", "/alerts/confirm"): Operation(
        summary="The confirmation link mailed to e-mail subscribers",
        tags=TAGS,
        params=LINK,
        responses={
            200: HTML,
            404: Reply("Not valid (expired or wrong token): a page", schema={"type": "string"}, media_type="text/html"),
        },
    ),
    ("GET", "/alerts/unsubscribe"): Operation(
        summary="The unsubscribe link: a page with one button",
        tags=TAGS,
        params=LINK,
        responses={200: HTML},
        uses_aws=False,
    ),
    ("POST", "/alerts/unsubscribe"): Operation(
        summary="Unsubscribe (JSON, or the unsubscribe page's form)",
        description="Idempotent. SMS and WhatsApp subscribers may also reply BERHENTI or STOP.",
        tags=TAGS,
        body=Body(
            m.AlertUnsubscribeCommand,
            example={"s": _SUB_ID, "t": "0123456789abcdef0123456789abcdef"},
            also=(
                (
                    "application/x-www-form-urlencoded",
                    {
                        "type": "object",
                        "properties": {"s": {"type": "string"}, "t": {"type": "string"}},
                        "required": ["s", "t"],
                    },
                ),
            ),
        ),
        responses={200: Reply("Unsubscribed", m.AlertSubscription, also=(("text/html", {"type": "string"}),))},
        errors=(400, 413, 415, 422),
    ),
}
