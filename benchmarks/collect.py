"""Collect benchmark: mentor-leads against rss2email 3.14 on 200 recorded feeds over loopback.

What is measured
  * 200 RSS feeds (``--feeds``) are built from the recorded We Work Remotely items in
    ``tests/fixtures/rss/wwr_2022-11``: 20-30 items each, every item's ``<link>`` and ``<guid>``
    rewritten with the feed number so that no two feeds share an item.
  * A separate server process serves them from 127.0.0.1 … 127.0.0.N (``--hosts``, one listening
    asyncio server per address, minimal HTTP/1.1 with keep-alive and gzip), waiting
    ``--latency`` seconds before every answer. Each feed has a stable ETag and Last-Modified and
    gets a 304 for a matching If-None-Match / If-Modified-Since. The server counts requests,
    200s and 304s, and the peak number of open TCP connections per address.
  * ``leads --config X collect --quiet`` runs as a subprocess: a cold run into a fresh SQLite
    database, then an unchanged run (which must be all 304s). ``r2e run --no-send`` gets the same
    two runs with a fresh data file, in its own virtualenv (benchmarks/.work/r2e-venv, created
    and filled from PyPI on first use). Both run from compiled bytecode: pip writes
    rss2email's when installing it, and the benchmark writes the project's first. The tools
    take turns, one repeat each, so a drift in the shared machine's speed weighs on both.
  * Wall time is the median of ``--repeats`` runs. Peak memory is sampled by polling /proc every
    20 ms: the summed RSS of the measured process and all its descendants (worker processes
    included) at its highest, and the largest single process.

Run it from the repository root::

    .venv/bin/python benchmarks/collect.py [--feeds 200] [--latency 0.1] [--hosts 10]
                                           [--repeats 3] [--skip-r2e] [--layout interleaved]
                                           [--variant VARIANT]

``--variant`` changes every item: ``unknown-elements`` adds elements a feed reader does not
know (a namespaced apply URL, a nested ``<logo>``), as real job feeds do; ``undeclared-prefix``
adds a ``<job:type>`` whose prefix is never declared (namespace-ill-formed, as real feeds often
are); ``ill-formed`` adds an unclosed ``<br>``, ``unclosed-inline`` a ``<b>`` never closed and
``misnested`` HTML elements closed in the wrong order (HTML written into XML, which the reader
repairs before parsing strictly), and ``undefined-entity`` an entity neither XML nor HTML
defines (``&nbps;``, a typo, repaired into the text it is); ``unquoted-attribute`` adds an
HTML link whose attribute is not quoted (``<a href=/apply>``), which no repair rewrites: only
feedparser's forgiving parser reads it, so every feed takes the feedparser path (which reads
it with the descriptions set aside, sources/text_aside.py).

Work files go to benchmarks/.work/ (git-ignored). The figures are printed; nothing is kept.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import email.utils
import functools
import gzip
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "rss" / "wwr_2022-11"
WORK = ROOT / "benchmarks" / ".work"
R2E_VERSION = "3.14"
TARGET_COLD, TARGET_UNCHANGED = 10.0, 20.0
_ITEM = re.compile(rb"<item>.*?</item>\s*", re.DOTALL)
_JOB_URL = re.compile(rb"<(guid|link)>https://weworkremotely\.com/remote-jobs/")
# What each --variant adds at the end of every item.
VARIANTS = {
    "plain": b"",
    "unknown-elements": (
        b'<job:applyUrl xmlns:job="urn:x-example:jobs">https://apply.example.test/1</job:applyUrl>'
        b"<logo><url>https://img.example.test/logo.png</url><width>64</width></logo>"
    ),
    "undeclared-prefix": b"<job:type>Full-time</job:type>",
    "ill-formed": b"<note>Apply today<br>and hear back this week</note>",
    "unclosed-inline": b"<note>Apply <b>today and hear back this week</note>",
    "misnested": b"<note><b>Apply <i>today</b> and hear back this week</i></note>",
    "undefined-entity": b"<note>Apply today &nbps; and hear back this week</note>",
    "unquoted-attribute": b"<note><a href=/apply>Apply today</a> and hear back this week</note>",
}


# -- feeds -------------------------------------------------------------------------------


def fixture_parts() -> tuple[list[bytes], list[bytes]]:
    """The channel headers (everything before the first item) and all items of the fixtures."""
    headers: list[bytes] = []
    items: list[bytes] = []
    for path in sorted(FIXTURES.glob("*.rss")):
        text = path.read_bytes()
        found = _ITEM.findall(text)
        if found:
            headers.append(text[: text.index(b"<item>")])
            items.extend(found)
    if not items:
        raise SystemExit(f"no RSS items found in {FIXTURES}")
    return headers, items


def build_feeds(count: int, variant: str = "plain") -> list[bytes]:
    """``count`` feeds of 20-30 items each, with links and guids unique to their feed."""
    headers, items = fixture_parts()
    feeds = []
    for number in range(count):
        size = 20 + (number * 7) % 11
        start = (number * 37) % len(items)
        chosen = [items[(start + k) % len(items)] for k in range(size)]
        tag = f"f{number:03d}-".encode()
        body = b"".join(
            _JOB_URL.sub(rb"<\1>https://weworkremotely.com/remote-jobs/" + tag, item).replace(
                b"</item>", VARIANTS[variant] + b"</item>"
            )
            for item in chosen
        )
        feeds.append(headers[number % len(headers)] + body + b"  </channel>\n</rss>\n")
    return feeds


# -- the feed server (runs in its own process) ------------------------------------------------


@dataclass(frozen=True)
class Feed:
    """One feed as served: body, gzipped body and validators."""

    body: bytes
    gzipped: bytes
    etag: str
    last_modified: str
    modified_at: datetime


@dataclass
class HostStats:
    """What one address saw since the last reset."""

    open: int = 0
    peak: int = 0
    accepted: int = 0
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget counts; the peak restarts from the connections open now."""
        self.peak, self.accepted, self.requests, self.statuses = self.open, 0, 0, {}


