"""The text signature that finds near-duplicate descriptions without reading the week."""

import os
import random
import subprocess
import sys
from itertools import combinations
from pathlib import Path

from chalicelib.domain import duplicates
from tests.support import complaints

ROOT = Path(__file__).resolve().parents[2]
ORIGINAL = "Sampah menumpuk di depan pasar Jl. Kebon Sirih sejak kemarin, mohon segera ditindaklanjuti"


def share_a_band(a: str, b: str) -> bool:
    return any(x == y for x, y in zip(duplicates.band_keys(a), duplicates.band_keys(b), strict=True))


def test_the_signature_has_one_key_per_band_and_none_for_a_text_without_words():
    keys = duplicates.band_keys(ORIGINAL)
    assert len(keys) == duplicates.BANDS and all(len(key) == 16 and int(key, 16) >= 0 for key in keys)
    assert duplicates.band_keys("") == () and duplicates.band_keys(" ?! ... ") == ()
    assert len(duplicates.band_keys("Banjir")) == duplicates.BANDS  # shorter than a shingle: the word itself


def test_case_punctuation_and_spacing_do_not_change_the_signature():
    assert duplicates.band_keys(ORIGINAL) == duplicates.band_keys(ORIGINAL.upper().replace(",", " ;  "))


def test_a_typo_another_word_order_or_added_words_still_share_a_band():
    for variant in (
        ORIGINAL.replace("menumpuk", "menumpk"),  # a letter dropped
        ORIGINAL.replace("pasar", "psaar"),  # two swapped
        "Di depan pasar Jl. Kebon Sirih sampah menumpuk sejak kemarin, mohon segera ditindaklanjuti",
        ORIGINAL + " sudah tiga hari, warga resah",
        "sampah menumpuk di depan pasar jl kebon sirih sejak kemarin mohon segera ditindak lanjuti",
    ):
        assert share_a_band(ORIGINAL, variant), variant


def test_only_the_first_160_characters_count_like_the_similarity_check():
    tail = " dan ini bagian yang tidak dibandingkan" * 10
    assert duplicates.band_keys(ORIGINAL + tail) == duplicates.band_keys((ORIGINAL + tail)[:160])


def test_unrelated_reports_share_no_band():
    texts = [
        ORIGINAL,
        "Jalan berlubang besar di Jl. Daan Mogot dekat halte busway, bahaya untuk motor",
        "Lampu penerangan jalan mati sepanjang Jl. Fatmawati sejak minggu lalu",
        "Kabel fiber optik menjuntai rendah di gang RT 05 RW 02 Kelurahan Gambir",
        "Parkir liar di trotoar depan stasiun Tanah Abang menghalangi pejalan kaki",
        "Pohon tumbang menutup separuh jalan di Jl. Kemang Raya",
        "Air PDAM tidak mengalir tiga hari di Kelurahan Cempaka Putih Timur",
        "Banjir",
        "Kerumunan tanpa masker di pasar malam Jl. Pemuda melanggar PPKM",
    ]
    for a, b in combinations(texts, 2):
        assert not share_a_band(a, b), (a, b)


def test_nearly_every_pair_the_similarity_check_accepts_shares_a_band():
    """Recall of the signature on retyped reports (typos, added words, word order): the
    signature must find what the check would confirm, or the pair is never compared."""
    rng = random.Random(17)
    accepted = found = 0
    for _ in range(400):
        original = complaints.report(rng, rng.choice(list(complaints.PROBLEMS)))
        variant = complaints.retyped(rng, original)
        if duplicates.text_similarity(original, variant) >= duplicates.SIMILAR_TEXT:
            accepted += 1
            found += share_a_band(original, variant)
    assert accepted > 200
    assert found / accepted >= 0.97, (found, accepted)


def test_reports_of_other_problems_rarely_share_a_band():
    rng = random.Random(5)
    pairs = shared = 0
    for _ in range(300):
        a, b = complaints.report(rng, "garbage"), complaints.report(rng, "garbage")
        if duplicates.text_similarity(a, b) < 0.5:
            pairs += 1
            shared += share_a_band(a, b)
    assert pairs > 150
    assert shared / pairs <= 0.05, (shared, pairs)


def test_the_signature_is_the_same_in_every_process():
    """Signature items live for 7 days and are looked up by other processes (other Lambda
    containers, the next deploy): a salted or random hash would silently find nothing."""
    script = f"from chalicelib.domain.duplicates import band_keys; print(','.join(band_keys({ORIGINAL!r})))"
    seen = set()
    for seed in ("0", "1", "random"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
        )
        seen.add(result.stdout.strip())
    assert seen == {",".join(duplicates.band_keys(ORIGINAL))}
    # ...and from one release to the next: changing the shingles, the hashes or the bands
    # orphans a week of stored signatures (say so in the change, and accept a week of
    # lower recall).
    assert duplicates.band_keys("Sampah menumpuk di depan pasar")[:2] == ("c67893633420e5d7", "d5185025bc2d39df")
