"""`chalice local`, with a listen backlog fit for many concurrent clients.

Chalice's local server is Python's threading HTTPServer, whose accept queue
holds 5 connections; providers retrying in bursts (and the load test) overflow
it and see connection resets. This runs the very same `chalice local` command
with a deeper queue.

And, when ``CRM_LOCAL_READY_FILE`` names a file (infra/local/devstack.py sets
it), ``GET /health`` answers ``503 {"status": "starting"}`` until that file
exists: `make run` creates it once the demo data is loaded and the event
runner is up, so a 200 from /health means the whole local stack is ready.
And it routes greedy path parameters as API Gateway does: a route
``/open311/{proxy+}`` takes every path below /open311 that no other route
matches (chalice local matches whole segments only; see ``route_greedy_paths``).

And, in the local stage only (CRM_STAGE=local), a request's
``X-Crm-Local-Source-Ip`` header becomes its ``requestContext.identity.sourceIp``
(chalice local gives every request 127.0.0.1), so tests can be several clients
of the rate limits (api/limits.py). The app never reads that header: in AWS,
API Gateway sets ``sourceIp`` from the connection and this wrapper does not run.

    python -m infra.local.chalice_local local --port 8000 --stage local
"""

from __future__ import annotations

import faulthandler
import ipaddress
import json
import os
import signal
import sys
from typing import Any

READY_FILE_ENV = "CRM_LOCAL_READY_FILE"
STARTING = {"status": "starting", "service": "crm", "message": "the local stack is still starting"}
SOURCE_IP_HEADER = "x-crm-local-source-ip"


def honour_source_ip_header(converter_class: Any) -> None:  # chalice.local.LambdaEventConverter, patched
    """Let ``X-Crm-Local-Source-Ip: <address>`` set the event's sourceIp (local stage, tests)."""
    plain = converter_class.create_lambda_event
    if getattr(plain, "honours_source_ip_header", False):
        return

    def create_lambda_event(self, method, path, headers, body=None):  # noqa: ANN001 - chalice's signature
        event = plain(self, method, path, headers, body)
        given = (event.get("headers") or {}).get(SOURCE_IP_HEADER)
        if given:
            try:
                address = str(ipaddress.ip_address(given.strip()))
            except ValueError:
                return event
            event["requestContext"]["identity"]["sourceIp"] = address
        return event

    create_lambda_event.honours_source_ip_header = True  # type: ignore[attr-defined]  # a mark: patched once
    converter_class.create_lambda_event = create_lambda_event


def gate_health_until_ready(handler_class: Any, ready_file: str) -> None:  # chalice.local.ChaliceRequestHandler
    """Make the local server's GET/HEAD /health answer 503 "starting" while ``ready_file`` is absent."""
    plain_get, plain_head = handler_class.do_GET, handler_class.do_HEAD

    def starting(self) -> bool:
        if self.path.split("?", 1)[0] != "/health" or os.path.exists(ready_file):
            return False
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = json.dumps(STARTING).encode()
        self._send_http_response(503, {"Content-Type": "application/json", "Retry-After": "1"}, body)
        return True

    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's name
        if not starting(self):
            plain_get(self)

    def do_HEAD(self) -> None:  # noqa: N802
        if not starting(self):
            plain_head(self)

    handler_class.do_GET, handler_class.do_HEAD = do_GET, do_HEAD


def route_greedy_paths(matcher_class: Any) -> None:  # chalice.local.RouteMatcher, patched
    """Teach chalice local's RouteMatcher API Gateway's greedy parameter: a route
    whose last segment is ``{name+}`` matches any deeper path under its prefix,
    when no route of the exact shape does (API Gateway prefers the specific one)."""
    from chalice.local import MatchResult

    plain_match = matcher_class.match_route

    def match_route(self, url: str):
        try:
            return plain_match(self, url)
        except ValueError:
            pass
        from urllib.parse import parse_qs, urlparse

        parsed = urlparse(url)
        path = parsed.path.rstrip("/") or "/"
        parts = path.split("/")
        greedy = [route for route in self.route_urls if route.endswith("+}")]
        for route in sorted(greedy, key=lambda r: -r.count("/")):  # the deepest prefix first
            prefix = route.split("/")[:-1]
            if len(parts) > len(prefix) and all(
                want.startswith("{") or want == have for want, have in zip(prefix, parts, strict=False)
            ):
                name = route.split("/")[-1][1:-2]
                tail = "/".join(parts[len(prefix) :])
                return MatchResult(route, {name: tail}, parse_qs(parsed.query, keep_blank_values=True))
        raise ValueError(f"No matching route found for: {url}")

    matcher_class.match_route = match_route


def main() -> int:
    from chalice import local
    from chalice.cli import main as chalice_main

    local.ThreadedHTTPServer.request_queue_size = 256
    if os.environ.get("CRM_STAGE") == "local":
        honour_source_ip_header(local.LambdaEventConverter)
    route_greedy_paths(local.RouteMatcher)
    if os.environ.get(READY_FILE_ENV):
        gate_health_until_ready(local.ChaliceRequestHandler, os.environ[READY_FILE_ENV])
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: where is it stuck?
    sys.argv = ["chalice", *sys.argv[1:]]
    return chalice_main()


if __name__ == "__main__":
    sys.exit(main())
