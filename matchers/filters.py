"""Hard filters applied before scoring: location, exclusions, seniority and posting age.

A filter whose field is absent filters nothing: a mentee without locations or seniority,
a posting without a location, level word or date passes it; the age filter applies only
when a maximum age is given. :class:`PostingFacts` holds what the filters need for many
postings as arrays, so ten thousand mentees can be filtered without a Python loop over
every posting for each of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import IntFlag
from functools import cached_property
from typing import Any

import numpy as np

from aggregator.core.models import Posting
from aggregator.core.places import (
    Places,
    contains,
    default_places,
    normalise_place,
    reaches,
)
from matchers.profile import Profile


class Level(IntFlag):
    """Seniority levels a job title can name (a title may name several: "Junior/Mid")."""

    ENTRY = 1
    JUNIOR = 2
    MID = 4
    SENIOR = 8
    STAFF = 16
    EXECUTIVE = 32


_LEVEL_PATTERNS = (
    (Level.ENTRY, r"intern|interns|internship|trainee|apprentice(?:ship)?|graduate|new grad"
     r"|entry[- ]?level"),
    (Level.JUNIOR, r"junior|jr"),
    (Level.MID, r"mid[- ]?level|intermediate|mid(?![- ]?market)"),
    (Level.SENIOR, r"senior|sr|lead"),
    # A "Staff Accountant" is an early-career job; a "Staff Engineer" is not.
    (Level.STAFF, r"staff(?!\s+(?:accountant|auditor|nurse|assistant|writer|attorney))"
     r"|principal|distinguished"),
    (Level.EXECUTIVE, r"director|head of|vp|svp|evp|vice president|chief|cto|ceo|cfo|coo|cmo|cio"
     r"|ciso|president"),
)
_LEVELS = tuple((level, re.compile(rf"(?<![\w-])(?:{p})(?!\w)")) for level, p in _LEVEL_PATTERNS)

# Which levels each mentee seniority may be shown; a title naming none of them passes.
ALLOWED_LEVELS: dict[str, Level] = {
    "entry": Level.ENTRY | Level.JUNIOR,
    "junior": Level.ENTRY | Level.JUNIOR | Level.MID,
    "mid": Level.JUNIOR | Level.MID | Level.SENIOR,
    "senior": Level.MID | Level.SENIOR | Level.STAFF | Level.EXECUTIVE,
}

_COMPANY_SUFFIXES = frozenset(
    ("inc", "incorporated", "llc", "ltd", "limited", "gmbh", "corp", "corporation", "co",
     "company", "plc", "sa", "ag", "bv", "the")
)
_NON_WORD = re.compile(r"[\W_]+")


def title_levels(title: str) -> Level:
    """The seniority levels a job title names (``Level(0)`` when it names none)."""
    text = title.lower()
    found = Level(0)
    for level, pattern in _LEVELS:
        if pattern.search(text):
            found |= level
    return found


def seniority_fits(seniority: str | None, levels: Level) -> bool:
    """Whether a mentee of ``seniority`` may see a posting whose title names ``levels``."""
    return seniority is None or not levels or bool(levels & ALLOWED_LEVELS[seniority])


def is_remote(posting: Posting, places: Places | None = None) -> bool:
    """Whether a posting is remote: flagged so, or its location says so."""
    places = places or default_places()
    return posting.remote or contains(normalise_place(posting.location), places.remote_words)


def location_fits(wanted: Sequence[str], posting: Posting, places: Places | None = None) -> bool:
    """Whether ``posting`` is in one of the ``wanted`` places (``remote`` counts as a place)."""
    places = places or default_places()
    if not wanted or not (posting.location or posting.remote):
        return True
    remote = is_remote(posting, places)
    return _place_fits(wanted, normalise_place(posting.location), remote, places)


def _place_fits(wanted: Sequence[str], location: str, remote: bool, places: Places) -> bool:
    for place in wanted:
        if normalise_place(place) in places.remote_words:
            if remote and places.reachable(wanted, location):
                return True
        elif contains(location, places.aliases(place)):
            return True
    return False


def normalise_company(name: str) -> str:
    """A company name without case, punctuation or legal suffix: "Acme, Inc." -> "acme"."""
    words = _NON_WORD.sub(" ", name.lower()).split()
    return " ".join(w for w in words if w not in _COMPANY_SUFFIXES)


def company_excluded(excluded: Sequence[str], company: str) -> bool:
    """Whether ``company`` is one of the ``excluded`` ones ("Amazon" also excludes "Amazon Web
    Services")."""
    name = normalise_company(company)
    if not name:
        return False
    for other in map(normalise_company, excluded):
        if other and (name == other or name.startswith(other + " ")):
            return True
    return False


def keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str] | None:
    """One pattern matching any of ``keywords`` as whole words, case-insensitively."""
    parts = [r"\s+".join(map(re.escape, k.lower().split())) for k in keywords if k.strip()]
    if not parts:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(sorted(parts))})(?!\w)", re.IGNORECASE)


def searchable_text(posting: Posting) -> str:
    """The text exclusion keywords are looked for in."""
    return "\n".join((posting.title, posting.company, posting.description_text, *posting.tags))


