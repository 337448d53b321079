"""Cases in DynamoDB: one item per case, written with one request per change.

Item keys and access patterns are documented in docs/data-model.md. The short
version: ``PK = CASE#<tracking code>, SK = CASE``; every write replaces the
item's ``outbox`` with the events of that write (the stream relays them), and
is conditional so that nothing is overwritten by accident:

* ``add``  -- PutItem if the code is free. A retried provider message derives
  the same code, so its second delivery fails the condition and gets the old
  item back in the same response (ReturnValuesOnConditionCheckFailure): one
  request either way, no read-before-write.
* ``save`` -- PutItem of the whole item, conditional on the version that was
  read: a concurrent change makes it fail with ConcurrentUpdate (409), never
  overwrite. State, version and outbox are one write. The item keeps a bounded
  window of the history; when a save pushes stored entries out of it, they
  are written as history items first (case_history.py), so a long case costs
  the same per action as a short one.
* ``get``  -- one strongly consistent GetItem (a reporter polls right after
  receiving the code).
* ``mark_message`` -- PutItem if free: a provider message that was *added* to
  another case reserves the code it would have opened a case under, pointing
  at that case. A late retry of the message (after the conversation window)
  then fails ``add``'s condition and finds its case (``AddedElsewhere``)
  instead of opening a second one. The mark is not a case: ``get`` ignores it.

Private fields (``SEALED_FIELDS``: the reporter's contact, and any other field
listed there) are sealed with KMS envelope encryption on write (adapters/
sealing.py) and come back from ``get`` as opaque ``Sealed`` tokens; a save
writes them back unchanged. Only ``open_sealed`` reveals them, for the paths
that must reach the reporter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

from chalicelib import logs
from chalicelib.adapters import aws, case_history
from chalicelib.adapters.table import Table
from chalicelib.adapters.unreadable import read_one, readable
from chalicelib.domain.areas import AreaPath
from chalicelib.domain.case import Case, Feedback, FollowUpPlan, PhotoRef, Photos, TimelineEntry
from chalicelib.domain.channels import Channel
from chalicelib.domain.clock import parse_instant, to_utc_text
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.events import DomainEvent
from chalicelib.domain.lifecycle import CaseStatus
from chalicelib.domain.messages import MediaLink, ReplyHandle
from chalicelib.domain.plan import PlanState
from chalicelib.domain.privacy import PrivacyLevel
from chalicelib.domain.report import GeoPoint, Provenance, ReporterContact
from chalicelib.domain.sealed import Sealed
from chalicelib.domain.sla import Milestone, SlaClock

if TYPE_CHECKING:
    from chalicelib.adapters.sealing import Sealer

CASE_SK = "CASE"
CASE_TYPE = "case"
# A provider message added to another case (see ``mark_message``). Meta
# retries a webhook for up to 7 days; the mark outlives that, then TTL removes it.
MESSAGE_TYPE = "added_message"
MESSAGE_MARK_RETAIN = timedelta(days=14)


@dataclass(frozen=True)
class SealedField:
    """How one private Case attribute becomes JSON before sealing, and back."""

    dump: Callable[[Any], Any]
    load: Callable[[Any], Any]
    # False for values that reach no person and are stored in the clear anyway
    # (kept as a map, read back as the value, no KMS request).
    private: Callable[[Any], bool] = lambda value: True


# The Case attributes stored sealed (KMS envelope encryption), by attribute
# name: the item keeps only an opaque token, a read returns ``Sealed``, and
# only ``open_sealed`` reveals the value. THE one place to list a private
# field: add it here and it is sealed on every write, never readable in the
# table, the stream or SNS.
SEALED_FIELDS: dict[str, SealedField] = {
    "reporter": SealedField(
        dump=lambda contact: contact.model_dump(exclude_none=True),
        load=lambda data: ReporterContact.model_construct(**data),
    ),
    # How to answer on the reporter's channel (phone, WhatsApp id, X user id,
    # e-mail address...): kept even for anonymous messaging reports. A partner
    # app's handle is its own report id, already in the clear in ``source_key``:
    # not sealed, so anonymous partner reports still need no KMS request.
    "reply_handle": SealedField(
        dump=lambda handle: handle.model_dump(mode="json", exclude_none=True),
        load=ReplyHandle.model_validate,
        private=lambda handle: handle.kind != "partner",
    ),
}

SEALING_PURPOSE = "crm/case-private-fields"


def sealing_context(tracking_code: str) -> dict[str, str]:
    """The KMS encryption context of a case's sealed fields: binds them to the case."""
    return {"purpose": SEALING_PURPOSE, "tracking_code": tracking_code}


