"""Response templates: checked at save time, rendered by plain substitution."""

import pytest

from chalicelib.domain.templates import problems, render

VALUES = {
    "tracking_code": "4N50G-7M7G1-2X63",
    "agency": "Dinas LH",
    "expected_date": "30/11/2026",
    "category": "Sampah",
}


def test_placeholders_are_filled_and_doubled_braces_are_literal():
    text = "Laporan {tracking_code} ({category}): {agency} selesai {expected_date}. {{bukan placeholder}}"
    assert problems(text) == []
    assert render(text, VALUES) == (
        "Laporan 4N50G-7M7G1-2X63 (Sampah): Dinas LH selesai 30/11/2026. {bukan placeholder}"
    )


def test_a_value_with_braces_is_not_read_again():
    assert render("{agency}", {"agency": "{tracking_code}"}) == "{tracking_code}"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Halo {nama}", "{nama}"),
        ("{agency.__class__}", "{agency.__class__}"),
        ("{0}", "{0}"),
        ("{}", "{}"),
        ("{agency!r}", "format or conversion"),
        ("{expected_date:%Y}", "format or conversion"),
        ("kurung { sendiri", "brace"),
        ("kurung } sendiri", "brace"),
    ],
)
def test_what_is_refused_is_named(text, named):
    found = problems(text)
    assert found and named in found[0]


def test_an_unchecked_text_renders_without_failing():
    assert render("{nama} dan {agency} {", VALUES) == "{nama} dan {agency} {"
    assert render("{nama} dan {agency}", VALUES) == "{nama} dan Dinas LH"


def test_the_demo_templates_pass_the_checks():
    from chalicelib.domain.permissions import Principal, Role
    from chalicelib.services.templates import template_from
    from infra.local.demo import DEMO_TEMPLATES

    admin = Principal("a", frozenset({Role.ADMIN}), None)
    for agency_id, template_id, body in DEMO_TEMPLATES:
        assert template_from(template_id, {**body, "agency_id": agency_id}, admin).agency_id == agency_id
