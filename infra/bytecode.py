"""Bytecode in the Lambda package, so that a cold start compiles nothing it imports.

On Lambda the package is unpacked into /var/task, which is read-only: Python cannot
write __pycache__ there and, without bytecode in the package, compiles every module
it imports from source on every cold start (~280 ms of CPU for a first partner
webhook on a developer machine, more on a 256 MB function's share of a vCPU).

The layout (docs/scaling.md, "Package size and the first request"):

* Our code (app.py, chalicelib/) and the Chalice runtime Chalice adds to the
  package (chalice/app.py, chalice/__init__.py) keep their source, so tracebacks in
  CloudWatch show the lines, plus ``__pycache__/<module>.cpython-3XX.pyc`` beside it.
* The dependencies are **sourceless**: each ``module.py`` is replaced by
  ``module.pyc`` (the legacy layout, which the standard import system loads when no
  source is there), compiled without column positions (``-X no_debug_ranges``), so
  it costs about what the source did. A traceback through a library frame names its
  file and line, without the line's text.
* What is never imported goes (``UNUSED``), and so do the dependencies' RECORD files
  and their METADATA's long description (``trim_distribution_info``).

Every .pyc is an *unchecked* hash-based pyc (PEP 552): never compared with a source
or a timestamp (zip timestamps cannot be trusted), so Python takes it as it is.
It is compiled by the interpreter that packages, whose version is the runtime Chalice
deploys (it picks the runtime from the Python it runs on): a sourceless .pyc loads
only when its magic number is exactly the runtime's (tests/deploy/test_package.py).
"""

from __future__ import annotations

import importlib.util
import py_compile
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

# Glob (relative to site-packages) -> why nothing we ship imports it.
UNUSED = {
    "pydantic/v1": "pydantic's bundled V1 API (0.5 MB): only a type with V1's __get_validators__ reaches it; none has",
    "pydantic/mypy.py": "pydantic's mypy plugin: loaded by mypy, never at run time",
    "**/*.pyi": "type stubs (PyCryptodome's, mostly): read by type checkers, never imported",
}

# The recipe of the dependencies' bytecode (part of the cache key of infra.deploy.lambda_site_packages).
RECIPE = (
    f"bytecode {importlib.util.MAGIC_NUMBER.hex()} sourceless unchecked-hash no_debug_ranges {sorted(UNUSED)}"
    " metadata-headers no-record"
)

_SOURCELESS = """
import py_compile, sys
from pathlib import Path

root = Path(sys.argv[1])
for source in sorted(root.rglob("*.py")):
    py_compile.compile(
        str(source),
        cfile=str(source.with_suffix(".pyc")),
        dfile=source.relative_to(root).as_posix(),
        doraise=True,
        optimize=0,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    source.unlink()
"""


def prune(directory: Path) -> int:
    """Remove what ``UNUSED`` names; returns the bytes removed."""
    from infra.native import remove_matching

    return remove_matching(directory, UNUSED)


def trim_distribution_info(directory: Path) -> int:
    """Each ``*.dist-info``'s RECORD removed (installers read it; in a sourceless layout it lists
    .py files that are not there) and its METADATA cut to the headers (name, version,
    requirements... what ``importlib.metadata`` reads), without the long description after
    them (the project's README; pydantic's is 0.14 MB with its changelog). Licences stay.
    Returns the bytes removed."""
    removed = 0
    for record in directory.glob("*.dist-info/RECORD"):
        removed += record.stat().st_size
        record.unlink()
    for metadata in directory.glob("*.dist-info/METADATA"):
        text = metadata.read_bytes()
        headers, blank, _description = text.partition(b"\n\n")
        if blank:
            metadata.write_bytes(headers + b"\n")
            removed += len(text) - len(headers) - 1
    return removed


def make_sourceless(directory: Path) -> None:
    """Every ``.py`` under ``directory`` replaced by its ``.pyc`` (unchecked hash, no column
    positions; the code's file name relative to ``directory``), compiled by this interpreter."""
    for cache in [path for path in directory.rglob("__pycache__") if path.is_dir()]:
        shutil.rmtree(cache)
    subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-X", "no_debug_ranges", "-c", _SOURCELESS, str(directory)],
        check=True,
        capture_output=True,
    )


def cached_path(source: Path) -> Path:
    """Where the import system looks for ``source``'s bytecode: ``__pycache__/<name>.cpython-3XX.pyc``."""
    return Path(importlib.util.cache_from_source(str(source), optimization=""))


def compile_beside(sources: Iterable[tuple[Path, str]], cache_root: Path | None = None) -> list[Path]:
    """For each (source file, its path in the package): an unchecked-hash pyc in ``__pycache__``
    beside the source, or under ``cache_root`` at the package path's place; returns the pycs."""
    written = []
    for source, package_path in sources:
        target = cached_path((cache_root / package_path) if cache_root else source)
        py_compile.compile(
            str(source),
            cfile=str(target),
            dfile=package_path,
            doraise=True,
            optimize=0,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        written.append(target)
    return written
