"""Dedupe benchmark: 100,000 postings through Store.save_collected, and a JobFunnel-like baseline.

What is measured
  * A corpus made from recorded real postings: the We Work Remotely feeds in
    ``tests/fixtures/rss/wwr_2022-11`` and the Recruityard feed (parsed with
    ``sources.rss.parse_feed``), and the Google careers and LinkedIn California CSVs in
    ``benchmarks/data`` (origins in ``benchmarks/data/SOURCES.md``). Those postings, cleared of
    their own near-duplicates, are cut into blocks (paragraphs, bullet lists) and sentences and
    recombined into ``--postings * (1 - --dup-share)`` distinct originals:
      - synthetic companies (names from real name stems, Zipf-like sizes up to 400 postings),
        each with its own boilerplate (an "about us" paragraph and benefits/EEO blocks built
        from real ones) that all its postings share;
      - the role part of every posting: runs of sentences or bullets from several real postings
        of one job family (WWR category, Google category, LinkedIn query); a real title of that
        family; a location of the company. Title + location never repeat within a company.
  * Template siblings (``--sibling-share`` of the originals): distinct jobs a company writes from
    one template: the same posting for another language ("(German)" / "(French)"), stack
    ("- React" / "- Angular") or level ("Senior" / "Lead"): one requirement different and, always
    for stack and level and half the time for language, one role block. The recorded data has
    them: 7-12% of its LinkedIn, WWR and Google postings have a same-company, differently-titled
    posting at word-3-shingle Jaccard >= 0.7 (Fleetio's Android and iOS engineers, Google's
    French and Italian representatives, ...), about half of them distinct jobs. They are
    originals: a correct detector keeps them apart.
  * ``--dup-share`` near-duplicates of random originals, each in a later batch than its original
    (a board picking up an ATS job, or a repost): a new URL on another host and a new id (5%: the
    same URL with utm tracking parameters); 1-6 words changed, inserted or deleted; 35% one
    sentence dropped; 30% re-rendered as board HTML (div/br/typed bullets/&nbsp;) and turned
    into text by ``sources.markup.html_to_text``; 50% re-titled (Senior <-> Sr., "(Remote)",
    "- City", reordered words, "(Full-Time)", upper case); 25% the company written differently
    but equivalently ("ACME", "Acme" for "Acme, Inc."), 4% renamed ("The Acme", first word
    only); 20% the location written differently. The truth (which original each copies) is kept.
  * Ours: the 100,000 postings go through ``Store.save_collected`` into a fresh SQLite store, one
    call per pseudo-source batch of ``--batch-size`` (40% ATS batches with company_page=True),
    the clock 5 minutes later per batch (all inside the repost window). It runs in a child
    process: wall time is from opening the store to the last commit (including unpickling each
    batch); peak memory is that process's own peak RSS, VmHWM, with Python, SQLAlchemy and
    numpy included (not ru_maxrss: on Linux a child's ru_maxrss starts at its parent's peak,
    here the corpus builder's). Leads are read back with ``Store.postings()``, timed apart.
    The corpus is built and written to disk before, in the parent, and is not timed.
  * Precision and recall over pairs: predicted pairs are two postings in one lead; true pairs
    are two postings of one original's cluster (the original and all its copies).
  * Baseline "like JobFunnel", on a ``--subset`` of whole companies (originals with all their
    copies, same batches and order), against ours on the same subset. PaulMcInnis/JobFunnel,
    ``jobfunnel/backend/tools/filters.py`` (``JobFilter.tfidf_filter``): a
    ``TfidfVectorizer(strip_accents="unicode", lowercase=True, analyzer="word",
    stop_words=<NLTK English>)`` is fitted on the incoming and existing descriptions;
    ``cosine_similarity(incoming, existing)``; an incoming job whose best similarity is
    ``>= DEFAULT_MAX_TFIDF_SIMILARITY = 0.75`` (``jobfunnel/resources/resources.py``; also the
    ``max_similarity=0.75`` default of the older ``tfidf_filter``) is a duplicate of its most
    similar existing job and is not kept; no content matching below
    ``MIN_JOBS_TO_PERFORM_SIMILARITY_SEARCH = 25`` jobs. Descriptions only: no company, title or
    URL. Here every batch is one JobFunnel run compared with the jobs kept from earlier runs.
    Differences: scikit-learn's English stop words stand in for NLTK's (its corpus is a download
    this machine cannot make), and the vectorizer is fitted once on the whole subset instead of
    once per run (which only makes the baseline faster).

Run it from the repository root::

    .venv/bin/python benchmarks/dedupe.py [--postings 100000] [--dup-share 0.2] [--subset 5000]
                                          [--seed 1] [--batch-size 1000] [--sibling-share 0.03]

Work files go to a temporary folder (``--keep`` keeps them under benchmarks/.work/). The figures
are printed; nothing else is kept.
"""

from __future__ import annotations

import argparse
import csv
import html
import itertools
import json
import pickle
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aggregator.core import dedupe
from aggregator.core.identity import canonical_url

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
WORK = ROOT / "benchmarks" / ".work"
WWR_FEEDS = ROOT / "tests" / "fixtures" / "rss" / "wwr_2022-11"
RECRUITYARD_FEED = ROOT / "tests" / "fixtures" / "rss" / "recruityard_rss_2025-07.xml"
GOOGLE_CSV = DATA / "google_job_skills.csv"
LINKEDIN_CSVS = {
    "Data Analyst": DATA / "linkedin_2018-07_california_data_analyst.csv",
    "Data Scientist": DATA / "linkedin_2018-07_california_data_scientist.csv",
}
TARGET_SECONDS, TARGET_BYTES = 60.0, 2 * 1024**3
TARGET_PRECISION, TARGET_RECALL = 0.98, 0.90
JOBFUNNEL_MAX_SIMILARITY = 0.75  # DEFAULT_MAX_TFIDF_SIMILARITY
JOBFUNNEL_MIN_JOBS = 25  # MIN_JOBS_TO_PERFORM_SIMILARITY_SEARCH
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BATCH_STEP = timedelta(minutes=5)
POOL_NEAR_DUPLICATE = 0.5  # real postings this similar to an earlier one are dropped
CO = "\x00"  # stands for the company's name inside borrowed sentences
MiB = 1024 * 1024


# -- recorded postings -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph (items are sentences) or a bullet list, with an optional heading."""

    heading: str
    items: tuple[str, ...]
    bulleted: bool


@dataclass(frozen=True, slots=True)
class Real:
    """One recorded posting, cut into blocks."""

    family: str
    company: str
    title: str
    location: str
    blocks: tuple[Block, ...]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|(?<=[a-z0-9)][.!?])(?=[A-Z][a-z])")
