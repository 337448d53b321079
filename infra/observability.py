"""Alarms and the dashboard that need the app's functions, generated into the infra stack
(`make deploy`) and the packaged template (`make package`) by infra/deploy.py.

infra/template.yaml keeps the alarms that are about one resource of its own (each
dead-letter queue, SLA breaches, unreadable and poisoned items). Here: per function,
the API, the table and its indexes, SES reputation, and the dashboard
``crm-<stage>``. The reasoning behind each threshold, and what to do when one fires,
is the alarm table in docs/operations.md ("Logs, metrics, alarms"), which
tests/deploy/test_alarms.py holds to this file.

Rates, not single events: a function's error alarm is Errors / Invocations >= 5 % in
3 of 5 five-minute periods, counted only when a period has at least 10 invocations
(at 673 reports a day the API sees ~35 requests in 5 minutes; one failed request
among them is not worth waking someone). Scheduled functions run too rarely for a
rate: there one failed run (two in a row for the 5-minute sweep) is the alarm.
"""

from __future__ import annotations

import json
from typing import Any

from infra import iam

APP_NAME = "crm"
API_STAGE = "api"  # .chalice/config.json api_gateway_stage
WEBHOOK_RESOURCE = "/webhooks/{channel}"  # the one method with detailed (per-method) metrics: POST


def method_settings() -> list[dict[str, Any]]:
    """The API stage's detailed metrics: POST /webhooks/{channel} only (7 metrics, billed as custom)."""
    return [{"ResourcePath": WEBHOOK_RESOURCE.replace("/", "~1"), "HttpMethod": "POST", "MetricsEnabled": True}]


PERIOD = 300
ERROR_RATE_PERCENT = 5
MIN_INVOCATIONS = 10  # per period, before an error rate counts
RATE_DATAPOINTS = (3, 5)  # M of N periods
API_P99_MS = 5_000  # every API request
WEBHOOK_P99_MS = 8_000  # provider webhooks: photos are decoded and re-encoded before the answer
ITERATOR_AGE_MS = 300_000
SWEEP_DURATION_SHARE = 0.6  # of the sweep's timeout: it runs every 5 minutes, so runs would overlap
TABLE_THROTTLES = 10  # throttled read+write events in a period, 2 of 3 periods
SES_BOUNCE_RATE = 0.05  # AWS reviews an account at 10 %
SES_COMPLAINT_RATE = 0.001  # AWS reviews an account at 0.5 %
# Mails SES found a virus in, an hour (chalicelib/services/email_intake.py drops them): one is SES
# doing its job; a burst is someone aiming malware at the reports inbox (a security signal).
INBOUND_VIRUS_MAILS = 5
INBOUND_VIRUS_METRIC = "InboundVirusMail"

# Functions started by a schedule: a whole run per invocation, too few for a rate.
SCHEDULED_EVERY_5_MINUTES = {"sla_sweep"}
# Functions that answer a person synchronously: a throttle is a failed request.
SYNCHRONOUS = {"api_handler", "cognito"}

# Custom metrics (namespace CRM/<stage>, chalicelib/cloudwatch.py) the dashboard shows.
CASES_OPENED = "CasesOpened"  # services/intake.py, per channel
SWEEP_ITEMS_READ = "SweepItemsRead"  # services/sla_sweep.py, due cases read per run
CUSTOM_METRICS = (CASES_OPENED, "SlaBreaches", SWEEP_ITEMS_READ, "PoisonedItems", "UnreadableItems")