def case_pk(tracking_code: str) -> str:
    return f"CASE#{tracking_code}"


def case_key(tracking_code: str) -> dict[str, str]:
    """The table key of a case item."""
    return {"PK": case_pk(tracking_code), "SK": CASE_SK}


# The condition of a write that creates an item: nothing is stored under its key yet.
NEW_ITEM_ONLY = "attribute_not_exists(PK)"


@dataclass(frozen=True)
class Added:
    """The case was stored as new."""

    case: Case


@dataclass(frozen=True)
class AlreadyStored:
    """The same provider message was stored before: here is that case."""

    case: Case


@dataclass(frozen=True)
class AddedElsewhere:
    """The same provider message was added to another case earlier: its code."""

    tracking_code: str


@dataclass(frozen=True)
class CodeTaken:
    """Another message's case holds this code (a 1-in-2**64 collision)."""


AddOutcome = Added | AlreadyStored | AddedElsewhere | CodeTaken


def message_mark(message_code: str, source_key: str, into: str, now: datetime) -> dict[str, Any]:
    """The item reserving ``message_code`` for the case the message was added to."""
    return {
        "PK": case_pk(message_code),
        "SK": CASE_SK,
        "type": MESSAGE_TYPE,
        "source_key": source_key,
        "into": into,
        "expires_at": int((now + MESSAGE_MARK_RETAIN).timestamp()),
    }


def conflict_outcome(stored: dict[str, Any] | None, case: Case) -> AddOutcome:
    """What an existing item at a new case's code means for that case."""
    same_message = stored is not None and bool(case.source_key) and stored.get("source_key") == case.source_key
    if not same_message:
        return CodeTaken()
    assert stored is not None
    if stored.get("type") == MESSAGE_TYPE:
        return AddedElsewhere(stored["into"])
    return AlreadyStored(read_case(stored))


def message_home(stored: dict[str, Any] | None, message_code: str, source_key: str) -> str | None:
    """Where an earlier delivery of a message went, read off the item at its code."""
    if stored is None or stored.get("source_key") != source_key:
        return None
    return stored["into"] if stored.get("type") == MESSAGE_TYPE else message_code


def is_case_item(item: dict[str, Any] | None) -> TypeGuard[dict[str, Any]]:
    return item is not None and item.get("type", CASE_TYPE) == CASE_TYPE


class CaseRepository(Protocol):
    def add(self, case: Case) -> AddOutcome: ...

    def save(self, case: Case) -> Case: ...

    def get(self, tracking_code: str) -> Case | None: ...

    def mark_message(self, message_code: str, source_key: str, into: str, now: datetime) -> str: ...

    def open_sealed(self, case: Case, *fields: str) -> Case: ...

    def leave_due_index(self, tracking_code: str) -> None: ...

    def history_page(self, case: Case, before: int | None, limit: int) -> case_history.HistoryPage: ...

    def older_timeline(self, case: Case, limit: int) -> list[TimelineEntry]: ...


