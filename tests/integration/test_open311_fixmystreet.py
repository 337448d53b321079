"""FixMyStreet driving our Open311 server over HTTP, on the local stack: the
exact bodies its client builds (perllib/Open311.pm, rebuilt in
tests/support/fixmystreet.py) for a plain report, one with attributes, one
with ``multi_photos`` and the multipart upload; the status changes it fetches
back (servicerequestupdates); the citizens' updates it sends; and Open311's
error format on every path and method. Responses are read the way its client
reads them (XML, ``request/service_request_id``, ``request_update``...)."""

from __future__ import annotations

import base64
import time
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own server's answers
from datetime import UTC, datetime, timedelta

import pytest
import requests

from chalicelib.domain import request_ids
from tests.support import fixmystreet as fms
from tests.support.images import jpeg_with_metadata, metadata_leaks, png_bytes
from tests.support.providers import Answer

PHOTO = jpeg_with_metadata()


def url(stack, path):
    return f"{stack.api_url}/open311/v2/{path}"


def xml_of(response):
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8", response.text
    return ET.fromstring(response.content)  # noqa: S314 - our own server


@pytest.fixture
def code_of(app_env):
    """A request's tracking code, from its public id (with the stack's key, as the app reads it)."""
    from chalicelib.config import settings

    key = settings().tracking_code_key
    return lambda request_id: request_ids.tracking_code_of(request_id, key)