_NOISE_LINE = re.compile(r"^(Headquarters|URL|To apply|Apply)\b|https?://|www\.|@", re.IGNORECASE)
_LEGAL = re.compile(r"[, ]+(Inc\.?|LLC|Ltd\.?|L\.P\.|Corp\.?|Corporation|Co\.|GmbH|PBC)$")


def sentences(text: str) -> list[str]:
    """The sentences of a paragraph, glued ones ("growth.We are") split too."""
    return [s.strip() for s in _SENTENCE_END.split(text) if len(s.split()) >= 3]


def text_blocks(text: str) -> list[Block]:
    """Blocks of a description as html_to_text writes it: paragraphs, headings, bullet lists."""
    blocks: list[Block] = []
    heading = ""
    for chunk in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in chunk.split("\n") if ln.strip()]
        lines = [ln for ln in lines if not _NOISE_LINE.search(ln)]
        if not lines:
            continue
        if len(lines) == 1 and len(lines[0].split()) <= 6 and lines[0][-1] not in ".!?":
            heading = lines[0].rstrip(":")
            continue
        bullets = [ln[1:].strip() for ln in lines if ln.startswith("•")]
        if len(bullets) * 2 >= len(lines):
            first = lines[0]
            if not first.startswith("•") and len(first.split()) <= 8:
                heading = first.rstrip(":")
            items = tuple(b for b in bullets if len(b.split()) >= 2)
            if items:
                blocks.append(Block(heading, items, True))
        else:
            items = tuple(s for ln in lines for s in sentences(ln))
            if items:
                blocks.append(Block(heading, items, False))
        heading = ""
    return blocks


def masked(block: Block, company: str) -> Block:
    """The block with the donor company's name replaced by the CO placeholder."""
    short = _LEGAL.sub("", company).strip()
    if len(short) < 3:
        return block
    name = re.compile(re.escape(short), re.IGNORECASE)
    return replace(block, items=tuple(name.sub(CO, item) for item in block.items))


def real_posting(
    family: str, company: str, title: str, location: str, blocks: Iterable[Block]
) -> Real:
    """A Real with the company name masked in its blocks."""
    return Real(family, company, title, location, tuple(masked(b, company) for b in blocks))


