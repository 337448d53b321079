"""Layer contracts of docs/architecture.md that `make test` enforces.

Key formats and index names live in chalicelib/adapters/ only: services, the
API, workers, the domain, app.py, the local stand-ins, the benchmarks and the
test fakes ask the storage ports for what they mean (``queue(view, ...)``,
``due(now)``, ``reported(...)``, ``nearby_open(...)``) and never spell a key.
So a change to the table design touches adapters/ alone.

The check reads the source's string literals (the AST: comments and
docstrings, which may explain the table design, are not code) for

* the table's key attributes ``PK`` / ``SK`` (also inside an expression such
  as ``attribute_not_exists(PK)``),
* an index name (a literal that is ``<name>-index``, or builds one: ``-index``),
* an index key attribute (``due_pk``, ``day_sk``...),
* a key prefix: capitals and ``#`` (``CASE#``, ``f"DAY#{day}"``, ``ALERTAREA#KEL#``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = ROOT / "chalicelib" / "adapters"

RULES = (
    ("a table key attribute", re.compile(r"\b(?:PK|SK)\b")),
    ("an index name", re.compile(r"^[a-z]*(?:-[a-z]+)*-index$")),
    ("an index key attribute", re.compile(r"\b[a-z]+_(?:pk|sk)\b")),
    ("a key prefix", re.compile(r"(?<![A-Za-z0-9_])[A-Z][A-Z0-9_]+#")),
)


def scanned_files() -> list[Path]:
    """Everything outside adapters/ that could reach the table: chalicelib's other
    packages, app.py, the local stand-ins, the benchmarks and the test fakes."""
    chalicelib = [path for path in (ROOT / "chalicelib").rglob("*.py") if ADAPTERS not in path.parents]
    others = [ROOT / "app.py", *(ROOT / "infra" / "local").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
    return sorted(chalicelib + others + list((ROOT / "tests" / "support").rglob("*.py")))


def _prose(tree: ast.AST) -> set[int]:
    """The string literals that are statements on their own: docstrings."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }


def key_formats(source: str, name: str = "<source>") -> list[str]:
    """Every string literal of the source that spells a key format or an index name."""
    tree = ast.parse(source)
    prose = _prose(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            found += [
                f"{name}:{node.lineno}: {what} in {node.value[:80]!r}"
                for what, rule in RULES
                if rule.search(node.value)
            ]
    return sorted(found)


def test_no_key_formats_outside_adapters():
    files = scanned_files()
    assert len(files) > 100 and ROOT / "chalicelib" / "services" / "open311.py" in files
    assert not any(ADAPTERS in path.parents for path in files)
    found = [problem for path in files for problem in key_formats(path.read_text(), str(path.relative_to(ROOT)))]
    assert found == [], "ask a port in chalicelib/adapters/ instead:\n" + "\n".join(found)


PLANTED = '''
"""A docstring may say PK = CASE#<code>, SK = CASE and name the due-index."""
from chalicelib.adapters import aws


def stored(code):
    # comments are not code: PK, GEO#, day-index
    return {"PK": f"CASE#{code}", "SK": "CASE"}


def family(agency):
    return "family", "FAMILY#" + agency


def due(client, table):
    return client.query(
        TableName=table,
        IndexName="due-index",
        KeyConditionExpression="due_pk = :pk",
        ConditionExpression="attribute_not_exists(PK)",
    )


def order(item):
    return item["day_sk"], f"{item['category']}-index", "#"
'''


def test_the_check_catches_a_planted_violation_and_passes_prose():
    found = key_formats(PLANTED, "planted.py")
    assert found == [
        "planted.py:12: a key prefix in 'FAMILY#'",
        "planted.py:18: an index name in 'due-index'",
        "planted.py:19: an index key attribute in 'due_pk = :pk'",
        "planted.py:20: a table key attribute in 'attribute_not_exists(PK)'",
        "planted.py:25: an index key attribute in 'day_sk'",
        "planted.py:25: an index name in '-index'",
        "planted.py:8: a key prefix in 'CASE#'",
        "planted.py:8: a table key attribute in 'PK'",
        "planted.py:8: a table key attribute in 'SK'",
    ]
    # The same words in docstrings and comments, and look-alikes that are no key, pass.
    clean = (
        '"""PK = CASE#<code>; the due-index."""\n'
        "# SK, GEO#\n"
        'x = ["C#", "#fff", "page-indexed", "one Query on the queue-index", "pk", "due_pk_count", "ask"]\n'
    )
    assert key_formats(clean) == []
