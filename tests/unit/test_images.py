import io
import json

import pytest
from PIL import Image

from chalicelib.adapters.images import PUBLIC_MAX_SIDE, UnreadableImage, clean
from tests.support.images import gif_bytes, jpeg_with_metadata, metadata_leaks, png_bytes


def test_the_fixture_really_carries_metadata():
    assert set(metadata_leaks(jpeg_with_metadata())) >= {"exif", "icc_profile", "comment"}


def test_public_jpeg_copy_has_no_metadata_and_the_original_is_untouched():
    original = jpeg_with_metadata()
    result = clean(original)
    assert result.original == original
    assert result.format == "JPEG" and result.content_type == "image/jpeg"
    assert metadata_leaks(result.public) == []


def test_png_text_chunks_are_dropped():
    result = clean(png_bytes())
    assert result.content_type == "image/png"
    assert metadata_leaks(result.public) == []
    assert b"secret png author" not in result.public


def test_webp_is_accepted():
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SECRET-CAMERA-SERIAL-42"
    Image.new("RGB", (30, 20), (1, 2, 3)).save(out, "WEBP", exif=exif)
    result = clean(out.getvalue())
    assert result.content_type == "image/webp" and metadata_leaks(result.public) == []


def test_exif_orientation_is_applied_before_stripping():
    rotated = clean(jpeg_with_metadata(320, 240, orientation=6))  # "rotate 90 CW"
    assert (rotated.width, rotated.height) == (240, 320)


def test_big_photos_are_scaled_down_for_the_public():
    out = io.BytesIO()
    Image.new("RGB", (5000, 2500)).save(out, "JPEG")
    result = clean(out.getvalue())
    assert max(result.width, result.height) <= PUBLIC_MAX_SIDE


@pytest.mark.parametrize("data", [b"", b"hello", gif_bytes(), b"\x89PNG\r\n\x1a\n" + b"\x00" * 50])
def test_non_images_and_other_formats_are_refused(data):
    with pytest.raises(UnreadableImage):
        clean(data)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_decompression_bombs_are_refused():
    out = io.BytesIO()
    Image.new("1", (10000, 10000)).save(out, "PNG")  # 100 MP, a few KB
    with pytest.raises(UnreadableImage, match="too large"):
        clean(out.getvalue())


# --- the decoding budget (issue 19: a 130 KB PNG of 6300 x 6300 cost seconds of CPU) -------------


def tiny_huge_png(side: int = 6300) -> bytes:
    """A few hundred KB at most, ``side`` x ``side`` pixels once decoded."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    return out.getvalue()


def test_pillows_own_bomb_threshold_is_our_per_photo_limit():
    from chalicelib.adapters import images

    images.header_pixels(png_bytes())  # Pillow loaded through the module
    assert Image.MAX_IMAGE_PIXELS == images.MAX_PIXELS


def test_photos_over_the_request_budget_are_refused_from_their_headers_before_any_is_decoded(monkeypatch):
    from chalicelib.adapters import images

    bomb = tiny_huge_png()
    assert len(bomb) < 200_000 and images.header_pixels(bomb) == 6300 * 6300 <= images.MAX_PIXELS
    assert images.check_pixel_budget([bomb]) == 6300 * 6300  # one is within both limits

    photos = [jpeg_with_metadata(), bomb, bomb]
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self.size))
    with pytest.raises(images.ImageTooLarge) as raised:
        images.check_pixel_budget(photos)
    error = raised.value
    assert error.per_request and error.index == 2 and error.limit == images.MAX_REQUEST_PIXELS
    assert "too large" in str(error) and decoded == []


def test_four_phone_photos_fit_the_request_budget():
    from chalicelib.adapters import images

    out = io.BytesIO()
    Image.new("RGB", (4032, 3024)).save(out, "JPEG")
    assert images.check_pixel_budget([out.getvalue()] * 4) == 4 * 4032 * 3024


def test_one_photo_over_the_per_photo_limit_is_too_large_before_decoding():
    from chalicelib.adapters import images

    with pytest.raises(images.ImageTooLarge) as raised:
        images.check_pixel_budget([tiny_huge_png(6400)])  # 40.96 MP
    assert not raised.value.per_request and raised.value.pixels == 6400 * 6400
    with pytest.raises(images.ImageTooLarge):
        clean(tiny_huge_png(6400))


def test_a_request_with_too_many_pixels_gets_413_image_too_large_and_nothing_is_stored():
    import base64

    from chalicelib.api.http import error_response, to_api_error
    from chalicelib.channels.web_form import report_from_json
    from chalicelib.services.intake import submit_report
    from tests.support.fakes import FakeCaseRepository, FakePhotoStore, FixedClock

    bomb = base64.b64encode(tiny_huge_png()).decode()
    body = {
        "category": "garbage",
        "description": "Sampah",
        "photos": [{"content_type": "image/png", "data_base64": bomb}] * 2,
    }
    report = report_from_json(json.dumps(body).encode(), None)
    cases, photos = FakeCaseRepository(), FakePhotoStore()
    with pytest.raises(UnreadableImage) as raised:
        submit_report(report, cases=cases, photos=photos, clock=FixedClock(), code_key=b"k" * 32)
    answer = to_api_error(raised.value)
    assert answer.status == 413 and answer.code == "image_too_large"
    assert answer.details == [{"field": "photos.1", "message": str(raised.value)}]
    assert json.loads(error_response(answer).body)["error"]["max_pixels_per_request"] == 50_000_000
    assert cases.items == {} and photos.objects == {}