def make_feed(number: int, body: bytes) -> Feed:
    """A feed with a stable ETag and Last-Modified derived from its number and content."""
    modified_at = datetime(2022, 11, 8, tzinfo=UTC) - timedelta(minutes=number)
    return Feed(
        body=body,
        gzipped=gzip.compress(body, compresslevel=6, mtime=0),
        etag='"' + hashlib.sha256(body).hexdigest()[:20] + '"',
        last_modified=email.utils.format_datetime(modified_at, usegmt=True),
        modified_at=modified_at,
    )


def host_of(number: int, feeds: int, hosts: int, layout: str) -> int:
    """The address index (0-based) a feed is served from."""
    if layout == "grouped":  # consecutive feeds on one host, as a config listing a site's feeds
        return min(number * hosts // feeds, hosts - 1)
    return number % hosts


def is_fresh(feed: Feed, headers: dict[str, str]) -> bool:
    """True when the request's validators match the feed (If-None-Match wins, RFC 9110)."""
    if "if-none-match" in headers:
        tags = {t.strip().removeprefix("W/") for t in headers["if-none-match"].split(",")}
        return "*" in tags or feed.etag in tags
    since = headers.get("if-modified-since")
    if not since:
        return False
    try:
        when = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return when.tzinfo is not None and when >= feed.modified_at


def parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    """Request line and headers (lower-cased names) of an HTTP/1.x request head."""
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = [*lines[0].split(" "), "", ""][:3]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return method, target, {"_version": version, **headers}


def respond(feed: Feed | None, headers: dict[str, str]) -> tuple[int, bytes]:
    """Status and the whole response for a GET of ``feed`` (None: not found)."""
    if feed is None:
        return 404, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    common = (
        f"ETag: {feed.etag}\r\nLast-Modified: {feed.last_modified}\r\nVary: Accept-Encoding\r\n"
    )
    if is_fresh(feed, headers):
        return 304, f"HTTP/1.1 304 Not Modified\r\n{common}\r\n".encode()
    zipped = "gzip" in headers.get("accept-encoding", "")
    body = feed.gzipped if zipped else feed.body
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
        + common
        + ("Content-Encoding: gzip\r\n" if zipped else "")
        + f"Content-Length: {len(body)}\r\n\r\n"
    )
    return 200, head.encode() + body


def wants_close(headers: dict[str, str]) -> bool:
    """True when the client asked for the connection to end after this response."""
    connection = headers.get("connection", "").lower()
    if headers["_version"] == "HTTP/1.0":
        return "keep-alive" not in connection
    return "close" in connection


