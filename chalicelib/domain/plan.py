"""The follow-up plan (rencana tindak lanjut) an agency makes for a case, and
the Government Bureau's review of it (Biro Pemerintahan).

A plan says what the agency will do, and by when if the category lets it
propose its own date. The Bureau verifies it -- a proposed date then becomes
the agreed resolution deadline -- or returns it with a comment, and the agency
submits a new one. Which plans may be submitted, verified or returned (the
case's status) is the lifecycle's business; this is the plan's own state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PlanState(StrEnum):
    SUBMITTED = "submitted"  # menunggu verifikasi: awaits the Bureau
    VERIFIED = "verified"  # disetujui: the work goes ahead on it
    RETURNED = "returned"  # dikembalikan: the agency is to change it


@dataclass
class FollowUpPlan:
    """Rencana tindak lanjut: what the agency will do, and by when if it proposes a date."""

    text: str
    agency_id: str
    submitted_at: datetime
    proposed_completion: datetime | None = None
    state: PlanState = PlanState.SUBMITTED
    review_comment: str | None = None
    reviewed_at: datetime | None = None

    def __post_init__(self) -> None:
        self.state = PlanState(self.state)  # ValueError for a state no plan has

    @property
    def verified(self) -> bool:
        return self.state is PlanState.VERIFIED

    def verify(self, now: datetime) -> None:
        self.state, self.reviewed_at = PlanState.VERIFIED, now

    def send_back(self, comment: str, now: datetime) -> None:
        self.state, self.review_comment, self.reviewed_at = PlanState.RETURNED, comment, now

    def agreed_completion(self, since: datetime | None = None) -> datetime | None:
        """The completion date the Bureau agreed to (a verified plan's proposal),
        if any; with ``since``, only if it was agreed then or later."""
        if not self.verified or self.proposed_completion is None:
            return None
        if since is not None and (self.reviewed_at is None or self.reviewed_at < since):
            return None
        return self.proposed_completion
