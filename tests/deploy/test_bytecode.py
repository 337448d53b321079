"""The bytecode steps of the Lambda package (infra/bytecode.py), on small trees of their own;
tests/deploy/test_package.py checks the packaged zip."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import marshal
import os
import subprocess
import sys
from pathlib import Path

from infra import bytecode

MODULE = '''"""A module."""


def fail(value):
    total = value + 1
    raise ValueError(f"bad value {total}")
'''

# Imports pkg.mod from the directory alone, reports compilations from source and the traceback.
CHILD = """
import importlib._bootstrap_external as external, sys, traceback

sys.path.insert(0, sys.argv[1])
compiled = []
source_to_code = external.SourceLoader.source_to_code


def counting_source_to_code(self, data, path, *args, **kwargs):
    compiled.append(path)
    return source_to_code(self, data, path, *args, **kwargs)


external.SourceLoader.source_to_code = counting_source_to_code
import pkg.mod

print("compiled:", compiled, "file:", pkg.mod.__file__)
try:
    pkg.mod.fail(1)
except ValueError:
    traceback.print_exc(file=sys.stdout)
"""


def _run(directory: Path) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONPYCACHEPREFIX")}
    result = subprocess.run(
        [sys.executable, "-S", "-c", CHILD, str(directory)],
        env={**environment, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _tree(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text(MODULE)
    return root


def test_sourceless_modules_load_without_compiling_and_tracebacks_name_file_and_line(tmp_path):
    root = _tree(tmp_path / "site")
    bytecode.make_sourceless(root)
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        "pkg/__init__.pyc",
        "pkg/mod.pyc",
    ]
    data = (root / "pkg" / "mod.pyc").read_bytes()
    assert data[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(data[4:8], "little") == 0b01  # hash-based, never checked against a source
    output = _run(root)
    assert "compiled: [] file: " + str(root / "pkg" / "mod.pyc") in output
    # The frame names the file (relative to site-packages) and the line, without the line's text.
    assert 'File "pkg/mod.py", line 6, in fail' in output
    assert "raise ValueError" not in output and "ValueError: bad value 2" in output


def test_sourceless_bytecode_is_compiled_without_column_positions(tmp_path):
    root = _tree(tmp_path / "site")
    bytecode.make_sourceless(root)
    module = marshal.loads((root / "pkg" / "mod.pyc").read_bytes()[16:])  # noqa: S302 - our own file
    fail = next(const for const in module.co_consts if hasattr(const, "co_positions"))
    assert {line for line, _, _, _ in fail.co_positions()} >= {5, 6}
    assert all(column is None for _, _, column, _ in fail.co_positions()), "compiled with -X no_debug_ranges"


def test_our_modules_keep_their_source_and_get_unchecked_bytecode_beside_it(tmp_path):
    root = _tree(tmp_path / "task")
    sources = sorted(root.rglob("*.py"))
    written = bytecode.compile_beside((source, source.relative_to(root).as_posix()) for source in sources)
    assert written == [
        root / "pkg" / "__pycache__" / f"{name}.{sys.implementation.cache_tag}.pyc" for name in ("__init__", "mod")
    ]
    data = written[1].read_bytes()
    assert (data[:4], int.from_bytes(data[4:8], "little")) == (importlib.util.MAGIC_NUMBER, 0b01)
    assert data[8:16] == importlib.util.source_hash(MODULE.encode())
    output = _run(root)
    assert "compiled: [] file: " + str(root / "pkg" / "mod.py") in output
    assert "    raise ValueError" in output  # the source is there: tracebacks show the line


def test_the_runtime_files_bytecode_goes_where_the_package_will_have_their_source(tmp_path):
    source = tmp_path / "elsewhere" / "app.py"
    source.parent.mkdir()
    source.write_text("VALUE = 1\n")
    (written,) = bytecode.compile_beside([(source, "chalice/app.py")], cache_root=tmp_path / "vendor")
    assert written == tmp_path / "vendor" / "chalice" / "__pycache__" / f"app.{sys.implementation.cache_tag}.pyc"


def test_distribution_metadata_keeps_its_headers(tmp_path):
    info = tmp_path / "example-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.4\nName: example\nVersion: 1.2.3\nRequires-Dist: other>=2\n\n# Example\n\n"
        + "A long README.\n" * 1000
    )
    (info / "RECORD").write_text("example/__init__.py,sha256=abc,10\n")
    (info / "licenses").mkdir()
    (info / "licenses" / "LICENSE").write_text("MIT")
    removed = bytecode.trim_distribution_info(tmp_path)
    assert removed > 15_000
    assert not (info / "RECORD").exists() and (info / "licenses" / "LICENSE").read_text() == "MIT"
    (distribution,) = importlib.metadata.distributions(path=[str(tmp_path)])
    assert distribution.version == "1.2.3" and distribution.requires == ["other>=2"]


def test_prune_removes_what_nothing_imports(tmp_path):
    for name in ("pydantic/v1/main.py", "pydantic/mypy.py", "Crypto/Cipher/AES.pyi", "pydantic/main.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    assert bytecode.prune(tmp_path) == 18
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "pydantic/main.py"
    ]
