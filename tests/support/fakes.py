"""In-memory stand-ins for the adapters, for fast unit tests of the services.

They keep the adapters' contracts (conditional add, ids, errors) so a service
that works against them works against DynamoDB/S3/SNS too; the integration
tests check that claim against the moto server.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters import case_history
from chalicelib.adapters.case_indexes import off_due_index
from chalicelib.adapters.case_queries import CaseQueries, nearby_open
from chalicelib.adapters.case_repository import (
    Added,
    case_pk,
    case_to_item,
    conflict_outcome,
    keep_window,
    message_home,
    message_mark,
    open_sealed_fields,
    read_case,
    read_cases,
    windowed,
)
from chalicelib.adapters.duplicate_index import TextCandidate
from chalicelib.adapters.images import CleanImage
from chalicelib.adapters.open311_feed import Open311Feed
from chalicelib.adapters.sealing import SealBroken
from chalicelib.adapters.table import TABLE_KEYS, KeyRange, QueryPage, Table, item_key
from chalicelib.domain.case import Case, PhotoRef
from chalicelib.domain.errors import ConcurrentUpdate


class FakeSealer:
    """Seals by keeping plaintexts here and handing out opaque tokens.

    Like KMS, a token opens only with the context it was sealed under.
    """

    def __init__(self) -> None:
        self.vault: dict[str, tuple[dict[str, str], str, bytes]] = {}
        self.seals = 0
        self.opens = 0
        self._ids = itertools.count(1)

    def seal(self, context: Mapping[str, str], plaintexts: Mapping[str, bytes]) -> dict[str, str]:
        self.seals += 1
        tokens = {}
        for field_name, plaintext in plaintexts.items():
            token = f"fake-sealed.{next(self._ids)}"
            self.vault[token] = (dict(context), field_name, plaintext)
            tokens[field_name] = token
        return tokens

    def open(self, context: Mapping[str, str], tokens: Mapping[str, str]) -> dict[str, bytes]:
        self.opens += 1
        opened = {}
        for field_name, token in tokens.items():
            sealed_context, sealed_field, plaintext = self.vault.get(token, (None, None, b""))
            if sealed_context != dict(context) or sealed_field != field_name:
                raise SealBroken(f"{field_name} does not open with this context")
            opened[field_name] = plaintext
        return opened


MAX_ITEM_BYTES = 400 * 1024  # DynamoDB's item size limit


def item_bytes(item: Mapping[str, Any]) -> int:
    """About DynamoDB's size of an item: attribute names and values as UTF-8 (JSON's quoting aside)."""
    return len(json.dumps(item, default=str, ensure_ascii=False).encode())


def item_too_large() -> Exception:
    """What boto3 raises when DynamoDB refuses an item over 400 KB."""
    from botocore.exceptions import ClientError

    error = {"Code": "ValidationException", "Message": "Item size has exceeded the maximum allowed size"}
    return ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}, "PutItem")


_MISSING = object()


def _at(item: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(item, dict) or part not in item:
            return _MISSING
        item = item[part]
    return item


def _projected(item: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    """Only these attribute paths of the item, nested as they are (what a ProjectionExpression returns)."""
    kept: dict[str, Any] = {}
    for path in paths:
        value = _at(item, path)
        if value is _MISSING:
            continue
        *parents, last = path.split(".")
        into = kept
        for part in parents:
            into = into.setdefault(part, {})
        into[last] = value
    return kept


class InMemoryTable(Table):
    """DynamoDB's Query over items held in memory, so the adapters' reads (the case
    lists, the metrics months...) run unchanged in unit tests. It knows no key
    format: a KeyRange names its partition and sort key attributes. Like DynamoDB:
    sort-key order (ties by the table key), Limit before the filter, a
    LastEvaluatedKey while more items remain, projections."""

    def __init__(self, items: Any, lock: Any = None):
        super().__init__("in-memory")
        self._source = items if callable(items) else (lambda stored=list(items): stored)
        self._lock = lock or threading.Lock()
        self.requests = 0
        self.items_read = 0  # items the Queries evaluated (DynamoDB's ScannedCount)

    def page(self, key_range: KeyRange, *, limit: int | None = None, start: dict[str, Any] | None = None) -> QueryPage:
        from chalicelib.adapters.case_repository import deserialize, serialize

        partition, sort = key_range.keys
        with self._lock:
            self.requests += 1
            found = [
                copy.deepcopy(item)
                for item in self._source()
                if item.get(partition) == key_range.partition
                and isinstance(item.get(sort), str)
                and key_range.sort_matches(item[sort])
            ]

        def order(item: dict[str, Any]) -> tuple[str, ...]:  # ties: by the table key, as DynamoDB
            return (item[sort], *(str(item.get(name)) for name in TABLE_KEYS))

        found.sort(key=order, reverse=key_range.newest_first)
        if start:
            mark = order(deserialize(start))
            found = [item for item in found if (order(item) < mark) == key_range.newest_first and order(item) != mark]
        window = found if limit is None else found[:limit]
        self.items_read += len(window)
        last = None
        if len(window) < len(found):
            last = serialize({name: window[-1][name] for name in {partition, sort, *TABLE_KEYS} if name in window[-1]})
        kept = [item for item in window if all(_at(item, path) == value for path, value in key_range.where)]
        if key_range.projection:
            kept = [_projected(item, key_range.projection) for item in kept]
        return QueryPage(kept, last)


class FakeCaseRepository:
    def __init__(self, sealer: FakeSealer | None = None) -> None:
        self.items: dict[str, dict[str, Any]] = {}  # cases by tracking code
        self.marks: dict[str, dict[str, Any]] = {}  # added messages' reserved codes (mark_message)
        # History items moved out of the case items' windows: (PK, SK) -> item (case_history.py)
        self.history: dict[tuple[str, str], dict[str, Any]] = {}
        self._history_table = InMemoryTable(lambda: list(self.history.values()))
        self._requests = 0
        self.sealer = sealer or FakeSealer()
        self._lock = threading.Lock()

    @property
    def requests(self) -> int:
        """Requests made: the repository's own, and the Query pages of history reads."""
        return self._requests + self._history_table.requests

    @requests.setter
    def requests(self, value: int) -> None:
        self._requests, self._history_table.requests = value, 0

    def add(self, case: Case) -> Any:
        with self._lock:
            self.requests += 1
            events = case.pull_events()
            item = case_to_item(case, version=1, events=events, sealer=self.sealer)
            old = self.items.get(case.tracking_code) or self.marks.get(case.tracking_code)
            if old is not None:
                case.pending_events = events
                return conflict_outcome(copy.deepcopy(old), case)
            self.items[case.tracking_code] = item
            case.version = 1
            case.history_stored = len(case.history)
            return Added(case)

    def save(self, case: Case) -> Case:
        with self._lock:
            window = case_history.plan_window(case_pk(case.tracking_code), case)
            for history_item in window.items:  # written first, like DynamoDB's (even if the case write fails)
                self.requests += 1
                self.put_history(history_item)
            self.requests += 1
            current = self.items.get(case.tracking_code)
            current_version = int(current["version"]) if current else None
            if current_version != case.version:
                raise ConcurrentUpdate(current_version)
            events = case.pull_events()
            item = case_to_item(windowed(case, window), case.version + 1, events, self.sealer)
            if item_bytes(item) > MAX_ITEM_BYTES:
                case.pending_events = events + case.pending_events
                raise item_too_large()
            self.items[case.tracking_code] = item
            case.version += 1
            keep_window(case, window)
            return case

    def put_history(self, item: dict[str, Any]) -> None:
        """PutItem with case_history.WIDER_ONLY: only a wider copy replaces a stored one."""
        key = item_key(item)
        stored = self.history.get(key)
        if stored is None or stored["until"] < item["until"]:
            self.history[key] = copy.deepcopy(item)

    def _streams(self, tracking_code: str) -> case_history.Streams:
        return case_history.streams_of(self._history_table, case_pk(tracking_code))

    def history_page(self, case: Case, before: int | None, limit: int) -> case_history.HistoryPage:
        return case_history.page(case, before, limit, self._streams(case.tracking_code))

    def older_timeline(self, case: Case, limit: int):
        if case.timeline_complete:
            return []
        return case_history.older_timeline(case, limit, self._streams(case.tracking_code))

    def get(self, tracking_code: str) -> Case | None:
        with self._lock:
            self.requests += 1
            item = self.items.get(tracking_code)
            return read_case(copy.deepcopy(item)) if item else None

    def mark_message(self, message_code: str, source_key: str, into: str, now: datetime) -> str:
        with self._lock:
            self.requests += 1
            old = self.items.get(message_code) or self.marks.get(message_code)
            if old is not None:
                return message_home(old, message_code, source_key) or into
            self.marks[message_code] = message_mark(message_code, source_key, into, now)
            return into

    def get_many(self, tracking_codes: list[str], list_name: str = "cases") -> dict[str, Case]:
        with self._lock:
            codes = list(dict.fromkeys(tracking_codes))
            self.requests += (len(codes) + 99) // 100
            stored = [copy.deepcopy(self.items[code]) for code in codes if code in self.items]
            return {case.tracking_code: case for case in read_cases(stored, list_name)}

    def open_sealed(self, case: Case, *fields: str) -> Case:
        return open_sealed_fields(case, self.sealer, fields)

    def leave_due_index(self, tracking_code: str) -> None:
        with self._lock:
            self.requests += 1
            item = self.items.get(tracking_code)
            if item is not None:
                off_due_index(item)


