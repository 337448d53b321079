"""The Balai Warga report form as HTML: no JavaScript, Bahasa Indonesia with
an English toggle (?lang=en), every input labelled, readable on a 360 px
phone. The only style is one inline <style> block allowed by its hash in a
strict Content-Security-Policy (no scripts at all)."""

from __future__ import annotations

import base64
import hashlib
from html import escape

from chalicelib.domain import categories

STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#f6f7f9}"
    "main{max-width:40rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.4rem;margin:.5rem 0 1rem}"
    "label{display:block;font-weight:600;margin:1rem 0 .25rem}"
    "input,select,textarea{box-sizing:border-box;width:100%;font:inherit;padding:.6rem;"
    "border:1px solid #767676;border-radius:4px;background:#fff}"
    "input[type=checkbox]{width:auto;margin-right:.5rem}"
    ".check{display:flex;align-items:center;font-weight:400}"
    ".row{display:grid;grid-template-columns:1fr 1fr;gap:.5rem}"
    "button{margin-top:1.5rem;width:100%;padding:.8rem;font:inherit;font-weight:700;color:#fff;"
    "background:#0b5cad;border:0;border-radius:4px}"
    ".hint{color:#4a4a4a;font-size:.9rem;margin:.2rem 0 0}"
    ".errors{border:2px solid #b00020;background:#fff;padding:.5rem 1rem;border-radius:4px}"
    ".code{font:700 1.5rem/1.2 ui-monospace,monospace;letter-spacing:.05em;background:#fff;"
    "padding:.75rem;border-radius:4px;display:inline-block}"
    "nav{text-align:right}a{color:#0b5cad}"
    "fieldset{border:1px solid #c8c8c8;border-radius:4px;margin-top:1rem}"
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

T = {
    "title": ("Laporkan masalah di Jakarta", "Report a problem in Jakarta"),
    "toggle": ("English", "Bahasa Indonesia"),
    "intro": (
        "Laporan non-darurat (sampah, jalan rusak, parkir liar, air, kabel...). Keadaan darurat: hubungi 112.",
        "Non-emergency problems (garbage, damaged roads, illegal parking, water, cables...). Emergencies: call 112.",
    ),
    "category": ("Kategori", "Category"),
    "description": ("Uraian masalah", "What is the problem?"),
    "where": ("Lokasi", "Location"),
    "address": ("Alamat atau patokan", "Address or landmark"),
    "lat": ("Lintang (latitude)", "Latitude"),
    "lng": ("Bujur (longitude)", "Longitude"),
    "where_hint": (
        "Opsional. Koordinat dapat disalin dari aplikasi peta, misalnya -6.1754 dan 106.8272.",
        "Optional. Copy the coordinates from a map app, e.g. -6.1754 and 106.8272.",
    ),
    "when": ("Waktu kejadian (opsional, WIB)", "When did you see it? (optional, Jakarta time)"),
    "photo": (
        "Foto (opsional, JPEG/PNG/WebP, maks. 5 foto, semuanya maks. 4 MB)",
        "Photos (optional, JPEG/PNG/WebP, up to 5, at most 4 MB together)",
    ),
    "too_large": (
        "Foto terlalu besar: semuanya maks. 4 MB. Kecilkan atau kirim lebih sedikit foto, lalu isi ulang.",
        "The photos are too big: at most 4 MB together. Make them smaller or send fewer, then fill in the form again.",
    ),
    "outside_area": (
        "Lokasi ini berada di luar wilayah DKI Jakarta. Kami hanya menerima laporan dari Jakarta "
        "(termasuk Kepulauan Seribu); periksa kembali koordinatnya.",
        "This place is outside DKI Jakarta. We only take reports from Jakarta (Kepulauan Seribu included); "
        "please check the coordinates.",
    ),
    "contact": ("Kontak (opsional)", "Contact (optional)"),
    "name": ("Nama", "Name"),
    "phone": ("Nomor telepon", "Phone number"),
    "email": ("Email (untuk kabar perkembangan)", "E-mail (for updates)"),
    "anonymous": ("Kirim sebagai anonim (kontak tidak disimpan)", "Send anonymously (no contact is stored)"),
    "confidential": (
        "Rahasiakan laporan (isi, lokasi dan foto tidak ditampilkan ke publik)",
        "Keep the report confidential (its text, place and photos are not shown publicly)",
    ),
    "submit": ("Kirim laporan", "Send report"),
    "errors": ("Periksa kembali isian berikut:", "Please check these fields:"),
    "thanks": ("Laporan diterima", "Report received"),
    "your_code": ("Kode laporan Anda:", "Your tracking code:"),
    "keep": (
        "Simpan kode ini untuk memantau perkembangan laporan.",
        "Keep this code to follow your report.",
    ),
    "follow": ("Lihat status laporan", "See the report's status"),
    "another": ("Kirim laporan lain", "Send another report"),
}


