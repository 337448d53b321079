"""Four weeks of case history for `make run`, so the performance pages have
something to show: reports routed, planned, verified, worked on, resolved with
a photo and rated, at realistic times in the past (some late).

The history is written through the real services (intake, routing, lifecycle,
feedback), in this process, each with a clock set to the moment it happened;
the events they raise reach the metrics through the stream like any others.
Only the times are made up. `make run` writes it before the event runner
starts, so nothing else acts on these cases meanwhile.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from infra.local import demo

if TYPE_CHECKING:  # chalicelib is imported where the history is written
    from chalicelib.adapters.case_queries import CaseCard
    from chalicelib.adapters.duplicate_index import DuplicateSearch, TextCandidate


@dataclass(frozen=True)
class Story:
    days_ago: float
    category: str
    description: str
    where: tuple[float, float, str]
    plan_after_hours: float | None  # None: no plan yet
    resolve_after_days: float | None  # None: still being worked on
    rating: int | None = None
    progress: int | None = None
    verified: bool = True  # False: the plan waits for the Bureau


STORIES = (
    Story(
        26,
        "garbage",
        "Sampah berserakan di sekitar Stasiun Gambir setelah acara malam minggu.",
        (-6.1767, 106.8306, "Jl. Medan Merdeka Timur"),
        2,
        1.2,
        5,
    ),
    Story(
        23,
        "damaged_road",
        "Aspal amblas di jalur lambat, sudah ada motor jatuh.",
        (-6.2297, 106.8272, "Jl. Jend. Gatot Subroto"),
        9,
        10,
        3,
        60,
    ),
    Story(
        21, "water", "Air PAM keruh dan berbau sejak dua hari.", (-6.1530, 106.8990, "Kelapa Gading Barat"), 3, 2.5, 4
    ),
    Story(19, "garbage", "Tempat sampah liar di bantaran kali.", (-6.1980, 106.8165, "Kebon Melati"), 4, 3, 4, 50),
    Story(
        16,
        "fallen_tree",
        "Pohon tumbang menutup separuh jalan.",
        (-6.1950, 106.8300, "Jl. Teuku Umar, Menteng"),
        1.5,
        0.6,
        5,
    ),
    Story(
        14,
        "illegal_parking",
        "Parkir liar di trotoar depan pusat belanja.",
        (-6.1870, 106.8200, "Tanah Abang"),
        5,
        1.5,
        4,
    ),
    Story(
        12,
        "flooding",
        "Genangan setinggi 30 cm tidak surut sejak pagi.",
        (-6.1550, 106.9040, "Kelapa Gading"),
        1,
        1.8,
        4,
    ),
    Story(
        10,
        "damaged_road",
        "Lubang besar di persimpangan, berbahaya malam hari.",
        (-6.2250, 106.8300, "Setiabudi"),
        7,
        4,
        4,
    ),
    Story(8, "garbage", "Sampah menumpuk di depan sekolah.", (-6.1750, 106.8250, "Gambir"), 1, 0.8, 5),
    Story(
        6,
        "water",
        "Pipa bocor di depan rumah warga, air terbuang.",
        (-6.1540, 106.8980, "Kelapa Gading Barat"),
        2,
        None,
        None,
        30,
    ),
    Story(3, "garbage", "Tumpukan sampah di pasar belum diangkut.", (-6.1860, 106.8140, "Pasar Tanah Abang"), 8, None),
    Story(2, "damaged_road", "Trotoar rusak di depan halte.", (-6.2180, 106.8260, "Karet Kuningan"), None, None),
    Story(
        1,
        "drainage",
        "Saluran air tersumbat lumpur, air meluap ke jalan saat hujan.",
        (-6.1968, 106.8152, "Kebon Melati"),
        3,
        None,
        verified=False,
    ),
)


class _NoDuplicates:
    """The stories are distinct: routing skips its duplicate-search queries per case,
    but still files each story's text signature, so a report typed in the demo that
    repeats a recent story is offered it as a duplicate."""

    def __init__(self, index: DuplicateSearch):
        self.index = index

    def nearby_open(self, category: str, lat: float, lng: float, per_cell: int) -> list[CaseCard]:
        return []

    def similar_recent(
        self, category: str, bands: tuple[str, ...], since: datetime, per_band: int
    ) -> list[TextCandidate]:
        return []

    def still_open(self, codes: list[str]) -> set[str]:
        return set()

    def record_signature(
        self, code: str, category: str, bands: tuple[str, ...], summary: str, created_at: datetime
    ) -> None:
        self.index.record_signature(code, category, bands, summary, created_at)


class _Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def write(now: datetime | None = None) -> list[dict[str, Any]]:
    """Write the stories through the services configured in this process's environment."""
    from chalicelib.bootstrap import services
    from chalicelib.domain.channels import Channel
    from chalicelib.domain.permissions import Principal, Role
    from chalicelib.domain.report import build_report
    from chalicelib.services import lifecycle
    from chalicelib.services.intake import submit_report
    from chalicelib.services.routing import route_case

    app = services()
    now = now or datetime.now(UTC)
    photo = base64.b64encode(demo.demo_photo()).decode()
    bureau = Principal("demo-history-bureau", frozenset({Role.BUREAU_VERIFIER}), "biro-pemerintahan")
    written = []
    for index, story in enumerate(STORIES):
        clock = _Clock(now - timedelta(days=story.days_ago))
        lat, lng, address = story.where
        report = build_report(
            channel=Channel.JAKI if index % 2 else Channel.QLUE,
            message_id=f"DEMO-HISTORY-{index}-{secrets.token_hex(4)}",
            category=story.category,
            description=story.description,
            location={"lat": lat, "lng": lng, "address": address},
            reporter={"anonymous": True},
            anonymous=True,
        )
        code = submit_report(
            report, cases=app.cases, photos=app.photos, clock=clock, code_key=app.settings.tracking_code_key
        ).tracking_code
        if code is None:
            raise RuntimeError(f"demo story {index} opened no case (is its place inside the service area?)")
        case = route_case(
            code, cases=app.cases, duplicate_index=_NoDuplicates(app.duplicate_index), rules=app.routing, clock=clock
        )
        if case is None:
            raise RuntimeError(f"demo story {index} could not be routed")
        holder = Principal("demo-history-officer", frozenset({Role.AGENCY_OFFICER}), case.agency_id)

        def act(
            operation: str, body: dict[str, Any], who: Principal = holder, clock: _Clock = clock, code: str = code
        ) -> None:
            deps = lifecycle.Deps(cases=app.cases, photos=app.photos, clock=clock)
            lifecycle.perform(code, operation, body, who, deps)

        if story.plan_after_hours is not None:
            clock.now += timedelta(hours=story.plan_after_hours)
            act("submit_plan", {"text": "Tim lapangan dijadwalkan menangani dalam 1x24 jam."})
            if not story.verified:
                written.append({"tracking_code": code, "agency_id": case.agency_id, "category": story.category})
                continue
            clock.now += timedelta(minutes=40)
            act("verify_plan", {}, bureau)
            if story.progress:
                clock.now += timedelta(hours=6)
                act("post_progress", {"percent": story.progress, "text": "Pekerjaan sedang berjalan."})
        if story.plan_after_hours is not None and story.resolve_after_days is not None:
            clock.now = now - timedelta(days=story.days_ago - story.resolve_after_days)
            act("resolve", {"note": "Sudah ditangani, lihat foto.", "photo_base64": photo})
            if story.rating:
                clock.now += timedelta(hours=5)
                lifecycle.give_feedback(code, {"rating": story.rating}, app.cases, clock)
        written.append({"tracking_code": code, "agency_id": case.agency_id, "category": story.category})
    return written
