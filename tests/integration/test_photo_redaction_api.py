"""POST /officer/cases/{code}/photos/{photo_id}/redaction on the moto server: who may,
what is refused, and that the unredacted public copy is gone from S3."""

from __future__ import annotations

import base64

import requests

from tests.integration.conftest import partner_body, post_report, unique
from tests.support.images import jpeg_with_metadata

TANAH_ABANG = {"lat": -6.1862, "lng": 106.8133, "address": "Jl. KH. Mas Mansyur"}


def redact(stack, headers, code, body, photo="p1"):
    return requests.post(
        f"{stack.api_url}/officer/cases/{code}/photos/{photo}/redaction", json=body, headers=headers, timeout=30
    )


def test_redaction_rights_refusals_and_the_old_copy_is_deleted(stack, runner, officers, aws):
    photo = {"content_type": "image/jpeg", "data_base64": base64.b64encode(jpeg_with_metadata()).decode()}
    code = post_report(stack, partner_body(unique(), location=TANAH_ABANG, photos=[photo])).json()["tracking_code"]
    runner.drain()
    case = requests.get(f"{stack.api_url}/officer/cases/{code}", headers=officers["dinas_lh"], timeout=10).json()
    assert case["may_redact_photos"] is True
    other = requests.get(f"{stack.api_url}/officer/cases/{code}", headers=officers["supervisor"], timeout=10).json()
    assert other["may_redact_photos"] is True
    bucket = stack.env["PHOTOS_BUCKET"]
    before = {o["Key"] for o in aws("s3").list_objects_v2(Bucket=bucket, Prefix=f"public/{code}/")["Contents"]}

    box = {"regions": [{"x": 2, "y": 2, "width": 20, "height": 20}]}
    assert redact(stack, officers["bina_marga"], code, box).status_code == 403
    assert redact(stack, officers["dinas_lh"], code, box, photo="p7").status_code == 422
    assert (
        redact(
            stack, officers["dinas_lh"], code, {"regions": [{"x": 0, "y": 0, "width": 99999, "height": 4}]}
        ).status_code
        == 422
    )
    assert redact(stack, officers["dinas_lh"], code, {**box, "version": 999}).status_code == 409
    answer = redact(stack, officers["dinas_lh"], code, box)
    assert answer.status_code == 200, answer.text
    assert answer.json()["history"][-1]["type"] == "photo.redacted"
    after = {o["Key"] for o in aws("s3").list_objects_v2(Bucket=bucket, Prefix=f"public/{code}/")["Contents"]}
    assert not (before & after) and len(after) == 1 and next(iter(after)).endswith("-r.jpg")
    # The public link now serves the redacted copy.
    public = requests.get(f"{stack.api_url}/status/{code}/photos/p1", allow_redirects=False, timeout=10)
    assert next(iter(after)) in public.headers["Location"]
