"""The guard on fetching links from outside (adapters/web_fetch.py): every way a
link could make our function reach a private address is refused, and the
limits (redirects, size, type, time) hold. Fetches go to a server on 127.0.0.1,
let through by the test-only ``allow`` (or not, to see the refusal)."""

from __future__ import annotations

import ipaddress
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.adapters.http_client import ProviderRejected, ProviderUnavailable
from chalicelib.adapters.web_fetch import check_url, fetch_image, is_public
from tests.support.images import jpeg_with_metadata

PHOTO = jpeg_with_metadata(64, 48)
LOCAL = ("127.0.0.1/32",)


class Handler(BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):  # noqa: N802 - BaseHTTPRequestHandler's name
        status, headers, body = self.routes[self.path.split("?")[0]](self)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if callable(body):
            body(self.wfile)
        else:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    port_holder = {}

    def slow(wfile):
        wfile.write(PHOTO[:100])
        wfile.flush()
        time.sleep(3)

    def endless(wfile):
        for _ in range(200):
            wfile.write(b"\xff" * 65536)

    Handler.routes = {
        "/photo.jpg": lambda h: (200, {"Content-Type": "image/jpeg", "Content-Length": str(len(PHOTO))}, PHOTO),
        "/photo-typed-weirdly.jpg": lambda h: (200, {"Content-Type": "image/jpeg; charset=binary"}, PHOTO),
        "/page.html": lambda h: (200, {"Content-Type": "text/html"}, b"<html></html>"),
        "/huge.jpg": lambda h: (200, {"Content-Type": "image/jpeg", "Content-Length": "999999999"}, b""),
        "/endless.jpg": lambda h: (200, {"Content-Type": "image/jpeg"}, endless),
        "/slow.jpg": lambda h: (200, {"Content-Type": "image/jpeg"}, slow),
        "/gone.jpg": lambda h: (404, {}, b""),
        "/busy.jpg": lambda h: (503, {}, b""),
        "/to-photo": lambda h: (302, {"Location": "/photo.jpg"}, b""),
        "/to-metadata": lambda h: (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/to-private-name": lambda h: (
            301,
            {"Location": f"http://intranet.example:{port_holder['port']}/photo.jpg"},
            b"",
        ),
        "/loop": lambda h: (302, {"Location": "/loop"}, b""),
        "/to-ftp": lambda h: (302, {"Location": "ftp://example.org/p.jpg"}, b""),
    }
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_holder["port"] = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def resolver(table):
    def resolve(host, port):
        return table[host]

    return resolve


def test_a_public_photo_is_fetched(server):
    data, content_type = fetch_image(f"{server}/photo.jpg", max_bytes=10**6, allow=LOCAL)
    assert (data, content_type) == (PHOTO, "image/jpeg")
    assert fetch_image(f"{server}/photo-typed-weirdly.jpg", max_bytes=10**6, allow=LOCAL)[0] == PHOTO


def test_a_redirect_to_a_photo_is_followed(server):
    assert fetch_image(f"{server}/to-photo", max_bytes=10**6, allow=LOCAL)[0] == PHOTO


def test_without_the_allowance_the_test_server_itself_is_refused(server):
    with pytest.raises(ProviderRejected, match="127.0.0.1 is not a public address"):
        fetch_image(f"{server}/photo.jpg", max_bytes=10**6)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",  # the instance metadata service
        "100.64.0.1",  # shared address space (carrier NAT)
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 around 169.254.169.254
        "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    ],
)
def test_private_addresses_are_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://169.254.169.254/latest/meta-data/", "not a public address"),
        ("http://[::ffff:169.254.169.254]/", "not a public address"),
        ("http://[fe80::1%25eth0]/", "not"),
        ("http://localhost/x.jpg", "localhost is not a public host"),
        ("http://photos.localhost/x.jpg", "localhost is not a public host"),
        ("http://photos.example:22/x.jpg", "only ports 80 and 443"),
        ("http://photos.example:99999/x.jpg", "not a URL"),
        ("http://alice:secret@photos.example/x.jpg", "user name or password"),
        ("file:///etc/passwd", r"not an http\(s\) URL"),
        ("gopher://photos.example/x", r"not an http\(s\) URL"),
        ("http:///x.jpg", "names no host"),
    ],
)
def test_links_are_checked_before_any_lookup(url, words):
    with pytest.raises(ProviderRejected, match=words):
        check_url(url)


def test_a_name_that_resolves_to_a_private_address_is_refused():
    with pytest.raises(ProviderRejected, match="resolves to 10.0.0.7"):
        fetch_image("http://photos.example/x.jpg", max_bytes=10**6, resolver=resolver({"photos.example": ["10.0.0.7"]}))


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    table = {"photos.example": ["93.184.215.14", "::ffff:127.0.0.1"]}
    with pytest.raises(ProviderRejected, match="not a public address"):
        fetch_image("http://photos.example/x.jpg", max_bytes=10**6, resolver=resolver(table))


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(ProviderRejected, match="does not resolve"):
        fetch_image("http://photos.example/x.jpg", max_bytes=10**6, resolver=resolver({"photos.example": []}))


