"""Offline checks of infra/template.yaml's alarms: no dead-letter queue fills up
and no item is quarantined unnoticed. (cfn-lint and the package tests check the
template's syntax.)"""

from __future__ import annotations

import json

import pytest

from infra import deploy, iam, observability
from infra.local.provision import load_template

RESOURCES = load_template()["Resources"]


def _queue_name(logical_id: str) -> str:
    name = RESOURCES[logical_id]["Properties"]["QueueName"]
    return name["Fn::Sub"] if isinstance(name, dict) else name


def _dead_letter_queues() -> set[str]:
    """Queues that are some queue's redrive target, or named *-dlq (the relay's
    on-failure destination is set on the Lambda, not in a RedrivePolicy)."""
    queues = {name: resource for name, resource in RESOURCES.items() if resource["Type"] == "AWS::SQS::Queue"}
    targets = set()
    for name, resource in queues.items():
        redrive = (resource.get("Properties") or {}).get("RedrivePolicy")
        if redrive:
            targets.add(redrive["deadLetterTargetArn"]["Fn::GetAtt"][0])
        if _queue_name(name).endswith("-dlq"):
            targets.add(name)
    assert targets <= set(queues), "a RedrivePolicy points at something that is not a queue of this template"
    return targets


def _queue_depth_alarms() -> dict[str, dict]:
    """Dead-letter alarms by the logical id of the queue they watch."""
    alarms = {}
    for resource in RESOURCES.values():
        properties = resource.get("Properties") or {}
        if resource["Type"] == "AWS::CloudWatch::Alarm" and properties.get("Namespace") == "AWS/SQS":
            [dimension] = properties["Dimensions"]
            assert dimension["Name"] == "QueueName"
            queue, attribute = dimension["Value"]["Fn::GetAtt"]
            assert attribute == "QueueName"
            alarms[queue] = properties
    return alarms


def test_the_finder_sees_the_dead_letter_queues_we_know():
    assert {
        "RelayDeadLetterQueue",
        "FollowupsDeadLetters",
        "RepliesDeadLetterQueue",
        "MediaDeadLetterQueue",
        "InboundEmailDeadLetterQueue",
    } <= _dead_letter_queues()
    assert "FollowupsQueue" not in _dead_letter_queues()


def test_every_dead_letter_queue_has_an_alarm_on_its_first_message():
    alarms = _queue_depth_alarms()
    missing = _dead_letter_queues() - set(alarms)
    assert not missing, f"add an alarm like RelayDeadLetterAlarm for: {sorted(missing)}"
    for queue, alarm in alarms.items():
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible", queue
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", queue
        assert alarm["Statistic"] == "Maximum" and alarm["TreatMissingData"] == "notBreaching", queue
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], queue


def test_alarm_names_are_unique_and_say_which_queue():
    alarms = _queue_depth_alarms()
    names = [alarm["AlarmName"]["Fn::Sub"] for alarm in alarms.values()]
    assert len(names) == len(set(names))
    for queue, alarm in alarms.items():
        assert alarm["AlarmName"]["Fn::Sub"] == f"{_queue_name(queue)}-not-empty", queue


