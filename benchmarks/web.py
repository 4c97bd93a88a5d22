"""Web view benchmark: a mentee's leads page under concurrent clients.

What is measured
  * One mentee with 500 matched leads (``--leads``) in a fresh SQLite store: the test kit's
    plausible jobs in numbered copies, each seen on its company page and most on a board too.
  * ``leads serve`` runs as its own process (uvicorn on 127.0.0.1, a free port), exactly as a
    mentor would start it.
  * ``--clients`` concurrent clients (asyncio + httpx, keep-alive, in this process) request
    the mentee's leads page (the first 50 leads, best and newest first, every field) back to
    back for ``--seconds``; the figures are requests per second and the median, 95th and
    99th percentile latency. Every answer must be a 200 with the page; any other is counted.
  * The first request (the page's data read from the store and prepared, nothing cached) is
    timed on its own, and so is a searched page (``?q=python&where=remote``).

Client and server share the machine's cores, so the figures are a floor for the server.
Target: >= 200 requests/s and p95 <= 100 ms on 2 cores.

Run it from the repository root::

    .venv/bin/python benchmarks/web.py [--leads 500] [--clients 16] [--seconds 20]

Work files go to benchmarks/.work/web (git-ignored). The figures are printed; nothing is kept.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test kit's jobs and seeding

from webkit import save_matches, seed, write_config  # noqa: E402

from aggregator.core.config import load_config  # noqa: E402
from aggregator.store import Store  # noqa: E402
from sources import option_models  # noqa: E402

WORK = ROOT / "benchmarks" / ".work" / "web"
TARGET_RPS, TARGET_P95_MS = 200.0, 100.0


def prepare(leads: int, port: int) -> Path:
    """A fresh config and store: one mentee (Sam) matched to ``leads`` leads."""
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    config = load_config(write_config(WORK, f"http://127.0.0.1:{port}"), option_models())
    store = Store(config.database_url)
    try:
        found = sorted(seed(store, extra=leads).values())[:leads]
        save_matches(store, {"sam-lee": found})
    finally:
        store.close()
    return WORK / "config.yaml"


def leads_command(config: Path, *args: str) -> list[str]:
    """`leads --config CONFIG ARGS…` as this interpreter runs it."""
    return [sys.executable, "-m", "aggregator", "--config", str(config), *args]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def timed_get(client: httpx.AsyncClient, url: str) -> float:
    """One request's latency in seconds; the page must come back whole."""
    started = time.perf_counter()
    response = await client.get(url)
    elapsed = time.perf_counter() - started
    if response.status_code != 200 or "</html>" not in response.text:
        raise RuntimeError(f"bad answer {response.status_code} from {url}")
    return elapsed


async def load(url: str, clients: int, seconds: float) -> tuple[list[float], int, float]:
    """Latencies of every request made by ``clients`` back-to-back clients, errors, wall time."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def one_client() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                try:
                    latencies.append(await timed_get(client, url))
                except (httpx.HTTPError, RuntimeError):
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        wall = time.perf_counter() - started
    return latencies, errors, wall


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def single(url: str) -> float:
    async with httpx.AsyncClient(timeout=30) as client:
        return await timed_get(client, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    port = free_port()
    config = prepare(args.leads, port)
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
    try:
        assert server.stdout is not None
        server.stdout.readline()  # printed once the socket listens
        cold = asyncio.run(single(link))
        searched = asyncio.run(single(f"{link}?q=python&where=remote"))
        latencies, errors, wall = asyncio.run(load(link, args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
    rate = len(latencies) / wall
    p50, p95, p99 = (percentile(latencies, share) * 1000 for share in (0.5, 0.95, 0.99))
    print(f"leads page of one mentee with {args.leads} leads; {os.cpu_count()} cores; "
          f"{args.clients} clients for {args.seconds:.0f} s")  # fmt: skip
    print(f"  first request (nothing cached): {cold * 1000:.1f} ms; searched page: "
          f"{searched * 1000:.1f} ms")  # fmt: skip
    print(f"  {len(latencies)} requests, {errors} errors: {rate:.0f} requests/s; "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms")  # fmt: skip
    verdict = "met" if rate >= TARGET_RPS and p95 <= TARGET_P95_MS else "NOT met"
    print(f"  target >= {TARGET_RPS:.0f} requests/s and p95 <= {TARGET_P95_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
