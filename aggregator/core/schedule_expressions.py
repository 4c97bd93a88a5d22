"""Schedule expressions: when digests go out and when collection runs.

A schedule is written either as a five-field cron expression or in a readable form::

    0 7 * * mon          cron: minute hour day-of-month month day-of-week
    hourly               hourly :15
    daily 07:00          weekdays 08:30
    weekly mon 07:00     weekly monday,thursday 7:00
    monthly 1 09:00      (day of month; months without that day are skipped)
    every 3h             every 90m    every 1d    every 30 minutes

Cron weekday numbers follow crontab (0 and 7 are Sunday), not APScheduler 3.x (0 is Monday);
the fields are stored with weekday names so the two cannot be mixed up. A cron expression that
restricts both the day of month and the weekday is refused: crontab fires when either matches,
APScheduler only when both do.

Everything except ``every …`` becomes cron fields, read in the mentor's time zone; ``every …``
is an interval of elapsed time (so ``every 1d`` drifts an hour against the wall clock when
daylight saving time starts or ends, where ``daily 07:00`` stays at 07:00).

Daylight saving time, as APScheduler 3.x handles it (``tests/test_schedules.py`` pins this):
a time inside the hour skipped in spring fires one hour later on that day (02:30 → 03:30), and
a time inside the hour repeated in autumn fires twice, once per offset.

Crontab output and time zones: ``Schedule.crontab_fields()`` gives the fields in the schedule's
own time zone, while cron reads them in its daemon's zone. There is deliberately no converter
to another zone: the offset between two zones changes on dates that differ per zone, and a
shift can move a job across midnight and so onto another weekday, so no fixed five fields are
equivalent all year. Whoever writes the crontab line must put ``CRON_TZ=<zone>`` above it
(cronie honours it; some crons, e.g. BSD and macOS cron, do not) and name the zone in a
comment, or run cron in that zone.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger

ACCEPTED_FORMS = (
    "accepted forms: a cron expression '0 7 * * mon' (minute hour day month weekday), "
    "'hourly', 'hourly :15', 'daily 07:00', 'weekdays 08:30', 'weekly mon 07:00', "
    "'weekly mon,thu 07:00', 'monthly 1 09:00', 'every 3h', 'every 90m', 'every 1d', "
    "'every 30 minutes'"
)
TIMEZONE_HINT = "use an IANA time zone name such as Europe/Berlin or America/New_York"

# Monday first, as APScheduler 3.x counts (0 = Monday); crontab counts 0 = Sunday.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CRONTAB_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_INTERVAL_UNITS = {
    "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "d": "days", "day": "days", "days": "days",
}  # fmt: skip
# Files in the zoneinfo directory that load but name no place: a config must not depend on them.
_NOT_IANA_NAMES = frozenset({"localtime", "posixrules"})
_LONGEST_INTERVAL = timedelta(days=366)
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_EVERY = re.compile(r"every\s*([0-9]+)\s*([a-z]+)")


@dataclass(frozen=True, slots=True)
class _FieldRule:
    """The values one cron field accepts."""

    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    first_name_value: int = 0  # the number the first name stands for

    def value(self, token: str) -> int:
        """The number a token stands for, range-checked."""
        if _is_number(token):
            number = int(token)
        elif token in self.names:
            number = self.names.index(token) + self.first_name_value
        else:
            names = f" or a name ({', '.join(self.names)})" if self.names else ""
            raise ValueError(f"{self.name} {token!r} is not a number{names}")
        if not self.low <= number <= self.high:
            raise ValueError(f"{self.name} {number} is outside {self.low}-{self.high}")
        return number


_MINUTE = _FieldRule("minute", 0, 59)
_HOUR = _FieldRule("hour", 0, 23)
_DAY = _FieldRule("day of month", 1, 31)
_MONTH = _FieldRule("month", 1, 12, _MONTHS, 1)
_WEEKDAY = _FieldRule("weekday", 0, 7, _CRONTAB_WEEKDAYS)  # crontab: 0 and 7 are Sunday


@dataclass(frozen=True, slots=True)
class CronFields:
    """Cron fields spelled as APScheduler 3.x's CronTrigger reads them.

    ``day_of_week`` is ``*`` or a list of names (``mon,thu``), never numbers, because
    APScheduler 3.x and crontab number weekdays differently.
    """

    minute: str
    hour: str
    day: str
    month: str
    day_of_week: str


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed schedule: cron fields or a fixed interval, plus the text it came from."""

    text: str
    cron: CronFields | None = None
    interval: timedelta | None = None

    def __post_init__(self) -> None:
        if (self.cron is None) == (self.interval is None):
            raise ValueError("a Schedule is either cron fields or an interval, not both or none")
        if self.interval is not None and (
            self.interval <= timedelta(0) or self.interval % timedelta(minutes=1)
        ):
            raise ValueError(f"interval {self.interval} must be a positive number of minutes")

    def trigger(
        self,
        timezone: str | tzinfo,
        jitter: int | None = None,
        *,
        start: datetime | None = None,
    ) -> BaseTrigger:
        """An APScheduler 3.x trigger firing on this schedule in ``timezone``.

        ``jitter`` delays each run by up to that many seconds. ``start`` is the earliest fire
        time; an interval fires at ``start`` and every interval after it, and without one
        APScheduler starts it one interval after the job is added.
        """
        if jitter is not None and jitter < 0:
            raise ValueError(f"jitter must be zero or more seconds, got {jitter}")
        zone = _zone(timezone)
        if self.interval is not None:
            from apscheduler.triggers.interval import IntervalTrigger

            return IntervalTrigger(
                seconds=int(self.interval.total_seconds()),
                start_date=start,
                timezone=zone,
                jitter=jitter,
            )
        from apscheduler.triggers.cron import CronTrigger

        assert self.cron is not None  # __post_init__ guarantees one of the two
        return CronTrigger(
            **dataclasses.asdict(self.cron), start_date=start, timezone=zone, jitter=jitter
        )

    def next_fire_times(
        self, after: datetime, count: int, timezone: str | tzinfo
    ) -> list[datetime]:
        """The next ``count`` fire times strictly after ``after``, without jitter.

        An interval is taken to start at ``after``, so it first fires one interval later. The
        times are real instants shown in ``timezone``: a time skipped by daylight saving time
        comes back as the instant APScheduler fires at (03:30 for 02:30).
        """
        if after.tzinfo is None:
            raise ValueError("after must carry a time zone (a naive datetime is ambiguous)")
        zone = _zone(timezone)
        # Arithmetic on aware datetimes is wall-clock arithmetic; elapsed time needs UTC.
        after_utc = after.astimezone(UTC)
        start = after_utc + self.interval if self.interval is not None else None
        trigger = self.trigger(zone, start=start)
        times: list[datetime] = []
        previous: datetime | None = None
        # APScheduler returns a fire time equal to `now`; one microsecond makes it "after".
        now = after_utc + timedelta(microseconds=1)
        while len(times) < count:
            fire = trigger.get_next_fire_time(previous, now)
            if fire is None:
                break
            times.append(fire.astimezone(UTC).astimezone(zone))
            previous = now = fire
        return times

    def crontab_fields(self) -> str:
        """The five crontab fields for this schedule, in the schedule's own time zone.

        An interval maps to clock-aligned steps (``every 3h`` → ``0 */3 * * *``): the same
        cadence, counted from midnight rather than from when the scheduler started. Intervals
        with no such step raise ValueError. See the module docstring about ``CRON_TZ``.
        """
        if self.interval is not None:
            return _interval_crontab(self.interval)
        assert self.cron is not None
        weekdays = _weekday_numbers(self.cron.day_of_week)
        crontab_weekdays = "*" if len(weekdays) == 7 else _compress(sorted(weekdays))
        return " ".join(
            (self.cron.minute, self.cron.hour, self.cron.day, self.cron.month, crontab_weekdays)
        )

    def describe(self) -> str:
        """The schedule in words, e.g. "every Monday at 07:00" or "every 3 hours"."""
        if self.interval is not None:
            return _describe_interval(self.interval)
        assert self.cron is not None
        return _describe_cron(self.cron) or f"on the cron schedule '{self.crontab_fields()}'"


