"""Open311 GeoReport v2 over HTTP against the local stack, as a client would use
it: discovery, services, a service definition, POST with an api_key, GET by id,
listing with filters, tokens and errors, in JSON and in XML."""

import base64
import json
import time
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own server's answers

import pytest
import requests

from tests.integration.conftest import partner_body, post_report
from tests.support.images import SECRET_MAKE, jpeg_with_metadata

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
MARKERS = ("Penanda", "Rahasia311", "penanda311@example.com", "+6281233330000", "device-penanda", "acct-penanda")


def url(stack, path):
    return f"{stack.api_url}/open311/v2/{path}"


def xml_of(response):
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own server


@pytest.fixture(scope="module")
def partner_key(stack, officers):
    response = requests.post(
        f"{stack.api_url}/admin/open311/keys", json={"name": "Aplikasi RW Siaga"}, headers=officers["admin"], timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()


def post(stack, key, fmt="json", headers=None, **fields):
    values = {
        "api_key": key,
        "service_code": "damaged_road",
        "lat": "-6.2297",
        "long": "106.8272",
        "description": f"Jalan berlubang {time.time_ns()}",
        "attribute[size]": "large",
        **fields,
    }
    return requests.post(
        url(stack, f"requests.{fmt}"),
        params={"extensions": "true"},
        data=values,
        headers={**FORM, **(headers or {})},
        timeout=10,
    )


def test_discovery_in_both_formats(stack):
    document = requests.get(url(stack, "discovery.json"), timeout=10).json()
    (endpoint,) = document["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == f"{stack.api_url}/open311/v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = xml_of(requests.get(url(stack, "discovery.xml"), timeout=10))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == endpoint["formats"]


def test_services_and_a_definition_in_both_formats(stack):
    services = requests.get(url(stack, "services.json"), headers={"Accept-Language": "en"}, timeout=10).json()
    road = next(s for s in services if s["service_code"] == "damaged_road")
    assert road["service_name"] == "Damaged road" and road["metadata"] is True and road["type"] == "realtime"
    root = xml_of(requests.get(url(stack, "services.xml"), timeout=10))
    assert [s.findtext("service_code") for s in root.findall("service")] == [s["service_code"] for s in services]
    definition = requests.get(url(stack, "services/damaged_road.json"), timeout=10).json()
    assert definition["attributes"][0]["code"] == "size"
    root = xml_of(requests.get(url(stack, "services/damaged_road.xml"), timeout=10))
    assert root.tag == "service_definition"
    assert [v.findtext("key") for v in root.findall("attributes/attribute/values/value")][:3] == [
        "small",
        "medium",
        "large",
    ]


def test_post_then_read_back_in_json_and_xml(stack, partner_key):
    created = post(
        stack,
        partner_key["api_key"],
        first_name=MARKERS[0],
        last_name=MARKERS[1],
        email=MARKERS[2],
        phone=MARKERS[3],
        device_id=MARKERS[4],
        account_id=MARKERS[5],
        address_string="Jl. Jend. Gatot Subroto",
    )
    assert created.status_code == 201, created.text
    (answer,) = created.json()
    request_id = answer["service_request_id"]
    assert answer["account_id"] == MARKERS[5] and "token" not in answer
    code = answer["extended_attributes"]["tracking_code"]

    (request,) = requests.get(url(stack, f"requests/{request_id}.json"), timeout=10).json()
    assert request["service_request_id"] == request_id
    assert (request["status"], request["service_code"], request["lat"], request["long"]) == (
        "open",
        "damaged_road",
        -6.2297,
        106.8272,
    )
    assert request["address"].startswith("Jl. Jend. Gatot Subroto")
    root = xml_of(requests.get(url(stack, f"requests/{request_id}.xml"), timeout=10))
    assert root.tag == "service_requests" and root.findtext("request/service_request_id") == request_id
    assert root.findtext("request/status") == "open"

    # The case is on the reporter's status page too, under its tracking code, on balai_warga.
    status = requests.get(f"{stack.api_url}/status/{code}", timeout=10).json()
    assert status["channel"] == "balai_warga"
    for text in (json.dumps(request), ET.tostring(root, encoding="unicode"), json.dumps(status)):
        assert not any(marker in text for marker in MARKERS)
        assert code not in text or text == json.dumps(status)


def test_post_in_xml_and_retries(stack, partner_key):
    key = partner_key["api_key"]
    first = post(stack, key, fmt="xml", description="Retry me", headers={"Idempotency-Key": f"k-{time.time_ns()}"})
    assert first.status_code == 201
    root = xml_of(first)
    request_id = root.findtext("request/service_request_id")
    retry = post(
        stack,
        key,
        fmt="xml",
        description="Retry me",
        headers={"Idempotency-Key": first.request.headers["Idempotency-Key"]},
    )
    assert retry.status_code == 200 and xml_of(retry).findtext("request/service_request_id") == request_id
    token = first.request.headers["Idempotency-Key"]
    resolved = requests.get(url(stack, f"tokens/{token}.json"), params={"api_key": key}, timeout=10).json()
    assert resolved == [{"service_request_id": request_id, "token": token}]
    root = xml_of(requests.get(url(stack, f"tokens/{token}.xml"), params={"api_key": key}, timeout=10))
    assert root.findtext("request/token") == token


def test_listing_filters(stack, partner_key):
    mine = post(
        stack,
        partner_key["api_key"],
        service_code="illegal_parking",
        description="Parkir liar",
        **{"attribute[size]": ""},
    ).json()[0]["service_request_id"]
    listed = requests.get(
        url(stack, "requests.json"), params={"service_code": "illegal_parking", "status": "open"}, timeout=10
    ).json()
    assert mine in [r["service_request_id"] for r in listed]
    assert {r["service_code"] for r in listed} == {"illegal_parking"}
    closed = requests.get(
        url(stack, "requests.json"), params={"service_code": "illegal_parking", "status": "closed"}, timeout=10
    ).json()
    assert mine not in [r["service_request_id"] for r in closed] and all(r["status"] == "closed" for r in closed)
    by_id = requests.get(url(stack, "requests.json"), params={"service_request_id": mine}, timeout=10).json()
    assert [r["service_request_id"] for r in by_id] == [mine]
    old = requests.get(
        url(stack, "requests.json"),
        params={"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-03-01T00:00:00Z"},
        timeout=10,
    )
    assert old.status_code == 200 and old.json() == []
    page = requests.get(url(stack, "requests.xml"), params={"page_size": "1"}, timeout=10)
    assert len(xml_of(page).findall("request")) == 1


def test_media_url_is_the_cleaned_public_photo(stack):
    marker = f"Foto {time.time_ns()}"
    photo = {"content_type": "image/jpeg", "data_base64": base64.b64encode(jpeg_with_metadata()).decode()}
    assert post_report(stack, partner_body(description=marker, photos=[photo])).status_code == 201
    listed = requests.get(
        url(stack, "requests.json"), params={"service_code": "garbage", "page_size": "50"}, timeout=10
    ).json()
    (request,) = [r for r in listed if r["description"] == marker]
    assert request["media_url"].startswith(f"{stack.api_url}/open311/v2/media/{request['service_request_id']}/")
    redirect = requests.get(request["media_url"], allow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    image = requests.get(redirect.headers["Location"], timeout=10)
    assert image.status_code == 200 and SECRET_MAKE.encode() not in image.content


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_in_the_specs_format(stack, partner_key, fmt):
    def errors(response):
        if fmt == "json":
            return [(e["code"], e["description"]) for e in response.json()]
        return [(int(e.findtext("code")), e.findtext("description")) for e in xml_of(response).findall("error")]

    bad_key = post(stack, "crm311_0000000000_" + "A" * 43, fmt=fmt)
    assert bad_key.status_code == 403 and errors(bad_key)[0][0] == 403
    unknown = post(stack, partner_key["api_key"], fmt=fmt, service_code="potholes")
    assert unknown.status_code == 404 and "potholes" in errors(unknown)[0][1]
    nowhere = post(stack, partner_key["api_key"], fmt=fmt, lat="", long="", **{"attribute[size]": "huge"})
    assert nowhere.status_code == 400 and len(errors(nowhere)) == 2
    missing = requests.get(url(stack, f"requests/{'0' * 26}.{fmt}"), timeout=10)
    assert missing.status_code == 404 and errors(missing)[0][0] == 404
    elsewhere = requests.get(url(stack, f"services.{fmt}"), params={"jurisdiction_id": "bandung.go.id"}, timeout=10)
    assert elsewhere.status_code == 404 and "jurisdiction_id" in errors(elsewhere)[0][1]
    window = requests.get(
        url(stack, f"requests.{fmt}"),
        params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-12-01T00:00:00Z"},
        timeout=10,
    )
    assert window.status_code == 400 and "90 days" in errors(window)[0][1]
    wrong_type = requests.post(url(stack, f"requests.{fmt}"), json={"api_key": partner_key["api_key"]}, timeout=10)
    assert wrong_type.status_code == 400 and "x-www-form-urlencoded" in errors(wrong_type)[0][1]


def test_keys_are_stored_hashed_and_revoked_at_once(stack, officers, aws):
    issued = requests.post(
        f"{stack.api_url}/admin/open311/keys",
        json={"name": "Qlue via Open311", "channel": "qlue"},
        headers=officers["admin"],
        timeout=10,
    ).json()
    key, key_id = issued["api_key"], issued["key"]["id"]
    item = aws("dynamodb").get_item(
        TableName=stack.env["CASES_TABLE"], Key={"PK": {"S": "OPEN311#KEYS"}, "SK": {"S": f"KEY#{key_id}"}}
    )["Item"]
    # crm311_<key id>_<secret>: the secret (43 URL-safe characters, which may contain "_") is never stored.
    prefix, named_id, secret = key.split("_", 2)
    assert (prefix, named_id, len(secret)) == ("crm311", key_id, 43)
    assert key not in json.dumps(item) and secret not in json.dumps(item)
    created = post(stack, key)
    assert created.status_code == 201
    code = created.json()[0]["extended_attributes"]["tracking_code"]
    assert requests.get(f"{stack.api_url}/status/{code}", timeout=10).json()["channel"] == "qlue"

    listed = requests.get(f"{stack.api_url}/admin/open311/keys", headers=officers["admin"], timeout=10).json()
    assert key_id in [k["id"] for k in listed["keys"]] and key not in json.dumps(listed)
    revoked = requests.delete(f"{stack.api_url}/admin/open311/keys/{key_id}", headers=officers["admin"], timeout=10)
    assert revoked.status_code == 200 and revoked.json()["key"]["status"] == "revoked"
    assert post(stack, key).status_code == 403
    again = requests.delete(f"{stack.api_url}/admin/open311/keys/{key_id}", headers=officers["admin"], timeout=10)
    assert again.json()["key"]["revoked_at"] == revoked.json()["key"]["revoked_at"]


def test_only_admins_manage_keys(stack, officers):
    for who in ("supervisor", "dinas_lh"):
        response = requests.post(
            f"{stack.api_url}/admin/open311/keys", json={"name": "x"}, headers=officers[who], timeout=10
        )
        assert response.status_code == 403
    assert requests.get(f"{stack.api_url}/admin/open311/keys", timeout=10).status_code == 401


def test_the_public_id_reads_the_status_but_never_acts_and_never_shows_the_code(stack, partner_key):
    (answer,) = post(stack, partner_key["api_key"]).json()
    request_id, code = answer["service_request_id"], answer["extended_attributes"]["tracking_code"]

    by_id = requests.get(f"{stack.api_url}/status/{request_id}", timeout=10)
    assert by_id.status_code == 200
    view = by_id.json()
    assert view["tracking_code"] == request_id and code not in by_id.text
    assert view["can_confirm_or_reopen"] is False
    # Only the tracking code's holder may confirm or reopen; the public id is not a key.
    for action, body in (("feedback", {"rating": 1}), ("reopen", {"reason": "x"})):
        assert requests.post(f"{stack.api_url}/status/{request_id}/{action}", json=body, timeout=10).status_code == 404
    # The holder of the tracking code may use it where Open311 expects an id.
    (request,) = requests.get(url(stack, f"requests/{code}.json"), timeout=10).json()
    assert request["service_request_id"] == request_id
