import io

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