class DynamoCaseRepository:
    def __init__(self, table_name: str, sealer: Sealer | None = None):
        self.table_name = table_name
        self.sealer = sealer

    @property
    def _client(self) -> Any:
        return aws.client("dynamodb")

    def add(self, case: Case) -> AddOutcome:
        events = case.pull_events()
        try:
            item = case_to_item(case, version=1, events=events, sealer=self.sealer)
        except BaseException:
            case.pending_events = events + case.pending_events
            raise
        with aws.unavailable_on_transient("dynamodb"):
            try:
                self._client.put_item(
                    TableName=self.table_name,
                    Item=serialize(item),
                    ConditionExpression=NEW_ITEM_ONLY,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except self._client.exceptions.ConditionalCheckFailedException as error:
                case.pending_events = events  # nothing was written
                old = error.response.get("Item")  # None: the service did not return it, ask once
                return conflict_outcome(deserialize(old) if old else self._item(case.tracking_code), case)
        case.version = 1
        case.history_stored = len(case.history)
        return Added(case)

    def save(self, case: Case) -> Case:
        """Store a changed case read at ``case.version``; raises ConcurrentUpdate."""
        if case.version < 1:
            raise ValueError("save() is for stored cases; use add() for new ones")
        events = case.pull_events()
        try:
            window = case_history.plan_window(case_pk(case.tracking_code), case)
            item = case_to_item(windowed(case, window), version=case.version + 1, events=events, sealer=self.sealer)
        except BaseException:
            case.pending_events = events + case.pending_events
            raise
        with aws.unavailable_on_transient("dynamodb"):
            for history_item in window.items:  # before the case item: see case_history.py
                self.put_history(history_item)
            try:
                self._client.put_item(
                    TableName=self.table_name,
                    Item=serialize(item),
                    ConditionExpression="#version = :read_version",
                    ExpressionAttributeNames={"#version": "version"},
                    ExpressionAttributeValues=serialize({":read_version": case.version}),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except self._client.exceptions.ConditionalCheckFailedException as error:
                case.pending_events = events + case.pending_events
                old = error.response.get("Item")
                current = int(deserialize(old).get("version", 0)) if old else None
                raise ConcurrentUpdate(current) from None
        case.version += 1
        keep_window(case, window)
        return case

    def put_history(self, item: dict[str, Any]) -> None:
        """PutItem of a history item; only a wider copy replaces a stored one."""
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item=serialize(item),
                ExpressionAttributeValues=serialize({":until": item["until"]}),
                **case_history.WIDER_ONLY,
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            pass  # a copy of these entries (or of more of them) is already stored

    def get(self, tracking_code: str) -> Case | None:
        """The case, None if there is none; UnreadableItem (logged, counted) if its item cannot be read."""
        item = self._item(tracking_code)
        return read_case(item) if is_case_item(item) else None

    def _item(self, tracking_code: str) -> dict[str, Any] | None:
        with aws.unavailable_on_transient("dynamodb"):
            response = self._client.get_item(
                TableName=self.table_name,
                Key=serialize(case_key(tracking_code)),
                ConsistentRead=True,
            )
        item = response.get("Item")
        return deserialize(item) if item else None

    def mark_message(self, message_code: str, source_key: str, into: str, now: datetime) -> str:
        """Reserve ``message_code`` (the code this provider message would open a
        case under) for case ``into``, which it is being added to. Returns the
        case the message belongs to: ``into``, or wherever an earlier delivery
        of it went (an earlier mark, or its own case)."""
        with aws.unavailable_on_transient("dynamodb"):
            try:
                self._client.put_item(
                    TableName=self.table_name,
                    Item=serialize(message_mark(message_code, source_key, into, now)),
                    ConditionExpression=NEW_ITEM_ONLY,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except self._client.exceptions.ConditionalCheckFailedException as error:
                old = error.response.get("Item")
                stored = deserialize(old) if old else self._item(message_code)
                return message_home(stored, message_code, source_key) or into
        return into

    def open_sealed(self, case: Case, *fields: str) -> Case:
        """A copy of ``case`` with its sealed fields (or only ``fields``) opened
        (one KMS Decrypt per data key).

        For the reply path and authorized officer views only; never for a
        public view, an event or a log line.
        """
        return open_sealed_fields(case, self.sealer, fields)

    def leave_due_index(self, tracking_code: str) -> None:
        """Take a case the sweep quarantined off the due index (it stops being
        re-read). One UpdateItem that only removes the index keys, so it works
        on an item that cannot be read or saved whole; the version stays, so
        the stream relays nothing, and the case's next save puts it back."""
        from chalicelib.adapters.case_indexes import INDEXES

        due_pk, due_sk = INDEXES["due"]
        with aws.unavailable_on_transient("dynamodb"):
            try:
                self._client.update_item(
                    TableName=self.table_name,
                    Key=serialize(case_key(tracking_code)),
                    UpdateExpression="REMOVE #pk, #sk",
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeNames={"#pk": due_pk, "#sk": due_sk},
                )
            except self._client.exceptions.ConditionalCheckFailedException:
                return  # gone meanwhile: nothing left to take off

    def history_page(self, case: Case, before: int | None, limit: int) -> case_history.HistoryPage:
        """Up to ``limit`` history entries numbered below ``before`` (default: the
        newest): the window, then Queries on the history items as needed."""
        return case_history.page(case, before, limit, self._streams(case.tracking_code))

    def older_timeline(self, case: Case, limit: int) -> list[TimelineEntry]:
        """The newest ``limit`` public lines older than the window (no request when there are none)."""
        if case.timeline_complete:
            return []
        return case_history.older_timeline(case, limit, self._streams(case.tracking_code))

    def _streams(self, tracking_code: str) -> case_history.Streams:
        return case_history.streams_of(Table(self.table_name), case_pk(tracking_code))


def windowed(case: Case, window: case_history.Window) -> Case:
    """The case as its item stores it: with the window's history."""
    return replace(case, history=window.entries, history_start=window.start, older_public=window.older_public)


def keep_window(case: Case, window: case_history.Window) -> None:
    """After a save: the case holds what its item holds."""
    case.history, case.history_start, case.older_public = window.entries, window.start, window.older_public
    case.history_stored = len(window.entries)


# --- mapping between Case and item -------------------------------------------------


def outbox_records(case: Case, version: int, events: list[DomainEvent]) -> list[dict[str, Any]]:
    """The write's events, each stamped with the correlation id of the work that raised
    it (the API request, the worker's message, the scheduled run: logs.py), which
    travels with the event to every subscriber's log lines."""
    stamp = {"correlation_id": correlation_id} if (correlation_id := logs.correlation_id()) else {}
    return [
        {"id": f"{case.tracking_code}:{version}:{index}", **event.to_record(), **stamp}
        for index, event in enumerate(events)
    ]


def _text(value: datetime | None) -> str | None:
    return to_utc_text(value) if value else None


def _instant(value: str | None) -> datetime | None:
    return parse_instant(value) if value else None


def case_to_item(case: Case, version: int, events: list[DomainEvent], sealer: Sealer | None = None) -> dict[str, Any]:
    from chalicelib.adapters.case_indexes import index_attributes

    item: dict[str, Any] = {
        "PK": case_pk(case.tracking_code),
        "SK": CASE_SK,
        "type": "case",
        "code": case.tracking_code,
        "channel": case.channel.value,
        "category": case.category,
        "description": case.description,
        "status": case.status.value,
        "language": case.language,
        "anonymous": case.anonymous,
        "privacy": case.privacy.value,
        "priority": case.priority,
        "created_at": to_utc_text(case.created_at),
        "updated_at": to_utc_text(case.updated_at),
        "version": version,
        "progress": case.progress,
        "reopen_count": case.reopen_count,
        "routed": case.routed,
        "collaborators": list(case.collaborators),
        "merged_cases": list(case.merged_cases),
        "duplicate_candidates": list(case.duplicate_candidates),
        "photos": [vars(photo).copy() for photo in case.photos],
        "history": [case_history.entry_record(entry) for entry in case.history],
        "outbox": outbox_records(case, version, events),
    }
    optional = {
        "history_start": case.history_start or None,
        "older_public": case.older_public or None,
        "source_key": case.source_key,
        "content_digest": case.content_digest,
        "agency_id": case.agency_id,
        "assigned_at": _text(case.assigned_at),
        "reported_at": _text(case.reported_at),
        "expected_completion": _text(case.expected_completion),
        "predicted_completion": _text(case.predicted_completion),
        "first_plan_at": _text(case.first_plan_at),
        "resolved_at": _text(case.resolved_at),
        "resolution_note": case.resolution_note,
        "closed_at": _text(case.closed_at),
        "rejection_reason": case.rejection_reason,
        "merged_into": case.merged_into,
        "location": case.location.model_dump(exclude_none=True) if case.location else None,
        "area": case.area.as_dict() if case.area else None,
        "sla": {
            "coordinate_by": to_utc_text(case.sla.coordinate_by),
            "resolve_from": to_utc_text(case.sla.resolve_from),
            "resolve_by": to_utc_text(case.sla.resolve_by),
            "escalate_at": to_utc_text(case.sla.escalate_at),
            "marked": sorted(milestone.value for milestone in case.sla.marked),
        }
        if case.sla
        else None,
        "plan": {
            "text": case.plan.text,
            "agency_id": case.plan.agency_id,
            "submitted_at": to_utc_text(case.plan.submitted_at),
            "proposed_completion": _text(case.plan.proposed_completion),
            "state": case.plan.state.value,
            "review_comment": case.plan.review_comment,
            "reviewed_at": _text(case.plan.reviewed_at),
        }
        if case.plan
        else None,
        "feedback": {
            "rating": case.feedback.rating,
            "comment": case.feedback.comment,
            "at": to_utc_text(case.feedback.at),
        }
        if case.feedback
        else None,
        "pending_media": [link.model_dump(exclude_none=True) for link in case.pending_media] or None,
        "added_messages": list(case.added_messages) or None,
        "answers": dict(case.answers) or None,
        "media_urls": list(case.media_urls) or None,
        "provenance": None if case.provenance is Provenance.NOT_CHECKED else case.provenance.value,
    }
    item.update({key: value for key, value in optional.items() if value is not None})
    item.update(sealed_attributes(case, sealer))
    item.update(index_attributes(case, version))
    return item


def sealed_attributes(case: Case, sealer: Sealer | None) -> dict[str, str]:
    """The item attributes of SEALED_FIELDS: tokens, never plaintext.

    Values read back are still ``Sealed`` and are written unchanged (no KMS
    call); new plaintext values are sealed together under one data key.
    """
    attributes, plaintexts = {}, {}
    for name, spec in SEALED_FIELDS.items():
        value = getattr(case, name, None)
        if value is None:
            continue
        if isinstance(value, Sealed):
            attributes[name] = value.token
        elif not spec.private(value):
            attributes[name] = spec.dump(value)
        else:
            plaintexts[name] = json.dumps(spec.dump(value), ensure_ascii=False, separators=(",", ":")).encode()
    if plaintexts:
        if sealer is None:
            raise ValueError(f"{', '.join(plaintexts)} must be sealed before storing: pass a sealer")
        attributes.update(sealer.seal(sealing_context(case.tracking_code), plaintexts))
    return attributes


def _read_sealed(item: dict[str, Any], name: str) -> Any:
    stored = item.get(name)
    if isinstance(stored, str):
        return Sealed(stored)
    if stored:  # not private, or written before sealing existed (sealed on the next save)
        return SEALED_FIELDS[name].load(stored)
    return None


def open_sealed_fields(case: Case, sealer: Sealer | None, fields: tuple[str, ...] = ()) -> Case:
    unknown = set(fields) - set(SEALED_FIELDS)
    if unknown:
        raise ValueError(f"not sealed fields: {', '.join(sorted(unknown))}")
    tokens = {
        name: getattr(case, name).token
        for name in (fields or SEALED_FIELDS)
        if isinstance(getattr(case, name, None), Sealed)
    }
    if not tokens:
        return case
    if sealer is None:
        raise ValueError("opening sealed fields needs a sealer")
    opened = sealer.open(sealing_context(case.tracking_code), tokens)
    return replace(case, **{name: SEALED_FIELDS[name].load(json.loads(opened[name])) for name in tokens})


def read_case(item: dict[str, Any]) -> Case:
    """One stored case; raises UnreadableItem (logged and counted) if it cannot be read."""
    return read_one(item, item_to_case, "case")


def read_cases(items: Iterable[dict[str, Any]], list_name: str) -> list[Case]:
    """The stored cases that can be read; the others are skipped, logged and counted."""
    return readable(items, item_to_case, list_name)


def item_to_case(item: dict[str, Any]) -> Case:
    history = [case_history.entry_of(entry) for entry in item.get("history", [])]
    sla = item.get("sla")
    plan = item.get("plan")
    feedback = item.get("feedback")
    return Case(
        tracking_code=item["code"],
        channel=Channel(item["channel"]),
        category=item["category"],
        description=item["description"],
        status=CaseStatus(item["status"]),
        created_at=parse_instant(item["created_at"]),
        updated_at=parse_instant(item["updated_at"]),
        source_key=item.get("source_key"),
        content_digest=item.get("content_digest"),
        location=GeoPoint(**item["location"]) if item.get("location") else None,
        **{name: _read_sealed(item, name) for name in SEALED_FIELDS},
        anonymous=bool(item.get("anonymous")),
        privacy=PrivacyLevel(item.get("privacy") or PrivacyLevel.PUBLIC),
        priority=item.get("priority") or "normal",
        language=item.get("language", "id"),
        reported_at=_instant(item.get("reported_at")),
        agency_id=item.get("agency_id"),
        assigned_at=_instant(item.get("assigned_at")),
        collaborators=list(item.get("collaborators", [])),
        area=AreaPath.from_dict(item["area"]) if item.get("area") else None,
        expected_completion=_instant(item.get("expected_completion")),
        predicted_completion=_instant(item.get("predicted_completion")),
        sla=SlaClock(
            coordinate_by=parse_instant(sla["coordinate_by"]),
            resolve_from=parse_instant(sla["resolve_from"]),
            resolve_by=parse_instant(sla["resolve_by"]),
            escalate_at=parse_instant(sla["escalate_at"]),
            marked={Milestone.named(name) for name in sla.get("marked", [])},
        )
        if sla
        else None,
        plan=FollowUpPlan(
            text=plan["text"],
            agency_id=plan["agency_id"],
            submitted_at=parse_instant(plan["submitted_at"]),
            proposed_completion=_instant(plan.get("proposed_completion")),
            state=PlanState(plan.get("state", PlanState.SUBMITTED)),
            review_comment=plan.get("review_comment"),
            reviewed_at=_instant(plan.get("reviewed_at")),
        )
        if plan
        else None,
        first_plan_at=_instant(item.get("first_plan_at")),
        progress=int(item.get("progress", 0)),
        resolved_at=_instant(item.get("resolved_at")),
        resolution_note=item.get("resolution_note"),
        closed_at=_instant(item.get("closed_at")),
        feedback=Feedback(feedback["rating"], feedback.get("comment"), parse_instant(feedback["at"]))
        if feedback
        else None,
        reopen_count=int(item.get("reopen_count", 0)),
        rejection_reason=item.get("rejection_reason"),
        merged_into=item.get("merged_into"),
        merged_cases=list(item.get("merged_cases", [])),
        duplicate_candidates=list(item.get("duplicate_candidates", [])),
        routed=bool(item.get("routed")),
        photos=Photos(PhotoRef(**photo) for photo in item.get("photos", [])),
        # Items written before the window existed hold the whole history: start 0.
        history=history,
        history_start=int(item.get("history_start", 0)),
        older_public=int(item.get("older_public", 0)),
        history_stored=len(history),
        version=int(item.get("version", 0)),
        pending_media=[MediaLink.model_validate(link) for link in item.get("pending_media", [])],
        added_messages=list(item.get("added_messages", [])),
        answers=dict(item.get("answers") or {}),
        media_urls=list(item.get("media_urls") or []),
        provenance=Provenance(item.get("provenance") or Provenance.NOT_CHECKED),
    )


# --- DynamoDB's typed JSON -----------------------------------------------------------


def _to_storable(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {key: _to_storable(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_storable(inner) for inner in value]
    return value


def _from_stored(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _from_stored(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_from_stored(inner) for inner in value]
    return value


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {key: serializer.serialize(_to_storable(value)) for key, value in item.items()}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {key: _from_stored(deserializer.deserialize(value)) for key, value in item.items()}
