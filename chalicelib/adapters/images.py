"""Checking and cleaning photos with Pillow.

A whistleblower's photo can reveal them through its metadata (GPS position,
camera serial, owner name, edit history), so the public copy of every photo is
re-encoded from pixels alone: no EXIF, GPS, XMP, ICC profile or comments
survive. The original bytes are kept unchanged, privately, as evidence.

Decoding costs CPU and memory by pixels, not by bytes: a 130 KB PNG can claim
6300 x 6300 pixels. So every image's size is read from its header first, and
refused (``ImageTooLarge``) before anything is decoded when one image claims
more than ``MAX_PIXELS`` or the photos of one request together more than
``MAX_REQUEST_PIXELS`` (``check_pixel_budget``). Pillow's own decompression-bomb
threshold is set to the same per-image limit, for any other path that opens an
image. The numbers and why: docs/security.md "Image decoding budget".

Pillow is imported on first use; it is not needed at cold start.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_PIXELS = 40_000_000  # larger claims are decompression bombs, not phone photos
# All photos of one request together: four 12-megapixel phone photos (4 x 4032 x 3024 =
# 48.8 MP) fit, a second 40-megapixel claim does not.
MAX_REQUEST_PIXELS = 50_000_000
PUBLIC_MAX_SIDE = 2048  # public copies are for phones on slow connections

_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


class UnreadableImage(ValueError):
    """Not a JPEG, PNG or WebP image we can decode."""


class ImageTooLarge(UnreadableImage):
    """More pixels than we decode: one image over MAX_PIXELS, or a request over MAX_REQUEST_PIXELS.

    An UnreadableImage too, so a path that skips unreadable photos skips these."""

    def __init__(self, index: int, pixels: int | None, limit: int, per_request: bool):
        self.index, self.pixels, self.limit, self.per_request = index, pixels, limit, per_request
        claimed = f"{pixels:,} pixels" if pixels is not None else "too many pixels"
        if per_request:
            text = f"is too large: the photos of this request come to {claimed}, more than {limit:,} together"
        else:
            text = f"is too large: it claims {claimed}, more than {limit:,} for one photo"
        super().__init__(text)


_pillow: Any = None


def _pil() -> Any:
    """Pillow's Image module, with its decompression-bomb threshold set to ours (once)."""
    global _pillow
    if _pillow is None:
        from PIL import Image

        # Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that; our own check
        # (header sizes, before any decoding) refuses above MAX_PIXELS in every path we own.
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        _pillow = Image
    return _pillow


def header_pixels(data: bytes) -> int | None:
    """Width x height as the image's header claims (nothing decoded); None if it has no
    readable header (clean() then says why)."""
    Image = _pil()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
    except Image.DecompressionBombError:
        return MAX_PIXELS * 2 + 1  # Pillow refused it for its size: at least this many
    except Exception:  # noqa: BLE001 - unreadable: clean() reports it with its reason
        return None
    return width * height


def check_pixel_budget(images: Sequence[bytes], per_request: int = MAX_REQUEST_PIXELS) -> int:
    """Refuse (ImageTooLarge) before decoding any: an image over MAX_PIXELS, or photos
    over ``per_request`` pixels together. Returns the total the headers claim."""
    total = 0
    for index, data in enumerate(images):
        pixels = header_pixels(data)
        if pixels is None:
            continue
        if pixels > MAX_PIXELS:
            raise ImageTooLarge(index, pixels, MAX_PIXELS, per_request=False)
        total += pixels
        if total > per_request:
            raise ImageTooLarge(index, total, per_request, per_request=True)
    return total


@dataclass(frozen=True)
class CleanImage:
    format: str  # JPEG, PNG or WEBP: what the bytes really are
    content_type: str
    extension: str
    original: bytes
    public: bytes  # re-encoded from pixels, no metadata at all
    width: int  # of the public copy
    height: int


def clean(data: bytes, redact: tuple[tuple[int, int, int, int], ...] = ()) -> CleanImage:
    """``redact``: rectangles (x, y, width, height) in the public copy's pixels to blur
    beyond recognition (faces, number plates) before the public copy is encoded."""
    from PIL import ImageOps

    Image = _pil()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            if image_format not in _FORMATS:
                raise UnreadableImage("is not a JPEG, PNG or WebP image")
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ImageTooLarge(0, width * height, MAX_PIXELS, per_request=False)
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image_format == "JPEG":
                image.draft("RGB", (PUBLIC_MAX_SIDE, PUBLIC_MAX_SIDE))  # decode at reduced size
            image.load()
            if image.mode in ("P", "1"):  # resampling a palette would pick nearest colours: convert first
                image = image.convert(_public_mode(image_format, image.mode))
            # Shrink first, then turn upright: exif_transpose copies the image, and a copy of
            # the small one costs a fraction of the full-size one (peak memory; 256 MB Lambda).
            image.thumbnail((PUBLIC_MAX_SIDE, PUBLIC_MAX_SIDE))
            upright = ImageOps.exif_transpose(image)
    except UnreadableImage:
        raise
    except Image.DecompressionBombError:
        raise ImageTooLarge(0, None, MAX_PIXELS, per_request=False) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise UnreadableImage(f"is not a readable image ({type(error).__name__})") from None

    mode = _public_mode(image_format, upright.mode)
    pixels = upright.convert(mode) if upright.mode != mode else upright
    # A new image from raw pixels carries no info dict: nothing to leak.
    bare = Image.frombytes(mode, pixels.size, pixels.tobytes())
    for region in redact:
        _obscure(bare, region)
    out = io.BytesIO()
    if image_format == "JPEG":
        bare.save(out, "JPEG", quality=85, optimize=True)
    elif image_format == "PNG":
        bare.save(out, "PNG", optimize=True)
    else:
        bare.save(out, "WEBP", quality=85)
    content_type, extension = _FORMATS[image_format]
    return CleanImage(
        format=image_format,
        content_type=content_type,
        extension=extension,
        original=data,
        public=out.getvalue(),
        width=bare.width,
        height=bare.height,
    )


def _obscure(image, region: tuple[int, int, int, int]) -> None:
    """Pixelate to coarse blocks, then blur: nothing of a face or a plate survives,
    and (unlike a blur alone) it cannot be sharpened back."""
    from PIL import Image, ImageFilter

    x, y, width, height = region
    box = (max(0, x), max(0, y), min(image.width, x + width), min(image.height, y + height))
    if box[2] <= box[0] or box[3] <= box[1]:
        return
    patch = image.crop(box)
    blocks = (max(1, patch.width // 12), max(1, patch.height // 12))
    coarse = patch.resize(blocks, Image.Resampling.BOX).resize(patch.size, Image.Resampling.NEAREST)
    image.paste(coarse.filter(ImageFilter.GaussianBlur(radius=max(2, min(patch.size) // 10))), box)


def _public_mode(image_format: str, mode: str) -> str:
    if image_format == "JPEG":
        return "L" if mode == "L" else "RGB"
    if mode in ("RGBA", "LA", "PA") or (mode == "P"):
        return "RGBA"
    return "L" if mode == "L" else "RGB"
