"""boto3 clients, made lazily and once per process.

The endpoint is never chosen here: boto3 reads the standard AWS_ENDPOINT_URL
(or AWS_ENDPOINT_URL_<SERVICE>) variables, so the same code talks to the local
moto server and to AWS. boto3 itself is imported on first use, keeping it off
the cold-start path of handlers that never call AWS.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.config import settings

_clients: dict[str, Any] = {}
_session: Any = None  # one boto3 session for every client: its loader reads endpoints and models once
_lock = threading.Lock()

# Error codes AWS uses for "slow down" and "try again": the request may be
# retried unchanged. Anything else is our bug or bad input.
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",  # SQS
        "SlowDown",
        "InternalServerError",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "TransactionInProgressException",
        "RequestTimeout",
        "RequestTimeoutException",
        "KMSInternalException",
    }
)


class ServiceUnavailable(Exception):
    """AWS could not take the request now (throttled, 5xx, timed out).

    Nothing was changed by the failed call; the caller should answer 503 with
    Retry-After so the sender tries again.
    """

    def __init__(self, service: str, reason: str):
        self.service = service
        self.reason = reason
        super().__init__(f"{service} unavailable: {reason}")


def client(service: str) -> Any:
    existing = _clients.get(service)
    if existing is not None:
        return existing
    global _session
    with _lock:
        if service not in _clients:
            import logging

            import boto3
            from botocore.config import Config

            # botocore's INFO lines ("Found credentials in environment variables")
            # are noise in every request log.
            logging.getLogger("botocore").setLevel(logging.WARNING)

            config = Config(
                retries={"mode": "standard", "max_attempts": 3},
                connect_timeout=2,
                read_timeout=5,
                max_pool_connections=64,
            )
            # Sessions are not thread-safe, clients are: clients are made under the lock. A session per
            # client would load botocore's endpoint data and defaults again for each (100 ms for the
            # four clients of a first webhook; bench/cold_start.py).
            if _session is None:
                _session = boto3.session.Session(botocore_session=_botocore_session())
            _clients[service] = _session.client(service, region_name=settings().region, config=config)
    return _clients[service]


def _botocore_session() -> Any:
    """botocore's session with a loader that finds a service by its directory alone.

    Before the first client of each model kind (the API, the endpoint rules), botocore's own
    loader lists all ~450 services it ships and checks each one's model file on disk, only to
    ask whether the one name wanted is among them: about 9 ms per kind, 18 ms of every cold
    start (bench/cold_start.py). Here the names are the service directories on the data path
    (one listing each). The model itself is still found and loaded by botocore; a directory
    without the model asked for fails there (DataNotFoundError) rather than here
    (UnknownServiceError). AWS_DATA_PATH is honoured as botocore honours it.
    """
    import botocore.session
    from botocore.loaders import Loader

    class ServiceDirectories(Loader):
        def list_available_services(self, type_name: str) -> list[str]:
            names: set[str] = set()
            for path in self.search_paths:
                try:
                    names.update(entry for entry in os.listdir(path) if "." not in entry)  # files have a suffix
                except OSError:
                    continue  # ~/.aws/models, or a data path that does not exist
            return sorted(names)

    session = botocore.session.get_session()
    data_path = session.get_config_variable("data_path")
    extra = [os.path.expanduser(os.path.expandvars(path)) for path in data_path.split(os.pathsep)] if data_path else []
    session.register_component("data_loader", ServiceDirectories(extra_search_paths=extra))
    return session


def reset() -> None:
    """Drop cached clients (tests switch endpoints and credentials)."""
    global _session
    with _lock:
        _clients.clear()
        _session = None


def error_code(error: BaseException) -> str | None:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None


def is_transient(error: BaseException) -> bool:
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    if isinstance(error, (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError, ConnectionClosedError)):
        return True
    if isinstance(error, ClientError):
        if error_code(error) in TRANSIENT_CODES:
            return True
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return status >= 500
    return False


@contextmanager
def unavailable_on_transient(service: str) -> Iterator[None]:
    """Turn throttling/5xx/timeouts (after boto3's own retries) into ServiceUnavailable."""
    try:
        yield
    except Exception as error:
        if is_transient(error):
            raise ServiceUnavailable(service, error_code(error) or type(error).__name__) from error
        raise
