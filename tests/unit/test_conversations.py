"""Messages from one sender: conversation assembly, status questions, the
hourly limit -- the intake service against in-memory fakes."""

import pytest

from chalicelib.domain import receipts, texts, tracking
from chalicelib.domain.channels import Channel
from chalicelib.domain.messages import MAX_REPORTS_PER_HOUR
from chalicelib.domain.receipts import receipt_text
from chalicelib.domain.report import build_report
from chalicelib.services.intake import submit_report
from tests.support.fakes import FakeCaseRepository, FakePhotoStore, FakeSenderRepository, FixedClock

KEY = b"unit-test-key"
counter = iter(range(10**6))


def message(text="Sampah menumpuk di depan pasar", sender="+6281234567890", channel=Channel.WHATSAPP, **extra):
    values = {
        "channel": channel,
        "message_id": f"wamid.{next(counter)}",
        "category": "garbage",
        "description": text or "(foto tanpa keterangan)",
        "has_text": bool(text),
        "reply_handle": {"channel": channel, "kind": "whatsapp", "address": sender, "via": "1065"},
        "conversational": True,
    }
    values.update(extra)
    return build_report(**values)


@pytest.fixture
def deps():
    return {
        "cases": FakeCaseRepository(),
        "photos": FakePhotoStore(),
        "clock": FixedClock(),
        "code_key": KEY,
        "senders": FakeSenderRepository(),
    }


def test_text_then_photo_then_location_make_one_case(deps):
    first = submit_report(message(), **deps)
    assert first.outcome == receipts.CREATED
    deps["clock"].advance(minutes=2)
    photo = submit_report(message(None, media=[{"source": "whatsapp", "ref": "1048"}]), **deps)
    deps["clock"].advance(minutes=5)
    place = submit_report(message(None, location={"lat": -6.2, "lng": 106.8}), **deps)
    assert photo.outcome == place.outcome == receipts.ADDED
    assert photo.tracking_code == place.tracking_code == first.tracking_code
    assert len(deps["cases"].items) == 1
    case = deps["cases"].get(first.tracking_code)
    assert case.location.lat == -6.2 and [m.ref for m in case.pending_media] == ["1048"]
    assert [e.type for e in case.timeline] == [
        "case.received",
        "case.reporter_added",
        "case.photo_pending",
        "case.reporter_added",
    ]
    assert case.version == 3
    assert "Tambahan Anda (foto)" in receipt_text(photo, "https://crm")


def test_after_thirty_minutes_a_new_case_opens(deps):
    first = submit_report(message(), **deps)
    deps["clock"].advance(minutes=31)
    later = submit_report(message("Jalan berlubang"), **deps)
    assert later.outcome == receipts.CREATED and later.tracking_code != first.tracking_code


def test_other_senders_do_not_join(deps):
    first = submit_report(message(), **deps)
    other = submit_report(message(sender="+6281299990000"), **deps)
    assert other.outcome == receipts.CREATED and other.tracking_code != first.tracking_code


def test_a_repeated_addition_adds_nothing(deps):
    submit_report(message(), **deps)
    photo = message("lagi", message_id="wamid.repeat")
    once = submit_report(photo, **deps)
    again = submit_report(photo, **deps)
    assert again.tracking_code == once.tracking_code and not again.notify
    assert deps["cases"].get(once.tracking_code).description.count("lagi") == 1


def test_an_addition_retried_after_the_window_closed_is_still_in_its_case(deps):
    first = submit_report(message(), **deps)
    addition = message("lagi", message_id="wamid.late")
    submit_report(addition, **deps)
    deps["clock"].advance(hours=6)  # the provider's answer was lost; Meta retries for days
    again = submit_report(addition, **deps)
    assert again.tracking_code == first.tracking_code and not again.notify
    assert list(deps["cases"].items) == [first.tracking_code]
    assert deps["cases"].get(first.tracking_code).description.count("lagi") == 1


def test_a_late_retry_whose_case_is_gone_opens_one_case_and_keeps_it(deps):
    first = submit_report(message(), **deps)
    addition = message("lagi", message_id="wamid.orphan")
    submit_report(addition, **deps)
    del deps["cases"].items[first.tracking_code]  # as if that case had been removed
    deps["clock"].advance(hours=1)
    opened = submit_report(addition, **deps)
    again = submit_report(addition, **deps)
    assert opened.outcome == receipts.CREATED and again.outcome == receipts.REPEATED
    assert again.tracking_code == opened.tracking_code and list(deps["cases"].items) == [opened.tracking_code]


def test_a_late_retry_that_never_got_into_its_now_closed_case_opens_one_case(deps):
    from chalicelib.domain import tracking as codes
    from chalicelib.domain.case import SYSTEM, source_key

    first = submit_report(message(), **deps)
    addition = message("lagi", message_id="wamid.crashed")
    # The first delivery marked its code for the open case, then crashed before the save.
    own_code = codes.derive_code(KEY, "whatsapp", "wamid.crashed")
    deps["cases"].mark_message(
        own_code, source_key(Channel.WHATSAPP, "wamid.crashed"), first.tracking_code, deps["clock"]()
    )
    case = deps["cases"].get(first.tracking_code)
    case.reject("out_of_scope", None, deps["clock"](), SYSTEM)  # closed meanwhile
    deps["cases"].save(case)
    deps["clock"].advance(hours=2)
    opened = submit_report(addition, **deps)
    again = submit_report(addition, **deps)
    assert opened.outcome == receipts.CREATED and again.outcome == receipts.REPEATED
    assert again.tracking_code == opened.tracking_code != first.tracking_code
    assert len(deps["cases"].items) == 2


