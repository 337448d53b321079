"""Replies driven by events (a text per event type) and linked-media fetching."""

import pytest

from chalicelib.adapters.http_client import ProviderRejected, ProviderUnavailable
from chalicelib.domain import events, tracking
from chalicelib.domain.case import Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.privacy import PrivacyLevel
from chalicelib.domain.report import build_report
from chalicelib.services import replies
from chalicelib.services.media import fetch_pending_media
from tests.support.event_messages import envelope, example
from tests.support.fakes import (
    FakeCaseRepository,
    FakePhotoStore,
    FakeReplyLedger,
    FakeReplySender,
    FixedClock,
)
from tests.support.images import jpeg_with_metadata, metadata_leaks

BASE = "https://crm.example"


def case(kind="whatsapp", language="id", media=()):
    report = build_report(
        channel=Channel.WHATSAPP,
        message_id="wamid.1",
        category="garbage",
        description="Sampah",
        language=language,
        media=list(media),
        reply_handle={"channel": Channel.WHATSAPP, "kind": kind, "address": "6281234567890", "via": "1065"},
    )
    return Case.open(report, "K7QM4-XPA9R-TD2W", FixedClock()())


def event(cls, **data):
    """A relayed ``cls`` event on the case above (other fields: plain examples)."""
    return envelope(example(cls, **data), "K7QM4-XPA9R-TD2W", id=f"K7QM4-XPA9R-TD2W:2:{cls.type}", status="assigned")


@pytest.mark.parametrize(
    "cls, data, expected",
    [
        (events.CaseReceived, {}, "Kode laporan: K7QM4-XPA9R-TD2W"),
        (
            events.CaseAssigned,
            {"agency_id": "dinas-lh", "agency_name": ""},
            "diteruskan ke instansi yang berwenang (dinas-lh)",
        ),
        (
            events.CaseTransferred,
            {"agency_id": "sudin-lh-jakpus", "agency_name": ""},
            "dialihkan ke instansi lain (sudin-lh-jakpus)",
        ),
        (events.ProgressPosted, {"percent": 50}, "sedang ditangani (50% selesai)"),
        (events.CaseResolved, {"photo_id": "c1"}, f"{BASE}/status/K7QM4-XPA9R-TD2W/photos/c1"),
        (events.CaseClosed, {}, "ditutup"),
        (
            events.PlanVerified,
            {"expected_completion": "2026-11-30T03:00:00.000000Z"},
            "perkiraan selesai 30-11-2026",
        ),
        (events.CaseDelegated, {"agency_name": "Suku Dinas LH Jakarta Pusat"}, "(Suku Dinas LH Jakarta Pusat)"),
        (events.ReporterAdded, {"added": ["photo", "location"]}, "foto dan lokasi"),
    ],
)
def test_event_texts_per_type(cls, data, expected):
    outgoing = replies.event_outgoing(event(cls, **data), case(), BASE)
    assert expected in outgoing.text and outgoing.reply_id == f"K7QM4-XPA9R-TD2W:2:{cls.type}"


def test_english_reporters_get_english():
    text = replies.event_outgoing(event(events.ProgressPosted, percent=80), case(language="en"), BASE).text
    assert text.startswith("Report K7QM4-XPA9R-TD2W is being worked on (80%)")


def test_internal_events_send_nothing():
    for cls in (events.PhotoPending, events.PhotoAdded, events.SlaReminder, events.PlanSubmitted):
        assert replies.event_outgoing(event(cls), case(), BASE) is None


def test_inline_channels_do_not_get_the_code_twice():
    assert replies.event_outgoing(event(events.CaseReceived), case(kind="twilio"), BASE) is None
    assert replies.event_outgoing(event(events.ReporterAdded), case(kind="partner"), BASE) is None
    assert replies.event_outgoing(event(events.CaseAssigned), case(kind="twilio"), BASE) is not None


def test_a_repeated_event_is_sent_once_and_a_refusal_is_not_retried():
    ledger, sender = FakeReplyLedger(), FakeReplySender()
    outgoing = replies.event_outgoing(event(events.CaseAssigned), case(), BASE)
    assert replies.deliver(outgoing, ledger=ledger, sender_for=sender) == replies.SENT
    assert replies.deliver(outgoing, ledger=ledger, sender_for=sender) == replies.DUPLICATE
    assert len(sender.sent) == 1
    refused = FakeReplySender(fail_with=ProviderRejected("meta", 400, "outside the window"))
    other = replies.event_outgoing(event(events.CaseClosed), case(), BASE)
    assert replies.deliver(other, ledger=ledger, sender_for=refused) == replies.REFUSED