def load_feeds() -> list[Real]:
    """The We Work Remotely and Recruityard feed items."""
    from sources.rss import parse_feed  # not in the workers: they import what the store needs

    reals = []
    for path in sorted(WWR_FEEDS.glob("*.rss")):
        url = f"https://weworkremotely.com/categories/{path.stem}.rss"
        for p in parse_feed(path.read_bytes(), url, "application/rss+xml", "wwr"):
            family = p.tags[0] if p.tags else "All Other Remote"
            reals.append(
                real_posting(
                    family, p.company, p.title, p.location, text_blocks(p.description_text)
                )
            )
    url = "https://recruityard.com/rss.xml"
    for p in parse_feed(RECRUITYARD_FEED.read_bytes(), url, "application/rss+xml", "recruityard"):
        blocks = text_blocks(p.description_text)
        reals.append(
            real_posting("Multilingual Support", "Recruityard", p.title, "Lisbon, Portugal", blocks)
        )
    return reals


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV dataset (first copy them to benchmarks/data, see SOURCES.md there)."""
    if not path.exists():
        raise SystemExit(f"{path} is missing: copy it from shared/fixtures/datasets/")
    csv.field_size_limit(1 << 30)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def load_datasets() -> list[Real]:
    """The Google careers and LinkedIn postings."""
    reals = []
    for row in read_csv(GOOGLE_CSV):
        sections = ("Responsibilities", "Minimum Qualifications", "Preferred Qualifications")
        blocks = [
            Block(name, tuple(ln.strip() for ln in row[name].split("\n") if ln.strip()), True)
            for name in sections
            if row[name].strip()
        ]
        reals.append(
            real_posting(row["Category"], row["Company"], row["Title"], row["Location"], blocks)
        )
    for family, path in LINKEDIN_CSVS.items():
        for row in read_csv(path):
            said = sentences(" ".join(row["description"].split()))
            blocks = [Block("", tuple(said[i : i + 4]), False) for i in range(0, len(said), 4)]
            reals.append(
                real_posting(family, row["company"], row["title"], row["location"], blocks)
            )
    return reals


def distinct(reals: Sequence[Real]) -> list[Real]:
    """Postings with 3+ blocks and 80+ words, none a near-duplicate of an earlier one."""
    import numpy as np

    kept: list[Real] = []
    signatures = np.zeros((len(reals), dedupe.PERMUTATIONS), dtype=np.uint64)
    for real in reals:
        text = " ".join(i for b in real.blocks for i in b.items)
        sig = dedupe.signature(text.replace(CO, " "))
        if sig is None or len(real.blocks) < 3 or len(text.split()) < 80:
            continue
        shared = (signatures[: len(kept)] == sig).sum(axis=1)
        if len(kept) and shared.max() >= POOL_NEAR_DUPLICATE * dedupe.PERMUTATIONS:
            continue
        signatures[len(kept)] = sig
        kept.append(real)
    return kept


# -- recombination -----------------------------------------------------------------------


@dataclass(slots=True)
class Pool:
    """Material to build postings from, taken from the distinct recorded postings."""

    intros: list[Block]
    closings: list[Block]
    roles: dict[str, list[Block]]
    titles: dict[str, list[str]]
    locations: list[str]
    stems: list[str]


def build_pool(reals: Sequence[Real]) -> Pool:
    """Openings and closings become company boilerplate; the middle becomes role material."""
    intros, closings = [], []
    roles: dict[str, list[Block]] = defaultdict(list)
    titles: dict[str, list[str]] = defaultdict(list)
    families = Counter(r.family for r in reals)
    for real in reals:
        family = real.family if families[real.family] >= 15 else "Other"
        blocks = list(real.blocks)
        # Google's sections and LinkedIn's run-together text are all about the role.
        if not (blocks[0].bulleted or real.family in LINKEDIN_CSVS):
            intros.append(blocks.pop(0))
            if len(blocks) >= 3:
                closings.append(blocks.pop())
        roles[family].extend(b for b in blocks if len(b.items) >= 2)
        titles[family].append(" ".join(real.title.split()))
    locations = sorted({r.location for r in reals if r.location and len(r.location) < 60})
    stems = sorted(
        {
            word
            for r in reals
            for word in r.company.split()[:1]
            if re.fullmatch(r"[A-Z][a-z]{2,}", word) and word not in _GENERIC_STEMS
        }
    )
    return Pool(intros, closings, dict(roles), dict(titles), locations, stems)


_GENERIC_STEMS = frozenset(
    {"The", "University", "City", "County", "State", "General", "New", "Client", "Confidential",
     "Company", "Group", "National", "American", "United", "International", "Global", "First"}
)  # fmt: skip
_DESCRIPTORS = (
    "Analytics", "Health", "Labs", "Systems", "Software", "Partners", "Group", "Technologies",
    "Media", "Logistics", "Capital", "Foods", "Energy", "Robotics", "Bio", "Security",
    "Networks", "Financial", "Insurance", "Games", "Studios", "Learning", "Mobility", "Retail",
    "Cloud", "Data", "Consulting", "Solutions", "Therapeutics", "Motors", "Payments", "Realty",
    "Travel", "Education", "Design", "Marketing", "Pharma", "Devices", "Works", "Digital",
)  # fmt: skip
_LEGAL_FORMS = ("", "", "", "", " Inc.", " Inc.", ", Inc.", " LLC", " Ltd", " GmbH", " Corp.")
_TEAMS = (
    "Growth", "Payments", "Platform", "Marketplace", "Infrastructure", "Enterprise", "Consumer",
    "EMEA", "Americas", "Risk", "Operations", "Mobile", "Search", "Ads", "Partnerships", "Core",
)  # fmt: skip
_LEVELS = ("Junior", "Senior", "Lead", "Principal", "Staff", "Associate")
_LEVEL_WORDS = re.compile(r"^(senior|sr\.?|junior|jr\.?|lead|principal|staff|associate)\s+", re.I)
_LANGUAGES = (
    "German", "French", "Spanish", "Italian", "Dutch", "Polish", "Portuguese", "Japanese",
    "Korean", "Turkish", "Swedish", "Czech", "Hebrew", "Arabic",
)  # fmt: skip
_STACKS = (
    ("React", "Angular"), ("Android", "iOS"), ("Python", "Java"), ("Ruby on Rails", "Node.js"),
    ("AWS", "Azure"), ("Salesforce", "HubSpot"), ("Tableau", "Power BI"), ("Go", "Rust"),
    ("Kubernetes", "Terraform"), ("SQL", "Spark"), ("Figma", "Sketch"), ("Shopify", "Magento"),
)  # fmt: skip


@dataclass(slots=True)
class Company:
    """A synthetic employer: its name, places, job families and boilerplate."""

    name: str
    short: str
    key: str
    slug: str
    locations: tuple[str, ...]
    families: tuple[str, ...]
    head: tuple[Block, ...]
    tail: tuple[Block, ...]
    size: int


@dataclass(slots=True)
class Item:
    """One posting to emit: an original, a template sibling or a near-duplicate."""

    uid: int
    job: int  # uid of the original whose cluster this is (itself for originals)
    company: int
    title: str
    company_name: str
    location: str
    family: str
    blocks: tuple[Block, ...]
    kinds: tuple[str, ...]
    t: float = 0.0
    board_html: bool = False
    tracking_url: bool = False
    batch: int = -1
    url: str = ""
    external_id: str = ""


def run_of(block: Block, rng: random.Random, low: int, high: int) -> Block:
    """A contiguous run of ``low``..``high`` items of a block."""
    size = min(len(block.items), rng.randint(low, high))
    start = rng.randrange(len(block.items) - size + 1)
    return replace(block, items=block.items[start : start + size])


def make_company(pool: Pool, rng: random.Random, size: int, taken: set[str]) -> Company:
    """A company with a unique name key, 1-3 locations, job families and its boilerplate."""
    while True:
        short = rng.choice(pool.stems)
        if rng.random() < 0.75:
            short = f"{short} {rng.choice(_DESCRIPTORS)}"
        key = dedupe.company_key(short)
        if key and key == dedupe.normalise(short) and key not in taken:
            taken.add(key)
            break
    families = sorted(pool.roles, key=lambda f: -len(pool.roles[f]))
    weights = [len(pool.roles[f]) for f in families]
    count = 1 if size < 5 else 2 if size < 30 else 4
    chosen = tuple(dict.fromkeys(rng.choices(families, weights, k=count)))
    head = (run_of(rng.choice(pool.intros), rng, 2, 4),) if rng.random() < 0.85 else ()
    tail = tuple(
        run_of(rng.choice(pool.closings), rng, 2, 6) for _ in range(rng.choice((0, 1, 1, 2)))
    )
    places = tuple(rng.sample(pool.locations, rng.choice((1, 1, 2, 3))))
    slug = re.sub(r"[^a-z0-9]+", "-", key).strip("-")
    name = short + rng.choice(_LEGAL_FORMS)
    return Company(name, short, key, slug, places, chosen, head, tail, size)


def company_sizes(total: int, rng: random.Random) -> list[int]:
    """Postings per company: Pareto-like (many with one or two, a few with hundreds)."""
    sizes: list[int] = []
    left = total
    while left > 0:
        sizes.append(min(int(rng.paretovariate(1.1)), 400, left))
        left -= sizes[-1]
    return sizes


def loose_title(title: str) -> tuple[str, ...]:
    """Title words without the spelling noise a re-titled copy adds: what makes two jobs one."""
    words = {_SPELLED_OUT.get(w, w) for w in dedupe.normalise(title).split()}
    return tuple(sorted(words - {"remote"}))


_SPELLED_OUT = {
    "sr": "senior",
    "jr": "junior",
    "snr": "senior",
    "mgr": "manager",
    "eng": "engineer",
}


class Originals:
    """Builds distinct originals and template siblings company by company."""

    def __init__(self, pool: Pool, rng: random.Random) -> None:
        self.pool = pool
        self.rng = rng
        self.companies: list[Company] = []
        self.items: list[Item] = []
        self.taken: set[tuple[int, tuple[str, ...], str]] = set()
        self.sibling_of: dict[int, int] = {}
        self.used: dict[int, set[int]] = defaultdict(set)  # role blocks each company has used

    def claim(self, company: int, title: str, location: str) -> bool:
        """Reserve (company, loose title, location); False when another original has it."""
        key = (company, loose_title(title), dedupe.normalise(location))
        if key in self.taken:
            return False
        self.taken.add(key)
        return True

    def role_blocks(self, company: int, family: str, count: int) -> list[Block]:
        """``count`` runs from distinct role blocks of the family, new to the company if can be.

        A company with hundreds of postings may use a block again (real ones do: "BA/BS degree
        or equivalent practical experience"), but only once the family offers it no new one.
        """
        blocks, used = self.pool.roles[family], self.used[company]
        chosen: list[int] = []
        for attempt in range(40 * count):
            index = self.rng.randrange(len(blocks))
            if index not in chosen and (index not in used or attempt >= 30 * count):
                chosen.append(index)
                if len(chosen) == count:
                    break
        used.update(chosen)
        return [run_of(blocks[index], self.rng, 2, 6) for index in chosen]

    def add(self, company_index: int) -> None:
        """One fresh original of the company."""
        company, rng = self.companies[company_index], self.rng
        family = rng.choice(company.families)
        location = rng.choice(company.locations)
        for attempt in itertools.count():
            title = rng.choice(self.pool.titles.get(family) or self.pool.titles["Other"])
            if attempt >= 3 or rng.random() < 0.25:
                title = f"{title}, {rng.choice(_TEAMS)}"
            if attempt >= 20:
                title = f"{title} {attempt}"
            if self.claim(company_index, title, location):
                break
        role = self.role_blocks(company_index, family, rng.randint(3, 5))
        blocks = (*company.head, *role, *company.tail)
        uid = len(self.items)
        self.items.append(
            Item(uid, uid, company_index, title, company.name, location, family, blocks, ())
        )

    def add_sibling(self, base: Item) -> bool:
        """A distinct job from the base's template; the base is re-labelled to match."""
        rng = self.rng
        kind = rng.choice(("language", "stack", "level"))
        core = _LEVEL_WORDS.sub("", base.title)
        if kind == "language":
            first, second = rng.sample(_LANGUAGES, 2)
            titles = (f"{base.title} ({first})", f"{base.title} ({second})")
            needs = (f"Fluency in {first} and English.", f"Fluency in {second} and English.")
        elif kind == "stack":
            first, second = rng.choice(_STACKS)
            titles = (f"{base.title} - {first}", f"{base.title} - {second}")
            needs = tuple(f"Hands-on experience with {s} in production." for s in (first, second))
        else:
            first, second = rng.sample(_LEVELS, 2)
            titles = (f"{first} {core}", f"{second} {core}")
            needs = tuple(f"{rng.randint(1, 10)}+ years of relevant experience." for _ in "ab")
        if not (
            self.claim(base.company, titles[0], base.location)
            and self.claim(base.company, titles[1], base.location)
        ):
            return False
        company = self.companies[base.company]
        role = list(base.blocks[len(company.head) : len(base.blocks) - len(company.tail)])
        sibling_role = list(role)
        if kind != "language" or rng.random() < 0.5:
            sibling_role[rng.randrange(len(role))] = self.role_blocks(base.company, base.family, 1)[
                0
            ]
        blocks = []
        for variant, need in zip((role, sibling_role), needs, strict=True):
            first_block = replace(variant[0], items=(*variant[0].items, need))
            blocks.append((*company.head, first_block, *variant[1:], *company.tail))
        base.title, base.blocks, base.kinds = titles[0], blocks[0], (f"sibling:{kind}",)
        uid = len(self.items)
        sibling = replace(base, uid=uid, job=uid, title=titles[1], blocks=blocks[1])
        self.items.append(sibling)
        self.sibling_of[uid] = base.uid
        return True


def build_originals(pool: Pool, count: int, sibling_share: float, rng: random.Random) -> Originals:
    """``count`` originals, ``sibling_share`` of them template siblings of another one."""
    built = Originals(pool, rng)
    siblings = round(count * sibling_share)
    taken: set[str] = set()
    for size in company_sizes(count - siblings, rng):
        built.companies.append(make_company(pool, rng, size, taken))
        for _ in range(size):
            built.add(len(built.companies) - 1)
    candidates = list(built.items)
    rng.shuffle(candidates)
    for base in candidates:
        if len(built.items) >= count:
            break
        built.add_sibling(base)
    return built


# -- near-duplicates ---------------------------------------------------------------------

_ABBREVIATIONS = (
    ("Senior", "Sr."), ("Junior", "Jr."), ("Manager", "Mgr."), ("Engineer", "Eng."),
    ("Development", "Dev."), ("Representative", "Rep."), ("Associate", "Assoc."),
    ("Administrator", "Admin"), ("Operations", "Ops"),
)  # fmt: skip
_FILLERS = (
    "strong", "proven", "excellent", "team", "clients", "daily", "key", "new", "global", "core",
    "highly", "modern", "our", "various", "relevant", "additional", "complex", "multiple",
)  # fmt: skip


def retitle(title: str, location: str, rng: random.Random) -> tuple[str, str]:
    """A re-titled copy's title and the kind of change."""
    city = location.split(",")[0].strip()
    level = re.match(r"(Senior|Junior|Lead|Principal|Staff|Sr\.|Jr\.) (.+)", title)
    options = {
        "abbreviation": next(
            (
                re.sub(rf"\b{re.escape(a)}(?=\s|$)", b, title)
                if a in title
                else title.replace(b, a)
                for a, b in _ABBREVIATIONS
                if re.search(rf"\b{re.escape(a)}(?=\s|$)", title) or b in title
            ),
            "",
        ),
        "remote": title + rng.choice((" (Remote)", " - Remote", " | Remote", " [Remote]")),
        "city": f"{title} - {city}" if city and city.lower() not in title.lower() else "",
        "reorder": f"{level.group(2)}, {level.group(1)}" if level else "",
        "employment": title + rng.choice((" (Full-Time)", " - Full Time", " (m/f/d)")),
        "case": title.upper(),
    }
    kinds = [kind for kind, new in options.items() if new and new != title]
    kind = rng.choice(kinds)
    return options[kind], kind


def respell_company(company: Company, rng: random.Random) -> tuple[str, str]:
    """The company as another board writes it: equivalent spelling or a real rename."""
    if rng.random() < 0.86:
        options = [company.short.upper(), company.short.lower(), company.short]
        options += [company.short + s for s in (", Inc.", " Inc", " LLC", " Ltd.", " Corp")]
        return rng.choice([o for o in options if o != company.name]), "company:spelling"
    words = company.short.split()
    renamed = [f"The {company.short}"] + ([words[0]] if len(words) > 1 else [])
    return rng.choice(renamed), "company:renamed"


def relocate(location: str, rng: random.Random) -> str:
    """The location as another board writes it."""
    parts = [p.strip() for p in location.split(",") if p.strip()]
    options = ["Remote", ""]
    if len(parts) > 1:
        options.append(parts[0])
    if "United States" not in location and "US" not in parts:
        options.append(f"{location}, United States")
    return rng.choice([o for o in options if o != location])


def edit_blocks(blocks: tuple[Block, ...], rng: random.Random) -> tuple[tuple[Block, ...], bool]:
    """1-6 word edits and, 35% of the time, one sentence dropped; True when one was."""
    items = [list(b.items) for b in blocks]
    dropped = False
    if rng.random() < 0.35:
        choices = [i for i, block_items in enumerate(items) if len(block_items) >= 2]
        if choices:
            block_items = items[rng.choice(choices)]
            del block_items[rng.randrange(len(block_items))]
            dropped = True
    for _ in range(rng.randint(1, 6)):
        block_items = rng.choice(items)
        index = rng.randrange(len(block_items))
        words = block_items[index].split(" ")
        at = rng.randrange(len(words))
        operation = rng.choice(("replace", "insert", "delete"))
        if operation == "replace" or (operation == "delete" and len(words) < 3):
            words[at] = rng.choice(_FILLERS)
        elif operation == "insert":
            words.insert(at, rng.choice(_FILLERS))
        else:
            del words[at]
        block_items[index] = " ".join(words)
    edited = tuple(replace(b, items=tuple(i)) for b, i in zip(blocks, items, strict=True))
    return edited, dropped


def make_duplicate(original: Item, company: Company, uid: int, rng: random.Random) -> Item:
    """A near-duplicate of an original as another board (or a repost) shows it."""
    kinds = ["edit:words"]
    title, company_name, location = original.title, original.company_name, original.location
    if rng.random() < 0.5:
        title, how = retitle(title, location, rng)
        kinds.append(f"title:{how}")
    if rng.random() < 0.29:
        company_name, how = respell_company(company, rng)
        kinds.append(how)
    if rng.random() < 0.2:
        location = relocate(location, rng)
        kinds.append("location")
    blocks, dropped = edit_blocks(original.blocks, rng)
    if dropped:
        kinds.append("edit:sentence")
    board_html = rng.random() < 0.3
    if board_html:
        kinds.append("edit:html")
    tracking = rng.random() < 0.05
    kinds.append("url:tracking" if tracking else "url:new")
    return Item(
        uid, original.uid, original.company, title, company_name, location, original.family,
        blocks, tuple(kinds), board_html=board_html, tracking_url=tracking,
    )  # fmt: skip


# -- arrival order, sources and postings -------------------------------------------------

_SOURCES = (
    ("greenhouse", True, "https://boards.greenhouse.io/{slug}/jobs/{num}"),
    ("lever", True, "https://jobs.lever.co/{slug}/{uuid}"),
    ("ashby", True, "https://jobs.ashbyhq.com/{slug}/{uuid}"),
    ("workable", True, "https://apply.workable.com/{slug}/j/{hex}/"),
    ("weworkremotely", False, "https://weworkremotely.com/remote-jobs/{slug}-{title}-{num}"),
    ("remoteok", False, "https://remoteok.com/remote-jobs/{num}"),
    ("indeed", False, "https://www.indeed.com/viewjob?jk={hex}"),
    ("linkedin", False, "https://www.linkedin.com/jobs/view/{num}/"),
    ("remotive", False, "https://remotive.com/remote-jobs/{family}/{title}-{num}"),
    ("himalayas", False, "https://himalayas.app/companies/{slug}/jobs/{title}-{num}"),
)


@dataclass(slots=True)
class Corpus:
    """Everything the benchmark feeds and the truth to judge it by."""

    companies: list[Company]
    items: list[Item]
    sibling_of: dict[int, int]
    batches: list[list[int]]  # uids per batch, in arrival order
    sources: list[tuple[str, bool]]  # (source name, company_page) per batch
    pool_size: int
    real_count: int
    stats: dict[str, Any] = field(default_factory=dict)


def schedule(
    items: list[Item], originals: int, batch_size: int, rng: random.Random
) -> list[list[int]]:
    """Copies arrive 3%+ of the time span after their original, in a later batch."""
    for item in items[originals:]:
        start = items[item.job].t + 0.03
        item.t = min(start + rng.expovariate(10.0), 0.999)
    order = sorted(items, key=lambda i: i.t)
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    for number, batch in enumerate(batches):
        for item in batch:
            item.batch = number
    for item in items[originals:]:
        if item.batch <= items[item.job].batch:
            item.batch = items[item.job].batch + 1
    grouped: list[list[int]] = [[] for _ in batches]
    for item in order:
        grouped[item.batch].append(item.uid)
    return grouped


def assign_links(corpus: Corpus, rng: random.Random) -> None:
    """Each batch is one source: its URLs, ids and whether it is a company's own page."""
    number = 4_100_000
    for index, batch in enumerate(corpus.batches):
        name, company_page, pattern = _SOURCES[rng.randrange(len(_SOURCES))]
        corpus.sources.append((f"{name}-{index:03d}", company_page))
        for uid in batch:
            item = corpus.items[uid]
            number += rng.randint(1, 40)
            if item.tracking_url:
                original = corpus.items[item.job].url
                joiner = "&" if "?" in original else "?"
                item.url = f"{original}{joiner}utm_source={name}&utm_medium=feed&gh_src=feed"
            else:
                item.url = pattern.format(
                    slug=corpus.companies[item.company].slug,
                    num=number,
                    uuid=uuid.UUID(int=rng.getrandbits(128)),
                    hex=f"{rng.getrandbits(64):016x}",
                    title=re.sub(r"[^a-z0-9]+", "-", item.title.lower()).strip("-"),
                    family=re.sub(r"[^a-z0-9]+", "-", item.family.lower()).strip("-"),
                )
            item.external_id = f"{name}:{number}"


def build_corpus(args: argparse.Namespace) -> Corpus:
    """Originals, siblings and near-duplicates, scheduled into batches, with URLs and ids."""
    rng = random.Random(args.seed)
    recorded = load_feeds() + load_datasets()
    reals = distinct(recorded)
    pool = build_pool(reals)
    originals_count = round(args.postings * (1 - args.dup_share))
    built = build_originals(pool, originals_count, args.sibling_share, rng)
    items = built.items
    for item in items:
        item.t = rng.random()
    eligible = [item for item in items if item.t <= 0.95]  # later batches must exist
    for uid in range(len(items), args.postings):
        original = rng.choice(eligible)
        items.append(make_duplicate(original, built.companies[original.company], uid, rng))
    batches = schedule(items, originals_count, args.batch_size, rng)
    corpus = Corpus(
        built.companies, items, built.sibling_of, batches, [], len(reals), len(recorded)
    )
    assign_links(corpus, rng)
    return corpus


# -- rendering ---------------------------------------------------------------------------


def fill(item: str, company: Company) -> str:
    """A borrowed sentence with this company's name in it."""
    return item.replace(CO, company.short) if CO in item else item


def render_text(blocks: Sequence[Block], company: Company) -> str:
    """Plain text in the shape html_to_text produces."""
    out = []
    for block in blocks:
        lines = [block.heading] if block.heading else []
        items = [fill(i, company) for i in block.items]
        lines += [f"• {i}" for i in items] if block.bulleted else [" ".join(items)]
        out.append("\n".join(lines))
    return "\n\n".join(out)


def render_html(blocks: Sequence[Block], company: Company) -> str:
    """The HTML a company's ATS page would have."""
    parts = []
    for block in blocks:
        if block.heading:
            parts.append(f"<h3>{html.escape(block.heading)}</h3>")
        items = [html.escape(fill(i, company)) for i in block.items]
        if block.bulleted:
            parts.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
        else:
            parts.append(f"<p>{' '.join(items)}</p>")
    return "\n".join(parts)


def render_board_html(blocks: Sequence[Block], company: Company) -> str:
    """The same text as a board re-renders it: divs, <br>s, typed bullets, &nbsp;."""
    parts = []
    for block in blocks:
        if block.heading:
            parts.append(f"<div><strong>{html.escape(block.heading)}:</strong></div>")
        items = [html.escape(fill(i, company)) for i in block.items]
        if block.bulleted:
            parts.append("<div>" + "<br/>".join(f"- {i}" for i in items) + "</div><br/>")
        else:
            parts.append("<div>" + "&nbsp; ".join(items) + "</div><br/>")
    return "".join(parts)


def description(item: Item, company: Company) -> tuple[str, str]:
    """The item's description as (html, text)."""
    from sources.markup import html_to_text

    if item.board_html:
        markup = render_board_html(item.blocks, company)
        return markup, html_to_text(markup)
    return render_html(item.blocks, company), render_text(item.blocks, company)


def posting_fields(item: Item, corpus: Corpus, source: str, now: datetime) -> dict[str, Any]:
    """Keyword arguments of the Posting the item becomes."""
    from sources.markup import looks_remote

    markup, text = description(item, corpus.companies[item.company])
    return {
        "source": source,
        "external_id": item.external_id,
        "url": item.url,
        "title": item.title,
        "company": item.company_name,
        "location": item.location,
        "remote": bool(looks_remote(item.location, item.title)),
        "employment_type": "full_time",
        "posted_at": now - timedelta(hours=item.uid % 72),
        "description_html": markup,
        "description_text": text,
        "tags": (item.family,),
    }


def write_batches(corpus: Corpus, uids: set[int] | None, folder: Path) -> int:
    """Pickle each batch's postings (only ``uids`` when given); returns how many were written."""
    folder.mkdir(parents=True, exist_ok=True)
    meta, written = [], 0
    for index, batch in enumerate(corpus.batches):
        chosen = [u for u in batch if uids is None or u in uids]
        if not chosen:
            continue
        source, company_page = corpus.sources[index]
        now = START + index * BATCH_STEP
        rows = [posting_fields(corpus.items[u], corpus, source, now) for u in chosen]
        path = folder / f"batch-{len(meta):04d}.pkl"
        path.write_bytes(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))
        meta.append({"source": source, "company_page": company_page, "now": now.isoformat()})
        written += len(rows)
    (folder / "batches.json").write_text(json.dumps(meta))
    return written


