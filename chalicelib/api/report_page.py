"""The Balai Warga report form as HTML, in the public pages' shared layout
(api/web.py): Bahasa Indonesia with an English toggle (?lang=en), every input
labelled, readable on a 360 px phone, and complete without JavaScript (the
place is typed as latitude and longitude).

With JavaScript, static/report.js adds a map to the location fieldset: a pin
to drag or drop, "use my location", the kelurahan the pin is in, and the open
reports of the same category near it ("already reported? follow it"). It only
fills in the same form fields, so the server sees the same form either way.
"""

from __future__ import annotations

from html import escape

from chalicelib.domain import categories

T = {
    "title": ("Laporkan masalah di Jakarta", "Report a problem in Jakarta"),
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
        "Opsional. Tandai tempatnya di peta, atau ketik koordinatnya (dapat disalin dari aplikasi peta), "
        "misalnya -6.1754 dan 106.8272.",
        "Optional. Mark the place on the map, or type its coordinates (copy them from a map app), "
        "e.g. -6.1754 and 106.8272.",
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
    "too_many_pixels": (
        "Foto terlalu besar (terlalu banyak piksel). Kirim foto yang lebih kecil atau lebih sedikit, lalu isi ulang.",
        "The photos are too large (too many pixels). Send smaller or fewer photos, then fill in the form again.",
    ),
    "outside_area": (
        "Lokasi ini berada di luar wilayah DKI Jakarta. Kami hanya menerima laporan dari Jakarta "
        "(termasuk Kepulauan Seribu); periksa kembali koordinatnya.",
        "This place is outside DKI Jakarta. We only take reports from Jakarta (Kepulauan Seribu included); "
        "please check the coordinates.",
    ),
    "too_many_title": ("Terlalu banyak laporan", "Too many reports"),
    "too_many": (
        "Terlalu banyak laporan dikirim dari jaringan atau kontak ini dalam waktu singkat. "
        "Silakan coba lagi dalam {minutes} menit. Keadaan darurat: hubungi 112.",
        "Too many reports were sent from this network or contact in a short time. "
        "Please try again in {minutes} minute(s). Emergencies: call 112.",
    ),
    "back": ("Kembali ke formulir", "Back to the form"),
    "reused_title": ("Formulir ini sudah terkirim", "This form was already sent"),
    "reused": (
        "Formulir ini sudah dikirim sebelumnya dengan isi yang berbeda, jadi tidak dikirim lagi. "
        "Periksa isian di bawah, lalu kirim sebagai laporan baru.",
        "This form was sent before with different content, so it was not sent again. "
        "Check the fields below, then send them as a new report.",
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


def _page(language: str, content: str) -> str:
    from chalicelib.api.web import public_page_body

    return public_page_body("report", language=language, main=content)


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
        error_block = (
            f'<div class="alert alert-error" role="alert"><p>{t("errors", language)}</p><ul>{items}</ul></div>'
        )
    anonymous = " checked" if values.get("anonymous") in ("on", "true", "1") else ""
    confidential = " checked" if values.get("confidential") in ("on", "true", "1") else ""
    content = (
        f'<h1>{t("title", language)}</h1><p class="lead">{t("intro", language)}</p>{error_block}'
        f'<form method="post" action="" enctype="multipart/form-data" id="report-form" class="panel report-form">'
        f'<input type="hidden" name="submission_id" value="{escape(token, quote=True)}">'
        f'<input type="hidden" name="lang" value="{language}">'
        f'<div class="field"><label for="category">{t("category", language)}</label>'
        f'<select id="category" name="category" required>{options}</select></div>'
        f'<div class="field"><label for="description">{t("description", language)}</label>'
        f'<textarea id="description" name="description" rows="5" maxlength="5000" required>'
        f"{value('description')}</textarea></div>"
        f'<fieldset id="where"><legend>{t("where", language)}</legend>'
        # Filled by static/report.js; hidden (and empty) without JavaScript.
        f'<div id="map-panel" class="map-panel" hidden></div>'
        f'<div class="field"><label for="address">{t("address", language)}</label>'
        f'<input id="address" name="address" maxlength="500" value="{value("address")}"></div>'
        f'<div class="two"><div class="field"><label for="lat">{t("lat", language)}</label>'
        f'<input id="lat" name="lat" inputmode="decimal" autocomplete="off" value="{value("lat")}"></div>'
        f'<div class="field"><label for="lng">{t("lng", language)}</label>'
        f'<input id="lng" name="lng" inputmode="decimal" autocomplete="off" value="{value("lng")}"></div></div>'
        f'<p class="hint" id="where-hint">{t("where_hint", language)}</p></fieldset>'
        f'<section id="nearby" class="nearby" aria-live="polite" hidden></section>'
        f'<div class="field"><label for="reported_at">{t("when", language)}</label>'
        f'<input id="reported_at" name="reported_at" type="datetime-local" value="{value("reported_at")}"></div>'
        f'<div class="field"><label for="photo">{t("photo", language)}</label>'
        f'<input id="photo" name="photo" type="file" accept="image/jpeg,image/png,image/webp" multiple></div>'
        f"<fieldset><legend>{t('contact', language)}</legend>"
        f'<div class="field"><label for="name">{t("name", language)}</label>'
        f'<input id="name" name="name" maxlength="120" autocomplete="name" value="{value("name")}"></div>'
        f'<div class="field"><label for="phone">{t("phone", language)}</label>'
        f'<input id="phone" name="phone" type="tel" autocomplete="tel" value="{value("phone")}"></div>'
        f'<div class="field"><label for="email">{t("email", language)}</label>'
        f'<input id="email" name="email" type="email" autocomplete="email" value="{value("email")}"></div>'
        f'<label class="check" for="anonymous"><input id="anonymous" name="anonymous" type="checkbox"{anonymous}>'
        f"{t('anonymous', language)}</label>"
        f'<label class="check" for="confidential"><input id="confidential" name="confidential" type="checkbox"'
        f"{confidential}>{t('confidential', language)}</label></fieldset>"
        f'<button type="submit" class="button wide">{t("submit", language)}</button></form>'
    )
    return _page(language, content)


def too_many_page(language: str, retry_after_s: int) -> str:
    """The form's 429: when to try again (the API says it in Retry-After too)."""
    minutes = max(1, -(-retry_after_s // 60))
    content = (
        f'<section class="panel"><h1>{t("too_many_title", language)}</h1>'
        f'<p class="alert alert-error" role="alert">{escape(t("too_many", language).format(minutes=minutes))}</p>'
        f'<p><a href="?lang={language}">{t("back", language)}</a></p></section>'
    )
    return _page(language, content)


def receipt_page(language: str, code: str) -> str:
    follow = f"track?code={code}"
    content = (
        f'<section class="panel receipt"><h1>{t("thanks", language)}</h1><p>{t("your_code", language)}</p>'
        f'<p class="code">{escape(code)}</p><p>{t("keep", language)}</p>'
        f'<p><a class="button" href="{escape(follow, quote=True)}">{t("follow", language)}</a></p>'
        f'<p><a href="?lang={language}">{t("another", language)}</a></p></section>'
    )
    return _page(language, content)
