"""Ranking quality of the TF-IDF matcher on labelled real data, against two baselines.

    .venv/bin/python benchmarks/match_quality.py

Posting sets: the We Work Remotely 2022-11 category feeds (label: the item's <category>)
and the Google careers postings (label: Category). Mentee profiles come in two styles:
short skills/roles lists written by hand (benchmarks/data/match_judgements.yaml) and long
résumés from the résumé dataset (label: Category, mapped to graded posting categories in
the same file). Each profile ranks every posting of a set; NDCG@10 (graded) and P@10 are
averaged over profiles for the project's matcher and for two baselines: BM25 (rank_bm25
Okapi, regex word tokens) and scikit-learn's TfidfVectorizer() with cosine. All three see
the same posting text (title, description, tags) and the same profile text; the category
label is removed from WWR tags, where the feed puts it. The matcher runs with its default
settings on every set: nothing is tuned per set.
"""

from __future__ import annotations

import csv
import math
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from rank_bm25 import BM25Okapi
from ruamel.yaml import YAML
from sklearn.feature_extraction.text import TfidfVectorizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aggregator.core.models import Posting
from matchers import Profile, TfidfMatcher
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
csv.field_size_limit(1 << 30)


@dataclass(frozen=True)
class Labelled:
    """A posting of a benchmark set with its category."""

    key: str
    posting: Posting
    label: str


@dataclass(frozen=True)
class Query:
    """A mentee profile and the graded categories relevant to it."""

    profile: Profile
    relevant: dict[str, int]


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
    """The profiles of one style for one posting set."""
    if style == "short":
        return [
            Query(Profile(id=q["id"], roles=tuple(q["roles"]), skills=tuple(q["skills"])),
                  dict(q["relevant"]))
            for q in judgements["short"][posting_set]
        ]
    mapping = judgements["resumes"][posting_set]
    return [
        Query(Profile(id=f"resume-{i}", resume=text), dict(mapping[category]))
        for i, (category, text) in enumerate(resumes)
        if category in mapping
    ]


def posting_text(posting: Posting) -> str:
    """What the baselines index: the same fields the matcher reads."""
    return "\n".join((posting.title, posting.description_text, *posting.tags))


def profile_text(profile: Profile) -> str:
    """What the baselines search with: every text field of the profile."""
    return "\n".join((*profile.roles, *profile.skills, profile.about, profile.resume))


Ranker = Callable[[Sequence[Labelled], Sequence[Query]], list[list[str]]]


def rank_project(items: Sequence[Labelled], qs: Sequence[Query]) -> list[list[str]]:
    """The project's matcher, default settings, fitted on the set."""
    matcher = TfidfMatcher().fit([i.posting for i in items])
    index = matcher.index([(i.key, i.posting) for i in items])
    ranked = matcher.rank_many([q.profile for q in qs], index, top=K)
    return [[m.posting for m in ranked[q.profile.id]] for q in qs]


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


def precision(ranked: list[str], labels: dict[str, str], relevant: dict[str, int]) -> float:
    """P@K: the share of the first K that are relevant at all (missing ranks count as misses)."""
    return sum(relevant.get(labels[key], 0) > 0 for key in ranked[:K]) / K


def evaluate(items: Sequence[Labelled], qs: Sequence[Query], ranker: Ranker) -> tuple[float, float]:
    """Mean NDCG@K and P@K of ``ranker`` over the queries."""
    labels = {i.key: i.label for i in items}
    runs = ranker(items, qs)
    nd = [ndcg(r, labels, q.relevant) for r, q in zip(runs, qs, strict=True)]
    pk = [precision(r, labels, q.relevant) for r, q in zip(runs, qs, strict=True)]
    return float(np.mean(nd)), float(np.mean(pk))


def main() -> int:
    """Print the quality table; exit 1 if a target is missed."""
    started = time.perf_counter()
    judgements = YAML(typ="safe").load((DATA / "match_judgements.yaml").read_text("utf-8"))
    resumes = load_resumes()
    sets = {"wwr": load_wwr(), "google": load_google()}
    methods: dict[str, Ranker] = {
        "project": rank_project, "bm25": rank_bm25, "tfidf-default": rank_tfidf_default,
    }
    print(f"Match quality @{K}: mean over profiles (NDCG graded 2/1/0; P = relevant at all)")
    print(f"{'set':<7}{'style':<7}{'n':>4}  {'project':>15}  {'bm25':>15}  {'tfidf-default':>15}"
          f"  {'dNDCG':>7}  result")
    print(f"{'':<18}  {'NDCG    P':>15}  {'NDCG    P':>15}  {'NDCG    P':>15}")
    failed = False
    for set_name, items in sets.items():
        for style in ("short", "long"):
            qs = queries(judgements, set_name, style, resumes)
            scores = {name: evaluate(items, qs, ranker) for name, ranker in methods.items()}
            best_baseline = max(scores["bm25"][0], scores["tfidf-default"][0])
            delta = scores["project"][0] - best_baseline
            ok = delta >= TARGET
            failed |= not ok
            cells = "  ".join(f"{scores[m][0]:>7.3f} {scores[m][1]:>6.3f}" for m in methods)
            print(f"{set_name:<7}{style:<7}{len(qs):>4}  {cells}  {delta:>+7.3f}  "
                  f"{'PASS' if ok else 'FAIL'} (target +{TARGET:.2f})")
    print(f"postings: wwr {len(sets['wwr'])}, google {len(sets['google'])}; "
          f"distinct résumés {len(resumes)}; {time.perf_counter() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
