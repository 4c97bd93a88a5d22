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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntFlag
from functools import cache, cached_property
from importlib import resources
from typing import Any

import numpy as np
from ruamel.yaml import YAML

from aggregator.core.models import Posting
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


@dataclass(frozen=True, slots=True)
class Places:
    """Metro areas, the words that make a location remote, and the regions remote jobs are
    limited to (``data/places.yaml``)."""

    metros: dict[str, tuple[str, ...]]
    remote_words: tuple[str, ...]
    within: dict[str, frozenset[str]] = field(default_factory=dict)  # metro -> its regions
    regions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # region -> its names
    unlimited_words: tuple[str, ...] = ()

    def aliases(self, place: str) -> tuple[str, ...]:
        """The normalised names that count as ``place``: itself, and its metro's towns."""
        return self._metro(place) or (self._name(place),)

    def _name(self, place: str) -> str:
        return normalise_place(place.split(",")[0]) or normalise_place(place)

    def _metro(self, place: str) -> tuple[str, ...]:
        name = self._name(place)
        for metro, towns in self.metros.items():
            if name == metro or name in towns:
                return (metro, *towns)
        return ()

    def limited_to(self, location: str) -> frozenset[str]:
        """The regions a (normalised) location limits a job to; empty when not limited."""
        if _contains(location, self.unlimited_words):
            return frozenset()
        return frozenset(r for r, names in self.regions.items() if _contains(location, names))

    def regions_of(self, place: str) -> frozenset[str] | None:
        """The regions a mentee's place lies in; None for a place the table does not know."""
        metro = self._metro(place)
        return self.within.get(metro[0]) if metro else None

    def zones(self, wanted: Sequence[str]) -> frozenset[str] | None:
        """Every region the mentee's places lie in; None when that cannot be judged (they name
        only ``remote``, or a place the table does not know)."""
        places = [p for p in wanted if normalise_place(p) not in self.remote_words]
        found: set[str] = set()
        for place in places:
            regions = self.regions_of(place)
            if regions is None:
                return None
            found |= regions
        return frozenset(found) if places else None

    def reachable(self, wanted: Sequence[str], location: str) -> bool:
        """Whether a remote job at ``location`` can be done from the mentee's places: yes unless
        it is limited to regions that none of their places lies in."""
        return reaches(self.zones(wanted), self.limited_to(location))


def reaches(zones: frozenset[str] | None, limits: frozenset[str]) -> bool:
    """Whether a mentee in ``zones`` (None: unknown) may take a job limited to ``limits``."""
    return not limits or zones is None or bool(zones & limits)


@cache
def default_places() -> Places:
    """The places table shipped with the package (read once per process)."""
    text = resources.files("matchers").joinpath("data/places.yaml").read_text(encoding="utf-8")
    data: Any = YAML(typ="safe").load(text)
    metros = {
        normalise_place(str(name)): tuple(normalise_place(str(t)) for t in towns or ())
        for name, towns in data["metros"].items()
    }
    def names(words: Any) -> tuple[str, ...]:
        return tuple(normalise_place(str(w)) for w in words or ())

    return Places(
        metros,
        names(data["remote"]),
        within={normalise_place(str(m)): frozenset(names(r)) for m, r in data["within"].items()},
        regions={normalise_place(str(r)): names(n) for r, n in data["regions"].items()},
        unlimited_words=names(data["unlimited"]),
    )


def normalise_place(text: str) -> str:
    """Lowercase words separated by single spaces: "Chicago, IL" -> "chicago il"."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def _contains(location: str, phrases: Sequence[str]) -> bool:
    padded = f" {location} "
    return any(f" {phrase} " in padded for phrase in phrases if phrase)


def is_remote(posting: Posting, places: Places | None = None) -> bool:
    """Whether a posting is remote: flagged so, or its location says so."""
    places = places or default_places()
    return posting.remote or _contains(normalise_place(posting.location), places.remote_words)


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
        elif _contains(location, places.aliases(place)):
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