def _alarm(name: str | dict[str, Any], description: str, **properties: Any) -> dict[str, Any]:
    """``name``: text, or a CloudFormation value ({"Fn::Sub": ...})."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": name,
            "AlarmDescription": description,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopic"}],
            "OKActions": [{"Ref": "AlarmTopic"}],
            **properties,
        },
    }


def _metric(query_id: str, namespace: str, metric: str, dimensions: dict[str, Any], stat: str = "Sum") -> dict:
    return {
        "Id": query_id,
        "ReturnData": False,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions.items()],
            },
            "Period": PERIOD,
            "Stat": stat,
        },
    }


def _rate(errors: dict, total: dict, label: str) -> list[dict[str, Any]]:
    """errors / total in percent, 0 while total is under MIN_INVOCATIONS."""
    return [
        errors,
        total,
        {
            "Id": "rate",
            "Label": label,
            "ReturnData": True,
            "Expression": f"IF(FILL(total, 0) >= {MIN_INVOCATIONS}, 100 * FILL(errors, 0) / total, 0)",
        },
    ]


def function_alarms(stage: str, function: str, source: Any, timeout: int | None) -> dict[str, Any]:
    """Alarms for one Lambda function, by logical id (prefixed with the function's)."""
    from chalice.app import DynamoDBEventConfig, ScheduledEventConfig

    name = iam.lambda_name(function, stage, APP_NAME)
    dimensions = {"FunctionName": name}
    alarms: dict[str, Any] = {}
    if isinstance(source, ScheduledEventConfig):
        every_5_minutes = function in SCHEDULED_EVERY_5_MINUTES
        alarms["Errors"] = _alarm(
            f"{name}-errors",
            f"{name} failed a whole run"
            + (" twice in a row: deadlines are not being checked." if every_5_minutes else ".")
            + " See its log group.",
            Namespace="AWS/Lambda",
            MetricName="Errors",
            Dimensions=[{"Name": "FunctionName", "Value": name}],
            Statistic="Sum",
            Period=PERIOD,
            EvaluationPeriods=3 if every_5_minutes else 1,
            DatapointsToAlarm=2 if every_5_minutes else 1,
            Threshold=1,
        )
    else:
        alarms["ErrorRate"] = _alarm(
            f"{name}-error-rate",
            f"{name}: {ERROR_RATE_PERCENT} % or more of its invocations failed in {RATE_DATAPOINTS[0]} of "
            f"{RATE_DATAPOINTS[1]} five-minute periods (at least {MIN_INVOCATIONS} invocations). See its log group.",
            Metrics=_rate(
                _metric("errors", "AWS/Lambda", "Errors", dimensions),
                _metric("total", "AWS/Lambda", "Invocations", dimensions),
                "error %",
            ),
            EvaluationPeriods=RATE_DATAPOINTS[1],
            DatapointsToAlarm=RATE_DATAPOINTS[0],
            Threshold=ERROR_RATE_PERCENT,
        )
    if function in SYNCHRONOUS:
        alarms["Throttles"] = _alarm(
            f"{name}-throttles",
            f"{name} was throttled (concurrency limit): those requests failed.",
            Namespace="AWS/Lambda",
            MetricName="Throttles",
            Dimensions=[{"Name": "FunctionName", "Value": name}],
            Statistic="Sum",
            Period=PERIOD,
            EvaluationPeriods=1,
            Threshold=1,
        )
    if isinstance(source, DynamoDBEventConfig):
        alarms["IteratorAge"] = _alarm(
            f"{name}-iteratorage",
            f"{name} is more than 5 minutes behind its stream.",
            Namespace="AWS/Lambda",
            MetricName="IteratorAge",
            Dimensions=[{"Name": "FunctionName", "Value": name}],
            Statistic="Maximum",
            Period=PERIOD,
            EvaluationPeriods=1,
            Threshold=ITERATOR_AGE_MS,
        )
    if function in SCHEDULED_EVERY_5_MINUTES and timeout:
        limit = int(timeout * 1000 * SWEEP_DURATION_SHARE)
        alarms["Duration"] = _alarm(
            f"{name}-duration",
            f"A run of {name} took {limit // 1000} s or more twice in 15 minutes: the due list grows faster "
            f"than it is worked, and at {timeout} s runs are cut off.",
            Namespace="AWS/Lambda",
            MetricName="Duration",
            Dimensions=[{"Name": "FunctionName", "Value": name}],
            Statistic="Maximum",
            Period=PERIOD,
            EvaluationPeriods=3,
            DatapointsToAlarm=2,
            Threshold=limit,
        )
    return alarms


def _p99_alarm(suffix: str, description: str, dimensions: Any, threshold_ms: int) -> dict[str, Any]:
    """API Gateway's p99 latency over ``threshold_ms`` in M of N five-minute periods."""
    return _alarm(
        {"Fn::Sub": f"crm-${{Stage}}-{suffix}"},
        description,
        Namespace="AWS/ApiGateway",
        MetricName="Latency",
        Dimensions=dimensions,
        ExtendedStatistic="p99",
        Period=PERIOD,
        EvaluationPeriods=RATE_DATAPOINTS[1],
        DatapointsToAlarm=RATE_DATAPOINTS[0],
        Threshold=threshold_ms,
    )


def api_alarms() -> dict[str, Any]:
    api = {"ApiName": {"Ref": "ApiName"}, "Stage": API_STAGE}
    webhook = {**api, "Resource": WEBHOOK_RESOURCE, "Method": "POST"}

    def latency(dimensions: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"Name": name, "Value": value} for name, value in dimensions.items()]

    return {
        "Api5xxRateAlarm": _alarm(
            {"Fn::Sub": "crm-${Stage}-api-5xx-rate"},
            f"{ERROR_RATE_PERCENT} % or more of API requests answered 5xx (includes 503 not_configured: a missing "
            f"secret) in {RATE_DATAPOINTS[0]} of {RATE_DATAPOINTS[1]} five-minute periods.",
            Metrics=_rate(
                _metric("errors", "AWS/ApiGateway", "5XXError", api),
                _metric("total", "AWS/ApiGateway", "Count", api),
                "5xx %",
            ),
            EvaluationPeriods=RATE_DATAPOINTS[1],
            DatapointsToAlarm=RATE_DATAPOINTS[0],
            Threshold=ERROR_RATE_PERCENT,
        ),
        "ApiLatencyAlarm": _p99_alarm(
            "api-latency-p99",
            f"The slowest 1 % of API requests took {API_P99_MS // 1000} s or more in {RATE_DATAPOINTS[0]} of "
            f"{RATE_DATAPOINTS[1]} five-minute periods.",
            latency(api),
            API_P99_MS,
        ),
        "WebhookLatencyAlarm": _p99_alarm(
            "webhook-latency-p99",
            f"The slowest 1 % of provider webhooks (POST {WEBHOOK_RESOURCE}) took {WEBHOOK_P99_MS // 1000} s or "
            f"more in {RATE_DATAPOINTS[0]} of {RATE_DATAPOINTS[1]} five-minute periods: providers time out and retry.",
            latency(webhook),
            WEBHOOK_P99_MS,
        ),
    }


