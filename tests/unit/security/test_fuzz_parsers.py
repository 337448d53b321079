"""Every parser and request model, fed anything: only its own documented
errors come out (which the API maps to 4xx), never a crash.

``MODELS`` must list every pydantic model in chalicelib (a test walks the
package and fails on a model nobody fuzzes)."""

from __future__ import annotations

import importlib
import io
import pkgutil
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import chalicelib
from chalicelib.adapters.images import UnreadableImage, clean
from chalicelib.api.http import etag_matches, preferred_language
from chalicelib.channels import signing
from chalicelib.channels.base import SignatureRejected
from chalicelib.domain import categories
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.report import build_report
from tests.support.images import jpeg_with_metadata, png_bytes

FUZZ = settings(max_examples=100, deadline=None)
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)

huge = st.builds(lambda n, c: c * n, st.integers(1_000, 20_000), st.characters(codec="utf-8"))
anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | huge | st.binary(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=12,
)


def all_models() -> set[type[BaseModel]]:
    for module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        importlib.import_module(module.name)
    found, todo = set(), [BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("chalicelib."):
                found.add(sub)
    return found


def model_inputs(model: type[BaseModel]):
    """Arbitrary input plus dictionaries with the model's own field names, any values."""
    named = st.fixed_dictionaries({}, optional={name: anything for name in model.model_fields})
    return st.one_of(anything, named)


def _models_by_name():
    return {f"{model.__module__}.{model.__qualname__}": model for model in all_models()}


MODELS = sorted(_models_by_name())


def test_the_model_list_is_every_model_in_chalicelib():
    assert MODELS, "no pydantic models found"
    # MODELS is derived, so a new model is fuzzed automatically; this pins that discovery works.
    assert "chalicelib.domain.report.IncomingReport" in MODELS
    assert "chalicelib.channels.partner.PartnerReport" in MODELS


@pytest.mark.parametrize("name", MODELS)
@FUZZ
@given(data=st.data())
def test_models_raise_only_validation_errors(name, data):
    model = _models_by_name()[name]
    value = data.draw(model_inputs(model))
    try:
        model.model_validate(value)
    except ValidationError:
        pass


report_fields = st.fixed_dictionaries(
    {
        "channel": st.sampled_from(list(Channel)),
        "message_id": st.one_of(st.none(), st.text(max_size=250)),
        "category": st.one_of(st.sampled_from(categories.ids()), st.text(max_size=20)),
        "description": st.one_of(st.text(max_size=50), huge),
    },
    optional={
        "location": anything,
        "reporter": anything,
        "anonymous": anything,
        "photos": anything,
        "reported_at": st.one_of(anything, st.datetimes(timezones=st.none() | st.just(UTC))),
        "language": anything,
    },
)


@FUZZ
@given(fields=report_fields)
def test_build_report_raises_only_invalid_report(fields):
    try:
        build_report(**fields)
    except InvalidReport as error:
        assert error.problems and all(isinstance(field, str) for field, _ in error.problems)


@FUZZ
@given(value=st.one_of(st.none(), st.text(max_size=40), st.integers().map(str)))
@example(value="\u00b2")  # found by this test: "²".isdigit() is true, int("²") raises
def test_the_timestamp_check_raises_only_signature_errors(value):
    try:
        signing.require_fresh_timestamp(value, NOW, 300, "X-CRM-Timestamp")
    except SignatureRejected:
        pass


def test_a_timestamp_is_ascii_digits_only():
    arabic_indic = str(int(NOW.timestamp())).translate({ord(d): 0x0660 + int(d) for d in "0123456789"})
    assert int(arabic_indic) == int(NOW.timestamp())  # int() would take it ...
    with pytest.raises(SignatureRejected, match="must be unix time"):  # ... the check does not
        signing.require_fresh_timestamp(arabic_indic, NOW, 300, "X-CRM-Timestamp")


@FUZZ
@given(
    value=st.one_of(
        st.none(),
        st.text(max_size=100),
        st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda h: "sha256=" + h),
    )
)
def test_the_signature_check_raises_only_signature_errors(value):
    try:
        signing.require_prefixed_hex(value, b"\x01" * 32, "X-CRM-Signature")
    except SignatureRejected:
        pass


@FUZZ
@given(lang=st.one_of(st.none(), st.text(max_size=20)), accept=st.one_of(st.none(), st.text(max_size=80)))
def test_language_negotiation_never_fails(lang, accept):
    request = SimpleNamespace(
        query_params={"lang": lang} if lang is not None else None,
        headers={"accept-language": accept} if accept is not None else {},
    )
    assert preferred_language(request) in ("id", "en")


@FUZZ
@given(value=st.one_of(st.none(), st.text(max_size=100)))
def test_etag_matching_never_fails(value):
    assert etag_matches(value, '"abc"') in (True, False)


SEEDS = [jpeg_with_metadata(48, 32), png_bytes()]


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow on corrupt EXIF: expected here
@settings(max_examples=300, deadline=None)
@given(
    seed=st.sampled_from(SEEDS),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_image_cleaning_of_mangled_photos_raises_only_unreadable_image(seed, flips, cut):
    data = bytearray(seed)
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % len(data)]
    try:
        result = clean(bytes(data))
    except UnreadableImage:
        return
    from PIL import Image

    with Image.open(io.BytesIO(result.public)) as image:
        assert not image.getexif()


@FUZZ
@given(data=st.binary(max_size=500))
def test_image_cleaning_of_arbitrary_bytes_raises_only_unreadable_image(data):
    try:
        clean(data)
    except UnreadableImage:
        pass
