"""A hostile web on loopback: healthy feeds and boards beside one source of every fault.

Served by threaded HTTP servers on 127.0.0.1 … 127.0.0.4 (sources spread over them, so the
per-host limits matter), plus 127.0.0.5 where a socket listens and never accepts: the kernel
completes the handshake, the request is sent, nothing ever answers.

Healthy sources are recorded real data (tests/fixtures: an Atom careers feed, We Work
Remotely's RSS, Greenhouse boards). The faults are built from the same recordings where they
are about content (an infinite salary, an out-of-range date, a word-less item, hostile HTML,
invalid UTF-8) and from defusedxml's entity bomb; the rest are transport faults. ``Sizes``
sets the big ones: the test runs them small, benchmarks/faults.py at the issue's sizes.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cache, partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
SILENT_HOST = "127.0.0.5"
HEALTHY_COUNT = 100


@dataclass(frozen=True)
class Sizes:
    """How big the big faults are."""

    big_body: int = 200_000_000  # bytes of the oversized response
    gzip_bomb: int = 1_000_000_000  # bytes the gzip bomb inflates to
    many_items: int = 100_000  # items in the huge feed
    deep_json: int = 100_000  # nesting levels of the deep JSON
    drip_seconds: int = 600  # how long the drip would take to finish (1 byte a second)


@dataclass(frozen=True)
class Recording:
    """A healthy response: which source type reads it, its file and content type."""

    type: str
    path: str
    content_type: str


HEALTHY = (
    Recording("rss", "rss/atom_careers_sample.xml", "application/atom+xml"),
    Recording("rss", "rss/weworkremotely_opencruit_2026-02.xml", "application/rss+xml"),
    Recording("greenhouse", "json/greenhouse/stripe_greenhouse_jobs_nocontent_2026-08.json",
              "application/json"),
    Recording("greenhouse", "json/greenhouse/helsing_greenhouse_jobs_content_2026.json",
              "application/json"),
)


@dataclass(frozen=True)
class Fault:
    """One faulty source: its name, type, what the run must do with it, how it is served."""

    name: str
    type: str
    fails: bool  # True: the source fails, named in one line; False: its good postings are stored
    serve: Callable[[BaseHTTPRequestHandler, Sizes], None]
    good_postings: int = 0  # postings a surviving fault source still yields


# -- responses -----------------------------------------------------------------------------


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str,
          **headers: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def _status(code: int, **headers: str) -> Callable[[BaseHTTPRequestHandler, Sizes], None]:
    def serve(handler: BaseHTTPRequestHandler, sizes: Sizes) -> None:
        _send(handler, code, f"error {code}".encode(), "text/plain", **headers)

    return serve


def _body(body: bytes, content_type: str) -> Callable[[BaseHTTPRequestHandler, Sizes], None]:
    def serve(handler: BaseHTTPRequestHandler, sizes: Sizes) -> None:
        _send(handler, 200, body, content_type)

    return serve


def _redirect(location: str) -> Callable[[BaseHTTPRequestHandler, Sizes], None]:
    def serve(handler: BaseHTTPRequestHandler, sizes: Sizes) -> None:
        _send(handler, 302, b"", "text/plain", Location=location)

    return serve


def _stream(handler: BaseHTTPRequestHandler, chunks: Iterator[bytes], content_type: str,
            **headers: str) -> None:
    """Chunked transfer of ``chunks`` until they end or the client hangs up."""
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Transfer-Encoding", "chunked")
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    try:
        for chunk in chunks:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            handler.wfile.flush()
        handler.wfile.write(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up, as it should


def _big_body(handler: BaseHTTPRequestHandler, sizes: Sizes) -> None:
    block = b"<rss><channel>" + b" " * 65_522
    _stream(handler, (block for _ in range(sizes.big_body // len(block))), "application/rss+xml")


def _gzip_bomb(handler: BaseHTTPRequestHandler, sizes: Sizes) -> None:
    _send(handler, 200, gzip_bomb(sizes.gzip_bomb), "application/rss+xml",
          Content_Encoding="gzip")


@cache
def gzip_bomb(inflated: int) -> bytes:
    """A gzip stream of ``inflated`` zero bytes (about 1:1000), made once per size."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1_048_576)
    parts = [compressor.compress(zeros) for _ in range(inflated // len(zeros))]
    return b"".join([*parts, compressor.flush()])


def _drip(handler: BaseHTTPRequestHandler, sizes: Sizes) -> None:
    body = (FIXTURES / HEALTHY[0].path).read_bytes()[: sizes.drip_seconds]
    handler.send_response(200)
    handler.send_header("Content-Type", "application/atom+xml")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    server: Any = handler.server
    try:
        for byte in body:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            if server.stopping.wait(1.0):
                return
    except (BrokenPipeError, ConnectionResetError):
        pass


def _many_items(handler: BaseHTTPRequestHandler, sizes: Sizes) -> None:
    _send(handler, 200, many_items_feed(sizes.many_items), "application/rss+xml")


@cache
def many_items_feed(count: int) -> bytes:
    """An RSS feed of ``count`` distinct, plausible job items (about 150 bytes each)."""
    items = b"".join(
        b"<item><title>Python developer %d</title><link>https://many.example/jobs/%d</link>"
        b"<description>Backend work with Python, Django and PostgreSQL.</description>"
        b"</item>" % (i, i)
        for i in range(count)
    )
    return (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            b"<title>Many</title>" + items + b"</channel></rss>")


def _deep_json(handler: BaseHTTPRequestHandler, sizes: Sizes) -> None:
    depth = sizes.deep_json
    _send(handler, 200, b'{"jobs": ' + b"[" * depth + b"]" * depth + b"}", "application/json")


def _greenhouse(edit: Callable[[dict[str, Any]], None]) -> bytes:
    """The recorded Helsing board with its first job changed by ``edit``."""
    board = json.loads((FIXTURES / HEALTHY[3].path).read_bytes())
    edit(board["jobs"][0])
    return json.dumps(board).encode()


def _infinite_salary(job: dict[str, Any]) -> None:
    job["metadata"] = [{"id": 1, "name": "Salary Range", "value_type": "currency_range",
                        "value": {"min_value": "1e999", "max_value": "1e999", "unit": "USD"}}]


def _far_date(job: dict[str, Any]) -> None:
    job["updated_at"] = job["first_published"] = "9999-12-31T23:59:59-23:59"


WORDLESS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wordless</title>'
    b"<item><link>https://wordless.example/1</link></item>"
    b"<item><title>!!!</title><link>https://wordless.example/2</link></item>"
    b"<item><title>Backend developer (Python)</title><link>https://wordless.example/3</link>"
    b"<description>Python, Django and PostgreSQL.</description></item>"
    b"</channel></rss>"
)
HOSTILE_HTML = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Hostile</title><item>'
    b"<title>Python developer &lt;script&gt;alert(1)&lt;/script&gt;</title>"
    b"<link>https://hostile.example/1</link><description><![CDATA["
    b"<p onclick=\"alert(2)\">Python and Django.</p><script>alert(3)</script>"
    b'<img src="https://tracker.example/p.gif" onerror="alert(4)">'
    b'<a href="javascript:alert(5)">apply</a><iframe src="https://evil.example/"></iframe>'
    b'<style>body{background:url(https://tracker.example/)}</style>'
    b"]]></description></item></channel></rss>"
)
INVALID_UTF8 = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bytes</title>'
    b"<item><title>Python developer \xff\xfe\xc3\x28 Berlin</title>"
    b"<link>https://bytes.example/1</link><description>Django \x80\x81 work.</description>"
    b"</item></channel></rss>"
)


