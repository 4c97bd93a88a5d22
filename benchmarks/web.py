"""Web view benchmark: a mentee's leads page under concurrent clients.

What is measured
  * One mentee with 500 matched leads (``--leads``) in a fresh SQLite store: the test kit's
    plausible jobs in numbered copies, each seen on its company page and most on a board too.
  * ``leads serve`` runs as its own process (uvicorn on 127.0.0.1, a free port), exactly as a
    mentor would start it.
  * ``--clients`` concurrent keep-alive clients request the mentee's leads page (the first 50
    leads, best and newest first, every field) back to back for ``--seconds``, spread over
    ``--client-processes`` processes of their own (asyncio, a minimal HTTP/1.1 client: httpx
    costs more CPU per request than the server's cached page, and on 2 cores the clients'
    CPU is taken from the server). The figures are requests per second and the median, 95th
    and 99th percentile latency. Every answer must be a 200 with the whole page; any other
    is counted.
  * The CPU time the server and the clients used per request (from /proc), and the load
    average before and after: on a shared machine, say what else was running.
  * The first request (the page's data read from the store and prepared, nothing cached) is
    timed on its own, and so are a searched page (``?q=python&where=remote``) and the prep
    sheet pages of 20 leads (each made when asked for).

Nothing is written during the run, so after the first requests every page is answered from
memory (on SQLite the server only reads Store.change_marker, no query); a page is rendered
again only when the store's data for it changed.
Target: >= 200 requests/s and p95 <= 100 ms on 2 cores.

Run it from the repository root::

    .venv/bin/python benchmarks/web.py [--leads 500] [--clients 16] [--seconds 20]
                                       [--client-processes 1]

Work files go to benchmarks/.work/web (git-ignored). The figures are printed; nothing is kept.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test kit's jobs and seeding

from webkit import save_matches, seed, write_config  # noqa: E402

from aggregator.core.config import load_config  # noqa: E402
from aggregator.store import Store  # noqa: E402
from sources import option_models  # noqa: E402

WORK = ROOT / "benchmarks" / ".work" / "web"
TARGET_RPS, TARGET_P95_MS = 200.0, 100.0


def prepare(leads: int, port: int) -> tuple[Path, list[int]]:
    """A fresh config and store: one mentee (Sam) matched to ``leads`` leads (their ids)."""
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    config = load_config(write_config(WORK, f"http://127.0.0.1:{port}"), option_models())
    store = Store(config.database_url)
    try:
        found = sorted(seed(store, extra=leads).values())[:leads]
        save_matches(store, {"sam-lee": found})
    finally:
        store.close()
    return WORK / "config.yaml", found


def leads_command(config: Path, *args: str) -> list[str]:
    """`leads --config CONFIG ARGS…` as this interpreter runs it."""
    return [sys.executable, "-m", "aggregator", "--config", str(config), *args]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def fetch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> None:
    """One GET on a kept-alive connection; the answer must be a 200 with the whole page."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    body = await reader.readexactly(length)
    if not head.startswith(b"HTTP/1.1 200 ") or not body.rstrip().endswith(b"</html>"):
        status = head.split(b"\r\n", 1)[0]
        raise RuntimeError(f"bad answer {status!r}")


async def timed_get(url: str) -> float:
    """One request's latency in seconds, on a connection of its own."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        started = time.perf_counter()
        await fetch(reader, writer, request_bytes(url))
        return time.perf_counter() - started
    finally:
        writer.close()


def request_bytes(url: str) -> bytes:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()


async def load(url: str, clients: int, seconds: float) -> tuple[list[float], int, float]:
    """Latencies of every request made by ``clients`` back-to-back clients, errors, wall time."""
    latencies: list[float] = []
    errors = 0
    parts = urlsplit(url)
    request = request_bytes(url)
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    await fetch(reader, writer, request)
                except (OSError, RuntimeError, asyncio.IncompleteReadError, StopIteration):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                    continue
                latencies.append(time.perf_counter() - started)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return latencies, errors, time.perf_counter() - started


def load_in_process(job: tuple[str, int, float]) -> tuple[list[float], int, float, float]:
    """``load`` in a client process; also the CPU seconds that process used for it."""
    before = time.process_time()
    latencies, errors, wall = asyncio.run(load(*job))
    return latencies, errors, wall, time.process_time() - before


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--client-processes", type=int, default=1)
    args = parser.parse_args()
    port = free_port()
    config, leads = prepare(args.leads, port)
    link = json.loads(
        subprocess.run(
            leads_command(config, "links", "--mentee", "sam-lee", "--format", "jsonl"),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )["url"]
    server = subprocess.Popen(
        leads_command(config, "serve", "--port", str(port)),
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    processes = max(1, args.client_processes)
    shares = [args.clients // processes + (i < args.clients % processes) for i in range(processes)]
    try:
        assert server.stdout is not None
        server.stdout.readline()  # printed once the socket listens
        cold = asyncio.run(timed_get(link))
        searched = asyncio.run(timed_get(f"{link}?q=python&where=remote"))
        prep = [asyncio.run(timed_get(f"{link}/leads/{lead}/prep")) for lead in leads[:20]]
        load_before = os.getloadavg()
        server_before = cpu_seconds(server.pid)
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            results = pool.map(load_in_process, [(link, n, args.seconds) for n in shares if n])
        server_cpu = cpu_seconds(server.pid) - server_before
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = [latency for result in results for latency in result[0]]
    errors = sum(result[1] for result in results)
    wall = max(result[2] for result in results)
    client_cpu = sum(result[3] for result in results)
    rate = len(latencies) / wall
    p50, p95, p99 = (percentile(latencies, share) * 1000 for share in (0.5, 0.95, 0.99))
    print(f"leads page of one mentee with {args.leads} leads; {os.cpu_count()} cores; "
          f"{args.clients} clients in {processes} process(es), {args.seconds:.0f} s")  # fmt: skip
    print(f"  load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")
    print(f"  first request (nothing cached): {cold * 1000:.1f} ms; searched page: "
          f"{searched * 1000:.1f} ms; a lead's prep sheet (made on request): median "
          f"{statistics.median(prep) * 1000:.1f} ms of {len(prep)}")  # fmt: skip
    print(f"  {len(latencies)} requests, {errors} errors: {rate:.0f} requests/s; "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms")  # fmt: skip
    done = max(len(latencies), 1)
    print(f"  CPU per request: server {server_cpu / done * 1000:.2f} ms, "
          f"clients {client_cpu / done * 1000:.2f} ms")  # fmt: skip
    verdict = "met" if rate >= TARGET_RPS and p95 <= TARGET_P95_MS else "NOT met"
    print(f"  target >= {TARGET_RPS:.0f} requests/s and p95 <= {TARGET_P95_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