@pytest.mark.parametrize(
    "metric_of",
    [
        # chalicelib/adapters/unreadable.py: a stored item skipped from a list or answered 503
        lambda: __import__("chalicelib.adapters.unreadable", fromlist=["METRIC"]).METRIC,
        # chalicelib/services/batch.py: an item quarantined after its bounded attempts
        lambda: __import__("chalicelib.services.batch", fromlist=["POISON_METRIC"]).POISON_METRIC,
    ],
    ids=["unreadable-items", "poisoned-items"],
)
def test_an_item_that_needs_a_person_pages_on_the_first_one(metric_of):
    metric = metric_of()
    (alarm,) = [
        resource["Properties"]
        for resource in RESOURCES.values()
        if resource["Type"] == "AWS::CloudWatch::Alarm" and resource["Properties"].get("MetricName") == metric
    ]
    assert alarm["Namespace"] == {"Fn::Sub": "CRM/${Stage}"}  # where chalicelib/cloudwatch.py writes
    assert "Dimensions" not in alarm, "the total over every list/source, which every EMF line carries"
    assert alarm["Statistic"] == "Sum" and alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_queues_redrive_after_the_receive_that_quarantines():
    """A message is quarantined on its last receive before the redrive, so the
    bound in code and maxReceiveCount in the template must agree."""
    from chalicelib.services.batch import SQS_MAX_RECEIVES

    redrives = {
        name: resource["Properties"]["RedrivePolicy"]["maxReceiveCount"]
        for name, resource in RESOURCES.items()
        if resource["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in (resource.get("Properties") or {})
    }
    assert len(redrives) >= 6
    assert set(redrives.values()) == {SQS_MAX_RECEIVES}, redrives


# --- the generated alarms and the dashboard (infra/observability.py) -------------------------------

STAGE_TEMPLATES = {}


def _infra(stage: str = "prod") -> dict:
    """The infra stack `make deploy` creates (and `make package` merges): template.yaml + generated."""
    if stage not in STAGE_TEMPLATES:
        import app

        STAGE_TEMPLATES[stage] = deploy.infra_template(stage, iam.app_functions(app))
    return STAGE_TEMPLATES[stage]


def _alarms(stage: str = "prod") -> dict[str, dict]:
    return {
        logical: resource["Properties"]
        for logical, resource in _infra(stage)["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }


def _name(alarm: dict, stage: str = "prod") -> str:
    name = alarm["AlarmName"]
    return (name["Fn::Sub"] if isinstance(name, dict) else name).replace("${Stage}", stage)


def _metric_stats(alarm: dict) -> list[dict]:
    return [query["MetricStat"] for query in alarm.get("Metrics", []) if "MetricStat" in query]


def test_each_function_has_one_error_alarm_a_rate_unless_it_runs_on_a_schedule():
    from chalice.app import ScheduledEventConfig

    import app

    alarms = _alarms()
    for function, source in iam.app_functions(app).items():
        name = iam.lambda_name(function, "prod")
        errors = [a for a in alarms.values() if _name(a) in (f"{name}-errors", f"{name}-error-rate")]
        assert len(errors) == 1, function
        (alarm,) = errors
        if isinstance(source, ScheduledEventConfig):
            # one run per invocation, a few a day: one failed run is the alarm (two in a row for the sweep)
            assert alarm["MetricName"] == "Errors" and alarm["Threshold"] == 1, function
            assert alarm["DatapointsToAlarm"] == (2 if function == "sla_sweep" else 1), function
            continue
        errors_metric, invocations = _metric_stats(alarm)
        assert errors_metric["Metric"]["MetricName"] == "Errors", function
        assert invocations["Metric"]["MetricName"] == "Invocations", function
        assert errors_metric["Metric"]["Dimensions"] == [{"Name": "FunctionName", "Value": name}], function
        (expression,) = [query for query in alarm["Metrics"] if query.get("ReturnData")]
        assert expression["Expression"] == (
            f"IF(FILL(total, 0) >= {observability.MIN_INVOCATIONS}, 100 * FILL(errors, 0) / total, 0)"
        )
        assert alarm["Threshold"] == 5 and (alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]) == (3, 5)


def test_no_alarm_pages_on_a_single_error_of_a_request_or_queue_function():
    """The old alarms fired on Errors >= 1 in one period for every function."""
    from chalice.app import ScheduledEventConfig

    import app

    scheduled = {
        iam.lambda_name(function, "prod")
        for function, source in iam.app_functions(app).items()
        if isinstance(source, ScheduledEventConfig)
    }
    for alarm in _alarms().values():
        if alarm.get("MetricName") == "Errors":
            (dimension,) = alarm["Dimensions"]
            assert dimension["Value"] in scheduled, _name(alarm)


def test_the_api_has_a_5xx_rate_and_p99_latency_alarms_for_all_requests_and_the_webhooks():
    alarms = {_name(alarm): alarm for alarm in _alarms().values()}
    rate = alarms["crm-prod-api-5xx-rate"]
    assert [m["Metric"]["MetricName"] for m in _metric_stats(rate)] == ["5XXError", "Count"]
    assert "crm-prod-api-5xx" not in alarms, "replaced by the rate"
    api = alarms["crm-prod-api-latency-p99"]
    webhook = alarms["crm-prod-webhook-latency-p99"]
    for alarm in (api, webhook):
        assert alarm["MetricName"] == "Latency" and alarm["ExtendedStatistic"] == "p99"
        assert 1_000 <= alarm["Threshold"] <= 29_000, "under API Gateway's 29 s timeout"
    dimensions = {d["Name"]: d["Value"] for d in webhook["Dimensions"]}
    assert dimensions["Resource"] == "/webhooks/{channel}" and dimensions["Method"] == "POST"
    # the per-method metric exists only where detailed metrics are on for that method
    (setting,) = observability.method_settings()
    assert setting == {"ResourcePath": "~1webhooks~1{channel}", "HttpMethod": "POST", "MetricsEnabled": True}


def test_every_table_and_every_index_have_a_throttle_alarm():
    template = load_template()
    tables = {name: r["Properties"] for name, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}
    assert {"CasesTable", "RateLimitsTable"} <= set(tables)
    expected = {
        (name, index)
        for name, table in tables.items()
        for index in [None, *(i["IndexName"] for i in table.get("GlobalSecondaryIndexes", []))]
    }
    watched = set()
    for alarm in _alarms().values():
        stats = _metric_stats(alarm)
        if stats and stats[0]["Metric"]["Namespace"] == "AWS/DynamoDB":
            assert [s["Metric"]["MetricName"] for s in stats] == ["ReadThrottleEvents", "WriteThrottleEvents"]
            dimensions = {d["Name"]: d["Value"] for d in stats[0]["Metric"]["Dimensions"]}
            watched.add((dimensions["TableName"]["Ref"], dimensions.get("GlobalSecondaryIndexName")))
    assert watched == expected


def test_ses_reputation_alarms_fire_before_aws_reviews_the_account():
    alarms = {alarm["MetricName"]: alarm for alarm in _alarms().values() if alarm.get("Namespace") == "AWS/SES"}
    assert alarms["Reputation.BounceRate"]["Threshold"] == 0.05 < 0.10
    assert alarms["Reputation.ComplaintRate"]["Threshold"] == 0.001 < 0.005


def test_every_alarm_notifies_the_alarm_topic_and_tolerates_missing_data():
    for logical, alarm in _alarms().items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical
        assert alarm["TreatMissingData"] == "notBreaching", logical
    names = [_name(alarm) for alarm in _alarms().values()]
    assert len(names) == len(set(names))


def _dashboard(stage: str = "prod") -> dict:
    body = _infra(stage)["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    for name, value in {"${Stage}": stage, "${AWS::Region}": "ap-southeast-3", "${ApiName}": "crm"}.items():
        body = body.replace(name, value)
    assert "${" not in body, "only parameters and pseudo parameters are substituted"
    return json.loads(body)


def test_the_dashboard_shows_what_the_issue_asks_for():
    titles = [widget["properties"]["title"] for widget in _dashboard()["widgets"]]
    for wanted in ("per channel", "4xx and 5xx", "p99", "SLA breaches", "Dead-letter", "sweep", "errors"):
        assert any(wanted in title for title in titles), wanted
    body = json.dumps(_dashboard())
    for queue in observability.dead_letter_queues(load_template()):
        assert _queue_name(queue).replace("${Stage}", "prod") in body, queue


def test_every_custom_metric_of_the_dashboard_is_emitted_by_the_app():
    """CRM/<stage> metrics exist only when chalicelib writes them (chalicelib/cloudwatch.py)."""
    import re
    from pathlib import Path

    source = "\n".join(path.read_text() for path in Path("chalicelib").rglob("*.py"))
    constants = dict(re.findall(r'^([A-Z_]+) = "([A-Za-z]+)"', source, re.MULTILINE))
    emitted = set(re.findall(r'cloudwatch\.count\(\s*"([A-Za-z]+)"', source))
    emitted |= {constants[name] for name in re.findall(r"cloudwatch\.count\(\s*([A-Z_]+)", source) if name in constants}
    shown = set()
    for widget in _dashboard()["widgets"]:
        for metric in widget["properties"]["metrics"]:
            if metric[0] == "CRM/prod":
                shown.add(metric[1])
            elif isinstance(metric[0], dict):
                shown |= set(re.findall(r'\{CRM/prod,\w+\} MetricName="(\w+)"', metric[0]["expression"]))
    assert shown == set(observability.CUSTOM_METRICS), shown
    assert shown <= emitted, f"never written by chalicelib: {shown - emitted}"


def test_the_docs_alarm_table_count_and_cost_match_the_template():
    """docs/operations.md names every alarm (with <stage>, <function>, <index>), says how many
    there are and what they cost."""
    import re
    from pathlib import Path

    import app

    docs = Path("docs/operations.md").read_text()
    documented = set(re.findall(r"^\s*\| `(crm-[^`]+)`", docs, re.MULTILINE))
    functions = [iam.lambda_name(f, "prod").removeprefix("crm-prod-") for f in iam.app_functions(app)]
    indexes = [
        i["IndexName"] for i in load_template()["Resources"]["CasesTable"]["Properties"]["GlobalSecondaryIndexes"]
    ]
    for alarm in _alarms().values():
        name = _name(alarm).replace("crm-prod", "crm-<stage>")
        candidates = {name}
        candidates |= {name.replace(f"-{f}-", "-<function>-") for f in functions}
        candidates |= {name.replace(f"-{i}-", "-<index>-") for i in indexes}
        candidates.add(name.replace("crm-<stage>-", "crm-<stage>-<function>-"))  # the API function is crm-<stage>
        assert candidates & documented, f"{name} is not in the alarm table of docs/operations.md"
    count = len(_alarms())
    metrics = sum(len(_metric_stats(alarm)) or 1 for alarm in _alarms().values())
    assert f"That is {count} alarms" in docs
    assert f"{count} alarms ({metrics} alarm metrics)" in docs
