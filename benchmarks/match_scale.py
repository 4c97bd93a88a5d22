"""Scale of the TF-IDF matcher: 100,000 postings x 10,000 mentees, and an incremental run.

    .venv/bin/python benchmarks/match_scale.py [--postings 100000] [--mentees 10000]

Postings are recombined from recorded ones (the WWR 2022-11 feeds and the Google careers
postings): a real title, a description stitched from paragraphs of two real postings,
a real company and location (some moved to the Chicago area), a date in the last 60 days.
Mentees are recombined from the hand-written short profiles and the real résumés, with
locations, seniority and exclusions drawn at random. Everything is seeded: the same run
twice does the same work.

Phases: fit (vocabulary and idf, from a sample of at most FIT_SAMPLE postings), index
(vectorise all postings), match (rank_many: 10,000 profiles, top 20, max age 30 days).
"Full match" is index + match with a fitted model, as a run with a stored model does;
fit is shown too, and the peak memory covers all phases. "Incremental" is what a run
with 1,000 new postings does: index them and rank them for every mentee.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from match_quality import DATA, load_google, load_resumes, load_wwr
from ruamel.yaml import YAML

from aggregator.core.closing import stated_closing
from aggregator.core.models import Posting
from matchers import Profile, TfidfMatcher, dump_matcher, load_matcher

NOW = datetime(2026, 3, 1, tzinfo=UTC)
FULL_SECONDS, FULL_BYTES, INCREMENTAL_SECONDS = 60.0, 2 * 1024**3, 5.0
PLACES = [(), ("remote",), ("Chicago", "remote"), ("New York",), ("London", "remote"),
          ("San Francisco", "remote"), ("Lisbon",), ("Bangalore",)]
CHICAGO = ["Chicago, IL", "Evanston, IL", "Naperville, IL", "Schaumburg, IL"]


def recombined_postings(count: int, seed: int) -> list[tuple[str, Posting]]:
    """``count`` postings stitched from recorded ones."""
    rng = random.Random(seed)
    base = [item.posting for item in load_wwr() + load_google()]
    # Not a recorded posting's deadline ("Closing date: Friday 4 November, 2022"): it would
    # close a posting of today.
    paragraphs = [[p for p in b.description_text.split("\n")
                   if p.strip() and stated_closing(p, None) is None] or [b.title]
                  for b in base]
    companies = sorted({b.company for b in base if b.company})
    locations = sorted({b.location for b in base if b.location}) + CHICAGO
    out = []
    for i in range(count):
        a, b = rng.randrange(len(base)), rng.randrange(len(base))
        body = paragraphs[a][: rng.randint(3, 12)] + paragraphs[b][: rng.randint(1, 6)]
        remote = rng.random() < 0.4
        out.append((f"p{i}", Posting(
            source="bench", external_id=str(i), url=f"https://example.org/jobs/{i}",
            title=base[a].title, company=rng.choice(companies),
            location="Remote" if remote and rng.random() < 0.5 else rng.choice(locations),
            remote=remote, posted_at=NOW - timedelta(days=rng.uniform(0, 60)),
            description_text="\n".join(body), tags=base[a].tags,
        )))
    return out


def recombined_mentees(count: int, seed: int) -> list[Profile]:
    """``count`` profiles: 60 % short skills/roles lists, 40 % résumés."""
    rng = random.Random(seed)
    judgements = YAML(typ="safe").load((DATA / "match_judgements.yaml").read_text("utf-8"))
    short = judgements["short"]["wwr"] + judgements["short"]["google"]
    resumes = [text for _, text in load_resumes()]
    out = []
    for i in range(count):
        if rng.random() < 0.6:
            q = rng.choice(short)
            skills = rng.sample(q["skills"], k=min(len(q["skills"]), rng.randint(3, 6)))
            profile = Profile(id=f"m{i}", roles=tuple(q["roles"]), skills=tuple(skills))
        else:
            profile = Profile(id=f"m{i}", resume=rng.choice(resumes))
        out.append(replace(
            profile,
            locations=rng.choice(PLACES),
            seniority=rng.choice([None, None, "entry", "junior", "mid", "senior"]),
            exclude_companies=(rng.choice(["Google", "YouTube", "Toptal"]),)
            if rng.random() < 0.1 else (),
            exclude_keywords=(rng.choice(["crypto", "blockchain", "unpaid", "commission"]),)
            if rng.random() < 0.1 else (),
        ))
    return out


def peak_bytes() -> int:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Phase:
    """Times a block: wall clock and this process's CPU time (all threads)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.wall = self.cpu = 0.0

    def __enter__(self) -> Phase:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu
        print(f"  {self.label:<36}{self.wall:>7.1f} s wall {self.cpu:>7.1f} s CPU"
              f"   peak RSS {peak_bytes() / 1024**2:>6.0f} MiB", flush=True)