class FakeQuarantine:
    """The quarantine store's contract in memory (adapters/quarantine_store.py)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.fail_writes = False  # the store itself unavailable

    def count_failure(self, source: str, key: str, error: str, now: datetime) -> int:
        if self.fail_writes:
            raise RuntimeError("injected store failure")
        item = self.items.setdefault((source, key), {"state": "failing", "attempts": 0, "first_seen": now})
        if item["state"] == "quarantined":
            return item["attempts"]
        item.update(state="failing", attempts=item["attempts"] + 1, last_seen=now, error=error)
        return item["attempts"]

    def put(self, poison: Any) -> bool:
        if self.fail_writes:
            raise RuntimeError("injected store failure")
        item = self.items.setdefault((poison.source, poison.key), {"first_seen": poison.seen_at})
        new = item.get("state") != "quarantined"
        item.update(
            state="quarantined",
            attempts=poison.attempts,
            last_seen=poison.seen_at,
            error=poison.error,
            payload=poison.payload,
        )
        return new

    def keys(self, source: str) -> set[str]:
        return {key for (owner, key), item in self.items.items() if owner == source and item["state"] == "quarantined"}

    def get(self, source: str, key: str) -> Any:
        from chalicelib.adapters.quarantine_store import QuarantineRecord

        item = self.items.get((source, key))
        if item is None:
            return None
        return QuarantineRecord(
            source, key, item["state"], item["attempts"], None, None, item.get("error"), item.get("payload")
        )

    def mark_replayed(self, source: str, key: str, now: datetime) -> bool:
        item = self.items.get((source, key))
        if item is None or item["state"] != "quarantined":
            return False
        item.update(state="replayed", attempts=0, replayed_at=now)
        return True

    def quarantined(self, source: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
        return {
            (owner, key): item
            for (owner, key), item in self.items.items()
            if item["state"] == "quarantined" and source in (None, owner)
        }


@dataclass
class FakePhotoStore:
    objects: dict[str, bytes] = field(default_factory=dict)

    def store(self, tracking_code: str, photo_id: str, kind: str, image: CleanImage) -> PhotoRef:
        original_key = f"originals/{tracking_code}/{photo_id}.{image.extension}"
        public_key = f"public/{tracking_code}/{photo_id}.{image.extension}"
        self.objects[original_key] = image.original
        self.objects[public_key] = image.public
        return PhotoRef(photo_id, kind, original_key, public_key, image.content_type, image.width, image.height)

    def public_url(self, photo: PhotoRef) -> str:
        return f"https://photos.example/{photo.public_key}?signed"

    def original_url(self, photo: PhotoRef) -> str:
        return f"https://photos.example/{photo.original_key}?signed"


@dataclass
class FakePublisher:
    published: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0

    def publish(self, messages: list[dict[str, Any]]) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("injected publish failure")
        self.published.extend(messages)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 11, 23, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FakeCaseQueries(CaseQueries):
    """The case lists port, read from the fake repository's items: the adapter itself
    on an in-memory table (same cards, order, pages and limits as on DynamoDB)."""

    def __init__(self, repository: FakeCaseRepository, workers: int = 4):
        super().__init__(InMemoryTable(lambda: list(repository.items.values()), repository._lock), workers=workers)

    @property
    def requests(self) -> int:
        return self.table.requests


class FakeDuplicateIndex:
    """The duplicate search's four questions over the fake repository's cases, with the
    adapter's limits (newest first, so many per cell / band) and a count of items read."""

    def __init__(self, repository: FakeCaseRepository):
        self.repository = repository
        self.signatures: dict[tuple[str, int, str], dict[str, tuple[str, str]]] = {}  # -> code: (created, summary)
        self.expiries: dict[str, datetime] = {}  # code -> when its signature expires (TTL)
        self.items_read = 0
        self.writes = 0
        self._cells = InMemoryTable(lambda: list(repository.items.values()), repository._lock)  # the geo-index

    def nearby_open(self, category, lat, lng, per_cell):
        before = self._cells.items_read
        found = nearby_open(self._cells, category, lat, lng, per_cell, "duplicate_search")
        self.items_read += self._cells.items_read - before
        return found

    def similar_recent(self, category, bands, since, per_band):
        from chalicelib.domain.clock import to_utc_text

        seen: set[str] = set()
        for band, key in enumerate(bands):
            filed = self.signatures.get((category, band, key), {})
            recent = sorted(
                (
                    (created, code, summary)
                    for code, (created, summary) in filed.items()
                    if created >= to_utc_text(since)
                ),
                reverse=True,
            )[:per_band]
            self.items_read += len(recent)
            for _created, code, summary in recent:
                if code not in seen:
                    seen.add(code)
                    yield TextCandidate(code, summary)

    def still_open(self, codes):
        from chalicelib.domain.lifecycle import OPEN_STATUSES

        open_values = {status.value for status in OPEN_STATUSES}
        wanted = set(codes)
        with self.repository._lock:
            present = [self.repository.items[code] for code in wanted if code in self.repository.items]
        self.items_read += len(present)
        return {item["code"] for item in present if item["status"] in open_values}

    def record_signature(self, code, category, bands, summary, created_at):
        from chalicelib.domain.clock import to_utc_text
        from chalicelib.domain.duplicates import SIMILAR_WINDOW

        self.writes += 1
        for band, key in enumerate(bands):
            self.signatures.setdefault((category, band, key), {})[code] = (to_utc_text(created_at), summary)
        self.expiries[code] = created_at + SIMILAR_WINDOW


