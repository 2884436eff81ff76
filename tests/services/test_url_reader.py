"""The URL reader against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from greenroom.config.models import ReadingAllow, ReadingConfig
from greenroom.services.url_reader import ReadResult, UrlReader, UrlReadError


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/file.yaml":
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            body = b"kind: Component\n"
            self.send_response(200)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/big":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 5000)
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def reader(host: str, **kw: object) -> UrlReader:
    return UrlReader(ReadingConfig(allow=[ReadingAllow(host=host)], **kw))  # type: ignore[arg-type]


def test_reads_allowed_host_with_etag(server: str) -> None:
    netloc = server.removeprefix("http://")
    r = reader(netloc)
    got = r.read(f"{server}/file.yaml")
    assert got == ReadResult(b"kind: Component\n", '"v1"')
    assert r.read(f"{server}/file.yaml", etag='"v1"') is None


def test_host_not_allowed(server: str) -> None:
    with pytest.raises(UrlReadError, match=r"not in backend\.reading\.allow"):
        reader("example.com").read(f"{server}/file.yaml")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "http:///nohost", "gopher://x"])
def test_only_http_urls_with_a_host(url: str) -> None:
    with pytest.raises(UrlReadError):
        reader("*").read(url)


def test_size_limit_and_status_and_redirects(server: str) -> None:
    r = reader("127.0.0.1", maxBytes=1000)
    with pytest.raises(UrlReadError, match="larger than 1000 bytes"):
        r.read(f"{server}/big")
    with pytest.raises(UrlReadError, match="HTTP 404"):
        r.read(f"{server}/missing")
    with pytest.raises(UrlReadError, match="HTTP 302"):
        r.read(f"{server}/redirect")


def test_unreachable_host_is_a_clear_error() -> None:
    with pytest.raises(UrlReadError, match="cannot be read"):
        reader("127.0.0.1", timeoutSeconds=2).read("http://127.0.0.1:9/none")


def test_path_rules(server: str) -> None:
    r = UrlReader(ReadingConfig(allow=[ReadingAllow(host="127.0.0.1", paths=["/file"])]))
    assert r.is_allowed(f"{server}/file.yaml")
    assert not r.is_allowed(f"{server}/big")


def test_providers_take_their_urls_first() -> None:
    class Git:
        def can_read(self, url: str) -> bool:
            return url.startswith("git+")

        def read(self, url: str, etag: str | None = None) -> ReadResult | None:
            return ReadResult(b"from git", "rev1")

    r = reader("nothing")
    r.add_provider(Git())
    assert r.read("git+ssh://host/repo") == ReadResult(b"from git", "rev1")
