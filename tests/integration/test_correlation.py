"""One report followed across functions: the API request's correlation id travels with
the case's events (outbox -> stream -> relay -> SNS -> SQS) into the workers' log
lines, through the local event runner on the moto server (docs/operations.md)."""

import json
import time

import requests

from tests.integration.conftest import partner_body, signed_headers
from tests.support.log_lines import captured_lines

RELAY = "crm-local-relay_case_events"


def post_with_id(stack, correlation_id: str) -> str:
    raw = json.dumps(partner_body()).encode()
    response = requests.post(
        f"{stack.api_url}/webhooks/jaki",
        data=raw,
        headers={**signed_headers(raw), "X-Correlation-Id": correlation_id},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    assert response.headers["X-Correlation-Id"] == correlation_id
    return response.json()["tracking_code"]


def naming(lines, code):
    """The lines about one case: they name it by its tracking code or its public id."""
    from chalicelib.config import settings
    from chalicelib.domain.request_ids import public_id

    names = (code, public_id(code, settings().tracking_code_key))
    return [line for line in lines if any(name in json.dumps(line) for name in names)]


def test_a_workers_lines_for_a_case_created_through_the_api_carry_the_requests_id(stack, runner):
    first_id, second_id = f"trace-{time.time_ns()}-a", f"trace-{time.time_ns()}-b"
    first, second = post_with_id(stack, first_id), post_with_id(stack, second_id)

    with captured_lines() as lines:
        runner.drain()
    assert runner.dead_letters == []
    workers = [line for line in lines() if line.get("function_name", RELAY) != RELAY]
    assert workers and all({"function_name", "request_id", "cold_start"} <= set(line) for line in workers)

    for code, mine, other in ((first, first_id, second_id), (second, second_id, first_id)):
        about = naming(workers, code)
        routed = [line for line in about if line["message"] == "case routed"]
        assert routed and routed[0]["function_name"] == "crm-local-case_followups", about
        # ...and routing's own write (case.assigned) carries it on to the reply sender.
        assert any(line["function_name"] == "crm-local-send_replies" for line in about), about
        # Every worker line about the case carries its request's id; none carries the other's.
        assert {line["correlation_id"] for line in about} == {mine}, about
        assert not naming([line for line in workers if line["correlation_id"] == other], code)
