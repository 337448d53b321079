"""A small HTTP client for provider APIs (Twilio, Meta Graph, X, partners).

stdlib urllib, so nothing heavy loads: a webhook never calls out, only the
reply and media workers do. Errors say whether a retry can help:

* ProviderUnavailable - network trouble, timeouts, 429 and 5xx: raise, retry;
* ProviderRejected    - any other 4xx: the request itself is wrong (a blocked
  user, an expired media id); retrying will not help.

Credentials go in ``Authorization`` headers that are NOT forwarded when a
provider redirects (Twilio media redirects to a presigned storage URL).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit


class ProviderError(Exception):
    def __init__(self, provider: str, status: int | None, message: str):
        self.provider = provider
        self.status = status
        self.detail = message  # what the provider said (its error body, up to 2,000 characters)
        super().__init__(f"{provider}: {status or 'no response'}: {message}")


class ProviderUnavailable(ProviderError):
    """Worth retrying later."""


class ProviderRejected(ProviderError):
    """The provider refused this request; retrying the same will not help."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


def request(
    provider: str,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    auth: str | None = None,
    json_body: Any = None,
    form: dict[str, str] | None = None,
    data: bytes | None = None,
    timeout: float = 10,
    max_bytes: int = 10 * 1024 * 1024,
) -> HttpResponse:
    if urlsplit(url).scheme not in ("http", "https"):
        raise ProviderRejected(provider, None, "not an http(s) URL")
    all_headers = {"User-Agent": "crm-jakarta/1", **(headers or {})}
    if json_body is not None:
        data = json.dumps(json_body, ensure_ascii=False).encode()
        all_headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    outgoing = urllib.request.Request(url, data=data, method=method, headers=all_headers)  # noqa: S310
    if auth:
        outgoing.add_unredirected_header("Authorization", auth)
    try:
        with urllib.request.urlopen(outgoing, timeout=timeout) as response:  # noqa: S310 - http(s) checked above
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise ProviderRejected(provider, response.status, f"response larger than {max_bytes} bytes")
            return HttpResponse(response.status, {k.lower(): v for k, v in response.headers.items()}, body)
    except urllib.error.HTTPError as error:
        detail = error.read(2000).decode("utf-8", "replace")
        if error.code == 429 or error.code >= 500:
            raise ProviderUnavailable(provider, error.code, detail) from None
        raise ProviderRejected(provider, error.code, detail) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        raise ProviderUnavailable(provider, None, type(error).__name__) from None


def basic_auth(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def host_allowed(url: str, bases: list[str], suffixes: tuple[str, ...]) -> bool:
    """Only fetch media from the provider's own hosts (no SSRF through a payload)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    for base in bases:
        base_parts = urlsplit(base)
        if parts.scheme == base_parts.scheme and parts.netloc.lower() == base_parts.netloc.lower():
            return True
    return parts.scheme == "https" and any(host == s or host.endswith("." + s) for s in suffixes)
