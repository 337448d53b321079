"""Relayed events for tests: typed envelopes, and the messages they are on the wire.

``example(cls)`` builds a valid event of any type from its field annotations, so a
test can cover every event type without listing their fields."""

from __future__ import annotations

import json
import types
import typing
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain import events
from chalicelib.domain.events import CaseFacts, DomainEvent, Envelope

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
CODE = "K7QM4-XPA9R-TD2W"

_EXAMPLE_VALUES = {str: "x", int: 1, bool: False, list: []}


def example(cls: type[DomainEvent], at: datetime = T0, **values: Any) -> DomainEvent:
    """A valid ``cls`` event: ``values`` as given, every other required field a plain example."""
    hints = typing.get_type_hints(cls)
    for name in cls.field_names:
        if name in values or name == "occurred_at" or name not in cls.required_fields:
            continue
        hint = hints[name]
        options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
        chosen = next((o for o in options if o is not type(None)), str)
        values[name] = _EXAMPLE_VALUES.get(typing.get_origin(chosen) or chosen, "x")
    return cls(occurred_at=at, **values)


def envelope(
    event: DomainEvent,
    code: str = CODE,
    *,
    version: int = 2,
    index: int = 0,
    id: str | None = None,
    **case: str | None,
) -> Envelope:
    """The event as a subscriber receives it (``case``: channel, category, agency_id, status)."""
    return Envelope(
        id=id or f"{code}:{version}:{index}",
        tracking_code=code,
        version=version,
        event=event,
        case=CaseFacts(**case),
    )


def body(message: Envelope) -> str:
    """The SQS body of a relayed event (raw delivery)."""
    return json.dumps(message.to_message())


ALL_EVENT_TYPES = tuple(events.EVENT_TYPES.values())