class FeedHost:
    """Feeds, latency and counts of one loopback address."""

    def __init__(self, feeds: dict[str, Feed], latency: float) -> None:
        self.feeds, self.latency, self.stats = feeds, latency, HostStats()

    def opened(self) -> None:
        """Count a new connection; the peak is checked one loop turn later (see below)."""
        self.stats.open += 1
        self.stats.accepted += 1
        # A connection the client closed just before opening this one may be reported in the
        # same event-loop turn; checking on the next turn never counts the two as overlapping.
        asyncio.get_running_loop().call_soon(self._update_peak)

    def _update_peak(self) -> None:
        self.stats.peak = max(self.stats.peak, self.stats.open)

    def closed(self) -> None:
        """Count a connection as gone the moment the peer closes it."""
        self.stats.open -= 1

    def answer(self, head: bytes) -> tuple[bytes, bool]:
        """The response to one request head, and whether to close the connection after it."""
        _method, target, headers = parse_head(head)
        status, response = respond(self.feeds.get(target), headers)
        self.stats.requests += 1
        self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1
        return response, wants_close(headers)


class FeedConnection(asyncio.Protocol):
    """Minimal HTTP/1.1 with keep-alive: one request at a time, each answered after the latency.

    A protocol rather than streams, so a connection counts as closed as soon as the client
    closes it, even while its answer is still being delayed.
    """

    def __init__(self, host: FeedHost) -> None:
        self.host = host
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.pending: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Count the connection."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.host.opened()

    def data_received(self, data: bytes) -> None:
        """Buffer request bytes; start the delay once a whole head is in."""
        self.buffer += data
        self._next_request()

    def _next_request(self) -> None:
        if self.pending is not None or b"\r\n\r\n" not in self.buffer:
            return
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        loop = asyncio.get_running_loop()
        self.pending = loop.call_later(self.host.latency, self._respond, head)

    def _respond(self, head: bytes) -> None:
        self.pending = None
        assert self.transport is not None
        response, close = self.host.answer(head)
        self.transport.write(response)
        if close:
            self.transport.close()
        else:
            self._next_request()

    def connection_lost(self, exc: Exception | None) -> None:
        """Uncount the connection and forget any answer still being delayed."""
        if self.pending is not None:
            self.pending.cancel()
        self.host.closed()


def serve(args: argparse.Namespace, control: Connection) -> None:
    """Process entry point: build the feeds, serve them, answer control commands."""
    asyncio.run(_serve(args.feeds, args.hosts, args.latency, args.layout, args.variant, control))


async def _serve(
    count: int, hosts: int, latency: float, layout: str, variant: str, control: Connection
) -> None:
    bodies = build_feeds(count, variant)
    routes: list[dict[str, Feed]] = [{} for _ in range(hosts)]
    for number, body in enumerate(bodies):
        routes[host_of(number, count, hosts, layout)][f"/feeds/{number:03d}.rss"] = make_feed(
            number, body
        )
    loop = asyncio.get_running_loop()
    servers: list[asyncio.Server] = []
    urls: list[str] = []
    feed_hosts = [FeedHost(r, latency) for r in routes]
    for index, host in enumerate(feed_hosts):
        address = f"127.0.0.{index + 1}"
        server = await loop.create_server(
            functools.partial(FeedConnection, host), address, 0, backlog=512
        )
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        urls.extend(f"http://{address}:{port}{path}" for path in host.feeds)
    urls.sort(key=lambda u: u.rsplit("/", 1)[1])
    stopped = asyncio.Event()
    loop.add_reader(control.fileno(), _on_command, control, feed_hosts, stopped)
    items = sum(len(_ITEM.findall(b)) for b in bodies)
    control.send({"urls": urls, "items": items, "bytes": sum(len(b) for b in bodies)})
    await stopped.wait()
    for server in servers:
        server.close()


def _on_command(control: Connection, hosts: list[FeedHost], stopped: asyncio.Event) -> None:
    try:
        command = control.recv()
    except EOFError:
        command = "stop"
    if command == "reset":
        for host in hosts:
            host.stats.reset()
        control.send("ok")
    elif command == "stats":
        control.send(
            [(h.stats.peak, h.stats.accepted, h.stats.requests, h.stats.statuses) for h in hosts]
        )
    else:
        stopped.set()


