"""Issue 17, over HTTP against the moto server: a date from outside is believed
only inside the window (2000-01-01T00:00Z to ten minutes from now), and one
unreadable stored item never turns a list or a page into a 500."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from chalicelib.domain import tracking
from chalicelib.domain.clock import JAKARTA
from tests.integration.conftest import partner_body, post_report

OLD = "0001-01-01T00:00:00+00:00"
BEFORE_THE_WINDOW = "0999-12-31T23:00:00+07:00"
JUST_BEFORE_2000 = "1999-12-31T23:59:59+00:00"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def _soon() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


# --- dates from outside ----------------------------------------------------------------------


@pytest.mark.parametrize("when", [OLD, BEFORE_THE_WINDOW, JUST_BEFORE_2000, "soon"])
def test_a_partner_report_dated_outside_the_window_is_refused_naming_created_at(stack, when):
    when = _soon() if when == "soon" else when
    response = post_report(stack, partner_body(created_at=when))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert [detail["field"] for detail in error["details"]] == ["created_at"]


def test_a_partner_report_dated_inside_the_window_is_taken_and_reads_back(stack):
    for when in ("2000-01-01T00:00:00+00:00", (datetime.now(UTC) - timedelta(minutes=1)).isoformat()):
        response = post_report(stack, partner_body(created_at=when))
        assert response.status_code == 201, response.text
        status = requests.get(response.json()["status_url"], timeout=10)
        assert status.status_code == 200, status.text


@pytest.mark.parametrize("when", [BEFORE_THE_WINDOW, OLD, "soon"])
def test_the_desk_refuses_a_walk_in_report_dated_outside_the_window(stack, officers, when):
    body = {
        "idempotency_key": secrets.token_hex(16),
        "category": "garbage",
        "description": "Sampah menumpuk di depan kantor kelurahan.",
        "reported_at": _soon() if when == "soon" else when,
    }
    response = requests.post(f"{stack.api_url}/officer/intake", json=body, headers=officers["intake"], timeout=30)
    assert response.status_code == 422, response.text
    assert [detail["field"] for detail in response.json()["error"]["details"]] == ["reported_at"]


@pytest.mark.parametrize("when", [OLD, "soon"])
def test_the_websites_json_api_refuses_a_date_outside_the_window(stack, when):
    body = {
        "category": "garbage",
        "description": "Sampah di trotoar",
        "submission_id": secrets.token_hex(12),
        "reported_at": _soon() if when == "soon" else when,
    }
    response = requests.post(f"{stack.api_url}/reports", json=body, timeout=30)
    assert response.status_code == 422, response.text
    assert [detail["field"] for detail in response.json()["error"]["details"]] == ["reported_at"]


def test_the_websites_json_api_keeps_a_date_inside_the_window(stack):
    when = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    body = {"category": "garbage", "description": "Sampah di trotoar", "reported_at": when}
    response = requests.post(f"{stack.api_url}/reports", json=body, timeout=30)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("when", ["0999-12-31T23:00", "1999-12-31T23:59", "soon"])
def test_the_form_answers_a_date_outside_the_window_with_its_page_again(stack, when):
    if when == "soon":  # the form's datetime-local field is Jakarta time
        when = (datetime.now(JAKARTA) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    fields = {
        "submission_id": secrets.token_hex(12),
        "category": "garbage",
        "description": "Sampah di trotoar",
        "reported_at": when,
    }
    response = requests.post(f"{stack.api_url}/report", data=fields, headers=FORM, timeout=30)
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"].startswith("text/html")
    assert 'role="alert"' in response.text and "reported_at" in response.text
    assert f'value="{when}"' in response.text  # what the reporter typed is kept


def test_the_form_takes_a_jakarta_time_inside_the_window(stack):
    when = (datetime.now(JAKARTA) - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    fields = {
        "submission_id": secrets.token_hex(12),
        "category": "garbage",
        "description": "Sampah",
        "reported_at": when,
    }
    response = requests.post(f"{stack.api_url}/report", data=fields, headers=FORM, timeout=30)
    assert response.status_code == 201, response.text


@pytest.fixture(scope="module")
def partner_key(stack, officers):
    response = requests.post(
        f"{stack.api_url}/admin/open311/keys", json={"name": "Aplikasi tanggal"}, headers=officers["admin"], timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()["api_key"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("when", [OLD, "1999-12-31T23:59:59Z", "soon"])
def test_open311_refuses_a_requested_datetime_outside_the_window_in_its_own_format(stack, partner_key, fmt, when):
    fields = {
        "api_key": partner_key,
        "service_code": "garbage",
        "lat": "-6.2297",
        "long": "106.8272",
        "description": f"Sampah {time.time_ns()}",
        "requested_datetime": _soon() if when == "soon" else when,
    }
    response = requests.post(f"{stack.api_url}/open311/v2/requests.{fmt}", data=fields, headers=FORM, timeout=30)
    assert response.status_code == 400, response.text
    if fmt == "json":
        (error,) = response.json()
        assert error["code"] == 400 and error["description"].startswith("requested_datetime: ")
    else:
        assert "<code>400</code>" in response.text and "requested_datetime: " in response.text


def test_open311_keeps_a_requested_datetime_inside_the_window(stack, partner_key):
    fields = {
        "api_key": partner_key,
        "service_code": "garbage",
        "lat": "-6.2297",
        "long": "106.8272",
        "description": f"Sampah {time.time_ns()}",
        "requested_datetime": "2026-11-23T10:00:00+07:00",
    }
    response = requests.post(f"{stack.api_url}/open311/v2/requests.json", data=fields, headers=FORM, timeout=30)
    assert response.status_code == 201, response.text


# --- unreadable stored items -----------------------------------------------------------------
#
# Written straight into the table with boto3, as a bug, a hand edit or an old
# version might have left them. Every list answers 200 without them; a single
# read of one answers 503 in the house error shape (never a 500).


class Table:
    """Items this test puts into the table, deleted afterwards."""

    def __init__(self, stack, aws):
        self.client, self.name, self.keys = aws("dynamodb"), stack.env["CASES_TABLE"], []

    def get(self, pk: str, sk: str) -> dict:
        return self.client.get_item(TableName=self.name, Key={"PK": {"S": pk}, "SK": {"S": sk}})["Item"]

    def put(self, item: dict) -> None:
        self.client.put_item(TableName=self.name, Item=item)
        self.keys.append({"PK": item["PK"], "SK": item["SK"]})

    def clean(self) -> None:
        for key in self.keys:
            self.client.delete_item(TableName=self.name, Key=key)


@pytest.fixture
def table(stack, aws):
    written = Table(stack, aws)
    yield written
    written.clean()


def _copy(original: dict, new_code: str, **changes) -> dict:
    """A case item like ``original`` under another code, in the agency queue (first rows), changed."""
    item = {
        **original,
        "PK": {"S": f"CASE#{new_code}"},
        "code": {"S": new_code},
        "source_key": {"S": f"jaki:copy-{new_code}"},
        "day_sk": {"S": f"{original['created_at']['S']}#{new_code}"},
        "queue_pk": {"S": "AGENCY#dinas-lh"},
        "queue_sk": {"S": f"2000-01-01T00:00:00.000000Z#{new_code}"},
        "card": {"M": {**original["card"]["M"], "code": {"S": new_code}, "agency_id": {"S": "dinas-lh"}}},
    }
    for name in ("due_pk", "due_sk", "outbox"):  # no sweep, no events for these
        item.pop(name, None)
    for name, value in changes.items():
        if value is None:
            item.pop(name, None)
        else:
            item[name] = value
    return item


@pytest.fixture
def broken_cases(stack, table):
    """A good copy of a real case and three unreadable ones, by what is wrong with them."""
    answer = post_report(
        stack, partner_body(reporter={"anonymous": True}, description=f"Sampah rusak {time.time_ns()}")
    )
    assert answer.status_code == 201, answer.text
    original = table.get(f"CASE#{answer.json()['tracking_code']}", "CASE")
    codes = {name: tracking.new_code() for name in ("good", "old_year", "no_code", "sla_not_a_map", "card")}
    table.put(_copy(original, codes["good"]))
    table.put(_copy(original, codes["old_year"], created_at={"S": "1-01-01T00:00:00.000000Z"}))
    table.put(_copy(original, codes["no_code"], code=None))
    table.put(_copy(original, codes["sla_not_a_map"], sla={"S": "broken"}))
    card = {**original["card"]["M"], "code": {"S": codes["card"]}, "created_at": {"S": "1-01-01T00:00:00.000000Z"}}
    table.put(_copy(original, codes["card"], card={"M": card}))
    return original["created_at"]["S"], codes


def _ids(response) -> list[str]:
    return [request["service_request_id"] for request in response.json()]


def test_open311_lists_skip_unreadable_cases_in_both_formats(stack, broken_cases):
    created, codes = broken_cases
    moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    window = {
        "start_date": (moment - timedelta(seconds=1)).isoformat(),
        "end_date": (moment + timedelta(seconds=1)).isoformat(),
    }
    listed = requests.get(f"{stack.api_url}/open311/v2/requests.json", params=window, timeout=30)
    assert listed.status_code == 200, listed.text
    description = requests.get(f"{stack.api_url}/status/{codes['good']}", timeout=10).json()["description"]
    ours = [request["service_request_id"] for request in listed.json() if request["description"] == description]
    assert len(ours) == 3, "the original, the good copy and the case whose card is broken (its own item is fine)"
    as_xml = requests.get(f"{stack.api_url}/open311/v2/requests.xml", params=window, timeout=30)
    assert as_xml.status_code == 200 and as_xml.text.count(f"<description>{description}</description>") == 3

    by_id = requests.get(
        f"{stack.api_url}/open311/v2/requests.json", params={"service_request_id": ",".join(ours)}, timeout=30
    )
    assert by_id.status_code == 200 and sorted(_ids(by_id)) == sorted(ours)


def test_the_status_page_and_one_case_answer_a_clear_error_for_an_unreadable_case(stack, officers, broken_cases):
    _created, codes = broken_cases
    assert requests.get(f"{stack.api_url}/track", params={"code": codes["old_year"]}, timeout=10).status_code == 200
    assert requests.get(f"{stack.api_url}/status/{codes['good']}", timeout=10).status_code == 200
    for name in ("old_year", "no_code", "sla_not_a_map"):
        for url, headers in (
            (f"{stack.api_url}/status/{codes[name]}", {}),
            (f"{stack.api_url}/officer/cases/{codes[name]}", officers["supervisor"]),
        ):
            response = requests.get(url, headers=headers, timeout=10)
            assert response.status_code == 503, (name, url, response.text)
            assert response.json()["error"]["code"] == "record_unreadable"


def test_the_officer_queue_skips_an_unreadable_card(stack, officers, broken_cases):
    _created, codes = broken_cases
    response = requests.get(
        f"{stack.api_url}/officer/queue",
        params={"view": "agency", "agency_id": "dinas-lh", "limit": "100"},
        headers=officers["supervisor"],
        timeout=30,
    )
    assert response.status_code == 200, response.text
    shown = {row["tracking_code"] for row in response.json()["items"]}
    # The queue shows cards (projected at write time): the cases whose own items are broken
    # still have readable cards; the broken card is left out.
    assert {codes["good"], codes["old_year"], codes["no_code"], codes["sla_not_a_map"]} <= shown
    assert codes["card"] not in shown


def test_the_agency_dashboard_skips_an_unreadable_counter_item(stack, table):
    suffix = str(time.time_ns())
    day = datetime.now(JAKARTA).date()
    month, dd = day.strftime("%Y-%m"), day.strftime("%d")
    table.put({"PK": {"S": f"METRICS#{month}"}, "SK": {"S": f"good-{suffix}#{dd}"}, "received": {"N": "4"}})
    table.put({"PK": {"S": f"METRICS#{month}"}, "SK": {"S": f"bad-{suffix}#{dd}"}, "received": {"S": "banyak"}})
    response = requests.get(
        f"{stack.api_url}/metrics/agencies", params={"from": day.isoformat(), "to": day.isoformat()}, timeout=30
    )
    assert response.status_code == 200, response.text
    rows = {row["agency_id"]: row for row in response.json()["agencies"]}
    assert rows[f"good-{suffix}"]["received"] == 4 and f"bad-{suffix}" not in rows


def test_other_stored_lists_skip_an_unreadable_item(stack, officers, table):
    suffix = str(time.time_ns())
    notification = {
        "PK": {"S": "INBOX#dinas-sda"},
        "event_id": {"S": f"e-{suffix}"},
        "occurred_at": {"S": "9999-12-31T00:00:00.000000Z"},
        "event_type": {"S": "case.assigned"},
        "tracking_code": {"S": "0PKGC-G9CY8-0EHH"},
        "title": {"S": "Laporan baru"},
    }
    table.put({**notification, "SK": {"S": f"9999-12-31T00:00:00.000000Z#good-{suffix}"}})
    table.put({**notification, "SK": {"S": f"9999-12-31T00:00:01.000000Z#bad-{suffix}"}, "detail": {"SS": ["x"]}})
    table.put({"PK": {"S": "OPEN311#KEYS"}, "SK": {"S": f"KEY#bad{suffix}"}, "key_id": {"S": f"bad{suffix}"}})
    table.put({"PK": {"S": "ROUTING"}, "SK": {"S": f"RULE#bad-{suffix}#*"}, "agency_id": {"S": "dinas-lh"}})
    table.put({"PK": {"S": "TEMPLATES#dinas-sda"}, "SK": {"S": f"TEMPLATE#bad{suffix}"}, "template_id": {"S": "bad"}})

    inbox = requests.get(f"{stack.api_url}/officer/notifications", headers=officers["sda"], timeout=10)
    assert inbox.status_code == 200, inbox.text
    assert [item["event_id"] for item in inbox.json()["items"][:1]] == [f"e-{suffix}"]
    assert len([item for item in inbox.json()["items"] if item["event_id"] == f"e-{suffix}"]) == 1
    keys = requests.get(f"{stack.api_url}/admin/open311/keys", headers=officers["admin"], timeout=10)
    assert keys.status_code == 200 and f"bad{suffix}" not in keys.text
    rules = requests.get(f"{stack.api_url}/admin/routing-rules", headers=officers["admin"], timeout=10)
    assert rules.status_code == 200 and rules.json()["rules"]
    templates = requests.get(f"{stack.api_url}/officer/templates", headers=officers["sda"], timeout=10)
    assert templates.status_code == 200 and f"bad{suffix}" not in templates.text


def test_a_whatsapp_message_with_a_1970_timestamp_is_kept_dated_when_received(client):
    """A provider cannot be told its timestamp is wrong: the message becomes a case, dated by us."""
    from chalicelib.bootstrap import services
    from tests.support import providers as wire

    payload = wire.whatsapp_text("Sampah menumpuk di depan pasar")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["timestamp"] = "0"
    body = wire.dumps(payload)
    before = datetime.now(UTC)
    answer = client.http.post("/webhooks/whatsapp", body=body, headers=wire.meta_headers(body))
    assert answer.status_code == 200, answer.body
    code = tracking.derive_code(services().settings.tracking_code_key, "whatsapp", message["id"])
    case = services().cases.get(code)
    assert case is not None and case.reported_at is None and case.created_at >= before - timedelta(seconds=1)
    assert client.http.get(f"/status/{code}").status_code == 200
