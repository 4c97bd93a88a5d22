"""The Fetcher against real HTTP servers on 127.0.0.1: validators, redirects, retries and limits.

pytest-httpserver answers the ordinary cases. RawServer (a threaded http.server below) answers
the ones that need raw control: slow or trickled answers, chunked and gzip bodies, and counting
requests in flight.
"""

from __future__ import annotations

import asyncio
import gzip
import re
import socket
import sys
import threading
import time
import tracemalloc
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import certifi
import pytest
from pytest_httpserver import HTTPServer
from sourcekit import NOW, build

from aggregator.core.config import USER_AGENT, HttpConfig
from aggregator.core.errors import FeedFormatError, FetchError
from aggregator.core.fetching import Fetcher, FetchResult, parse_retry_after
from aggregator.core.models import SourceState
from aggregator.core.workers import PROCESS_POOL_THRESHOLD, CpuPool
from sources.base import CollectContext, Collected
from sources.rss import RssSource, parse_feed

FEED = (Path(__file__).parent / "fixtures/rss/weworkremotely_opencruit_2026-02.xml").read_bytes()
RSS = "application/rss+xml"
LAST_MODIFIED = "Sun, 01 Nov 2026 00:00:00 GMT"
HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>Jobs</title></head><body>Hi</body></html>"
BOMB_SIZE = 50 * 2**20  # bytes of zeros inside the gzip bomb


# -- helpers ---------------------------------------------------------------------------------


class RecordingSleep:
    """Stands in for asyncio.sleep: remembers each wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def settings(**overrides: Any) -> HttpConfig:
    """HTTP settings for tests; a short timeout so a broken test fails fast."""
    return HttpConfig(**{"timeout": 5.0, **overrides})


def fetch(
    url: str,
    config: HttpConfig | None = None,
    sleep: RecordingSleep | None = None,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    """One Fetcher.get, run to completion; waits between retries are recorded, never slept."""

    async def run() -> FetchResult:
        async with Fetcher(config or settings(), sleep=sleep or RecordingSleep()) as fetcher:
            return await fetcher.get(url, etag=etag, last_modified=last_modified)

    return asyncio.run(run())


def fetch_all(config: HttpConfig, urls: Sequence[str]) -> list[FetchResult]:
    """Concurrent gets through one Fetcher."""

    async def run() -> list[FetchResult]:
        async with Fetcher(config, sleep=RecordingSleep()) as fetcher:
            return list(await asyncio.gather(*(fetcher.get(url) for url in urls)))

    return asyncio.run(run())


def paths(server: HTTPServer) -> list[str]:
    """The paths pytest-httpserver was asked for, in order."""
    return [request.path for request, _ in server.log]


def redirect(server: HTTPServer, path: str, status: int, location: str) -> None:
    """Answer ``path`` with a redirect to ``location``."""
    server.expect_request(path).respond_with_data(
        b"", status=status, headers={"Location": location}
    )


Route = Callable[[BaseHTTPRequestHandler], None]


class _RawHandler(BaseHTTPRequestHandler):
    server: _RawHTTPServer

    def do_GET(self) -> None:
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(self.path)
        route = owner.routes.get(self.path)
        if route is None:
            self.send_error(404)
        else:
            route(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests assert on what the server recorded instead."""


class _RawHTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins every handler thread

    def __init__(self, owner: RawServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _RawHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):  # a client that gave up is expected
            self.owner.errors.append(error)


