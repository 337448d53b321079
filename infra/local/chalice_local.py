"""`chalice local`, with a listen backlog fit for many concurrent clients.

Chalice's local server is Python's threading HTTPServer, whose accept queue
holds 5 connections; providers retrying in bursts (and the load test) overflow
it and see connection resets. This runs the very same `chalice local` command
with a deeper queue.

And, when ``CRM_LOCAL_READY_FILE`` names a file (infra/local/devstack.py sets
it), ``GET /health`` answers ``503 {"status": "starting"}`` until that file
exists: `make run` creates it once the demo data is loaded and the event
runner is up, so a 200 from /health means the whole local stack is ready.
Nothing else changes.

    python -m infra.local.chalice_local local --port 8000 --stage local
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import sys

READY_FILE_ENV = "CRM_LOCAL_READY_FILE"
STARTING = {"status": "starting", "service": "crm", "message": "the local stack is still starting"}


def gate_health_until_ready(handler_class: type, ready_file: str) -> None:
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


def main() -> int:
    from chalice import local
    from chalice.cli import main as chalice_main

    local.ThreadedHTTPServer.request_queue_size = 256
    if os.environ.get(READY_FILE_ENV):
        gate_health_until_ready(local.ChaliceRequestHandler, os.environ[READY_FILE_ENV])
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: where is it stuck?
    sys.argv = ["chalice", *sys.argv[1:]]
    return chalice_main()


if __name__ == "__main__":
    sys.exit(main())
