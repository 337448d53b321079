"""Injected AWS faults: AWS's own failure answers, at a chosen rate, on the local stand-in.

Two ways in, one fault model:

* ``FaultProxy`` -- a small HTTP proxy in front of the moto server. Point any
  process's ``AWS_ENDPOINT_URL`` at it (``chalice local`` in a subprocess,
  the event runner, a script) and a chosen share of its AWS calls fail.

      python -m infra.local.faults --upstream http://127.0.0.1:4566 --port 4567 --rate 0.2

* ``BotocoreFaults`` -- the same plan as a botocore ``before-send`` hook on
  clients in this process (no extra hop; for in-process tests).

What a fault looks like (``CATALOGUE``): the error responses AWS really sends,
in each service's wire protocol, so botocore parses them exactly as it would
in AWS (its retries, our ``aws.unavailable_on_transient``) --
DynamoDB ProvisionedThroughputExceeded / Throttling / InternalServerError,
S3 SlowDown / 500 / 503, SNS and SQS throttling and 500s, KMS throttling and
internal errors -- plus the failures that are not answers at all:

    lost_request   the connection drops before AWS saw the call (nothing applied)
    lost_response  AWS applied the call, then the connection dropped: the
                   caller cannot tell it from a timeout (the nasty case)
    slow           the answer comes ``slow_seconds`` late (a real timeout if
                   that exceeds the client's read timeout)

A ``FaultPlan`` holds rules (service / operation / rate / which faults /
at most how many), a seeded random generator and counters of every call seen
and every fault injected, so tests assert on what really happened. With
concurrent callers the order of decisions follows thread scheduling; the
seed fixes the sequence of draws, not which thread gets which.
"""

from __future__ import annotations

import argparse
import fnmatch
import http.client
import json
import random
import re
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# --- the fault model -----------------------------------------------------------------

ERROR, LOST_REQUEST, LOST_RESPONSE, SLOW = "error", "lost_request", "lost_response", "slow"


@dataclass(frozen=True)
class Fault:
    code: str  # the AWS error code (or the kind, for faults that are not answers)
    status: int = 0  # HTTP status of the error answer
    kind: str = ERROR
    message: str = "Injected fault"


_NOT_ANSWERS = (
    Fault(LOST_REQUEST, kind=LOST_REQUEST),
    Fault(LOST_RESPONSE, kind=LOST_RESPONSE),
)

# Per service (botocore's hyphenated service id): what AWS answers when it
# cannot take a call right now.
CATALOGUE: dict[str, tuple[Fault, ...]] = {
    "dynamodb": (
        Fault(
            "ProvisionedThroughputExceededException",
            400,
            message="The level of configured provisioned throughput for the table was exceeded.",
        ),
        Fault("ThrottlingException", 400, message="Rate of requests exceeds the allowed throughput."),
        Fault("InternalServerError", 500, message="Internal server error"),
        Fault("RequestLimitExceeded", 400, message="Throughput exceeds the current throughput limit for your account."),
    ),
    "dynamodb-streams": (
        Fault("LimitExceededException", 400, message="Too many requests"),
        Fault("InternalServerError", 500, message="Internal server error"),
    ),
    "s3": (
        Fault("SlowDown", 503, message="Please reduce your request rate."),
        Fault("InternalError", 500, message="We encountered an internal error. Please try again."),
        Fault("ServiceUnavailable", 503, message="Service is unable to handle request."),
    ),
    "sns": (
        Fault("Throttling", 400, message="Rate exceeded"),
        Fault("InternalError", 500, message="Internal error"),
    ),
    "sqs": (
        Fault("RequestThrottled", 400, message="Request is throttled."),
        Fault("InternalError", 500, message="Internal error"),
        Fault("ServiceUnavailable", 503, message="Service unavailable"),
    ),
    "kms": (
        Fault("ThrottlingException", 400, message="Rate exceeded"),
        Fault("KMSInternalException", 500, message="Internal error"),
        Fault("DependencyTimeoutException", 503, message="Dependency timeout"),
    ),
}


