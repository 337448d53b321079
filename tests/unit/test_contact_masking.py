"""Masking phone numbers and e-mail addresses in text the public reads."""

import pytest

from chalicelib.domain.redaction import EMAIL_MASK, PHONE_MASK, mask_contacts

PHONE = PHONE_MASK["id"]
EMAIL = EMAIL_MASK["id"]


@pytest.mark.parametrize(
    "number",
    [
        "0812-3456-7890",
        "0812 3456 7890",
        "0812.3456.7890",
        "081234567890",
        "08123456789",
        "0857-1234-5678",
        "085712345678",
        "+62 812 3456 7890",
        "+62-812-3456-7890",
        "+6281234567890",
        "62 812 3456 7890",
        "6281234567890",
        "+62 (812) 3456-7890",
        "(021) 3822255",
        "021-3822255",
        "021 5551 2345",
        "+62-21-5551234",
        "+62 21 5551 2345",
    ],
)
def test_phone_numbers_are_masked(number):
    masked = mask_contacts(f"Lampu mati. Hubungi saya di {number} ya, terima kasih")
    assert masked == f"Lampu mati. Hubungi saya di {PHONE} ya, terima kasih"
    assert not any(ch.isdigit() for ch in masked)


@pytest.mark.parametrize(
    "text",
    [
        "Banjir sejak 12-03-2024 pagi",
        "Banjir sejak tanggal 12/03/2024",
        "Kejadian 2026-11-23 jam 08.30",
        "sejak 20 November 2026 jam 21.00 WIB",
        "Di RT 03/RW 05 Kelurahan Menteng",
        "RT 003 / RW 005",
        "Jl. Kebon Sirih No. 15, rumah nomor 12A",
        "Mobil B 1234 XYZ parkir di trotoar",
        "Truk B 9876 KLM dan motor B 3456 SJB",
        "Jalan rusak di KM 12+400 tol Jagorawi",
        "Lubang di km 23.5 arah Bogor",
        "Diminta pungli Rp 50.000 per bulan",
        "Denda Rp 1.500.000 dan Rp 150.000.000",
        "Biaya Rp50.000,- tiap kali",
        "Kerugian IDR 2.500.000",
        "kode pos 10110, tinggi 1.200 meter",
        "Pohon 3 meter tumbang, 2 mobil rusak",
    ],
)
def test_numbers_that_are_not_phone_numbers_stay(text):
    assert mask_contacts(text) == text


@pytest.mark.parametrize(
    "address",
    [
        "budi@gmail.com",
        "budi.santoso+crm@yahoo.co.id",
        "SITI_AMINAH@Mail.Jakarta.go.id",
        "a-b@sub-domain.example.org",
    ],
)
def test_email_addresses_are_masked(address):
    assert mask_contacts(f"Balas ke {address}.") == f"Balas ke {EMAIL}."


def test_a_signature_block_leaves_nothing_private():
    text = "Sampah menumpuk di Jl. Sabang.\nBudi Santoso / HP 0812-3456-7890 / budi@gmail.com"
    assert mask_contacts(text) == f"Sampah menumpuk di Jl. Sabang.\nBudi Santoso / HP {PHONE} / {EMAIL}"


def test_english_markers_and_empty_texts():
    assert mask_contacts("call 081234567890 or a@b.co", "en") == "call [number hidden] or [e-mail hidden]"
    assert mask_contacts("", "id") == "" and mask_contacts(None) is None
    assert mask_contacts("Tanpa nomor sama sekali") == "Tanpa nomor sama sekali"


# --- obfuscated e-mail addresses and NIK (issue 19) --------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "name [at] example.org",
        "name(at)example(dot)org",
        "name (at) example (dot) org",
        "Name [AT] Example [DOT] ORG",
        "name{at}example{dot}co{dot}id",
        "name <at> example.co.id",
        "name [@] example.org",
        "name@example[dot]org",
        "name@example (dot) org",
        "name at example dot org",
        "name at example titik co titik id",
    ],
)
def test_obfuscated_email_addresses_are_masked(address):
    masked = mask_contacts(f"Tolong kabari saya di {address} ya.")
    assert masked == "Tolong kabari saya di [email disembunyikan] ya.", masked


@pytest.mark.parametrize(
    "text",
    [
        "Kumpul at pasar.baru jam 3",  # a bare "at" with ordinary dots is no address
        "Banjir setinggi 40 cm at Jl. Sudirman",
        "Lampu mati (at night) di jalan",
    ],
)
def test_text_that_only_looks_like_an_obfuscated_address_stays(text):
    assert mask_contacts(text) == text


@pytest.mark.parametrize(
    "nik",
    [
        "3171015708900001",  # a woman's NIK (day + 40)
        "3171011708900001",
        "317101 570890 0001",
        "3171.0157.0890.0001",
        "3171-0157-0890-0001",
        "3171 0157 0890 0001",
    ],
)
def test_a_nik_is_masked(nik):
    assert mask_contacts(f"NIK saya {nik}, terima kasih") == "NIK saya [NIK disembunyikan], terima kasih"
    assert mask_contacts(f"NIK {nik}", "en") == "NIK [ID number hidden]"


@pytest.mark.parametrize(
    "text",
    [
        "https://kios.example/orders/3171015708900001",  # in a URL it names a page, not a person
        "cek?id=3171015708900001",
        "nomor 9999015708900001",  # no province 99
        "nomor 3171019913900001",  # no month 13
        "kode 31710157089000012",  # 17 digits
    ],
)
def test_sixteen_digits_that_are_no_nik_are_not_masked_as_one(text):
    assert "[NIK" not in mask_contacts(text)
