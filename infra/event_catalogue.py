"""The event catalogue (docs/events.md) and the SNS filter policies of
infra/template.yaml, both generated from the handler registry
(chalicelib/services/handlers.py), so the three cannot drift apart.

    python -m infra.event_catalogue           # rewrite both from the registry
    python -m infra.event_catalogue --check   # exit 1 if either is stale

tests/unit/test_event_registry.py runs the same checks in ``make test``.

In the template, each subscriber queue is an ``AWS::SNS::Subscription`` of the
``CaseEventsTopic`` whose endpoint is a queue named ``crm-${Stage}-<queue>``;
``<queue>`` is the registry's key. Only the ``FilterPolicy`` lines of those
subscriptions are rewritten; everything else in the file is left as it is.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "infra" / "template.yaml"
CATALOGUE = ROOT / "docs" / "events.md"
TOPIC = "CaseEventsTopic"
QUEUE_PREFIX = "crm-${Stage}-"
WIDTH = 120


# --- the template's subscriptions -------------------------------------------------------------


def subscriptions(template: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """The topic's SQS subscriptions: queue key -> (subscription logical id, its FilterPolicy)."""
    resources = template["Resources"]
    found: dict[str, tuple[str, Any]] = {}
    for logical_id, resource in resources.items():
        properties = resource.get("Properties") or {}
        if resource.get("Type") != "AWS::SNS::Subscription" or properties.get("TopicArn") != {"Ref": TOPIC}:
            continue
        queue_id = properties["Endpoint"]["Fn::GetAtt"][0]
        name = resources[queue_id]["Properties"]["QueueName"]
        name = name["Fn::Sub"] if isinstance(name, dict) else name
        if not name.startswith(QUEUE_PREFIX):
            raise ValueError(f"{logical_id}: queue {name!r} is not named {QUEUE_PREFIX}<queue>")
        found[name[len(QUEUE_PREFIX) :]] = (logical_id, properties.get("FilterPolicy"))
    return found


def mismatches(template: Mapping[str, Any], handlers: Mapping[str, Mapping[type, Any]] | None = None) -> list[str]:
    """Where the template's subscriptions and the registry disagree (empty: they match)."""
    from chalicelib.services import handlers as registry

    handlers = registry.HANDLERS if handlers is None else handlers
    subscribed = subscriptions(template)
    problems = []
    for queue, (logical_id, policy) in sorted(subscribed.items()):
        if queue not in handlers:
            problems.append(f"{logical_id}: the queue {queue!r} has no handlers in the registry")
            continue
        have = set((policy or {}).get("event_type") or [])
        want = set(_policy(handlers[queue])["event_type"])
        other = sorted(set(policy or {}) - {"event_type"})
        if have != want or other:
            detail = [f"delivered without a handler: {sorted(have - want)}"] if have - want else []
            detail += [f"handled but not delivered: {sorted(want - have)}"] if want - have else []
            detail += [f"filters on {other} too"] if other else []
            problems.append(f"{logical_id}: FilterPolicy is not the registry's ({'; '.join(detail)})")
    for queue in sorted(set(handlers) - set(subscribed)):
        if _policy(handlers[queue])["event_type"]:
            problems.append(f"the registry's queue {queue!r} has no subscription to {TOPIC} in the template")
    return problems


def _policy(table: Mapping[type, Any]) -> dict[str, list[str]]:
    from chalicelib.domain.events import DomainEvent

    return {"event_type": sorted(cls.type for cls in table if issubclass(cls, DomainEvent))}


def with_filter_policies(text: str, template: Mapping[str, Any]) -> str:
    """The template's text with each subscription's FilterPolicy written from the registry."""
    from chalicelib.services.handlers import HANDLERS

    lines = text.splitlines(keepends=True)
    for queue, (logical_id, _policy_now) in subscriptions(template).items():
        if queue not in HANDLERS:
            continue  # reported by mismatches(); nothing to generate
        start = _line_of(lines, f"  {logical_id}:", 0)
        at = _line_of(lines, "      FilterPolicy:", start)
        end = at + 1
        while end < len(lines) and lines[end].startswith("        ") and lines[end].strip():
            end += 1
        lines[at + 1 : end] = _policy_lines(_policy(HANDLERS[queue])["event_type"])
    return "".join(lines)


def _line_of(lines: list[str], prefix: str, start: int) -> int:
    for index in range(start, len(lines)):
        if lines[index].rstrip("\n") == prefix:
            return index
    raise ValueError(f"no line {prefix.strip()!r} in the template after line {start + 1}")


def _policy_lines(types: list[str]) -> list[str]:
    """``event_type: [a, b, ...]`` in flow style, wrapped under its bracket at WIDTH."""
    head = "        event_type: ["
    items = [f"{name}," for name in types[:-1]] + [f"{name}]" for name in types[-1:]] or ["]"]
    rows: list[list[str]] = [[]]
    for item in items:
        if rows[-1] and len(head) + len(" ".join([*rows[-1], item])) > WIDTH:
            rows.append([])
        rows[-1].append(item)
    return [(head if index == 0 else " " * len(head)) + " ".join(row) + "\n" for index, row in enumerate(rows)]