def faults_for(service: str, names: Iterable[str | Fault] | None = None) -> tuple[Fault, ...]:
    """The service's catalogue plus the lost calls; or only the named ones
    (catalogue codes, ``slow``, or any other AWS answer given as a ``Fault``)."""
    available = {fault.code: fault for fault in CATALOGUE.get(service, ()) + _NOT_ANSWERS}
    available.setdefault(SLOW, Fault(SLOW, kind=SLOW))
    if names is None:
        return CATALOGUE.get(service, ()) + _NOT_ANSWERS
    return tuple(
        name if isinstance(name, Fault) else available[name]
        for name in names
        if isinstance(name, Fault) or name in available
    )


@dataclass
class Rule:
    """Fail ``rate`` of the matching calls (``*`` and fnmatch patterns allowed)."""

    service: str = "*"
    operation: str = "*"
    rate: float = 0.2
    faults: tuple[str | Fault, ...] | None = None  # codes/kinds or Faults; None: catalogue + lost calls
    limit: int | None = None  # inject at most this many, then let calls through
    injected: int = 0

    def matches(self, service: str, operation: str) -> bool:
        return fnmatch.fnmatchcase(service, self.service) and fnmatch.fnmatchcase(operation, self.operation)


@dataclass
class FaultPlan:
    rules: list[Rule] = field(default_factory=list)
    seed: int = 0
    slow_seconds: float = 6.0  # above the app's 5 s read timeout: a real timeout
    seen: Counter = field(default_factory=Counter)  # (service, operation) -> calls
    injected: Counter = field(default_factory=Counter)  # (service, operation, fault code) -> injections

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def configure(self, *rules: Rule, seed: int | None = None) -> FaultPlan:
        """Replace the rules (and reseed); counters are kept -- see ``reset``."""
        with self._lock:
            self.rules = list(rules)
            if seed is not None:
                self.seed = seed
                self._random = random.Random(seed)
        return self

    def reset(self) -> None:
        with self._lock:
            self.seen.clear()
            self.injected.clear()

    def decide(self, service: str, operation: str) -> Fault | None:
        with self._lock:
            self.seen[(service, operation)] += 1
            for rule in self.rules:
                if not rule.matches(service, operation):
                    continue
                if rule.limit is not None and rule.injected >= rule.limit:
                    return None
                if self._random.random() >= rule.rate:
                    return None
                choices = faults_for(service, rule.faults)
                if not choices:
                    return None
                fault = self._random.choice(choices)
                rule.injected += 1
                self.injected[(service, operation, fault.code)] += 1
                return fault
            return None

    def total_seen(self, service: str = "*", operation: str = "*") -> int:
        return sum(
            n
            for (s, o), n in self.seen.items()
            if fnmatch.fnmatchcase(s, service) and fnmatch.fnmatchcase(o, operation)
        )

    def total_injected(self, service: str = "*", operation: str = "*", code: str = "*") -> int:
        return sum(
            n
            for (s, o, c), n in self.injected.items()
            if fnmatch.fnmatchcase(s, service) and fnmatch.fnmatchcase(o, operation) and fnmatch.fnmatchcase(c, code)
        )

    def summary(self) -> dict[str, Any]:
        return {
            "calls": self.total_seen(),
            "faults": self.total_injected(),
            "by_fault": dict(sorted(Counter({f"{s}.{o}:{c}": n for (s, o, c), n in self.injected.items()}).items())),
        }


# --- which call is this? -------------------------------------------------------------

