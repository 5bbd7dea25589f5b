"""http_fetch against a loopback server: allowlists on every redirect hop, caps, timeouts."""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from runtime.engine.tools.http import HttpFetch
from tests.runtime.engine.tools import call, node

BIG = 50 * 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        port = self.server.server_address[1]  # type: ignore[index]
        path = self.path
        if path == "/ok":
            self._send(200, b"hello from loopback", Content_Type="text/plain; charset=utf-8")
        elif path == "/host":
            self._send(200, self.headers.get("Host", "").encode())
        elif path.startswith("/to?"):
            self._send(302, Location=path[4:])
        elif path.startswith("/chain/"):
            left = int(path.rsplit("/", 1)[1])
            self._send(302, Location=f"/chain/{left - 1}" if left else "/ok")
        elif path == "/huge":
            self.send_response(200)
            self.send_header("Content-Length", str(BIG))
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(BIG // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif path == "/gzip-bomb":
            self._send(200, gzip.compress(b"\0" * (20 << 20)), Content_Encoding="gzip")
        elif path == "/slow":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b".")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
        elif path == "/missing":
            self._send(404, b"nope")
        else:
            self._send(302, Location=f"http://127.0.0.1:{port}/ok")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def fetcher(allow: tuple[str, ...] = ("127.0.0.1", "localhost"), loopback: bool = True,
            **config: Any) -> HttpFetch:
    return HttpFetch(node("http_fetch", config={"allow_domains": list(allow), **config}),
                     allow_loopback=loopback)


def test_fetches_an_allowed_page_and_labels_it_untrusted(server: str) -> None:
    result = call(fetcher(), {"url": f"{server}/ok"})
    assert not result.is_error, result.content
    assert "HTTP 200" in result.content and "hello from loopback" in result.content
    assert "untrusted" in result.content
    port = server.rsplit(":", 1)[1]
    assert call(fetcher(), {"url": f"http://localhost:{port}/host"}).content.endswith(
        f"localhost:{port}")  # pinned to the checked address, Host header kept
    assert call(fetcher(), {"url": f"{server}/missing"}).is_error


def test_redirects_are_followed_and_checked_on_every_hop(server: str) -> None:
    assert "hello from loopback" in call(fetcher(), {"url": f"{server}/to?/ok"}).content
    assert "hello from loopback" in call(fetcher(), {"url": f"{server}/chain/4"}).content
    too_many = call(fetcher(), {"url": f"{server}/chain/6"})
    assert too_many.is_error and "redirects" in too_many.content
    port = server.rsplit(":", 1)[1]
    for target in ("http://evil.example/steal", f"http://127.0.0.2:{port}/ok",
                   "file:///etc/passwd", f"http://user:pw@127.0.0.1:{port}/ok"):
        result = call(fetcher(), {"url": f"{server}/to?{target}"})
        assert result.is_error and result.content.startswith("refused:"), target
        assert "hello from loopback" not in result.content


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/", "javascript:alert(1)",
    "http://evil.example/", "http://127.0.0.1.evil.example/", "http://127.0.0.1@evil.example/",
    "http://2130706433/", "http://0x7f000001/", "http://[::1]/", "http://169.254.169.254/latest",
    "not a url",
])
def test_hostile_urls_are_refused(url: str) -> None:
    result = call(fetcher(), {"url": url})
    assert result.is_error and result.content.startswith("refused:"), result.content


def test_loopback_and_private_addresses_need_the_test_flag(server: str) -> None:
    blocked = call(fetcher(loopback=False), {"url": f"{server}/ok"})
    assert blocked.is_error and "loopback" in blocked.content
    private = call(fetcher(allow=("10.1.2.3", "192.168.1.1")), {"url": "http://10.1.2.3/"})
    assert private.is_error and "private" in private.content  # allowlisted, still refused


def test_domain_patterns() -> None:
    tool = fetcher(allow=("*.example.com", "exact.org", "Bücher.DE"))
    assert tool.host_allowed("a.example.com") and tool.host_allowed("a.b.example.com")
    assert not tool.host_allowed("example.com") and not tool.host_allowed("badexample.com")
    assert not tool.host_allowed("example.com.evil.net")
    assert tool.host_allowed("EXACT.org.") and not tool.host_allowed("sub.exact.org")
    assert tool.host_allowed("xn--bcher-kva.de")


def test_a_50_mb_body_is_cut_with_memory_bounded(server: str) -> None:
    tracemalloc.start()
    started = time.monotonic()
    result = call(fetcher(max_bytes=100_000), {"url": f"{server}/huge"})
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert not result.is_error
    assert "truncated" in result.content and result.content.count("x") == 100_000
    assert peak < 8 << 20, peak
    assert time.monotonic() - started < 5


def test_a_gzip_bomb_is_inflated_only_up_to_the_cap(server: str) -> None:
    result = call(fetcher(max_bytes=50_000), {"url": f"{server}/gzip-bomb"})
    assert "truncated" in result.content and len(result.content) < 60_000


def test_a_slow_response_times_out(server: str) -> None:
    started = time.monotonic()
    result = call(fetcher(timeout_s=0.6), {"url": f"{server}/slow"})
    assert result.is_error and "timed out after 0.6 s" in result.content
    assert time.monotonic() - started < 3
