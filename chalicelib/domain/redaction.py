"""Masking contact details in free text that the public may read.

Reporters write their phone number and e-mail address into the message itself
("hubungi saya di 0812-3456-7890"). Officers need the whole text; public views
(/status, Open311, anything else anyone can read) show it through
``mask_contacts``:

* e-mail addresses -> "[email disembunyikan]";
* phone numbers -> "[nomor disembunyikan]": what ``phonenumbers``'
  ``PhoneNumberMatcher`` finds as a valid number for region ID (+62 / 62 / 0...,
  grouped with spaces, dots, dashes, brackets), plus anything shaped like an
  Indonesian mobile number (08.., 628.., +628.. with 9 to 12 more digits) even
  when its range is not in the metadata yet.

* e-mail addresses written to dodge filters -> the e-mail marker:
  ``name [at] example.org``, ``name(at)example(dot)org``, ``name {at} example
  [dot] co [dot] id``, ``name@example[dot]org``, ``name at example dot org``
  (a bare `` at `` only together with a spelled-out dot, so "ketemu at pasar.baru"
  stays; ``titik`` counts as dot);
* NIK (Nomor Induk Kependudukan, the 16-digit national id) -> "[NIK disembunyikan]":
  16 digits, plain or grouped 6-6-4 or 4-4-4-4 by spaces, dots or dashes, whose
  first two digits are a province code (11-94) and whose digits 7-12 are a birth
  date (DDMMYY, women's day + 40). An ordinary 16-digit number that is not shaped
  like that (a card number, an order id) is left to the phone rules, and a number
  inside a URL or a longer token (``/orders/3171...``, ``id=3171...``) is kept:
  it names a page, not a person.

Not phone numbers, and kept: dates, times, RT/RW, house numbers, plate numbers,
kilometre marks, and amounts ("Rp 1.500.000": dot-grouped thousands that do
not start with 0 or +, or that follow "Rp"/"IDR").

``phonenumbers`` costs ~75 ms to import: it is imported on first use, and only
for a text with a run of at least six digits.
"""

from __future__ import annotations

import re
from typing import overload

PHONE_MASK = {"id": "[nomor disembunyikan]", "en": "[number hidden]"}
EMAIL_MASK = {"id": "[email disembunyikan]", "en": "[e-mail hidden]"}
NIK_MASK = {"id": "[NIK disembunyikan]", "en": "[ID number hidden]"}

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# A run of six or more digits, possibly grouped: the only texts worth a phonenumbers import.
_DIGIT_RUN = re.compile(r"\d(?:[\s.\-()/]{0,3}\d){5,}")
# Indonesian mobile numbers: 08xx / 628xx / +62 8xx, then 7-10 more digits in any grouping.
_MOBILE = re.compile(r"(?<![\w+])(?:\+\s?62|62|0)[\s.\-]?\(?8\)?\d(?:[\s.\-]?\d){7,10}(?!\w)")
# Obfuscated e-mail: "at" and "dot" in brackets or spelled out (case-insensitive).
_OPEN, _CLOSE = r"[\[\(\{<]", r"[\]\)\}>]"
_AT_WORD = rf"(?:\s*{_OPEN}\s*(?:at|@)\s*{_CLOSE}\s*|\s+at\s+|@)"
_DOT_WORD = rf"(?:\s*{_OPEN}\s*(?:dot|titik|\.)\s*{_CLOSE}\s*|\s+(?:dot|titik)\s+|\.)"
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.%+\-])[A-Za-z0-9._%+\-]+(?P<at>{_AT_WORD})[A-Za-z0-9\-]+(?:{_DOT_WORD}[A-Za-z0-9\-]+)*"
    rf"(?P<dot>{_DOT_WORD})[A-Za-z]{{2,}}(?![\w])",
    re.IGNORECASE,
)
_PLAIN_DOT = re.compile(r"\.")
# NIK: 16 digits, plain or grouped 6-6-4 / 4-4-4-4, not part of a longer token or a URL.
_NIK = re.compile(
    r"(?<![\w/=?&#.\-])(?:\d{16}|\d{6}[\s.\-]\d{6}[\s.\-]\d{4}|\d{4}[\s.\-]\d{4}[\s.\-]\d{4}[\s.\-]\d{4})(?![\w/]|[.\-]\d)"
)
_AMOUNT = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_CURRENCY_BEFORE = re.compile(r"(?:Rp\.?|IDR)\s*$", re.IGNORECASE)


@overload
def mask_contacts(text: str, language: str = "id") -> str: ...
@overload
def mask_contacts(text: None, language: str = "id") -> None: ...
def mask_contacts(text: str | None, language: str = "id") -> str | None:
    """``text`` with phone numbers and e-mail addresses replaced by a marker."""
    if not text:
        return text
    language = language if language in PHONE_MASK else "id"
    masked = _EMAIL.sub(EMAIL_MASK[language], text)
    masked = _OBFUSCATED_EMAIL.sub(lambda match: _email_or_not(match, EMAIL_MASK[language]), masked)
    masked = _NIK.sub(lambda match: NIK_MASK[language] if is_nik(match.group(0)) else match.group(0), masked)
    if not _DIGIT_RUN.search(masked):
        return masked
    masked = _mask_matched_numbers(masked, PHONE_MASK[language])
    return _MOBILE.sub(PHONE_MASK[language], masked)


def _email_or_not(match: re.Match, marker: str) -> str:
    """A bare " at " is an e-mail only with a spelled-out or bracketed dot somewhere."""
    if match.group("at").strip().lower() == "at":
        dots = re.findall(_DOT_WORD, match.group(0)[match.end("at") - match.start() :], re.IGNORECASE)
        if all(_PLAIN_DOT.fullmatch(dot) for dot in dots):
            return match.group(0)
    return marker


def is_nik(text: str) -> bool:
    """16 digits shaped like a NIK: a province code (11-94), then a kabupaten/kecamatan
    code, then a birth date DDMMYY (women: day + 40), then a serial that is not 0000."""
    digits = re.sub(r"\D", "", text)
    if len(digits) != 16:
        return False
    province, day, month = int(digits[:2]), int(digits[6:8]), int(digits[8:10])
    day = day - 40 if day > 40 else day
    return 11 <= province <= 94 and 1 <= day <= 31 and 1 <= month <= 12 and digits[12:] != "0000"


def _mask_matched_numbers(text: str, marker: str) -> str:
    import phonenumbers  # lazy: ~75 ms, and most texts have no number at all

    pieces, last = [], 0
    for match in phonenumbers.PhoneNumberMatcher(text, "ID"):
        if _is_amount(text, match.start, match.raw_string):
            continue
        pieces.append(text[last : match.start])
        pieces.append(marker)
        last = match.end
    pieces.append(text[last:])
    return "".join(pieces)


def _is_amount(text: str, start: int, raw: str) -> bool:
    if _CURRENCY_BEFORE.search(text[max(0, start - 5) : start]):
        return True
    return not raw.startswith(("0", "+", "(")) and _AMOUNT.fullmatch(raw) is not None
