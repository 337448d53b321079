"""What officers and reporters ask for, as validated inputs (the request bodies
of the officer and public APIs; the OpenAPI document is generated from these).

Every officer command may carry ``version``: the case version the officer was
looking at. If the case changed since, the command is refused with 409 and
the current version, instead of acting on a state the officer never saw.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from chalicelib.domain.case import RejectionReason
from chalicelib.domain.clock import JAKARTA

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
AgencyId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$")
]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int | None = Field(default=None, ge=1, description="The case version you acted on (optional).")


class AssignCommand(Command):
    agency_id: AgencyId


class DelegateCommand(Command):
    agency_id: AgencyId = Field(description="A Suku Dinas (or other sub-agency) of the holder.")


class TransferCommand(Command):
    agency_id: AgencyId
    reason: ShortText


class CollaboratorCommand(Command):
    agency_id: AgencyId


class PlanCommand(Command):
    text: ShortText
    estimated_completion: date | datetime | None = Field(
        default=None,
        description="Only for categories that allow an agreed estimate (e.g. damaged roads, water). "
        "A date means the end of that day in Jakarta.",
    )

    def completion(self) -> datetime | None:
        value = self.estimated_completion
        if value is None:
            return None
        if isinstance(value, datetime):
            if value.tzinfo is None:
                return value.replace(tzinfo=JAKARTA)
            return value
        return datetime.combine(value, time(23, 59, 59), tzinfo=JAKARTA)


class ReviewCommand(Command):
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class ReturnPlanCommand(Command):
    comment: ShortText


class ProgressCommand(Command):
    percent: int = Field(ge=0, le=100)
    text: ShortText


class CommentCommand(Command):
    text: ShortText


class ResolveCommand(Command):
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    photo_base64: Annotated[str, StringConstraints(max_length=11_500_000)] | None = Field(
        default=None, description="The completion photo inline (JPEG/PNG/WebP), or use upload_key."
    )
    upload_key: Annotated[str, StringConstraints(max_length=300)] | None = Field(
        default=None, description="Key returned by POST /officer/uploads after the browser uploaded the photo."
    )

    @field_validator("upload_key")
    @classmethod
    def _uploads_only(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("uploads/"):
            raise ValueError("must be a key returned by POST /officer/uploads")
        return value


class RejectCommand(Command):
    reason: RejectionReason
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class PrivacyCommand(Command):
    level: Literal["public", "anonymous", "confidential"] = Field(
        description="Raise to anonymous (the reporter's contact is forgotten) or confidential (hidden from the "
        "public); only the Bureau may lower a level."
    )
    reason: ShortText


class PriorityCommand(Command):
    priority: Literal["urgent", "normal", "low"] = Field(
        description="urgent shortens the SLA deadlines (by default coordinate within 2 h, resolve within 3 days, "
        "counted from the report; an agreed date stays); low changes no deadline."
    )
    reason: ShortText


MAX_BULK = 50
TrackingCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class BulkCommand(BaseModel):
    """One action on up to MAX_BULK cases (POST /officer/cases/bulk): each case gets the
    single-case command built from the arguments, with the same rules and rights."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["priority", "assign", "delegate"]
    codes: list[TrackingCode] = Field(min_length=1, max_length=MAX_BULK, description="Tracking codes, each once.")
    priority: Literal["urgent", "normal", "low"] | None = Field(default=None, description="action=priority")
    reason: ShortText | None = Field(default=None, description="action=priority: why")
    agency_id: AgencyId | None = Field(default=None, description="action=assign or delegate: to whom")

    @field_validator("codes")
    @classmethod
    def _each_once(cls, codes: list[str]) -> list[str]:
        if len({code.upper() for code in codes}) != len(codes):
            raise ValueError("a tracking code is listed twice")
        return codes

    def arguments(self) -> dict[str, str]:
        """The body of the single-case command."""
        given = {"priority": self.priority, "reason": self.reason, "agency_id": self.agency_id}
        return {name: value for name, value in given.items() if value is not None}


class MergeCommand(Command):
    primary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class FeedbackCommand(BaseModel):
    """The reporter confirms the work (POST /status/{code}/feedback)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rating: int = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class ReopenCommand(BaseModel):
    """The reporter says it is not done (POST /status/{code}/reopen)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class RoutingRuleCommand(BaseModel):
    """An admin's routing edit: this category (in this area) goes to this agency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str
    area: Annotated[str, StringConstraints(max_length=120)] | None = None
    agency_id: AgencyId | None = Field(description="null disables routing for this category and area.")


MAX_WINDOW = timedelta(days=366)


class TemplateCommand(BaseModel):
    """A response template (PUT /officer/templates/{template_id}); placeholders in
    chalicelib/domain/templates.py. An unknown one is a 422 naming it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agency_id: AgencyId | None = Field(default=None, description="Default: your agency (admins name one).")
    category: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, pattern=r"^(\*|[a-z0-9_]+)$")
    ] = Field(default="*", description="A category id, or * for any category.")
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    text_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] = Field(
        description="Indonesian text; {tracking_code} {agency} {expected_date} {category}; {{ }} for braces."
    )
    text_en: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] = Field(
        description="English text, same placeholders."
    )
