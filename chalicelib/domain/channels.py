"""The official complaint channels (kanal pengaduan). Ids are pinned: partners,
stored cases and tests rely on them exactly (see shared/MISSION.md)."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    # Geotagged apps: partner JSON webhooks.
    JAKI = "jaki"
    QLUE = "qlue"
    # Social media and messaging.
    X = "x"
    FACEBOOK = "facebook"
    GOVERNOR_SOCIAL = "governor_social"
    EMAIL = "email"
    BALAI_WARGA = "balai_warga"
    SMS_1708 = "sms_1708"
    WHATSAPP = "whatsapp"
    # Face-to-face desks, letters and press, entered by intake officers.
    KELURAHAN = "kelurahan"
    KECAMATAN = "kecamatan"
    WALIKOTA = "walikota"
    PENDOPO = "pendopo"
    INSPEKTORAT = "inspektorat"
    MASS_MEDIA = "mass_media"


DESK_CHANNELS = frozenset(
    {
        Channel.KELURAHAN,
        Channel.KECAMATAN,
        Channel.WALIKOTA,
        Channel.PENDOPO,
        Channel.INSPEKTORAT,
        Channel.MASS_MEDIA,
    }
)

# How the channel is named to a citizen, in Bahasa Indonesia and English.
DISPLAY_NAMES: dict[Channel, tuple[str, str]] = {
    Channel.JAKI: ("aplikasi JAKI", "the JAKI app"),
    Channel.QLUE: ("aplikasi Qlue", "the Qlue app"),
    Channel.X: ("X @DKIJakarta", "X @DKIJakarta"),
    Channel.FACEBOOK: ("Facebook Pemprov DKI Jakarta", "Facebook Pemprov DKI Jakarta"),
    Channel.GOVERNOR_SOCIAL: ("media sosial Gubernur", "the Governor's social media"),
    Channel.EMAIL: ("email dki@jakarta.go.id", "email dki@jakarta.go.id"),
    Channel.BALAI_WARGA: ("situs Balai Warga", "the Balai Warga website"),
    Channel.SMS_1708: ("SMS LAPOR 1708", "SMS LAPOR 1708"),
    Channel.WHATSAPP: ("SMS/WhatsApp 08111272206", "SMS/WhatsApp 08111272206"),
    Channel.KELURAHAN: ("Kantor Kelurahan", "an urban village office"),
    Channel.KECAMATAN: ("Kantor Kecamatan", "a sub-district office"),
    Channel.WALIKOTA: ("Kantor Walikota", "a mayor's office"),
    Channel.PENDOPO: ("Pendopo Balai Kota", "the City Hall pavilion"),
    Channel.INSPEKTORAT: ("Kantor Inspektorat", "the Inspectorate"),
    Channel.MASS_MEDIA: ("aspirasi media massa", "the mass media"),
}