def pick_subset(corpus: Corpus, size: int, rng: random.Random) -> set[int]:
    """Whole companies (originals with all their copies) until ``size`` postings."""
    by_company: dict[int, list[int]] = defaultdict(list)
    copies: dict[int, list[int]] = defaultdict(list)
    for item in corpus.items:
        (by_company[item.company] if item.job == item.uid else copies[item.job]).append(item.uid)
    chosen: set[int] = set()
    companies = sorted(by_company)
    rng.shuffle(companies)
    for company in companies:
        for original in by_company[company]:
            cluster = [original, *copies[original]]
            if len(chosen) + len(cluster) > size:
                return chosen
            chosen.update(cluster)
    return chosen


# -- workers (child processes) -----------------------------------------------------------


def load_batches(folder: Path) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(metadata, posting fields) per batch, read one batch at a time."""
    for index, meta in enumerate(json.loads((folder / "batches.json").read_text())):
        yield meta, pickle.loads((folder / f"batch-{index:04d}.pkl").read_bytes())


def peak_rss() -> int:
    """This process's own peak resident set size in bytes.

    Linux's ru_maxrss survives fork + exec (the kernel carries the parent's high-water mark over
    to the child), so a worker started by the 100,000-posting parent would report the parent's
    size; VmHWM in /proc/self/status is the peak of this process's own address space.
    """
    status = Path("/proc/self/status")
    if status.exists():
        found = re.search(r"^VmHWM:\s+(\d+) kB", status.read_text(), re.MULTILINE)
        if found:
            return int(found.group(1)) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def store_worker(folder: Path) -> dict[str, Any]:
    """Feed the batches through Store.save_collected into a fresh SQLite store."""
    from aggregator.core.models import Posting, SourceState
    from aggregator.store import Store

    import_rss = peak_rss()
    started, cpu = time.perf_counter(), time.process_time()
    store = Store(f"sqlite:///{folder / 'leads.db'}")
    batch_seconds = []
    for meta, rows in load_batches(folder):
        batch = [Posting(**row) for row in rows]
        now = datetime.fromisoformat(meta["now"])
        began = time.perf_counter()
        store.save_collected(
            SourceState(name=meta["source"]), batch, now, company_page=meta["company_page"]
        )
        batch_seconds.append(time.perf_counter() - began)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    leads = {s.posting.external_id: s.lead_id for s in store.postings()}
    readback = time.perf_counter() - started - seconds
    store.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "save_seconds": sum(batch_seconds),
        "batch_seconds": batch_seconds,
        "readback_seconds": readback,
        "import_rss": import_rss,
        "peak_rss": peak_rss(),
        "groups": leads,
    }


def tfidf_worker(folder: Path) -> dict[str, Any]:
    """JobFunnel's TF-IDF cosine filter, run per batch against the jobs kept so far."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    batches = [rows for _meta, rows in load_batches(folder)]
    import_rss = peak_rss()
    started, cpu = time.perf_counter(), time.process_time()
    ids = [row["external_id"] for rows in batches for row in rows]
    vectorizer = TfidfVectorizer(
        strip_accents="unicode", lowercase=True, analyzer="word", stop_words="english"
    )
    matrix = vectorizer.fit_transform(row["description_text"] for rows in batches for row in rows)
    group = list(range(len(ids)))
    kept: list[int] = []
    offset = 0
    for rows in batches:
        incoming = list(range(offset, offset + len(rows)))
        offset += len(rows)
        if not kept or len(kept) + len(incoming) < JOBFUNNEL_MIN_JOBS:
            kept.extend(incoming)
            continue
        similarities = cosine_similarity(matrix[incoming], matrix[kept])
        best = similarities.argmax(axis=1)
        fresh = []
        for index, column, row in zip(incoming, best, similarities, strict=True):
            if row[column] >= JOBFUNNEL_MAX_SIMILARITY:
                group[index] = group[kept[column]]
            else:
                fresh.append(index)
        kept.extend(fresh)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "import_rss": import_rss,
        "peak_rss": peak_rss(),
        "groups": dict(zip(ids, group, strict=True)),
    }


