"""CPU per 1,000 feed items, split by stage: parse, sanitise, dedupe, store.

The feeds are benchmarks/collect.py's farm (``--feeds`` feeds of 20-30 recorded We Work Remotely
items, ``--variant`` as there, added to the first ``--faulty-items`` items of each feed, or to
every item), parsed and stored in this one process, without HTTP, so the figures are the CPU
cost of each stage alone:

  * parse    — ``sources.rss.parse_feed`` minus the time inside ``sources.feed_reading.description``
  * sanitise — ``sources.feed_reading.description``: nh3 and the flattening to text
  * dedupe   — ``aggregator.core.dedupe.sightings`` and the LeadIndex look-ups; the part
               that is MinHash signatures (``dedupe.signatures``) is shown too: in a run with
               worker processes (8 sources or more) ``leads collect`` computes it there
  * store    — ``Store.save_collected`` minus dedupe, into a fresh SQLite file

In a run with worker processes, parse and sanitise run there, and so does preparing postings
for the store (``aggregator.core.intake.prepared``: their keys, sightings and signatures); the
rest of dedupe and store runs on the store's thread of the main process, shown as its own line.

CPU is ``time.process_time`` (this process only), the median of ``--repeats`` rounds. It also
prints the share of feeds whose XML was repaired before lxml read it, the share that needed
feedparser (its calls: a feed it reads with the descriptions set aside, sources/text_aside.py,
and then whole, where that reading cannot take them back, counts twice), and the peak RSS of
the process.

To compare with other code, put it first on the path (the script imports whatever ``sources``
and ``aggregator`` it finds)::

    .venv/bin/python benchmarks/feed_stages.py [--feeds 200] [--variant plain] [--repeats 5]
    git archive main | tar -x -C /tmp/before && \\
        PYTHONPATH=/tmp/before .venv/bin/python benchmarks/feed_stages.py
"""

from __future__ import annotations

import argparse
import functools
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collect import VARIANTS, build_feeds  # benchmarks/ is the script's folder: first on the path

CONTENT_TYPE = "application/rss+xml; charset=utf-8"  # as the farm serves them
STAGES = ("parse", "sanitise", "dedupe", "store")


def timed(spent: Counter[str], stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, adding the CPU time of each call to ``spent[stage]`` and counting calls."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[stage] += time.process_time() - started
            spent[f"{stage} calls"] += 1

    return wrapper


def one_round(feeds: list[bytes]) -> tuple[Counter[str], int]:
    """CPU seconds per stage for parsing and storing every feed once (with the counts of
    repaired feeds and feedparser calls); items."""
    import feedparser

    from aggregator.core import dedupe

    try:
        from aggregator.core import intake
    except ImportError:  # code from before postings were prepared for the store apart
        intake = None
    from aggregator.core.models import SourceState
    from aggregator.store import Store
    from sources import rss

    try:
        from sources import feed_reading as reading  # the reading, apart from the source type
    except ImportError:  # code from before: sources.rss read feeds itself
        reading = rss

    spent: Counter[str] = Counter()
    patches = [
        (reading, "description", "sanitise"),
        (dedupe, "sightings", "dedupe"),
        (dedupe, "signatures", "signatures"),
        (dedupe.LeadIndex, "find", "dedupe"),
        (dedupe.LeadIndex, "add", "dedupe"),
        (feedparser, "parse", "feedparser"),
    ]
    if intake is not None and hasattr(intake, "prepared"):  # before: signatures hashed apart
        patches.append((intake, "prepared", "prepare"))
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    if hasattr(reading, "read_feed"):  # code from before the lxml reader has none
        originals.append((reading, "read_feed", reading.read_feed))
    for owner, name, stage in patches:
        setattr(owner, name, timed(spent, stage, getattr(owner, name)))
    if hasattr(reading, "read_feed"):
        reading.read_feed = counting_repairs(spent, reading.read_feed)  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as folder:
            store = Store(f"sqlite:///{folder}/leads.db")
            now = datetime(2022, 11, 9, tzinfo=UTC)
            items = 0
            for number, body in enumerate(feeds):
                url = f"http://127.0.0.1/feeds/{number:03d}.rss"
                started = time.process_time()
                postings = rss.parse_feed(body, url, CONTENT_TYPE, f"feed-{number:03d}")
                spent["parse"] += time.process_time() - started
                items += len(postings)
                started = time.process_time()
                store.save_collected(SourceState(name=f"feed-{number:03d}"), postings, now)
                spent["store"] += time.process_time() - started
            store.close()
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    spent["parse"] -= spent["sanitise"]
    spent["store"] -= spent["dedupe"]
    return spent, items


def counting_repairs(spent: Counter[str], read_feed: Callable[..., Any]) -> Callable[..., Any]:
    """``read_feed``, counting in ``spent["repaired"]`` the documents it read after a repair."""

    @functools.wraps(read_feed)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        document = read_feed(*args, **kwargs)
        # getattr: code from before the repair (see the docstring) reads no document repaired
        spent["repaired"] += bool(getattr(document, "repaired", False))
        return document

    return wrapper


def farm(count: int, variant: str, faulty_items: int | None) -> list[bytes]:
    """The farm's feeds, with the variant's addition in the first ``faulty_items`` items of
    each feed only, if given."""
    changed = build_feeds(count, variant)
    if faulty_items is None:
        return changed
    feeds = []
    for plain, faulty in zip(build_feeds(count), changed, strict=True):
        plain_parts, faulty_parts = plain.split(b"</item>"), faulty.split(b"</item>")
        feeds.append(b"</item>".join(faulty_parts[:faulty_items] + plain_parts[faulty_items:]))
    return feeds


def main() -> int:
    """Print CPU ms per 1,000 items by stage (median of the rounds)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--variant", choices=tuple(VARIANTS), default="plain")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--faulty-items", type=int, help="items per feed the variant changes")
    args = parser.parse_args()
    feeds = farm(args.feeds, args.variant, args.faulty_items)
    one_round(feeds[:5])  # imports and caches warmed up
    rounds = [one_round(feeds) for _ in range(args.repeats)]
    spent, items = rounds[0]
    repaired, fallbacks = int(spent["repaired"]), int(spent["feedparser calls"])
    import sources.rss

    print(f"code: {Path(sources.rss.__file__).resolve().parent.parent}")
    print(
        f"{len(feeds)} feeds ({args.variant}"
        f"{'' if args.faulty_items is None else f' in {args.faulty_items} items of each'}), "
        f"{items} items; {repaired} feeds "
        f"({repaired / len(feeds):.0%}) read by lxml after an XML repair, {fallbacks} feeds "
        f"({fallbacks / len(feeds):.0%}) needed feedparser; median of {args.repeats} rounds"
    )
    total = 0.0
    for stage in STAGES:
        spent = statistics.median(r[0][stage] for r in rounds) * 1000 / items * 1000
        total += spent
        print(f"  {stage:<9} {spent:8.1f} ms CPU per 1,000 items")
        if stage == "dedupe":
            hashing = statistics.median(r[0]["signatures"] for r in rounds) * 1e6 / items
            print(f"    of which {hashing:.1f} ms MinHash signatures (in parse workers in a run)")
    print(f"  {'total':<9} {total:8.1f} ms CPU per 1,000 items")
    apart = "prepare" if "prepare" in rounds[0][0] else "signatures"
    writer = statistics.median(r[0]["store"] + r[0]["dedupe"] - r[0][apart] for r in rounds)
    print(f"  on the store's thread in a run: {writer * 1e6 / items:.1f} ms (the rest in workers)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of this process: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
