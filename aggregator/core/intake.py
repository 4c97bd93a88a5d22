"""What every posting is made to be before it is stored, whichever source it came from.

Sources turn foreign formats into postings; the collect stage then keeps only the
:func:`storable` ones (a title and a web link each; a date in the future is no date) and
passes each through :func:`admitted`, so no source (nor a new one that forgets) can store
what the rest of the program cannot show safely: pay amounts that are not finite or not
plausible (a board's ``1e999`` is ``inf``), bidirectional-text controls in a title, company
or location (U+202E makes a title read backwards, hiding what it says), or control
characters in a link. A posting closes by the deadline its text states ("Closing date:
Friday 4 November, 2022"; :mod:`aggregator.core.closing`) unless its source gave an earlier
one, so a job whose applications closed is no new lead. :func:`prepared` also works out
what storing a posting takes (its keys, its description's MinHash signature), so a worker
process can do it beside the parse and the store's thread only writes; postings of one
batch that share a key but say different things get keys of their own there, so none is
lost.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from aggregator.core.closing import stated_closing
from aggregator.core.identity import canonical_url, content_hash, fingerprint
from aggregator.core.models import Event, Posting, Salary
from aggregator.core.places import default_places
from aggregator.core.printable import strip_controls

if TYPE_CHECKING:
    from aggregator.core.dedupe import Sighting

# More than any yearly pay in any currency (a large salary in Vietnamese dong is ~1e10).
MAX_PAY = 1e11
# The Unicode bidi controls: embeddings, overrides, isolates and the invisible marks.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Why :func:`storable` leaves an item out, as the run report says it: "3 items without title
# or link skipped".
SKIPPED_WHY = "without title or link"
# A posting dated more than this after it was fetched cannot be dated right: a feed's year
# 9999 would list it first and keep it new for ever. Its date is then unknown, so it ages
# from when it was first seen. A day covers clocks and time zones.
FUTURE_SLACK = timedelta(days=1)
# A closing date a source gives is believed within this window around the fetch: a board's
# "9999-12-31" is no deadline (and no time zone can show it), nor is "0001-01-01". Outside
# it the date is unknown and the job open, as when no date is given.
CLOSING_WINDOW = (timedelta(days=3653), timedelta(days=366))  # before, after the fetch
_WEB_SCHEMES = frozenset({"http", "https"})


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


def storable(postings: Sequence[Posting], fetched_at: datetime) -> tuple[list[Posting], int]:
    """The postings that can be leads, a title and a web link each (an item with neither a
    job's name nor a way to read it is no lead; a ``javascript:`` link is no way), with any
    date more than FUTURE_SLACK after ``fetched_at``, and any closing date outside
    CLOSING_WINDOW, left unknown; and how many could not."""
    kept = [dated_as_of(posting, fetched_at) for posting in postings if _is_lead(posting)]
    return kept, len(postings) - len(kept)


def _is_lead(posting: Posting) -> bool:
    web = urlsplit(_clean_link(posting.url)).scheme.lower() in _WEB_SCHEMES
    return web and bool(strip_controls(posting.title).strip())


def _clean_link(url: str) -> str:
    """A link without control characters or surrounding spaces."""
    return strip_controls(url).strip()


def dated_as_of(posting: Posting, fetched_at: datetime) -> Posting:
    """``posting`` with the dates it cannot mean as of ``fetched_at`` left unknown: a posting
    date more than FUTURE_SLACK later, a closing date outside CLOSING_WINDOW."""
    posted, closes = posting.posted_at, posting.closes_at
    if posted is not None and posted > fetched_at + FUTURE_SLACK:
        posting = replace(posting, posted_at=None)
    before, after = CLOSING_WINDOW
    if closes is not None and not fetched_at - before <= closes <= fetched_at + after:
        posting = replace(posting, closes_at=None)
    return posting


def admitted_event(event: Event) -> Event:
    """``event`` as it may be stored: no bidi controls in what is shown of it (a title
    reading backwards spoofs it, in the page and the Forward email alike), no control
    characters in its link."""
    return replace(
        event,
        title=without_bidi(event.title),
        venue=without_bidi(event.venue),
        city=without_bidi(event.city),
        organiser=without_bidi(event.organiser),
        description=without_bidi(event.description),
        url=_clean_link(event.url),
    )


def admitted(posting: Posting) -> Posting:
    """``posting`` as it may be stored: plausible pay, no bidi controls in what is shown, no
    control characters in its link, its title tidied (:func:`tidy_title`), closing when its
    text says (:func:`earliest_closing`)."""
    company = without_bidi(posting.company)
    title = tidy_title(without_bidi(posting.title), company)
    location = without_bidi(posting.location) or stated_location(posting)
    salary = plausible_salary(posting.salary)
    url, closes_at = _clean_link(posting.url), earliest_closing(posting)
    if (title, company, location, url, closes_at) == (
        posting.title, posting.company, posting.location, posting.url, posting.closes_at
    ) and salary is posting.salary:
        return posting
    return replace(posting, title=title, company=company, location=location, salary=salary,
                   url=url, closes_at=closes_at)


def stated_location(posting: Posting) -> str:
    """Where a posting without a location says the job is: its title's "… in Lisbon", else
    its link's "…-in-lisbon-pt" (one board's items give no location but these). Without it
    the location filter let every such job through to every mentee, Lisbon's to New York."""
    places, remote = default_places(), posting.remote
    slug = unquote(urlsplit(posting.url).path.rstrip("/").rpartition("/")[2])
    return (
        places.stated_place(posting.title, remote=remote)
        or places.stated_place(slug, remote=remote, slug=True)
        or ""
    )


def earliest_closing(posting: Posting) -> datetime | None:
    """When applications to ``posting`` close: the earlier of its source's date and the
    deadline its title or description states. The employer's deadline ends the applications,
    the board's expiry its listing; whichever comes first closes the job."""
    text = f"{posting.title}\n{posting.description_text}"
    stated = stated_closing(text, posting.posted_at)
    return min((date for date in (posting.closes_at, stated) if date is not None), default=None)


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

    keyed = _distinct([admitted(posting) for posting in postings])
    ready = [posting for posting, _, _ in keyed]
    urls = [canonical_url(posting.url) if posting.url else "" for posting in ready]
    return [
        Prepared(posting, key, digest, sighting)
        for (posting, key, digest), sighting in zip(keyed, dedupe.sightings(ready, urls),
                                                    strict=True)
    ]


Keyed = tuple[Posting, str, str]  # a posting, its fingerprint and its content hash


def _keyed(posting: Posting) -> Keyed:
    return posting, fingerprint(posting), content_hash(posting)


def _distinct(postings: Sequence[Posting]) -> list[Keyed]:
    """Each posting with its keys; postings that share a fingerprint but say different
    things (a feed giving every item one guid, items without a guid giving one link) each
    get an id of their own (:func:`_own_id`): stored under one key, all but the last would
    be lost. The same job said twice (same name, employer, place and link) stays one."""
    keyed = [_keyed(posting) for posting in postings]
    said: defaultdict[str, set[str]] = defaultdict(set)
    for _, key, digest in keyed:
        said[key].add(digest)
    return [_keyed(replace(posting, external_id=_own_id(posting))) if len(said[key]) > 1
            else (posting, key, digest) for posting, key, digest in keyed]


def _own_id(posting: Posting) -> str:
    """The posting's id, told apart from others sharing it by what names the job."""
    named = "\x1f".join((posting.title, posting.company, posting.location, posting.url))
    digest = hashlib.sha256(named.encode()).hexdigest()[:12]
    return f"{posting.external_id}#{digest}" if posting.external_id else digest
