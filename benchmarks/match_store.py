"""`leads match` on a real store at scale: 100,000 postings x 10,000 mentees, then 1,000 more.

Unlike match_scale.py (the matcher alone), this runs aggregator.stages.match.match end to end:
leads read from SQLite, the model fitted and stored, profiles built (résumés read from files),
matches and progress written. The postings and mentees are the ones match_scale.py makes.

    .venv/bin/python benchmarks/match_store.py [--postings 100000] [--mentees 10000] [--new 1000]
        [--keep-store DIR]

Storing the postings takes minutes and is no part of matching: with --keep-store, the
filled database is kept in DIR after the first run and copied from there by later runs of
the same sizes (for repeated or side-by-side timings; a database of another schema
version needs its own DIR).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from match_scale import NOW, recombined_mentees, recombined_postings

from aggregator.core.config import AppConfig
from aggregator.core.models import Mentee, Mentor, SourceState
from aggregator.stages import match as match_stage
from aggregator.store import Store

BATCH = 1_000


def mentees(count: int, folder: Path) -> tuple[Mentee, ...]:
    """Mentees in the config's schema; résumé profiles get their text from a file."""
    found = []
    for profile in recombined_mentees(count, seed=2):
        resume = None
        if profile.resume:
            resume = folder / f"{profile.id}.txt"
            resume.write_text(profile.resume, encoding="utf-8")
        found.append(
            Mentee(
                id=profile.id,
                name=profile.id,
                email=f"{profile.id}@example.org",
                mentor="m",
                skills=profile.skills,
                roles=profile.roles,
                resume=str(resume) if resume else None,
                locations=profile.locations,
                seniority=profile.seniority,  # type: ignore[arg-type]
            )
        )
    return tuple(found)


def fill(store: Store, postings: list, start: int) -> None:
    for n in range(0, len(postings), BATCH):
        batch = [replace(p, source="bench") for _, p in postings[n : n + BATCH]]
        store.save_collected(SourceState(name="bench"), batch, NOW + timedelta(minutes=start + n))


def timed(label: str, action: Callable[[], object]) -> float:
    """Run ``action``, print its wall time, the peak RSS so far and what it returned."""
    began = time.perf_counter()
    result = action()
    wall = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {label:<48} {wall:7.1f} s   peak RSS {peak:7.0f} MiB   {result}")
    return wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--mentees", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=1_000)
    parser.add_argument("--keep-store", type=Path, help="keep (or reuse) the filled store here")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="match-store-"))
    everything = recombined_postings(args.postings + args.new, seed=1)
    people = mentees(args.mentees, folder)
    config = AppConfig(mentors=(Mentor(id="m", name="M", email="m@example.org"),), mentees=people)
    kept = None
    if args.keep_store:
        kept = args.keep_store / f"leads-{args.postings}.db"
        if kept.exists():
            shutil.copyfile(kept, folder / "leads.db")
    store = Store(f"sqlite:///{folder / 'leads.db'}")
    print(f"{args.postings:,} postings x {args.mentees:,} mentees, then {args.new:,} new")
    if kept is None or not kept.exists():
        timed(
            "store the postings (collect side, not matching)",
            lambda: fill(store, everything[: args.postings], 0),
        )
        if kept is not None:
            store.close()  # all of it in the database file, none left in a -wal beside it
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / "leads.db", kept)
            store = Store(f"sqlite:///{folder / 'leads.db'}")
    full = timed(
        "leads match, first run (fit + all leads)",
        lambda: match_stage.match(config, store, lambda: NOW).matches_stored,
    )
    timed(
        f"store {args.new:,} new postings", lambda: fill(store, everything[args.postings :], 10**6)
    )
    incremental = timed(
        "leads match, incremental",
        lambda: match_stage.match(config, store, lambda: NOW).new_leads_scored,
    )
    print(
        f"full: {full:.1f} s (target <= 60 s) {'PASS' if full <= 60 else 'FAIL'}; "
        f"incremental: {incremental:.1f} s (target <= 5 s) {'PASS' if incremental <= 5 else 'FAIL'}"
    )
    store.close()
    shutil.rmtree(folder)  # 400 MB at full size; --keep-store keeps a copy where asked
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