@dataclass(frozen=True)
class ServerStats:
    """What the server saw during one measured run."""

    peaks: list[int]  # per address
    connections: int  # opened in all
    requests: int
    statuses: dict[int, int]

    @property
    def peak(self) -> int:
        """The most connections open at once to any single address."""
        return max(self.peaks, default=0)


class FeedServer:
    """The parent's handle on the server process."""

    def __init__(self, args: argparse.Namespace) -> None:
        context = multiprocessing.get_context("spawn")
        self._control, child = context.Pipe()
        self._process = context.Process(
            target=serve,
            args=(args, child),
            name="feed-server",
            daemon=True,
        )
        self._process.start()
        child.close()
        info = self._control.recv()
        self.urls: list[str] = info["urls"]
        self.items: int = info["items"]
        self.bytes: int = info["bytes"]

    def reset(self) -> None:
        """Start counting afresh (after letting the last run's connections close)."""
        time.sleep(0.3)
        self._control.send("reset")
        self._control.recv()

    def stats(self) -> ServerStats:
        """Counts since the last reset."""
        self._control.send("stats")
        rows = self._control.recv()
        statuses: dict[int, int] = {}
        for *_counts, by_status in rows:
            for status, n in by_status.items():
                statuses[status] = statuses.get(status, 0) + n
        peaks, connections, requests = ([row[i] for row in rows] for i in range(3))
        return ServerStats(peaks, sum(connections), sum(requests), statuses)

    def close(self) -> None:
        """Stop the server process."""
        with contextlib.suppress(OSError):
            self._control.send("stop")
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.terminate()


# -- measuring a run ----------------------------------------------------------------------


_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _process_table() -> dict[int, tuple[int, float]]:
    """pid → (parent pid, CPU seconds used so far) for every process in /proc."""
    table: dict[int, tuple[int, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # after "(comm)": state ppid ... utime (index 11) stime (index 12), in clock ticks
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS)
    return table


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


class TreeMonitor(threading.Thread):
    """Polls /proc for the RSS and CPU time of a process and all its descendants.

    Worker processes started through a fork server are grandchildren that the measured process
    never waits for, so getrusage(RUSAGE_CHILDREN) would miss them; polling sees them.
    """

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_total = self.peak_single = 0
        self._cpu: dict[int, float] = {}
        self._done = threading.Event()

    def run(self) -> None:
        """Sample until stopped."""
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.interval)

    def sample(self) -> None:
        """One reading of the whole tree."""
        table = _process_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _cpu) in table.items():
            children.setdefault(ppid, []).append(pid)
        pending, sizes = [self.pid], []
        while pending:
            pid = pending.pop()
            if pid in table:
                self._cpu[pid] = table[pid][1]
            sizes.append(_rss(pid))
            pending.extend(children.get(pid, []))
        self.peak_total = max(self.peak_total, sum(sizes))
        self.peak_single = max(self.peak_single, max(sizes, default=0))

    @property
    def cpu_seconds(self) -> float:
        """CPU time (user + system) of every process seen in the tree, as last sampled."""
        return sum(self._cpu.values())

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._done.set()
        self.join()


@dataclass(frozen=True)
class Sample:
    """One measured run."""

    wall: float
    cpu: float  # seconds of CPU over the process tree (polled, so a little low)
    peak_rss: int  # summed over the process tree
    peak_single_rss: int
    server: ServerStats


def measure(command: list[str], cwd: Path, server: FeedServer) -> Sample:
    """Run ``command`` to completion; fail loudly if it fails."""
    server.reset()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    monitor = TreeMonitor(process.pid)
    monitor.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    monitor.stop()
    if process.returncode != 0:
        sys.stderr.write(stdout.decode(errors="replace") + stderr.decode(errors="replace"))
        raise SystemExit(f"{' '.join(command)} exited with {process.returncode}")
    stats = server.stats()
    return Sample(wall, monitor.cpu_seconds, monitor.peak_total, monitor.peak_single, stats)