class FakeRoutingStore:
    def __init__(self, edits=None):
        self.table_name = f"fake-{id(self)}"
        self._edits = list(edits or [])

    def edits(self):
        return list(self._edits)


class FakeMetricsStore:
    """Agency-day counters by (month, agency, day), with the same exactly-once rule as MetricsStore."""

    def __init__(self):
        self.days: dict[tuple[str, str, str], dict[str, int]] = {}  # (month, agency, dd) -> counters
        self.applied: dict[tuple[str, str, str], set[str]] = {}  # ... -> ids of the events counted
        self.carries: dict[tuple[str, str], tuple[int, int]] = {}  # (month, agency) -> (open, overdue) at its start

    def apply(self, contribution, event_id):
        from chalicelib.adapters.metrics_store import month_of

        key = (month_of(contribution.day), contribution.agency_id, contribution.day[8:10])
        applied = self.applied.setdefault(key, set())
        if event_id in applied:
            return False
        applied.add(event_id)
        counters = self.days.setdefault(key, {})
        for name, value in contribution.counters.items():
            counters[name] = counters.get(name, 0) + value
        return True

    def month(self, month):
        from chalicelib.adapters.metrics_store import MonthCounters

        return MonthCounters(
            carry={
                agency: {"open": stock[0], "overdue": stock[1]}
                for (owner, agency), stock in sorted(self.carries.items())
                if owner == month
            },
            days={
                (agency, dd): dict(counters) for (owner, agency, dd), counters in self.days.items() if owner == month
            },
        )

    def put_carry(self, month, agency_id, open_count, overdue):
        self.carries[(month, agency_id)] = (open_count, overdue)


