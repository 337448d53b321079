"""Small CloudFormation helpers shared by local provisioning and deployment.

``evaluate`` computes the intrinsic functions a template uses (Ref, GetAtt,
Sub, If, Join, Select, Split, conditions) against known values, for the
resources moto cannot create and for tests that read the template. It is not
a CloudFormation implementation: anything it does not know raises, so a new
intrinsic shows up as a clear error instead of a wrong value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

NO_VALUE = object()  # AWS::NoValue: the key is dropped

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class UnresolvedReference(LookupError):
    """The template refers to something ``evaluate`` was not given."""


def references(value: Any) -> Iterator[tuple[str, str | None]]:
    """Every (logical id, attribute or None) a template fragment refers to."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, inner),) = value.items()
            if key == "Ref" and isinstance(inner, str):
                yield inner, None
                return
            if key == "Fn::GetAtt":
                parts = inner.split(".", 1) if isinstance(inner, str) else inner
                yield parts[0], parts[1]
                return
            if key == "Fn::Sub":
                text, variables = (inner, {}) if isinstance(inner, str) else (inner[0], inner[1])
                for name in _SUB_VARIABLE.findall(text):
                    if name in variables:
                        continue
                    target, _, attribute = name.partition(".")
                    yield target, attribute or None
                yield from references(variables)
                return
        for inner in value.values():
            yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def evaluate(
    value: Any,
    ref: Callable[[str], Any],
    get_att: Callable[[str, str], Any],
    condition: Callable[[str], bool],
) -> Any:
    """``value`` with every intrinsic function replaced by its result."""

    def ev(node: Any) -> Any:
        if isinstance(node, list):
            return [item for item in (ev(item) for item in node) if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, inner),) = node.items()
            if key == "Ref":
                return NO_VALUE if inner == "AWS::NoValue" else ref(inner)
            if key == "Fn::GetAtt":
                target, attribute = inner.split(".", 1) if isinstance(inner, str) else inner
                return get_att(target, attribute)
            if key == "Fn::Sub":
                text, variables = (inner, {}) if isinstance(inner, str) else (inner[0], ev(inner[1]))

                def substitute(match: re.Match[str]) -> str:
                    name = match.group(1)
                    if name in variables:
                        return str(variables[name])
                    target, _, attribute = name.partition(".")
                    return str(get_att(target, attribute) if attribute else ref(target))

                return _SUB_VARIABLE.sub(substitute, text)
            if key == "Fn::If":
                name, when_true, when_false = inner
                return ev(when_true if condition(name) else when_false)
            if key == "Fn::Join":
                separator, items = inner
                return separator.join(str(item) for item in ev(items))
            if key == "Fn::Select":
                index, items = ev(inner)
                return items[int(index)]
            if key == "Fn::Split":
                separator, text = ev(inner)
                return text.split(separator)
            if key == "Fn::Equals":
                left, right = ev(inner)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not ev(inner[0])
            if key == "Fn::And":
                return all(ev(inner))
            if key == "Fn::Or":
                return any(ev(inner))
            if key == "Condition":
                return condition(inner)
            if key.startswith("Fn::"):
                raise UnresolvedReference(f"intrinsic {key} is not supported here")
        result = {}
        for key, inner in node.items():
            evaluated = ev(inner)
            if evaluated is not NO_VALUE:
                result[key] = evaluated
        return result

    return ev(value)


def condition_evaluator(template: dict[str, Any], ref: Callable[[str], Any]) -> Callable[[str], bool]:
    """``condition(name)`` for the template's Conditions section."""
    definitions = template.get("Conditions", {})
    cache: dict[str, bool] = {}

    def condition(name: str) -> bool:
        if name not in cache:
            if name not in definitions:
                raise UnresolvedReference(f"unknown condition {name}")
            cache[name] = bool(evaluate(definitions[name], ref, _no_get_att, condition))
        return cache[name]

    return condition


def _no_get_att(target: str, attribute: str) -> Any:
    raise UnresolvedReference(f"conditions cannot use Fn::GetAtt ({target}.{attribute})")


def parameter_values(template: dict[str, Any], given: dict[str, str]) -> dict[str, Any]:
    """The stack's parameter values: those given, else the template's defaults."""
    values: dict[str, Any] = {}
    for name, spec in template.get("Parameters", {}).items():
        raw = given.get(name, spec.get("Default"))
        if raw is None:
            raise UnresolvedReference(f"parameter {name} has no value and no default")
        if spec.get("Type") == "CommaDelimitedList" and isinstance(raw, str):
            raw = [item.strip() for item in raw.split(",")]
        values[name] = raw
    return values
