"""The real app in this process, on the moto server: request counting and
injected AWS failures (a botocore hook answers for AWS)."""

import json

import pytest
from botocore.awsrequest import AWSResponse

from chalicelib.adapters import aws as aws_clients
from tests.integration.conftest import partner_body, signed_headers, unique
from tests.support.aws_calls import AwsCalls


@pytest.fixture
def dynamodb_calls(app_env):
    counter = AwsCalls("dynamodb", short=True)
    yield counter.made
    counter.stop()


def post(client, body, channel="jaki"):
    raw = json.dumps(body).encode()
    return client.http.post(f"/webhooks/{channel}", body=raw, headers=signed_headers(raw, channel))


def test_accepting_a_report_costs_one_dynamodb_request(client, dynamodb_calls):
    body = partner_body()
    assert post(client, body).status_code == 201
    assert dynamodb_calls == ["PutItem"]
    dynamodb_calls.clear()
    assert post(client, body).status_code == 200  # a retried delivery: still one
    assert dynamodb_calls == ["PutItem"]


def test_a_status_read_costs_one_get_item(client, dynamodb_calls):
    code = json.loads(post(client, partner_body()).body)["tracking_code"]
    dynamodb_calls.clear()
    assert client.http.get(f"/status/{code}").status_code == 200
    assert dynamodb_calls == ["GetItem"]


def throttle(operation):
    def answer(request, **_):
        if request.context.get("operation_name", operation) != operation:
            return None
        body = json.dumps(
            {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "Rate exceeded"}
        ).encode()
        return AWSResponse(request.url, 400, {"x-amzn-ErrorType": "ThrottlingException"}, _Raw(body))

    return answer


class _Raw:
    def __init__(self, body):
        self._body = body

    def stream(self, **_):
        yield self._body

    def read(self, *_):
        return self._body


def test_throttled_storage_answers_503_with_retry_after_and_stores_nothing(client, stack, aws):
    body = partner_body(unique("THROTTLED"))
    dynamodb = aws_clients.client("dynamodb")
    hook = throttle("PutItem")
    dynamodb.meta.events.register("before-send.dynamodb.PutItem", hook)
    try:
        response = post(client, body)
    finally:
        dynamodb.meta.events.unregister("before-send.dynamodb.PutItem", hook)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert json.loads(response.body)["error"]["code"] == "temporarily_unavailable"
    scan = aws("dynamodb").scan(
        TableName=stack.env["CASES_TABLE"],
        FilterExpression="source_key = :s",
        ExpressionAttributeValues={":s": {"S": f"jaki:{body['report_id']}"}},
    )
    assert scan["Items"] == []
    # The provider retries once AWS recovers, and gets its case.
    assert post(client, body).status_code == 201


@pytest.fixture
def json_logs():
    """Everything the app logs, as the JSON objects it writes."""
    import io
    import logging

    from chalicelib.logs import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    from chalicelib.logs import ROOT_LOGGER

    logger = logging.getLogger(ROOT_LOGGER)
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_logs_carry_the_correlation_id_and_no_reporter_identity(client, json_logs):
    body = partner_body(
        reporter={"name": "Siti Penanda", "phone": "+6281277770000", "email": "penanda@example.com", "anonymous": False}
    )
    raw = json.dumps(body).encode()
    response = client.http.post(
        "/webhooks/jaki", body=raw, headers={**signed_headers(raw), "X-Correlation-Id": "trace-42"}
    )
    assert response.status_code == 201
    lines = json_logs()
    opened = [line for line in lines if line.get("message") == "case opened"]
    assert opened and opened[0]["correlation_id"] == "trace-42", lines
    text = json.dumps(lines)
    for marker in ("Siti Penanda", "6281277770000", "penanda@example.com"):
        assert marker not in text


def test_save_is_versioned_one_request_and_refuses_a_stale_copy(client, dynamodb_calls):
    from chalicelib.bootstrap import services
    from chalicelib.domain.errors import ConcurrentUpdate
    from chalicelib.domain.events import CaseReceived

    code = json.loads(post(client, partner_body()).body)["tracking_code"]
    cases = services().cases
    mine, theirs = cases.get(code), cases.get(code)
    dynamodb_calls.clear()
    mine.record(CaseReceived(occurred_at=mine.updated_at, channel="jaki", category="garbage"))
    cases.save(mine)
    assert dynamodb_calls == ["PutItem"]
    assert mine.version == 2 and cases.get(code).version == 2
    theirs.description = "a stale edit"
    with pytest.raises(ConcurrentUpdate) as refused:
        cases.save(theirs)
    assert refused.value.current_version == 2
    assert cases.get(code).description != "a stale edit"
