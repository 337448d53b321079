"""Photo redaction: pixels change inside the rectangles only, the original stays, the
history audits it, and only the case's holder, the Bureau and supervisors may do it."""

import io

import pytest
from PIL import Image

from chalicelib.adapters.images import clean
from chalicelib.domain.case import Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import Forbidden, InvalidInput
from chalicelib.domain.permissions import Principal, Role
from chalicelib.domain.report import build_report
from chalicelib.domain.tracking import new_code
from chalicelib.services import redaction
from chalicelib.services.lifecycle import Deps
from tests.support.fakes import FakeCaseRepository, FakePhotoStore, FixedClock
from tests.support.images import striped_jpeg


def pixels(data: bytes):
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("L").load(), image.size


def mean_difference(a, b, box):
    (pa, _), (pb, _) = a, b
    x0, y0, x1, y1 = box
    total = sum(abs(pa[x, y] - pb[x, y]) for x in range(x0, x1) for y in range(y0, y1))
    return total / ((x1 - x0) * (y1 - y0))


def test_only_the_rectangle_changes():
    data = striped_jpeg()
    plain, blurred = clean(data), clean(data, redact=((100, 80, 120, 90),))
    a, b = pixels(plain.public), pixels(blurred.public)
    assert (blurred.width, blurred.height) == (plain.width, plain.height)
    assert mean_difference(a, b, (108, 88, 212, 162)) > 30  # inside: the stripes are gone
    assert mean_difference(a, b, (0, 0, 400, 70)) < 1.5  # outside, away from the JPEG blocks on the edge
    assert mean_difference(a, b, (240, 0, 400, 300)) < 1.5
    assert blurred.original == data


class Copies:
    def __init__(self, originals):
        self.originals, self.public, self.deleted = originals, {}, []

    def read_original(self, photo):
        return self.originals[photo.original_key]

    def store_public(self, code, photo, image):
        key = f"public/{code}/{photo.id}-r{len(self.public)}.{image.extension}"
        self.public[key] = image.public
        return key

    def delete_public(self, key):
        self.deleted.append(key)


@pytest.fixture
def world():
    cases, photos, clock = FakeCaseRepository(), FakePhotoStore(), FixedClock()
    code = new_code()
    image = clean(striped_jpeg())
    ref = photos.store(code, "p1", "report", image)
    report = build_report(channel=Channel.JAKI, message_id="m1", category="garbage", description="Sampah")
    case = Case.open(report, code, clock(), [ref])
    case.agency_id = "dinas-lh"
    cases.add(case)
    return cases, Copies(photos.objects), Deps(cases=cases, photos=photos, clock=clock), code, ref


HOLDER = Principal("u-holder", frozenset({Role.AGENCY_OFFICER}), "dinas-lh")
OTHER = Principal("u-other", frozenset({Role.AGENCY_OFFICER}), "dinas-bina-marga")


def test_redaction_replaces_the_public_copy_and_is_audited(world):
    cases, copies, deps, code, ref = world
    body = {"regions": [{"x": 10, "y": 10, "width": 50, "height": 40}]}
    case = redaction.redact_photo(code, "p1", body, HOLDER, deps, copies)
    photo = case.photos[0]
    assert photo.public_key != ref.public_key and photo.original_key == ref.original_key
    assert copies.deleted == [ref.public_key]
    entry = case.history[-1]
    assert entry.type == "photo.redacted" and entry.data["regions"] == [[10, 10, 50, 40]]
    assert entry.data["actor_user"] == "u-holder"
    assert "photo.redacted" not in [line.type for line in case.timeline]  # audited, not on the public timeline
    assert cases.get(code).photos[0].public_key == photo.public_key


@pytest.mark.parametrize(
    "body, field",
    [
        ({"regions": []}, "regions"),
        ({"regions": [{"x": 390, "y": 0, "width": 50, "height": 40}]}, "regions.0"),
        ({"regions": [{"x": 0, "y": 0, "width": 2, "height": 40}]}, "regions.0.width"),
        ({"regions": [{"x": 0, "y": 0, "width": 20, "height": 20}], "extra": 1}, "extra"),
    ],
)
def test_bad_regions_are_refused(world, body, field):
    _, copies, deps, code, _ = world
    with pytest.raises(InvalidInput) as error:
        redaction.redact_photo(code, "p1", body, HOLDER, deps, copies)
    assert field in [f for f, _ in error.value.problems]


def test_unknown_photo_and_other_agencies(world):
    _, copies, deps, code, _ = world
    body = {"regions": [{"x": 0, "y": 0, "width": 20, "height": 20}]}
    with pytest.raises(InvalidInput):
        redaction.redact_photo(code, "p9", body, HOLDER, deps, copies)
    with pytest.raises(Forbidden):
        redaction.redact_photo(code, "p1", body, OTHER, deps, copies)
    assert copies.public == {}
