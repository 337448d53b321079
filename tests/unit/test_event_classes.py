"""Domain events behave as frozen, keyword-only dataclasses, without being made by ``dataclass``.

chalicelib/domain/events.py records each event class's fields once and serves every event
with one ``__init__``, ``__setattr__``, equality, hash and repr (a dataclass compiled them for
each class, on every cold start). These tests hold that to what ``dataclass`` did: the same
fields, defaults, errors, equality and repr, against a real dataclass built from the same
annotations, and every registered event through its record and back."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import FrozenInstanceError, field
from datetime import UTC, datetime, timedelta, timezone
from typing import ClassVar

import pytest

from chalicelib.domain import events
from chalicelib.domain.events import EVENT_TYPES, DomainEvent, _event, from_record
from tests.support.event_messages import ALL_EVENT_TYPES, example

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def assigned(at=T0, **values):
    return events.CaseAssigned(
        occurred_at=at, **{"agency_id": "dinas-lh", "agency_name": "DLH", "how": "routing", **values}
    )


# --- the constructor ------------------------------------------------------------------------


def test_fields_come_in_order_inherited_first_and_class_variables_are_not_fields():
    assert DomainEvent.field_names == ("occurred_at", "actor_user", "actor_role", "actor_agency_id")
    assert events.CaseTransferred.field_names == (
        *DomainEvent.field_names,
        "from_agency_id",
        "agency_id",
        "agency_name",
        "reason",
        "resolution_breached",
    )
    for name in ("type", "public", "private_fields", "field_names", "required_fields"):
        assert name not in events.CaseTransferred.field_names
    assert events.CaseTransferred.required_fields == {
        "occurred_at",
        "from_agency_id",
        "agency_id",
        "agency_name",
        "reason",
    }


def test_defaults_fill_what_is_not_given():
    event = events.CaseDelegated(occurred_at=T0, from_agency_id="dinas-lh", agency_id="sudin-lh-jp", agency_name="S")
    assert event.resolution_breached is False
    assert (event.actor_user, event.actor_role, event.actor_agency_id) == (None, None, None)
    given = events.CaseDelegated(
        occurred_at=T0,
        from_agency_id="a",
        agency_id="b",
        agency_name="S",
        resolution_breached=True,
        actor_role="bureau",
    )
    assert given.resolution_breached is True and given.actor_role == "bureau"


def test_a_missing_field_is_a_type_error_that_names_it():
    with pytest.raises(TypeError, match="missing .*: agency_name, how$"):
        events.CaseAssigned(occurred_at=T0, agency_id="dinas-lh")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="occurred_at"):
        events.PhotoAdded(count=1)  # type: ignore[call-arg]


def test_an_unknown_field_is_a_type_error_that_names_it():
    with pytest.raises(TypeError, match="unexpected keyword argument 'district'"):
        assigned(district="31.71")


def test_fields_are_keyword_only():
    with pytest.raises(TypeError):
        events.PhotoAdded(T0, 1)  # type: ignore[misc]


def test_events_are_frozen():
    event = assigned()
    with pytest.raises(FrozenInstanceError):
        event.agency_id = "dinas-bm"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        event.something_else = 1  # type: ignore[attr-defined]
    with pytest.raises(FrozenInstanceError):
        del event.how
    with pytest.raises(AttributeError):  # FrozenInstanceError is one, as callers may catch
        event.how = "triage"  # type: ignore[misc]
    assert event == assigned()


def test_a_default_factory_gives_each_event_its_own_value_and_a_mutable_default_is_refused():
    @_event("test.listed")
    class Listed(DomainEvent):
        kinds: ClassVar[tuple[str, ...]] = ("a",)
        items: list[str] = field(default_factory=list)
        note: str = field(default="none")

    first, second = Listed(occurred_at=T0), Listed(occurred_at=T0)
    assert first.items == [] and first.items is not second.items and first.note == "none"
    assert Listed(occurred_at=T0, items=["x"]).items == ["x"]
    assert Listed.field_names[-2:] == ("items", "note") and Listed.required_fields == {"occurred_at"}

    with pytest.raises(ValueError, match="mutable default"):

        class Shared(DomainEvent):
            items: list[str] = []  # noqa: RUF012  (the mistake under test)


def test_a_subclass_of_an_event_adds_its_fields_after_the_parent_s_and_may_redeclare_one():
    @_event("test.stricter")
    class Stricter(events.CaseDelegated):
        resolution_breached: bool  # type: ignore[misc]  (now required)
        why: str = "policy"

    assert Stricter.field_names == (*events.CaseDelegated.field_names, "why")
    assert "resolution_breached" in Stricter.required_fields
    with pytest.raises(TypeError, match="resolution_breached"):
        Stricter(occurred_at=T0, from_agency_id="a", agency_id="b", agency_name="S")  # type: ignore[call-arg]
    assert events.CaseDelegated.required_fields == {"occurred_at", "from_agency_id", "agency_id", "agency_name"}


# --- equality, hash, repr -------------------------------------------------------------------


def test_events_are_equal_by_class_and_values():
    assert assigned() == assigned()
    assert assigned() != assigned(how="triage")
    assert assigned() != assigned(at=T0 + timedelta(seconds=1))
    assert assigned() == assigned(at=T0.astimezone(timezone(timedelta(hours=7))))  # the same instant
    pending = events.PhotoPending(occurred_at=T0, count=2)
    added = events.PhotoAdded(occurred_at=T0, count=2)  # the same fields and values, another event
    assert pending != added and added != pending
    reminder = events.SlaReminder(occurred_at=T0, agency_id="a", milestone="resolution", deadline="d")
    breached = events.SlaBreached(occurred_at=T0, agency_id="a", milestone="resolution", deadline="d")
    assert reminder != breached
    assert assigned() != ("dinas-lh", "DLH", "routing")


def test_equal_events_hash_alike_and_events_with_lists_are_unhashable_as_before():
    assert hash(assigned()) == hash(assigned())
    assert len({assigned(), assigned(), assigned(how="triage")}) == 2
    with pytest.raises(TypeError):
        hash(events.DuplicatesFound(occurred_at=T0, candidates=["A"]))


def test_repr_names_the_class_and_every_field_in_order():
    assert repr(events.PhotoAdded(occurred_at=T0, count=2, actor_role="officer")) == (
        "PhotoAdded(occurred_at=datetime.datetime(2026, 11, 23, 3, 0, tzinfo=datetime.timezone.utc), "
        "actor_user=None, actor_role='officer', actor_agency_id=None, count=2)"
    )


def test_data_is_every_field_but_the_time_with_lists_copied():
    event = events.PhotoRedacted(occurred_at=T0, photo_id="p1", kind="report", regions=[[1, 2, 3, 4]])
    data = event.data()
    assert list(data) == [name for name in events.PhotoRedacted.field_names if name != "occurred_at"]
    assert data["regions"] == [[1, 2, 3, 4]]
    data["regions"][0].append(5)
    assert event.regions == [[1, 2, 3, 4]]


# --- the same as a dataclass ----------------------------------------------------------------


def _as_dataclass(cls: type[DomainEvent]) -> type:
    """A frozen keyword-only dataclass with the annotations and defaults of ``cls`` and its bases."""
    made: type = object
    for klass in reversed([k for k in cls.__mro__ if "__annotations__" in k.__dict__]):
        own = klass.__dict__["__annotations__"]
        namespace = {name: klass.__dict__[name] for name in own if name in klass.__dict__}
        namespace |= {"__annotations__": dict(own), "__module__": events.__name__}
        made = dataclasses.dataclass(frozen=True, kw_only=True)(type(klass.__name__, (made,), namespace))
    return made


@pytest.mark.parametrize("cls", ALL_EVENT_TYPES, ids=lambda cls: cls.type)
def test_each_event_has_the_fields_defaults_repr_and_data_a_dataclass_gave_it(cls):
    twin = _as_dataclass(cls)
    assert cls.field_names == tuple(item.name for item in dataclasses.fields(twin))
    assert cls.required_fields == {
        item.name
        for item in dataclasses.fields(twin)
        if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
    }
    event = example(cls, actor_user="u1")
    values = {name: getattr(event, name) for name in cls.field_names}
    assert repr(event) == repr(twin(**values))
    expected = dataclasses.asdict(twin(**values))
    del expected["occurred_at"]
    assert event.data() == expected


# --- the registry and the record ------------------------------------------------------------


@pytest.mark.parametrize("cls", ALL_EVENT_TYPES, ids=lambda cls: cls.type)
def test_every_registered_event_comes_back_from_its_record(cls):
    assert EVENT_TYPES[cls.type] is cls
    plain = example(cls)
    assert from_record(plain.to_record()) == plain
    given = {"resolution_breached": True} if "resolution_breached" in cls.field_names else {}
    every = example(cls, actor_user="u1", actor_role="officer", actor_agency_id="dinas-lh", **given)
    back = from_record(every.to_record())
    assert type(back) is cls and back == every and back.to_record() == every.to_record()
    assert copy.deepcopy(every) == every and copy.copy(every) == every
