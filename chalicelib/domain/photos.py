"""A case's photos: the reporter's and the officers' completion photos.

Each photo is kept twice (adapters/photo_store.py): the private original and
a public copy without EXIF/GPS or any other metadata, which is all the public
ever sees. Photos are numbered p1, p2, ... within their case, in the order
they arrive; ``Photos`` is the one place that numbers them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import overload

REPORT, COMPLETION = "report", "completion"


@dataclass(frozen=True)
class PhotoRef:
    """A stored photo: the private original and its metadata-free public copy."""

    id: str  # "p1", "p2"... unique within the case
    kind: str  # "report" (from the reporter) or "completion" (from an officer)
    original_key: str
    public_key: str
    content_type: str  # of the public copy
    width: int
    height: int


class Photos(Sequence[PhotoRef]):
    """The photos of one case, in the order they came."""

    __slots__ = ("_items",)

    def __init__(self, photos: Iterable[PhotoRef] = ()):
        self._items = list(photos)

    @overload
    def __getitem__(self, index: int) -> PhotoRef: ...
    @overload
    def __getitem__(self, index: slice) -> list[PhotoRef]: ...
    def __getitem__(self, index: int | slice) -> PhotoRef | list[PhotoRef]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[PhotoRef]:
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Photos):
            return self._items == other._items
        if isinstance(other, (list, tuple)):
            return self._items == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like the list it was

    def __repr__(self) -> str:
        return f"Photos({self._items!r})"

    def next_id(self, offset: int = 0) -> str:
        """The id of the next photo to store (``offset`` more: of the one after
        those); ids of photos already stored are never given again."""
        numbers = [int(photo.id[1:]) for photo in self._items if photo.id[1:].isdigit()]
        return f"p{max(numbers, default=0) + 1 + offset}"

    def next_ids(self, count: int) -> list[str]:
        """The ids of the next ``count`` photos, in order."""
        return [self.next_id(offset) for offset in range(count)]

    def add(self, photos: Iterable[PhotoRef]) -> None:
        self._items.extend(photos)

    def find(self, photo_id: str) -> PhotoRef | None:
        return next((photo for photo in self._items if photo.id == photo_id), None)

    def of_kind(self, kind: str) -> list[PhotoRef]:
        return [photo for photo in self._items if photo.kind == kind]

    def republish(self, photo_id: str, public_key: str) -> PhotoRef:
        """The photo's public copy is now ``public_key``; returns the photo as it
        was. KeyError if the case has no such photo."""
        for index, photo in enumerate(self._items):
            if photo.id == photo_id:
                self._items[index] = replace(photo, public_key=public_key)
                return photo
        raise KeyError(photo_id)