def parse_schedule(text: str) -> Schedule:
    """Parse a cron expression or readable schedule; ValueError names the accepted forms."""
    words = text.lower().split()
    try:
        if not words:
            raise ValueError("the schedule is empty")
        parser = _READABLE_FORMS.get(words[0])
        if parser is not None:
            return parser(text, words[1:])
        if words[0][0].isdigit() or words[0][0] == "*":
            return Schedule(text, cron=_parse_cron(words))
        raise ValueError(f"{words[0]!r} is neither a schedule keyword nor a cron field")
    except ValueError as exc:
        raise ValueError(f"schedule {text.strip()!r}: {exc}; {ACCEPTED_FORMS}") from exc


def check_timezone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA time zone name; ValueError with a suggestion otherwise."""
    try:
        if name in _NOT_IANA_NAMES:
            raise ValueError(f"{name!r} depends on the machine")
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"{name!r} is not an IANA time zone name{_zone_suggestion(name)}; {TIMEZONE_HINT}"
        ) from exc


def _zone(timezone: str | tzinfo) -> tzinfo:
    return check_timezone(timezone) if isinstance(timezone, str) else timezone


def _is_number(token: str) -> bool:
    """True for ASCII digits only: str.isdigit() also accepts '²', which int() refuses."""
    return token.isascii() and token.isdigit()


def _zone_suggestion(name: str) -> str:
    """A " (did you mean X?)" for a misspelt or miscased zone name, else ""."""
    known = available_timezones() - _NOT_IANA_NAMES
    by_case = {zone.lower(): zone for zone in known}
    match = by_case.get(name.strip().lower())
    if match is None:
        close = difflib.get_close_matches(name.strip(), known, n=1, cutoff=0.8)
        match = close[0] if close else None
    return f" (did you mean {match}?)" if match else ""


# --- readable forms -------------------------------------------------------------------------


def _hourly(text: str, args: list[str]) -> Schedule:
    if not args:
        return Schedule(text, cron=_cron_at(minute=0))
    if len(args) == 1 and args[0].startswith(":"):
        return Schedule(text, cron=_cron_at(minute=_MINUTE.value(args[0][1:])))
    raise ValueError("'hourly' takes nothing or a minute such as ':15'")


def _daily(text: str, args: list[str]) -> Schedule:
    return Schedule(text, cron=_cron_at(*_time_of_day(args, "daily")))


def _weekdays(text: str, args: list[str]) -> Schedule:
    return Schedule(text, cron=_cron_at(*_time_of_day(args, "weekdays"), day_of_week=range(5)))


def _weekly(text: str, args: list[str]) -> Schedule:
    if len(args) < 2:
        raise ValueError("'weekly' needs weekdays and a time, such as 'weekly mon 07:00'")
    days = {_weekday_index(word) for word in re.split(r"[,\s]+", " ".join(args[:-1])) if word}
    return Schedule(text, cron=_cron_at(*_time_of_day(args[-1:], "weekly"), day_of_week=days))


def _monthly(text: str, args: list[str]) -> Schedule:
    if len(args) != 2:
        raise ValueError("'monthly' needs a day of the month and a time, such as 'monthly 1 09:00'")
    day = _DAY.value(args[0])
    return Schedule(text, cron=_cron_at(*_time_of_day(args[1:], "monthly"), day=str(day)))


def _every(text: str, args: list[str]) -> Schedule:
    match = _EVERY.fullmatch(" ".join(["every", *args]))
    unit = _INTERVAL_UNITS.get(match.group(2)) if match else None
    if match is None or unit is None:
        raise ValueError("'every' needs a number and a unit: m, h or d (or minutes, hours, days)")
    amount = int(match.group(1))
    if amount == 0:
        raise ValueError("an interval of 0 never fires; use 1 or more")
    if amount > _LONGEST_INTERVAL // timedelta(**{unit: 1}):
        # Past this the next fire time soon lies beyond the year 9999 that datetime can hold.
        raise ValueError(
            f"every {amount} {unit} is too long an interval: at most a year; for a yearly "
            "run use a cron expression such as '0 9 1 1 *'"
        )
    return Schedule(text, interval=timedelta(**{unit: amount}))


_READABLE_FORMS: dict[str, Callable[[str, list[str]], Schedule]] = {
    "hourly": _hourly,
    "daily": _daily,
    "weekdays": _weekdays,
    "weekly": _weekly,
    "monthly": _monthly,
    "every": _every,
}


def _time_of_day(args: list[str], keyword: str) -> tuple[int, int]:
    """(minute, hour) from a single 'HH:MM' argument."""
    match = _TIME.fullmatch(args[0]) if len(args) == 1 else None
    if match is None:
        got = repr(" ".join(args)) if args else "nothing"
        raise ValueError(f"'{keyword}' needs one time such as 07:00, got {got}")
    return _MINUTE.value(match.group(2)), _HOUR.value(match.group(1))


def _weekday_index(word: str) -> int:
    """0 for Monday … 6 for Sunday, from a full name or a prefix of three letters or more."""
    for index, name in enumerate(WEEKDAYS):
        if len(word) >= 3 and name.startswith(word):
            return index
    raise ValueError(f"unknown weekday {word!r}: use mon, tue, wed, thu, fri, sat, sun")


def _cron_at(
    minute: int,
    hour: int | None = None,
    *,
    day: str = "*",
    day_of_week: range | set[int] | None = None,
) -> CronFields:
    """Cron fields for a fixed minute (and hour), optionally on given Monday-based weekdays."""
    hour_field = "*" if hour is None else str(hour)
    weekdays = "*" if day_of_week is None else _weekday_names(day_of_week)
    return CronFields(str(minute), hour_field, day, "*", weekdays)


def _weekday_names(indexes: range | set[int]) -> str:
    """'mon,thu' from Monday-based indexes; '*' for the whole week."""
    if len(set(indexes)) == 7:
        return "*"
    return ",".join(WEEKDAYS[index][:3] for index in sorted(indexes))


# --- cron expressions -----------------------------------------------------------------------


def _parse_cron(fields: list[str]) -> CronFields:
    if len(fields) != 5:
        raise ValueError(
            f"a cron expression has 5 fields (minute hour day month weekday), got {len(fields)}"
        )
    minute, hour, day, month, weekday = fields
    weekdays = _weekday_numbers(weekday)
    cron = CronFields(
        minute=_canonical_field(minute, _MINUTE),
        hour=_canonical_field(hour, _HOUR),
        day=_canonical_field(day, _DAY),
        month=_canonical_field(month, _MONTH),
        # crontab numbers Sunday 0, so each day is converted to its Monday-based name.
        day_of_week=_weekday_names({(number - 1) % 7 for number in weekdays}),
    )
    _check_the_day_comes(cron)
    if cron.day != "*" and weekday != "*":
        # crontab runs when either field matches, APScheduler only when both do; even a
        # weekday field covering the whole week changes what crontab does with the day.
        raise ValueError(
            "restrict the day of month or the weekday, not both: cron and the scheduler "
            "read that combination differently"
        )
    return cron


# The most days each month has (February in a leap year).
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _check_the_day_comes(cron: CronFields) -> None:
    """ValueError when no chosen month has a chosen day (30 February): it would never fire."""
    days = _field_values(cron.day, _DAY)
    months = _field_values(cron.month, _MONTH)
    if not any(min(days) <= _DAYS_IN_MONTH[month - 1] for month in months):
        chosen = ", ".join(_MONTHS[month - 1] for month in sorted(months))
        raise ValueError(
            f"day of month {cron.day} never comes in {chosen}, so the schedule would never "
            "fire: pick a day those months have"
        )


def _field_values(text: str, rule: _FieldRule) -> set[int]:
    """The numbers a cron field selects."""
    return {
        number
        for first, last, step, _ in _field_items(text, rule)
        for number in range(first, last + 1, step)
    }


def _field_items(text: str, rule: _FieldRule) -> list[tuple[int, int, int, bool]]:
    """(first, last, step, is_star) for each comma-separated item of a cron field."""
    items = []
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if _is_number(step_text) else 0
        if step_text and step < 1:
            raise ValueError(f"{rule.name} step in {item!r} must be a whole number of 1 or more")
        if base == "*":
            items.append((rule.low, rule.high, step or 1, True))
            continue
        first_text, dash, last_text = base.partition("-")
        first = rule.value(first_text)
        last = rule.value(last_text) if dash else first
        if step_text and not dash:
            raise ValueError(f"{rule.name} step {item!r} needs a range or '*' before the '/'")
        if first > last:
            raise ValueError(f"{rule.name} range {base!r} runs backwards")
        items.append((first, last, step or 1, False))
    for first, last, step, _ in items:
        # Crontab would take only the first value; APScheduler refuses, or reads '5-5/10' as
        # '5/10' (every ten minutes from 5).
        if step > 1 and step > last - first:
            raise ValueError(
                f"{rule.name} step {step} is larger than the range {first}-{last}, so only "
                f"{first} would match: write {first}, or a step that fits the range"
            )
    return items


def _canonical_field(text: str, rule: _FieldRule) -> str:
    """The field with names replaced by numbers, checked against the field's range."""
    parts = []
    for first, last, step, is_star in _field_items(text, rule):
        base = "*" if is_star else str(first) if first == last else f"{first}-{last}"
        parts.append(base if step == 1 else f"{base}/{step}")
    return ",".join(parts)