def run_worker(kind: str, folder: Path) -> dict[str, Any]:
    """Run a worker in a child process, so its time and peak memory are its own."""
    out = folder / f"{kind}-result.json"
    command = [sys.executable, __file__, "--worker", kind, "--work", str(folder), "--out", str(out)]
    subprocess.run(command, check=True)
    return json.loads(out.read_text())


# -- figures -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quality:
    """Pair counts of a grouping against the truth."""

    correct: int
    predicted: int
    true: int

    @property
    def precision(self) -> float:
        """Correct predicted pairs / predicted pairs."""
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Found true pairs / true pairs."""
        return self.correct / self.true if self.true else 1.0


def pairs(counts: Iterable[int]) -> int:
    """Number of unordered pairs within groups of these sizes."""
    return sum(n * (n - 1) // 2 for n in counts)


def quality(groups: dict[int, int], corpus: Corpus) -> Quality:
    """Pair precision and recall of ``groups`` (uid -> group) against the originals."""
    truth = {uid: corpus.items[uid].job for uid in groups}
    return Quality(
        correct=pairs(Counter((groups[u], truth[u]) for u in groups).values()),
        predicted=pairs(Counter(groups.values()).values()),
        true=pairs(Counter(truth.values()).values()),
    )


def by_uid(result: dict[str, Any], corpus: Corpus) -> dict[int, int]:
    """A worker's external id -> group mapping keyed by item uid."""
    uid_of = {item.external_id: item.uid for item in corpus.items}
    return {uid_of[ext]: group for ext, group in result["groups"].items()}


