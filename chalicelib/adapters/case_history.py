"""A case's history: a bounded recent window on the case item, older entries in
history items next to it.

Every event a case records is a history entry, numbered 0, 1, 2... in the
order recorded. Kept whole on the case item, a long history would make every
action rewrite (and pay for) all of it, and about 185 long comments would push
the item past DynamoDB's 400 KB limit. So (docs/data-model.md "Case history"):

* the case item keeps the recent entries (``history``), the number of the
  first (``history_start``) and how many older entries are public
  (``older_public``; the public timeline needs no extra read while it is 0);
* a save whose window would pass ``WINDOW_MAX_ENTRIES`` or
  ``WINDOW_MAX_BYTES`` moves its oldest *stored* entries out, down to
  ``WINDOW_KEEP_*``, into history items written just before the case item:
  ``PK`` = the case's, ``SK`` = ``HIST#P#<first>`` (public entries) or
  ``HIST#I#<first>`` (internal ones), ``first`` .. ``until`` the range of
  entry numbers whose entries of that kind the item holds;
* entries recorded by the save itself never leave in it, so a history item
  holds only entries that were already stored and can never change.

Why no transaction: a history item's content is fixed by the entries it holds,
so writing it before the case item is safe even if the case write then loses
its race (409) -- the copy is the same entries, or a wider range of them, and
reads ignore everything from ``history_start`` on. Items are written with
``attribute_not_exists(PK) OR until < :until``: a copy is only ever replaced
by a wider one. That keeps evicting writes at one write unit per KB (a
transaction costs two, for the case item too) and the local stand-in fast
(moto copies the whole table for every transaction).

Reads: the officer view pages newest first through the window and then both
kinds of items (merged by entry number); the public timeline reads only the
``HIST#P#`` items, newest first, up to a bound (``streams_of``: Queries through
adapters/table.py). Writes are made by case_repository.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib.adapters.item_size import KB, value_bytes
from chalicelib.adapters.table import KeyRange, Table
from chalicelib.domain.case import Case, HistoryEntry, TimelineEntry
from chalicelib.domain.clock import parse_instant, to_utc_text
from chalicelib.logs import get_logger

log = get_logger("case_history")

HISTORY_TYPE = "case_history"
PUBLIC, INTERNAL = "P", "I"
KINDS = (PUBLIC, INTERNAL)
SK_PREFIX = "HIST#"
SEQ_DIGITS = 10

# The window on the case item: moved out when a save would pass either bound,
# down to both KEEP bounds (entries of the save itself always stay).
WINDOW_MAX_ENTRIES = 20
WINDOW_MAX_BYTES = 3 * KB
WINDOW_KEEP_ENTRIES = 6
WINDOW_KEEP_BYTES = 1 * KB
# One history item (a case moved from the old layout may evict hundreds at once).
CHUNK_MAX_ENTRIES = 100
CHUNK_MAX_BYTES = 16 * KB
QUERY_PAGE_ITEMS = 20  # history items per Query page when reading


# --- the stored shape of one entry -----------------------------------------------------


def entry_record(entry: HistoryEntry) -> dict[str, Any]:
    return {"at": to_utc_text(entry.at), "type": entry.type, "data": entry.data}


def entry_of(record: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(at=parse_instant(record["at"]), type=record["type"], data=record.get("data") or {})


def kind_of(entry: HistoryEntry) -> str:
    return PUBLIC if entry.public else INTERNAL


def history_sk(kind: str, first: int) -> str:
    return f"{SK_PREFIX}{kind}#{first:0{SEQ_DIGITS}d}"


def sk_range(kind: str, below: int) -> tuple[str, str]:
    """The sort keys of a kind's items that start below entry ``below``."""
    return f"{SK_PREFIX}{kind}#", history_sk(kind, max(below - 1, 0))


# --- saving: which entries stay on the case item ----------------------------------------


@dataclass(frozen=True)
class Window:
    """What a save stores: the window for the case item, and the history items
    to write before it (empty for nearly every save)."""

    entries: list[HistoryEntry]
    start: int
    older_public: int
    items: list[dict[str, Any]] = field(default_factory=list)


def plan_window(pk: str, case: Case) -> Window:
    """The window the case item keeps after this save, and the history items
    holding what leaves it. Only entries already stored may leave."""
    entries = list(case.history)
    sizes = [1 + value_bytes(entry_record(entry)) for entry in entries]
    count, size = len(entries), sum(sizes)
    if count <= WINDOW_MAX_ENTRIES and size <= WINDOW_MAX_BYTES:
        return Window(entries, case.history_start, case.older_public)
    stored = min(case.history_stored, len(entries))
    cut = 0
    while cut < stored and (count - cut > WINDOW_KEEP_ENTRIES or size > WINDOW_KEEP_BYTES):
        size -= sizes[cut]
        cut += 1
    if cut == 0:
        return Window(entries, case.history_start, case.older_public)
    start = case.history_start
    leaving = list(enumerate(entries[:cut], start=start))
    items = history_items(pk, leaving, sizes[:cut], until=start + cut)
    older_public = case.older_public + sum(1 for _, entry in leaving if entry.public)
    return Window(entries[cut:], start + cut, older_public, items)


