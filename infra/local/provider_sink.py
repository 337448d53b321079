"""A local stand-in for the provider APIs (Twilio, Meta Graph, X) under `make run`.

The real APIs are not reachable from a development machine (and must not be
called with development credentials), so `make run` points
TWILIO_API_BASE_URL, META_GRAPH_BASE_URL and X_API_BASE_URL here unless they
are set. Every reply the app sends is accepted with 200 and printed as one
line: the API path (long ids masked) and the message text -- never the
recipient's address. Media downloads get 404 (the app drops such a photo).
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any
from urllib.parse import parse_qsl

_LONG_ID = re.compile(r"\d{6,}|whatsapp:\+?\d+|\+\d{6,}")


def _text_of(body: bytes, content_type: str) -> str:
    try:
        if "json" in content_type:
            document = json.loads(body or b"{}")
            for path in (("text", "body"), ("message", "text"), ("text",), ("message",)):
                value: Any = document
                for key in path:
                    value = value.get(key) if isinstance(value, dict) else None
                if isinstance(value, str):
                    return value
        else:
            return dict(parse_qsl(body.decode())).get("Body", "")
    except (ValueError, UnicodeDecodeError):
        pass
    return ""


class ProviderSink:
    def __init__(self, output: IO[str]):
        self.output = output
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                text = _text_of(body, self.headers.get("Content-Type", ""))
                path = _LONG_ID.sub("…", self.path.split("?")[0])
                print(f"[provider stand-in] {self.command} {path}: {text}", file=sink.output, flush=True)
                self._answer(200, b'{"id": "local"}')

            def do_GET(self) -> None:  # noqa: N802
                self._answer(404, b'{"error": "no media in the local stand-in"}')

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="provider-sink", daemon=True)

    def start(self) -> ProviderSink:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
