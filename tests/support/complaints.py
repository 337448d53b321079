"""Synthetic complaint texts in the citizens' register, and the ways a second
reporter writes the same thing: for the duplicate-signature tests and the
routing benchmark. Seeded: the same seed gives the same texts everywhere.

The phrases are many reports' worth of the same few problems, streets and
landmarks, which is what makes duplicate search hard: common words put
unrelated reports close together.
"""

from __future__ import annotations

import random

PROBLEMS = {
    "flooding": (
        "banjir setinggi lutut",
        "genangan air setinggi betis",
        "air masuk ke rumah warga",
        "banjir setinggi pinggang orang dewasa",
        "jalan tergenang air hujan",
        "genangan tidak surut sejak pagi",
        "air meluap dari kali",
    ),
    "garbage": (
        "sampah menumpuk",
        "tumpukan sampah berbau busuk",
        "sampah tidak diangkut",
        "sampah dibuang sembarangan",
        "bak sampah penuh dan meluber",
        "sampah rumah tangga berserakan",
    ),
    "damaged_road": (
        "jalan berlubang besar",
        "aspal rusak dan retak",
        "lubang jalan membahayakan pengendara motor",
        "jalan amblas",
        "paving block lepas",
    ),
}
STREETS = (
    "Jl. Kebon Sirih", "Jl. Medan Merdeka Barat", "Jl. Gunung Sahari", "Jl. Pramuka", "Jl. Casablanca",
    "Jl. Daan Mogot", "Jl. Fatmawati", "Jl. Raya Bogor", "Jl. Pemuda", "Jl. Letjen Suprapto", "Jl. Kramat Raya",
    "Jl. Salemba Raya", "Jl. Tanjung Duren", "Jl. Kemang Raya", "Jl. Cipinang Besar", "Jl. Bekasi Raya",
    "Jl. Kalimalang", "Jl. Panjang", "Jl. Hayam Wuruk", "Jl. Mangga Besar",
)  # fmt: skip
LANDMARKS = (
    "di depan pasar", "dekat sekolah", "di samping masjid", "depan minimarket", "di gang RT 05 RW 02",
    "dekat halte busway", "di bawah jembatan", "depan kantor kelurahan", "di ujung gang", "sebelah puskesmas",
)  # fmt: skip
SINCE = (
    "sejak kemarin", "sudah tiga hari", "sejak tadi pagi", "setiap hujan deras", "sudah seminggu", "dari semalam", "",
)  # fmt: skip
ASKS = ("mohon segera ditindaklanjuti", "tolong segera ditangani", "warga resah", "mohon bantuan petugas", "", "")
ADDED = ("tolong", "mohon dicek", "segera", "sudah lama", "parah sekali", "hari ini", "cepat ya pak")


def report(rng: random.Random, category: str = "garbage") -> str:
    parts = (rng.choice(PROBLEMS[category]), rng.choice(LANDMARKS), rng.choice(STREETS), rng.choice(SINCE))
    text = " ".join(part for part in (*parts, rng.choice(ASKS)) if part)
    return text[0].upper() + text[1:] + rng.choice((".", "!", "", ".."))


def typo(rng: random.Random, text: str) -> str:
    i = rng.randrange(1, len(text) - 2)
    kind = rng.choice(("swap", "drop", "double", "substitute"))
    if kind == "swap":
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == "drop":
        return text[:i] + text[i + 1 :]
    if kind == "double":
        return text[:i] + text[i] + text[i:]
    return text[:i] + rng.choice("aeiounrst") + text[i + 1 :]


def reorder(rng: random.Random, text: str) -> str:
    """The same words, the sentence started elsewhere ("di depan pasar, sampah menumpuk")."""
    words = text.split()
    cut = rng.randrange(1, len(words) - 1)
    return " ".join(words[cut:] + words[:cut])


def append(rng: random.Random, text: str) -> str:
    return f"{text} {rng.choice(ADDED)}"


def retyped(rng: random.Random, text: str) -> str:
    """One to three of: a typo, added words, another word order, other case and punctuation."""
    edits = (typo, typo, append, reorder, lambda _rng, t: t.lower(), lambda _rng, t: t.replace(".", "").upper())
    for _ in range(rng.randint(1, 3)):
        text = rng.choice(edits)(rng, text)
    return text