def recall_by_kind(groups: dict[int, int], corpus: Corpus) -> list[tuple[str, int, int]]:
    """(kind, copies of that kind, copies found with their original) per duplicate kind."""
    total: Counter[str] = Counter()
    found: Counter[str] = Counter()
    for item in corpus.items:
        if item.job == item.uid or item.uid not in groups:
            continue
        hit = groups[item.uid] == groups[item.job]
        for kind in (*item.kinds, "all copies"):
            total[kind] += 1
            found[kind] += hit
    return [(kind, total[kind], found[kind]) for kind in sorted(total)]


def false_merges(groups: dict[int, int], corpus: Corpus) -> Counter[str]:
    """Wrong pairs by (relation of the two jobs, the rule that must have joined them)."""
    members: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for uid, group in groups.items():
        members[group][corpus.items[uid].job].append(uid)
    causes: Counter[str] = Counter()
    for jobs in members.values():
        for (a, first), (b, second) in itertools.combinations(jobs.items(), 2):
            causes[f"{relation(a, b, corpus)} / {rule(first, second, corpus)}"] += len(first) * len(
                second
            )
    return causes


def relation(a: int, b: int, corpus: Corpus) -> str:
    """How two originals relate: template siblings, same company, or not."""
    if corpus.sibling_of.get(a) == b or corpus.sibling_of.get(b) == a:
        return "template siblings"
    if corpus.items[a].company == corpus.items[b].company:
        return "same company"
    return "different companies"