def history_items(
    pk: str, numbered: list[tuple[int, HistoryEntry]], sizes: list[int], until: int
) -> list[dict[str, Any]]:
    """History items for consecutive entries ending before ``until``: per kind,
    groups of bounded size; each holds every entry of its kind from its first
    up to the next group's first (or ``until``)."""
    items = []
    for kind in KINDS:
        groups: list[list[tuple[int, dict[str, Any]]]] = []
        group_bytes = 0
        for (seq, entry), size in zip(numbered, sizes, strict=True):
            if kind_of(entry) != kind:
                continue
            if not groups or len(groups[-1]) >= CHUNK_MAX_ENTRIES or group_bytes + size > CHUNK_MAX_BYTES:
                groups.append([])
                group_bytes = 0
            groups[-1].append((seq, entry_record(entry)))
            group_bytes += size
        for index, group in enumerate(groups):
            first = group[0][0]
            end = groups[index + 1][0][0] if index + 1 < len(groups) else until
            items.append(
                {
                    "PK": pk,
                    "SK": history_sk(kind, first),
                    "type": HISTORY_TYPE,
                    "first": first,
                    "until": end,
                    "entries": [{"seq": seq, **record} for seq, record in group],
                }
            )
    return items


# Put condition of a history item: never replace a copy with a narrower one.
WIDER_ONLY = {
    "ConditionExpression": "attribute_not_exists(PK) OR #until < :until",
    "ExpressionAttributeNames": {"#until": "until"},
}


# --- reading ----------------------------------------------------------------------------

# stream(kind, below): the history items of that kind whose first entry is below
# ``below``, newest first (lazily: a Query page at a time).
Streams = Callable[[str, int], Iterator[dict[str, Any]]]


@dataclass
class HistoryPage:
    entries: list[tuple[int, HistoryEntry]]  # (number, entry), oldest first
    cursor: int | None  # entries before this number exist: ask again with before=cursor
    total: int
    skipped: int = 0  # history items that could not be read (logged with their key)


@dataclass
class _Skips:
    count: int = 0

    def note(self, item: dict[str, Any], error: Exception) -> None:
        self.count += 1
        log.warning(
            "unreadable history item skipped",
            extra={"pk": item.get("PK"), "sk": item.get("SK"), "error": type(error).__name__},
        )


def _entries(stream: Iterator[dict[str, Any]], below: int, skips: _Skips) -> Iterator[tuple[int, HistoryEntry]]:
    """One kind's entries below ``below``, newest first, each once (a wider copy
    left by a lost race overlaps the next item: what was read is not read again)."""
    floor = below
    for item in stream:
        try:
            numbered = sorted(
                ((int(record["seq"]), record) for record in item["entries"]), key=lambda pair: pair[0], reverse=True
            )
            found = [(seq, entry_of(record)) for seq, record in numbered if seq < floor]
            first = int(item["first"])
        except (KeyError, TypeError, ValueError) as error:
            skips.note(item, error)
            continue
        yield from found
        floor = min([floor, first, *(seq for seq, _ in found)])


def _newest(streams: Streams, kinds: tuple[str, ...], below: int, limit: int, skips: _Skips):
    if below <= 0 or limit <= 0:
        return []
    merged = heapq.merge(*(_entries(streams(kind, below), below, skips) for kind in kinds), key=lambda p: -p[0])
    return list(itertools.islice(merged, limit))


def page(case: Case, before: int | None, limit: int, streams: Streams) -> HistoryPage:
    """Up to ``limit`` entries numbered below ``before`` (default: the newest),
    from the window and then the history items."""
    total = case.history_total
    before = total if before is None else min(before, total)
    start = case.history_start
    recent = (
        [(start + i, entry) for i, entry in enumerate(case.history) if start + i < before][-limit:] if limit else []
    )
    skips = _Skips()
    older = _newest(streams, KINDS, min(before, start), limit - len(recent), skips)
    entries = list(reversed(older)) + recent
    # A short page means nothing older was found: no cursor (never one that
    # would return the same page again).
    oldest = entries[0][0] if len(entries) == limit and entries else 0
    return HistoryPage(entries, oldest or None, total, skips.count)


def older_timeline(case: Case, limit: int, streams: Streams) -> list[TimelineEntry]:
    """The newest ``limit`` public lines before the window, oldest first."""
    if case.older_public == 0:
        return []
    found = _newest(streams, (PUBLIC,), case.history_start, limit, _Skips())
    return [line for line in (entry.public_entry() for _, entry in reversed(found)) if line is not None]


def history_range(pk: str, kind: str, below: int) -> KeyRange:
    """A case's history items of one kind that start below entry ``below``, newest first."""
    low, high = sk_range(kind, below)
    return KeyRange(pk, low=low, high=high, newest_first=True)


def streams_of(table: Table, pk: str) -> Streams:
    """Reads a case's history items from the table, a Query page at a time (lazily)."""
    return lambda kind, below: table.items(history_range(pk, kind, below), page_size=QUERY_PAGE_ITEMS)
