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
import hashlib
import json
import os
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
        default_factory=lambda: {"lat": -6.1754, "lng": 106.8272, "address": "Jl. Medan Merdeka Barat"}
    )


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
    # Partner apps answer 201 + JSON with the tracking code and carry photos,
    # place, category and anonymity. Messaging providers (Twilio, Meta, X)
    # carry a sender and text: the answer is 200 (TwiML or an empty body), and
    # the case's code is derived from the provider's message id.
    messaging: bool = False
    message_id: Callable[[Report], str] = lambda report: report.message_id
    refused_status: int = 401  # a bad signature (Twilio's own examples answer 403)
    # Other channels whose provider signature this URL takes by design (the
    # Governor's URL takes the X account's deliveries too).
    also_takes_signatures_of: tuple[str, ...] = ()

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

    @property
    def created_status(self) -> int:
        return 200 if self.messaging else 201

    def tracking_code(self, report: Report, answer: Answer | None = None, key: bytes | None = None) -> str:
        """The case's code: from the partner's answer, else derived as the app derives it
        (``key``: the deployment's TRACKING_CODE_KEY; the local development one by default)."""
        if answer is not None and not self.messaging:
            return answer.json()["tracking_code"]
        from chalicelib.domain import tracking

        key = key or DEV_SECRETS["TRACKING_CODE_KEY"].encode()
        return tracking.derive_code(key, self.channel, self.message_id(report))


# --- partner apps (JAKI, Qlue): X-CRM-Timestamp / X-CRM-Signature -----------------------


def partner_json(report: Report) -> bytes:
    reporter = dict(report.reporter or {})
    reporter["anonymous"] = report.anonymous
    return json.dumps(
        {
            "report_id": report.message_id,
            "category": report.category,
            "description": report.description,
            "location": report.location,
            "reporter": reporter,
            "photos": [
                {"content_type": "image/jpeg", "data_base64": base64.b64encode(photo).decode()}
                for photo in report.photos
            ],
            "created_at": "2026-11-23T10:00:00+07:00",
        }
    ).encode()


def _partner_signer(secret_name: str) -> Callable[[bytes, int], dict[str, str]]:
    def sign(raw: bytes, at: int) -> dict[str, str]:
        from chalicelib.domain.signatures import signature_headers

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
    from chalicelib.domain.signatures import signature_headers

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
    Tampering(
        "timestamp-changed",
        lambda d, p: _replace_header(d, "X-CRM-Timestamp", str(int(d.headers["X-CRM-Timestamp"]) + 1)),
    ),
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


# --- messaging providers: a sender and a text, in each provider's own format ------------
#
# Deterministic per Report (a retry re-encodes the same message): ids and the
# sender's number derive from ``Report.message_id``; the reporter's phone, if
# given, is the sender (that is what a messaging channel knows of a reporter).


def _digits(seed: str, count: int) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[-count:]


def sender_phone(report: Report) -> str:
    """+62 8xx... : the reporter's phone, else one made for this message (one sender per message)."""
    phone = (report.reporter or {}).get("phone")
    return phone if phone else "+62813" + _digits(report.message_id, 8)


def twilio_sid(report: Report) -> str:
    return "SM" + hashlib.sha256(report.message_id.encode()).hexdigest()[:32]


def twilio_form(report: Report) -> bytes:
    from urllib.parse import urlencode

    return urlencode(
        {
            "MessageSid": twilio_sid(report),
            "SmsSid": twilio_sid(report),
            "AccountSid": DEV_SECRETS["TWILIO_ACCOUNT_SID"],
            "From": sender_phone(report),
            "To": "1708",
            "Body": report.description,
            "NumMedia": "0",
        }
    ).encode()


