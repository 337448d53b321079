"""Response templates: an agency's ready-made texts for progress notes and
comments, per category (or ``*`` for any), in Indonesian and English.

Placeholders are ``{tracking_code}``, ``{agency}``, ``{expected_date}`` and
``{category}``; a literal brace is written twice (``{{`` / ``}}``), as in
Python's format strings. A template is checked when it is saved: an unknown
placeholder, an attribute or index (``{agency.name}``, ``{0}``), a format
spec or conversion (``{agency!r}``, ``{agency:>9}``) or a lone brace is a
named problem, so rendering never fails. Rendering is plain substitution of
the parsed fields (string.Formatter.parse); nothing is evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from string import Formatter

PLACEHOLDERS = ("tracking_code", "agency", "expected_date", "category")
LANGUAGES = ("id", "en")
ANY_CATEGORY = "*"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_TEXT = 2000


@dataclass(frozen=True)
class Template:
    id: str
    agency_id: str
    category: str  # a category id, or "*"
    title: str
    texts: dict[str, str]  # language -> text

    def applies_to(self, category: str) -> bool:
        return self.category in (ANY_CATEGORY, category)


def problems(text: str) -> list[str]:
    """What is wrong with a template text (empty: nothing)."""
    try:
        parts = list(Formatter().parse(text))
    except ValueError as error:
        return [f"{error} (write a literal brace as {{{{ or }}}})"]
    found = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            found.append(f"unknown placeholder {{{name}}}; use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}")
        elif spec or conversion:
            found.append(f"{{{name}}} takes no format or conversion")
    return found


def render(text: str, values: dict[str, str]) -> str:
    """``text`` with its placeholders filled. A text that was never checked
    still renders: anything that is not a known placeholder stays as written."""
    try:
        parts = list(Formatter().parse(text))
    except ValueError:
        return text
    out = []
    for literal, name, spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        if name in values and not spec and not conversion:
            out.append(values[name])
        else:
            out.append("{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}")
    return "".join(out)
