"""infra/native.py on real shared libraries: it reads what a library needs the way
`readelf -d` does, and names what would not load on Lambda (fast; the packaged zip
itself is checked in test_package.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from infra import native

PIL_DIR = Path(__import__("PIL").__file__).parent
IMAGING = next(PIL_DIR.glob("_imaging.*.so"))


def test_needed_reads_the_dynamic_section_like_readelf():
    if shutil.which("readelf") is None:
        pytest.skip("no readelf (binutils) to compare with")
    libraries = [IMAGING, *native.shared_libraries(PIL_DIR.parent / "pillow.libs")]
    assert len(libraries) > 5
    for library in libraries:
        listing = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True, check=True).stdout
        expected = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", listing)
        assert native.needed(library.read_bytes()) == expected, library.name


def test_a_library_whose_dependencies_are_missing_is_named(tmp_path):
    """_imaging without pillow.libs/: what Chalice's source build of Pillow 13 looked like on Lambda."""
    (tmp_path / "PIL").mkdir()
    shutil.copy2(IMAGING, tmp_path / "PIL" / IMAGING.name)
    found = native.problems(tmp_path)
    jpeg = next(name for name in native.needed(IMAGING.read_bytes()) if name.startswith("libjpeg"))
    assert f"PIL/{IMAGING.name} needs {jpeg}, which is neither bundled nor in the Lambda runtime" in found
    assert not any("libc.so.6" in line or "libz.so.1" in line for line in found), "the runtime has those"

    shutil.copytree(PIL_DIR.parent / "pillow.libs", tmp_path / "pillow.libs")
    assert not [line for line in native.problems(tmp_path) if "neither bundled" in line]


def test_a_library_built_for_a_newer_glibc_is_named(tmp_path):
    library = tmp_path / "lib.so"
    shutil.copy2(IMAGING, library)
    version = native.glibc_required(library.read_bytes())
    assert version >= (2, 2)
    older = (version[0], version[1] - 1)

    def glibc_lines(glibc):
        return [line for line in native.problems(tmp_path, glibc=glibc) if "glibc" in line]

    assert glibc_lines(older) == [f"lib.so needs glibc {version[0]}.{version[1]} (Lambda has {older[0]}.{older[1]})"]
    assert glibc_lines(version) == []


def test_prune_removes_only_what_it_names(tmp_path):
    for name in ("PIL/_avif.cpython-311-x86_64-linux-gnu.so", "pillow.libs/libavif-0b1c2ae7.so.16.4.1"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * 10)
    kept = tmp_path / "PIL" / "_webp.cpython-311-x86_64-linux-gnu.so"
    kept.write_bytes(b"y")
    assert native.prune(tmp_path) == 20
    assert [path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*.so*")] == [
        "PIL/_webp.cpython-311-x86_64-linux-gnu.so"
    ]
