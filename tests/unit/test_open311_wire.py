"""Open311's wire formats: the POST form in, JSON and XML out."""

import json
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own output in tests

import pytest

from chalicelib.api import open311_format as fmt
from chalicelib.channels import open311 as form
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidReport


def posted(text, query=None):
    return form.parse_form(text.encode(), query)


# --- the form ---------------------------------------------------------------------------


def test_fields_and_attributes_are_read_as_the_spec_writes_them():
    request = posted(
        "api_key=k&service_code=garbage&lat=-6.2&long=106.8&attribute[amount]=cart"
        "&attribute[garbage_type][]=household&attribute[garbage_type][]=bulky&unknown=x"
    )
    assert request.get("service_code") == "garbage"
    assert request.attributes == {"amount": ["cart"], "garbage_type": ["household", "bulky"]}
    assert "unknown" not in request.fields


def test_percent_escapes_are_utf8():
    assert posted("description=Sampah%20di%20%E2%80%9Cpasar%E2%80%9D").get("description") == "Sampah di “pasar”"


@pytest.mark.parametrize(
    "body, field",
    [
        (b"\xff\xfe", "body"),
        (b"description=%FF", "body"),
        (b"service_code=a&service_code=b", "service_code"),
        ("&".join(f"f{n}=1" for n in range(form.MAX_FIELDS + 1)).encode(), "body"),
    ],
)
def test_unreadable_forms_are_refused(body, field):
    with pytest.raises(form.FormRejected) as refused:
        form.parse_form(body)
    assert refused.value.problems[0][0] == field


def test_the_query_string_fills_in_what_the_body_lacks():
    request = posted("service_code=garbage&api_key=from-body", {"api_key": "from-query", "jurisdiction_id": "j"})
    assert request.get("api_key") == "from-body"
    assert request.get("jurisdiction_id") == "j"


def test_empty_arguments_count_as_absent():
    assert posted("description=&lat=").get("description") is None


def test_the_digest_ignores_order_credentials_and_blank_fields():
    one = posted("api_key=a&service_code=garbage&description=x&attribute[t][]=1&attribute[t][]=2&email=")
    two = posted("description=x&attribute[t][]=2&service_code=garbage&attribute[t][]=1&api_key=b")
    three = posted("description=y&service_code=garbage")
    assert one.content_digest() == two.content_digest() != three.content_digest()


def test_message_ids_are_scoped_to_the_key_and_the_day_or_the_clients_key():
    request = posted("service_code=garbage&description=x")
    assert form.message_id("k1", request, None, "2026-11-23") != form.message_id("k2", request, None, "2026-11-23")
    assert form.message_id("k1", request, None, "2026-11-23") != form.message_id("k1", request, None, "2026-11-24")
    assert form.message_id("k1", request, "abc", "2026-11-23") == form.message_id("k1", posted("x=1"), "abc", "x")
    assert form.message_id("k1", request, "abc", "d") == form.token_message_id("k1", "abc")


@pytest.mark.parametrize("header", ["has space", "x" * 101, "ünï"])
def test_bad_idempotency_keys_are_refused(header):
    with pytest.raises(form.FormRejected):
        form.idempotency_key(header)


def report_of(text, language="id"):
    return form.to_report(posted(text), Channel.BALAI_WARGA, "open311:k:day:abc", language)


def test_a_full_post_becomes_a_report():
    report = report_of(
        "service_code=damaged_road&lat=-6.2297&long=106.8272&address_string=Jl.+Gatot+Subroto"
        "&description=Jalan+berlubang&attribute[size]=large&first_name=Siti&last_name=Aminah"
        "&email=siti%40example.com&phone=081234567890&device_id=dev-1&account_id=acc-9"
        "&media_url=https%3A%2F%2Fphotos.example%2Fp.jpg"
    )
    assert report.category == "damaged_road" and report.description == "Jalan berlubang"
    assert (report.location.lat, report.location.lng, report.location.address) == (
        -6.2297,
        106.8272,
        "Jl. Gatot Subroto",
    )
    assert report.answers == {"size": "large"}
    assert report.reporter.name == "Siti Aminah" and report.reporter.phone == "+6281234567890"
    assert (report.reporter.device_id, report.reporter.account_id) == ("dev-1", "acc-9")
    assert report.media_urls == ["https://photos.example/p.jpg"]
    assert report.channel is Channel.BALAI_WARGA and report.message_id == "open311:k:day:abc"