@dataclass
class ToolResult:
    """Samples of one tool."""

    name: str
    cold: list[Sample] = field(default_factory=list)
    unchanged: list[Sample] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def median(self, kind: str) -> float:
        """Median wall time of the cold or unchanged runs."""
        return statistics.median(s.wall for s in getattr(self, kind))

    @property
    def samples(self) -> list[Sample]:
        """Every run."""
        return self.cold + self.unchanged


# -- mentor-leads -------------------------------------------------------------------------


def leads_command() -> list[str]:
    """The ``leads`` console script installed beside this interpreter."""
    script = Path(sys.executable).parent / "leads"
    if not script.exists():
        raise SystemExit(f"no `leads` beside {sys.executable}; run `pip install -e .` first")
    return [str(script)]


def compile_project() -> None:
    """Write the bytecode of the project's packages, as ``pip install .`` does (rss2email's
    is written when it is installed). An editable install under PYTHONDONTWRITEBYTECODE
    would otherwise compile some fifty modules on every run: a tenth of its start-up."""
    for package in ("aggregator", "sources", "matchers", "digests", "web"):
        if not compileall.compile_dir(ROOT / package, quiet=1):
            raise SystemExit(f"cannot compile {ROOT / package}")


def write_leads_config(directory: Path, urls: list[str]) -> Path:
    """A fresh working dir with a config.yaml listing every feed as an rss source."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    lines = ["storage:", "  url: sqlite:///leads.db", "sources:"]
    lines += [f'  - {{name: feed-{n:03d}, type: rss, url: "{u}"}}' for n, u in enumerate(urls)]
    path = directory / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored_postings(database: Path) -> int:
    """How many postings a leads database holds."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        return int(db.execute("SELECT count(*) FROM postings").fetchone()[0])


def leads_repeat(server: FeedServer, k: int, result: ToolResult) -> None:
    """Repeat ``k``: a cold run into a fresh database, then an unchanged run."""
    directory = WORK / f"leads-{k}"
    config = write_leads_config(directory, server.urls)
    command = [*leads_command(), "--config", str(config), "collect", "--quiet"]
    stored = functools.partial(stored_postings, directory / "leads.db")
    cold_then_unchanged(server, k, result, command, directory, stored, strict=True)


def cold_then_unchanged(
    server: FeedServer,
    k: int,
    result: ToolResult,
    command: list[str],
    directory: Path,
    kept: Callable[[], int],
    *,
    strict: bool,
) -> None:
    """One repeat of a tool: its cold run, what it ``kept`` checked against what was served,
    then its unchanged run (all 304s, if ``strict``)."""
    cold = measure(command, directory, server)
    check_cold(cold, len(server.urls), result.name)
    result.cold.append(cold)
    if (count := kept()) != server.items:
        result.notes.append(f"run {k}: {count} items kept, {server.items} served")
    unchanged = measure(command, directory, server)
    check_unchanged(unchanged, len(server.urls), result.name, strict=strict)
    result.unchanged.append(unchanged)
    report_progress(result.name, k, cold, unchanged)


# -- rss2email ----------------------------------------------------------------------------


def r2e_command() -> list[str]:
    """rss2email's ``r2e`` from the benchmark's own virtualenv, installed on first use."""
    venv = WORK / "r2e-venv"
    r2e = venv / "bin" / "r2e"
    if not r2e.exists():
        print(f"installing rss2email=={R2E_VERSION} into {venv} …", flush=True)
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "pip"), "install", "--quiet", f"rss2email=={R2E_VERSION}"]
        subprocess.run(pip, check=True)
    return [str(r2e)]


def write_r2e_config(directory: Path, urls: list[str]) -> tuple[Path, Path]:
    """rss2email's INI config listing every feed, and the path of its (absent) data file."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    lines = [
        "[DEFAULT]",
        "to = you@example.org",
        "from = bench@example.org",
        "same-server-fetch-interval = 0",
        "",
    ]
    for number, url in enumerate(urls):
        lines += [f"[feed.feed-{number:03d}]", f"url = {url}", ""]
    config = directory / "r2e.cfg"
    config.write_text("\n".join(lines), encoding="utf-8")
    return config, directory / "r2e.json"


def seen_entries(data: Path) -> int:
    """How many entries rss2email's data file remembers."""
    state = json.loads(data.read_text(encoding="utf-8"))
    return sum(len(feed.get("seen", {})) for feed in state["feeds"])


