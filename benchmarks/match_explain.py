"""Precision of "Why it fits" and "Brush up on", judged by hand on real postings and profiles.

    .venv/bin/python benchmarks/match_explain.py            # precision of this checkout
    .venv/bin/python benchmarks/match_explain.py --pairs    # choose the pairs (once)

The pairs (benchmarks/data/explain_pairs.tsv) are (posting set, profile, posting) triples:
profiles of many fields from benchmarks/match_quality.py, each with the postings its
ranking put first when the pairs were chosen. For each pair the matcher's why-terms and
gaps are looked up in benchmarks/data/explain_judgements.tsv, one judged term a line:

    set <TAB> profile id <TAB> posting key <TAB> why|gap <TAB> term <TAB> 1|0

A why-term is right (1) when it is a skill or a role word the mentee has and the posting
asks for, and says something on its own (a bare "manager", "media" or "planning" does
not), and no near-duplicate of another shown term; a gap when it is a real skill the
posting's requirements (not its blurb, offer or EEO text) ask for, the mentee lacks, shown
under a name the posting would recognise, and no near-duplicate. Judged once per term, by
reading the posting and the profile; terms judged for an earlier version of the matcher
stay in the file, so the precision of any version can be measured. Terms not
judged yet are listed, and the run fails, so a changed matcher gets its new terms judged.
Targets: precision >= 0.95 for why, >= 0.90 for gaps. Reported for the tuning and held-out
halves of match_quality.py (by profile) and both; rules are chosen looking at the tuning
half's wrong terms only (``--wrong`` lists those), the held-out half is the honest figure.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from match_quality import DATA, HALVES, Labelled, Query, half_of, load_sets

from aggregator.core.models import Match
from matchers import TfidfMatcher

PAIRS = DATA / "explain_pairs.tsv"
JUDGEMENTS = DATA / "explain_judgements.tsv"
TARGETS = {"why": 0.95, "gap": 0.90}
# Profiles of many fields (short and résumé style) and postings per profile.
PROFILES = {
    "wwr": ("frontend-react", "backend-python", "devops-k8s", "designer-product",
            "support-agent", "sales-b2b", "marketing-digital", "finance-analyst",
            "content-writer", "people-ops", "project-coordinator", "cv-customer-support"),
    "google": ("software-engineer", "sre", "ux-designer", "sales-account", "marketing-comms",
               "finance-fpa", "recruiter", "program-manager", "partner-manager", "lawyer",
               "press-officer", "events", "revops", "cv-communications-graduate",
               "cv-hr-coordinator", "cv-financial-analyst"),
}
PER_PROFILE = 2

Key = tuple[str, str, str]  # set, profile id, posting key


def explained(items: Sequence[Labelled], qs: Sequence[Query]) -> dict[str, list[Match]]:
    """Every posting's match (with why and gaps) for each profile, best first."""
    matcher = TfidfMatcher().fit([i.posting for i in items])
    index = matcher.index([(i.key, i.posting) for i in items])
    return matcher.rank_many([q.profile for q in qs], index, top=None)


def chosen_profiles() -> dict[str, tuple[list[Labelled], list[Query]]]:
    """Per posting set: its postings and the sample's profiles."""
    sets, qs = load_sets()
    out = {}
    for name, wanted in PROFILES.items():
        every = {q.profile.id: q for style in ("short", "long") for q in qs[(name, style)]}
        out[name] = (sets[name], [every[p] for p in wanted])
    return out


def choose_pairs() -> None:
    """Write the pairs: each profile's first PER_PROFILE postings."""
    with PAIRS.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        for name, (items, qs) in chosen_profiles().items():
            ranked = explained(items, qs)
            for q in qs:
                for m in ranked[q.profile.id][:PER_PROFILE]:
                    writer.writerow((name, q.profile.id, m.posting))


def read_judgements() -> dict[tuple[str, str, str, str, str], bool]:
    """(set, profile, posting, list, term) -> whether the term is right."""
    out = {}
    with JUDGEMENTS.open(encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter="\t"):
            if row and not row[0].startswith("#"):
                out[(row[0], row[1], row[2], row[3], row[4])] = row[5] == "1"
    return out


def main() -> int:
    """Print precision per list and half; exit 1 if a term is unjudged or a target is missed
    (judged on both halves together)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", action="store_true", help="choose the pairs and stop")
    parser.add_argument("--wrong", action="store_true",
                        help="list the terms of the tuning half judged wrong")
    args = parser.parse_args()
    if args.pairs:
        choose_pairs()
        return 0
    with PAIRS.open(encoding="utf-8", newline="") as f:
        pairs = [tuple(row) for row in csv.reader(f, delimiter="\t") if row]
    judged = read_judgements()
    counts: Counter[tuple[str, str, bool]] = Counter()  # (half, list, right)
    unjudged = []
    wrong = []
    for name, (items, qs) in chosen_profiles().items():
        ranked = explained(items, qs)
        for _, profile, posting in (p for p in pairs if p[0] == name):
            match = next(m for m in ranked[profile] if m.posting == posting)
            half = half_of(profile)
            for kind, terms in (("why", match.why), ("gap", match.gaps)):
                for term in terms:
                    row = "\t".join((name, profile, posting, kind, term))
                    verdict = judged.get((name, profile, posting, kind, term))
                    if verdict is None:
                        unjudged.append(row)
                        continue
                    counts[(half, kind, verdict)] += 1
                    if not verdict and half == "tuning":
                        wrong.append(row)
    ok = not unjudged
    print(f"pairs: {len(pairs)}; judged terms in the file: {len(judged)}")
    for half in (*HALVES, "both"):
        for kind, target in TARGETS.items():
            halves = HALVES if half == "both" else (half,)
            right = sum(counts[(h, kind, True)] for h in halves)
            total = right + sum(counts[(h, kind, False)] for h in halves)
            share = right / total if total else 0.0
            verdict = ""
            if half == "both":
                ok &= share >= target
                verdict = f"{'PASS' if share >= target else 'FAIL'} (target {target:.2f})"
            print(f"{half:<9} {kind:<4} {right:>4} / {total:<4} precision {share:.3f}  {verdict}")
    if args.wrong:
        print("judged wrong (tuning half):", *wrong, sep="\n")
    if unjudged:
        print(f"{len(unjudged)} terms not judged yet:", file=sys.stderr)
        print("\n".join(unjudged), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