class RawServer:
    """A threaded HTTP/1.0 server on 127.0.0.1 whose routes write their responses by hand."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.errors: list[BaseException | None] = []
        self.lock = threading.Lock()
        self.release = threading.Event()  # set at the end of the test: held routes return
        self._server = _RawHTTPServer(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """The address of ``path`` on this server, spelt with ``host``."""
        return f"http://{host}:{self._server.server_address[1]}{path}"

    def hold(self, seconds: float) -> None:
        """Keep a request in flight (server side); ends early when the test is over."""
        self.release.wait(seconds)

    def close(self) -> None:
        """Release held routes, stop serving and join every thread."""
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def respond(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
) -> None:
    """Write a whole response with a Content-Length."""
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class InFlightProbe:
    """A route that holds each request a while and counts requests in flight, per Host too."""

    def __init__(self, server: RawServer, hold: float) -> None:
        self._server = server
        self._hold = hold
        self._lock = threading.Lock()
        self._now: Counter[str] = Counter()
        self.peak_total = 0
        self.peak_per_host: Counter[str] = Counter()
        self.served = 0

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        host = handler.headers["Host"].rsplit(":", 1)[0]
        with self._lock:
            self._now[host] += 1
            self.peak_per_host[host] = max(self.peak_per_host[host], self._now[host])
            self.peak_total = max(self.peak_total, self._now.total())
        try:
            self._server.hold(self._hold)
        finally:
            # Counted out before answering, so the client's next request cannot overlap it.
            with self._lock:
                self._now[host] -= 1
                self.served += 1
        respond(handler, 200, b"ok")


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.close()
    assert server.errors == []


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """BOMB_SIZE zero bytes, gzip-compressed (about 50 KB), built without holding 50 MB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    megabyte = bytes(2**20)
    parts = [compressor.compress(megabyte) for _ in range(BOMB_SIZE // 2**20)]
    return b"".join([*parts, compressor.flush()])


# -- 200 and conditional GET -----------------------------------------------------------------


def test_ok_returns_the_body_and_validators(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        FEED, content_type=RSS, headers={"ETag": '"v1"', "Last-Modified": LAST_MODIFIED}
    )

    result = fetch(httpserver.url_for("/feed.xml"))

    assert result == FetchResult(
        url=httpserver.url_for("/feed.xml"),
        status=200,
        body=FEED,
        content_type=RSS,
        etag='"v1"',
        last_modified=LAST_MODIFIED,
    )
    request, _ = httpserver.log[0]
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["Accept-Encoding"] == "gzip, deflate"
    assert "If-None-Match" not in request.headers
    assert "If-Modified-Since" not in request.headers


def test_an_etag_is_sent_as_if_none_match_and_304_means_not_modified(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/feed.xml", headers={"If-None-Match": '"v1"'}).respond_with_data(
        b"", status=304, headers={"ETag": '"v1"'}
    )

    result = fetch(httpserver.url_for("/feed.xml"), etag='"v1"')

    assert result.not_modified
    assert (result.status, result.body) == (304, b"")
    request, _ = httpserver.log[0]
    assert request.headers["If-None-Match"] == '"v1"'
    assert "If-Modified-Since" not in request.headers


def test_last_modified_is_sent_as_if_modified_since_and_304_means_not_modified(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request(
        "/feed.xml", headers={"If-Modified-Since": LAST_MODIFIED}
    ).respond_with_data(b"", status=304)

    result = fetch(httpserver.url_for("/feed.xml"), last_modified=LAST_MODIFIED)

    assert result.not_modified
    request, _ = httpserver.log[0]
    assert request.headers["If-Modified-Since"] == LAST_MODIFIED
    assert "If-None-Match" not in request.headers


# -- redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 308])
def test_a_permanent_redirect_is_followed_and_reported_as_a_move(
    httpserver: HTTPServer, status: int
) -> None:
    redirect(httpserver, "/old.xml", status, "/new.xml")  # relative Location
    httpserver.expect_request("/new.xml").respond_with_data(FEED, content_type=RSS)

    result = fetch(httpserver.url_for("/old.xml"))

    new = httpserver.url_for("/new.xml")
    assert (result.status, result.body, result.url, result.moved_to) == (200, FEED, new, new)
    assert paths(httpserver) == ["/old.xml", "/new.xml"]


@pytest.mark.parametrize("status", [302, 303, 307])
def test_a_temporary_redirect_is_followed_but_is_not_a_move(
    httpserver: HTTPServer, status: int
) -> None:
    redirect(httpserver, "/old.xml", status, httpserver.url_for("/new.xml"))
    httpserver.expect_request("/new.xml").respond_with_data(FEED, content_type=RSS)

    result = fetch(httpserver.url_for("/old.xml"))

    assert (result.body, result.url) == (FEED, httpserver.url_for("/new.xml"))
    assert result.moved_to is None


def test_one_temporary_hop_in_a_chain_means_no_move(httpserver: HTTPServer) -> None:
    redirect(httpserver, "/a.xml", 301, "/b.xml")
    redirect(httpserver, "/b.xml", 302, "/c.xml")
    httpserver.expect_request("/c.xml").respond_with_data(FEED, content_type=RSS)

    result = fetch(httpserver.url_for("/a.xml"))

    assert result.url == httpserver.url_for("/c.xml")
    assert result.moved_to is None


def test_a_moved_feed_that_is_not_modified_still_reports_the_move(httpserver: HTTPServer) -> None:
    redirect(httpserver, "/old.xml", 301, "/new.xml")
    httpserver.expect_request("/new.xml", headers={"If-None-Match": '"v1"'}).respond_with_data(
        b"", status=304
    )

    result = fetch(httpserver.url_for("/old.xml"), etag='"v1"')

    assert result.not_modified
    assert result.moved_to == httpserver.url_for("/new.xml")


def test_a_redirect_loop_is_reported(httpserver: HTTPServer) -> None:
    redirect(httpserver, "/a.xml", 301, "/b.xml")
    redirect(httpserver, "/b.xml", 302, "/a.xml")

    with pytest.raises(FetchError, match="redirect loop") as raised:
        fetch(httpserver.url_for("/a.xml"))

    assert httpserver.url_for("/b.xml") in str(raised.value)
    assert paths(httpserver) == ["/a.xml", "/b.xml"]


def _redirect_chain(server: HTTPServer, hops: int) -> None:
    for hop in range(hops):
        redirect(server, f"/r{hop}", 302, f"/r{hop + 1}")
    server.expect_request(f"/r{hops}").respond_with_data(FEED, content_type=RSS)


def test_more_redirects_than_allowed_names_the_setting(httpserver: HTTPServer) -> None:
    _redirect_chain(httpserver, hops=3)

    with pytest.raises(FetchError, match=r"more than 2 redirects .*http\.max_redirects"):
        fetch(httpserver.url_for("/r0"), settings(max_redirects=2))

    assert paths(httpserver) == ["/r0", "/r1", "/r2"]


def test_as_many_redirects_as_allowed_are_followed(httpserver: HTTPServer) -> None:
    _redirect_chain(httpserver, hops=3)

    result = fetch(httpserver.url_for("/r0"), settings(max_redirects=3))

    assert (result.body, result.url) == (FEED, httpserver.url_for("/r3"))


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Location": "file:///etc/passwd"}, "redirects to a non-web address"),
        ({}, "redirect without a Location header"),
    ],
)
def test_a_redirect_that_cannot_be_followed_is_refused(
    httpserver: HTTPServer, headers: dict[str, str], message: str
) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(b"", status=301, headers=headers)

    with pytest.raises(FetchError, match=message):
        fetch(httpserver.url_for("/feed.xml"))


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("http://127.0.0.1:99999/feed.xml", "which is not a valid web address"),
        ("http://[::1/feed.xml", "Invalid URL in location header"),  # httpx's own check
    ],
)
def test_a_redirect_to_a_malformed_address_is_a_fetch_error(
    raw_server: RawServer, location: str, message: str
) -> None:
    # Raw: pytest-httpserver's werkzeug will not send such a Location header.
    def moved(handler: BaseHTTPRequestHandler) -> None:
        respond(handler, 301, b"", [("Location", location)])

    raw_server.routes["/feed.xml"] = moved

    with pytest.raises(FetchError, match=re.escape(message)):
        fetch(raw_server.url("/feed.xml"), settings(retries=0))