def t(key: str, language: str) -> str:
    pair = T[key]
    return pair[1] if language == "en" else pair[0]


def _page(title: str, language: str, content: str) -> str:
    other = "id" if language == "en" else "en"
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
        f'<nav><a href="?lang={other}" hreflang="{other}">{t("toggle", language)}</a></nav>'
        f"{content}</main></body></html>"
    )


def form_page(
    language: str, token: str, values: dict[str, str] | None = None, errors: list[tuple[str, str]] | None = None
) -> str:
    values = values or {}

    def value(name: str) -> str:
        return escape(values.get(name, ""), quote=True)

    options = "".join(
        f'<option value="{c.id}"{" selected" if values.get("category") == c.id else ""}>'
        f"{escape(c.name(language))}</option>"
        for c in categories.CATALOGUE
    )
    error_block = ""
    if errors:
        items = "".join(f"<li>{escape(field)}: {escape(message)}</li>" for field, message in errors)
        error_block = f'<div class="errors" role="alert"><p>{t("errors", language)}</p><ul>{items}</ul></div>'
    anonymous = " checked" if values.get("anonymous") in ("on", "true", "1") else ""
    confidential = " checked" if values.get("confidential") in ("on", "true", "1") else ""
    content = (
        f"<h1>{t('title', language)}</h1><p>{t('intro', language)}</p>{error_block}"
        f'<form method="post" action="" enctype="multipart/form-data">'
        f'<input type="hidden" name="submission_id" value="{escape(token, quote=True)}">'
        f'<input type="hidden" name="lang" value="{language}">'
        f'<label for="category">{t("category", language)}</label>'
        f'<select id="category" name="category" required>{options}</select>'
        f'<label for="description">{t("description", language)}</label>'
        f'<textarea id="description" name="description" rows="5" maxlength="5000" required>'
        f"{value('description')}</textarea>"
        f"<fieldset><legend>{t('where', language)}</legend>"
        f'<label for="address">{t("address", language)}</label>'
        f'<input id="address" name="address" maxlength="500" value="{value("address")}">'
        f'<div class="row"><div><label for="lat">{t("lat", language)}</label>'
        f'<input id="lat" name="lat" inputmode="decimal" value="{value("lat")}"></div>'
        f'<div><label for="lng">{t("lng", language)}</label>'
        f'<input id="lng" name="lng" inputmode="decimal" value="{value("lng")}"></div></div>'
        f'<p class="hint">{t("where_hint", language)}</p></fieldset>'
        f'<label for="reported_at">{t("when", language)}</label>'
        f'<input id="reported_at" name="reported_at" type="datetime-local" value="{value("reported_at")}">'
        f'<label for="photo">{t("photo", language)}</label>'
        f'<input id="photo" name="photo" type="file" accept="image/jpeg,image/png,image/webp" multiple>'
        f"<fieldset><legend>{t('contact', language)}</legend>"
        f'<label for="name">{t("name", language)}</label>'
        f'<input id="name" name="name" maxlength="120" autocomplete="name" value="{value("name")}">'
        f'<label for="phone">{t("phone", language)}</label>'
        f'<input id="phone" name="phone" type="tel" autocomplete="tel" value="{value("phone")}">'
        f'<label for="email">{t("email", language)}</label>'
        f'<input id="email" name="email" type="email" autocomplete="email" value="{value("email")}">'
        f'<label class="check" for="anonymous"><input id="anonymous" name="anonymous" type="checkbox"{anonymous}>'
        f"{t('anonymous', language)}</label>"
        f'<label class="check" for="confidential"><input id="confidential" name="confidential" type="checkbox"'
        f"{confidential}>{t('confidential', language)}</label></fieldset>"
        f'<button type="submit">{t("submit", language)}</button></form>'
    )
    return _page(t("title", language), language, content)


def receipt_page(language: str, code: str, status_url: str) -> str:
    content = (
        f"<h1>{t('thanks', language)}</h1><p>{t('your_code', language)}</p>"
        f'<p class="code">{escape(code)}</p><p>{t("keep", language)}</p>'
        f'<p><a href="{escape(status_url, quote=True)}">{t("follow", language)}</a></p>'
        f'<p><a href="?lang={language}">{t("another", language)}</a></p>'
    )
    return _page(t("thanks", language), language, content)
