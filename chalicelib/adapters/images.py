"""Checking and cleaning photos with Pillow.

A whistleblower's photo can reveal them through its metadata (GPS position,
camera serial, owner name, edit history), so the public copy of every photo is
re-encoded from pixels alone: no EXIF, GPS, XMP, ICC profile or comments
survive. The original bytes are kept unchanged, privately, as evidence.

Pillow is imported on first use; it is not needed at cold start.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

MAX_PIXELS = 40_000_000  # larger claims are decompression bombs, not phone photos
# All the photos of one request together (five phone photos of 12 MP fit; a
# request of five 40 MP claims does not): config MAX_PIXELS_PER_REQUEST.
MAX_PIXELS_PER_REQUEST = 50_000_000
PUBLIC_MAX_SIDE = 2048  # public copies are for phones on slow connections

_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


class UnreadableImage(ValueError):
    """Not a JPEG, PNG or WebP image we can decode."""


class OverPixelBudget(UnreadableImage):
    """This photo would take the request past its total pixel budget; refused from
    its header, before anything of it is decoded."""


@dataclass
class PixelBudget:
    """How many pixels the photos of one request may still decode to."""

    total: int = MAX_PIXELS_PER_REQUEST
    used: int = 0

    def take(self, pixels: int) -> None:
        if self.used + pixels > self.total:
            raise OverPixelBudget(
                f"would take the photos of this request past {self.total:,} pixels together "
                f"({self.used:,} before it, {pixels:,} in it)"
            )
        self.used += pixels


@dataclass(frozen=True)
class CleanImage:
    format: str  # JPEG, PNG or WEBP: what the bytes really are
    content_type: str
    extension: str
    original: bytes
    public: bytes  # re-encoded from pixels, no metadata at all
    width: int  # of the public copy
    height: int


def clean(
    data: bytes, redact: tuple[tuple[int, int, int, int], ...] = (), budget: PixelBudget | None = None
) -> CleanImage:
    """``redact``: rectangles (x, y, width, height) in the public copy's pixels to blur
    beyond recognition (faces, number plates) before the public copy is encoded.

    ``budget``: the request's pixel budget; this photo's pixels are taken from it
    (read from the header, before decoding) or OverPixelBudget is raised."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            if image_format not in _FORMATS:
                raise UnreadableImage("is not a JPEG, PNG or WebP image")
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise UnreadableImage(f"is too large ({width}x{height} pixels)")
            if budget is not None:
                budget.take(width * height)
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image_format == "JPEG":
                image.draft("RGB", (PUBLIC_MAX_SIDE, PUBLIC_MAX_SIDE))  # decode at reduced size
            image.load()
            upright = ImageOps.exif_transpose(image)
    except UnreadableImage:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise UnreadableImage(f"is not a readable image ({type(error).__name__})") from None

    mode = _public_mode(image_format, upright.mode)
    pixels = upright.convert(mode) if upright.mode != mode else upright
    pixels.thumbnail((PUBLIC_MAX_SIDE, PUBLIC_MAX_SIDE))
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
