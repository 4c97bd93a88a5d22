"""PostgreSQL against SQLite: collection by several worker processes, and matching at scale.

    .venv/bin/python benchmarks/postgres.py [--feeds 1000] [--workers 1,2,4] [--repeats 3]
                                            [--postings 100000] [--mentees 10000] [--new 1000]
                                            [--skip-collect] [--skip-match]

Collect: ``--feeds`` RSS feeds built from recorded We Work Remotely items (benchmarks/collect.py's
server process: 10 loopback addresses, ``--latency`` before each answer) are collected by
``leads collect --quiet --workers N`` into a fresh PostgreSQL database for each N of
``--workers``, and by one process into a fresh SQLite file. Each run is checked: the server saw
exactly one request per feed (all 200s), every source is stored with a success, and the
source leases say which worker process stored how many. Wall time is the median of
``--repeats`` runs.

Match: aggregator.stages.match.match (what `leads match` runs) on ``--postings`` stored
postings x ``--mentees`` mentees, then ``--new`` more (match_store.py's data, from
match_scale.py), on PostgreSQL and on SQLite. Storing the postings is timed too.

PostgreSQL: 127.0.0.1:5432, user postgres (trust); each run gets a database of its own,
dropped afterwards. Work files go to benchmarks/.work/. The figures are printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from collect import WORK, FeedServer, leads_command, load_average
from match_scale import NOW, recombined_postings
from match_store import fill, mentees, timed
from sqlalchemy import create_engine, func, select, text

from aggregator.core.config import AppConfig
from aggregator.core.models import Mentor, Posting
from aggregator.stages import match as match_stage
from aggregator.store import Store, migrations
from aggregator.store.engine import open_engine
from aggregator.store.schema import source_leases, source_states

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database URL of ``kind`` ("postgresql" or "sqlite"), removed afterwards."""
    if kind == "sqlite":
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        yield f"sqlite:///{folder / 'leads.db'}"
        return
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        url = f"{PG_SERVER}/{name}"
        engine = open_engine(url)
        migrations.migrate(engine, url)  # what `leads migrate` does
        engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


# -- collect ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectRun:
    """One measured collection."""

    seconds: float
    per_worker: list[int]  # sources stored by each worker process, most first


def write_config(folder: Path, url: str, feeds: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f'storage: {{url: "{url}"}}', "sources:"]
    lines += [f'  - {{name: feed-{n:04d}, type: rss, url: "{u}"}}' for n, u in enumerate(feeds)]
    path = folder / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def collect_once(server: FeedServer, kind: str, workers: int) -> CollectRun:
    """Collect every feed into a fresh database; check each was fetched exactly once."""
    folder = WORK / f"postgres-{kind}-{workers}"
    with database(kind, folder / "db") as url:
        config = write_config(folder, url, server.urls)
        server.reset()
        command = [*leads_command(), "--config", str(config), "collect", "--quiet"]
        began = time.perf_counter()
        subprocess.run([*command, "--workers", str(workers)], check=True)
        seconds = time.perf_counter() - began
        stats = server.stats()
        feeds = len(server.urls)
        if stats.requests != feeds or stats.statuses != {200: feeds}:
            raise SystemExit(f"{kind} x {workers}: {stats.requests} requests for {feeds} feeds")
        engine = create_engine(url)
        with engine.connect() as conn:
            stored = conn.execute(
                select(func.count()).where(source_states.c.last_success.is_not(None))
            ).scalar_one()
            holders = conn.execute(
                select(source_leases.c.holder).where(source_leases.c.done_at.is_not(None))
            ).scalars()
            per_worker = sorted(Counter(holders).values(), reverse=True)
        engine.dispose()
    if stored != feeds:
        raise SystemExit(f"{kind} x {workers}: {stored} of {feeds} sources stored")
    return CollectRun(seconds, per_worker)


def bench_collect(args: argparse.Namespace) -> None:
    server = FeedServer(args)
    try:
        print(
            f"collect: {len(server.urls)} feeds, {server.items} items, "
            f"{server.bytes / 2**20:.1f} MB on {args.hosts} loopback addresses, "
            f"{args.latency * 1000:g} ms latency; median of {args.repeats}",
            flush=True,
        )
        plans = [("sqlite", 1)] + [("postgresql", n) for n in args.workers]
        for kind, workers in plans:
            runs = [collect_once(server, kind, workers) for _ in range(args.repeats)]
            seconds = [run.seconds for run in runs]
            each = ", ".join(f"{s:.1f}" for s in seconds)
            print(
                f"  {kind:<10} {workers} worker process{'es' if workers > 1 else '  '}: "
                f"{statistics.median(seconds):6.1f} s  (runs {each}; sources per worker, "
                f"last run: {runs[-1].per_worker}; each feed fetched exactly once)",
                flush=True,
            )
    finally:
        server.close()


# -- match -----------------------------------------------------------------------------------


def bench_match(args: argparse.Namespace) -> None:
    print(
        f"match: {args.postings:,} postings x {args.mentees:,} mentees, then {args.new:,} new",
        flush=True,
    )
    folder = Path(tempfile.mkdtemp(prefix="pg-match-", dir=WORK))
    everything = recombined_postings(args.postings + args.new, seed=1)
    people = mentees(args.mentees, folder)
    config = AppConfig(mentors=(Mentor(id="m", name="M", email="m@example.org"),), mentees=people)
    for kind in ("postgresql", "sqlite"):
        print(f"  {kind}", flush=True)
        with database(kind, folder / kind) as url:
            match_on(Store(url), config, everything, args.postings)
    shutil.rmtree(folder, ignore_errors=True)


def match_on(
    store: Store, config: AppConfig, everything: list[tuple[str, Posting]], first: int
) -> None:
    """Store ``first`` postings, match, store the rest, match again; the store is closed."""
    try:
        timed("store the postings", lambda: fill(store, everything[:first], 0))
        timed(
            "leads match, first run (fit + all leads)",
            lambda: match_stage.match(config, store, _now).matches_stored,
        )
        timed(
            f"store {len(everything) - first:,} new postings",
            lambda: fill(store, everything[first:], 10**6),
        )
        timed(
            "leads match, incremental",
            lambda: match_stage.match(config, store, _now).new_leads_scored,
        )
    finally:
        store.close()


def _now() -> datetime:
    return NOW


def _numbers(text: str) -> list[int]:
    return [int(n) for n in text.split(",")]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument(
        "--workers", type=lambda s: [int(n) for n in s.split(",")], default=[1, 2, 4]
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--mentees", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=1_000)
    parser.add_argument("--skip-collect", action="store_true")
    parser.add_argument("--skip-match", action="store_true")
    args = parser.parse_args()
    args.layout, args.variant = "interleaved", "plain"  # what collect.FeedServer expects
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"CPUs: {os.cpu_count()}; load average at the start: {load_average()}", flush=True)
    if not args.skip_collect:
        bench_collect(args)
    if not args.skip_match:
        bench_match(args)
    print(f"load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