def age_fits(posting: Posting, now: datetime, max_age_days: int | None) -> bool:
    """Whether ``posting`` is at most ``max_age_days`` old (an undated posting always is)."""
    if max_age_days is None or posting.posted_at is None:
        return True
    return now - posting.posted_at <= timedelta(days=max_age_days)


def passes(
    profile: Profile, posting: Posting, now: datetime, max_age_days: int | None = None
) -> bool:
    """Whether ``posting`` passes every hard filter of ``profile`` (one posting at a time)."""
    pattern = keyword_pattern(profile.exclude_keywords)
    return (
        location_fits(profile.locations, posting)
        and not company_excluded(profile.exclude_companies, posting.company)
        and seniority_fits(profile.seniority, title_levels(posting.title))
        and age_fits(posting, now, max_age_days)
        and not (pattern and pattern.search(searchable_text(posting)))
    )


class PostingFacts:
    """The filterable facts of many postings as arrays, with masks cached per distinct wish.

    Mentees share wishes (a city, a seniority), so each distinct wish is evaluated once
    against each distinct location or company, then spread to all postings by index.
    Keyword exclusions are not here: they need the text, and are checked only on the
    few postings that would otherwise be shown (see ``keyword_pattern``).
    """

    def __init__(self, postings: Sequence[Posting], places: Places | None = None) -> None:
        self.places = places or default_places()
        n = len(postings)
        self.levels = np.fromiter((title_levels(p.title) for p in postings), np.uint8, n)
        self.posted = np.fromiter(
            (p.posted_at.timestamp() if p.posted_at else np.nan for p in postings), np.float64, n
        )
        self.remote = np.fromiter((is_remote(p, self.places) for p in postings), bool, n)
        self.located = np.fromiter((bool(p.location) or p.remote for p in postings), bool, n)
        self._locations, self.location_ids = _factorise(
            normalise_place(p.location) for p in postings
        )
        self._companies, self.company_ids = _factorise(p.company for p in postings)
        self._cache: dict[tuple[str, Any], np.ndarray] = {}
        self._combined: dict[tuple[Any, ...], np.ndarray | None] = {}
        self.keyword_verdicts: dict[str, dict[int, bool]] = {}  # pattern -> row -> excluded

    def __len__(self) -> int:
        return len(self.levels)

    def mask(self, profile: Profile) -> np.ndarray | None:
        """Postings that pass the profile's location, company and seniority filters.

        ``None`` means all of them (the profile sets none of those filters).
        """
        wish = (profile.seniority, profile.locations, profile.exclude_companies)
        if wish not in self._combined:
            self._combined[wish] = self._mask(profile)
        return self._combined[wish]

    def _mask(self, profile: Profile) -> np.ndarray | None:
        masks = [
            self._cached("seniority", profile.seniority, self._seniority),
            self._cached("locations", profile.locations, self._location),
            self._cached("companies", profile.exclude_companies, self._company),
        ]
        present = [m for m in masks if m is not None]
        if not present:
            return None
        return np.logical_and.reduce(present) if len(present) > 1 else present[0]

    def age_mask(self, now: datetime, max_age_days: int | None) -> np.ndarray | None:
        """Postings young enough (undated ones pass); ``None`` when there is no age limit."""
        if max_age_days is None:
            return None
        oldest = (now - timedelta(days=max_age_days)).timestamp()
        return np.isnan(self.posted) | (self.posted >= oldest)

    def _cached(self, kind: str, wish: Any, build: Any) -> np.ndarray | None:
        if not wish:
            return None
        key = (kind, wish)
        if key not in self._cache:
            self._cache[key] = build(wish)
        return self._cache[key]

    def _seniority(self, seniority: str) -> np.ndarray:
        allowed = int(ALLOWED_LEVELS[seniority])
        return (self.levels == 0) | ((self.levels & allowed) != 0)

    def _location(self, wanted: tuple[str, ...]) -> np.ndarray:
        fits = np.fromiter(
            (_place_fits(wanted, loc, False, self.places) for loc in self._locations),
            bool,
            len(self._locations),
        )
        mask = fits[self.location_ids] | ~self.located
        if any(normalise_place(w) in self.places.remote_words for w in wanted):
            zones = self.places.zones(wanted)
            reachable = np.fromiter(
                (reaches(zones, limits) for limits in self._location_limits),
                bool,
                len(self._locations),
            )
            mask |= self.remote & reachable[self.location_ids]
        return mask

    @cached_property
    def _location_limits(self) -> list[frozenset[str]]:
        """The regions each distinct location limits a job to (worked out once)."""
        return [self.places.limited_to(location) for location in self._locations]

    def _company(self, excluded: tuple[str, ...]) -> np.ndarray:
        hit = np.fromiter(
            (company_excluded(excluded, c) for c in self._companies), bool, len(self._companies)
        )
        return ~hit[self.company_ids]


def _factorise(values: Any) -> tuple[list[str], np.ndarray]:
    """Distinct values (in first-seen order) and each value's index among them."""
    ids: dict[str, int] = {}
    codes = [ids.setdefault(v, len(ids)) for v in values]
    return list(ids), np.asarray(codes, dtype=np.int32)
