"""Recognising the same job across sources: lead keys and description near-duplicates.

A *lead* is one job, however many places post it. A new posting joins an existing lead when

1. its canonical URL (tracking parameters stripped) was seen before, or
2. its lead key — normalised company + title + location — matches a lead seen within the repost
   window, or
3. it is from the same company and its description is a near-duplicate of the lead's
   (estimated Jaccard similarity of word 3-shingles ≥ ``NEAR_DUPLICATE_THRESHOLD``, found with
   MinHash + LSH banding so the check costs a few index lookups, not a scan).

Rules 2 and 3 only look back ``repost window`` days (default 30): a job reposted under a new id
within the window is the same lead (mentees who saw it are not told again), while the same title
posted months later is a new opening. Everything here is pure; the store does the lookups.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from aggregator.models import Posting

# 0.7 keeps re-titled and lightly edited copies together (a 5% word edit leaves J ≈ 0.75) while
# two different openings at one company, which share boilerplate, stay apart (measured in
# benchmarks/dedupe.py: precision and recall on 100,000 postings).
NEAR_DUPLICATE_THRESHOLD = 0.7
SHINGLE_WORDS = 3
MIN_SHINGLES = 8  # shorter descriptions say too little to compare
PERMUTATIONS = 64
BANDS = 16  # 16 bands of 4 rows: a pair at J = 0.7 shares a band with probability 0.99
ROWS_PER_BAND = PERMUTATIONS // BANDS
DEFAULT_REPOST_WINDOW_DAYS = 30

_PRIME = (1 << 61) - 1
_RANDOM = np.random.default_rng(20261125)  # fixed: signatures must be stable across runs
_A = _RANDOM.integers(1, _PRIME, size=PERMUTATIONS, dtype=np.uint64)
_B = _RANDOM.integers(0, _PRIME, size=PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"[a-z0-9]+(?:[+#.][a-z0-9+#]+)*")
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

Signature = npt.NDArray[np.uint64]


def normalise(text: str) -> str:
    """Lowercase ASCII words separated by single spaces."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(_WORD.findall(ascii_text))


def company_key(company: str) -> str:
    """'Acme, Inc.' and 'ACME' give the same key; legal-form suffixes are dropped."""
    words = normalise(company).replace(".", " ").split()
    while len(words) > 1 and words[-1] in _LEGAL_FORM_WORDS:
        words.pop()
    return " ".join(words)


def lead_key(posting: Posting) -> str:
    """Normalised company + title + location; empty when the company is unknown."""
    company = company_key(posting.company)
    if not company:
        return ""
    return "|".join((company, normalise(posting.title), normalise(posting.location)))


@lru_cache(maxsize=200_000)
def _word_hash(word: str) -> int:
    return zlib.crc32(word.encode())


def signature(text: str) -> Signature | None:
    """The MinHash signature of a description, or None when it is too short to compare."""
    words = normalise(text).split()
    if len(words) < SHINGLE_WORDS + MIN_SHINGLES - 1:
        return None
    hashes = np.fromiter((_word_hash(w) for w in words), dtype=np.uint64, count=len(words))
    shingles = hashes[:-2] * np.uint64(1_000_003) ** 2 + hashes[1:-1] * np.uint64(1_000_003)
    shingles = np.unique((shingles + hashes[2:]) & np.uint64(0xFFFFFFFF))
    # (a·x + b) mod p per permutation and shingle; a is cut to 32 bits so a·x fits in 64 bits
    # (any wrap-around of + b is deterministic, which is all a hash needs).
    mixed = (_A[:, None] >> np.uint64(29)) * shingles[None, :] + _B[:, None]
    return (mixed % np.uint64(_PRIME)).min(axis=1)


def band_hashes(sig: Signature) -> list[int]:
    """One 63-bit hash per LSH band: postings sharing any band are candidate duplicates."""
    rows = sig.reshape(BANDS, ROWS_PER_BAND)
    return [zlib.crc32(rows[band].tobytes()) | (band << 32) for band in range(BANDS)]


def similarity(first: Signature, second: Signature) -> float:
    """Estimated Jaccard similarity of the two descriptions' shingle sets."""
    return float(np.count_nonzero(first == second)) / PERMUTATIONS


def to_bytes(sig: Signature) -> bytes:
    """A signature as bytes, for the store."""
    return sig.astype("<u8").tobytes()


def from_bytes(data: bytes) -> Signature:
    """A signature back from the store."""
    return np.frombuffer(data, dtype="<u8").astype(np.uint64)
