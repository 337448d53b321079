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

Not phone numbers, and kept: dates, times, RT/RW, house numbers, plate numbers,
kilometre marks, and amounts ("Rp 1.500.000": dot-grouped thousands that do
not start with 0 or +, or that follow "Rp"/"IDR").

``phonenumbers`` costs ~75 ms to import: it is imported on first use, and only
for a text with a run of at least six digits.
"""

from __future__ import annotations

import re

PHONE_MASK = {"id": "[nomor disembunyikan]", "en": "[number hidden]"}
EMAIL_MASK = {"id": "[email disembunyikan]", "en": "[e-mail hidden]"}

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# A run of six or more digits, possibly grouped: the only texts worth a phonenumbers import.
_DIGIT_RUN = re.compile(r"\d(?:[\s.\-()/]{0,3}\d){5,}")
# Indonesian mobile numbers: 08xx / 628xx / +62 8xx, then 7-10 more digits in any grouping.
_MOBILE = re.compile(r"(?<![\w+])(?:\+\s?62|62|0)[\s.\-]?\(?8\)?\d(?:[\s.\-]?\d){7,10}(?!\w)")
_AMOUNT = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_CURRENCY_BEFORE = re.compile(r"(?:Rp\.?|IDR)\s*$", re.IGNORECASE)


def mask_contacts(text: str | None, language: str = "id") -> str | None:
    """``text`` with phone numbers and e-mail addresses replaced by a marker."""
    if not text:
        return text
    language = language if language in PHONE_MASK else "id"
    masked = _EMAIL.sub(EMAIL_MASK[language], text)
    if not _DIGIT_RUN.search(masked):
        return masked
    masked = _mask_matched_numbers(masked, PHONE_MASK[language])
    return _MOBILE.sub(PHONE_MASK[language], masked)


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
