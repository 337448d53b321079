"""Administration of the Open311 partner keys (admins only).

GET    /admin/open311/keys              every key ever issued (never the key itself)
POST   /admin/open311/keys              {"name", "channel"?}: a new key, shown once in the answer
DELETE /admin/open311/keys/{key_id}     revoke it (at once: the next POST with it gets 403)
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api import auth
from chalicelib.api.http import handles_errors, json_response, not_found

bp = Blueprint(__name__)


def _admin():
    from chalicelib.domain.permissions import Role

    principal = auth.principal_of(bp.current_request)
    auth.require_role(principal, Role.ADMIN)
    return principal


def _view(stored):
    from chalicelib.domain.clock import parse_instant, to_jakarta_text
    from chalicelib.services.api_keys import key_view

    view = key_view(stored)
    for name in ("created_at", "revoked_at"):
        instant = view[name]
        if instant:
            view[name] = to_jakarta_text(parse_instant(instant))
    return view


@bp.route("/admin/open311/keys", methods=["GET"], authorizer=auth.cognito)
@handles_errors
def list_keys():
    from chalicelib.bootstrap import services
    from chalicelib.services import api_keys

    _admin()
    keys = api_keys.all_keys(services().api_key_store())
    return json_response({"keys": [_view(key) for key in keys]}, headers={"Cache-Control": "no-store"})


@bp.route("/admin/open311/keys", methods=["POST"], authorizer=auth.cognito, content_types=["*/*"])
@handles_errors
def issue_key():
    import json

    from chalicelib.api.http import read_body
    from chalicelib.bootstrap import services
    from chalicelib.domain.clock import to_utc_text
    from chalicelib.domain.errors import InvalidInput
    from chalicelib.services import api_keys
    from chalicelib.services.lifecycle import parse

    principal = _admin()
    try:
        payload = json.loads(read_body(bp.current_request, ("application/json",)) or b"{}")
    except (ValueError, RecursionError):
        raise InvalidInput([("body", "is not valid JSON")]) from None
    command = parse(api_keys.IssueKeyCommand, payload)
    app = services()
    stored, raw = api_keys.issue(
        app.api_key_store(),
        command,
        principal.user_id,
        to_utc_text(app.clock()),
        app.settings.required_secret("OPEN311_API_KEY_SECRET"),
    )
    return json_response({"key": _view(stored), "api_key": raw}, 201, headers={"Cache-Control": "no-store"})


@bp.route("/admin/open311/keys/{key_id}", methods=["DELETE"], authorizer=auth.cognito)
@handles_errors
def revoke_key(key_id):
    from chalicelib.bootstrap import services
    from chalicelib.domain.clock import to_utc_text
    from chalicelib.services import api_keys

    principal = _admin()
    app = services()
    stored = api_keys.revoke(app.api_key_store(), key_id, principal.user_id, to_utc_text(app.clock()))
    if stored is None:
        raise not_found("No API key has this id.")
    return json_response({"key": _view(stored)}, headers={"Cache-Control": "no-store"})