def r2e_repeat(server: FeedServer, k: int, result: ToolResult) -> None:
    """Repeat ``k``: a cold run with a fresh data file, then an unchanged run."""
    directory = WORK / f"r2e-{k}"
    config, data = write_r2e_config(directory, server.urls)
    command = [*r2e_command(), "-c", str(config), "-d", str(data), "run", "--no-send"]
    seen = functools.partial(seen_entries, data)
    cold_then_unchanged(server, k, result, command, directory, seen, strict=False)


def run_tools(server: FeedServer, repeats: int, with_r2e: bool) -> list[ToolResult]:
    """Each tool's repeats, the tools taking turns (mentor-leads' repeat 1, rss2email's
    repeat 1, …): the shared machine's speed drifts over a run of some ten minutes, and
    taking turns lets the drift weigh on both tools alike."""
    tools = [(ToolResult("mentor-leads"), leads_repeat)]
    if with_r2e:
        tools.append((ToolResult("rss2email"), r2e_repeat))
    for k in range(repeats):
        for result, repeat in tools:
            repeat(server, k, result)
    return [result for result, _ in tools]


# -- checks and report --------------------------------------------------------------------


def check_cold(sample: Sample, feeds: int, tool: str) -> None:
    """A cold run must fetch every feed once with a 200."""
    if sample.server.statuses.get(200, 0) < feeds:
        raise SystemExit(f"{tool} cold run: expected {feeds} 200s, got {sample.server.statuses}")


def check_unchanged(sample: Sample, feeds: int, tool: str, *, strict: bool) -> None:
    """An unchanged run should be all 304s; for mentor-leads that is required."""
    all_304 = sample.server.statuses == {304: feeds} and sample.server.requests == feeds
    if strict and not all_304:
        raise SystemExit(f"{tool} unchanged run was not all 304s: {sample.server.statuses}")


def report_progress(tool: str, k: int, cold: Sample, unchanged: Sample) -> None:
    """One line per repeat, so a long run shows it is alive."""
    print(
        f"  {tool:<12} run {k + 1}: cold {cold.wall:6.2f} s {_statuses(cold)}, "
        f"unchanged {unchanged.wall:6.2f} s {_statuses(unchanged)}",
        flush=True,
    )


def _statuses(sample: Sample) -> str:
    parts = [f"{n} x {status}" for status, n in sorted(sample.server.statuses.items())]
    server = sample.server
    return f"[{server.connections} conns, {server.requests} req: {', '.join(parts)}]"


def _mb(size: int) -> str:
    return f"{size / 2**20:.0f} MB"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


Row = tuple[str, str, str, str, str, str]


def print_table(leads: ToolResult, r2e: ToolResult | None, per_host: int) -> bool:
    """The comparison table with PASS/FAIL per target; True when every target is met."""
    rows = [
        _time_row("cold run, wall (median)", "cold", TARGET_COLD, leads, r2e),
        _time_row("unchanged run, wall (median)", "unchanged", TARGET_UNCHANGED, leads, r2e),
        _connections_row(leads, r2e, per_host),
        _cpu_row("cold run, CPU s (median)", "cold", leads, r2e),
        _cpu_row("unchanged run, CPU s (median)", "unchanged", leads, r2e),
        _memory_row("peak RSS, process tree", "peak_rss", leads, r2e),
        _memory_row("peak RSS, largest process", "peak_single_rss", leads, r2e),
    ]
    header: Row = ("", "mentor-leads", "rss2email", "r2e/leads", "target", "result")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return "FAIL" not in {row[5] for row in rows}


def _time_row(
    label: str, kind: str, target: float, leads: ToolResult, r2e: ToolResult | None
) -> Row:
    mine = leads.median(kind)
    if r2e is None:
        return (label, f"{mine:.2f} s", "-", "-", f">= {target:g}x", "SKIP")
    theirs = r2e.median(kind)
    ratio = theirs / mine
    verdict = _verdict(ratio >= target)
    return (label, f"{mine:.2f} s", f"{theirs:.2f} s", f"{ratio:.1f}x", f">= {target:g}x", verdict)


