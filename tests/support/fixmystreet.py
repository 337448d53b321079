"""What FixMyStreet's Open311 client sends, rebuilt from its code (mysociety/fixmystreet,
perllib/Open311.pm) so tests can replay it byte for byte:

* ``_populate_service_request_params``: the report's fields -- ``description``
  (its "extended description": title, detail and the report's URL), names split
  into ``first_name``/``last_name``, ``email``, ``lat``/``long`` truncated to 6
  decimals, ``attribute[...]`` for the contact's extra fields (``fms_extra_``
  stripped) and ``attribute[uprn]``; ``media_url`` once, or repeated with
  ``multi_photos``;
* ``_request``: ``jurisdiction_id`` and (POST) ``api_key`` added to every
  request; a hash of params POSTed as application/x-www-form-urlencoded (an
  array value repeats its name), or -- with files to upload (``upload_files`` /
  ``always_upload_photos``, private reports) -- as multipart/form-data with the
  photos as ``photo1``, ``photo2``... (filename ``<id>.<n>.full.<ext>``) and
  ``media_url`` removed;
* ``_populate_service_request_update_params``: ``updated_datetime`` (W3CDTF,
  whole seconds), ``service_request_id``, ``status`` (OPEN / CLOSED),
  ``description``, ``first_name``, ``last_name`` ('-' when there is none),
  ``email``, ``update_id`` (FixMyStreet's comment id), ``media_url``.

Our own code, written from reading theirs; nothing copied.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

FMS_BASE = "https://fixmystreet.example.org"


def split_name(name: str) -> tuple[str, str]:
    """Open311.pm's split_name: the first word, and the rest."""
    words = name.split(None, 1)
    if not words:
        return "", ""
    return words[0], words[1] if len(words) > 1 else ""


def report_params(
    *,
    problem_id: int,
    title: str,
    detail: str,
    name: str,
    email: str,
    lat: float,
    lng: float,
    service_code: str,
    extra_fields: dict[str, str] | None = None,
    uprn: str | None = None,
    image_urls: list[str] | None = None,
    multi_photos: bool = False,
) -> dict[str, str | list[str]]:
    first, last = split_name(name)
    params: dict[str, str | list[str]] = {
        # extended_description, outside the UK and FixaMinGata: title, detail, the report's URL
        "description": f"{title}\n\n{detail}\n\n{FMS_BASE}/report/{problem_id}\n",
        "service_code": service_code,
        "first_name": first,
        "last_name": last,
        "email": email,
        "lat": f"{lat:.6f}".rstrip("0").rstrip("."),  # Utils::truncate_coordinate
        "long": f"{lng:.6f}".rstrip("0").rstrip("."),
    }
    if image_urls:
        params["media_url"] = list(image_urls) if multi_photos else image_urls[0]
    for field, value in (extra_fields or {}).items():
        params[f"attribute[{field.removeprefix('fms_extra_')}]"] = value
    if uprn:
        params["attribute[uprn]"] = uprn
    return params


def update_params(
    *,
    comment_id: int,
    service_request_id: str,
    text: str,
    name: str,
    email: str,
    confirmed: str,
    problem_open: bool,
    photo_urls: list[str] | None = None,
    multi_photos: bool = False,
) -> dict[str, str | list[str]]:
    first, last = split_name(name)
    params: dict[str, str | list[str]] = {
        "updated_datetime": confirmed,
        "service_request_id": service_request_id,
        "status": "OPEN" if problem_open else "CLOSED",
        "description": text,
        "last_name": last or "-",
        "first_name": first,
        "email": email,
        "update_id": str(comment_id),
    }
    if photo_urls:
        params["media_url"] = list(photo_urls) if multi_photos else photo_urls[0]
    return params


def with_credentials(params: dict, api_key: str, jurisdiction: str = "jakarta.go.id") -> dict:
    """What _request adds to a POST."""
    return {**params, "jurisdiction_id": jurisdiction, "api_key": api_key}


def urlencoded(params: dict[str, str | list[str]]) -> bytes:
    """HTTP::Request::Common's POST of a hash: an array value repeats its name."""
    return urlencode(list(_pairs(params))).encode()


def multipart(
    params: dict[str, str | list[str]], photos: list[tuple[str, bytes]], problem_id: int
) -> tuple[str, bytes]:
    """(Content-Type, body) of a POST with files: the fields (arrays flattened into
    repeated names), then ``photo1``, ``photo2``... ``photos``: (content type, bytes)."""
    params = {name: value for name, value in params.items() if name != "media_url"}  # uploads replace links
    boundary = "xYzZY" + secrets.token_hex(8)
    chunks: list[bytes] = []
    for name, value in _pairs(params):
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
        )
    for number, (content_type, data) in enumerate(photos, start=1):
        extension = content_type.split("/", 1)[1]
        filename = f"{problem_id}.{number - 1}.full.{extension}"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo{number}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        chunks.append(head.encode() + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)


def _pairs(params: dict[str, str | list[str]]):
    for name, value in params.items():
        for one in value if isinstance(value, list) else [value]:
            yield name, one