def test_an_address_without_coordinates_goes_into_the_description():
    report = report_of("service_code=garbage&address_string=Pasar+Tanah+Abang&description=Sampah")
    assert report.location is None
    assert report.description == "Sampah\n\nLokasi: Pasar Tanah Abang"


def test_a_missing_description_is_the_service_name():
    assert report_of("service_code=drainage&lat=-6.2&long=106.8", "en").description == "Blocked drain"


def test_no_contact_means_no_reporter():
    assert report_of("service_code=garbage&lat=-6.2&long=106.8").reporter is None


@pytest.mark.parametrize(
    "text, field",
    [
        ("service_code=garbage", "location"),
        ("service_code=garbage&address_id=123", "address_id"),
        ("service_code=garbage&lat=-6.2", "long"),
        ("service_code=garbage&lat=abc&long=106.8", "lat"),
        ("service_code=garbage&lat=-91&long=106.8", "lat"),
        ("service_code=garbage&lat=nan&long=106.8", "lat"),
        ("service_code=garbage&lat=-6.2&long=106.8&description=" + "x" * 4001, "description"),
        ("service_code=damaged_road&lat=-6.2&long=106.8", "attribute[size]"),
    ],
)
def test_bad_posts_name_the_field(text, field):
    with pytest.raises(form.FormRejected) as refused:
        report_of(text)
    assert field in {name for name, _ in refused.value.problems}


@pytest.mark.parametrize(
    "text",
    [
        "service_code=garbage&lat=-6.2&long=106.8&email=not-an-email",
        "service_code=garbage&lat=-6.2&long=106.8&phone=12",
        "service_code=garbage&lat=-6.2&long=106.8&media_url=javascript%3Aalert(1)",
    ],
)
def test_bad_contacts_and_links_are_refused(text):
    with pytest.raises(InvalidReport):
        report_of(text)


# --- JSON and XML out -------------------------------------------------------------------------


def test_split_format():
    assert fmt.split_format("garbage.json") == ("garbage", "json")
    assert fmt.split_format("a.b.XML") == ("a.b", "xml")
    assert fmt.split_format("garbage") is None and fmt.split_format(".xml") is None
    assert fmt.split_format("garbage.html") is None


def parse(xml_text):
    assert xml_text.startswith('<?xml version="1.0" encoding="utf-8"?>\n')
    return ET.fromstring(xml_text.split("\n", 1)[1])  # noqa: S314 - our own output


def test_xml_follows_the_specs_element_names():
    services = parse(fmt.to_xml("services", [{"service_code": "001", "metadata": True, "group": None}]))
    assert services.tag == "services"
    assert [(child.tag, child.text) for child in services.find("service")] == [
        ("service_code", "001"),
        ("metadata", "true"),
        ("group", None),
    ]
    definition = parse(
        fmt.to_xml(
            "service_definition",
            {"service_code": "X", "attributes": [{"code": "A", "values": [{"key": "1", "name": "One"}]}]},
        )
    )
    assert definition.find("attributes/attribute/values/value/name").text == "One"
    errors = parse(fmt.to_xml("errors", [{"code": 403, "description": "Invalid api_key"}]))
    assert errors.find("error/code").text == "403"
    discovery = parse(fmt.to_xml("discovery", {"endpoints": [{"formats": ["text/xml", "application/json"]}]}))
    assert [f.text for f in discovery.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]
    requests = parse(fmt.to_xml("service_requests", [{"lat": -6.2, "long": 106.8}]))
    assert requests.find("request/lat").text == "-6.2"


def test_xml_escapes_markup_and_replaces_what_xml_cannot_carry():
    text = 'a < b & "c" > d \x00\x07 \ud800 ok'
    element = parse(fmt.to_xml("service_requests", [{"description": text}]))
    assert element.find("request/description").text == 'a < b & "c" > d \ufffd\ufffd \ufffd ok'


def test_json_is_the_same_document():
    document = [{"service_request_id": "x", "lat": -6.2, "media_url": None, "status_notes": "\ud800"}]
    assert json.loads(fmt.to_json(document)) == [
        {"service_request_id": "x", "lat": -6.2, "media_url": None, "status_notes": "?"}
    ]


def test_responses_carry_the_specs_content_types():
    assert fmt.respond("xml", "services", []).headers["Content-Type"] == "text/xml; charset=utf-8"
    assert fmt.respond("json", "services", []).headers["Content-Type"] == "application/json; charset=utf-8"
    error = fmt.error_response("json", 403, [(403, "Invalid api_key")])
    assert error.status_code == 403 and json.loads(error.body) == [{"code": 403, "description": "Invalid api_key"}]
