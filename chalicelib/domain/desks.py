"""Face-to-face desks (loket pengaduan): which office records which channel.

An intake officer records walk-in reports, letters and press items for their
own office. The office is the officer's agency (the Cognito attribute
``custom:agency_id``); its kind decides the desk channels it may record:

    Kantor Kelurahan          -> kelurahan
    Kantor Kecamatan          -> kecamatan
    Kantor Walikota (city)    -> walikota, mass_media (local press)
    Biro Pemerintahan         -> pendopo (the City Hall pavilion desk and letters
                                 to the Governor), mass_media (public aspirations in the press)
    Inspektorat               -> inspektorat

The first channel of each list is the office's own desk (the form's default).
Agencies that keep no public desk (Dinas, Suku Dinas, utilities) record none.
"""

from __future__ import annotations

from .agencies import Agency
from .channels import DESK_CHANNELS, Channel
from .errors import Forbidden, InvalidInput

DESK_CHANNELS_BY_KIND: dict[str, tuple[Channel, ...]] = {
    "kelurahan": (Channel.KELURAHAN,),
    "kecamatan": (Channel.KECAMATAN,),
    "city": (Channel.WALIKOTA, Channel.MASS_MEDIA),
    "bureau": (Channel.PENDOPO, Channel.MASS_MEDIA),
    "inspectorate": (Channel.INSPEKTORAT,),
}

assert all(set(channels) <= DESK_CHANNELS for channels in DESK_CHANNELS_BY_KIND.values())


def desk_channels(office: Agency | None) -> tuple[Channel, ...]:
    """The desk channels an office records, its own desk first; () if it keeps no desk."""
    if office is None:
        return ()
    return DESK_CHANNELS_BY_KIND.get(office.kind, ())


def choose_channel(office: Agency | None, asked: str | None) -> Channel:
    """The channel a walk-in report is recorded under: the one asked for, if the
    office keeps that desk, else the office's own desk when none was asked."""
    allowed = desk_channels(office)
    if not allowed:
        raise Forbidden("your office keeps no complaint desk, so it cannot record walk-in reports")
    if asked is None or asked == "":
        return allowed[0]
    if asked not in {channel.value for channel in allowed}:
        names = ", ".join(channel.value for channel in allowed)
        raise InvalidInput([("channel", f"your office records reports for: {names}")])
    return Channel(asked)
