"""The local AWS stand-in: moto in server mode, a real HTTP endpoint on 127.0.0.1.

    python -m infra.local.aws_server --port 4566

One thing is added to moto's own server: requests are applied one at a time.
DynamoDB guarantees that a conditional write is atomic; moto's threaded server
checks a condition and writes in two steps, so two concurrent deliveries of
one report could both pass the check. Serialising requests gives the stand-in
the guarantee the real service has. (moto is CPU-bound Python, so little
throughput is lost.)
"""

from __future__ import annotations

import argparse
import faulthandler
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any


def serialized(app: Callable[..., Iterable[bytes]]) -> Callable[..., list[bytes]]:
    """Wrap a WSGI app so one request is handled at a time, body included."""
    lock = threading.Lock()

    def handle(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with lock:
            result = app(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()

    return handle


def make_server(host: str, port: int) -> Any:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server as werkzeug_server

    class QuietHandler(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:  # one line per AWS call is noise
            pass

    app = serialized(DomainDispatcherApplication(create_backend_app))
    return werkzeug_server(host, port, app, threaded=True, request_handler=QuietHandler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: where is it stuck?
    print(f"local AWS (moto) listening on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