@dataclass
class FakeNotificationStore:
    entries: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def add(self, inbox, event_id, occurred_at, entry, now):
        if not any(i == inbox and e == event_id for i, e, _ in self.entries):
            self.entries.append((inbox, event_id, entry))


@dataclass
class FakeMailer:
    sent: list[tuple[list[str], str, str]] = field(default_factory=list)

    def send(self, to, subject, body):
        self.sent.append((to, subject, body))


class FakeSenderRepository:
    """The per-sender item (conversation window, hourly counter) in memory,
    with the same conditional semantics as DynamoSenderRepository."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.requests = 0
        self._lock = threading.Lock()

    def _touch(self, key: str, now: datetime, handle: Any) -> dict[str, Any]:
        from chalicelib.adapters.sender_state import hour_attribute

        item = self.items.setdefault(key, {})
        hour = hour_attribute(now)
        for name in [name for name in item if name.startswith("n_") and name != hour]:
            del item[name]
        item[hour] = item.get(hour, 0) + 1
        item["reply_handle"] = handle
        return item

    def claim(self, key, code, now, until, handle, stale=None):
        from chalicelib.adapters.sender_state import Claim, SenderState, hour_attribute

        with self._lock:
            self.requests += 1
            old = copy.deepcopy(self.items.get(key, {}))
            current_until = old.get("open_until")
            if stale is not None:
                allowed = old.get("open_case") in (stale, code)
            else:
                allowed = current_until is None or current_until <= now or old.get("open_case") == code
            if not allowed:
                return Claim(False, SenderState(old.get(hour_attribute(now), 0), old.get("open_case"), current_until))
            item = self._touch(key, now, handle)
            item["open_case"], item["open_until"] = code, until
            return Claim(True, SenderState(item[hour_attribute(now)], code, until))

    def count(self, key, now, handle):
        from chalicelib.adapters.sender_state import SenderState, hour_attribute

        with self._lock:
            self.requests += 1
            item = self._touch(key, now, handle)
            return SenderState(item[hour_attribute(now)], item.get("open_case"), item.get("open_until"))

    def reply_handle(self, key):
        with self._lock:
            self.requests += 1
            return self.items.get(key, {}).get("reply_handle")


@dataclass
class FakeNoticeQueue:
    sent: list[dict[str, Any]] = field(default_factory=list)  # as they would be on the queue

    def send(self, notices: list[Any]) -> None:
        self.sent.extend(notice.to_message() for notice in notices)


@dataclass
class FakeReplyLedger:
    states: dict[str, str] = field(default_factory=dict)

    def claim(self, reply_id: str) -> bool:
        if reply_id in self.states:
            return False
        self.states[reply_id] = "sending"
        return True

    def release(self, reply_id: str) -> None:
        self.states.pop(reply_id, None)

    def done(self, reply_id: str) -> None:
        self.states[reply_id] = "sent"


@dataclass
class FakeReplySender:
    """Records (handle, text, code, event type) instead of calling a provider."""

    sent: list[tuple[Any, str, str | None, str | None]] = field(default_factory=list)
    fail_with: Exception | None = None
    public: list[str] = field(default_factory=list)  # what a public reply surface would post

    def __call__(self, handle: Any) -> FakeReplySender:
        return self

    def send(
        self,
        handle: Any,
        text: str,
        *,
        code: str | None,
        event: Any | None,
        language: str = "id",
        public_text: str | None = None,
    ) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((handle, text, code, event.type if event is not None else None))
        if public_text is not None:
            self.public.append(public_text)


class FakeApiKeyStore:
    """Open311 partner keys in memory, with the store's rules (ids unique, revoke once)."""

    def __init__(self):
        self.keys: dict[str, Any] = {}

    def add(self, key):
        from chalicelib.adapters.api_key_store import KeyExists

        if key.key_id in self.keys:
            raise KeyExists(key.key_id)
        self.keys[key.key_id] = key

    def get(self, key_id):
        return self.keys.get(key_id)

    def all(self):
        return list(self.keys.values())

    def revoke(self, key_id, by, at):
        from dataclasses import replace

        key = self.keys.get(key_id)
        if key is None or key.revoked:
            return key
        self.keys[key_id] = replace(key, revoked_at=at, revoked_by=by)
        return self.keys[key_id]


