"""Stored items that cannot be read back: skipped in lists, a clear error alone.

An item can be unreadable because it was written by a bug since fixed (a year
stored as "1-01-01..."), by hand, or by a version whose format has changed. One
such item must never take down every list that touches it. So every read of
stored items goes through ``readable`` (many) or ``read_one`` (one):

* the item is mapped with the caller's ``read``; if that raises one of the
  errors a malformed item causes (missing attribute, wrong type, bad value),
* the item is skipped (a list) or ``UnreadableItem`` is raised (one item: the
  API answers 503, see api/http.py),
* it is logged with its table key (``PK``/``SK``; an operations log, never a
  reporter's details; a case's key is logged as its public id, never its
  tracking code -- whoever reads logs must not be able to act as the
  reporter; ``python -m infra.quarantine`` and Open311 map it back) and what
  was wrong, and
* counted in the EMF metric ``UnreadableItems``, dimension ``list`` (which
  list, or ``case`` for a single case), which the alarm watches.

AWS errors, configuration errors and the domain's own errors are not caught:
they mean something else and keep their own answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from chalicelib import logs

T = TypeVar("T")
S = TypeVar("S")  # what is read: a stored item, or a case read before (``key`` then names it)
Item = dict[str, Any]

# What reading a malformed item raises: KeyError/IndexError (LookupError),
# ValueError (bad dates and enums; pydantic's ValidationError), TypeError and
# AttributeError (a string where a map was), OverflowError and decimal errors
# (ArithmeticError).
UNREADABLE = (LookupError, ValueError, TypeError, AttributeError, ArithmeticError)
METRIC = "UnreadableItems"

log = logs.get_logger("unreadable")


class UnreadableItem(Exception):
    """The one stored item asked for cannot be read (it was logged and counted)."""

    def __init__(self, list_name: str, key: dict[str, str]):
        self.list_name = list_name
        self.key = key
        super().__init__(f"unreadable {list_name} item {key}")


CASE_PREFIX = "CASE#"


def table_key(item: Any) -> dict[str, str]:
    """The item's table key, for the operations log (a case's tracking code as its public id)."""
    if not isinstance(item, dict):
        return {}
    key = {name: str(item[name])[:300] for name in ("PK", "SK") if name in item}
    if key.get("PK", "").startswith(CASE_PREFIX):
        key["PK"] = CASE_PREFIX + _public_name(key["PK"][len(CASE_PREFIX) :])
    return key


def _public_name(tracking_code: str) -> str:
    """``public:<id>`` (the Open311 id of the case); never the tracking code itself."""
    from chalicelib.config import ConfigurationError, settings
    from chalicelib.domain.request_ids import public_id

    try:
        return "public:" + public_id(tracking_code, settings().tracking_code_key)
    except (ConfigurationError, ValueError):
        return "public:?"  # no key here (or not a code): still never the code


def readable(
    items: Iterable[S], read: Callable[[S], T], list_name: str, key: Callable[[Any], dict] = table_key
) -> list[T]:
    """``read`` of every item that can be read; the others are skipped, logged and counted."""
    kept: list[T] = []
    skipped = 0
    for item in items:
        try:
            kept.append(read(item))
        except UNREADABLE as error:
            _report(list_name, key(item), error)
            skipped += 1
    if skipped:
        _count(list_name, skipped)
    return kept


def read_one(item: Item, read: Callable[[Item], T], list_name: str, key: Callable[[Any], dict] = table_key) -> T:
    """``read(item)``, or UnreadableItem once the item was logged and counted."""
    try:
        return read(item)
    except UNREADABLE as error:
        where = key(item)
        _report(list_name, where, error)
        _count(list_name, 1)
        raise UnreadableItem(list_name, where) from None


def _report(list_name: str, key: dict[str, str], error: Exception) -> None:
    log.error("unreadable item skipped", extra={"list": list_name, "key": key, "problem": describe(error)})


def _count(list_name: str, how_many: int) -> None:
    from chalicelib import cloudwatch

    cloudwatch.count(METRIC, how_many, list=list_name)


def describe(error: Exception) -> str:
    """What was wrong, without the values: pydantic's errors name the field and
    the rule only (their text would quote the stored input)."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            found = errors(include_url=False, include_input=False)
            parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in found]
            return f"{type(error).__name__}: {'; '.join(parts)}"[:300]
        except Exception:  # noqa: BLE001 - a look at an error must not raise
            return type(error).__name__
    if isinstance(error, KeyError):
        return f"KeyError: missing {error.args[0]!r}"[:300] if error.args else "KeyError"
    return f"{type(error).__name__}: {error}"[:300]