def _throttle_alarm(name: Any, description: str, dimensions: dict[str, Any]) -> dict[str, Any]:
    return _alarm(
        name,
        description,
        Metrics=[
            _metric("reads", "AWS/DynamoDB", "ReadThrottleEvents", dimensions),
            _metric("writes", "AWS/DynamoDB", "WriteThrottleEvents", dimensions),
            {
                "Id": "throttled",
                "Label": "throttled events",
                "ReturnData": True,
                "Expression": "FILL(reads, 0) + FILL(writes, 0)",
            },
        ],
        EvaluationPeriods=3,
        DatapointsToAlarm=2,
        Threshold=TABLE_THROTTLES,
    )


def table_alarms(template: dict[str, Any]) -> dict[str, Any]:
    """Throttled reads and writes of each table and of each of its global secondary indexes."""
    alarms: dict[str, Any] = {}
    for logical, resource in template["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        properties = resource["Properties"]
        table = {"Ref": logical}
        table_name = properties["TableName"]["Fn::Sub"]
        alarms[f"{logical}ThrottleAlarm"] = _throttle_alarm(
            {"Fn::Sub": f"{table_name}-throttles"},
            f"{TABLE_THROTTLES} or more reads and writes of the table were throttled in 2 of 3 five-minute periods "
            "(the SDK's retries did not absorb them; a hot partition?).",
            {"TableName": table},
        )
        for index in properties.get("GlobalSecondaryIndexes", []):
            index_name = index["IndexName"]
            key = "".join(part.capitalize() for part in index_name.split("-"))
            alarms[f"{logical}{key}ThrottleAlarm"] = _throttle_alarm(
                {"Fn::Sub": f"{table_name}-{index_name}-throttles"},
                f"{TABLE_THROTTLES} or more reads and writes of {index_name} were throttled in 2 of 3 five-minute "
                "periods (an index that cannot keep up also throttles the table's writes).",
                {"TableName": table, "GlobalSecondaryIndexName": index_name},
            )
    return alarms


def ses_alarms() -> dict[str, Any]:
    def reputation(metric: str, threshold: float, why: str) -> dict[str, Any]:
        return _alarm(
            {"Fn::Sub": f"crm-${{Stage}}-ses-{metric.split('.')[1].lower()}"},
            why,
            Namespace="AWS/SES",
            MetricName=metric,
            Statistic="Maximum",
            Period=900,
            EvaluationPeriods=1,
            Threshold=threshold,
        )

    return {
        "SesBounceRateAlarm": reputation(
            "Reputation.BounceRate",
            SES_BOUNCE_RATE,
            "SES bounce rate of this account reached 5 % (AWS reviews the account at 10 % and may pause sending): "
            "replies and alert digests go to addresses that do not exist.",
        ),
        "InboundVirusMailAlarm": _alarm(
            {"Fn::Sub": "crm-${Stage}-inbound-virus-mail"},
            f"{INBOUND_VIRUS_MAILS} or more mails to the reports address carried a virus in an hour (SES verdict FAIL; "
            "dropped unread, InboundVirusMail): someone may be targeting the inbox. Runbook: docs/security.md.",
            Namespace={"Fn::Sub": "CRM/${Stage}"},
            MetricName=INBOUND_VIRUS_METRIC,
            Statistic="Sum",
            Period=3600,
            EvaluationPeriods=1,
            Threshold=INBOUND_VIRUS_MAILS,
        ),
        "SesComplaintRateAlarm": reputation(
            "Reputation.ComplaintRate",
            SES_COMPLAINT_RATE,
            "SES complaint rate of this account reached 0.1 % (AWS reviews the account at 0.5 %): recipients mark "
            "our mail as spam (area-alert digests?).",
        ),
    }


# --- the dashboard ----------------------------------------------------------------------------------


def _widget(title: str, metrics: list[list[Any]], *, x: int, y: int, stat: str = "Sum", period: int = PERIOD, **more):
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": 8,
        "height": 6,
        "properties": {
            "title": title,
            "region": "${AWS::Region}",
            "view": "timeSeries",
            "stat": stat,
            "period": period,
            "metrics": metrics,
            **more,
        },
    }