# --- the catalogue ------------------------------------------------------------------------------


def render() -> str:
    """docs/events.md: every event type, its fields, and who handles it."""
    from chalicelib.domain.events import ACTOR_FIELDS, EVENT_TYPES
    from chalicelib.services.handlers import HANDLERS, HISTORY_ONLY, subscribers

    out = [
        "# Event catalogue",
        "",
        "<!-- Generated by `python -m infra.event_catalogue` from chalicelib/services/handlers.py;",
        "     tests/unit/test_event_registry.py fails when it is stale. Do not edit by hand. -->",
        "",
        "Every domain event a case raises (chalicelib/domain/events.py) is written with the case",
        "(its outbox), relayed by the table's stream to the SNS topic `case-events`, and delivered",
        "to the SQS queues below, each filtered on `event_type` by the handler registry",
        "(chalicelib/services/handlers.py), which also drives the workers. History only: kept in",
        "the case's history (and, if public, its timeline), delivered to no queue.",
        "",
        "All events carry `occurred_at` and who acted (`" + "`, `".join(ACTOR_FIELDS) + "`, not public).",
        "On the wire a subscriber gets `{id, type, occurred_at, data, tracking_code, version, case:",
        "{channel, category, agency_id, status}, correlation_id?}` (see [architecture.md](architecture.md#events));",
        "`correlation_id`, also a message attribute, only labels log lines ([operations.md](operations.md)).",
        "",
        "## Queues",
        "",
        "| queue | worker (app.py) | event types |",
        "|---|---|---|",
    ]
    for queue, table in HANDLERS.items():
        types = ", ".join(f"`{getattr(cls, 'type', cls.__name__)}`" for cls in table)
        out.append(f"| `crm-<stage>-{queue}` | `{_worker(queue)}` | {types} |")
    out += ["", "## Events", ""]
    out += ["| type | class | public | data | handled by |", "|---|---|---|---|---|"]
    for kind, cls in sorted(EVENT_TYPES.items()):
        names = [name for name in cls.field_names if name not in ("occurred_at", *ACTOR_FIELDS)]
        data = ", ".join(f"`{name}`" + (" (private)" if name in cls.private_fields else "") for name in names)
        handled = "; ".join(
            f"{queue}: " + ", ".join(f"`{handler.__name__}`" for handler in chain)
            for queue, chain in subscribers(cls).items()
        )
        if cls in HISTORY_ONLY:
            handled = "history only"
        summary = _first_line(cls.__dict__.get("__doc__"))
        out.append(
            f"| `{kind}` | `{cls.__name__}`{' — ' + summary if summary else ''} | {'yes' if cls.public else 'no'} "
            f"| {data or '—'} | {handled or '**none**'} |"
        )
    out += ["", "## Handlers", "", "| handler | what it does |", "|---|---|"]
    seen: list[Any] = []
    for table in HANDLERS.values():
        for chain in table.values():
            seen += [handler for handler in chain if handler not in seen]
    for handler in seen:
        out.append(f"| `{handler.__name__}` | {_first_line(handler.__doc__)} |")
    out += [
        "",
        "Notices (`Notice`, chalicelib/domain/messages.py) are not domain events: the webhooks queue",
        "them straight onto the replies queue (`{notice, sender, tracking_code, language}`).",
        "",
    ]
    return "\n".join(out)


def _worker(queue: str) -> str:
    """The app.py handler that consumes ``crm-<stage>-<queue>``."""
    import app

    for source in app.app.event_sources:
        if getattr(source, "queue", "").endswith(f"-{queue}"):
            return source.name
    return "?"


def _first_line(doc: str | None) -> str:
    text = inspect.cleandoc(doc or "")
    sentence = " ".join(text.split("\n\n")[0].split())
    return sentence.replace("|", "\\|")


# --- the command --------------------------------------------------------------------------------


def stale() -> list[str]:
    """The generated files that differ from what the registry gives."""
    from infra.local.provision import load_template

    out = []
    if not CATALOGUE.exists() or CATALOGUE.read_text() != render():
        out.append(str(CATALOGUE.relative_to(ROOT)))
    if TEMPLATE.read_text() != with_filter_policies(TEMPLATE.read_text(), load_template(TEMPLATE)):
        out.append(str(TEMPLATE.relative_to(ROOT)) + " (FilterPolicy)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1)")
    args = parser.parse_args(argv)
    from infra.local.provision import load_template

    template = load_template(TEMPLATE)
    if args.check:
        problems = stale() + mismatches(template)
        for problem in problems:
            print(f"stale or mismatched: {problem}", file=sys.stderr)
        return 1 if problems else 0
    TEMPLATE.write_text(with_filter_policies(TEMPLATE.read_text(), template))
    CATALOGUE.write_text(render())
    problems = mismatches(load_template(TEMPLATE))
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"wrote {CATALOGUE.relative_to(ROOT)} and the filter policies of {TEMPLATE.relative_to(ROOT)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
