"""A private value that is kept sealed (encrypted) where the case is stored.

Some facts about a case belong to the reporter alone: how to reach them, and
(for messaging channels) their reply handle. The storage layer seals them
with a key only it can use; a case read back carries them as ``Sealed``
tokens that nothing can read by accident -- not a public view, not an event,
not a log line. The few code paths that must reach the reporter (the reply
senders, an authorized officer view) ask the case repository to open them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sealed:
    """An opaque sealed value; written back unchanged when the case is saved."""

    token: str = field(repr=False)

    def __repr__(self) -> str:
        return "Sealed(...)"

    def __bool__(self) -> bool:
        return True
