"""Domain events: small facts the Case raises when something happens to it.

Each event is written in the same DynamoDB request as the state it describes
(the case item's ``outbox``), and the table's stream relays it to SNS. Public
events also become lines of the case's public timeline, so what a reporter
reads and what subscribers receive come from one source.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

from .clock import parse_instant, to_utc_text


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    type: ClassVar[str]
    # Public events are shown on the public timeline (GET /status/{code}).
    public: ClassVar[bool] = True

    occurred_at: datetime

    def data(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("occurred_at")
        return values

    def to_record(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "occurred_at": to_utc_text(self.occurred_at),
            "data": self.data(),
        }


@dataclass(frozen=True, kw_only=True)
class CaseReceived(DomainEvent):
    """A report became a case (laporan diterima)."""

    type: ClassVar[str] = "case.received"

    channel: str
    category: str


EVENT_TYPES: dict[str, type[DomainEvent]] = {cls.type: cls for cls in (CaseReceived,)}


def from_record(record: dict[str, Any]) -> DomainEvent:
    cls = EVENT_TYPES[record["type"]]
    known = {f.name for f in fields(cls)}
    data = {k: v for k, v in record.get("data", {}).items() if k in known}
    return cls(occurred_at=parse_instant(record["occurred_at"]), **data)
