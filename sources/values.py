"""Parsing the loose values job boards send: text, dates in many shapes, pay ranges, mojibake."""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime
from typing import Any

from aggregator.core.intake import pay_amount
from aggregator.core.models import Salary

# Epoch numbers above this are milliseconds (this is Sat 20 Nov 2286 in seconds).
_EPOCH_MILLIS_FROM = 10_000_000_000
# An ISO 8601 calendar date with no time, as schema.org's validThrough allows, maybe with a
# zone as XML Schema's xs:date has it ("2026-07-10+02:00", "2026-07-10Z").
_BARE_DATE = re.compile(r"(?P<day>\d{4}-\d{2}-\d{2})(?P<zone>Z|[+-]\d{2}:?\d{2})?")


def parse_date(value: Any) -> datetime | None:
    """A UTC datetime from epoch seconds/milliseconds or an ISO 8601 string; None if unknown.

    Never raises: a date datetime cannot hold (year 9999 in a time zone west of UTC, an epoch
    number of 400 digits) is unknown too, so one bad field never loses the posting or source.
    """
    try:
        return _date(value)
    except (OverflowError, ValueError, OSError):
        return None


def closing_date(value: Any) -> datetime | None:
    """When applications close, in UTC, from what ``parse_date`` reads (epoch seconds, ISO
    8601, RFC 822); None if unreadable.

    A bare date ("2026-07-10") closes at the end of that day, not its start: applications
    are open all of the last day a board names (in the zone it names, else in UTC).
    """
    bare = _BARE_DATE.fullmatch(value.strip()) if isinstance(value, str) else None
    if bare is not None:
        return parse_date(f"{bare['day']}T23:59:59{bare['zone'] or ''}")
    return parse_date(value)


def _date(value: Any) -> datetime | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > _EPOCH_MILLIS_FROM else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    text = str(value).strip()
    if text.isdigit():
        return _date(int(text))
    text = text.removesuffix(" UTC").replace("Z", "+00:00")  # Recruitee: "2026-07-17 11:00:39 UTC"
    bare = _BARE_DATE.fullmatch(text)
    if bare is not None and bare["zone"]:  # Python reads "2026-07-10+02:00" as 02:00 that day
        text = f"{bare['day']}T00:00:00{bare['zone']}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)  # RFC 2822, as in RSS
        except (TypeError, ValueError):
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def repair_text(text: str | None) -> str:
    """Undo mojibake (UTF-8 read as Latin-1/cp1252, sometimes twice), leave good text alone."""
    if not text:
        return ""
    import ftfy  # 40 ms to import: only sources that repair text pay for it, in a worker

    return ftfy.fix_text(text, normalization="NFC", unescape_html=False, uncurl_quotes=False)


def text(value: Any, repair: bool = True) -> str:
    """A scalar JSON value as text ('' for null, booleans, objects and arrays).

    Mojibake is repaired (see ``repair_text``) unless ``repair`` is False.
    """
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return ""
    return repair_text(str(value)) if repair else str(value)


_PERIOD_WORD = re.compile(r"(?<![A-Za-z])(year|annual|month|week|day|daily|hour)", re.IGNORECASE)
_PERIOD_NAMES = {"annual": "year", "daily": "day"}


def period_of(value: Any) -> str | None:
    """'per-year-salary', '1 YEAR', 'Annual', 'per_month' -> 'year', 'month', ...; else None."""
    found = _PERIOD_WORD.search(text(value))
    if not found:
        return None
    word = found.group(1).lower()
    return _PERIOD_NAMES.get(word, word)


def _number(value: Any) -> float | None:
    """An amount of pay from a number or "85,000" / "85k"; None unless it is plausible pay."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return pay_amount(value)
    match = re.fullmatch(r"\s*([\d.,]+)\s*([kK])?\s*", str(value))
    if not match:
        return None
    digits = match.group(1).replace(",", "")
    try:
        number = float(digits)
    except ValueError:
        return None
    return pay_amount(number * (1000 if match.group(2) else 1))


_PERIODS = {
    "year": "year", "yearly": "year", "annual": "year", "annually": "year", "yr": "year",
    "month": "month", "monthly": "month", "week": "week", "weekly": "week",
    "day": "day", "daily": "day", "hour": "hour", "hourly": "hour", "hr": "hour",
}  # fmt: skip


def salary(
    minimum: Any = None,
    maximum: Any = None,
    currency: Any = None,
    period: Any = None,
    text: str | None = None,
) -> Salary | None:
    """A Salary from loose parts; None when nothing is known."""
    low, high = _number(minimum), _number(maximum)
    if low and high and low > high:
        low, high = high, low
    unit = _PERIODS.get(str(period or "").strip().lower().removeprefix("per "))
    code = str(currency).strip().upper()[:10] if currency else None
    wording = text.strip() if text else None
    if low is None and high is None and not wording:
        return None
    return Salary(minimum=low, maximum=high, currency=code or None, period=unit, text=wording)