def test_a_redirect_to_a_script_says_so(raw_server: RawServer) -> None:
    # Seen: "unusable answer from … (InvalidURL: For absolute URLs, path must be empty or
    # begin with '/')", which named no redirect.
    def moved(handler: BaseHTTPRequestHandler) -> None:
        respond(handler, 301, b"", [("Location", "javascript:alert(1)")])

    raw_server.routes["/feed.xml"] = moved
    with pytest.raises(FetchError, match="redirects to an address that is no web address"):
        fetch(raw_server.url("/feed.xml"), settings(retries=0))


def test_an_answer_cut_short_is_not_a_failure_to_connect(raw_server: RawServer) -> None:
    # Seen: "cannot connect to …: peer closed connection without sending complete message
    # body … check the address", for a server that answered and then broke off.
    def cut_short(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(FEED[:28])

    raw_server.routes["/feed.xml"] = cut_short
    with pytest.raises(FetchError) as raised:
        fetch(raw_server.url("/feed.xml"), settings(retries=0))
    assert "was cut short or was not valid HTTP" in str(raised.value)
    assert "cannot connect" not in str(raised.value)


def test_a_malformed_url_is_a_fetch_error() -> None:
    with pytest.raises(FetchError, match=r"http://127\.0\.0\.1:99999/ is not a valid web address"):
        fetch("http://127.0.0.1:99999/")


# -- retries and HTTP errors -----------------------------------------------------------------


def test_429_is_retried_after_the_retry_after_wait(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/feed.xml").respond_with_data(
        b"slow down", status=429, headers={"Retry-After": "2"}
    )
    httpserver.expect_request("/feed.xml").respond_with_data(FEED, content_type=RSS)
    sleep = RecordingSleep()

    result = fetch(httpserver.url_for("/feed.xml"), sleep=sleep)

    assert result.body == FEED
    assert sleep.waits == [2.0]
    assert paths(httpserver) == ["/feed.xml", "/feed.xml"]


def test_a_retry_after_longer_than_max_retry_wait_fails_without_waiting(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        b"", status=503, headers={"Retry-After": "120"}
    )
    sleep = RecordingSleep()

    with pytest.raises(FetchError, match=r"wait 120 s \(more than http\.max_retry_wait=30\)"):
        fetch(httpserver.url_for("/feed.xml"), settings(max_retry_wait=30), sleep)

    assert sleep.waits == []
    assert len(httpserver.log) == 1


def test_a_server_error_then_success_is_retried_after_a_backoff(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/feed.xml").respond_with_data(b"oops", status=500)
    httpserver.expect_request("/feed.xml").respond_with_data(FEED, content_type=RSS)
    sleep = RecordingSleep()

    result = fetch(httpserver.url_for("/feed.xml"), sleep=sleep)

    assert result.body == FEED
    assert len(httpserver.log) == 2
    [wait] = sleep.waits
    assert 0.25 <= wait <= 0.75  # the first backoff: 0.5 s with ±50 % jitter


@pytest.mark.parametrize("retries", [0, 2])
def test_a_persistent_server_error_fails_after_retries_plus_one_attempts(
    httpserver: HTTPServer, retries: int
) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(b"oops", status=500)
    sleep = RecordingSleep()

    with pytest.raises(FetchError, match=rf"HTTP 500 from .* \(tried {retries + 1}x\)"):
        fetch(httpserver.url_for("/feed.xml"), settings(retries=retries), sleep)

    assert len(httpserver.log) == retries + 1
    assert len(sleep.waits) == retries


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        (401, "the server wants a login"),
        (403, "the server refuses this client"),
        (404, "nothing is at this URL any more"),
        (410, "the feed was removed for good"),
        (418, "check the URL in a browser"),
    ],
)
def test_client_errors_fail_at_once_with_advice(
    httpserver: HTTPServer, status: int, advice: str
) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(b"no", status=status)

    with pytest.raises(FetchError, match=rf"HTTP {status} from http://127\.0\.0\.1:.*: {advice}"):
        fetch(httpserver.url_for("/feed.xml"))

    assert len(httpserver.log) == 1  # not worth retrying


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2", 2.0),
        (" 120 ", 120.0),
        ("Sun, 01 Nov 2026 00:00:30 GMT", 30.0),
        ("Sat, 31 Oct 2026 23:00:00 GMT", 0.0),  # already past
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    value: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(value, now=datetime(2026, 11, 1, tzinfo=UTC)) == seconds


