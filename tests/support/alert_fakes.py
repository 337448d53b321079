"""In-memory area-alert store with the DynamoDB store's rules (conditional
confirm, once-a-day claim, idempotent entries), and a sender that records."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.alerts import RESEND_AFTER, Area, Subscription


class FakeAlertStore:
    def __init__(self) -> None:
        self.subs: dict[str, Subscription] = {}
        self.entries_of: dict[str, dict[str, dict[str, Any]]] = {}
        self.due_on: dict[str, set[str]] = {}
        self.contacts: dict[str, set[str]] = {}
        self.queried: list[str] = []

    def put_pending(self, sub: Subscription) -> bool:
        old = self.subs.get(sub.id)
        if old is not None and (old.confirmed or old.created_at > sub.created_at - RESEND_AFTER):
            return False
        self.subs[sub.id] = copy.deepcopy(sub)
        return True

    def get(self, sub_id: str) -> Subscription | None:
        return copy.deepcopy(self.subs.get(sub_id))

    def count_attempt(self, sub_id: str) -> None:
        self.subs[sub_id].attempts += 1

    def confirm(self, sub: Subscription) -> bool:
        stored = self.subs.get(sub.id)
        if stored is None or stored.confirmed:
            return False
        stored.confirmed, stored.expires_at, stored.confirm_digest = True, None, None
        self.contacts.setdefault(sub.contact, set()).add(sub.id)
        return True

    def delete(self, sub_id: str) -> Subscription | None:
        sub = self.subs.pop(sub_id, None)
        if sub is not None:
            self.contacts.get(sub.contact, set()).discard(sub_id)
        return sub

    def ids_of_contact(self, contact: str) -> list[str]:
        return sorted(self.contacts.get(contact, set()))

    def candidates(self, cells: list[tuple[str, str]]) -> list[tuple[str, Area]]:
        self.queried.extend(cells)
        return [(sub.id, sub.area) for sub in self.subs.values() if sub.confirmed and sub.area.home_cell() in cells]

    def add_entry(self, sub_id: str, entry: dict[str, Any], day: str, now: Any) -> None:
        self.entries_of.setdefault(sub_id, {})[(entry["at"], entry["event_id"])] = dict(entry)
        self.due_on.setdefault(day, set()).add(sub_id)

    def due(self, day: str) -> list[str]:
        return sorted(self.due_on.get(day, set()))

    def entries(self, sub_id: str) -> list[dict[str, Any]]:
        return [dict(entry) for _key, entry in sorted(self.entries_of.get(sub_id, {}).items())]

    def claim_digest(self, sub_id: str, day: str) -> bool:
        sub = self.subs.get(sub_id)
        if sub is None or not sub.confirmed or (sub.last_digest_on and sub.last_digest_on >= day):
            return False
        sub.last_digest_on = day
        return True

    def release_digest(self, sub_id: str, day: str, previous: str | None) -> None:
        sub = self.subs.get(sub_id)
        if sub is not None and sub.last_digest_on == day:
            sub.last_digest_on = previous

    def forget(self, sub_id: str, entries: list[dict[str, Any]], days: list[str]) -> None:
        for entry in entries:
            self.entries_of.get(sub_id, {}).pop((entry["at"], entry["event_id"]), None)
        for day in days:
            self.due_on.get(day, set()).discard(sub_id)


@dataclass
class RecordingSender:
    """Stands in for every outbound adapter: (handle, text, subject) per message."""

    sent: list[tuple[Any, str, str | None]] = field(default_factory=list)
    fail: bool = False

    def __call__(self, handle: Any) -> RecordingSender:
        return self

    def send(
        self,
        handle: Any,
        text: str,
        *,
        code: str | None,
        event: dict | None,
        language: str = "id",
        subject: str | None = None,
    ) -> None:
        if self.fail:
            raise RuntimeError("provider down")
        self.sent.append((handle, text, subject))
