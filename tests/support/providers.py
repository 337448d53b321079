"""Provider stand-ins for tests: payloads in each provider's documented shape,
signed the way the provider signs, and a local fake HTTP server that records
what we send to provider APIs and answers like them."""

from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from chalicelib.channels import meta, x
from chalicelib.channels.twilio_sms import sign as twilio_sign
from chalicelib.config import DEV_SECRETS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "channels"


def fixture(name: str) -> Any:
    return copy.deepcopy(json.loads((FIXTURES / name).read_text()))


def unique(prefix: str) -> str:
    return f"{prefix}{time.time_ns()}"


# --- Twilio ----------------------------------------------------------------------------


def twilio_sid(prefix: str = "SM") -> str:
    return prefix + f"{time.time_ns():032x}"[-32:]


def phone_number(prefix: str = "+62812") -> str:
    """A valid-looking Indonesian mobile number, different every call (one sender per test)."""
    return f"{prefix}{time.time_ns() // 1000 % 10**8:08d}"


def twilio_form(**overrides: str) -> dict[str, str]:
    params = fixture("twilio_sms.json")
    params["MessageSid"] = params["SmsSid"] = twilio_sid()
    params["From"] = phone_number()
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def twilio_request(base_url: str, channel: str, params: dict[str, str], token: str | None = None):
    """(path, body bytes, headers) of a Twilio webhook POST."""
    path = f"/webhooks/{channel}"
    signature = twilio_sign(token or DEV_SECRETS["TWILIO_AUTH_TOKEN"], base_url + path, params)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    return path, urlencode(params).encode(), headers


# --- Meta ------------------------------------------------------------------------------


def meta_headers(body: bytes, secret: str | None = None) -> dict[str, str]:
    return {"Content-Type": "application/json", **meta.signature_header(secret or DEV_SECRETS["META_APP_SECRET"], body)}


def whatsapp_text(text: str = "Sampah menumpuk di depan pasar", sender: str | None = None, **message) -> dict:
    sender = sender or phone_number("62813")
    payload = fixture("whatsapp_text.json")
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = sender
    msg = value["messages"][0]
    msg.update({"from": sender, "id": unique("wamid.HBgM"), "timestamp": str(int(time.time()) - 5)})
    msg["text"]["body"] = text
    msg.update(message)
    return payload


def whatsapp_message(message: dict, sender: str | None = None) -> dict:
    payload = whatsapp_text(sender=sender)
    base = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    base.pop("text")
    base.update(message)
    return payload


def messenger(
    text: str | None = "Jalan berlubang di depan halte", sender: str | None = None, attachments: list | None = None
) -> dict:
    sender = sender or str(time.time_ns())
    payload = fixture("messenger_message.json")
    event = payload["entry"][0]["messaging"][0]
    event["sender"]["id"] = sender
    event["timestamp"] = int(time.time() * 1000) - 5000
    event["message"]["mid"] = unique("m_")
    if text is None:
        event["message"].pop("text")
    else:
        event["message"]["text"] = text
    if attachments is not None:
        event["message"]["attachments"] = attachments
    return payload


def feed_comment(text: str = "Lampu jalan mati sejak seminggu", author: str = "7788990011") -> dict:
    payload = fixture("page_feed_comment.json")
    value = payload["entry"][0]["changes"][0]["value"]
    value["comment_id"] = unique("1234567890_")
    value["message"] = text
    value["from"]["id"] = author
    value["created_time"] = int(time.time()) - 5
    return payload


# --- X ---------------------------------------------------------------------------------


def x_headers(body: bytes, secret: str | None = None) -> dict[str, str]:
    return {"Content-Type": "application/json", **x.signature_header(secret or DEV_SECRETS["X_CONSUMER_SECRET"], body)}


def x_mention(text: str = "@DKIJakarta sampah menumpuk di Jl. Sabang", author: str | None = None) -> dict:
    author = author or str(time.time_ns() % 10**12)
    payload = fixture("x_tweet_create.json")
    tweet = payload["tweet_create_events"][0]
    tweet["id_str"] = str(time.time_ns())
    tweet["id"] = int(tweet["id_str"])
    tweet["text"] = text
    tweet["user"]["id_str"] = author
    tweet["user"]["id"] = int(author)
    tweet["timestamp_ms"] = str(int(time.time() * 1000) - 5000)
    return payload


def x_dm(text: str = "Parkir liar di trotoar Jl. Wahid Hasyim", sender: str | None = None, media: dict | None = None):
    sender = sender or str(time.time_ns() % 10**12)
    payload = fixture("x_direct_message.json")
    event = payload["direct_message_events"][0]
    event["id"] = str(time.time_ns())
    event["created_timestamp"] = str(int(time.time() * 1000) - 5000)
    event["message_create"]["sender_id"] = sender
    event["message_create"]["message_data"]["text"] = text
    if media is not None:
        event["message_create"]["message_data"]["attachment"] = {"type": "media", "media": media}
    return payload


def dumps(payload: Any) -> bytes:
    return json.dumps(payload).encode()


# --- a fake provider API ---------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.body.decode()))


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/json"


@dataclass
class FakeProvider:
    """Threaded HTTP server on 127.0.0.1 and a free port; records every request.
    ``routes`` maps "METHOD /path" to an Answer (or a list, consumed in order)."""

    routes: dict[str, Any] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def start(self) -> FakeProvider:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path
                fake.requests.append(
                    Recorded(self.command, path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                answer = fake.routes.get(f"{self.command} {path.split('?')[0]}", Answer(404, b'{"error": "no route"}'))
                if isinstance(answer, list):
                    answer = answer.pop(0) if len(answer) > 1 else answer[0]
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.split("?")[0] == path]