def public_base_url() -> str:
    """The URL prefix Twilio signs: the app's PUBLIC_BASE_URL (security conftests set it to the stack's)."""
    return os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def _twilio_signer(channel: str, token: str | None = None) -> Callable[[bytes, int], dict[str, str]]:
    def sign(raw: bytes, at: int) -> dict[str, str]:
        from urllib.parse import parse_qsl

        from chalicelib.channels.twilio_sms import sign as twilio_sign

        params = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        url = public_base_url() + f"/webhooks/{channel}"
        return {"X-Twilio-Signature": twilio_sign(token or DEV_SECRETS["TWILIO_AUTH_TOKEN"], url, params)}

    return sign


def _form_changed(delivery: Delivery, profile: WebhookProfile) -> Delivery:
    return Delivery(delivery.path, delivery.headers, delivery.body.replace(b"Body=", b"Body=X", 1))


def _twilio_other_url(delivery: Delivery, profile: WebhookProfile) -> Delivery:
    from urllib.parse import parse_qsl

    from chalicelib.channels.twilio_sms import sign as twilio_sign

    params = dict(parse_qsl(delivery.body.decode(), keep_blank_values=True))
    signature = twilio_sign(DEV_SECRETS["TWILIO_AUTH_TOKEN"], "https://attacker.example/webhooks/sms_1708", params)
    return _replace_header(delivery, "X-Twilio-Signature", signature)


TWILIO_TAMPERINGS = (
    Tampering("forged", lambda d, p: _replace_header(d, "X-Twilio-Signature", "AAAA" * 7)),
    Tampering("missing-signature", lambda d, p: _replace_header(d, "X-Twilio-Signature", None)),
    Tampering("empty-signature", lambda d, p: _replace_header(d, "X-Twilio-Signature", "")),
    Tampering(
        "another-token",
        lambda d, p: _replace_header(
            d, "X-Twilio-Signature", _twilio_signer(p.channel, "not-the-auth-token")(d.body, 0)["X-Twilio-Signature"]
        ),
    ),
    Tampering("signed-for-another-url", _twilio_other_url),
    Tampering("body-tampered", _form_changed),
)


def whatsapp_json(report: Report) -> bytes:
    sender = sender_phone(report).lstrip("+")
    name = (report.reporter or {}).get("name") or "Warga"
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "628111272206",
                                    "phone_number_id": "106540352242922",
                                },
                                "contacts": [{"profile": {"name": name}, "wa_id": sender}],
                                "messages": [
                                    {
                                        "from": sender,
                                        "id": f"wamid.{report.message_id}",
                                        "timestamp": str(int(time.time()) - 5),
                                        "type": "text",
                                        "text": {"body": report.description},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def messenger_json(report: Report) -> bytes:
    page = "112233445566778"
    return json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": page,
                    "time": int(time.time() * 1000),
                    "messaging": [
                        {
                            "sender": {"id": _digits(report.message_id + "/psid", 16)},
                            "recipient": {"id": page},
                            "timestamp": int(time.time() * 1000) - 5000,
                            "message": {"mid": f"m_{report.message_id}", "text": report.description},
                        }
                    ],
                }
            ],
        }
    ).encode()


def x_direct_message_json(report: Report) -> bytes:
    return json.dumps(
        {
            "for_user_id": "1111111111",
            "direct_message_events": [
                {
                    "type": "message_create",
                    "id": _digits(report.message_id, 18),
                    "created_timestamp": str(int(time.time() * 1000) - 5000),
                    "message_create": {
                        "target": {"recipient_id": "1111111111"},
                        "sender_id": _digits(report.message_id + "/user", 12),
                        "message_data": {"text": report.description, "entities": {}},
                    },
                }
            ],
        }
    ).encode()


def _meta_signer(secret: str | None = None) -> Callable[[bytes, int], dict[str, str]]:
    def sign(raw: bytes, at: int) -> dict[str, str]:
        from chalicelib.channels import meta

        return meta.signature_header(secret or DEV_SECRETS["META_APP_SECRET"], raw)

    return sign


