"""Offline checks of infra/template.yaml's alarms: no dead-letter queue fills up
and no item is quarantined unnoticed. (cfn-lint and the package tests check the
template's syntax.)"""

from __future__ import annotations

import pytest

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