def dashboard(stage: str, functions: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    """The ``crm-<stage>`` dashboard: intake, the API, deadlines, backlogs, the sweep, errors."""
    namespace = "CRM/${Stage}"
    api = ["ApiName", "${ApiName}", "Stage", API_STAGE]
    webhook = ["ApiName", "${ApiName}", "Method", "POST", "Resource", WEBHOOK_RESOURCE, "Stage", API_STAGE]
    sweep = iam.lambda_name("sla_sweep", stage, APP_NAME)
    dead_letters = [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", _sub_text(template, logical)]
        for logical in dead_letter_queues(template)
    ]
    errors = [
        ["AWS/Lambda", "Errors", "FunctionName", iam.lambda_name(function, stage, APP_NAME)] for function in functions
    ]
    table = template["Resources"]["CasesTable"]["Properties"]["TableName"]["Fn::Sub"]
    widgets = [
        _widget(
            "Reports opened per channel (per hour)",
            [[{"expression": f"SEARCH('{{{namespace},channel}} MetricName=\"{CASES_OPENED}\"', 'Sum', 3600)"}]],
            x=0,
            y=0,
            period=3600,
            stacked=True,
        ),
        _widget(
            "API requests, 4xx and 5xx",
            [
                ["AWS/ApiGateway", "Count", *api, {"label": "requests"}],
                ["AWS/ApiGateway", "4XXError", *api, {"label": "4xx"}],
                ["AWS/ApiGateway", "5XXError", *api, {"label": "5xx"}],
            ],
            x=8,
            y=0,
        ),
        _widget(
            "Latency p99 (ms): API and provider webhooks",
            [
                ["AWS/ApiGateway", "Latency", *api, {"stat": "p99", "label": "API p99"}],
                ["AWS/ApiGateway", "Latency", *webhook, {"stat": "p99", "label": f"POST {WEBHOOK_RESOURCE} p99"}],
                ["AWS/ApiGateway", "Latency", *api, {"stat": "p50", "label": "API p50"}],
            ],
            x=16,
            y=0,
            stat="p99",
            annotations={"horizontal": [{"label": "alarm (API)", "value": API_P99_MS}]},
        ),
        _widget(
            "SLA breaches per hour",
            [[namespace, "SlaBreaches", {"label": "all agencies"}]],
            x=0,
            y=6,
            period=3600,
        ),
        _widget("Dead-letter queues (messages waiting)", dead_letters, x=8, y=6, stat="Maximum"),
        _widget(
            "Poisoned and unreadable items",
            [[namespace, "PoisonedItems"], [namespace, "UnreadableItems"]],
            x=16,
            y=6,
        ),
        _widget(
            "SLA sweep: duration (ms) and due cases read per run",
            [
                ["AWS/Lambda", "Duration", "FunctionName", sweep, {"stat": "Maximum", "label": "duration, max"}],
                [namespace, SWEEP_ITEMS_READ, {"stat": "Maximum", "label": "due cases read", "yAxis": "right"}],
            ],
            x=0,
            y=12,
            stat="Maximum",
        ),
        _widget("Lambda errors per function", errors, x=8, y=12),
        _widget(
            "DynamoDB throttled events, SES reputation",
            [
                ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", table, {"label": "table reads throttled"}],
                ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", table, {"label": "table writes throttled"}],
                ["AWS/SES", "Reputation.BounceRate", {"stat": "Maximum", "yAxis": "right", "label": "SES bounce"}],
                ["AWS/SES", "Reputation.ComplaintRate", {"stat": "Maximum", "yAxis": "right", "label": "complaints"}],
            ],
            x=16,
            y=12,
        ),
    ]
    return {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {
            "DashboardName": {"Fn::Sub": "crm-${Stage}"},
            "DashboardBody": {"Fn::Sub": json.dumps({"widgets": widgets}, separators=(",", ":"))},
        },
    }


def _sub_text(template: dict[str, Any], logical: str) -> str:
    name = template["Resources"][logical]["Properties"]["QueueName"]
    return name["Fn::Sub"] if isinstance(name, dict) else name


def dead_letter_queues(template: dict[str, Any]) -> list[str]:
    """Queues that are another queue's redrive target, or named *-dlq (the relay's on-failure destination)."""
    found = []
    for logical, resource in template["Resources"].items():
        if resource["Type"] != "AWS::SQS::Queue":
            continue
        redrive = (resource.get("Properties") or {}).get("RedrivePolicy")
        if redrive:
            found.append(redrive["deadLetterTargetArn"]["Fn::GetAtt"][0])
        if _sub_text(template, logical).endswith("-dlq"):
            found.append(logical)
    return sorted(set(found))


def resources(stage: str, functions: dict[str, Any], template: dict[str, Any], timeouts: dict[str, int]) -> dict:
    """Everything this module adds to ``template`` (infra/template.yaml as loaded)."""
    from infra.deploy import function_logical_id

    added: dict[str, Any] = {}
    for function, source in functions.items():
        logical = function_logical_id(function)
        for kind, alarm in function_alarms(stage, function, source, timeouts.get(function)).items():
            added[f"{logical}{kind}Alarm"] = alarm
    added.update(api_alarms())
    added.update(table_alarms(template))
    added.update(ses_alarms())
    added["Dashboard"] = dashboard(stage, functions, template)
    return added
