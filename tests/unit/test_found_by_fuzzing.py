"""Regression tests for bugs in existing routes found while fuzzing the API
(schemathesis against the stack, and probes of the same generated shapes)."""

import pytest
from chalice.test import Client

from chalicelib import bootstrap
from chalicelib.adapters.metrics_store import months_between
from tests.support.fakes import FakeMetricsStore, FakeRateLimiter


@pytest.mark.timeout(20)
def test_months_between_ends_at_the_last_month_even_in_year_9999():
    assert months_between("9999-11", "9999-12") == ["9999-11", "9999-12"]
    assert months_between("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert months_between("2026-11", "2026-10") == []
    assert months_between("0162-07", "0162-08") == ["0162-07", "0162-08"]  # years keep four digits


@pytest.mark.parametrize(
    "query", ["from=9999-12-01&to=9999-12-31", "to=0162-08-15", "to=0001-01-15", "from=0001-01-01&to=0001-01-02"]
)
def test_odd_but_valid_dates_never_break_the_dashboard(monkeypatch, query):
    import app

    monkeypatch.setenv("CRM_STAGE", "local")
    bootstrap.override(metrics=FakeMetricsStore(), limiter=FakeRateLimiter())
    with Client(app.app) as client:
        for path in ("/metrics/agencies", "/metrics/agencies/dinas-lh"):
            assert client.http.get(f"{path}?{query}").status_code in (200, 422)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("path", ["/metrics/agencies", "/metrics/agencies/dinas-lh"])
def test_a_period_ending_in_december_9999_answers(monkeypatch, path):
    # Before the fix, GET /metrics/agencies?from=9999-12-01&to=9999-12-31 never
    # answered: the month after "9999-12" compared as text sorts before it.
    import app

    monkeypatch.setenv("CRM_STAGE", "local")
    bootstrap.override(metrics=FakeMetricsStore(), limiter=FakeRateLimiter())
    with Client(app.app) as client:
        response = client.http.get(f"{path}?from=9999-12-01&to=9999-12-31")
    assert response.status_code == 200


class _RefusingClient:
    """DynamoDB as it answers a start key it does not take (moto does not check this)."""

    def query(self, **request):
        from botocore.exceptions import ClientError

        raise ClientError(
            {
                "Error": {"Code": "ValidationException", "Message": "The provided starting key is invalid"},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            "Query",
        )


def test_a_cursor_dynamodb_refuses_is_a_422_not_a_500(monkeypatch):
    from chalicelib.adapters import aws
    from chalicelib.adapters.case_queries import CaseQueries
    from chalicelib.adapters.notification_store import NotificationStore
    from chalicelib.adapters.table import encode_cursor
    from chalicelib.domain.errors import InvalidInput

    monkeypatch.setattr(aws, "client", lambda service: _RefusingClient())
    forged = encode_cursor({"PK": {"S": "INBOX#someone-else"}, "SK": {"S": "x"}})
    with pytest.raises(InvalidInput) as queue:
        CaseQueries("t").queue("agency", "dinas-lh", cursor=forged)
    assert queue.value.problems[0][0] == "cursor"
    with pytest.raises(InvalidInput):
        NotificationStore("t").page("dinas-lh", cursor=forged)
    with pytest.raises(Exception) as without_cursor:  # not a cursor problem: not hidden as one
        CaseQueries("t").queue("agency", "dinas-lh")
    assert not isinstance(without_cursor.value, InvalidInput)