def test_a_late_retry_does_not_join_the_sender_s_newer_conversation(deps):
    first = submit_report(message(), **deps)
    addition = message("lagi", message_id="wamid.late")
    submit_report(addition, **deps)
    deps["clock"].advance(minutes=45)
    newer = submit_report(message("Jalan berlubang"), **deps)
    assert newer.outcome == receipts.CREATED
    late_addition = submit_report(addition, **deps)
    assert late_addition.tracking_code == first.tracking_code and not late_addition.notify
    assert "lagi" not in deps["cases"].get(newer.tracking_code).description
    assert len(deps["cases"].items) == 2


def test_a_late_retry_of_an_opener_does_not_join_the_newer_conversation(deps):
    opener = message(message_id="wamid.opener")
    opened = submit_report(opener, **deps)
    deps["clock"].advance(minutes=45)
    newest = submit_report(message("Lampu jalan mati"), **deps)
    again = submit_report(opener, **deps)
    assert again.tracking_code == opened.tracking_code != newest.tracking_code and not again.notify
    assert "Sampah" not in deps["cases"].get(newest.tracking_code).description


def test_a_repeated_opener_is_the_same_case(deps):
    opener = message()
    first = submit_report(opener, **deps)
    again = submit_report(opener, **deps)
    assert again.outcome == receipts.REPEATED and again.tracking_code == first.tracking_code


def test_a_message_that_is_only_a_code_gets_the_status(deps):
    first = submit_report(message(channel=Channel.SMS_1708), **deps)
    deps["clock"].advance(minutes=45)
    asked = submit_report(message(first.tracking_code.lower(), sender="+6281200000000"), **deps)
    assert asked.outcome == receipts.STATUS and asked.needs_notice and asked.case.tracking_code == first.tracking_code
    assert len(deps["cases"].items) == 1
    text = receipt_text(asked, "https://crm")
    assert first.tracking_code in text and texts.status_label(asked.case.status, "id") in text
    unknown = submit_report(message(tracking.derive_code(b"elsewhere", "x", "1")), **deps)
    assert unknown.outcome == receipts.UNKNOWN_CODE and "tidak kami temukan" in receipt_text(unknown, "https://crm")


def test_more_than_twenty_reports_an_hour_are_refused_politely(deps):
    answers = []
    for n in range(MAX_REPORTS_PER_HOUR + 3):
        answers.append(submit_report(message(f"Sampah nomor {n}", conversational=False), **deps))
    created = [r for r in answers if r.outcome == receipts.CREATED]
    limited = [r for r in answers if r.outcome == receipts.RATE_LIMITED]
    assert len(created) == MAX_REPORTS_PER_HOUR and len(limited) == 3
    assert [r.needs_notice for r in limited] == [True, False, False]  # told once, not spammed back
    assert len(deps["cases"].items) == MAX_REPORTS_PER_HOUR
    assert "20" in receipt_text(limited[0], "https://crm")
    deps["clock"].advance(hours=1)
    assert submit_report(message("Sampah baru", conversational=False), **deps).outcome == receipts.CREATED


def test_a_full_case_takes_no_more(deps, monkeypatch):
    from chalicelib.domain import case as case_module

    monkeypatch.setattr(case_module, "MAX_ADDITIONS", 2)
    submit_report(message(), **deps)
    outcomes = [submit_report(message(f"tambahan {n}"), **deps).outcome for n in range(3)]
    assert outcomes == [receipts.ADDED, receipts.ADDED, receipts.FULL]


def test_a_conversation_pointing_at_a_lost_case_is_taken_over(deps):
    from chalicelib.adapters.sender_state import sender_key

    first = submit_report(message(), **deps)
    deps["cases"].items.clear()  # as if the opener's write had failed after the claim
    key = sender_key(KEY, message().reply_handle)
    assert deps["senders"].items[key]["open_case"] == first.tracking_code
    next_one = submit_report(message("Sampah lagi"), **deps)
    assert next_one.outcome == receipts.CREATED and deps["senders"].items[key]["open_case"] == next_one.tracking_code


def test_sender_items_are_keyed_by_a_keyed_hash_not_the_number(deps):
    submit_report(message(), **deps)
    (key,) = deps["senders"].items
    assert "6281234567890" not in key and len(key) == 40


def test_partners_and_the_website_skip_sender_state(deps):
    partner = build_report(
        channel=Channel.JAKI,
        message_id="J-1",
        category="garbage",
        description="x",
        reply_handle={"channel": Channel.JAKI, "kind": "partner", "address": "J-1"},
    )
    submit_report(partner, **deps)
    assert deps["senders"].requests == 0
