"""Quality of the interview prep sheets (matchers/prep.py) on real postings of many fields.

    .venv/bin/python benchmarks/prep.py

Postings: the We Work Remotely 2022-11 category feeds (engineering, design, product, customer
support, sales and marketing, management and finance) and the English Google careers postings
(sales, marketing, finance, people operations, real estate, legal, engineering, …), as
benchmarks/match_quality.py loads them. One mentee profile (a few general skills) is prepared
for each posting. Checked on every sheet:

* every "likely asked" question cites text that occurs in the posting (title or description);
* no two questions on a sheet are near-duplicates, judged two ways: by the prep module's own
  content-word overlap, and independently by rapidfuzz's similarity ratio of the whole
  questions (>= 85);
* the next-steps question is there;
* how many sheets fall back to general questions (target: under 10 %), overall and per field.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter, defaultdict
from itertools import combinations

from match_quality import Labelled, load_google, load_wwr
from rapidfuzz import fuzz

from aggregator.core.models import NEXT_STEPS_QUESTION, PrepSheet
from matchers import Analyzer, Profile
from matchers.prep import near_duplicate, prepare

TARGET_FALLBACK = 0.10
FUZZY_DUPLICATE = 85
PROFILE = Profile(id="bench", skills=("Excel", "SQL", "Python", "Communication"))


def english(item: Labelled) -> bool:
    """Postings written in English (the Google set also holds Japanese, German, … ones)."""
    text = item.posting.title + item.posting.description_text[:400]
    return sum(ch.isascii() for ch in text) / max(len(text), 1) > 0.97


def duplicates(sheet: PrepSheet) -> tuple[int, int]:
    """Pairs of near-duplicate questions: (by content words, by rapidfuzz similarity ratio)."""
    questions = [*(c.text for c in sheet.asked), *sheet.to_ask]
    own = sum(near_duplicate(a, b) for a, b in combinations(questions, 2))
    fuzzy = sum(fuzz.ratio(a, b) >= FUZZY_DUPLICATE for a, b in combinations(questions, 2))
    return own, fuzzy


def main() -> int:
    """Prepare a sheet for every posting and print the checks."""
    items = [item for item in (*load_wwr(), *load_google()) if english(item)]
    analyzer = Analyzer()
    ungrounded = own_duplicates = fuzzy_duplicates = no_next_steps = 0
    fallback: Counter[str] = Counter()
    per_field: Counter[str] = Counter()
    asked_counts, to_ask_counts, cited_brush_up, brush_up = [], [], 0, 0
    timings = []
    for item in items:
        posting = item.posting
        started = time.perf_counter()
        sheet = prepare(posting, PROFILE, lead=item.key, analyzer=analyzer)
        timings.append(time.perf_counter() - started)
        text = f"{posting.title}\n{posting.description_text}"
        ungrounded += sum(not c.source or c.source not in text for c in sheet.asked)
        own, fuzzy = duplicates(sheet)
        own_duplicates += own
        fuzzy_duplicates += fuzzy
        no_next_steps += sheet.to_ask[-1:] != (NEXT_STEPS_QUESTION,)
        per_field[item.label] += 1
        if sheet.generic:
            fallback[item.label] += 1
        asked_counts.append(len(sheet.asked))
        to_ask_counts.append(len(sheet.to_ask))
        brush_up += len(sheet.brush_up)
        cited_brush_up += sum(bool(c.source) and c.source in text for c in sheet.brush_up)
    report(items, ungrounded, own_duplicates, fuzzy_duplicates, no_next_steps, fallback,
           per_field, asked_counts, to_ask_counts, brush_up, cited_brush_up, timings)
    share = sum(fallback.values()) / len(items)
    failed = ungrounded or own_duplicates or no_next_steps or share >= TARGET_FALLBACK
    return 1 if failed else 0


def report(items: list[Labelled], ungrounded: int, own_duplicates: int, fuzzy_duplicates: int,
           no_next_steps: int, fallback: Counter[str], per_field: Counter[str],
           asked_counts: list[int], to_ask_counts: list[int], brush_up: int,
           cited_brush_up: int, timings: list[float]) -> None:
    """Print the figures."""
    sets: dict[str, int] = defaultdict(int)
    for item in items:
        sets[item.posting.source] += 1
    share = sum(fallback.values()) / len(items)
    print(f"sheets: {len(items)} ({', '.join(f'{n} {s}' for s, n in sets.items())}), "
          f"{len(per_field)} fields")
    print(f"asked questions citing text not in the posting: {ungrounded} "
          f"of {sum(asked_counts)}")
    print(f"near-duplicate question pairs on a sheet: {own_duplicates} (content words), "
          f"{fuzzy_duplicates} (rapidfuzz ratio >= {FUZZY_DUPLICATE})")
    print(f"sheets without the next-steps question: {no_next_steps}")
    print(f"sheets falling back to general questions: {sum(fallback.values())} "
          f"({share:.1%}; target < {TARGET_FALLBACK:.0%})")
    print(f"likely-asked per sheet: min {min(asked_counts)}, median "
          f"{statistics.median(asked_counts)}, max {max(asked_counts)}; questions to ask: "
          f"{min(to_ask_counts)}-{max(to_ask_counts)}")
    print(f"brush-up items citing posting text: {cited_brush_up} of {brush_up}")
    print(f"time per sheet: median {statistics.median(timings) * 1000:.2f} ms")
    print("fallback by field (sheets falling back / sheets):")
    for field, count in per_field.most_common():
        print(f"  {field}: {fallback[field]}/{count}")


if __name__ == "__main__":
    sys.exit(main())
