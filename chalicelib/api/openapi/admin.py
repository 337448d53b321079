"""Administration (Cognito, admin role): routing rules and Open311 partner keys."""

from __future__ import annotations

from chalicelib.api.openapi.spec import Body, Operation, Param, Reply
from chalicelib.services import responses as r
from chalicelib.services.api_keys import IssueKeyCommand
from chalicelib.services.commands import RoutingRuleCommand

TAGS = ("admin",)

OPERATIONS = {
    ("GET", "/admin/routing-rules"): Operation(
        summary="The effective routing rules (seed and admins' edits)",
        tags=TAGS,
        responses={200: Reply("Every rule, marked by source", r.RoutingRules)},
    ),
    ("PUT", "/admin/routing-rules"): Operation(
        summary="Add or change a rule: this category (in this area) goes to this agency",
        tags=TAGS,
        body=Body(RoutingRuleCommand, example={"category": "garbage", "area": "31.71", "agency_id": "sudin-lh-jakpus"}),
        responses={200: Reply("The rules after the change", r.RoutingRules)},
        errors=(413, 415, 422),
    ),
    ("DELETE", "/admin/routing-rules"): Operation(
        summary="Drop an edit (the seed rule, if any, applies again)",
        tags=TAGS,
        params=(
            Param("category", "query", {"type": "string"}, required=True, example="garbage"),
            Param("area", "query", {"type": "string"}, example="31.71"),
        ),
        responses={200: Reply("The rules after the change", r.RoutingRules)},
        errors=(422,),
    ),
    ("GET", "/admin/open311/keys"): Operation(
        summary="Every Open311 partner key ever issued (never the keys themselves)",
        tags=TAGS,
        responses={200: Reply("The keys, newest first", r.ApiKeys)},
    ),
    ("POST", "/admin/open311/keys"): Operation(
        summary="Issue a partner key (shown once)",
        description="`channel` (default `balai_warga`) is the channel of every report posted with the key.",
        tags=TAGS,
        body=Body(IssueKeyCommand, example={"name": "Aplikasi RW Siaga", "channel": "balai_warga"}),
        responses={201: Reply("The new key", r.ApiKeyIssued)},
        errors=(413, 415, 422),
    ),
    ("DELETE", "/admin/open311/keys/{key_id}"): Operation(
        summary="Revoke a partner key (at once; revoking twice changes nothing)",
        tags=TAGS,
        params=(Param("key_id", "path", {"type": "string", "maxLength": 40}, example="k7m2q9x4tr"),),
        responses={200: Reply("The key, revoked", r.ApiKeyOne)},
        errors=(404,),
    ),
}
