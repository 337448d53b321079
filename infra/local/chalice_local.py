"""`chalice local`, with a listen backlog fit for many concurrent clients.

Chalice's local server is Python's threading HTTPServer, whose accept queue
holds 5 connections; providers retrying in bursts (and the load test) overflow
it and see connection resets. This runs the very same `chalice local` command
with a deeper queue. Nothing else changes.

    python -m infra.local.chalice_local local --port 8000 --stage local
"""

from __future__ import annotations

import faulthandler
import signal
import sys


def main() -> int:
    from chalice import local
    from chalice.cli import main as chalice_main

    local.ThreadedHTTPServer.request_queue_size = 256
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: where is it stuck?
    sys.argv = ["chalice", *sys.argv[1:]]
    return chalice_main()


if __name__ == "__main__":
    sys.exit(main())
