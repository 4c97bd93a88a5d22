"""The closing date a posting's text states: "Closing date: Friday 4 November, 2022".

A wrong date hides a real job, so only a date right after an application-deadline cue counts,
and only one that names its month in words and gives its year: "04/11/2022" is 4 November
in London and 11 April in New York.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

# Every cue holds one of these, spaced as written here once no-break spaces are spaces (pages
# write "apply&nbsp;by"). Most postings hold none and never reach a regular expression.
_HINTS = ("clos", "deadline", "apply b", "apply no", "received b", "submitted b")
# Each cue starts where a word does; after a digit too, for text whose markup was dropped
# without a space ("Date PostedJuly 18, 2018Closing DateAugust 1, 2018").
_CUE = re.compile(
    r"""
    (?<![a-z])(?:
      closing\s+date
    | applications?\s+deadline
    | deadline\s+(?:for|to)\s+(?:applications?|applying|apply|submissions?)\b
    | applications?\s+(?:will\s+)?close[sd]?\b
    | apply\s+(?:by|before|no\s+later\s+than)\b
    | applications?\s+must\s+be\s+(?:received|submitted)\s+(?:by|before)\b
    | (?:role|position|job|posting|vacancy|advert|listing)\s+(?:will\s+)?closes?\b
    )
    | ^[^\w\n]*(?:deadline(?:\s*:|\s+is\b)|clos(?:es|ing)\s*:)  # "Deadline: …" as a line
    """,
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?\b"
_YEAR = r"(?:19|20)\d\d"
# Each order names its groups <order>_day, <order>_month, <order>_year (see _end_of_day).
_DATE = re.compile(
    rf"""
    \b(?P<dmy_day>[0-3]?\d){_ORDINAL}(?:\s+(?:of\s+)?|-)(?P<dmy_month>{_MONTH})
        (?:,?\s+|-)(?P<dmy_year>{_YEAR})(?!\d)                 # 4th November, 2022
    | \b(?P<mdy_month>{_MONTH})\s+(?P<mdy_day>[0-3]?\d){_ORDINAL},?\s+(?P<mdy_year>{_YEAR})(?!\d)
                                                           # Nov 4th 2022
    | \b(?P<iso_year>{_YEAR})-(?P<iso_month>[01]\d)-(?P<iso_day>[0-3]\d)\b  # 2022-11-04
    """,
    re.IGNORECASE | re.VERBOSE,
)
# 04/11/2022, 11.4.2022: the deadline is stated, but in an order no one can tell.
_NUMERIC_DATE = re.compile(r"\d{1,4}([/.-])\d{1,2}\1\d{2,4}")
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
    all-numeric date in reach ends the search: the deadline is stated, but not readably. With
    ``posted_at``, a date too late for it (AFTER_POSTING) is None.
    """
    if not _hinted(text):
        return None
    for cue_end in _cue_ends(text):
        window = text[cue_end : cue_end + CUE_REACH + _LONGEST_DATE]
        date = _DATE.search(window)
        gap = window[: min(date.start(), CUE_REACH) if date is not None else CUE_REACH]
        if _NUMERIC_DATE.search(gap):
            return None
        if date is not None and date.start() <= CUE_REACH and not _crosses_sentence(gap):
            return _plausible(_end_of_day(date), posted_at)
    return None


def _hinted(text: str) -> bool:
    folded = text.lower().replace("\xa0", " ")
    return any(hint in folded for hint in _HINTS)


def _cue_ends(text: str) -> Iterator[int]:
    """Where each cue in ``text`` ends, in order. Only the lines that hold a hint are searched:
    a regular expression reads a posting ten times slower than ``in`` does."""
    line_start = 0
    for line in text.split("\n"):
        if _hinted(line):
            for cue in _CUE.finditer(line):
                yield line_start + cue.end()
        line_start += len(line) + 1


def _crosses_sentence(gap: str) -> bool:
    """Whether ``gap`` ends the cue's sentence or line; a label alone on its line ("Closing
    date:" above the date) does not."""
    if "\n" in gap and any(ch.isalnum() for ch in gap):
        return True
    return _SENTENCE_BREAK.search(gap) is not None


def _end_of_day(date: re.Match[str]) -> datetime | None:
    """The last second of the day ``date`` names, in UTC; None for a day that does not exist
    (31 February)."""
    found = {name.split("_")[1]: value for name, value in date.groupdict().items() if value}
    month = found["month"]
    number = int(month) if month.isdigit() else _MONTHS[month[:3].lower()]
    try:
        return datetime(int(found["year"]), number, int(found["day"]), 23, 59, 59, tzinfo=UTC)
    except ValueError:
        return None


def _plausible(closes_at: datetime | None, posted_at: datetime | None) -> datetime | None:
    """``closes_at`` if it can close a job posted at ``posted_at`` (when known), else None."""
    if closes_at is None or posted_at is None:
        return closes_at
    return closes_at if closes_at <= posted_at + AFTER_POSTING else None