def rule(first: list[int], second: list[int], corpus: Corpus) -> str:
    """The dedupe rule that can have joined two clusters: URL, lead key or description."""
    items = corpus.items

    def key(uid: int) -> str:
        item = items[uid]
        return "|".join(
            (
                dedupe.company_key(item.company_name),
                dedupe.normalise(item.title),
                dedupe.normalise(item.location),
            )
        )

    if {canonical_url(items[u].url) for u in first} & {canonical_url(items[u].url) for u in second}:
        return "url"
    if {key(u) for u in first} & {key(u) for u in second}:
        return "lead key"
    return "description"


def shingles(text: str) -> set[str]:
    """The word 3-shingles dedupe compares."""
    words = dedupe.normalise(text).split()
    size = dedupe.SHINGLE_WORDS
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def jaccard(first: Item, second: Item, corpus: Corpus) -> float:
    """Exact word-3-shingle Jaccard similarity of two items' descriptions."""
    a = shingles(description(first, corpus.companies[first.company])[1])
    b = shingles(description(second, corpus.companies[second.company])[1])
    return len(a & b) / len(a | b) if a | b else 1.0


def quantiles(values: Sequence[float]) -> str:
    """p10 / p50 / p90 / max, for a one-line summary."""
    if not values:
        return "none"
    ordered = sorted(values)
    pick = [ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.1, 0.5, 0.9)]
    return "p10 {:.2f}  p50 {:.2f}  p90 {:.2f}  max {:.2f}".format(*pick, ordered[-1])


def realism(corpus: Corpus, rng: random.Random, samples: int = 600) -> dict[str, str]:
    """Similarity of same-company originals, template siblings and copies, on samples."""
    originals = [i for i in corpus.items if i.job == i.uid]
    by_company: dict[int, list[Item]] = defaultdict(list)
    for item in originals:
        if item.uid not in corpus.sibling_of and not item.kinds:
            by_company[item.company].append(item)
    crowded = [items for items in by_company.values() if len(items) > 1]
    same = [jaccard(*rng.sample(rng.choice(crowded), 2), corpus) for _ in range(samples)]
    siblings = rng.sample(sorted(corpus.sibling_of.items()), min(samples, len(corpus.sibling_of)))
    sib = [jaccard(corpus.items[a], corpus.items[b], corpus) for a, b in siblings]
    copies = [i for i in corpus.items if i.job != i.uid]
    dup = [jaccard(i, corpus.items[i.job], corpus) for i in rng.sample(copies, samples)]
    return {
        "same-company distinct originals": quantiles(same),
        "template siblings": quantiles(sib),
        "near-duplicate vs its original": quantiles(dup),
    }


