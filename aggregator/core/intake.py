"""What every posting is made to be before it is stored, whichever source it came from.

Sources turn foreign formats into postings; the collect stage then passes each one through
:func:`admitted`, so no source (nor a new one that forgets) can store what the rest of the
program cannot show safely: pay amounts that are not finite or not plausible (a board's
``1e999`` is ``inf``), or bidirectional-text controls in a title, company or location (U+202E
makes a title read backwards, hiding what it says). :func:`prepared` also works out what
storing a posting takes (its keys, its description's MinHash signature), so a worker process
can do it beside the parse and the store's thread only writes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from aggregator.core.identity import canonical_url, content_hash, fingerprint
from aggregator.core.models import Posting, Salary

if TYPE_CHECKING:
    from aggregator.core.dedupe import Sighting

# More than any yearly pay in any currency (a large salary in Vietnamese dong is ~1e10).
MAX_PAY = 1e11
# The Unicode bidi controls: embeddings, overrides, isolates and the invisible marks.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def pay_amount(value: object) -> float | None:
    """``value`` as an amount of pay: a number above 0 and at most MAX_PAY, else None.

    Never raises: ``inf``, ``nan`` and integers too large for a float are None too.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        amount = float(value)
    except OverflowError:
        return None
    return amount if 0 < amount <= MAX_PAY else None  # nan fails both comparisons


def plausible_salary(salary: Salary | None) -> Salary | None:
    """``salary`` without amounts that cannot be pay; None when nothing is left."""
    if salary is None:
        return None
    low, high = pay_amount(salary.minimum), pay_amount(salary.maximum)
    if (low, high) == (salary.minimum, salary.maximum):
        return salary
    if low is None and high is None and not salary.text:
        return None
    return replace(salary, minimum=low, maximum=high)


def without_bidi(text: str) -> str:
    """``text`` without bidirectional-text controls."""
    return BIDI_CONTROLS.sub("", text)


# A bracket's padding, as in "Site Reliability Engineer ( SaaS / Remote )".
_PADDED_BRACKET = re.compile(r"(?<=[(\[])\s+|(?<!\s)\s+(?=[)\]])")  # linear on any run
_APOSTROPHE = re.compile("['\u2019]")


def _employer_ending(company: str) -> re.Pattern[str]:
    """How a title may end by naming ``company``: "… Developer at Jack's Flight Club",
    "… | Acme", in any case and with either apostrophe. The name is matched as written, not
    as any text, and a run of spaces is tried from its first only: no title, however long or
    hostile, makes the search slower than linear."""
    name = r"\s+".join(_APOSTROPHE.sub("['\u2019]", re.escape(word)) for word in company.split())
    return re.compile(rf"(?<!\s)\s+(?:at|@|[-\u2013\u2014|])\s+{name}\s*$", re.IGNORECASE)


# A title in capitals put in title case: a word of three letters or fewer is most often an
# acronym (SRE, SQL, CFO, SDR, QA), so it stays as it is unless it is one of these words;
# a longer one is a word unless it is one of these acronyms.
_SHORT_WORDS = frozenset({
    "A", "ALL", "AN", "AND", "APP", "ART", "AT", "BIG", "DAY", "DEV", "END", "FOR", "HUB", "IN",
    "KEY", "LAB", "LAW", "NEW", "OF", "ON", "ONE", "OPS", "OR", "OUR", "PRO", "TAX", "THE", "TO",
    "TOP", "WEB",
})
_MINOR_WORDS = frozenset({"A", "AN", "AND", "AT", "FOR", "IN", "OF", "ON", "OR", "THE", "TO"})
_LONG_ACRONYMS = {"APAC": "APAC", "DEVOPS": "DevOps", "EMEA": "EMEA", "HRIS": "HRIS",
                  "LATAM": "LATAM", "SAAS": "SaaS", "SDET": "SDET"}
_WORD_IN_CAPITALS = re.compile(r"[A-Z][A-Z'\u2019]*")


def _title_case_word(match: re.Match[str]) -> str:
    word = match.group()
    if len(word) <= 3 and word not in _SHORT_WORDS:
        return word
    if word in _LONG_ACRONYMS:
        return _LONG_ACRONYMS[word]
    if word in _MINOR_WORDS and match.start() > 0:
        return word.lower()
    return word[0] + word[1:].lower()


def _shouted(title: str) -> bool:
    """Whether ``title`` is written all in capitals (two words of letters at least)."""
    letters = [ch for ch in title if ch.isalpha()]
    return len(_WORD_IN_CAPITALS.findall(title)) >= 2 and all(ch.isupper() for ch in letters)


def tidy_title(title: str, company: str) -> str:
    """``title`` as a reader expects it: no bracket padding, in title case when it is all in
    capitals ("PYTHON SOFTWARE DEVELOPER"; acronyms such as QA or SRE stay), and without a
    closing "at <company>" that the company beside it says again (a digest showed "Python &
    JavaScript Full Stack Developer at Jack's Flight Club — Jack's Flight Club")."""
    title = _PADDED_BRACKET.sub("", title)
    if _shouted(title):
        title = _WORD_IN_CAPITALS.sub(_title_case_word, title)
    if not company.strip() or not _folded(title).endswith(_folded(company)):
        return title  # most titles: no pattern for their company is compiled
    ending = _employer_ending(company).search(title)
    return title[: ending.start()] if ending is not None and ending.start() > 0 else title


def _folded(text: str) -> str:
    """``text`` compared as :func:`_employer_ending` matches it: any case and apostrophe, any
    run of spaces."""
    return " ".join(_APOSTROPHE.sub("'", text).casefold().split())


def admitted(posting: Posting) -> Posting:
    """``posting`` as it may be stored: plausible pay, no bidi controls in what is shown, its
    title tidied (:func:`tidy_title`)."""
    company = without_bidi(posting.company)
    title = tidy_title(without_bidi(posting.title), company)
    location, salary = without_bidi(posting.location), plausible_salary(posting.salary)
    if (title, company, location) == (posting.title, posting.company, posting.location) and (
        salary is posting.salary
    ):
        return posting
    return replace(posting, title=title, company=company, location=location, salary=salary)


@dataclass(frozen=True, slots=True)
class Prepared:
    """An admitted posting with what storing it takes: its keys and its dedupe sighting."""

    posting: Posting
    fingerprint: str  # aggregator.core.identity.fingerprint
    content_hash: str  # aggregator.core.identity.content_hash
    sighting: Sighting  # its url is the posting's canonical URL ("" without a URL)


def prepared(postings: Sequence[Posting]) -> list[Prepared]:
    """``postings`` admitted and prepared for the store (descriptions hashed together)."""
    from aggregator.core import dedupe  # numpy: not imported by a run where all feeds are 304

    ready = [admitted(posting) for posting in postings]
    urls = [canonical_url(posting.url) if posting.url else "" for posting in ready]
    return [
        Prepared(posting, fingerprint(posting), content_hash(posting), sighting)
        for posting, sighting in zip(ready, dedupe.sightings(ready, urls), strict=True)
    ]
