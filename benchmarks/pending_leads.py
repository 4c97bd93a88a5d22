"""The digest's freshness conditions on PostgreSQL: how long leaving out a mentor's stale and
closed leads takes when the postings table is large.

    .venv/bin/python benchmarks/pending_leads.py [--postings 300000] [--candidates 1000]

A fresh database (127.0.0.1:5432, user postgres, trust; dropped afterwards) at the current
schema holds ``--postings`` postings, two sightings a lead, a third of them with a closing
date (from 30 days ago to 30 days ahead), posted up to 90 days ago. For ``--candidates``
leads (a mentor's pending matches), each condition of ``DeliveriesStore.pending_matches`` is
timed as it is now (asked of each candidate lead through the postings' lead index) and as
it was first written (a list of every stale or closed lead, then ``NOT IN``); both keep the
same leads. Median of 7.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import ColumnElement, Engine, Select, exists, func, or_, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aggregator.store.deliveries import is_open, sightings_of
from aggregator.store.engine import open_engine
from aggregator.store.migrations import migrate
from aggregator.store.schema import leads, postings

SERVER = "host=127.0.0.1 port=5432 user=postgres"
DATABASE = "bench_pending_leads"
REPEATS = 7
AGE_LIMIT = timedelta(days=45)


def fill(count: int) -> None:
    """``count`` postings of ``count // 2`` leads, written by the server itself."""
    with psycopg.connect(f"{SERVER} dbname={DATABASE}", autocommit=True) as conn:
        conn.execute(
            "INSERT INTO leads (id, key, company_key, first_seen, last_seen) "
            "SELECT g, 'k' || g, 'c', now(), now() FROM generate_series(1, %s) g",
            (count // 2,),
        )
        conn.execute(
            """INSERT INTO postings (lead_id, company_page, source, fingerprint, external_id,
            url, canonical_url, title, company, location, remote, employment_type, posted_at,
            closes_at, description_html, description_text, tags, content_hash, first_seen,
            last_seen, updated_at)
            SELECT (g %% %(leads)s) + 1, false, 's', 'f' || g, 'e' || g, 'u', 'u', 't', 'c',
            'l', false, '', now() - (g %% 90) * interval '1 day',
            CASE WHEN g %% 3 = 0 THEN now() + ((g %% 60) - 30) * interval '1 day' END,
            '', '', '[]', 'h', now(), now(), now() FROM generate_series(1, %(count)s) g""",
            {"leads": count // 2, "count": count},
        )
        conn.execute("ANALYZE")


def listed_stale(now: datetime) -> Select[tuple[int]]:
    return select(postings.c.lead_id).where(postings.c.posted_at < now - AGE_LIMIT)


def listed_closed(now: datetime) -> Select[tuple[int]]:
    other = postings.alias("other")
    still_open = select(other.c.id).where(
        other.c.lead_id == postings.c.lead_id,
        or_(other.c.closes_at.is_(None), other.c.closes_at > now),
    )
    return select(postings.c.lead_id).where(postings.c.closes_at <= now, ~exists(still_open))


def timed(engine: Engine, kept: ColumnElement[bool], candidates: int) -> tuple[int, float]:
    """(leads kept, median seconds) of counting the candidates ``kept`` keeps."""
    query = select(func.count()).where(
        leads.c.id.in_(list(range(1, 2 * candidates, 2))), kept
    )
    times, found = [], 0
    with engine.connect() as conn:
        for _ in range(REPEATS):
            started = time.perf_counter()
            found = int(conn.execute(query).scalar_one())
            times.append(time.perf_counter() - started)
    return found, statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postings", type=int, default=300_000)
    parser.add_argument("--candidates", type=int, default=1_000)
    args = parser.parse_args()
    with psycopg.connect(f"{SERVER} dbname=postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        admin.execute(f"CREATE DATABASE {DATABASE}")
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"
        engine = open_engine(url)
        try:
            migrate(engine, url)
            fill(args.postings)
            now = datetime.now(UTC)
            conditions: dict[str, Callable[[], ColumnElement[bool]]] = {
                "stale, per candidate (now)": lambda: ~exists(
                    sightings_of(leads.c.id).where(postings.c.posted_at < now - AGE_LIMIT)),
                "stale, every stale lead listed": lambda: leads.c.id.not_in(listed_stale(now)),
                "closed, per candidate (now)": lambda: is_open(leads.c.id, now),
                "closed, every closed lead listed": lambda: leads.c.id.not_in(
                    listed_closed(now)),
            }
            print(f"{args.postings:,} postings, {args.candidates:,} candidate leads; "
                  f"median of {REPEATS}")
            for name, condition in conditions.items():
                kept, seconds = timed(engine, condition(), args.candidates)
                print(f"  {name:<34} {kept:>6,} kept  {seconds * 1000:7.1f} ms")
        finally:
            engine.dispose()
            admin.execute(f"DROP DATABASE {DATABASE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
