"""Recognising the same job across sources: lead keys and description near-duplicates.

A *lead* is one job, however many places post it. A new posting joins an existing lead when

1. its canonical URL (tracking parameters stripped) was seen before, and the titles and
   places are compatible (below): boards link many jobs to one careers page, or
2. its lead key — normalised company + title + location, in any script — matches a lead seen
   within the repost window, or
3. it is from the same company, its description is a near-duplicate of the lead's
   (estimated Jaccard similarity of word 3-shingles ≥ ``NEAR_DUPLICATE_THRESHOLD``, found with
   MinHash + LSH banding so the check costs a few index lookups, not a scan), and the titles
   are compatible — one's words, with the towns its location names, contain the other's
   once abbreviations are spelt out and words like "remote" are dropped, and both name the
   same level ("Senior", "II", "Intern") — and so are the regions the two are limited to, if
   both are ("Americas Only" and "Oceania Only" are two openings; "USA Only" and "North
   America Only" may be one). Companies write different jobs from one template ("Android
   Engineer" / "iOS Engineer", "Engineer" / "Senior Engineer", the same title in Berlin and
   in London); the check keeps those apart, while "Sr. Backend Engineer (Remote)" still joins
   "Senior Backend Engineer".

Rules 2 and 3 only look back ``repost window`` days (default 30): a job reposted under a new id
within the window is the same lead (mentees who saw it are not told again), while the same title
posted months later is a new opening. Everything here is pure; the store does the lookups.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from aggregator.core.models import Posting
from aggregator.core.places import default_places

# 0.7 keeps re-titled and lightly edited copies together (a 5% word edit leaves J ≈ 0.75) while
# two different openings at one company, which share boilerplate, stay apart (measured in
# benchmarks/dedupe.py: precision and recall on 100,000 postings).
NEAR_DUPLICATE_THRESHOLD = 0.7
SHINGLE_WORDS = 3
MIN_SHINGLES = 8  # shorter descriptions say too little to compare
PERMUTATIONS = 64
BANDS = 16  # 16 bands of 4 rows: a pair at J = 0.7 shares a band with probability 0.99
ROWS_PER_BAND = PERMUTATIONS // BANDS

_RANDOM = np.random.default_rng(20261125)  # fixed: signatures must be stable across runs
# (a·x + b) mod 2^32 with odd a: cheap 32-bit permutations of the shingle hashes (uint32
# arithmetic wraps by itself), four times faster than 64-bit modular hashing.
_A = (_RANDOM.integers(0, 2**31, size=PERMUTATIONS, dtype=np.uint32) * 2 + 1).astype(np.uint32)
_B = _RANDOM.integers(0, 2**32, size=PERMUTATIONS, dtype=np.uint64).astype(np.uint32)
_MULTIPLIER = np.uint32(1_000_003)
MAX_WORDS = 400  # the opening of a description says which job it is; boilerplate comes later
_GROUP = 64  # descriptions hashed together (bounds the temporary matrix)
# Possessive: the greedy first try always succeeds (nothing follows), so never backtracking
# finds the same words, faster.
_WORD = re.compile(r"[a-z0-9]++(?:[+#.][a-z0-9+#]++)*+")
# A name's words in any script, as _WORD reads ASCII, and ending in "+" or "#" as well: "C#"
# and "F#" are not "C" and "F" (which made "C# Developer" and "C Developer" one lead).
_NAME_WORD = re.compile(r"[^\W_]++(?:[+#.](?:[^\W_]|[+#])++)*+[+#]*+")
# Accents (combining marks) and invisible format characters (a zero-width space splits no word)
_UNSPOKEN = frozenset({"Mn", "Cf"})
# Legal forms dropped from the end of company names ("Espeo Sp. z o.o." -> "espeo").
_LEGAL_FORM_WORDS = frozenset(
    [
        "inc",
        "incorporated",
        "llc",
        "llp",
        "ltd",
        "limited",
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "se",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "plc",
        "corp",
        "corporation",
        "co",
        "company",
        "pvt",
        "private",
        "pty",
        "oy",
        "ab",
        "as",
        "aps",
        "sp",
        "z",
        "o",
        "oo",
    ]
)

Signature = npt.NDArray[np.uint32]


def normalise(text: str) -> str:
    """Lowercase ASCII words separated by single spaces."""
    return " ".join(words(text))


def words(text: str, *, fold_accents: bool = True) -> list[str]:
    """Lowercase words of a name (a title, company or place): accents folded, other scripts
    kept, invisible characters dropped ('Zoë' -> 'zoe', 'Разработчик' kept, 'C#' kept).

    Without folding (descriptions, for shingles), ASCII words only ('Zoë' -> 'zo'): stored
    signatures were worked out so. Names keep every script because a name reduced to its ASCII
    letters says nothing: 'バックエンドエンジニア' and 'デザイナー' at one company were one lead.
    """
    if not fold_accents:
        if not text.isascii():
            text = text.encode("ascii", "ignore").decode()
        return _WORD.findall(text.lower())
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if unicodedata.category(ch) not in _UNSPOKEN)
    return _NAME_WORD.findall(text.casefold())


def company_key(company: str) -> str:
    """'Acme, Inc.' and 'ACME' give the same key; legal-form suffixes are dropped."""
    words = normalise(company).replace(".", " ").split()
    while len(words) > 1 and words[-1] in _LEGAL_FORM_WORDS:
        words.pop()
    return " ".join(words)


class _WordHashes(dict[str, int]):
    """crc32 of words seen, worked out on first look-up (``map`` of ``__getitem__`` runs in C)."""

    def __missing__(self, word: str) -> int:
        value = self[word] = zlib.crc32(word.encode())
        return value


_WORD_HASHES = _WordHashes()  # bounded below
_WORD_HASHES_KEPT = 500_000


def _word_hashes(tokens: list[str]) -> npt.NDArray[np.uint32]:
    known = _WORD_HASHES
    if len(known) > _WORD_HASHES_KEPT:
        known.clear()
    return np.fromiter(map(known.__getitem__, tokens), dtype=np.uint32, count=len(tokens))


def signature(text: str) -> Signature | None:
    """The MinHash signature of a description, or None when it is too short to compare."""
    return signatures([text])[0]


def signatures(texts: Sequence[str]) -> list[Signature | None]:
    """MinHash signatures of many descriptions, hashed in vectorised groups."""
    shingle_sets = [_shingles(text) for text in texts]
    present = [s for s in shingle_sets if s is not None]
    computed: list[Signature] = []
    for start in range(0, len(present), _GROUP):
        group = present[start : start + _GROUP]
        offsets = np.cumsum([0] + [len(s) for s in group[:-1]])
        # Added in place: a second matrix the size of the first (megabytes, fresh pages from
        # the system each time) took three times as long as the arithmetic.
        mixed = np.multiply.outer(_A, np.concatenate(group))
        mixed += _B[:, None]
        computed.extend(np.minimum.reduceat(mixed, offsets, axis=1).T.copy())
    found = iter(computed)
    return [next(found) if s is not None else None for s in shingle_sets]


def _shingles(text: str) -> npt.NDArray[np.uint32] | None:
    # Accents are dropped rather than folded: both copies of a text get the same treatment,
    # and folding (NFKD) would cost more than all the hashing. Repeated shingles need no
    # removal: a minimum does not change when a value occurs twice.
    tokens = _opening_words(text)
    if len(tokens) < SHINGLE_WORDS + MIN_SHINGLES - 1:
        return None
    hashes = _word_hashes(tokens)
    return (hashes[:-2] * _MULTIPLIER + hashes[1:-1]) * _MULTIPLIER + hashes[2:]


def _opening_words(text: str) -> list[str]:
    """The first MAX_WORDS words of the text's first MAX_WORDS * 16 characters.

    Most descriptions have that many words in half as many characters, so those are read
    first. A cut can only change the last word found before it (shorten it, or end it before
    a "." that went on), so more than MAX_WORDS words there means the first MAX_WORDS are whole.
    """
    for cut in (MAX_WORDS * 8, MAX_WORDS * 16):
        tokens = words(text[:cut], fold_accents=False)
        if len(tokens) > MAX_WORDS or len(text) <= cut:
            break
    return tokens[:MAX_WORDS]


_TITLE_ABBREVIATIONS = {
    "sr": "senior", "snr": "senior", "jr": "junior", "mgr": "manager", "eng": "engineer",
    "engr": "engineer", "dev": "developer", "ops": "operations", "mgmt": "management",
    "assoc": "associate", "admin": "administrator", "exec": "executive", "intl": "international",
    "rep": "representative",
}  # fmt: skip
_TITLE_NOISE = frozenset(
    [
        "remote",
        "hybrid",
        "onsite",
        "on",
        "site",
        "full",
        "part",
        "time",
        "fulltime",
        "parttime",
        "contract",
        "permanent",
        "m",
        "f",
        "d",
        "w",
        "x",
        "h",
        "the",
        "a",
        "an",
        "and",
        "of",
        "for",
        "in",
        "at",
        "with",
        "to",
        "job",
        "position",
        "role",
        "opening",
        "wfh",
        "anywhere",
    ]
)


# Words naming how senior an opening is: titles that differ in them are different openings.
_LEVELS = frozenset(
    [
        "intern", "internship", "trainee", "apprentice", "graduate", "entry", "junior",
        "associate", "mid", "senior", "staff", "principal", "lead", "head", "chief", "director",
        "vp", "i", "ii", "iii", "iv", "v", "1", "2", "3", "4", "5",
    ]
)  # fmt: skip
# Words of "USA Only" or "Anywhere in the World" that name no place.
_NO_PLACE = frozenset(["only", "world"])


def title_words(title: str, location: str = "") -> frozenset[str]:
    """The words that say which job a title is: abbreviations spelt out, noise dropped."""
    return _title_words(words(title), words(location))


def _title_words(title: list[str], location: list[str]) -> frozenset[str]:
    place = set(location)
    spelt = (_TITLE_ABBREVIATIONS.get(w, w) for w in title)
    return frozenset(w for w in spelt if w not in _TITLE_NOISE and w not in place)


def titles_compatible(first: frozenset[str], second: frozenset[str]) -> bool:
    """True when one title's words contain the other's and both name the same level: the
    same job, differently worded. "Software Engineer", "Senior Software Engineer", "Software
    Engineer II" and "Software Engineer Intern" are written from one template, and are four
    openings."""
    return (first <= second or second <= first) and first & _LEVELS == second & _LEVELS


def regions_compatible(first_key: str, second_key: str) -> bool:
    """False when the lead keys' locations limit the job to regions that do not overlap
    ("Americas Only" / "Oceania Only", as We Work Remotely writes them): one company's
    openings for two regions share a description, but a mentee in Chicago can take only the
    first."""
    first, second = (key.rpartition("|")[2] for key in (first_key, second_key))
    return first == second or default_places().overlapping(first, second)


def _named_words(title: frozenset[str], key: str) -> frozenset[str]:
    """The words of a lead key's title (spelt out, noise dropped, its places kept) and the
    towns or sites its location names; without a key, ``title``. What :func:`titles_compatible`
    compares, so that one company's "Backend Engineer" in Berlin and in London (one
    description) are two openings, while "Backend Engineer - Berlin" (Remote), "Backend
    Engineer" in "Berlin, Germany" and "Data Scientist - United States" with no location are
    the same as where they were first seen."""
    if not key:
        return title
    _, written, location = key.split("|")
    places = frozenset(location.split()) - _broad_place_words()
    return _title_words(written.split(), []) | places


@functools.cache
def _broad_place_words() -> frozenset[str]:
    """Words of a location that name no town or site: the regions a job may be limited to,
    the words that make it remote or unlimited, and title noise ("in", "the", "hybrid")."""
    places = default_places()
    regions = (name for names in places.regions.values() for name in names)
    phrases = (*places.remote_words, *places.unlimited_words, *regions)
    named = (word for phrase in phrases for word in phrase.split())
    return frozenset(named) | _TITLE_NOISE | _NO_PLACE


def band_hashes(sig: Signature) -> list[int]:
    """One 63-bit hash per LSH band: postings sharing any band are candidate duplicates."""
    data = sig.tobytes()  # the bands' rows one after another: slices, not an array per band
    step = len(data) // BANDS
    return [
        zlib.crc32(data[band * step : (band + 1) * step]) | (band << 32) for band in range(BANDS)
    ]


def similarity(first: Signature, second: Signature) -> float:
    """Estimated Jaccard similarity of the two descriptions' shingle sets."""
    return float(np.count_nonzero(first == second)) / PERMUTATIONS