# -- timeouts and connection errors ----------------------------------------------------------


def test_a_server_slower_than_the_timeout_times_out(raw_server: RawServer) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> None:
        raw_server.hold(30)
        respond(handler, 200, FEED)

    raw_server.routes["/slow.xml"] = slow
    sleep = RecordingSleep()
    started = time.monotonic()

    # A second of patience, not less: on a loaded machine the server thread may not have read
    # the retried request before a shorter timeout expired.
    with pytest.raises(FetchError, match=r"timed out after 1 s .*raise http\.timeout"):
        fetch(raw_server.url("/slow.xml"), settings(timeout=1, retries=1), sleep)

    assert time.monotonic() - started < 4
    assert raw_server.requests == ["/slow.xml", "/slow.xml"]  # retried once
    assert len(sleep.waits) == 1


def test_the_timeout_is_a_deadline_for_the_whole_request(raw_server: RawServer) -> None:
    # A body trickled byte by byte never trips a per-read timeout; the deadline must stop it.
    def trickle(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", RSS)
        handler.end_headers()
        while not raw_server.release.wait(0.05):
            handler.wfile.write(b" ")

    raw_server.routes["/trickle.xml"] = trickle
    started = time.monotonic()

    with pytest.raises(FetchError, match=r"timed out after 0\.5 s"):
        fetch(raw_server.url("/trickle.xml"), settings(timeout=0.5, retries=0))

    assert time.monotonic() - started < 3


def test_a_refused_connection_cannot_connect() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
        url = f"http://127.0.0.1:{placeholder.getsockname()[1]}/feed.xml"
        sleep = RecordingSleep()

        with pytest.raises(FetchError, match=r"cannot connect to .*check the address"):
            fetch(url, settings(retries=1), sleep)

    assert len(sleep.waits) == 1  # retried once, as for any network error


def test_a_kept_alive_connection_the_server_closed_is_not_reused(raw_server: RawServer) -> None:
    """Idle connections are kept a minute (KEEPALIVE_SECONDS), longer than many servers keep
    them: one the server hung up on is replaced, not written into."""

    def answer_then_hang_up(handler: BaseHTTPRequestHandler) -> None:
        handler.protocol_version = "HTTP/1.1"  # a keep-alive answer; the 1.0 server then closes
        respond(handler, 200, FEED, [("Content-Type", RSS)])

    raw_server.routes["/feed.xml"] = answer_then_hang_up

    async def run() -> list[FetchResult]:
        async with Fetcher(settings(), sleep=RecordingSleep()) as fetcher:
            return [await fetcher.get(raw_server.url("/feed.xml")) for _ in range(3)]

    assert [result.body for result in asyncio.run(run())] == [FEED] * 3
    assert raw_server.requests == ["/feed.xml"] * 3


def test_the_ca_bundle_is_loaded_for_https_origins_only(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading certifi's bundle costs a run of http feeds a tenth of a second for nothing;
    a redirect to https still gets a verifying client."""
    loaded: list[str] = []
    where = certifi.where
    monkeypatch.setattr(certifi, "where", lambda: loaded.append("bundle") or where())
    httpserver.expect_request("/feed.xml").respond_with_data(FEED, content_type=RSS)

    fetch(httpserver.url_for("/feed.xml"))
    assert loaded == []

    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
        secure = f"https://127.0.0.1:{placeholder.getsockname()[1]}/feed.xml"
        redirect(httpserver, "/old.xml", 301, secure)
        with pytest.raises(FetchError, match="cannot connect"):
            fetch(httpserver.url_for("/old.xml"), settings(retries=0))
    assert loaded == ["bundle"]


# -- size limits and encodings ---------------------------------------------------------------


def test_a_content_length_over_max_bytes_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big.xml").respond_with_data(b"x" * 5000, content_type=RSS)

    with pytest.raises(FetchError, match=r"too large \(5,000 bytes; http\.max_bytes is 1,000\)"):
        fetch(httpserver.url_for("/big.xml"), settings(max_bytes=1000))


def _chunked(pieces: int, piece: bytes) -> Route:
    """A route that streams ``pieces`` chunks with no Content-Length."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        for _ in range(pieces):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        handler.wfile.write(b"0\r\n\r\n")

    return route


def test_a_chunked_body_within_max_bytes_is_read_whole(raw_server: RawServer) -> None:
    raw_server.routes["/chunked.xml"] = _chunked(4, b"y" * 16_384)

    result = fetch(raw_server.url("/chunked.xml"), settings(max_bytes=100_000))

    assert result.body == b"y" * 65_536


def test_a_chunked_body_over_max_bytes_is_cut_off(raw_server: RawServer) -> None:
    raw_server.routes["/chunked.xml"] = _chunked(64, b"y" * 16_384)  # 1 MiB

    with pytest.raises(FetchError, match=r"too large \(over 100,000 bytes"):
        fetch(raw_server.url("/chunked.xml"), settings(max_bytes=100_000))


@pytest.mark.parametrize(
    ("encoding", "compress"), [("gzip", gzip.compress), ("deflate", zlib.compress)]
)
def test_a_compressed_body_is_inflated(
    httpserver: HTTPServer, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        compress(FEED), content_type=RSS, headers={"Content-Encoding": encoding}
    )

    assert fetch(httpserver.url_for("/feed.xml")).body == FEED


def test_an_unsupported_content_encoding_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        b"\x00\x01", headers={"Content-Encoding": "br"}
    )

    with pytest.raises(FetchError, match="unsupported Content-Encoding 'br'"):
        fetch(httpserver.url_for("/feed.xml"))


def test_a_gzip_bomb_is_stopped_at_max_bytes_in_bounded_memory(
    raw_server: RawServer, gzip_bomb: bytes
) -> None:
    def bomb(handler: BaseHTTPRequestHandler) -> None:
        respond(handler, 200, gzip_bomb, [("Content-Type", RSS), ("Content-Encoding", "gzip")])

    raw_server.routes["/bomb.xml"] = bomb
    assert len(gzip_bomb) < 1_000_000  # small on the wire: only inflating can catch it

    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match=r"too large \(over 1,000,000 bytes"):
            fetch(raw_server.url("/bomb.xml"), settings(max_bytes=1_000_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < BOMB_SIZE / 10


# A feed source collected as the pipeline does (fetch_and_parse): the size limit and the errors
# for compressed bodies hold there, in worker processes as in the thread of a small run.
PARSE_IN = {"processes": PROCESS_POOL_THRESHOLD, "a thread": 1}


def collect_feed(url: str, jobs: int, config: HttpConfig | None = None) -> Collected:
    """An rss source at ``url`` collected with a CPU pool sized for ``jobs`` sources."""

    async def run() -> Collected:
        pool = CpuPool(jobs=jobs)
        try:
            async with Fetcher(config or settings()) as fetcher:
                context = CollectContext(fetcher=fetcher, pool=pool, now=lambda: NOW)
                return await build(RssSource, url=url).collect(context, SourceState(name="test"))
        finally:
            pool.close()

    return asyncio.run(run())


@pytest.mark.parametrize("jobs", PARSE_IN.values(), ids=PARSE_IN)
def test_a_compressed_feed_gives_the_same_postings_as_a_plain_one(
    httpserver: HTTPServer, jobs: int
) -> None:
    httpserver.expect_request("/plain.xml").respond_with_data(FEED, content_type=RSS)
    for path, compress, encoding in [
        ("/feed.gz", gzip.compress, "gzip"),
        ("/feed.deflate", zlib.compress, "deflate"),
    ]:
        httpserver.expect_request(path).respond_with_data(
            compress(FEED), content_type=RSS, headers={"Content-Encoding": encoding}
        )

    plain = collect_feed(httpserver.url_for("/plain.xml"), jobs).postings
    assert len(plain) > 1
    for path in ("/feed.gz", "/feed.deflate"):
        url = httpserver.url_for(path)
        assert collect_feed(url, jobs).postings == plain


@pytest.mark.parametrize("jobs", PARSE_IN.values(), ids=PARSE_IN)
def test_a_gzip_bomb_in_a_feed_is_refused_at_max_bytes(
    raw_server: RawServer, gzip_bomb: bytes, jobs: int
) -> None:
    def bomb(handler: BaseHTTPRequestHandler) -> None:
        respond(handler, 200, gzip_bomb, [("Content-Type", RSS), ("Content-Encoding", "gzip")])

    raw_server.routes["/bomb.xml"] = bomb
    url = raw_server.url("/bomb.xml")

    message = (
        rf"response from {re.escape(url)} is too large \(over 1,000,000 bytes; http\.max_bytes"
    )
    with pytest.raises(FetchError, match=message):
        collect_feed(url, jobs, settings(max_bytes=1_000_000))


@pytest.mark.parametrize("jobs", PARSE_IN.values(), ids=PARSE_IN)
def test_a_feed_just_within_max_bytes_once_inflated_is_read(
    httpserver: HTTPServer, jobs: int
) -> None:
    httpserver.expect_request("/feed.gz").respond_with_data(
        gzip.compress(FEED), content_type=RSS, headers={"Content-Encoding": "gzip"}
    )
    url = httpserver.url_for("/feed.gz")

    assert collect_feed(url, jobs, settings(max_bytes=len(FEED))).postings
    with pytest.raises(FetchError, match=r"too large \(over [\d,]+ bytes"):
        collect_feed(url, jobs, settings(max_bytes=len(FEED) - 1))


@pytest.mark.parametrize("jobs", PARSE_IN.values(), ids=PARSE_IN)
def test_a_corrupt_gzip_feed_is_a_clear_fetch_error(httpserver: HTTPServer, jobs: int) -> None:
    httpserver.expect_request("/feed.gz").respond_with_data(
        b"\x1f\x8b\x08\x00not gzip at all", content_type=RSS, headers={"Content-Encoding": "gzip"}
    )
    url = httpserver.url_for("/feed.gz")

    with pytest.raises(FetchError, match=rf"{re.escape(url)} sent a corrupt compressed body"):
        collect_feed(url, jobs)


def test_a_feed_with_an_unsupported_content_encoding_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        b"\x00\x01", headers={"Content-Encoding": "br"}
    )

    with pytest.raises(FetchError, match="unsupported Content-Encoding 'br'"):
        collect_feed(httpserver.url_for("/feed.xml"), 1)


# -- bodies that are not feeds ---------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", RSS])
def test_an_html_page_is_not_a_feed(httpserver: HTTPServer, content_type: str) -> None:
    httpserver.expect_request("/jobs").respond_with_data(HTML_PAGE, content_type=content_type)
    result = fetch(httpserver.url_for("/jobs"))

    with pytest.raises(FeedFormatError, match="returned an HTML page, not a feed"):
        parse_feed(result.body, result.url, result.content_type, "board")


@pytest.mark.parametrize("body", [b"", b" \r\n\t"])
def test_an_empty_body_is_not_a_feed(httpserver: HTTPServer, body: bytes) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(body, content_type=RSS)
    result = fetch(httpserver.url_for("/feed.xml"))

    with pytest.raises(FeedFormatError, match="empty response"):
        parse_feed(result.body, result.url, result.content_type, "board")


# -- politeness limits -----------------------------------------------------------------------


def test_the_per_host_limit_caps_requests_in_flight_to_one_host(raw_server: RawServer) -> None:
    probe = InFlightProbe(raw_server, hold=0.2)
    raw_server.routes["/held"] = probe

    results = fetch_all(settings(per_host=2, concurrency=32), [raw_server.url("/held")] * 10)

    assert [r.body for r in results] == [b"ok"] * 10
    assert probe.served == 10
    assert probe.peak_per_host == {"127.0.0.1": 2}


def test_the_global_limit_caps_requests_in_flight_over_all_hosts(raw_server: RawServer) -> None:
    # 'localhost' reaches the same server, but is another host to the per-host limit.
    probe = InFlightProbe(raw_server, hold=0.2)
    raw_server.routes["/held"] = probe
    urls = [raw_server.url("/held", host) for host in ("127.0.0.1", "localhost") for _ in range(6)]

    results = fetch_all(settings(per_host=2, concurrency=3), urls)

    assert len(results) == probe.served == 12
    assert probe.peak_total == 3
    assert probe.peak_per_host == {"127.0.0.1": 2, "localhost": 2}


def test_requests_queued_for_a_busy_host_do_not_hold_back_other_hosts(
    raw_server: RawServer,
) -> None:
    # concurrency=2, per_host=1: four requests queue for 127.0.0.1; the one for localhost must
    # run beside the first of them, not wait behind the queue.
    events: list[str] = []
    other_host_seen = threading.Event()

    def busy_host(handler: BaseHTTPRequestHandler) -> None:
        other_host_seen.wait(2)
        events.append("busy")
        respond(handler, 200, b"busy")

    def other_host(handler: BaseHTTPRequestHandler) -> None:
        events.append("other")
        other_host_seen.set()
        respond(handler, 200, b"other")

    raw_server.routes.update({"/busy": busy_host, "/other": other_host})
    urls = [raw_server.url("/busy")] * 4 + [raw_server.url("/other", "localhost")]

    results = fetch_all(settings(per_host=1, concurrency=2), urls)

    assert [r.body for r in results] == [b"busy"] * 4 + [b"other"]
    assert events == ["other", "busy", "busy", "busy", "busy"]


class _KeepAliveHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive: answers 304 and counts the TCP connections it is given."""

    protocol_version = "HTTP/1.1"
    connections = 0

    def setup(self) -> None:
        super().setup()
        type(self).connections += 1

    def do_GET(self) -> None:
        self.send_response(304)
        self.send_header("ETag", '"v1"')
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_not_modified_answers_keep_the_connection_alive() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"

    async def ten_conditional_gets() -> list[FetchResult]:
        async with Fetcher(settings()) as fetcher:
            return [await fetcher.get(url, etag='"v1"') for _ in range(10)]

    try:
        results = asyncio.run(ten_conditional_gets())
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert all(r.not_modified for r in results)
    assert _KeepAliveHandler.connections == 1
