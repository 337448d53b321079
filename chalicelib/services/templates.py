"""Response templates: agency officers keep their agency's, admins any agency's;
anyone who may see a case gets their own agency's templates for it, rendered.

Storage: adapters/template_store.py. Rules: domain/templates.py.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import reference_data
from chalicelib.domain import categories, templates
from chalicelib.domain.case import Case
from chalicelib.domain.clock import JAKARTA
from chalicelib.domain.errors import Forbidden, InvalidInput
from chalicelib.domain.permissions import Principal, Role
from chalicelib.domain.templates import Template
from chalicelib.services import commands as c
from chalicelib.services.lifecycle import parse


def managed_agency(principal: Principal, agency_id: str | None) -> str:
    """The agency whose templates this principal edits (theirs; admins name any)."""
    target = agency_id or principal.agency_id
    if not target:
        raise InvalidInput([("agency_id", "choose an agency")])
    if reference_data.agencies().get(target) is None:
        raise InvalidInput([("agency_id", f"no agency {target!r}")])
    if principal.has(Role.ADMIN):
        return target
    if principal.has(Role.AGENCY_OFFICER) and target == principal.agency_id:
        return target
    raise Forbidden("only the agency's own officers (and admins) manage its templates")


def check_id(template_id: str) -> str:
    if not templates.ID_PATTERN.match(template_id or ""):
        raise InvalidInput([("template_id", "use 1-40 lower-case letters, digits and dashes")])
    return template_id


def template_from(template_id: str, payload: Any, principal: Principal) -> Template:
    command = parse(c.TemplateCommand, payload)
    agency_id = managed_agency(principal, command.agency_id)
    if command.category != templates.ANY_CATEGORY and categories.get(command.category) is None:
        raise InvalidInput([("category", f"no category {command.category!r}")])
    found = [
        (f"text_{language}", problem)
        for language, text in (("id", command.text_id), ("en", command.text_en))
        for problem in templates.problems(text)
    ]
    if found:
        raise InvalidInput(found)
    return Template(
        id=check_id(template_id),
        agency_id=agency_id,
        category=command.category,
        title=command.title,
        texts={"id": command.text_id, "en": command.text_en},
    )


def as_json(template: Template) -> dict[str, Any]:
    return {
        "id": template.id,
        "agency_id": template.agency_id,
        "category": template.category,
        "title": template.title,
        "text_id": template.texts["id"],
        "text_en": template.texts["en"],
    }


def values_for(case: Case, language: str) -> dict[str, str]:
    agency = reference_data.agencies().get(case.agency_id) if case.agency_id else None
    category = categories.get(case.category)
    due = case.expected_completion or (case.sla.resolve_by if case.sla else None)
    return {
        "tracking_code": case.tracking_code,
        "agency": agency.name if agency else (case.agency_id or "-"),
        "expected_date": due.astimezone(JAKARTA).strftime("%d/%m/%Y") if due else "-",
        "category": category.name(language) if category else case.category,
    }


def rendered_for(case: Case, available: list[Template]) -> list[dict[str, Any]]:
    """Templates that apply to the case's category, filled in for it in both languages."""
    values = {language: values_for(case, language) for language in templates.LANGUAGES}
    return [
        {
            "id": t.id,
            "title": t.title,
            "category": t.category,
            "text": {
                language: templates.render(t.texts[language], values[language]) for language in templates.LANGUAGES
            },
        }
        for t in available
        if t.applies_to(case.category)
    ]
