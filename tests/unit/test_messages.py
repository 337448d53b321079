import pytest

from chalicelib.domain import tracking
from chalicelib.domain.messages import describe, guess_category, guess_language, tracking_code_in, tracking_code_query

CODE = tracking.derive_code(b"k", "sms_1708", "SM1")


@pytest.mark.parametrize(
    "text, language",
    [
        ("Sampah menumpuk di depan pasar sejak kemarin", "id"),
        ("There is garbage piling up on the street near the market", "en"),
        ("Tolong pak, lampu jalan di depan rumah mati (street light)", "id"),
        ("", "id"),
    ],
)
def test_language_is_english_only_when_clearly_english(text, language):
    assert guess_language(text) == language


@pytest.mark.parametrize(
    "text, category",
    [
        ("Sampah menumpuk", "garbage"),
        ("Jalan berlubang besar", "damaged_road"),
        ("Parkir liar di trotoar", "illegal_parking"),
        ("Air PDAM tidak mengalir", "water"),
        ("Kabel menjuntai rendah", "low_cable"),
        ("Halo admin", "other"),
    ],
)
def test_category_guess(text, category):
    assert guess_category(text) == category


def test_a_message_that_is_only_a_code_is_a_status_question():
    assert tracking_code_query(CODE) == CODE
    assert tracking_code_query(f"  status {CODE.lower()} ") == CODE
    assert tracking_code_query(CODE.replace("-", "")) == CODE
    assert tracking_code_query(f"Sampah lagi di {CODE}") is None
    assert tracking_code_query("Sampah menumpuk di pasar") is None
    wrong = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")
    assert tracking_code_query(wrong) is None


def test_a_code_in_a_mail_subject_is_found():
    assert tracking_code_in(f"Re: [{CODE}] Laporan Anda") == CODE
    assert tracking_code_in("Re: Laporan Anda") is None


def test_placeholder_descriptions():
    assert describe("", photos=1, language="id") == "(foto tanpa keterangan)"
    assert describe(None, location=True, language="en") == "(location without a description)"
    assert describe("  Sampah ") == "Sampah"
