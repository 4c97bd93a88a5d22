"""Ranking quality of the TF-IDF matcher on labelled real data, against two baselines.

    .venv/bin/python benchmarks/match_quality.py          # report
    .venv/bin/python benchmarks/match_quality.py --tune   # choose settings, then report

Posting sets: the We Work Remotely 2022-11 category feeds (label: the item's <category>)
and the Google careers postings (label: Category). Mentee profiles come in two styles:
short skills/roles lists written by hand, and long résumés: those of the résumé dataset
(label: Category, mapped to graded posting categories) and résumé-style ones written by
hand for business, communications, marketing, sales, finance, operations and people
roles (benchmarks/data/match_judgements.yaml holds all the profiles and judgements).
Each profile ranks every posting of a set; NDCG@10 (graded) is averaged over profiles for
the project's matcher and for two baselines: BM25 (rank_bm25 Okapi, regex word tokens)
and scikit-learn's TfidfVectorizer() with cosine. All three see the same posting text
(title, description, tags) and the same profile text; the category label is removed from
WWR tags, where the feed puts it.

The profiles are split by a hash of their id into a tuning half and a held-out half. The
matcher's settings (matchers.tfidf.Settings) are one set for every data set, chosen with
--tune on the tuning half only; the targets are judged on the held-out half: +0.05 over
the better baseline on every (set, style) and on the non-engineering profiles of all sets
pooled, and no row below its baseline.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from rank_bm25 import BM25Okapi
from ruamel.yaml import YAML
from sklearn.feature_extraction.text import TfidfVectorizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aggregator.core.models import Posting
from matchers import Profile, Settings, TfidfMatcher
from sources.rss import parse_feed

DATA = Path(__file__).resolve().parent / "data"
WWR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "rss" / "wwr_2022-11"
# The mixed feeds (remote-jobs, remote-programming-jobs) repeat items of these.
WWR_FEEDS = (
    "all-other-remote-jobs", "remote-back-end-programming-jobs", "remote-customer-support-jobs",
    "remote-design-jobs", "remote-devops-sysadmin-jobs", "remote-front-end-programming-jobs",
    "remote-full-stack-programming-jobs", "remote-management-and-finance-jobs",
    "remote-product-jobs", "remote-sales-and-marketing-jobs",
)
K = 10
TARGET = 0.05
HALVES = ("tuning", "held-out")
BASELINE_VERSION = "bm25 + tfidf-default, NDCG@10, v1"  # change when the baselines change
csv.field_size_limit(1 << 30)


@dataclass(frozen=True)
class Labelled:
    """A posting of a benchmark set with its category."""

    key: str
    posting: Posting
    label: str


@dataclass(frozen=True)
class Query:
    """A mentee profile, the graded categories relevant to it, its field and its half."""

    profile: Profile
    relevant: dict[str, int]
    field: str
    half: str  # "tuning" or "held-out"

    @property
    def engineering(self) -> bool:
        """Whether the mentee is an engineer (the rest are reported on their own too)."""
        return self.field == "engineering"


def half_of(name: str) -> str:
    """The half a profile belongs to, from a hash of its name: deterministic, and adding a
    profile never moves another one."""
    return HALVES[hashlib.sha256(name.encode()).digest()[0] % 2]


def load_wwr() -> list[Labelled]:
    """The WWR category feeds, one posting per URL, the category tag removed."""
    items: dict[str, Labelled] = {}
    for name in WWR_FEEDS:
        body = (WWR / f"{name}.rss").read_bytes()
        url = f"https://weworkremotely.com/categories/{name}.rss"
        for posting in parse_feed(body, url, "application/rss+xml", "wwr"):
            label = posting.tags[0]
            unlabelled = replace(posting, tags=tuple(t for t in posting.tags if t != label))
            items.setdefault(posting.url, Labelled(posting.url, unlabelled, label))
    return list(items.values())


def load_google() -> list[Labelled]:
    """The Google careers postings; the body is responsibilities plus qualifications."""
    with (DATA / "google_job_skills.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    items = []
    for i, row in enumerate(rows):
        body = "\n".join(row[c] for c in ("Responsibilities", "Minimum Qualifications",
                                          "Preferred Qualifications"))
        posting = Posting(source="google", external_id=str(i), url="", title=row["Title"],
                          company=row["Company"], location=row["Location"], description_text=body)
        items.append(Labelled(str(i), posting, row["Category"]))
    return items


def load_resumes() -> list[tuple[str, str]]:
    """(category, text) of each distinct résumé, with its UTF-8 read as Latin-1 repaired."""
    with (DATA / "resumes_updated_resume_dataset.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    seen: dict[str, str] = {}
    for row in rows:
        seen.setdefault(_repair(row["Resume"].strip()), row["Category"])
    return [(category, text) for text, category in seen.items()]


def _repair(text: str) -> str:
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def queries(judgements: dict[str, Any], posting_set: str, style: str,
            resumes: list[tuple[str, str]]) -> list[Query]:
    """The profiles of one style for one posting set: short ones, or the résumés of the
    dataset followed by the written résumé-style ones."""
    if style == "short":
        return [
            Query(Profile(id=q["id"], roles=tuple(q["roles"]), skills=tuple(q["skills"])),
                  dict(q["relevant"]), q["field"], half_of(q["id"]))
            for q in judgements["short"][posting_set]
        ]
    mapping = judgements["resumes"][posting_set]
    fields = judgements["resume_fields"]
    dataset = [
        Query(Profile(id=f"resume-{_digest(text)}", resume=text), dict(mapping[category]),
              fields[category], half_of(text))
        for category, text in resumes
        if category in mapping
    ]
    written = [
        Query(Profile(id=q["id"], resume=q["resume"]), dict(q["relevant"][posting_set]),
              q["field"], half_of(q["id"]))
        for q in judgements["written"]
    ]
    return dataset + written


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def posting_text(posting: Posting) -> str:
    """What the baselines index: the same fields the matcher reads."""
    return "\n".join((posting.title, posting.description_text, *posting.tags))


def profile_text(profile: Profile) -> str:
    """What the baselines search with: every text field of the profile."""
    return "\n".join((*profile.roles, *profile.skills, profile.about, profile.resume))


Ranker = Callable[[Sequence[Labelled], Sequence[Query]], list[list[str]]]


def project_ranker(settings: Settings | None = None) -> Ranker:
    """The project's matcher with ``settings`` (default: its defaults), fitted on the set."""
    def rank(items: Sequence[Labelled], qs: Sequence[Query]) -> list[list[str]]:
        matcher = TfidfMatcher(settings).fit([i.posting for i in items])
        index = matcher.index([(i.key, i.posting) for i in items])
        ranked = matcher.rank_many([q.profile for q in qs], index, top=K)
        return [[m.posting for m in ranked[q.profile.id]] for q in qs]
    return rank


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def rank_bm25(items: Sequence[Labelled], qs: Sequence[Query]) -> list[list[str]]:
    """rank_bm25's Okapi BM25 with default parameters."""
    bm25 = BM25Okapi([_words(posting_text(i.posting)) for i in items])
    return [_top(bm25.get_scores(_words(profile_text(q.profile))), items) for q in qs]