class FakeRateLimiter:
    """Rate-limit counters in memory, with the adapter's fixed windows and answers
    (adapters/rate_limits.py ``window_bounds``/``decide``). ``failing``: every hit raises
    LimiterUnavailable, as when DynamoDB throttles the counters."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int, int], int] = {}
        self.hits: list[tuple[str, str]] = []  # (scope, key) of every hit, in order
        self.seen: dict[tuple[str, str, int, int], set[str]] = {}  # hit_once's tokens per counter
        self.failing = False
        self._lock = threading.Lock()

    def hit(self, scope: str, key: str, limit: int, window_s: int, now: datetime):
        from chalicelib.adapters.rate_limits import LimiterUnavailable, decide, window_bounds

        if self.failing:
            raise LimiterUnavailable("ProvisionedThroughputExceededException")
        start, end = window_bounds(now, window_s)
        with self._lock:
            counter = (scope, key, window_s, start)
            self.counts[counter] = self.counts.get(counter, 0) + 1
            self.hits.append((scope, key))
            return decide(self.counts[counter], limit, end, now)

    def hit_once(self, scope: str, key: str, token: str, limit: int, window_s: int, now: datetime):
        """As the adapter's: a token counted in the window is answered as then, not counted again;
        a token is added only while there is room."""
        from chalicelib.adapters.rate_limits import Decision, LimiterUnavailable, decide, window_bounds

        if self.failing:
            raise LimiterUnavailable("ProvisionedThroughputExceededException")
        start, end = window_bounds(now, window_s)
        with self._lock:
            counter = (scope, key, window_s, start)
            count = self.counts.get(counter, 0)
            seen = self.seen.setdefault(counter, set())
            if token in seen:
                return Decision(True, 0, max(0, limit - count))
            if count >= limit:
                return decide(count + 1, limit, end, now)
            seen.add(token)
            self.counts[counter] = count + 1
            self.hits.append((scope, key))
            return decide(count + 1, limit, end, now)


def generous_rate_limits() -> dict[str, str]:
    """Environment that keeps every configured limit (and so every counter write) but far out
    of reach: for suites that make thousands of requests from one address (fuzzers, the
    integration stack, load tests). The limits' own tests use the real defaults."""
    from chalicelib.config import RATE_LIMIT_DEFAULTS, parse_limits

    env = {}
    for scope, default in RATE_LIMIT_DEFAULTS.items():
        dimensions = parse_limits(scope, default)
        env[f"RATE_LIMIT_{scope.upper()}"] = ",".join(f"{name}=1000000/60" for name in dimensions)
    return env


class FakeOpen311Feed(Open311Feed):
    """adapters/open311_feed.Open311Feed on an in-memory table: the same items, keys and reads."""

    def __init__(self, code_key: bytes) -> None:
        self.stored: dict[tuple[str, str], dict[str, Any]] = {}
        super().__init__("fake-table", code_key, InMemoryTable(lambda: list(self.stored.values())))

    def _write(self, item: dict[str, Any]) -> None:
        self.stored[item_key(item)] = copy.deepcopy(item)