def test_a_provider_outage_releases_the_claim_for_the_retry():
    ledger = FakeReplyLedger()
    outgoing = replies.event_outgoing(event(events.CaseAssigned), case(), BASE)
    with pytest.raises(ProviderUnavailable):
        down = FakeReplySender(fail_with=ProviderUnavailable("x", 503, ""))
        replies.deliver(outgoing, ledger=ledger, sender_for=down)
    assert replies.deliver(outgoing, ledger=ledger, sender_for=FakeReplySender()) == replies.SENT


def test_a_lifecycle_event_saved_on_a_case_reaches_the_reporter():
    repository = FakeCaseRepository()
    stored = case()
    repository.add(stored)
    stored.record(events.ProgressPosted(occurred_at=FixedClock()(), agency_id="dinas-lh", percent=30, text="Diangkut"))
    repository.save(stored)
    (record,) = repository.items[stored.tracking_code]["outbox"]
    message = events.Envelope.from_message({**record, "tracking_code": stored.tracking_code, "version": 2})
    read = repository.get(stored.tracking_code)  # the handle is sealed: the reply worker opens it
    opened = repository.open_sealed(read, "reply_handle")
    assert "(30% selesai)" in replies.event_outgoing(message, opened, BASE).text
    assert repository.sealer.opens == 1 and opened.reporter == read.reporter  # only the handle was opened


# --- media ---------------------------------------------------------------------------


def media_case(refs):
    repository = FakeCaseRepository()
    stored = case(media=[{"source": "whatsapp", "ref": ref} for ref in refs])
    repository.add(stored)
    return repository, stored.tracking_code


def test_fetched_photos_are_cleaned_and_attached():
    repository, code = media_case(["1", "2"])
    photos = FakePhotoStore()
    added = fetch_pending_media(
        code, cases=repository, photos=photos, clock=FixedClock(), fetch=lambda link, c: jpeg_with_metadata()
    )
    stored = repository.get(code)
    assert added == 2 and stored.pending_media == [] and [p.id for p in stored.photos] == ["p1", "p2"]
    assert metadata_leaks(photos.objects[stored.photos[0].public_key]) == []
    assert stored.timeline[-1].type == "case.photo_added"
    assert (
        fetch_pending_media(code, cases=repository, photos=photos, clock=FixedClock(), fetch=lambda link, c: 1 / 0) == 0
    )  # a repeated event: nothing pending


def test_an_outage_keeps_the_rest_pending_and_raises():
    repository, code = media_case(["1", "2"])

    def fetch(link, _case):
        if link.ref == "2":
            raise ProviderUnavailable("meta", 503, "down")
        return jpeg_with_metadata()

    with pytest.raises(ProviderUnavailable):
        fetch_pending_media(code, cases=repository, photos=FakePhotoStore(), clock=FixedClock(), fetch=fetch)
    stored = repository.get(code)
    assert [p.id for p in stored.photos] == ["p1"] and [m.ref for m in stored.pending_media] == ["2"]


def test_refused_or_unreadable_media_are_dropped():
    repository, code = media_case(["1", "2"])

    def fetch(link, _case):
        if link.ref == "1":
            raise ProviderRejected("meta", 404, "expired")
        return b"not an image"

    assert fetch_pending_media(code, cases=repository, photos=FakePhotoStore(), clock=FixedClock(), fetch=fetch) == 0
    assert repository.get(code).pending_media == []


KEY = b"unit-test-key"
DUPLICATE = tracking.derive_code(KEY, "whatsapp", "wamid.2")


def follower(language="id", kind="whatsapp", merged_into="K7QM4-XPA9R-TD2W"):
    report = build_report(
        channel=Channel.WHATSAPP,
        message_id="wamid.2",
        category="garbage",
        description="Sampah juga",
        language=language,
        reply_handle={"channel": Channel.WHATSAPP, "kind": kind, "address": "6281299990000", "via": "1065"},
    )
    duplicate = Case.open(report, DUPLICATE, FixedClock()())
    duplicate.merged_into = merged_into
    return duplicate