def rank_tfidf_default(items: Sequence[Labelled], qs: Sequence[Query]) -> list[list[str]]:
    """scikit-learn's TfidfVectorizer() with default settings, cosine similarity."""
    vectorizer = TfidfVectorizer()
    postings = vectorizer.fit_transform([posting_text(i.posting) for i in items])
    profiles = vectorizer.transform([profile_text(q.profile) for q in qs])
    scores = (profiles @ postings.T).toarray()
    return [_top(row, items) for row in scores]


def _top(scores: np.ndarray, items: Sequence[Labelled]) -> list[str]:
    order = np.lexsort((np.arange(len(scores)), -np.asarray(scores)))[:K]
    return [items[i].key for i in order if scores[i] > 0]


def ndcg(ranked: list[str], labels: dict[str, str], relevant: dict[str, int]) -> float:
    """NDCG@K with gains 2^grade - 1; the ideal ranking is over the whole set."""
    gains = [2 ** relevant.get(labels[key], 0) - 1 for key in ranked[:K]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((2 ** relevant.get(label, 0) - 1 for label in labels.values()), reverse=True)
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal[:K]))
    return dcg / idcg if idcg else 0.0


def scores_of(items: Sequence[Labelled], qs: Sequence[Query], ranker: Ranker) -> np.ndarray:
    """NDCG@K of ``ranker`` for each query."""
    labels = {i.key: i.label for i in items}
    runs = ranker(items, qs)
    return np.array([ndcg(r, labels, q.relevant) for r, q in zip(runs, qs, strict=True)])


