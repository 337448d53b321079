"""The native libraries in the Lambda package: only what we use, and only what loads on Lambda.

Chalice picks a manylinux wheel for the Lambda runtime when one exists, and
otherwise builds the package from source on this machine: such a build links
this machine's libraries (libjpeg, libxcb...) and glibc, and fails to import on
Lambda. ``problems()`` reads every shared library's ELF dynamic section
(``DT_NEEDED``) and glibc symbol versions and names what would not load on the
python3.11 runtime (Amazon Linux 2, glibc 2.26); `make package`/`make deploy`
refuse such a build (infra/deploy.py ``lambda_site_packages``).

``prune()`` removes the parts of Pillow's wheel we never use: we accept JPEG,
PNG and WebP only (chalicelib/adapters/images.py). ``_imaging`` itself does not
link any of them (``readelf -d``), so opening and saving those formats works
without them (tests/deploy/test_package.py checks it on the packaged zip).
"""

from __future__ import annotations

import re
import shutil
import struct
from collections.abc import Iterable
from pathlib import Path

# glibc of the Lambda python3.11 runtime (Amazon Linux 2); Chalice's packager uses the same figure.
LAMBDA_GLIBC = (2, 26)

# Libraries the runtime provides: the manylinux2014 policy's system libraries that a wheel may
# link without bundling them (libz included).
SYSTEM_LIBRARIES = frozenset(
    {
        "libc.so.6",
        "libm.so.6",
        "libdl.so.2",
        "librt.so.1",
        "libpthread.so.0",
        "libutil.so.1",
        "libresolv.so.2",
        "libnsl.so.1",
        "libcrypt.so.1",
        "libgcc_s.so.1",
        "libstdc++.so.6",
        "libz.so.1",
        "ld-linux-x86-64.so.2",
    }
)

# Glob (relative to site-packages) -> why we do without it. Only libraries that no
# remaining library needs (problems() fails the build otherwise).
UNUSED = {
    "PIL/_avif.*.so": "AVIF decoding: we accept JPEG, PNG and WebP only",
    "pillow.libs/libavif-*": "AVIF codec (7.9 MB), only for PIL/_avif",
    "PIL/_imagingft.*.so": "ImageFont (TrueType text): we draw no text",
    "pillow.libs/libfreetype-*": "FreeType, only for PIL/_imagingft",
    "pillow.libs/libharfbuzz-*": "HarfBuzz text shaping, only for PIL/_imagingft",
    "pillow.libs/libbrotli*": "Brotli (WOFF2 fonts), only for FreeType",
    "pillow.libs/libpng16-*": "libpng, only for FreeType (Pillow's PNG codec is its own, on zlib)",
    "PIL/_imagingcms.*.so": "ImageCms (colour management): public copies keep no ICC profile",
    "pillow.libs/liblcms2-*": "LittleCMS, only for PIL/_imagingcms",
    "PIL/_imagingtk.*.so": "Tk display: no GUI on Lambda",
    "Crypto/SelfTest": "PyCryptodome's own test suite (1.7 MB): run by its self_test(), never imported by the app",
}

_SHT_DYNAMIC = 6
_DT_NEEDED = 1
_GLIBC = re.compile(rb"GLIBC_(\d+)\.(\d+)(?:\.\d+)?\x00")


def shared_libraries(directory: Path) -> list[Path]:
    return sorted(
        path
        for path in directory.rglob("*.so*")
        if path.is_file() and not path.is_symlink() and (path.suffix == ".so" or ".so." in path.name)
    )


def needed(data: bytes) -> list[str]:
    """The DT_NEEDED entries of an ELF64 little-endian shared library (x86_64, aarch64)."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    (section_offset,) = struct.unpack_from("<Q", data, 0x28)
    entry_size, count = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, section_offset + i * entry_size) for i in range(count)]
    names = []
    for _name, kind, _flags, _address, offset, size, link, _info, _align, _entsize in sections:
        if kind != _SHT_DYNAMIC:
            continue
        strings_offset = sections[link][4]
        for position in range(offset, offset + size, 16):
            tag, value = struct.unpack_from("<qQ", data, position)
            if tag == 0:
                break
            if tag == _DT_NEEDED:
                start = strings_offset + value
                names.append(data[start : data.index(b"\x00", start)].decode())
    return names


def glibc_required(data: bytes) -> tuple[int, int]:
    """The newest GLIBC_x.y symbol version the library refers to ((0, 0) if none)."""
    return max(((int(major), int(minor)) for major, minor in _GLIBC.findall(data)), default=(0, 0))


def problems(directory: Path, glibc: tuple[int, int] = LAMBDA_GLIBC) -> list[str]:
    """What would keep a library of ``directory`` from loading on Lambda: a newer glibc,
    or a needed library that is neither bundled nor part of the runtime."""
    libraries = shared_libraries(directory)
    bundled = {path.name for path in libraries} | {path.name for path in directory.rglob("*.so*") if path.is_symlink()}
    found = []
    for path in libraries:
        data = path.read_bytes()
        where = path.relative_to(directory)
        version = glibc_required(data)
        if version > glibc:
            found.append(f"{where} needs glibc {version[0]}.{version[1]} (Lambda has {glibc[0]}.{glibc[1]})")
        for name in needed(data):
            if name not in bundled and name not in SYSTEM_LIBRARIES:
                found.append(f"{where} needs {name}, which is neither bundled nor in the Lambda runtime")
    return found


def prune(directory: Path) -> int:
    """Remove what ``UNUSED`` names; returns the bytes removed."""
    return remove_matching(directory, UNUSED)


def remove_matching(directory: Path, patterns: Iterable[str]) -> int:
    """Remove every file and folder under ``directory`` that a glob pattern names; returns the bytes removed."""
    removed = 0
    for pattern in patterns:
        for path in directory.glob(pattern):
            if path.is_dir():
                removed += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
                shutil.rmtree(path)
            else:
                removed += path.stat().st_size
                path.unlink()
    return removed
