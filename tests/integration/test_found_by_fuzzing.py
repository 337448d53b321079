"""Bugs in existing routes found while fuzzing, checked over HTTP on the stack."""

import pytest
import requests


@pytest.mark.timeout(60)
def test_a_metrics_period_in_december_9999_answers(stack):
    for path in ("/metrics/agencies", "/metrics/agencies/dinas-lh"):
        response = requests.get(f"{stack.api_url}{path}", params={"from": "9999-12-01", "to": "9999-12-31"}, timeout=30)
        assert response.status_code == 200


def test_deleting_a_routing_rule_that_cannot_exist_is_a_422(stack, officers):
    for params in ({"category": "x" * 2000}, {"category": "garbage", "area": "y" * 2000}):
        response = requests.delete(
            f"{stack.api_url}/admin/routing-rules", params=params, headers=officers["admin"], timeout=10
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_failed"