def to_bytes(sig: Signature) -> bytes:
    """A signature as bytes, for the store."""
    return sig.astype("<u4").tobytes()


def from_bytes(data: bytes) -> Signature:
    """A signature back from the store."""
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


@dataclass(frozen=True, slots=True)
class Sighting:
    """What the lead check needs to know about one new posting."""

    url: str  # canonical URL, "" when unknown
    key: str  # normalised company|title|location; "" when the company is unknown
    company: str  # company_key
    signature: Signature | None
    title: frozenset[str]  # title_words
    bands: tuple[int, ...]  # LSH band hashes of the description; () when it is too short


def sightings(postings: Sequence[Posting], canonical_urls: Sequence[str]) -> list[Sighting]:
    """Sightings of a batch of postings (descriptions hashed together, which is faster)."""
    texts = [p.description_text for p in postings]
    unique = list(dict.fromkeys(texts))
    found = dict(zip(unique, signatures(unique), strict=True))
    return [
        _sighting(p, url, found[text])
        for p, url, text in zip(postings, canonical_urls, texts, strict=True)
    ]


def _sighting(posting: Posting, url: str, sig: Signature | None) -> Sighting:
    company = company_key(posting.company)
    title, location = words(posting.title), words(posting.location)
    key = "|".join((company, " ".join(title), " ".join(location))) if company else ""
    bands = tuple(band_hashes(sig)) if sig is not None else ()
    return Sighting(url, key, company, sig, _title_words(title, location), bands)