def _x_signer(secret: str | None = None) -> Callable[[bytes, int], dict[str, str]]:
    def sign(raw: bytes, at: int) -> dict[str, str]:
        from chalicelib.channels import x

        return x.signature_header(secret or DEV_SECRETS["X_CONSUMER_SECRET"], raw)

    return sign


def _json_changed(delivery: Delivery, profile: WebhookProfile) -> Delivery:
    return Delivery(delivery.path, delivery.headers, delivery.body.replace(b'"text"', b'"text" ', 1))


def _hmac_tamperings(header: str, scheme: str, resign: Callable[[str], Callable[[bytes, int], dict[str, str]]]):
    return (
        Tampering("forged", lambda d, p: _replace_header(d, header, f"{scheme}=" + "ab" * 32)),
        Tampering("missing-signature", lambda d, p: _replace_header(d, header, None)),
        Tampering("empty-signature", lambda d, p: _replace_header(d, header, "")),
        Tampering(
            "wrong-scheme", lambda d, p: _replace_header(d, header, "sha1=" + d.headers[header].split("=", 1)[1])
        ),
        Tampering("truncated", lambda d, p: _replace_header(d, header, d.headers[header][:30])),
        Tampering(
            "another-secret",
            lambda d, p: Delivery(d.path, {**d.headers, **resign("not-the-secret")(d.body, 0)}, d.body),
        ),
        Tampering("body-tampered", _json_changed),
    )


META_TAMPERINGS = _hmac_tamperings("X-Hub-Signature-256", "sha256", _meta_signer)
X_TAMPERINGS = _hmac_tamperings("x-twitter-webhooks-signature", "sha256", _x_signer)


def messaging_profile(
    channel: str, content_type: str, encode, sign, tamperings, message_id, **options: Any
) -> WebhookProfile:
    return WebhookProfile(
        channel=channel,
        content_type=content_type,
        encode=encode,
        sign=sign,
        tamperings=tamperings,
        replay_window_seconds=None,
        messaging=True,
        message_id=message_id,
        **options,
    )


# Every webhook channel. A channel added to the registry must be added here.
PROFILES: dict[str, WebhookProfile] = {
    "jaki": partner_profile("jaki"),
    "qlue": partner_profile("qlue"),
    "sms_1708": messaging_profile(
        "sms_1708",
        "application/x-www-form-urlencoded",
        twilio_form,
        _twilio_signer("sms_1708"),
        TWILIO_TAMPERINGS,
        twilio_sid,
        refused_status=403,
    ),
    "whatsapp": messaging_profile(
        "whatsapp",
        "application/json",
        whatsapp_json,
        _meta_signer(),
        META_TAMPERINGS,
        lambda report: f"wamid.{report.message_id}",
    ),
    "facebook": messaging_profile(
        "facebook",
        "application/json",
        messenger_json,
        _meta_signer(),
        META_TAMPERINGS,
        lambda report: f"m_{report.message_id}",
    ),
    "governor_social": messaging_profile(
        "governor_social",
        "application/json",
        messenger_json,
        _meta_signer(),
        META_TAMPERINGS,
        lambda report: f"m_{report.message_id}",
        also_takes_signatures_of=("x",),
    ),
    "x": messaging_profile(
        "x",
        "application/json",
        x_direct_message_json,
        _x_signer(),
        X_TAMPERINGS,
        lambda report: _digits(report.message_id, 18),
    ),
}
PARTNER_PROFILES = {channel: profile for channel, profile in PROFILES.items() if not profile.messaging}
MESSAGING_PROFILES = {channel: profile for channel, profile in PROFILES.items() if profile.messaging}


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

        response = requests.request(
            method,
            target + delivery.path,
            data=delivery.body,
            headers=delivery.headers,
            timeout=timeout,
            allow_redirects=False,
        )
        return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content)
    response = target.http.request(method, delivery.path, body=delivery.body, headers=delivery.headers)
    body = response.body if isinstance(response.body, bytes) else (response.body or "").encode()
    return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, body)
