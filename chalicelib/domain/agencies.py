"""Agencies (OPD, organisasi perangkat daerah) and their tree.

Provincial Dinas -> Suku Dinas per city (kota); city governments -> kecamatan
-> kelurahan offices; plus the Government Bureau (Biro Pemerintahan), which
triages and verifies follow-up plans, and the Inspectorate, which receives
escalations. The seed lives in chalicelib/data/agencies.json.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BUREAU = "biro-pemerintahan"  # Biro Pemerintahan: triage and plan review
INSPECTORATE = "inspektorat"  # Inspektorat: escalations after 30 days

KINDS = ("dinas", "suku_dinas", "utility", "city", "kecamatan", "kelurahan", "bureau", "inspectorate")


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    kind: str
    parent: str | None = None
    area: str | None = None  # the administrative area it serves, e.g. "jakpus"
    email: str | None = None  # where officer notifications go, if set


class UnknownAgency(LookupError):
    pass


class AgencyDirectory:
    def __init__(self, agencies: Iterable[Agency]):
        self._by_id: dict[str, Agency] = {}
        for agency in agencies:
            if agency.id in self._by_id:
                raise ValueError(f"agency {agency.id} is listed twice")
            if agency.kind not in KINDS:
                raise ValueError(f"agency {agency.id} has unknown kind {agency.kind!r}")
            self._by_id[agency.id] = agency
        self._children: dict[str, list[str]] = {}
        for agency in self._by_id.values():
            if agency.parent is not None:
                if agency.parent not in self._by_id:
                    raise ValueError(f"agency {agency.id} has unknown parent {agency.parent}")
                self._children.setdefault(agency.parent, []).append(agency.id)
        for agency in self._by_id.values():
            self.ancestors(agency.id)  # raises on a cycle

    def __iter__(self):
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, agency_id: str | None) -> Agency | None:
        return self._by_id.get(agency_id) if agency_id else None

    def require(self, agency_id: str) -> Agency:
        agency = self.get(agency_id)
        if agency is None:
            raise UnknownAgency(f"no agency {agency_id!r}")
        return agency

    def children(self, agency_id: str) -> list[Agency]:
        return [self._by_id[child] for child in self._children.get(agency_id, [])]

    def ancestors(self, agency_id: str) -> list[str]:
        """Parent, grandparent, ... (nearest first)."""
        seen, chain = {agency_id}, []
        current = self.require(agency_id).parent
        while current is not None:
            if current in seen:
                raise ValueError(f"agency tree has a cycle at {current}")
            seen.add(current)
            chain.append(current)
            current = self._by_id[current].parent
        return chain

    def root_of(self, agency_id: str) -> str:
        chain = self.ancestors(agency_id)
        return chain[-1] if chain else agency_id

    def is_below(self, agency_id: str, ancestor_id: str) -> bool:
        """True if ``agency_id`` is a strict descendant of ``ancestor_id``."""
        return ancestor_id in self.ancestors(agency_id)

    def is_within(self, agency_id: str | None, scope_id: str | None) -> bool:
        """True if ``agency_id`` is ``scope_id`` or below it."""
        if not agency_id or not scope_id or self.get(agency_id) is None:
            return False
        return agency_id == scope_id or self.is_below(agency_id, scope_id)


def directory_from(data: dict) -> AgencyDirectory:
    return AgencyDirectory(
        Agency(
            id=entry["id"],
            name=entry["name"],
            kind=entry["kind"],
            parent=entry.get("parent"),
            area=entry.get("area"),
            email=entry.get("email"),
        )
        for entry in data["agencies"]
    )