_TARGET_SERVICES = {
    "DynamoDB_20120810": "dynamodb",
    "DynamoDBStreams_20120810": "dynamodb-streams",
    "TrentService": "kms",
    "AmazonSQS": "sqs",
}
_CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def classify(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[str, str, str]:
    """(service id, operation, wire protocol) of an AWS request."""
    lower = {name.lower(): value.decode() if isinstance(value, bytes) else value for name, value in headers.items()}
    target = lower.get("x-amz-target")
    if target and "." in target:
        prefix, operation = target.split(".", 1)
        return _TARGET_SERVICES.get(prefix, prefix.lower()), operation, "json"
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    scope = _CREDENTIAL.search(lower.get("authorization", "")) or _CREDENTIAL.search(
        "Credential=" + "".join(query.get("X-Amz-Credential", []))
    )
    service = scope.group(1) if scope else "unknown"
    content_type = lower.get("content-type", "")
    if service != "s3" and (content_type.startswith("application/x-www-form-urlencoded") or "Action" in query):
        form = parse_qs(body.decode("utf-8", "replace")) if body else {}
        action = (form.get("Action") or query.get("Action") or ["Unknown"])[0]
        return service, action, "query"
    return service, _s3_operation(method, parts.path, query, lower), "rest-xml"


def _s3_operation(method: str, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> str:
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) >= 2:  # path-style: /bucket/key
        if method == "PUT":
            return (
                "CopyObject"
                if "x-amz-copy-source" in headers
                else ("UploadPart" if "partNumber" in query else "PutObject")
            )
        post = "CreateMultipartUpload" if "uploads" in query else "CompleteMultipartUpload"
        return {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject", "POST": post}.get(method, method)
    if method == "GET":
        return "ListObjectsV2" if "list-type" in query else "GetBucket"
    if method == "POST" and "delete" in query:
        return "DeleteObjects"
    return {"HEAD": "HeadBucket", "PUT": "PutBucket", "DELETE": "DeleteBucket"}.get(method, method)


# --- what AWS answers ------------------------------------------------------------------

_JSON_PREFIX = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810#",
    "sqs": "com.amazonaws.sqs#",
    "dynamodb-streams": "com.amazonaws.dynamodb.v20120810#",
    "kms": "",
}


def render(fault: Fault, service: str, protocol: str, method: str = "POST") -> tuple[int, dict[str, str], bytes]:
    """The HTTP answer AWS gives for this fault, in the service's protocol."""
    request_id = uuid.uuid4().hex
    if protocol == "json":
        body = json.dumps({"__type": _JSON_PREFIX.get(service, "") + fault.code, "message": fault.message}).encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "x-amzn-RequestId": request_id,
            "x-amzn-ErrorType": fault.code,
        }
        if service == "sqs":
            headers["x-amzn-query-error"] = f"{fault.code};{'Sender' if fault.status < 500 else 'Receiver'}"
    elif protocol == "query":
        kind = "Sender" if fault.status < 500 else "Receiver"
        body = (
            f'<ErrorResponse xmlns="http://{service}.amazonaws.com/doc/2010-03-31/"><Error><Type>{kind}</Type>'
            f"<Code>{fault.code}</Code><Message>{fault.message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
    else:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<Error><Code>{fault.code}</Code><Message>{fault.message}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers = {"Content-Type": "application/xml", "x-amz-request-id": request_id}
        if method == "HEAD":
            body = b""
    if fault.code in ("SlowDown", "ServiceUnavailable", "Throttling", "ThrottlingException"):
        headers["Retry-After"] = "1"
    return fault.status, headers, body


# --- the proxy -----------------------------------------------------------------------

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, *args: Any) -> None:  # one line per AWS call is noise
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's
        # algorithm meets the client's delayed ACK and every answer waits 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._body()
        headers = {name: value for name, value in self.headers.items()}
        service, operation, protocol = classify(self.command, self.path, headers, body)
        fault = self.server.plan.decide(service, operation)
        if fault is not None and fault.kind == ERROR:
            self._answer(*render(fault, service, protocol, self.command))
            return
        if fault is not None and fault.kind == LOST_REQUEST:
            self._drop()
            return
        if fault is not None and fault.kind == SLOW:
            time.sleep(self.server.plan.slow_seconds)
        status, reply_headers, reply_body = self.server.forward(self.command, self.path, headers, body)
        if fault is not None and fault.kind == LOST_RESPONSE:
            self._drop()
            return
        self._answer(status, reply_headers, reply_body, keep_length=self.command == "HEAD")

    def _answer(self, status: int, headers: dict[str, str], body: bytes, keep_length: bool = False) -> None:
        self.send_response_only(status)
        for name, value in headers.items():
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        length = headers.get("Content-Length", headers.get("content-length")) if keep_length else None
        self.send_header("Content-Length", str(length if length is not None else len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _handle


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], upstream: str, plan: FaultPlan):
        super().__init__(address, _Handler)
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname or "127.0.0.1", parts.port or 80
        self.plan = plan
        self._local = threading.local()

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        outgoing = {name: value for name, value in headers.items() if name.lower() not in _HOP_BY_HOP}
        if body or method in ("POST", "PUT", "PATCH"):
            outgoing["Content-Length"] = str(len(body))
        for attempt in (1, 2):  # a pooled connection moto closed: reconnect once
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = self._local.connection = http.client.HTTPConnection(
                    self.upstream_host, self.upstream_port, timeout=60
                )
                connection.connect()
                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                connection.request(method, path, body=body, headers=outgoing)
                response = connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    self._local.connection = None
                return response.status, dict(response.getheaders()), data
            except (http.client.HTTPException, OSError):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