def main() -> int:
    """Run the phases and print PASS/FAIL against the targets."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--mentees", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=1_000)
    args = parser.parse_args()
    print(f"Match scale: {args.postings:,} postings x {args.mentees:,} mentees "
          f"(+{args.new:,} new postings); {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    postings = recombined_postings(args.postings + args.new, seed=1)
    old, new = postings[: args.postings], postings[args.postings :]
    mentees = recombined_mentees(args.mentees, seed=2)
    print(f"  {'data made':<36}{'':>30}   peak RSS {peak_bytes() / 1024**2:>6.0f} MiB")
    with Phase("fit") as fit:
        matcher = TfidfMatcher().fit(p for _, p in old)
    with Phase(f"index {len(old):,} postings") as index_all:
        index = matcher.index(old)
    with Phase(f"rank_many {len(mentees):,} mentees") as rank_all:
        ranked = matcher.rank_many(mentees, index, top=20, now=NOW, max_age_days=30)
    del index
    # The next run starts from the stored model: a new process knows no profile yet.
    with Phase("store and load the model") as store:
        stored = dump_matcher(matcher)
        cold = load_matcher(stored)
        assert cold is not None
    with Phase(f"incremental: index {len(new):,} new") as index_new:
        fresh = cold.index(new)
    with Phase(f"incremental: rank {len(mentees):,} mentees") as rank_new:
        cold.rank_many(mentees, fresh, top=20, now=NOW, max_age_days=30)
    with Phase("again, profiles known (same process)") as warm:
        matcher.rank_many(mentees, matcher.index(new), top=20, now=NOW, max_age_days=30)
    print(f"  mentees with matches: {sum(1 for m in ranked.values() if m):,}/{len(mentees):,};"
          f" matches: {sum(map(len, ranked.values())):,}")
    full = index_all.wall + rank_all.wall
    full_cpu = index_all.cpu + rank_all.cpu
    incremental = index_new.wall + rank_new.wall
    incremental_cpu = index_new.cpu + rank_new.cpu
    peak = peak_bytes()
    rows = [
        ("full match (index + rank)", f"{full:.1f} s", f"{full_cpu:.1f} s",
         full <= FULL_SECONDS, f"<= {FULL_SECONDS:.0f} s"),
        ("fit (once; refit on growth)", f"{fit.wall:.1f} s", f"{fit.cpu:.1f} s", True, "-"),
        ("peak RSS, whole run", f"{peak / 1024**3:.2f} GiB", "", peak <= FULL_BYTES, "<= 2 GiB"),
        (f"incremental ({len(new):,} new, new process)", f"{incremental:.1f} s",
         f"{incremental_cpu:.1f} s", incremental <= INCREMENTAL_SECONDS,
         f"<= {INCREMENTAL_SECONDS:.0f} s"),
        ("incremental (same process)", f"{warm.wall:.1f} s", f"{warm.cpu:.1f} s",
         warm.wall <= INCREMENTAL_SECONDS, f"<= {INCREMENTAL_SECONDS:.0f} s"),
        ("model bytes (store + load)", f"{len(stored) / 1024**2:.1f} MiB", f"{store.wall:.1f} s",
         True, "-"),
    ]
    print(f"\n{'measure':<38}{'value':>10}{'CPU':>9}  {'target':<10} result")
    for name, value, cpu, ok, target in rows:
        print(f"{name:<38}{value:>10}{cpu:>9}  {target:<10} {'PASS' if ok else 'FAIL'}")
    return 0 if all(row[3] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
