"""Test images made on the fly, some carrying metadata that must not leak."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825
SECRET_MAKE = "SECRET-CAMERA-SERIAL-42"


def jpeg_with_metadata(width: int = 320, height: int = 240, orientation: int | None = None) -> bytes:
    """A JPEG with EXIF (camera, GPS), an ICC profile, a comment and XMP."""
    image = Image.new("RGB", (width, height), (200, 40, 40))
    image.paste((40, 40, 200), (0, 0, width // 2, height // 2))
    exif = Image.Exif()
    exif[0x010F] = SECRET_MAKE  # Make
    exif[0x013B] = "Whistleblower Name"  # Artist
    exif[GPS_IFD] = {1: "S", 2: (6.0, 10.0, 30.0), 3: "E", 4: (106.0, 49.0, 40.0)}
    if orientation:
        exif[0x0112] = orientation
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>secret-xmp</rdf:Description></x:xmpmeta>'
    out = io.BytesIO()
    image.save(
        out,
        "JPEG",
        exif=exif,
        icc_profile=b"\x00" * 128 + b"fake-icc-profile",
        comment=b"secret comment",
        xmp=xmp,
    )
    return out.getvalue()


def png_bytes(mode: str = "RGBA", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    image = Image.new(mode, size)
    info = None
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "secret png author")
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def gif_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")
    return out.getvalue()


def metadata_leaks(data: bytes) -> list[str]:
    """Every kind of metadata still present in an image (empty list: clean)."""
    found = []
    with Image.open(io.BytesIO(data)) as image:
        if image.getexif():
            found.append("exif")
        for key in ("exif", "icc_profile", "comment", "xmp", "XML:com.adobe.xmp", "Author", "photoshop"):
            if image.info.get(key):
                found.append(key)
    for marker in (SECRET_MAKE.encode(), b"Whistleblower", b"secret-xmp", b"secret comment", b"fake-icc"):
        if marker in data:
            found.append(marker.decode())
    return found


def striped_jpeg(width: int = 400, height: int = 300) -> bytes:
    """Fine stripes everywhere (as a face or a plate has detail): any blur shows, and so
    would any change outside a blurred box."""
    from PIL import ImageDraw

    image = Image.new("RGB", (width, height), (205, 205, 200))
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 8):
        draw.line([(x, 0), (x, height)], fill=(25, 25, 30), width=2)
    for y in range(0, height, 12):
        draw.line([(0, y), (width, y)], fill=(170, 40, 40), width=1)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()
