"""Small geometry helpers: distance on the earth and geohash cells.

Geohash cells key the "open cases nearby" index used for duplicate detection:
a precision-7 cell is about 153 m x 153 m, so every point within 100 m of a
report lies in the report's cell or one of its 8 neighbours.
"""

from __future__ import annotations

import math

_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = math.radians(lat2 - lat1)
    d_lambda = math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def geohash(lat: float, lng: float, precision: int = 7) -> str:
    lat_range, lng_range = [-90.0, 90.0], [-180.0, 180.0]
    bits, bit_count, even = 0, 0, True
    out: list[str] = []
    while len(out) < precision:
        target, value = (lng_range, lng) if even else (lat_range, lat)
        middle = (target[0] + target[1]) / 2
        if value >= middle:
            bits = (bits << 1) | 1
            target[0] = middle
        else:
            bits <<= 1
            target[1] = middle
        even = not even
        bit_count += 1
        if bit_count == 5:
            out.append(_BASE32[bits])
            bits, bit_count = 0, 0
    return "".join(out)


def cell_size_deg(precision: int) -> tuple[float, float]:
    """(height in degrees of latitude, width in degrees of longitude) of a cell."""
    lng_bits = (5 * precision + 1) // 2
    lat_bits = 5 * precision // 2
    return 180.0 / 2**lat_bits, 360.0 / 2**lng_bits


def neighbourhood(lat: float, lng: float, precision: int = 7) -> list[str]:
    """The cell of the point and its eight neighbours (deduplicated, own cell first)."""
    height, width = cell_size_deg(precision)
    cells = [geohash(lat, lng, precision)]
    for d_lat in (-height, 0.0, height):
        for d_lng in (-width, 0.0, width):
            cell = geohash(max(-90.0, min(90.0, lat + d_lat)), ((lng + d_lng + 180) % 360) - 180, precision)
            if cell not in cells:
                cells.append(cell)
    return cells