def _recorded(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


def _cut_inside_second_item(body: bytes) -> bytes:
    """``body`` cut 200 bytes into its second item (a file written half-way)."""
    return body[: body.index(b"<item", body.index(b"</item>")) + 200]


FAULTS = (
    Fault("fault-500", "rss", True, _status(500)),
    Fault("fault-404", "rss", True, _status(404)),
    Fault("fault-410", "rss", True, _status(410)),
    Fault("fault-429", "rss", True, _status(429, Retry_After="3600")),
    Fault("fault-silent", "rss", True, lambda handler, sizes: None),  # served by SILENT_HOST
    Fault("fault-drip", "rss", True, _drip),
    # Cut inside the second item: the first, whole, is kept (feedparser reads up to the cut);
    # the cut one is left out, said in the run report, until the feed comes whole.
    Fault("fault-truncated-xml", "rss", False,
          _body(_cut_inside_second_item(_recorded(HEALTHY[1].path)), "application/rss+xml"), 1),
    Fault("fault-html-page", "rss", True,
          _body(b"<!doctype html><html><body><h1>Careers</h1></body></html>", "text/html")),
    Fault("fault-empty-body", "rss", True, _body(b"", "application/rss+xml")),
    Fault("fault-big-body", "rss", True, _big_body),
    Fault("fault-gzip-bomb", "rss", True, _gzip_bomb),
    Fault("fault-redirect-loop", "rss", True, _redirect("/fault-redirect-loop")),
    Fault("fault-javascript-redirect", "rss", True, _redirect("javascript:alert(1)")),
    Fault("fault-invalid-utf8", "rss", False, _body(INVALID_UTF8, "application/rss+xml"), 1),
    Fault("fault-wrong-json", "greenhouse", True,
          _body(b'{"jobs": {"title": "not a list"}}', "application/json")),
    Fault("fault-deep-json", "greenhouse", True, _deep_json),
    Fault("fault-many-items", "rss", False, _many_items),  # good_postings: http.max_items
    Fault("fault-entity-bomb", "rss", True,
          _body(_recorded("malformed/defusedxml/xmlbomb.xml"), "application/rss+xml")),
    Fault("fault-hostile-html", "rss", False, _body(HOSTILE_HTML, "application/rss+xml"), 1),
    # The item with only a link is no lead (counted as skipped); "!!!" is stored, never matched
    Fault("fault-wordless-item", "rss", False, _body(WORDLESS, "application/rss+xml"), 2),
    Fault("fault-infinite-salary", "greenhouse", False,
          _body(_greenhouse(_infinite_salary), "application/json"), 2),
    Fault("fault-out-of-range-date", "greenhouse", False,
          _body(_greenhouse(_far_date), "application/json"), 2),
)


# -- the servers ---------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, sizes: Sizes, *args: Any, **kwargs: Any) -> None:
        self.sizes = sizes
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        name = self.path.strip("/").split("?")[0]
        if name.startswith("healthy-"):
            recording = HEALTHY[int(name.removeprefix("healthy-")) % len(HEALTHY)]
            _send(self, 200, _recorded(recording.path), recording.content_type)
            return
        fault = next((f for f in FAULTS if f.name == name), None)
        if fault is None:
            _send(self, 404, b"no such path", "text/plain")
            return
        fault.serve(self, self.sizes)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stopping: threading.Event


@dataclass(frozen=True)
class Site:
    """The running site: where each source lives."""

    urls: dict[str, str]  # source name -> URL
    types: dict[str, str]  # source name -> source type

    def sources_yaml(self) -> str:
        """The ``sources:`` list of a config reading every healthy and faulty source."""
        lines = [f'  - {{name: {name}, type: {self.types[name]}, url: "{url}"}}'
                 for name, url in self.urls.items()]
        return "sources:\n" + "\n".join(lines) + "\n"


def healthy_name(index: int) -> str:
    return f"healthy-{index:03d}"


def healthy_recording(name: str) -> Recording:
    return HEALTHY[int(name.removeprefix("healthy-")) % len(HEALTHY)]


@contextmanager
def fault_site(sizes: Sizes) -> Iterator[Site]:
    """Serve the healthy sources and every fault until the block ends."""
    gzip_bomb(sizes.gzip_bomb), many_items_feed(sizes.many_items)  # made before serving
    stopping = threading.Event()
    servers = []
    for host in HOSTS:
        server = _Server((host, 0), partial(_Handler, sizes))
        server.stopping = stopping
        servers.append(server)
    silent = socket.socket()
    silent.bind((SILENT_HOST, 0))
    silent.listen(64)  # never accepted: connections complete in the kernel and then wait
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    base = [f"http://{host}:{s.server_address[1]}/" for host, s in zip(HOSTS, servers,
                                                                        strict=True)]
    urls: dict[str, str] = {}
    types: dict[str, str] = {}
    for i in range(HEALTHY_COUNT):
        name = healthy_name(i)
        urls[name] = f"{base[i % len(base)]}{name}"
        types[name] = HEALTHY[i % len(HEALTHY)].type
    for i, fault in enumerate(FAULTS):
        urls[fault.name] = f"{base[i % len(base)]}{fault.name}"
        types[fault.name] = fault.type
    urls["fault-silent"] = f"http://{SILENT_HOST}:{silent.getsockname()[1]}/fault-silent"
    try:
        yield Site(urls, types)
    finally:
        stopping.set()
        for server in servers:
            server.shutdown()
            server.server_close()
        silent.close()
        for thread in threads:
            thread.join()


# -- one run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """The configured bounds of a fault run (``http:`` settings)."""

    timeout: float = 3.0
    retries: int = 1
    max_retry_wait: float = 1.0
    max_bytes: int = 2_000_000
    max_redirects: int = 3
    source_deadline: float = 120.0  # the default: parsing waits for a busy machine's workers
    max_items: int = 1_000

    def http_yaml(self, supported: Collection[str]) -> str:
        """The ``http:`` section, leaving out settings this version does not have yet."""
        settings = {k: v for k, v in asdict(self).items() if k in supported}
        return "http: {" + ", ".join(f"{k}: {v}" for k, v in settings.items()) + "}\n"

    def run_bound(self, supported: Collection[str]) -> float:
        """The longest one source can take: its deadline, else every attempt of every hop."""
        if "source_deadline" in supported:
            return self.source_deadline
        return self.timeout * (self.retries + 1) * (self.max_redirects + 1) + self.max_retry_wait


@dataclass(frozen=True)
class RunResult:
    """What one ``leads run`` process did."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_bytes: int  # of the largest process (the run or one of its workers)


def run_leads(config: Path, *args: str, timeout: float = 600) -> RunResult:
    """``leads --config CONFIG run`` as a real process, timed, with its peak memory."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "aggregator", "--config", str(config), "run", *args],
            stdout=out, stderr=err,
        )
        # os.wait4 (not Popen.wait) to get the process's resource usage; a timer kills a
        # run that hangs, so the suite fails instead of hanging with it.
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return RunResult(process.returncode, out.read().decode(), err.read().decode(), seconds,
                         usage.ru_maxrss * 1024)
