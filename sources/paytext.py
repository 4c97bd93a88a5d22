"""Reading pay ranges out of free text: "$170-225K + equity", "€60-100k", "up to $19/hour".

Job boards (Remotive's ``salary`` string) and HN posts state pay in prose. The first amount or
range that is clearly money (a currency mark, a ``k`` suffix or a thousands separator) wins;
percentages ("0.5% equity"), funding ("$50M Series B") and years of experience are not money.
"""

from __future__ import annotations

import re

from aggregator.core.models import Salary
from sources.values import salary

# Longest marks first, so "C$" is not read as "$".
_CURRENCY_MARKS = {
    "CA$": "CAD", "C$": "CAD", "A$": "AUD", "AU$": "AUD", "NZ$": "NZD", "R$": "BRL",
    "US$": "USD", "S$": "SGD", "HK$": "HKD", "$": "USD", "€": "EUR", "£": "GBP", "₹": "INR",
    "¥": "JPY", "CHF": "CHF", "USD": "USD", "EUR": "EUR", "GBP": "GBP", "CAD": "CAD",
    "AUD": "AUD", "INR": "INR", "SEK": "SEK", "NOK": "NOK", "DKK": "DKK", "PLN": "PLN",
    "BRL": "BRL", "SGD": "SGD", "JPY": "JPY",
}  # fmt: skip
_MARK = "|".join(re.escape(mark) for mark in sorted(_CURRENCY_MARKS, key=len, reverse=True))
# 178,500 | 31,2 | 120.5 | 150
_NUMBER = r"\d{1,3}(?:[,.]\d{3})+(?![\d])|\d+(?:[.,]\d{1,2})?"
_AMOUNT = (
    rf"(?P<@mark>{_MARK})?\s?(?P<@num>{_NUMBER})\s?(?P<@k>[kK])?"
    rf"(?:\s?(?P<@code>{_MARK})(?![A-Za-z]))?"
)
_RANGE = re.compile(
    r"(?<![\w.,%+-])"
    + _AMOUNT.replace("@", "lo_")
    + r"(?:\s*(?:-|\u2013|—|to)\s*"
    + _AMOUNT.replace("@", "hi_")
    + r")?(?P<plus>\+)?(?![\w%]|[.,]\d)",
)
_PERIOD_AFTER = re.compile(
    r"^\s*(?:[A-Z]{3}\s*)?(?:/\s*|per\s+|an?\s+|p/?)"
    r"(hour|hr|h|year|yr|annum|a|month|mo|week|wk|day)\b",
    re.IGNORECASE,
)
_PERIOD_WORDS = {
    "hour": "hour", "hr": "hour", "h": "hour", "year": "year", "yr": "year", "annum": "year",
    "a": "year", "month": "month", "mo": "month", "week": "week", "wk": "week", "day": "day",
}  # fmt: skip
_UP_TO = re.compile(r"\bup\s+to\s*$", re.IGNORECASE)
# Whole-year pay is at least this much; smaller amounts without a period are left periodless.
_YEARLY_FROM = 20_000


def parse_pay(text: str | None) -> Salary | None:
    """The first pay amount or range stated in ``text``, with the wording kept; None if none."""
    if not text or not any(ch.isdigit() for ch in text):
        return None
    for match in _RANGE.finditer(text):
        found = _salary_from(match, text)
        if found is not None:
            return found
    return None


def stated_pay(text: str | None) -> Salary | None:
    """The pay in a board's salary field: a parsed amount, else just its wording."""
    wording = " ".join((text or "").split())
    return parse_pay(wording) or salary(text=wording)


def _salary_from(match: re.Match[str], text: str) -> Salary | None:
    groups = match.groupdict()
    low = _value(groups["lo_num"], groups["lo_k"] or (groups["hi_k"] if groups["hi_num"] else None))
    high = _value(groups["hi_num"], groups["hi_k"]) if groups["hi_num"] else None
    marks = [groups[key] for key in ("lo_mark", "lo_code", "hi_mark", "hi_code") if groups[key]]
    has_k = bool(groups["lo_k"] or groups["hi_k"])
    separated = bool(re.search(r"\d[,.]\d{3}", match.group(0)))
    if low is None or not (marks or has_k or separated):
        return None
    if high is not None and high < low and high * 1000 >= low:
        high *= 1000  # "$150k-200": the k is meant for both
    if _UP_TO.search(text[: match.start()]) and high is None:
        low, high = None, low
    period = _period(text[match.end() : match.end() + 24])
    top = high or low or 0
    if period is None and top >= _YEARLY_FROM:
        period = "year"
    currency = _CURRENCY_MARKS[marks[0]] if marks else None
    return salary(low, high, currency, period, text=" ".join(text.split()))


def _value(number: str | None, thousands: str | None) -> float | None:
    if not number:
        return None
    if re.fullmatch(r"\d{1,3}(?:[,.]\d{3})+", number):
        value = float(re.sub(r"[,.]", "", number))
    else:
        value = float(number.replace(",", "."))
    return value * 1000 if thousands else value


def _period(after: str) -> str | None:
    found = _PERIOD_AFTER.match(after)
    return _PERIOD_WORDS[found.group(1).lower()] if found else None
