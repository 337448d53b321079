"""Least privilege, checked offline: every AWS call in chalicelib/ is allowed by
the policy of each function that runs it, and nothing else is granted broadly.

When this fails after you added an AWS call: add the action (on the specific
resource ARN) to the function's statements in infra/functions.yaml, and the
module to its `uses:` list. See docs/operations.md "IAM".
"""

from __future__ import annotations

import textwrap

import pytest

from infra import iam
from infra.local.provision import load_template

SPEC = iam.load_functions()
FUNCTIONS = SPEC["functions"]
EXCEPTIONS = iam.wildcard_exceptions(SPEC)


@pytest.fixture(scope="module")
def app_functions():
    import app

    return iam.app_functions(app)


@pytest.fixture(scope="module")
def calls():
    return iam.aws_calls()


def test_every_function_of_the_app_has_a_policy_and_no_policy_is_orphaned(app_functions):
    assert set(app_functions) - set(FUNCTIONS) == set(), "add these functions to infra/functions.yaml"
    assert set(FUNCTIONS) - set(app_functions) == set(), "infra/functions.yaml names functions app.py lacks"


def test_the_finder_sees_the_calls_the_adapters_make(calls):
    found = {(c.module, c.operation) for c in calls}
    assert ("chalicelib.adapters.case_repository", "PutItem") in found
    assert ("chalicelib.adapters.case_repository", "GetItem") in found
    assert ("chalicelib.adapters.event_publisher", "PublishBatch") in found
    assert ("chalicelib.adapters.photo_store", "GetObject") in found  # a presigned GET URL
    assert ("chalicelib.adapters.health", "HeadBucket") in found


def test_every_module_that_calls_aws_is_used_by_some_function(calls):
    used = {module for spec in FUNCTIONS.values() for module in spec.get("uses", [])}
    orphans = [c.where() for c in calls if c.module not in used]
    assert not orphans, (
        "AWS calls in modules no function lists under `uses:` in infra/functions.yaml:\n  " + "\n  ".join(orphans)
    )


def test_every_call_is_allowed_by_the_policy_of_each_function_that_makes_it(calls):
    problems = []
    for function, spec in FUNCTIONS.items():
        allowed = [action for statement in iam.statements(function, "dev", spec) for action in statement["Action"]]
        for call in calls:
            if call.module not in spec.get("uses", []):
                continue
            missing = [action for action in call.actions if not iam.action_allowed(action, allowed)]
            if missing:
                problems.append(f"{function}: {call.where()} needs {', '.join(missing)}")
    assert not problems, "not allowed by infra/functions.yaml:\n  " + "\n  ".join(problems)


def test_declared_modules_are_reachable_from_the_function_handler():
    roots = iam.handler_roots()
    for function, spec in FUNCTIONS.items():
        reachable = iam.import_closure(roots.get(function, set()))
        unreachable = set(spec.get("uses", [])) - reachable
        assert not unreachable, f"{function} cannot reach {sorted(unreachable)}: fix `uses:` in infra/functions.yaml"


def test_policies_have_no_wildcards_beyond_the_documented_exceptions():
    for function, spec in FUNCTIONS.items():
        for statement in iam.statements(function, "prod", spec):
            assert statement.get("Sid"), f"{function}: every statement needs a Sid"
            for action in statement["Action"]:
                assert "*" not in action, f"{function}: wildcard action {action}"
                assert ":" in action, f"{function}: {action} is not service:Action"
            for resource in statement["Resource"]:
                if iam.is_wildcard_resource(resource):
                    for action in statement["Action"]:
                        assert (function, action) in EXCEPTIONS, f"{function}: {action} on {resource}"


def test_policy_placeholders_name_real_stack_outputs():
    outputs = load_template()["Outputs"]
    resolve = iam.reference_resolver(outputs)
    for function, spec in FUNCTIONS.items():
        iam.policy_document(function, "dev", spec, resolve)  # raises on an unknown ${Output}
    concrete = iam.concrete_resolver({name: f"arn:aws:x:::{name}" for name in outputs}, "ap-southeast-3", "1" * 12)
    document = iam.policy_document("relay_case_events", "dev", FUNCTIONS["relay_case_events"], concrete)
    resources = [r for s in document["Statement"] for r in s["Resource"]]
    assert "arn:aws:x:::CaseEventsTopicArn" in resources
    assert all("${" not in r for r in resources)


@pytest.mark.parametrize(
    "resource, wildcard",
    [
        ("*", True),
        ("arn:*:logs:*:*:*", True),
        ("arn:aws:sns:ap-southeast-3:111111111111:*", True),
        ("arn:aws:s3:::bucket/public/*", False),
        ("arn:aws:ssm:ap-southeast-3:111111111111:parameter/crm/dev/*", False),
        ("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/crm-dev:*", False),
    ],
)
def test_what_counts_as_a_wildcard_resource(resource, wildcard):
    assert iam.is_wildcard_resource(resource) is wildcard


def test_the_finder_follows_clients_through_variables_attributes_and_helpers(tmp_path):
    """A new call anywhere must be found, however the client reaches it."""
    package = tmp_path / "chalicelib" / "adapters"
    package.mkdir(parents=True)
    (package / "media_queue.py").write_text(
        textwrap.dedent("""
        from chalicelib.adapters import aws

        def _sqs():
            return aws.client("sqs")

        class MediaQueue:
            def __init__(self):
                self.table = aws.client("dynamodb")

            @property
            def _s3(self):
                return aws.client("s3")

            def send(self, url, body):
                _sqs().send_message_batch(QueueUrl=url, Entries=[])
                self.table.update_item(TableName="t", Key={})
                self._s3.copy_object(Bucket="b", Key="k", CopySource="c")
                pages = self._s3.get_paginator("list_objects_v2")
                ses = aws.client("sesv2")
                ses.send_email(Content={})
                return pages
    """)
    )
    found = {(c.operation, c.actions) for c in iam.aws_calls(tmp_path / "chalicelib")}
    assert found == {
        ("SendMessageBatch", ("sqs:SendMessage",)),
        ("UpdateItem", ("dynamodb:UpdateItem",)),
        ("CopyObject", ("s3:GetObject", "s3:PutObject")),
        ("ListObjectsV2", ("s3:ListBucket",)),
        ("SendEmail", ("ses:SendEmail", "ses:SendRawEmail")),
    }


def test_a_new_call_without_a_policy_fails_with_a_clear_message(tmp_path):
    """What another branch sees when it adds a call but no permission."""
    package = tmp_path / "chalicelib" / "adapters"
    package.mkdir(parents=True)
    (package / "case_repository.py").write_text(
        "from chalicelib.adapters import aws\n\ndef touch():\n    aws.client('dynamodb').delete_table(TableName='t')\n"
    )
    calls = iam.aws_calls(tmp_path / "chalicelib")
    with pytest.raises(
        AssertionError,
        match=r"api_handler: chalicelib/adapters/case_repository.py:4 "
        r"dynamodb.DeleteTable needs dynamodb:DeleteTable",
    ):
        test_every_call_is_allowed_by_the_policy_of_each_function_that_makes_it(calls)