@dataclass(frozen=True)
class Bench:
    """The benchmark's sets with the baselines' per-profile NDCG, computed once."""

    sets: dict[str, list[Labelled]]
    queries: dict[tuple[str, str], list[Query]]  # (posting set, style) -> profiles
    baselines: dict[tuple[str, str, str], np.ndarray]  # (set, style, baseline) -> NDCG

    @classmethod
    def load(cls) -> Bench:
        """Read the data and score the baselines."""
        sets, qs = load_sets()
        return cls(sets, qs, _baselines(sets, qs))

    def project(self, settings: Settings | None = None) -> dict[tuple[str, str], np.ndarray]:
        """The project matcher's per-profile NDCG on every (set, style)."""
        ranker = project_ranker(settings)
        return {key: scores_of(self.sets[key[0]], group, ranker)
                for key, group in self.queries.items()}


def load_sets() -> tuple[dict[str, list[Labelled]], dict[tuple[str, str], list[Query]]]:
    """The posting sets and, per (set, style), the profiles that rank them."""
    judgements = YAML(typ="safe").load((DATA / "match_judgements.yaml").read_text("utf-8"))
    resumes = load_resumes()
    sets = {"wwr": load_wwr(), "google": load_google()}
    qs = {(s, style): queries(judgements, s, style, resumes)
          for s in sets for style in ("short", "long")}
    return sets, qs


def _baselines(sets: dict[str, list[Labelled]], qs: dict[tuple[str, str], list[Query]]
               ) -> dict[tuple[str, str, str], np.ndarray]:
    """Each baseline's per-profile NDCG, remembered in the temporary folder under a hash of
    everything they depend on (BM25 takes minutes; it never changes with the matcher)."""
    digest = hashlib.sha256(BASELINE_VERSION.encode())
    for path in sorted(DATA.iterdir()):
        digest.update(path.read_bytes())
    for feed in WWR_FEEDS:
        digest.update((WWR / f"{feed}.rss").read_bytes())
    cache = Path(tempfile.gettempdir()) / f"match_quality_{digest.hexdigest()[:16]}.npz"
    if cache.exists():
        with np.load(cache) as stored:
            return {tuple(k.split("|")): stored[k] for k in stored.files}  # type: ignore[misc]
    baselines = {}
    for (s, style), group in qs.items():
        for name, ranker in BASELINES.items():
            baselines[(s, style, name)] = scores_of(sets[s], group, ranker)
    np.savez(cache, **{"|".join(k): v for k, v in baselines.items()})  # type: ignore[arg-type]
    return baselines


@dataclass(frozen=True)
class Row:
    """One line of the report: mean NDCG of a group of profiles for each method."""

    name: str
    half: str
    n: int
    project: float
    bm25: float
    tfidf: float

    @property
    def delta(self) -> float:
        """The project's lead over the better baseline."""
        return self.project - max(self.bm25, self.tfidf)


def rows(bench: Bench, project: dict[tuple[str, str], np.ndarray], half: str) -> list[Row]:
    """Every (set, style) row, the non-engineering profiles of each posting set and of all
    sets pooled, for the profiles of ``half``."""
    pooled: dict[str, list[tuple[tuple[str, str], np.ndarray]]] = {}
    out = []
    for key, group in bench.queries.items():
        in_half = np.array([q.half == half for q in group])
        non_eng = in_half & np.array([not q.engineering for q in group])
        out.append(_row(f"{key[0]} {key[1]}", half, bench, project, key, in_half))
        pooled.setdefault(key[0], []).append((key, non_eng))
        pooled.setdefault("all", []).append((key, non_eng))
    for name, parts in pooled.items():
        out.append(_pooled_row(f"{name} non-eng", half, bench, project, parts))
    return out


