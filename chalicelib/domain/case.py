"""The Case aggregate (kasus / laporan): one citizen problem from intake to close.

Plain Python with no I/O: the services load a Case, ask it to change, and hand
it back to the repository together with the events it raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .channels import Channel
from .events import CaseReceived, DomainEvent
from .lifecycle import CaseStatus
from .report import GeoPoint, IncomingReport, ReporterContact


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


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the public timeline; texts are rendered per language on read."""

    at: datetime
    type: str
    data: dict[str, Any]


@dataclass
class Case:
    tracking_code: str
    channel: Channel
    category: str
    description: str
    status: CaseStatus
    created_at: datetime
    updated_at: datetime
    source_key: str | None = None  # "<channel>:<provider message id>", for idempotency
    location: GeoPoint | None = None
    reporter: ReporterContact | None = None
    anonymous: bool = False
    language: str = "id"
    reported_at: datetime | None = None
    agency_id: str | None = None
    expected_completion: datetime | None = None
    photos: list[PhotoRef] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    version: int = 0  # 0: never stored; every stored change adds one
    pending_events: list[DomainEvent] = field(default_factory=list, repr=False)

    @classmethod
    def open(
        cls,
        report: IncomingReport,
        tracking_code: str,
        now: datetime,
        photos: list[PhotoRef] | None = None,
    ) -> Case:
        """A new case from a report: status received, event CaseReceived."""
        case = cls(
            tracking_code=tracking_code,
            channel=report.channel,
            category=report.category,
            description=report.description,
            status=CaseStatus.RECEIVED,
            created_at=now,
            updated_at=now,
            source_key=source_key(report.channel, report.message_id),
            location=report.location,
            reporter=None if report.anonymous else report.reporter,
            anonymous=report.anonymous,
            language=report.language,
            reported_at=report.reported_at,
            photos=list(photos or []),
        )
        case.record(CaseReceived(occurred_at=now, channel=report.channel.value, category=report.category))
        return case

    def record(self, event: DomainEvent) -> None:
        """Raise an event: it goes to the outbox, and to the timeline if public."""
        self.pending_events.append(event)
        self.updated_at = max(self.updated_at, event.occurred_at)
        if event.public:
            self.timeline.append(TimelineEntry(at=event.occurred_at, type=event.type, data=event.data()))

    def pull_events(self) -> list[DomainEvent]:
        events, self.pending_events = self.pending_events, []
        return events


def source_key(channel: Channel, message_id: str | None) -> str | None:
    return f"{channel.value}:{message_id}" if message_id else None