def _weekday_numbers(text: str) -> set[int]:
    """The crontab weekday numbers (0 = Sunday … 6) a weekday field selects."""
    if text == "*":
        return set(range(7))
    return {number % 7 for number in _field_values(text, _WEEKDAY)}


def _compress(numbers: list[int]) -> str:
    """'1-5' or '0,6' from sorted numbers: runs of three or more become ranges."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    parts = [f"{run[0]}-{run[-1]}" if len(run) >= 3 else ",".join(map(str, run)) for run in runs]
    return ",".join(parts)


def _interval_crontab(interval: timedelta) -> str:
    minutes = int(interval.total_seconds()) // 60
    if minutes < 60 and 60 % minutes == 0:
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    hours, rest = divmod(minutes, 60)
    if rest == 0 and 24 % hours == 0:
        return {1: "0 * * * *", 24: "0 0 * * *"}.get(hours, f"0 */{hours} * * *")
    raise ValueError(
        f"an interval of {_describe_interval(interval).removeprefix('every ')} has no crontab "
        "equivalent; use minutes that divide 60, hours that divide 24, or 1 day"
    )


# --- descriptions ---------------------------------------------------------------------------


def _describe_interval(interval: timedelta) -> str:
    minutes = int(interval.total_seconds()) // 60
    for unit, size in (("day", 24 * 60), ("hour", 60), ("minute", 1)):
        if minutes % size == 0:
            amount = minutes // size
            return f"every {unit}" if amount == 1 else f"every {amount} {unit}s"
    raise AssertionError("unreachable: every interval is a whole number of minutes")


def _describe_cron(cron: CronFields) -> str | None:
    """Words for the common shapes of cron fields; None for anything else."""
    if not cron.minute.isdigit() or cron.month != "*":
        return None
    minute = int(cron.minute)
    if cron.hour == "*":
        if cron.day != "*" or cron.day_of_week != "*":
            return None
        return "every hour on the hour" if minute == 0 else f"every hour at minute {minute}"
    if not cron.hour.isdigit():
        return None
    at = f"at {int(cron.hour):02d}:{minute:02d}"
    if cron.day.isdigit():
        return f"on day {cron.day} of every month {at}"
    if cron.day != "*":
        return None
    return f"{_describe_weekdays(cron.day_of_week)} {at}"


def _describe_weekdays(day_of_week: str) -> str:
    if day_of_week == "*":
        return "every day"
    if day_of_week == "mon,tue,wed,thu,fri":
        return "every weekday (Monday to Friday)"
    names = [
        next(name.capitalize() for name in WEEKDAYS if name.startswith(abbr))
        for abbr in day_of_week.split(",")
    ]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"every {listed}"
