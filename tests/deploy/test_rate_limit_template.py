"""The deployed API's own throttles: API Gateway stage throttling (rate and burst, stricter
per method where it matters) and the optional WAF web ACL with per-address rate-based
rules (issue 19: docs/security.md relied on stage throttles the template did not have)."""

from __future__ import annotations

import json

import pytest

from infra import deploy, iam
from infra.local.provision import load_template


@pytest.fixture(scope="module")
def functions():
    import app

    return iam.app_functions(app)


def settings_by_route(settings):
    return {
        (s["ResourcePath"], s["HttpMethod"]): (s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"]) for s in settings
    }


def test_the_stage_has_a_default_throttle_and_stricter_ones_on_guessable_and_costly_methods():
    settings = settings_by_route(deploy.method_settings())
    default_rate, default_burst = settings[("/*", "*")]
    for route in [("/~1status~1{tracking_code}", "GET"), ("/~1reports", "POST"), ("/~1report", "POST")]:
        rate, burst = settings[route]
        assert rate < default_rate and burst < default_burst, route
    assert all(rate <= burst for rate, burst in settings.values())


def test_every_throttled_route_exists_in_the_app(functions):
    import app

    for route, method, _, _ in deploy.STAGE_THROTTLES:
        if route != "/*":
            assert method in app.app.routes[route], (route, method)


def test_make_deploy_sets_the_same_throttles_with_update_stage():
    operations = {op["path"]: op["value"] for op in deploy.throttle_patch_operations()}
    assert operations["/*/*/throttling/rateLimit"] == "100"
    assert operations["/~1status~1{tracking_code}/GET/throttling/burstLimit"] == "40"
    assert len(operations) == 2 * len(deploy.STAGE_THROTTLES)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_package_overlay_throttles_the_stage_and_puts_the_web_acl_on_it_when_enabled(stage, functions):
    overlay = deploy.package_overlay(stage, functions, iam.load_functions()["functions"])
    assert overlay["Resources"]["RestAPI"]["Properties"]["MethodSettings"] == deploy.method_settings()
    assert overlay["Parameters"]["EnableWaf"]["Default"] == ("true" if stage == "prod" else "false")
    association = overlay["Resources"]["ApiWebAclAssociation"]
    assert association["Condition"] == "WafEnabled"
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": ["ApiWebAcl", "Arn"]}
    assert "${RestAPI}/stages/${RestAPI.Stage}" in association["Properties"]["ResourceArn"]["Fn::Sub"]


def test_the_web_acl_blocks_one_address_over_its_rate_with_a_json_429():
    template = load_template()
    assert template["Conditions"]["WafEnabled"] == {"Fn::Equals": [{"Ref": "EnableWaf"}, "true"]}
    assert template["Parameters"]["EnableWaf"]["Default"] == "false"
    acl = template["Resources"]["ApiWebAcl"]
    assert acl["Condition"] == "WafEnabled" and acl["Properties"]["Scope"] == "REGIONAL"
    rules = {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}
    status = rules["tracking-code-reads-per-address"]["Statement"]["RateBasedStatement"]
    overall = rules["all-requests-per-address"]["Statement"]["RateBasedStatement"]
    assert status["AggregateKeyType"] == overall["AggregateKeyType"] == "IP"
    assert status["Limit"] < overall["Limit"]
    assert status["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/status/"
    for rule in rules.values():
        assert rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    body = json.loads(acl["Properties"]["CustomResponseBodies"]["rate_limited"]["Content"])
    assert body["error"]["code"] == "rate_limited"


def test_the_rate_limit_table_expires_its_counters_and_the_api_may_count_there():
    template = load_template()
    table = template["Resources"]["RateLimitsTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert "StreamSpecification" not in table
    statements = iam.load_functions()["functions"]["api_handler"]["statements"]
    counters = next(s for s in statements if s["Sid"] == "RateLimitCounters")
    assert counters["Action"] == ["dynamodb:UpdateItem"] and counters["Resource"] == ["${RateLimitsTableArn}"]


def test_the_infra_stack_still_fits_an_inline_template_body(functions):
    body = json.dumps(deploy.infra_template("prod", functions), separators=(",", ":"))
    assert len(body) <= 51_200
