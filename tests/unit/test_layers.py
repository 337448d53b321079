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


# Import contracts: every import of chalicelib.* (at the top, inside a function
# or under TYPE_CHECKING) follows the "may import" column of the layers table in
# docs/architecture.md, which this test reads, so the doc and the check cannot
# drift apart. A part of chalicelib is a folder (``services``) or a top-level
# module (``config``); a table cell names parts (``adapters``) or single modules
# (``adapters.secret_store``) in backticks. A part may always import itself.

CHALICELIB = ROOT / "chalicelib"
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The chalicelib modules a module's source imports, wherever the import stands;
    ``from chalicelib.x import name`` is the module ``x.name`` if there is one, else ``x``."""
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            while name not in known and "." in name:
                name = name.rpartition(".")[0]
            if name in known:
                found.add(name)
    return found


def import_graph(root: Path = CHALICELIB) -> dict[str, set[str]]:
    # The package's own __init__ is a docstring: no part of any layer.
    paths = {_module_name(path, root): path for path in root.rglob("*.py") if path != root / "__init__.py"}
    known = set(paths)
    return {
        module: imported_modules(path.read_text(), module, path.name == "__init__.py", known)
        for module, path in sorted(paths.items())
    }


def part(module: str) -> str:
    """``chalicelib.services.intake`` -> ``services``; ``chalicelib.config`` -> ``config``."""
    return (module.split(".") + [""])[1]


def layer_table(text: str) -> dict[str, set[str]]:
    """The "may import" column of the layers table, by part of chalicelib."""
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    table = {}
    for row in section.splitlines():
        cells = row.split("|")[1:-1]
        if len(cells) != 3:
            continue
        for folder in re.findall(r"`chalicelib/(\w+)(?:/|\.py)`", cells[0]):
            table[folder] = set(re.findall(r"`([\w.]+)`", cells[2]))
    return table


def violations(graph: dict[str, set[str]], table: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in sorted(graph.items()):
        source = part(module)
        if source not in table:
            found.append(f"{module}: chalicelib/{source} has no row in the layers table")
            continue
        allowed = table[source] | {source}
        for target in sorted(targets):
            name = target.removeprefix("chalicelib.")
            if part(target) not in allowed and not any(name == a or name.startswith(a + ".") for a in allowed):
                found.append(f"{module} imports {target}: {source} may import {', '.join(sorted(table[source]))}")
    return found


def test_imports_follow_the_layers_table():
    graph = import_graph()
    table = layer_table(ARCHITECTURE.read_text())
    assert {"domain", "channels", "services", "adapters", "api", "workers", "bootstrap", "config"} <= set(table)
    assert table["domain"] == {"domain"}
    assert "chalicelib.services.intake" in graph["chalicelib.api.webhooks"]  # lazy imports are read
    found = violations(graph, table)
    assert found == [], "move the code, or change the table with a reason:\n" + "\n".join(found)


PLANTED_MODULE = """
from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib import config
from chalicelib.domain.case import Case
from ..services import intake

if TYPE_CHECKING:
    from chalicelib.api.http import ApiError


def parse(body):
    from chalicelib.adapters.aws import client
    import chalicelib.workers.sqs

    from .signing import sign
"""


def test_the_import_check_catches_planted_violations():
    known = {
        "chalicelib.config",
        "chalicelib.domain",
        "chalicelib.domain.case",
        "chalicelib.services",
        "chalicelib.services.intake",
        "chalicelib.api.http",
        "chalicelib.adapters.aws",
        "chalicelib.workers.sqs",
        "chalicelib.channels.signing",
    }
    imported = imported_modules(PLANTED_MODULE, "chalicelib.channels.fake", False, known)
    assert imported == known - {"chalicelib.domain", "chalicelib.services"}
    table = {"channels": {"domain", "config"}, "config": {"domain", "adapters.secret_store"}}
    graph = {
        "chalicelib.channels.fake": imported,
        "chalicelib.config": {"chalicelib.adapters.secret_store", "chalicelib.adapters.aws"},
        "chalicelib.extra": set(),
    }
    assert violations(graph, table) == [
        "chalicelib.channels.fake imports chalicelib.adapters.aws: channels may import config, domain",
        "chalicelib.channels.fake imports chalicelib.api.http: channels may import config, domain",
        "chalicelib.channels.fake imports chalicelib.services.intake: channels may import config, domain",
        "chalicelib.channels.fake imports chalicelib.workers.sqs: channels may import config, domain",
        "chalicelib.config imports chalicelib.adapters.aws: config may import adapters.secret_store, domain",
        "chalicelib.extra: chalicelib/extra has no row in the layers table",
    ]