@pytest.fixture(scope="module")
def fms_key(stack, officers):
    response = requests.post(
        f"{stack.api_url}/admin/open311/keys",
        json={"name": "FixMyStreet Jakarta"},
        headers=officers["admin"],
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["api_key"]


def problem(number, **overrides):
    values = {
        "problem_id": number,
        "title": f"Jalan berlubang {number}",
        "detail": f"Lubang besar di depan halte, laporan {time.time_ns()}",
        "name": "Siti Aminah",
        "email": "siti.fms@example.com",
        "lat": -6.2297,
        "lng": 106.8272,
        "service_code": "damaged_road",
        "extra_fields": {"size": "large"},
    }
    values.update(overrides)
    return fms.report_params(**values)


def send_report(stack, key, params, photos=None, number=1):
    """POST requests.xml as Open311.pm's send_service_request does; the id as it reads it."""
    params = fms.with_credentials(params, key)
    if photos:
        content_type, body = fms.multipart(params, photos, number)
    else:
        content_type, body = "application/x-www-form-urlencoded", fms.urlencoded(params)
    response = requests.post(url(stack, "requests.xml"), data=body, headers={"Content-Type": content_type}, timeout=30)
    assert response.status_code == 201, response.text
    request_id = xml_of(response).findtext("request/service_request_id")
    assert request_id
    return request_id


def photo_links(providers, number, count):
    links = []
    for n in range(count):
        path = f"/photo/{number}.{n}.full.jpeg"
        providers.routes[f"GET {path}"] = Answer(200, jpeg_with_metadata(80 + n, 60), "image/jpeg")
        links.append(providers.url + path)
    return links


def public_photos(stack, request_id):
    (request,) = requests.get(url(stack, f"requests/{request_id}.json"), timeout=10).json()
    view = requests.get(f"{stack.api_url}/status/{request_id}", timeout=10).json()
    return request, view["photos"]


@pytest.mark.parametrize("variant", ["plain", "attributes", "multi_photos", "upload"])
def test_fixmystreet_reports_are_taken_as_its_client_sends_them(
    stack, runner, providers, fms_key, aws, code_of, variant
):
    number = time.time_ns() % 10**6
    if variant == "plain":
        request_id = send_report(stack, fms_key, problem(number))
    elif variant == "attributes":
        extra = {"size": "large", "fms_extra_easting": "706543", "fms_extra_northing": "9311234"}
        request_id = send_report(stack, fms_key, problem(number, extra_fields=extra, uprn="100023336956"))
    elif variant == "multi_photos":
        links = photo_links(providers, number, 2)
        request_id = send_report(stack, fms_key, problem(number, image_urls=links, multi_photos=True))
    else:
        photos = [("image/jpeg", PHOTO), ("image/png", png_bytes())]
        request_id = send_report(stack, fms_key, problem(number), photos=photos, number=number)
    runner.drain()  # routing; the media worker fetches linked photos
    request, photos = public_photos(stack, request_id)
    assert request["service_code"] == "damaged_road" and request["status"] == "open"
    assert "Siti" not in str(request) and "siti.fms@example.com" not in str(request)

    code = code_of(request_id)
    item = aws("dynamodb").get_item(
        TableName=stack.env["CASES_TABLE"], Key={"PK": {"S": f"CASE#{code}"}, "SK": {"S": "CASE"}}
    )["Item"]
    answers = {name: value.get("S") for name, value in item["answers"]["M"].items()}
    if variant == "attributes":  # kept for officers, never in a public answer
        assert answers == {"size": "large", "easting": "706543", "northing": "9311234", "uprn": "100023336956"}
        assert "706543" not in str(request) and "100023336956" not in str(request)
    else:
        assert answers == {"size": "large"}

    expected = {"plain": 0, "attributes": 0, "multi_photos": 2, "upload": 2}[variant]
    assert len(photos) == expected
    if variant == "multi_photos":
        fetched = providers.calls("GET", f"/photo/{number}.0.full.jpeg")
        assert fetched and fetched[0].headers["user-agent"] == "crm-jakarta/1"
    for photo in photos:
        served = requests.get(photo["url"], timeout=10)
        assert served.status_code == 200 and metadata_leaks(served.content) == []
    if photos:
        redirect = requests.get(request["media_url"], allow_redirects=False, timeout=10)
        assert redirect.status_code == 302


def officer(stack, headers, code, action, body=None):
    response = requests.post(
        f"{stack.api_url}/officer/cases/{code}/{action}", headers=headers, json=body or {}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


def resolve(stack, officers, code):
    officer(stack, officers["bina_marga"], code, "plan", {"text": "Ditambal besok pagi"})
    officer(stack, officers["bureau"], code, "plan/verify")
    officer(
        stack,
        officers["bina_marga"],
        code,
        "resolve",
        {"note": "Sudah ditambal", "photo_base64": base64.b64encode(jpeg_with_metadata(90, 70)).decode()},
    )


def w3c(moment):
    """DateTime::Format::W3CDTF->format_datetime of a UTC DateTime, as FixMyStreet sends it."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch_updates(stack, key, start, end):
    """Open311.pm's get_service_request_updates: GET with api_key, dates, jurisdiction_id."""
    response = requests.get(
        url(stack, "servicerequestupdates.xml"),
        params={"api_key": key, "start_date": w3c(start), "end_date": w3c(end), "jurisdiction_id": "jakarta.go.id"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    root = xml_of(response)
    assert root.tag == "service_request_updates"
    return [{child.tag: child.text for child in update} for update in root.findall("request_update")]


def test_fixmystreet_fetches_assign_to_close_in_order_and_never_a_confidential_case(
    stack, runner, officers, fms_key, code_of
):
    start = datetime.now(UTC) - timedelta(seconds=2)
    public_id = send_report(stack, fms_key, problem(1))
    secret_id = send_report(stack, fms_key, problem(2, title="Rahasia"))
    runner.drain()  # routing assigns both to Dinas Bina Marga
    code, secret = (code_of(rid) for rid in (public_id, secret_id))
    officer(stack, officers["bina_marga"], secret, "privacy", {"level": "confidential", "reason": "Pelapor terancam"})
    for case in (code, secret):
        resolve(stack, officers, case)
    closed = requests.post(f"{stack.api_url}/status/{code}/feedback", json={"rating": 5}, timeout=10)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    runner.drain()  # the reply worker files the status changes for the key

    listed = fetch_updates(stack, fms_key, start, datetime.now(UTC) + timedelta(seconds=2))
    assert {update["service_request_id"] for update in listed} == {public_id}
    assert [(u["external_status_code"], u["status"]) for u in listed] == [
        ("assigned", "open"),
        ("in_progress", "open"),
        ("resolved", "closed"),
        ("closed", "closed"),
    ]
    times = [datetime.fromisoformat(u["updated_datetime"]) for u in listed]
    assert times == sorted(times) and all(start <= moment for moment in times)
    assert len({u["update_id"] for u in listed}) == 4 and all(u["description"] for u in listed)
    resolved = listed[2]
    redirect = requests.get(resolved["media_url"], allow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    photo = requests.get(redirect.headers["Location"], timeout=10)
    assert photo.status_code == 200 and metadata_leaks(photo.content) == []
    assert [u["media_url"] for u in listed if u is not resolved] == [None, None, None]
    # FixMyStreet's default: the last two hours; and the JSON twin
    as_json = requests.get(
        url(stack, "servicerequestupdates.json"),
        params={
            "api_key": fms_key,
            "start_date": w3c(start),
            "end_date": w3c(datetime.now(UTC) + timedelta(seconds=2)),
        },
        timeout=30,
    ).json()
    assert [u["update_id"] for u in as_json] == [u["update_id"] for u in listed]


def post_update(stack, key, request_id, comment_id, fmt="xml", **overrides):
    values = {
        "comment_id": comment_id,
        "service_request_id": request_id,
        "text": "Masih berlubang setelah hujan",
        "name": "Budi Santoso",
        "email": "budi.fms@example.com",
        "confirmed": w3c(datetime.now(UTC)),
        "problem_open": True,
    }
    values.update(overrides)
    body = fms.urlencoded(fms.with_credentials(fms.update_params(**values), key))
    return requests.post(
        url(stack, f"servicerequestupdates.{fmt}"),
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )


def test_a_citizens_update_is_added_once_and_open_reopens_a_resolved_request(stack, runner, officers, fms_key, code_of):
    request_id = send_report(stack, fms_key, problem(3))
    runner.drain()
    code = code_of(request_id)
    comment = time.time_ns() % 10**9
    first = post_update(stack, fms_key, request_id, comment)
    again = post_update(stack, fms_key, request_id, comment)
    assert (first.status_code, again.status_code) == (201, 200)
    update_id = xml_of(first).findtext("request_update/update_id")  # what Open311.pm reads
    assert update_id and xml_of(again).findtext("request_update/update_id") == update_id
    view = requests.get(f"{stack.api_url}/status/{code}", timeout=10).json()
    assert view["description"].count("Masih berlubang setelah hujan") == 1
    assert "budi.fms@example.com" not in str(view)

    resolve(stack, officers, code)
    reopened = post_update(stack, fms_key, request_id, comment + 1, fmt="json", text="Belum selesai")
    assert reopened.status_code == 201, reopened.text
    assert list(reopened.json()[0]) == ["update_id"]
    assert requests.get(f"{stack.api_url}/status/{code}", timeout=10).json()["status"] == "in_progress"


def test_open_more_than_seven_days_after_the_resolution_is_refused(stack, runner, officers, fms_key, client, code_of):
    from chalicelib import bootstrap

    request_id = send_report(stack, fms_key, problem(4))
    runner.drain()
    code = code_of(request_id)
    resolve(stack, officers, code)
    bootstrap.override(clock=lambda: datetime.now(UTC) + timedelta(days=7, hours=1))  # this process's app
    params = fms.update_params(
        comment_id=time.time_ns() % 10**9,
        service_request_id=request_id,
        text="Masih rusak",
        name="Budi",
        email="budi@example.com",
        confirmed=w3c(datetime.now(UTC)),
        problem_open=True,
    )
    refused = client.http.post(
        "/open311/v2/servicerequestupdates.xml",
        body=fms.urlencoded(fms.with_credentials(params, fms_key)),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert refused.status_code == 400
    root = ET.fromstring(refused.body)  # noqa: S314 - our own app
    assert root.findtext("error/code") == "400"
    assert "the 7 days to reopen this case have passed" in root.findtext("error/description")
    assert requests.get(f"{stack.api_url}/status/{code}", timeout=10).json()["status"] == "resolved"


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "servicerequestupdates.json", 403),  # no api_key
        ("PUT", "requests.json", 405),
        ("DELETE", "services.xml", 405),
        ("POST", "discovery.json", 405),
        ("PATCH", "services/garbage.xml", 405),
        ("GET", "nothing.json", 404),
        ("GET", "nothing/here/at/all.xml", 404),
        ("POST", "requests/abc/def.xml", 404),
        ("GET", "", 404),
    ],
)
def test_every_path_and_method_under_open311_answers_in_its_format(stack, method, path, status):
    response = requests.request(method, url(stack, path), timeout=10)
    assert response.status_code == status, response.text
    if path.endswith(".xml"):
        root = xml_of(response)
        assert root.tag == "errors" and root.findtext("error/code") == str(status)
        assert root.findtext("error/description")
    else:
        (error,) = response.json()
        assert error["code"] == status and error["description"]
    if status == 405:
        assert "GET" in response.headers["Allow"] or "POST" in response.headers["Allow"]
    assert requests.get(f"{stack.api_url}/open311", timeout=10).json()[0]["code"] == 404


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_the_georeport_client_still_reads_everything(stack, runner, fms_key, output_format):
    from georeport import GeoReport

    request_id = send_report(stack, fms_key, problem(5), photos=[("image/jpeg", PHOTO)], number=5)
    runner.drain()
    client = GeoReport(url(stack, ""), jurisdiction="jakarta.go.id", output_format=output_format)
    services = client.get_service_list()
    assert "damaged_road" in [service["service_code"] for service in services]
    definition = client.get_service_definition("damaged_road")
    attributes = definition["attributes"]
    attributes = attributes["attribute"] if output_format == "xml" else attributes
    first = attributes[0] if isinstance(attributes, list) else attributes
    assert definition["service_code"] == "damaged_road" and first["code"] == "size"
    listed = client.get_service_requests(service_code="damaged_road", status="open")
    listed = listed if isinstance(listed, list) else [listed]
    assert request_id in [request["service_request_id"] for request in listed]
    one = client.get_service_request(request_id)
    one = one[0] if isinstance(one, list) else one
    assert one["service_request_id"] == request_id and one["status"] == "open"
    assert one["media_url"].startswith(url(stack, f"media/{request_id}/"))
