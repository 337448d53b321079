"""How big an item is as DynamoDB counts it, and what writing it costs.

DynamoDB bills a write at 1 write unit per started KB of the item (the larger
of the old and the new item when one is replaced), twice that in a
transaction, and refuses items over 400 KB. Its published sizing rules
(developer guide, "Item sizes and formats"): attribute names count in UTF-8
bytes; strings in UTF-8 bytes; numbers about one byte per two significant
digits plus one; booleans and nulls one byte; lists and maps 3 bytes plus one
byte per element plus their elements (map keys count like attribute names).
The figures are that rule applied to the plain values we store (before
boto3's typing), so they are close to, not exactly, the service's own.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

KB = 1024
MAX_ITEM_BYTES = 400 * KB  # DynamoDB's limit


def _number_bytes(value: int | float | Decimal) -> int:
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    significant = format(abs(number), "f").replace(".", "").strip("0")
    return (len(significant) + 1) // 2 + 1


def value_bytes(value: Any) -> int:
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, (int, float, Decimal)):
        return _number_bytes(value)
    if isinstance(value, dict):
        return 3 + sum(1 + len(str(key).encode()) + value_bytes(inner) for key, inner in value.items())
    if isinstance(value, (list, tuple)):
        return 3 + sum(1 + value_bytes(inner) for inner in value)
    if isinstance(value, (set, frozenset)):  # string and number sets: their members only
        return sum(value_bytes(inner) for inner in value)
    raise TypeError(f"not a DynamoDB value: {type(value).__name__}")


def item_bytes(item: dict[str, Any]) -> int:
    """The size of an item (plain Python values, as ``case_to_item`` builds them)."""
    return sum(len(name.encode()) + value_bytes(value) for name, value in item.items())


def write_units(new_bytes: int, old_bytes: int = 0, transactional: bool = False) -> int:
    """Write units one PutItem costs: 1 per started KB of the larger of old and new."""
    units = max(1, math.ceil(max(new_bytes, old_bytes) / KB))
    return 2 * units if transactional else units