def test_a_name_with_another_port_is_refused_unless_its_address_is_allowed():
    table = {"photos.example": ["93.184.215.14"]}
    with pytest.raises(ProviderRejected, match="only ports 80 and 443"):
        fetch_image("http://photos.example:8080/x.jpg", max_bytes=10**6, resolver=resolver(table))


def test_every_redirect_is_checked_again(server):
    with pytest.raises(ProviderRejected, match="169.254.169.254 is not a public address"):
        fetch_image(f"{server}/to-metadata", max_bytes=10**6, allow=LOCAL)
    # a redirect to a name is resolved again; here it resolves to a private address
    table = {"127.0.0.1": ["127.0.0.1"], "intranet.example": ["192.168.0.10"]}
    with pytest.raises(ProviderRejected, match="resolves to 192.168.0.10"):
        fetch_image(f"{server}/to-private-name", max_bytes=10**6, allow=LOCAL, resolver=resolver(table))
    with pytest.raises(ProviderRejected, match="not an http"):
        fetch_image(f"{server}/to-ftp", max_bytes=10**6, allow=LOCAL)


def test_the_connection_goes_to_the_address_that_was_checked(server):
    # "rebinding": the name's first answer is checked and then connected to; no second lookup
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])
    port = server.rsplit(":", 1)[1]
    data, _ = fetch_image(
        f"http://photos.example:{port}/photo.jpg",
        max_bytes=10**6,
        allow=LOCAL,
        resolver=lambda host, port: next(answers),
    )
    assert data == PHOTO and next(answers) == ["10.9.9.9"]  # asked once


def test_redirects_are_bounded(server):
    with pytest.raises(ProviderRejected, match="more than 3 redirects"):
        fetch_image(f"{server}/loop", max_bytes=10**6, allow=LOCAL)


def test_only_images_are_taken(server):
    with pytest.raises(ProviderRejected, match="not a JPEG, PNG or WebP image"):
        fetch_image(f"{server}/page.html", max_bytes=10**6, allow=LOCAL)


def test_size_is_bounded_by_the_declared_length_and_by_what_arrives(server):
    with pytest.raises(ProviderRejected, match="larger than 1000000 bytes"):
        fetch_image(f"{server}/huge.jpg", max_bytes=10**6, allow=LOCAL)
    with pytest.raises(ProviderRejected, match="larger than 1000000 bytes"):
        fetch_image(f"{server}/endless.jpg", max_bytes=10**6, allow=LOCAL)


def test_a_slow_server_runs_into_the_timeout(server):
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        fetch_image(f"{server}/slow.jpg", max_bytes=10**6, allow=LOCAL, timeout=0.5)
    assert time.monotonic() - started < 2.5


def test_refusals_and_trouble_say_whether_a_retry_helps(server):
    with pytest.raises(ProviderRejected):
        fetch_image(f"{server}/gone.jpg", max_bytes=10**6, allow=LOCAL)
    with pytest.raises(ProviderUnavailable):
        fetch_image(f"{server}/busy.jpg", max_bytes=10**6, allow=LOCAL)


def test_the_allowance_is_for_the_local_stage_only(monkeypatch):
    from chalicelib import config

    monkeypatch.setenv("MEDIA_FETCH_TEST_ALLOW", "127.0.0.1/32")
    for stage, allowed in (("local", ("127.0.0.1/32",)), ("prod", None), ("dev", None)):
        monkeypatch.setenv("CRM_STAGE", stage)
        config.reset()
        if allowed is None:
            with pytest.raises(config.ConfigurationError, match="local stage only"):
                config.settings()
        else:
            assert config.settings().media_fetch_test_allow == allowed
    config.reset()


def test_a_lookup_that_fails_says_whether_a_retry_helps(monkeypatch):
    import socket

    def fails(errno):
        def getaddrinfo(*args, **kwargs):
            raise socket.gaierror(errno, "lookup failed")

        return getaddrinfo

    monkeypatch.setattr(socket, "getaddrinfo", fails(socket.EAI_NONAME))
    with pytest.raises(ProviderRejected, match="does not resolve"):
        fetch_image("http://photos.example/x.jpg", max_bytes=10**6)
    monkeypatch.setattr(socket, "getaddrinfo", fails(socket.EAI_AGAIN))
    with pytest.raises(ProviderUnavailable, match="could not be looked up now"):
        fetch_image("http://photos.example/x.jpg", max_bytes=10**6)
