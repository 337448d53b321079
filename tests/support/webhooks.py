"""How to send each webhook channel a report, for suites parametrised by channel.

Every channel served by ``POST /webhooks/{channel}`` has a ``WebhookProfile``
here: how to write a report in the provider's wire format, how to sign it,
and how an attacker would get the signature wrong. The reliability and
security suites (races, injected faults, signature checks, body limits,
fuzzing, privacy) run once per profile, and a test fails while a channel in
``chalicelib.channels.registry.webhook_channels()`` has no profile -- so a new
channel joins every suite by adding its profile to ``PROFILES``.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.config import DEV_SECRETS


@dataclass(frozen=True)
class Report:
    """A report in neutral terms; each profile writes it in its own format."""

    message_id: str
    description: str = "Sampah menumpuk di trotoar depan pasar"
    category: str = "garbage"
    reporter: dict[str, Any] | None = None  # name / phone / email
    anonymous: bool = False
    photos: tuple[bytes, ...] = ()  # JPEG bytes
    location: dict[str, Any] | None = field(
        default_factory=lambda: {"lat": -6.1754, "lng": 106.8272, "address": "Jl. Medan Merdeka Barat"})


@dataclass(frozen=True)
class Delivery:
    """One HTTP request to send."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Tampering:
    """A way to get authentication wrong; ``make`` turns a good delivery into the bad one."""

    name: str
    make: Callable[[Delivery, WebhookProfile], Delivery]


@dataclass(frozen=True)
class WebhookProfile:
    channel: str
    content_type: str
    encode: Callable[[Report], bytes]
    sign: Callable[[bytes, int], dict[str, str]]  # (raw body, unix time) -> auth headers
    tamperings: tuple[Tampering, ...]
    replay_window_seconds: int | None  # None: the provider's scheme has no timestamp

    @property
    def path(self) -> str:
        return f"/webhooks/{self.channel}"

    def source_key(self, message_id: str) -> str:
        return f"{self.channel}:{message_id}"

    def delivery(self, report: Report, at: int | None = None) -> Delivery:
        """A correctly signed delivery; ``at`` = unix time of signing (now by default)."""
        raw = self.encode(report)
        return self.signed(raw, at)

    def signed(self, raw: bytes, at: int | None = None) -> Delivery:
        headers = {"Content-Type": self.content_type, **self.sign(raw, int(at if at is not None else time.time()))}
        return Delivery(self.path, headers, raw)


# --- partner apps (JAKI, Qlue): X-CRM-Timestamp / X-CRM-Signature -----------------------


def partner_json(report: Report) -> bytes:
    reporter = dict(report.reporter or {})
    reporter["anonymous"] = report.anonymous
    return json.dumps({
        "report_id": report.message_id,
        "category": report.category,
        "description": report.description,
        "location": report.location,
        "reporter": reporter,
        "photos": [{"content_type": "image/jpeg", "data_base64": base64.b64encode(photo).decode()}
                   for photo in report.photos],
        "created_at": "2026-11-23T10:00:00+07:00",
    }).encode()


def _partner_signer(secret_name: str) -> Callable[[bytes, int], dict[str, str]]:
    def sign(raw: bytes, at: int) -> dict[str, str]:
        from chalicelib.channels.partner import signature_headers

        return signature_headers(DEV_SECRETS[secret_name], raw, at)

    return sign


def _replace_header(delivery: Delivery, name: str, value: str | None) -> Delivery:
    headers = {k: v for k, v in delivery.headers.items() if k.lower() != name.lower()}
    if value is not None:
        headers[name] = value
    return Delivery(delivery.path, headers, delivery.body)


def _resign_at(offset: int) -> Callable[[Delivery, WebhookProfile], Delivery]:
    return lambda delivery, profile: profile.signed(delivery.body, int(time.time()) + offset)


def _other_secret(delivery: Delivery, profile: WebhookProfile) -> Delivery:
    from chalicelib.channels.partner import signature_headers

    headers = signature_headers("not-the-partners-secret", delivery.body, int(time.time()))
    return Delivery(delivery.path, {**delivery.headers, **headers}, delivery.body)


def _body_changed(delivery: Delivery, profile: WebhookProfile) -> Delivery:
    document = json.loads(delivery.body)
    document["category"] = "water" if document.get("category") != "water" else "garbage"
    return Delivery(delivery.path, delivery.headers, json.dumps(document).encode())


def _flip_one_hex_digit(delivery: Delivery, profile: WebhookProfile) -> Delivery:
    signature = delivery.headers["X-CRM-Signature"]
    last = signature[-1]
    return _replace_header(delivery, "X-CRM-Signature", signature[:-1] + ("0" if last != "0" else "1"))


PARTNER_TAMPERINGS = (
    Tampering("forged", lambda d, p: _replace_header(d, "X-CRM-Signature", "sha256=" + "ab" * 32)),
    Tampering("one-digit-off", _flip_one_hex_digit),
    Tampering("missing-signature", lambda d, p: _replace_header(d, "X-CRM-Signature", None)),
    Tampering("missing-timestamp", lambda d, p: _replace_header(d, "X-CRM-Timestamp", None)),
    Tampering("empty-signature", lambda d, p: _replace_header(d, "X-CRM-Signature", "")),
    Tampering("wrong-scheme", lambda d, p: _replace_header(d, "X-CRM-Signature", "md5=" + "ab" * 16)),
    Tampering("not-hex", lambda d, p: _replace_header(d, "X-CRM-Signature", "sha256=" + "zz" * 32)),
    Tampering("truncated", lambda d, p: _replace_header(d, "X-CRM-Signature", d.headers["X-CRM-Signature"][:40])),
    Tampering("another-secret", _other_secret),
    Tampering("body-tampered", _body_changed),
    Tampering("timestamp-changed", lambda d, p: _replace_header(
        d, "X-CRM-Timestamp", str(int(d.headers["X-CRM-Timestamp"]) + 1))),
    Tampering("replayed-too-late", _resign_at(-301)),
    Tampering("from-the-future", _resign_at(+301)),
    Tampering("timestamp-not-a-number", lambda d, p: _replace_header(d, "X-CRM-Timestamp", "yesterday")),
)


def partner_profile(channel: str) -> WebhookProfile:
    return WebhookProfile(
        channel=channel,
        content_type="application/json",
        encode=partner_json,
        sign=_partner_signer(f"{channel.upper()}_WEBHOOK_SECRET"),
        tamperings=PARTNER_TAMPERINGS,
        replay_window_seconds=300,
    )


# Every webhook channel. A channel added to the registry must be added here.
PROFILES: dict[str, WebhookProfile] = {
    "jaki": partner_profile("jaki"),
    "qlue": partner_profile("qlue"),
}


def unique_id(prefix: str) -> str:
    return f"{prefix}-{time.time_ns()}"


# --- sending, over HTTP or in process ---------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send(target: Any, delivery: Delivery, method: str = "POST", timeout: float = 30) -> Answer:
    """Send to a base URL (over HTTP) or a chalice.test.Client (in process)."""
    if isinstance(target, str):
        import requests

        response = requests.request(method, target + delivery.path, data=delivery.body, headers=delivery.headers,
                                    timeout=timeout, allow_redirects=False)
        return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content)
    response = target.http.request(method, delivery.path, body=delivery.body, headers=delivery.headers)
    body = response.body if isinstance(response.body, bytes) else (response.body or "").encode()
    return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, body)