def _connections_row(leads: ToolResult, r2e: ToolResult | None, per_host: int) -> Row:
    peak = max(s.server.peak for s in leads.samples)
    theirs = str(max(s.server.peak for s in r2e.samples)) if r2e else "-"
    return (
        "peak connections / host",
        str(peak),
        theirs,
        "",
        f"<= {per_host}",
        _verdict(peak <= per_host),
    )


def _cpu_row(label: str, kind: str, leads: ToolResult, r2e: ToolResult | None) -> Row:
    mine = statistics.median(s.cpu for s in getattr(leads, kind))
    if r2e is None:
        return (label, f"{mine:.2f} s", "-", "-", "", "")
    theirs = statistics.median(s.cpu for s in getattr(r2e, kind))
    return (label, f"{mine:.2f} s", f"{theirs:.2f} s", f"{theirs / mine:.1f}x", "", "")


def _memory_row(label: str, attribute: str, leads: ToolResult, r2e: ToolResult | None) -> Row:
    mine = max(getattr(s, attribute) for s in leads.samples)
    theirs = max(getattr(s, attribute) for s in r2e.samples) if r2e else None
    ratio = f"{theirs / mine:.2f}x" if theirs else "-"
    return (label, _mb(mine), _mb(theirs) if theirs else "-", ratio, "", "")


def print_details(results: list[ToolResult]) -> None:
    """Every sample and anything odd, below the table."""
    for result in results:
        for kind in ("cold", "unchanged"):
            samples: list[Sample] = getattr(result, kind)
            walls = ", ".join(f"{s.wall:.2f}" for s in samples)
            cpus = ", ".join(f"{s.cpu:.2f}" for s in samples)
            peaks = max((s.server.peaks for s in samples), key=max)
            print(
                f"  {result.name} {kind}: wall [{walls}] s, CPU [{cpus}] s; "
                f"peak conns per address {peaks}"
            )
        for note in result.notes:
            print(f"  {result.name}: {note}")


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews every figure."""
    return f"{os.getloadavg()[0]:.2f}"


def default_per_host() -> int:
    """mentor-leads' default http.per_host, which the benchmark config leaves as is."""
    from aggregator.core.config import HttpConfig

    return HttpConfig().per_host


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--feeds", type=int, default=200, help="number of feeds (default 200)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds before each answer")
    parser.add_argument("--hosts", type=int, default=10, help="loopback addresses (max 254)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--skip-r2e", action="store_true", help="measure mentor-leads only")
    parser.add_argument(
        "--layout",
        choices=("interleaved", "grouped"),
        default="interleaved",
        help="feed n on host n %% hosts (interleaved) or consecutive feeds on one host (grouped)",
    )
    parser.add_argument(
        "--variant", choices=tuple(VARIANTS), default="plain", help="what every item carries"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.hosts <= 254 or args.feeds < 1 or args.repeats < 1 or args.latency < 0:
        parser.error("need 1 <= --hosts <= 254, --feeds >= 1, --repeats >= 1, --latency >= 0")
    return args


@contextlib.contextmanager
def feed_server(args: argparse.Namespace) -> Iterator[FeedServer]:
    """The server process, stopped on the way out."""
    server = FeedServer(args)
    try:
        yield server
    finally:
        server.close()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures; exit 1 when a target is missed."""
    args = parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    per_host = default_per_host()
    compile_project()  # before anything is timed
    if not args.skip_r2e:
        r2e_command()  # install before anything is timed
    with feed_server(args) as server:
        print(
            f"{len(server.urls)} feeds, {server.items} items, {server.bytes / 2**20:.1f} MB, "
            f"({args.variant}) on {args.hosts} loopback addresses ({args.layout}), "
            f"{args.latency * 1000:g} ms "
            f"latency; median of {args.repeats}; CPUs: {os.cpu_count()}, "
            f"load average {load_average()}",
            flush=True,
        )
        results = run_tools(server, args.repeats, with_r2e=not args.skip_r2e)
    print(f"\nload average at the end: {load_average()} (above ~0.5, the figures are skewed)")
    print("CPU and memory: polled from /proc every 20 ms over the measured process and all its")
    print("descendants (getrusage(RUSAGE_CHILDREN) misses fork-server workers); tree RSS is a")
    print("sum, so pages shared between processes count more than once.\n")
    ok = print_table(results[0], results[1] if len(results) > 1 else None, per_host)
    print()
    print_details(results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