def _row(name: str, half: str, bench: Bench, project: dict[tuple[str, str], np.ndarray],
         key: tuple[str, str], keep: np.ndarray) -> Row:
    return _pooled_row(name, half, bench, project, [(key, keep)])


def _pooled_row(name: str, half: str, bench: Bench, project: dict[tuple[str, str], np.ndarray],
                parts: list[tuple[tuple[str, str], np.ndarray]]) -> Row:
    def mean(scores_by_key: Callable[[tuple[str, str]], np.ndarray]) -> float:
        picked = np.concatenate([scores_by_key(key)[keep] for key, keep in parts])
        return float(picked.mean()) if len(picked) else 0.0
    n = sum(int(keep.sum()) for _, keep in parts)
    return Row(name, half, n, mean(project.__getitem__),
               mean(lambda key: bench.baselines[(*key, "bm25")]),
               mean(lambda key: bench.baselines[(*key, "tfidf-default")]))


def objective(table: Sequence[Row]) -> tuple[float, float]:
    """What tuning maximises: the smallest lead over the baseline of any row, then the mean."""
    deltas = [r.delta for r in table if r.n]
    return min(deltas), float(np.mean(deltas))


# Coordinate search: each setting in turn takes the value that scores best on the tuning
# half with the others held (one round: the machine it runs on is shared).
GRID: dict[str, tuple[float | int, ...]] = {
    "boilerplate": (0.0, 0.5, 1.0),
    "title": (0.5, 1.0),
    "skill_boost": (1.5, 2.0),
    "expansion_docs": (5, 10),
    "profile_terms": (100, 150),
}


def tune(bench: Bench) -> Settings:
    """Settings chosen on the tuning half only (prints each step)."""
    best = Settings()
    best_score = objective(rows(bench, bench.project(best), "tuning"))
    print(f"start {best_score[0]:+.4f} {best_score[1]:+.4f} {best}")
    for name, values in GRID.items():
        for value in values:
            if getattr(best, name) == value:
                continue
            trial = Settings(**{**asdict(best), name: value})
            score = objective(rows(bench, bench.project(trial), "tuning"))
            print(f"  {name}={value}: {score[0]:+.4f} {score[1]:+.4f}", flush=True)
            if score > best_score:
                best, best_score = trial, score
        print(f"best {best_score[0]:+.4f} {best_score[1]:+.4f} {best}", flush=True)
    return best


def report(bench: Bench, settings: Settings | None = None) -> bool:
    """Print the table for both halves; whether the held-out half meets every target."""
    project = bench.project(settings)
    print(f"Match quality: mean NDCG@{K} over profiles (graded 2/1/0); "
          f"dNDCG = project - the better baseline")
    print(f"{'rows':<20}{'half':<10}{'n':>4}  {'project':>8}{'bm25':>8}{'tfidf':>8}"
          f"{'dNDCG':>9}  result")
    ok = True
    for half in HALVES:
        for row in rows(bench, project, half):
            verdict = ""
            if half == "held-out" and row.n:
                wanted = TARGET if row.name.endswith(("short", "long", "all non-eng")) else 0.0
                passed = row.delta >= wanted
                ok &= passed
                verdict = f"{'PASS' if passed else 'FAIL'} (target {wanted:+.2f})"
            print(f"{row.name:<20}{half:<10}{row.n:>4}  {row.project:>8.3f}{row.bm25:>8.3f}"
                  f"{row.tfidf:>8.3f}{row.delta:>+9.3f}  {verdict}")
    return ok


BASELINES: dict[str, Ranker] = {"bm25": rank_bm25, "tfidf-default": rank_tfidf_default}


def main() -> int:
    """Print the quality table (or, with --tune, choose settings on the tuning half);
    exit 1 if a held-out target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", action="store_true",
                        help="search the settings on the tuning half, then report")
    args = parser.parse_args()
    started = time.perf_counter()
    bench = Bench.load()
    settings = tune(bench) if args.tune else None
    ok = report(bench, settings)
    counts = ", ".join(f"{s} {len(items)}" for s, items in bench.sets.items())
    chosen = settings or Settings()
    shown = ", ".join(f"{f.name}={getattr(chosen, f.name)}" for f in fields(Settings))
    print(f"postings: {counts}; settings: {shown}; {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