def test_a_merged_duplicate_s_reporter_hears_of_the_primary_by_their_own_code():
    from chalicelib.domain import request_ids

    message = event(events.CaseResolved, photo_id="c1")
    outgoing = replies.follower_outgoing(message, case(), follower(), BASE, KEY)
    assert outgoing.text.startswith(f"Laporan {DUPLICATE} selesai ditangani")
    assert "K7QM4-XPA9R-TD2W" not in outgoing.text and outgoing.event.tracking_code == DUPLICATE
    assert outgoing.event.id == outgoing.reply_id  # the event reaching a sender names no other case
    public_id = request_ids.public_id("K7QM4-XPA9R-TD2W", KEY)
    assert f"{BASE}/status/{public_id}/photos/c1" in outgoing.text
    own = replies.event_outgoing(message, case(), BASE)
    assert outgoing.reply_id == f"{message.id}>{DUPLICATE}" != own.reply_id
    assert outgoing.handle.address == "6281299990000" and outgoing.code == DUPLICATE
    english = replies.follower_outgoing(event(events.ProgressPosted, percent=80), case(), follower("en"), BASE, KEY)
    assert english.text.startswith(f"Report {DUPLICATE} is being worked on (80%)")


def test_followers_hear_only_status_changes_and_only_from_their_primary():
    for cls in (events.CaseReceived, events.ReporterAdded, events.CaseMerged, events.PhotoAdded, events.SlaReminder):
        assert not replies.tells_followers(example(cls))
        assert replies.follower_outgoing(event(cls), case(), follower(), BASE, KEY) is None
    closed = event(events.CaseClosed)
    assert replies.follower_outgoing(closed, case(), follower(merged_into="OTHER"), BASE, KEY) is None
    assert replies.follower_outgoing(closed, case(), None, BASE, KEY) is None


def test_a_confidential_primary_s_photos_are_not_linked_at_all():
    primary = case()
    primary.privacy = PrivacyLevel.CONFIDENTIAL
    text = replies.follower_outgoing(event(events.CaseResolved, photo_id="c1"), primary, follower(), BASE, KEY).text
    assert "/photos/" not in text and f"{BASE}/status/{DUPLICATE}" in text and "K7QM4" not in text


def test_a_follower_on_a_public_comment_thread_gets_no_code_in_public():
    outgoing = replies.follower_outgoing(event(events.CaseClosed), case(), follower(kind="meta_comment"), BASE, KEY)
    assert DUPLICATE in outgoing.text
    assert DUPLICATE[:5] not in outgoing.public_text and "K7QM4" not in outgoing.public_text


class Phones:
    """A reply sender per phone number; ``down`` numbers' provider is unavailable."""

    def __init__(self, down=()):
        self.down, self.sent = set(down), []

    def __call__(self, handle):
        return self

    def send(self, handle, text, *, code, event, language="id", public_text=None):
        if handle.address in self.down:
            raise ProviderUnavailable("meta", 503, "down")
        self.sent.append((handle.address, text))


def merged_world():
    """P <- D1 <- D2: D2 was merged into D1, then D1 into P. Every reporter on WhatsApp."""
    repository = FakeCaseRepository()
    codes = {name: tracking.derive_code(KEY, "whatsapp", name) for name in ("P", "D1", "D2")}
    for number, (name, code) in enumerate(codes.items()):
        report = build_report(
            channel=Channel.WHATSAPP,
            message_id=name,
            category="garbage",
            description="Sampah",
            reply_handle={
                "channel": Channel.WHATSAPP,
                "kind": "whatsapp",
                "address": f"62812000{number}",
                "via": "1065",
            },
        )
        stored = Case.open(report, code, FixedClock()())
        stored.merged_into = {"D1": codes["P"], "D2": codes["D1"]}.get(name)
        stored.merged_cases = {"P": [codes["D1"]], "D1": [codes["D2"]]}.get(name, [])
        repository.add(stored)
    message = envelope(example(events.CaseResolved, photo_id=""), codes["P"], id=f"{codes['P']}:5:0")
    return repository, codes, message


def test_every_reporter_down_a_merge_chain_hears_and_one_outage_delays_only_its_own():
    repository, codes, message = merged_world()
    ledger, phones = FakeReplyLedger(), Phones(down={"628120000"})  # the primary's reporter's provider

    def deliver_event():
        return replies.reply_to_event(
            message, cases=repository, ledger=ledger, sender_for=phones, base_url=BASE, code_key=KEY
        )

    with pytest.raises(ProviderUnavailable):  # the record is retried ...
        deliver_event()
    told = dict(phones.sent)  # ... but the duplicates' reporters were told already
    assert set(told) == {"628120001", "628120002"}
    assert told["628120001"].startswith(f"Laporan {codes['D1']} selesai")
    assert told["628120002"].startswith(f"Laporan {codes['D2']} selesai") and codes["P"] not in told["628120002"]
    phones.down.clear()
    assert deliver_event().count(replies.SENT) == 1  # the retry: only the primary
    assert [address for address, _ in phones.sent].count("628120002") == 1
