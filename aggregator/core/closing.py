"""The closing date a posting's text states: "Closing date: Friday 4 November, 2022".

A wrong date hides a real job, so only a date right after an application-deadline cue counts
("Applications close", "This position will remain open until"), and only one that can be read
one way: a month named in words, or a numeric date whose day is over 12 ("11/25/2022"), each
with its year. "04/11/2022" is 4 November in London and 11 April in New York; it is read only
when both days passed before the job was posted: the ad is a stale copy whichever it means.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

# Every cue holds one of these, spaced as written here once no-break spaces are spaces (pages
# write "apply&nbsp;by"). Most postings hold none and never reach a regular expression.
_HINTS = (
    "clos", "deadline", "apply b", "apply no", "received b", "submitted b", "open until",
    "applications until",
)  # fmt: skip
# What a posting calls itself when it says when it closes: "The role closes on …".
_POSTING = r"(?:role|position|job|posting|vacancy|advert|listing)"
# "Open until": its date must follow at once ("until Friday, 28 October 2022"), as what else
# follows is no deadline: "until filled, starting 4 November", "until we find the right person,
# start date …", an office's "open until 5pm …; closed on 25/12". See stated_closing.
_UNTIL = r"until\b(?:\s+(?:on|the))?(?:\s+(?:mon|tues|wednes|thurs|fri|satur|sun)day,?)?"
# Each cue starts where a word does; after a digit too, for text whose markup was dropped
# without a space ("Date PostedJuly 18, 2018Closing DateAugust 1, 2018"). "Open until" needs
# its subject ("the position will remain open until"), or to open a line: a survey or an office
# is open until a date too.
_CUE = re.compile(
    rf"""
    (?<![a-z])(?:
      closing\s+date
    | applications?\s+deadline
    | deadline\s+(?:for|to)\s+(?:applications?|applying|apply|submissions?)\b
    | applications?\s+(?:will\s+)?close[sd]?\b
    | apply\s+(?:by|before|no\s+later\s+than)\b
    | applications?\s+must\s+be\s+(?:received|submitted)\s+(?:by|before)\b
    | {_POSTING}\s+(?:will\s+)?closes?\b
    | (?:{_POSTING}|applications?)\s+(?:(?:will\s+(?:remain|stay|be)|remains|stays|is|are)\s+)?
        open\s+{_UNTIL}
    | (?<!not\s)(?<!not\sbe\s)(?<!n't\sbe\s)accept(?:s|ing)?\s+applications\s+{_UNTIL}
    )
    | ^[^\w\n]*(?:deadline(?:\s*:|\s+is\b)|clos(?:es|ing)\s*:|open\s+{_UNTIL})  # "Deadline: …"
    """,
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?\b"
_YEAR = r"(?:19|20)\d\d"
# Each order names its groups <order>_day, <order>_month, <order>_year (see _days); an
# all-numeric date is <numeric>, read apart (see _numeric_days).
_DATE = re.compile(
    rf"""
    \b(?P<dmy_day>[0-3]?\d){_ORDINAL}(?:\s+(?:of\s+)?|-)(?P<dmy_month>{_MONTH})
        (?:,?\s+|-)(?P<dmy_year>{_YEAR})(?!\d)                 # 4th November, 2022
    | \b(?P<mdy_month>{_MONTH}),?\s+(?P<mdy_day>[0-3]?\d){_ORDINAL},?\s+(?P<mdy_year>{_YEAR})(?!\d)
                                                           # Nov 4th 2022, October, 28, 2022
    | \b(?P<iso_year>{_YEAR})-(?P<iso_month>[01]\d)-(?P<iso_day>[0-3]\d)\b  # 2022-11-04
    | (?P<numeric>\d{{1,4}}(?P<separator>[/.-])\d{{1,2}}(?P=separator)\d{{2,4}})  # 04/11/2022
    """,
    re.IGNORECASE | re.VERBOSE,
)
# The numeric dates that can be read: day and month in either order, then a four-digit year
# ("04/11/22" and "2022/11/04" are not).
_DAY_MONTH_YEAR = re.compile(rf"(\d{{1,2}})[/.-](\d{{1,2}})[/.-]({_YEAR})")
# Between a cue and its date: "Apply by emailing us. Our office opened on …" is two sentences.
_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]|[!?]")
# How many characters after its cue a date may start: "apply by 5:00 P.M. on July 25, 2018"
# is in reach, a date in the next paragraph is not.
CUE_REACH = 40
_LONGEST_DATE = 30  # "30th of September, 2022"
_MONTHS = {name: n for n, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# A date more than a year after the posting is unlikely to be its deadline: the job is shown
# rather than hidden. One before the posting date is believed: boards re-date a listing when
# it is renewed or copied, and an ad whose text says its applications closed has closed (a
# year mistyped in January would hide a job; a stale ad shown as new costs the mentor's trust).
AFTER_POSTING = timedelta(days=366)


def stated_closing(text: str, posted_at: datetime | None) -> datetime | None:
    """The application deadline ``text`` states, or None: the end of that day in UTC (the text
    rarely names a zone, and a job shown a few hours too long does less harm than one hidden).

    The first cue with a date in reach (CUE_REACH) in its sentence decides; a cue with an
    all-numeric date in reach ends the search, read or not. With ``posted_at``, a date too
    late for it (AFTER_POSTING) is None; without it, a date read two ways is None.
    """
    if not _hinted(text):
        return None
    for cue_end, at_once in _cue_ends(text):
        window = text[cue_end : cue_end + CUE_REACH + _LONGEST_DATE]
        date = _DATE.search(window)
        if date is None or date.start() > CUE_REACH or (at_once and window[: date.start()].strip()):
            continue
        if not _crosses_sentence(window[: date.start()]):
            return _closing(_days(date), posted_at)
        if date["numeric"] is not None:
            return None
    return None


def _hinted(text: str) -> bool:
    folded = text.lower().replace("\xa0", " ")
    return any(hint in folded for hint in _HINTS)


def _cue_ends(text: str) -> Iterator[tuple[int, bool]]:
    """Where each cue in ``text`` ends, in order, and whether its date must follow at once
    ("open until"). Only the lines that hold a hint are searched: a regular expression
    reads a posting ten times slower than ``in`` does."""
    line_start = 0
    for line in text.split("\n"):
        if _hinted(line):
            for cue in _CUE.finditer(line):
                yield line_start + cue.end(), "until" in cue.group().lower()
        line_start += len(line) + 1


def _crosses_sentence(gap: str) -> bool:
    """Whether ``gap`` ends the cue's sentence or line; a label alone on its line ("Closing
    date:" above the date) does not."""
    if "\n" in gap and any(ch.isalnum() for ch in gap):
        return True
    return _SENTENCE_BREAK.search(gap) is not None


def _days(date: re.Match[str]) -> set[datetime]:
    """The end of each day ``date`` can name (see _end_of_day): one for a month in words or a
    date written year first; none for a day that does not exist (31 February)."""
    if date["numeric"] is not None:
        return _numeric_days(date["numeric"])
    found = {name.split("_")[1]: value for name, value in date.groupdict().items() if value}
    month = found["month"]
    number = int(month) if month.isdigit() else _MONTHS[month[:3].lower()]
    return _existing({_end_of_day(int(found["year"]), number, int(found["day"]))})


def _numeric_days(numeric: str) -> set[datetime]:
    """The days "04/11/2022" can name: 4 November and 11 April; one for "25/11/2022" or
    "11/25/2022" (no month 25) or "4/4/2022"; none for "04/11/22" (which century?)."""
    numbers = _DAY_MONTH_YEAR.fullmatch(numeric)
    if numbers is None:
        return set()
    first, second, year = (int(number) for number in numbers.groups())
    return _existing({_end_of_day(year, first, second), _end_of_day(year, second, first)})


def _existing(days: set[datetime | None]) -> set[datetime]:
    return {day for day in days if day is not None}


def _end_of_day(year: int, month: int, day: int) -> datetime | None:
    """The last second of that day in UTC; None for a day that does not exist."""
    try:
        return datetime(year, month, day, 23, 59, 59, tzinfo=UTC)
    except ValueError:
        return None


def _closing(days: set[datetime], posted_at: datetime | None) -> datetime | None:
    """When a job whose text states its deadline as one of ``days`` closed: the one day, if
    plausible for ``posted_at``; of two, the later, once both passed before the job was
    posted (either way it had closed); else None: a job is shown rather than hidden."""
    if len(days) == 1:
        return _plausible(max(days), posted_at)
    if len(days) == 2 and posted_at is not None and max(days) < posted_at:
        return max(days)
    return None


def _plausible(closes_at: datetime, posted_at: datetime | None) -> datetime | None:
    """``closes_at`` if it can close a job posted at ``posted_at`` (when known), else None."""
    if posted_at is None:
        return closes_at
    return closes_at if closes_at <= posted_at + AFTER_POSTING else None
