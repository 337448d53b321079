"""What a lifecycle action writes on a long case, against a short one.

A case's history is a bounded window on the case item plus history items
(chalicelib/adapters/case_history.py), so an officer's action should cost the
same write units whether the case has 5 history entries or 1,000. Measured on
the real repository against the moto server: every PutItem the app sends is
caught with a botocore hook (before it is sent) and priced the way DynamoDB bills it -- 1 write
unit per started KB of the larger of the old and the new item
(adapters/item_size.py). moto answers ReturnConsumedCapacity with a constant,
so the units are computed from the item sizes, not read back. Index writes are
left out: they project the queue card, which holds no history, so they are the
same at any length.

The action is an officer's comment of 200 characters (a progress post costs
the same: both are one history entry of that size), by an officer whose id is
a Cognito UUID. Floor: the mean over CASES cases that have 5 entries
(received, assigned, delegated, plan submitted, plan verified). Measured: the
mean over ACTIONS consecutive actions on one case that has LONG entries (so
the evictions to history items, every few actions, are in the mean).
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

from bench.common import Row

CASES = 20
LONG = 1_000
ACTIONS = 100
TEXT = ("Koordinasi dengan lurah dan petugas kebersihan; truk dijadwalkan pukul 07.00 besok, " * 3)[:200]
TARGET = 1.5


class Writes:
    """Prices every PutItem the app's client sends (and remembers item sizes)."""

    def __init__(self):
        self.sizes: dict[tuple[str, str], int] = {}
        self.units = 0
        self.largest_case = 0

    def __call__(self, params, **_):
        from chalicelib.adapters.case_repository import deserialize
        from chalicelib.adapters.item_size import item_bytes, write_units
        from chalicelib.adapters.table import item_key

        item = deserialize(params["Item"])
        key = item_key(item)
        size = item_bytes(item)
        self.units += write_units(size, self.sizes.get(key, 0))
        self.sizes[key] = size
        if item.get("type") == "case":
            self.largest_case = max(self.largest_case, size)

    def take(self) -> int:
        units, self.units = self.units, 0
        return units


def _five_entry_case(cases, code: str, now: datetime):
    from chalicelib.adapters import reference_data
    from chalicelib.domain.case import SYSTEM, Actor, Case, PhotoRef
    from chalicelib.domain.channels import Channel
    from chalicelib.domain.report import build_report
    from chalicelib.domain.sla import SlaPolicy

    officer = Actor("officer", "6f1c2a9e-0d4b-4c47-9a51-3f0e8e7d2b10", "agency_officer", "sudin-lh-jakpus")
    bureau = Actor("officer", "0b7e4c1d-5a2f-4e8b-9c3d-7f6a1b2c3d4e", "bureau_verifier", "biro-pemerintahan")
    report = build_report(
        channel=Channel.JAKI,
        message_id=f"bench-history-{code}",
        category="garbage",
        description="Sampah menumpuk di trotoar depan pasar, sudah tiga hari tidak diangkut",
        location={"lat": -6.1754, "lng": 106.8272, "address": "Jl. Medan Merdeka Barat"},
    )
    photo = PhotoRef(
        "p1", "report", f"originals/{code}/p1.jpg", f"public/{code}/p1-1a2b3c.jpg", "image/jpeg", 1024, 768
    )
    case = Case.open(report, code, now, photos=[photo])
    cases.add(case)
    directory = reference_data.agencies()
    for step in (
        lambda c: c.assign(directory.require("dinas-lh"), now, SYSTEM),
        lambda c: c.delegate(directory.require("sudin-lh-jakpus"), directory, now, officer),
        lambda c: c.submit_plan("Angkut sampah besok pagi dengan truk", None, SlaPolicy(), now, officer),
        lambda c: c.verify_plan(now, bureau),
    ):
        case = cases.get(code)
        step(case)
        cases.save(case)
    assert cases.get(code).history_total == 5
    return officer


def _comment(cases, code: str, officer, now: datetime) -> None:
    case = cases.get(code)
    case.comment(TEXT, now, officer)
    cases.save(case)


def run(stand_in) -> list[Row]:
    from chalicelib.adapters import aws
    from chalicelib.bootstrap import services

    cases = services().cases
    writes = Writes()
    client = aws.client("dynamodb")
    client.meta.events.register("provide-client-params.dynamodb.PutItem", writes)
    now = datetime.now(UTC)
    stamp = now.strftime("%H%M%S%f")
    try:
        short = []
        for n in range(CASES):
            code = f"BHS{stamp}{n:03d}"
            officer = _five_entry_case(cases, code, now)
            writes.take()
            _comment(cases, code, officer, now + timedelta(minutes=1))
            short.append(writes.take())
        code = f"BHL{stamp}"
        officer = _five_entry_case(cases, code, now)
        for n in range(LONG - 5):
            _comment(cases, code, officer, now + timedelta(seconds=n))
        assert cases.get(code).history_total == LONG
        writes.take()
        writes.largest_case = 0
        for n in range(ACTIONS):
            _comment(cases, code, officer, now + timedelta(hours=1, seconds=n))
        long_units = writes.take() / ACTIONS
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.PutItem", writes)
    floor = statistics.mean(short)
    ratio = long_units / floor
    return [
        Row(
            f"write units per lifecycle action at {LONG:,} history entries ÷ at 5 entries",
            f"{long_units:.2f} WCU (case item at most {writes.largest_case:,} B)",
            f"{floor:.2f} WCU",
            ratio,
            f"<= {TARGET}",
            ratio <= TARGET,
            f"mean of {ACTIONS} comments of {len(TEXT)} characters vs one on each of {CASES} short cases; "
            "WCU computed from item sizes as DynamoDB bills (moto reports no real consumed capacity), "
            "history-item writes included, index writes (no history in them) not",
        )
    ]