class FaultProxy:
    """The proxy, served from a background thread of this process."""

    def __init__(self, upstream: str, plan: FaultPlan | None = None, host: str = "127.0.0.1", port: int = 0):
        self.plan = plan or FaultPlan()
        self._server = _ProxyServer((host, port), upstream, self.plan)
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()


# --- the in-process variant ------------------------------------------------------------


class _RawBody:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_: Any) -> Iterable[bytes]:
        yield self._body

    def read(self, *_: Any) -> bytes:
        return self._body


class BotocoreFaults:
    """The plan as a ``before-send`` hook on boto3 clients of this process."""

    def __init__(self, plan: FaultPlan | None = None):
        self.plan = plan or FaultPlan()
        self._clients: list[Any] = []

    def install(self, *clients: Any) -> BotocoreFaults:
        for client in clients:
            client.meta.events.register_first("before-send", self._before_send)
            self._clients.append(client)
        return self

    def uninstall(self) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-send", self._before_send)
        self._clients.clear()

    def _before_send(self, request: Any, event_name: str = "", **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse
        from botocore.exceptions import ConnectionClosedError

        service, operation = (event_name.split(".", 2) + ["", ""])[1:3]
        fault = self.plan.decide(service, operation)
        if fault is None:
            return None
        if fault.kind == ERROR:
            body = request.body if isinstance(request.body, bytes) else (request.body or b"")
            protocol = classify(
                request.method, request.url, dict(request.headers), body if isinstance(body, bytes) else b""
            )[2]
            status, headers, payload = render(fault, service, protocol, request.method)
            return AWSResponse(request.url, status, headers, _RawBody(payload))
        if fault.kind == SLOW:
            time.sleep(self.plan.slow_seconds)
            return None
        if fault.kind == LOST_RESPONSE:
            from botocore.httpsession import URLLib3Session

            URLLib3Session().send(request)  # AWS applies it; the answer never arrives
        raise ConnectionClosedError(endpoint_url=request.url)


# --- command line --------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", default="http://127.0.0.1:4566")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4567)
    parser.add_argument("--rate", type=float, default=0.2, help="share of every AWS call that fails")
    parser.add_argument("--service", default="*")
    parser.add_argument("--operation", default="*")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    plan = FaultPlan([Rule(args.service, args.operation, args.rate)], seed=args.seed)
    proxy = FaultProxy(args.upstream, plan, args.host, args.port)
    print(
        f"fault proxy on {proxy.url} -> {args.upstream}: {args.rate:.0%} of {args.service}.{args.operation} fail",
        flush=True,
    )
    proxy.start()
    try:
        while True:
            time.sleep(10)
            print(json.dumps(plan.summary()), flush=True)
    except KeyboardInterrupt:
        proxy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
