"""Agencies' response templates (domain/templates.py), in the table next to the cases.

    PK = TEMPLATES#<agency_id>, SK = TEMPLATE#<template id>

An agency's templates are one Query (tens of items); the category is an
attribute, not part of the key, so editing a template's category keeps its id
and needs no second write.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.case_repository import serialize
from chalicelib.adapters.table import KeyRange, Table
from chalicelib.adapters.unreadable import readable
from chalicelib.domain.templates import Template


def partition(agency_id: str) -> str:
    return f"TEMPLATES#{agency_id}"


def _key(agency_id: str, template_id: str) -> dict[str, Any]:
    return serialize({"PK": partition(agency_id), "SK": f"TEMPLATE#{template_id}"})


def _template(item: dict[str, Any]) -> Template:
    """One template; raises if the item is malformed."""
    names = ("template_id", "agency_id", "category", "title", "text_id", "text_en")
    if not all(isinstance(item[name], str) for name in names):
        raise TypeError(f"{', '.join(names)} must be text")
    return Template(
        id=item["template_id"],
        agency_id=item["agency_id"],
        category=item["category"],
        title=item["title"],
        texts={"id": item["text_id"], "en": item["text_en"]},
    )


class TemplateStore:
    def __init__(self, table_name: str):
        self.table_name = table_name

    def list(self, agency_id: str) -> list[Template]:
        found = readable(Table(self.table_name).items(KeyRange(partition(agency_id))), _template, "templates")
        return sorted(found, key=lambda t: (t.category, t.title.lower(), t.id))

    def put(self, template: Template, by: str, at: str) -> None:
        item = {
            "type": "response_template",
            "template_id": template.id,
            "agency_id": template.agency_id,
            "category": template.category,
            "title": template.title,
            "text_id": template.texts["id"],
            "text_en": template.texts["en"],
            "updated_by": by,
            "updated_at": at,
        }
        with aws.unavailable_on_transient("dynamodb"):
            aws.client("dynamodb").put_item(
                TableName=self.table_name, Item={**_key(template.agency_id, template.id), **serialize(item)}
            )

    def delete(self, agency_id: str, template_id: str) -> bool:
        """True if there was such a template."""
        with aws.unavailable_on_transient("dynamodb"):
            response = aws.client("dynamodb").delete_item(
                TableName=self.table_name, Key=_key(agency_id, template_id), ReturnValues="ALL_OLD"
            )
        return bool(response.get("Attributes"))
