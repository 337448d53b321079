"""Fetching a photo from a link anyone could have written (an Open311
``media_url``), without letting the link point our functions at a private
address: server-side request forgery (SSRF).

Each hop of the fetch (the link, then every redirect, at most MAX_REDIRECTS):

* the URL is ``http`` or ``https``, names a host, carries no user name or
  password, and uses port 80 or 443;
* the host is resolved, and EVERY address it resolves to must be public:
  not private, loopback, link-local (169.254.169.254 is the instance metadata
  service), multicast, reserved, unspecified, shared (100.64/10) or otherwise
  not globally reachable -- for IPv6 too, and an IPv6 address that carries an
  IPv4 one (IPv4-mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``, NAT64
  ``64:ff9b::/96``) is judged by the IPv4 address inside; Teredo is refused;
* the connection goes to the address that was checked (never a second lookup
  that a rebinding DNS server could answer differently); HTTPS still checks
  the certificate against the host name;
* a short timeout per socket operation and an overall deadline;
* the answer must say it is a JPEG, PNG or WebP image and be at most
  ``max_bytes`` (the Content-Length is checked first, then what is read).

Refusals raise ``http_client.ProviderRejected`` (a retry would be refused
again: the media worker drops the link and logs why); network trouble, 429
and 5xx raise ``ProviderUnavailable`` (the queue retries).

Tests fetch from a server on 127.0.0.1 by passing ``allow`` (networks that are
let through although not public, on any port). In the app it comes from
MEDIA_FETCH_TEST_ALLOW, which config.py accepts only on the local stage, so
no deployed configuration can weaken the guard.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from urllib.parse import urljoin, urlsplit

from .http_client import ProviderRejected, ProviderUnavailable

PROVIDER = "media_url"
ALLOWED_PORTS = frozenset({80, 443})
MAX_REDIRECTS = 3
TIMEOUT_SECONDS = 5.0  # per connect / read
DEADLINE_SECONDS = 15.0  # the whole fetch, redirects included
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


def _system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        if error.errno == socket.EAI_AGAIN:  # the resolver is busy: worth another try later
            raise ProviderUnavailable(PROVIDER, None, "the host's name could not be looked up now") from None
        raise ProviderRejected(PROVIDER, None, f"the host does not resolve ({error.errno})") from None
    except UnicodeError:
        raise ProviderRejected(PROVIDER, None, "the host is not a valid name") from None
    return [str(info[4][0]) for info in infos]  # an IPv4 or IPv6 address: its text


def is_public(address: Address) -> bool:
    """Whether an address is one we may connect to for a link from outside."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.teredo is not None:
            return False
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return is_public(inner)
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _networks(allow: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(network, strict=False) for network in allow]


def check_url(url: str, allow: Iterable[str] = (), check_port: bool = True) -> None:
    """The checks a link passes before any lookup (also used at the API's boundary).

    Raises ProviderRejected naming what is wrong. ``check_port``: False when the
    port is checked per resolved address instead (an allowed test address may
    use any port)."""
    parts = _parts(url)
    host = parts.hostname or ""
    literal = _literal(host)
    allowed = literal is not None and any(literal in network for network in _networks(allow))
    if literal is not None and not allowed and not is_public(literal):
        raise ProviderRejected(PROVIDER, None, f"{host} is not a public address")
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        raise ProviderRejected(PROVIDER, None, "localhost is not a public host")
    if check_port and not allowed and _port(parts) not in ALLOWED_PORTS:
        raise ProviderRejected(PROVIDER, None, "only ports 80 and 443 are fetched")


def _parts(url: str):
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ProviderRejected(PROVIDER, None, "not a URL") from None
    if parts.scheme not in ("http", "https"):
        raise ProviderRejected(PROVIDER, None, "not an http(s) URL")
    if not parts.hostname:
        raise ProviderRejected(PROVIDER, None, "the URL names no host")
    if parts.username is not None or parts.password is not None:
        raise ProviderRejected(PROVIDER, None, "the URL carries a user name or password")
    return parts


def _port(parts) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _checked_address(parts, allow: list, resolver: Resolver) -> str:
    """The address to connect to: every address the host resolves to must pass."""
    check_url(parts.geturl(), [str(network) for network in allow], check_port=False)
    host, port = parts.hostname, _port(parts)
    resolved = resolver(host, port)
    if not resolved:
        raise ProviderRejected(PROVIDER, None, f"{host} does not resolve")
    for text in resolved:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if not is_public(address) and not any(address in network for network in allow):
            raise ProviderRejected(PROVIDER, None, f"{host} resolves to {address}, which is not a public address")
        if not any(address in network for network in allow) and port not in ALLOWED_PORTS:
            raise ProviderRejected(PROVIDER, None, "only ports 80 and 443 are fetched")
    return resolved[0].split("%", 1)[0]


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to an address checked beforehand (the Host header stays the name)."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)  # the name's certificate


def fetch_image(
    url: str,
    *,
    max_bytes: int,
    allow: Iterable[str] = (),
    resolver: Resolver | None = None,
    timeout: float = TIMEOUT_SECONDS,
    deadline: float = DEADLINE_SECONDS,
    max_redirects: int = MAX_REDIRECTS,
) -> tuple[bytes, str]:
    """(the bytes, their content type) of the image a public link names."""
    networks = _networks(allow)
    resolve = resolver or _system_resolver
    give_up = time.monotonic() + deadline
    current = url
    for _hop in range(max_redirects + 1):
        parts = _parts(current)
        address = _checked_address(parts, networks, resolve)
        connection_class = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        connection = connection_class(parts.hostname, _port(parts), address, timeout)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(
                "GET", target, headers={"User-Agent": "crm-jakarta/1", "Accept": ", ".join(sorted(IMAGE_TYPES))}
            )
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise ProviderRejected(PROVIDER, response.status, "a redirect without a Location")
                current = urljoin(current, location)
                continue
            if response.status == 429 or response.status >= 500:
                raise ProviderUnavailable(PROVIDER, response.status, "the photo's server is unavailable")
            if response.status >= 300:
                raise ProviderRejected(PROVIDER, response.status, "the photo's server refused the link")
            content_type = (response.getheader("Content-Type") or "").split(";", 1)[0].strip().lower()
            if content_type not in IMAGE_TYPES:
                raise ProviderRejected(PROVIDER, response.status, f"not a JPEG, PNG or WebP image ({content_type!r})")
            declared = response.getheader("Content-Length")
            if declared and declared.strip().isdigit() and int(declared) > max_bytes:
                raise ProviderRejected(PROVIDER, response.status, f"larger than {max_bytes} bytes")
            return _read(response, max_bytes, give_up), content_type
        except (TimeoutError, ConnectionError, OSError, http.client.HTTPException) as error:
            if isinstance(error, ssl.SSLCertVerificationError):
                raise ProviderRejected(PROVIDER, None, "the certificate does not match the host") from None
            raise ProviderUnavailable(PROVIDER, None, type(error).__name__) from None
        finally:
            connection.close()
    raise ProviderRejected(PROVIDER, None, f"more than {max_redirects} redirects")


def _read(response: http.client.HTTPResponse, max_bytes: int, give_up: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > give_up:
            raise ProviderUnavailable(PROVIDER, None, "the photo took too long to arrive")
        chunk = response.read(min(65536, max_bytes + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise ProviderRejected(PROVIDER, response.status, f"larger than {max_bytes} bytes")