def missed_summary(groups: dict[int, int], corpus: Corpus, limit: int = 400) -> list[str]:
    """Why copies were missed: shingle similarity and whether the company key still matched."""
    missed = [
        i
        for i in corpus.items
        if i.job != i.uid and i.uid in groups and groups[i.uid] != groups[i.job]
    ]
    sample = missed[:limit]
    similar = [jaccard(i, corpus.items[i.job], corpus) for i in sample]
    other_key = sum(
        dedupe.company_key(i.company_name) != dedupe.company_key(corpus.items[i.job].company_name)
        for i in missed
    )
    return [
        f"missed copies: {len(missed):,}; company key differs from the original's in {other_key:,}",
        f"exact Jaccard to their original (first {len(sample)}): {quantiles(similar)}",
    ]


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def print_main(corpus: Corpus, result: dict[str, Any], groups: dict[int, int]) -> None:
    """The table of the 100,000-posting run."""
    scored = quality(groups, corpus)
    seconds = result["seconds"]
    batches = result["batch_seconds"]
    print(f"\nStore run ({len(groups):,} postings; child process; fresh SQLite)")
    print(f"  {'figure':<34}{'result':>14}  {'target':<10}")
    rows = [
        ("wall time (open .. last commit)", f"{seconds:.1f} s", f"< {TARGET_SECONDS:.0f} s",
         seconds < TARGET_SECONDS),
        ("peak memory (VmHWM)", f"{result['peak_rss'] / MiB:,.0f} MiB", "< 2 GiB",
         result["peak_rss"] < TARGET_BYTES),
        ("precision (pairs)", f"{scored.precision:.4f}", f">= {TARGET_PRECISION}",
         scored.precision >= TARGET_PRECISION),
        ("recall (pairs)", f"{scored.recall:.4f}", f">= {TARGET_RECALL}",
         scored.recall >= TARGET_RECALL),
    ]  # fmt: skip
    for name, value, target, ok in rows:
        print(f"  {name:<34}{value:>14}  {target:<10}{verdict(ok)}")
    print(
        f"  pairs: {scored.correct:,} correct of {scored.predicted:,} predicted; "
        f"{scored.true:,} true | CPU time {result['cpu_seconds']:.1f} s (wall - CPU: waiting for a "
        f"core or the disk); save_collected {result['save_seconds']:.1f} s, "
        f"read-back {result['readback_seconds']:.1f} s, RSS after imports "
        f"{result['import_rss'] / MiB:.0f} MiB"
    )
    tenth = max(1, len(batches) // 10)
    print(
        f"  per batch: first {tenth} mean {statistics.mean(batches[:tenth]):.2f} s, "
        f"last {tenth} mean {statistics.mean(batches[-tenth:]):.2f} s"
    )
    print("  recall by duplicate kind (a copy is found when it shares its original's lead):")
    for kind, total, found in recall_by_kind(groups, corpus):
        print(f"    {kind:<22}{found:>7,} / {total:<7,}{found / total:8.4f}")
    wrong = false_merges(groups, corpus)
    print(f"  wrong pairs by cause ({sum(wrong.values()):,}):")
    for cause, count in wrong.most_common():
        print(f"    {cause:<48}{count:>8,}")
    if wrong:
        sibling_pairs = sum(c for k, c in wrong.items() if k.startswith("template"))
        rest = scored.predicted - sibling_pairs
        print(f"  precision without template-sibling pairs: {scored.correct / rest:.4f}")
    for line in missed_summary(groups, corpus):
        print(f"  {line}")


def print_subset(corpus: Corpus, ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Ours against the JobFunnel-like baseline on the same subset."""
    our_groups, their_groups = by_uid(ours, corpus), by_uid(theirs, corpus)
    mine, other = quality(our_groups, corpus), quality(their_groups, corpus)
    copies = sum(1 for u in our_groups if corpus.items[u].job != u)
    print(
        f"\nSubset: {len(our_groups):,} postings ({copies:,} near-duplicates) — "
        "ours (Store.save_collected) vs JobFunnel-like TF-IDF cosine >= 0.75"
    )
    print(f"  {'figure':<26}{'ours':>12}{'JobFunnel-like':>16}{'baseline / ours':>17}")
    rows = [
        ("wall time (s)", ours["seconds"], theirs["seconds"], "{:.2f}"),
        ("CPU time (s)", ours["cpu_seconds"], theirs["cpu_seconds"], "{:.2f}"),
        ("peak memory (MiB)", ours["peak_rss"] / MiB, theirs["peak_rss"] / MiB, "{:.0f}"),
        ("precision (pairs)", mine.precision, other.precision, "{:.4f}"),
        ("recall (pairs)", mine.recall, other.recall, "{:.4f}"),
    ]
    for name, a, b, shape in rows:
        ratio = b / a if a else float("nan")
        print(f"  {name:<26}{shape.format(a):>12}{shape.format(b):>16}{ratio:>17.2f}")
    print(
        f"  pairs (correct/predicted/true): ours {mine.correct:,}/{mine.predicted:,}/{mine.true:,}"
        f"; JobFunnel-like {other.correct:,}/{other.predicted:,}/{other.true:,}"
    )
    print(
        f"  memory after imports: ours {ours['import_rss'] / MiB:.0f} MiB, "
        f"JobFunnel-like {theirs['import_rss'] / MiB:.0f} MiB (sklearn + the subset loaded)"
    )
    wrong = false_merges(their_groups, corpus)
    print("  JobFunnel-like wrong pairs by cause: " + ", ".join(
        f"{cause} {count:,}" for cause, count in wrong.most_common(4)
    ))  # fmt: skip


def describe(corpus: Corpus, seconds: float, args: argparse.Namespace) -> None:
    """What was built."""
    originals = sum(1 for i in corpus.items if i.job == i.uid)
    copied = len({i.job for i in corpus.items if i.job != i.uid})
    ats = sum(1 for _name, page in corpus.sources if page)
    sizes = [len(b) for b in corpus.batches]
    print(
        f"Corpus (seed {args.seed}): {len(corpus.items):,} postings = {originals:,} originals "
        f"(incl. {len(corpus.sibling_of):,} template siblings) + "
        f"{len(corpus.items) - originals:,} near-duplicates of {copied:,} originals; "
        f"{len(corpus.companies):,} companies (largest "
        f"{max(c.size for c in corpus.companies)}); {len(corpus.batches)} batches of "
        f"{min(sizes)}-{max(sizes)} ({ats} ATS, {len(sizes) - ats} boards); made from "
        f"{corpus.pool_size:,} distinct of {corpus.real_count:,} recorded postings "
        f"in {seconds:.0f} s"
    )
    print("Word-3-shingle Jaccard, exact, on samples (the detector's threshold is "
          f"{dedupe.NEAR_DUPLICATE_THRESHOLD}):")  # fmt: skip
    for name, line in corpus.stats.items():
        print(f"  {name:<34}{line}")


def main(argv: Sequence[str] | None = None) -> int:
    """Build the corpus, run both detectors in child processes and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--dup-share", type=float, default=0.2)
    parser.add_argument("--subset", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1_000)
    parser.add_argument("--sibling-share", type=float, default=0.03)
    parser.add_argument("--keep", action="store_true", help="keep work files in benchmarks/.work")
    parser.add_argument("--worker", choices=("store", "tfidf"), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker = store_worker if args.worker == "store" else tfidf_worker
        args.out.write_text(json.dumps(worker(args.work)))
        return 0

    began = time.perf_counter()
    corpus = build_corpus(args)
    corpus.stats = realism(corpus, random.Random(args.seed + 1))
    if args.keep:
        WORK.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="dedupe-", dir=WORK if args.keep else None))
    try:
        write_batches(corpus, None, folder / "full")
        subset = pick_subset(corpus, args.subset, random.Random(args.seed + 2))
        write_batches(corpus, subset, folder / "subset")
        describe(corpus, time.perf_counter() - began, args)
        full = run_worker("store", folder / "full")
        print_main(corpus, full, by_uid(full, corpus))
        ours = run_worker("store", folder / "subset")
        print_subset(corpus, ours, run_worker("tfidf", folder / "subset"))
    finally:
        if args.keep:
            print(f"\nwork files kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
