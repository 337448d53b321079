"""Area alerts for citizens (no sign-in).

POST /alerts/subscriptions   subscribe (pending until confirmed; a code is sent to the address)
POST /alerts/confirm         confirm with the code (or the mailed link's token)
GET  /alerts/confirm         the mailed confirmation link (HTML)
GET  /alerts/unsubscribe     the unsubscribe link: a page with one button (HTML; link scanners
                             that follow GETs unsubscribe nobody)
POST /alerts/unsubscribe     unsubscribe (JSON, or that page's form)

Answers never contain the subscriber's address.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from html import escape
from urllib.parse import parse_qs

from chalice import Blueprint, Response

from chalicelib.api.http import ApiError, handles_errors, json_response, read_body
from chalicelib.api.limits import RateLimited, limited

bp = Blueprint(__name__)

NOT_PENDING = "No subscription is waiting for confirmation under this id (it may have expired: subscribe again)."


def _context():
    from dataclasses import replace

    from chalicelib.api.limits import check
    from chalicelib.bootstrap import services

    # Per destination (a keyed hash of the address), whatever the area or the caller's address:
    # confirmation messages (ALERT_MESSAGES) and code attempts (ALERT_CODE_ATTEMPTS) a day.
    return replace(
        services().alerts_context(),
        count_message=lambda contact: check("alert_messages", fail_closed=True, contact=contact),
        count_code_attempt=lambda contact: check("alert_code_attempts", fail_closed=True, contact=contact),
    )


def _payload(request, form: bool = False) -> dict:
    from chalicelib.domain.errors import InvalidInput

    types = ("application/json", "application/x-www-form-urlencoded") if form else ("application/json",)
    raw = read_body(request, types)
    content_type = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        fields = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[-1] for name, values in fields.items()}
    try:
        payload = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        raise InvalidInput([("body", "is not valid JSON")]) from None
    if not isinstance(payload, dict):
        raise InvalidInput([("body", "must be a JSON object")])
    return payload


# The confirmation pages are plain HTML with no script: one inline <style> block,
# allowed by its hash.
STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#f6f7f9}"
    "main{max-width:40rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.4rem;margin:.5rem 0 1rem}"
    "label{display:block;font-weight:600;margin:1rem 0 .25rem}"
    "input,select,textarea{box-sizing:border-box;width:100%;font:inherit;padding:.6rem;"
    "border:1px solid #767676;border-radius:4px;background:#fff}"
    "input[type=checkbox]{width:auto;margin-right:.5rem}"
    ".check{display:flex;align-items:center;font-weight:400}"
    ".row{display:grid;grid-template-columns:1fr 1fr;gap:.5rem}"
    "button{margin-top:1.5rem;width:100%;padding:.8rem;font:inherit;font-weight:700;color:#fff;"
    "background:#0b5cad;border:0;border-radius:4px}"
    ".hint{color:#4a4a4a;font-size:.9rem;margin:.2rem 0 0}"
    ".errors{border:2px solid #b00020;background:#fff;padding:.5rem 1rem;border-radius:4px}"
    ".code{font:700 1.5rem/1.2 ui-monospace,monospace;letter-spacing:.05em;background:#fff;"
    "padding:.75rem;border-radius:4px;display:inline-block}"
    "nav{text-align:right}a{color:#0b5cad}"
    "fieldset{border:1px solid #c8c8c8;border-radius:4px;margin-top:1rem}"
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def _html(title: str, text: str, status: int = 200, form: str = "") -> Response:
    body = (
        f'<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{escape(title)}</h1><p>{escape(text)}</p>{form}</main></body></html>"
    )
    return Response(
        body=body,
        status_code=status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": "no-store",
        },
    )


def _too_many_page(error: RateLimited) -> Response:
    """A person who followed a mailed link (or pressed its button) reads a page, not JSON."""
    if bp.current_request.method == "POST" and "text/html" not in (bp.current_request.headers.get("accept") or ""):
        raise error
    minutes = max(1, round(error.retry_after_s / 60))
    response = _html(
        "Terlalu banyak permintaan / Too many requests",
        f"Coba lagi dalam {minutes} menit. Please try again in {minutes} minute(s).",
        429,
    )
    response.headers["Retry-After"] = str(error.retry_after_s)
    return response


@bp.route("/alerts/subscriptions", methods=["POST"], content_types=["*/*"])
@handles_errors
@limited(bp, "alerts", fail_closed=True)
def subscribe():
    from chalicelib.adapters import reference_data
    from chalicelib.bootstrap import services
    from chalicelib.services import alerts
    from chalicelib.services.alert_models import AlertSubscribeCommand
    from chalicelib.services.lifecycle import parse

    command = parse(AlertSubscribeCommand, _payload(bp.current_request))
    areas = reference_data.areas()

    def known(code: str) -> bool:
        area = areas.get(code)
        return area is not None and area.level == "kelurahan"

    answer = alerts.subscribe(command, _context(), services().clock(), known)
    return json_response(answer, 202)


@bp.route("/alerts/confirm", methods=["POST"], content_types=["*/*"])
@handles_errors
@limited(bp, "alert_codes", fail_closed=True)
def confirm():
    from chalicelib.services import alerts
    from chalicelib.services.alert_models import AlertConfirmCommand
    from chalicelib.services.lifecycle import parse

    command = parse(AlertConfirmCommand, _payload(bp.current_request))
    try:
        if command.code is not None:
            answer = alerts.confirm_with_code(command.subscription_id, command.code, _context())
        else:
            answer = alerts.confirm_with_token(command.subscription_id, command.token or "", _context())
    except alerts.NotPending:
        raise ApiError(404, "not_found", NOT_PENDING) from None
    return json_response(answer)


def _link_params() -> tuple[str, str]:
    params: Mapping[str, str] = bp.current_request.query_params or {}
    return str(params.get("s") or ""), str(params.get("t") or "")


@bp.route("/alerts/confirm", methods=["GET"])
@handles_errors
@limited(bp, "alert_codes", fail_closed=True, refused=_too_many_page)
def confirm_link():
    from chalicelib.services import alerts

    sub_id, token = _link_params()
    try:
        alerts.confirm_with_token(sub_id, token, _context())
    except alerts.NotPending:
        return _html("Tautan tidak berlaku / Link not valid", NOT_PENDING, 404)
    return _html(
        "Langganan aktif / Subscribed",
        "Anda akan menerima ringkasan harian laporan di area ini. You will get a daily digest of reports in this area.",
    )


@bp.route("/alerts/unsubscribe", methods=["GET"])
@handles_errors
def unsubscribe_page():
    sub_id, token = _link_params()
    form = (
        '<form method="post" action="unsubscribe">'
        f'<input type="hidden" name="s" value="{escape(sub_id)}">'
        f'<input type="hidden" name="t" value="{escape(token)}">'
        "<button>Berhenti berlangganan / Unsubscribe</button></form>"
    )
    return _html(
        "Berhenti berlangganan? / Unsubscribe?",
        "Tekan tombol untuk berhenti menerima peringatan area ini. Press the button to stop the alerts for this area.",
        form=form,
    )


@bp.route("/alerts/unsubscribe", methods=["POST"], content_types=["*/*"])
@handles_errors
@limited(bp, "alert_codes", fail_closed=True, refused=_too_many_page)
def unsubscribe():
    from chalicelib.services import alerts
    from chalicelib.services.alert_models import AlertUnsubscribeCommand
    from chalicelib.services.lifecycle import parse

    request = bp.current_request
    command = parse(AlertUnsubscribeCommand, _payload(request, form=True))
    answer = alerts.unsubscribe(command.s, command.t, _context())
    if "text/html" in (request.headers.get("accept") or ""):
        return _html(
            "Berhenti berlangganan / Unsubscribed",
            "Anda tidak akan menerima peringatan area ini lagi. You will get no more alerts for this area.",
        )
    return json_response(answer)