@dataclass(frozen=True, slots=True)
class KnownLead:
    """A lead a sighting may belong to."""

    id: int
    key: str
    company: str
    signature: Signature | None
    title: frozenset[str]
    bands: tuple[int, ...]

    @classmethod
    def stored(cls, id: int, key: str, company: str, signature: Signature | None) -> KnownLead:
        """A lead from the store: its title words come from its key (company|title|location)."""
        _, title, location = ([*key.split("|"), "", ""])[:3]
        bands = tuple(band_hashes(signature)) if signature is not None else ()
        return cls(id, key, company, signature, title_words(title, location), bands)

    @classmethod
    def new(cls, id: int, sighting: Sighting) -> KnownLead:
        """The lead a sighting starts."""
        return cls(
            id, sighting.key, sighting.company, sighting.signature, sighting.title, sighting.bands
        )


@dataclass(slots=True)
class LeadIndex:
    """The leads a batch may join — loaded by the store, grown as the batch adds leads."""

    by_url: dict[str, int] = field(default_factory=dict)
    by_key: dict[str, int] = field(default_factory=dict)
    by_band: dict[int, list[int]] = field(default_factory=dict)
    leads: dict[int, KnownLead] = field(default_factory=dict)

    def add_linked(self, url: str, lead: KnownLead) -> None:
        """Make a stored lead findable by a URL it was seen at (only: its key and bands may be
        older than the repost window)."""
        self.by_url[url] = lead.id
        self.leads.setdefault(lead.id, lead)

    def add(self, lead: KnownLead) -> None:
        """Make a lead findable by its key and description bands."""
        self.leads[lead.id] = lead
        if lead.key:
            self.by_key[lead.key] = lead.id
        for band in lead.bands:
            self.by_band.setdefault(band, []).append(lead.id)

    def find(self, sighting: Sighting) -> int | None:
        """The lead a sighting belongs to (rules 1-3 of this module), or None for a new job."""
        linked = self._by_url(sighting)
        if linked is not None:
            return linked
        if sighting.key and sighting.key in self.by_key:
            return self.by_key[sighting.key]
        return self._by_description(sighting)

    def placed(self, sighting: Sighting) -> bool:
        """True when rule 1 or 2 finds the sighting's lead (its description is not compared);
        leads added later only add URLs and keys, so it stays placed."""
        return self._by_url(sighting) is not None or bool(
            sighting.key and sighting.key in self.by_key
        )

    def _by_url(self, sighting: Sighting) -> int | None:
        """The lead seen at the sighting's URL, unless it is another job: boards link every
        job of a company to its one careers page, which made all of them one lead."""
        lead_id = self.by_url.get(sighting.url) if sighting.url else None
        lead = self.leads.get(lead_id) if lead_id is not None else None
        if lead is not None and not _same_opening(sighting, lead):
            return None
        return lead_id

    def _by_description(self, sighting: Sighting) -> int | None:
        if not sighting.company or sighting.signature is None:
            return None
        candidates = {lead for band in sighting.bands for lead in self.by_band.get(band, ())}
        best, best_score = None, NEAR_DUPLICATE_THRESHOLD
        for lead_id in sorted(candidates):
            lead = self.leads[lead_id]
            if lead.company != sighting.company or lead.signature is None:
                continue
            score = similarity(sighting.signature, lead.signature)
            if score >= best_score and _same_opening(sighting, lead):
                best, best_score = lead_id, score
        return best


def _same_opening(sighting: Sighting, lead: KnownLead) -> bool:
    """Whether a sighting and a lead may be one opening: compatible titles, places and
    regions."""
    return titles_compatible(
        _named_words(sighting.title, sighting.key), _named_words(lead.title, lead.key)
    ) and regions_compatible(sighting.key, lead.key)
