"""Fault benchmark: one `leads run` against the hostile loopback web at the issue's sizes, and
the SIGKILL loop with its full count.

What is measured
  * ``tests/faults/site.py`` serves 100 healthy sources (recorded feeds and Greenhouse boards)
    and one source of each of 22 faults from 127.0.0.1-127.0.0.5, at full size: a 200 MB body,
    a gzip bomb of 1 GB, a feed of 100,000 items, JSON nested 100,000 deep, a drip of one byte
    a second. One ``leads run`` (a real process, file delivery) runs against it with the limits
    of ``Limits`` (timeout 3 s, one retry, max_bytes 20 MB, three redirects, and
    http.source_deadline / http.max_items where this version has them).
  * Printed: wall time against the bound the limits set, peak RSS of the largest process
    (os.wait4's ru_maxrss: the run or one of its workers), healthy postings stored of those
    recorded, each fault's outcome (its one line, or the postings it kept), exit code.
  * ``--crashes N`` (default 36): rounds of seeded SIGKILLs of `leads run` / `leads digest`
    across collect, match and send (MAIL, DATA, and after the server accepted a digest but
    before the commit), each round followed by a run to completion with every check of
    tests/faults/crashes.py. Printed: kills by point, digests delivered, resends that kept
    their Message-ID, duplicate deliveries.

Run it from the repository root::

    .venv/bin/python benchmarks/faults.py [--crashes 36] [--seed 11] [--skip-run]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from faults.crashes import CrashFigures, crash_round  # noqa: E402
from faults.site import (  # noqa: E402
    FAULTS,
    HEALTHY_COUNT,
    Limits,
    Sizes,
    fault_site,
    healthy_name,
    run_leads,
)
from faults.test_fault_suite import PEOPLE, expected_healthy, stored  # noqa: E402
from test_run import feed_server, mail_sink  # noqa: E402

from aggregator.core.config import HttpConfig  # noqa: E402

KILLS_PER_ROUND = 6


def fault_run(folder: Path) -> None:
    """One run against the full-size faults; prints the figures."""
    # max_bytes above the 100,000-item feed's 15 MB, so http.max_items is what stops it.
    limits, supported = Limits(max_bytes=20_000_000), set(HttpConfig.model_fields)
    with fault_site(Sizes()) as site:
        config = folder / "config.yaml"
        config.write_text(limits.http_yaml(supported) + "delivery: {method: file}\n"
                          + site.sources_yaml() + PEOPLE, encoding="utf-8")
        result = run_leads(config, timeout=1800)
    counts = stored(folder)  # asserts PRAGMA integrity_check is ok
    healthy = [healthy_name(i) for i in range(HEALTHY_COUNT)]
    expected = sum(expected_healthy(name) for name in healthy)
    kept = sum(min(counts[name], expected_healthy(name)) for name in healthy)
    print(f"run: exit {result.returncode}, {result.seconds:.1f} s "
          f"(bound set by the limits: {limits.run_bound(supported):.0f} s per source), "
          f"peak RSS {result.peak_rss_bytes / 1e6:.0f} MB, integrity ok")
    print(f"healthy postings stored: {kept} of {expected} ({100 * kept / expected:.1f} %)")
    lines = {line.split()[1]: line for line in result.stderr.splitlines()
             if line.startswith("source ")}
    handled = 0
    for fault in FAULTS:
        line = lines.get(fault.name)
        ok = (line is not None and "internal error" not in line) if fault.fails else (
            line is None or "failed" not in line)
        handled += ok
        shown = line if line else f"(no failure line; {counts[fault.name]} postings stored)"
        print(f"  {'ok  ' if ok else 'FAIL'} {fault.name}: {shown[:160]}")
    print(f"faults handled: {handled} of {len(FAULTS)}")
    digests = sorted((folder / "outbox").glob("*.eml"))
    print(f"digests written: {len(digests)}")


def crash_loop(kills: int, seed: int) -> None:
    """Rounds of seeded kills until ``kills`` kills; prints the figures."""
    figures = CrashFigures()
    rng = random.Random(seed)
    with feed_server() as feeds, mail_sink() as (sink, port):
        while sum(figures.kills.values()) < kills:
            with tempfile.TemporaryDirectory() as folder:
                want = min(KILLS_PER_ROUND, kills - sum(figures.kills.values()))
                crash_round(Path(folder), feeds, sink, port, rng, want, figures)
    print(f"kills survived: {sum(figures.kills.values())} ({dict(figures.kills)}) "
          f"in {figures.rounds} rounds")
    print(f"digests delivered: {figures.digests} (one per mentor per round), "
          f"resent with the same Message-ID: {figures.resent_same_id}, "
          f"duplicate deliveries: {figures.duplicate_deliveries}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--crashes", type=int, default=36)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-run", action="store_true")
    args = parser.parse_args()
    if not args.skip_run:
        with tempfile.TemporaryDirectory() as folder:
            fault_run(Path(folder))
    if args.crashes:
        crash_loop(args.crashes, args.seed)


if __name__ == "__main__":
    main()
