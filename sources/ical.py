"""Networking events from iCalendar feeds (``type: ical``): Meetup groups, Luma, Eventbrite
organisers, university and community-space calendars publish them.

Parsed with ``icalendar``; recurring events are expanded with ``recurring-ical-events``
(RRULE, RDATE, EXDATE and moved instances), one Event per occurrence from now to ``days_ahead``
days on. Times keep their time zone (a floating time is read in the calendar's X-WR-TIMEZONE,
else the source's ``timezone``); cancelled occurrences are dropped. Text is flattened and any
markup removed; a calendar with more than ``MAX_OCCURRENCES`` occurrences in the window is cut
there (an RRULE can ask for one every second).

Expanding a rule walks every one of its periods from its DTSTART, and dateutil walks a rule
that can match nothing (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) to the year 9999: a twelve-line
event could hold a worker for minutes, past ``http.source_deadline`` (a thread cannot be
stopped). So each series' walk is estimated before it is expanded, and one too long, or past
the calendar's budget, is skipped and counted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any, ClassVar
from urllib.parse import quote, urljoin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events
from pydantic import Field

from aggregator.core.config import SourceOptions
from aggregator.core.errors import FeedFormatError
from aggregator.core.models import Event, SourceState
from aggregator.core.printable import one_line, strip_controls
from sources.base import CollectContext, Collected, ConfiguredSource
from sources.markup import description

ACCEPT = "text/calendar, text/plain;q=0.5, */*;q=0.1"
MAX_OCCURRENCES = 2_000
DESCRIPTION_CHARS = 2_000
_ONLINE = re.compile(
    r"\b(?:online|virtual|webinar|livestream|live stream|zoom\.us|meet\.google|teams\.microsoft"
    r"|jitsi|bigbluebutton|discord\.gg|youtube\.com/live|twitch\.tv)\b",
    re.IGNORECASE,
)
# Times a day a rule may repeat through BYHOUR, BYMINUTE and BYSECOND (FREQ=DAILY with 60
# minutes and 60 seconds is a rule every second).
MAX_PER_DAY = 4
# Steps (weighted by what one costs dateutil: a YEARLY step expands a whole year) one calendar's
# expansion may take, about two seconds; each event in the window costs PER_EVENT besides (the
# expansion copies it), one series at most SERIES_BUDGET (a daily one from 1750).
WALK_BUDGET = 500_000
SERIES_BUDGET = 100_000
PER_EVENT = 50
_STEP = {"DAILY": (timedelta(days=1), 1), "WEEKLY": (timedelta(weeks=1), 1),
         "MONTHLY": (timedelta(days=30.44), 2), "YEARLY": (timedelta(days=365.25), 20)}  # fmt: skip
_LAST_DAY = datetime(9999, 12, 31, tzinfo=UTC)
# An occurrence longer than this is a typo or a trap (DURATION:P99999W, DTEND in 9999): the
# event is kept, without its end.
LONGEST_EVENT = timedelta(days=366)
_SAFE_URL = re.compile(r"https?://[^\s/?#]", re.IGNORECASE)
_URL_CHARACTERS = ":/?#[]@!$&'()*+,;=-._~%"  # RFC 3986's reserved and unreserved, and %


class EventSourceOptions(SourceOptions):
    """Settings of an events source: where its events are when they do not say."""

    url: str
    city: str = ""  # the city of the calendar's venue, for events without their own
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None  # the venue's coordinates
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    timezone: str = "UTC"  # for times the feed gives without one
    days_ahead: Annotated[int, Field(ge=1, le=366)] = 90  # how far recurring events are expanded


class IcalSource(ConfiguredSource):
    """Events from an iCalendar (.ics) feed."""

    Options: ClassVar[type[SourceOptions]] = EventSourceOptions
    type: ClassVar[str] = "ical"
    events: ClassVar[bool] = True
    options: EventSourceOptions

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Conditional GET of the calendar, then expand and parse it in a worker."""
        return await collect_events(context, state, self.options, parse_calendar, ACCEPT)


EventParser = Callable[[bytes, str, EventSourceOptions, datetime], tuple[list[Event], int]]


async def collect_events(
    context: CollectContext,
    state: SourceState,
    options: EventSourceOptions,
    parse: EventParser,
    accept: str,
) -> Collected:
    """Conditional GET of an events feed, parsed in a worker into events and a count of the
    items left out."""
    result = await context.fetcher.get(
        state.url or options.url, etag=state.etag, last_modified=state.last_modified,
        accept=accept,
    )  # fmt: skip
    if result.not_modified:
        return Collected(postings=[], not_modified=True, moved_to=result.moved_to)
    events, skipped = await context.pool.run(parse, result.body, result.url, options, context.now())
    note = (
        f"{skipped} item{'' if skipped == 1 else 's'} skipped: without a usable start, "
        "broken, or repeating too often or for too long"
    )
    return Collected(
        postings=[],
        events=tuple(events),
        note=note if skipped else None,
        etag=result.etag,
        last_modified=result.last_modified,
        moved_to=result.moved_to,
    )


def _calendar_text(body: bytes) -> str:
    """A calendar's text: UTF-8, as RFC 5545 says; else Windows-1252 (Latin-1's superset),
    which older exporters write, so "Café" does not come out as "Caf\ufffd"."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def parse_calendar(
    body: bytes, url: str, options: EventSourceOptions, now: datetime
) -> tuple[list[Event], int]:
    """The occurrences of a calendar's events from ``now`` to ``options.days_ahead`` days on,
    and how many of its events were left out (no usable start, broken, repeating hourly or
    faster, or too costly to expand)."""
    try:
        calendar = icalendar.Calendar.from_ical(_calendar_text(body))
    except (ValueError, IndexError, KeyError) as exc:
        raise FeedFormatError(
            f"source {options.name}: {url} is not an iCalendar feed ({exc}); check the URL "
            "(it usually ends in .ics or has ?format=ical)"
        ) from exc
    kept, skipped = screened(calendar.subcomponents, now, now + timedelta(days=options.days_ahead))
    calendar.subcomponents = kept
    zone = _zone(str(calendar.get("X-WR-TIMEZONE") or options.timezone), options)
    if "X-WR-TIMEZONE" in calendar and zone_or_none(str(calendar["X-WR-TIMEZONE"])) is None:
        del calendar["X-WR-TIMEZONE"]  # the expansion would fail the whole calendar on it
    try:
        query = recurring_ical_events.of(calendar, skip_bad_series=True)
        # between(), not after(): after() walks each rule from its DTSTART again for every
        # slice of the window it looks at (minutes of CPU for a daily event from 1970).
        window = query.between(now, now + timedelta(days=options.days_ahead))
        occurrences = sorted(window, key=_start_of)[:MAX_OCCURRENCES]
        events = [
            event
            for component in occurrences
            if (event := to_event(component, url, options, zone)) is not None
        ]
    except (
        ValueError, TypeError, KeyError, OverflowError, recurring_ical_events.InvalidCalendar
    ) as exc:  # fmt: skip
        raise FeedFormatError(f"source {options.name}: {url} has a broken event ({exc})") from exc
    return events, skipped


def screened(components: list[Any], now: datetime, end: datetime) -> tuple[list[Any], int]:
    """The components worth expanding from ``now`` to ``end``, in order, within WALK_BUDGET,
    and how many events were left out: a broken one, one without a start, a series repeating
    too often or costing too much. A single event outside the window is no loss; an absurd
    end is dropped (the event is kept)."""
    kept, spent, skipped = [], 0, 0
    for component in components:
        if component.name != "VEVENT":
            kept.append(component)
            continue
        cost = walk_cost(component, end)
        if cost is not None and _single(component) and not _within(component, now, end):
            continue
        if cost is None or spent + cost > WALK_BUDGET:
            skipped += 1
            continue
        spent += cost
        _drop_absurd_end(component)
        kept.append(component)
    return kept, skipped


def _within(component: Any, now: datetime, end: datetime) -> bool:
    """Whether an event starts before ``end`` and may still be on at ``now``."""
    return now - LONGEST_EVENT <= _start_of(component) < end


def _single(component: Any) -> bool:
    """An event that happens once: not a series, nor a moved occurrence of one."""
    return not any(name in component for name in ("RRULE", "RDATE", "RECURRENCE-ID"))


class _TooCostly(Exception):
    """A rule this calendar cannot afford to expand (never leaves this module)."""


def walk_cost(component: Any, end: datetime) -> int | None:
    """The weighted steps expanding an event up to ``end`` takes; None when it cannot be
    placed (no usable start, a broken property, a rule repeating too often or too long)."""
    try:
        start = _start_of(component)
        if any(isinstance(component.get(name), list) for name in ("UID", "DTSTART", "DTEND")):
            return None  # given twice: which one holds?
        if any(name in _WHEN for name, _ in component.errors):
            return None  # icalendar keeps a property it cannot read aside, and the expansion
            # would drop the event unsaid ("EXDATE:garbage")
        for name in _WHEN:
            for value in _all(component.get(name)):
                value.to_ical()  # a broken property raises here, not in the expansion
        rules = [dict(rule) for rule in _all(component.get("RRULE"))]
        return PER_EVENT + sum(_rule_cost(rule, start, end) for rule in rules)
    except (KeyError, ValueError, TypeError, AttributeError, OverflowError, _TooCostly):
        return None


# The properties that say when an event happens, beside DTSTART and RRULE.
_WHEN = ("DTEND", "DURATION", "RECURRENCE-ID", "EXDATE", "RDATE")


def _all(value: Any) -> list[Any]:
    """A property that may be given several times, as a list."""
    return value if isinstance(value, list) else [] if value is None else [value]


def _rule_cost(rule: dict[str, list[Any]], start: datetime, end: datetime) -> int:
    """Weighted steps dateutil takes for one RRULE: from DTSTART to ``end``, or to the year
    9999 when it may match nothing (dateutil stops only at a match, whatever UNTIL says)."""
    frequency = str(rule["FREQ"][0]).upper()
    per_day = math.prod(len(rule.get(part, [0])) for part in ("BYHOUR", "BYMINUTE", "BYSECOND"))
    if frequency not in _STEP or per_day > MAX_PER_DAY:
        raise _TooCostly(frequency)
    step, weight = _STEP[frequency]
    interval = max(1, int(rule.get("INTERVAL", [1])[0]))
    until = _LAST_DAY if _may_match_nothing(rule, frequency) else end
    steps = max(1, int((until - start) / (step * interval)) + 1)
    expanding = math.prod(len(rule.get(part, [0])) for part in ("BYMONTH", "BYDAY", "BYMONTHDAY"))
    cost = steps * weight * min(expanding, 31)
    if cost > SERIES_BUDGET:
        raise _TooCostly(frequency)
    return cost


def _may_match_nothing(rule: dict[str, list[Any]], frequency: str) -> bool:
    """Whether a rule's parts may together match no day at all (30 February, a sixth
    Monday, Mondays every 7 days from a Tuesday)."""
    if any(part in rule for part in ("BYYEARDAY", "BYWEEKNO")):
        return True
    if any(abs(int(position)) > _fewest_in_a_period(rule, frequency)
           for position in rule.get("BYSETPOS", [])):
        return True  # a sixth Monday; the second Tuesday (BYDAY=TU;BYSETPOS=2) is every month
    if "BYMONTHDAY" in rule and ("BYMONTH" in rule or "BYDAY" in rule):
        return True
    return frequency == "DAILY" and int(rule.get("INTERVAL", [1])[0]) > 1 and "BYDAY" in rule


def _fewest_in_a_period(rule: dict[str, list[Any]], frequency: str) -> int:
    """The fewest occurrences a period of the rule surely holds before BYSETPOS picks among
    them: each weekday BYDAY names (without an ordinal) comes 4 times a month, 52 a year."""
    days = [str(day) for day in rule.get("BYDAY", [])]
    plain = len(days) if days and all(day.isalpha() for day in days) else 0
    if "BYMONTHDAY" in rule or "BYMONTH" in rule or "BYHOUR" in rule or not plain:
        return 1
    return plain * {"WEEKLY": 1, "MONTHLY": 4, "YEARLY": 52}.get(frequency, 0) or 1


def _drop_absurd_end(component: Any) -> None:
    """The event without its end when that is before its start or more than LONGEST_EVENT
    after it."""
    start = _start_of(component)
    if "DTEND" in component:
        length = _as_datetime(component["DTEND"].dt, UTC) - start
    elif "DURATION" in component and isinstance(component["DURATION"].dt, timedelta):
        length = component["DURATION"].dt
    else:
        return
    if not timedelta(0) <= length <= LONGEST_EVENT:
        component.pop("DTEND", None)
        component.pop("DURATION", None)


def _start_of(component: Any) -> datetime:
    return _as_datetime(component["DTSTART"].dt, UTC)


def to_event(component: Any, url: str, options: EventSourceOptions, zone: tzinfo) -> Event | None:
    """One occurrence as an Event; None when it is cancelled or has no title or start."""
    if str(component.get("STATUS", "")).upper() == "CANCELLED":
        return None
    title = one_line(str(component.get("SUMMARY", "")))
    start_value = component.get("DTSTART")
    if not title or start_value is None:
        return None
    start = _as_datetime(start_value.dt, zone)
    end_value = component.get("DTEND")
    end = _as_datetime(end_value.dt, zone) if end_value is not None else None
    venue = one_line(str(component.get("LOCATION", "")))
    link = event_link(component.get("URL"), url)
    text = _text(str(component.get("DESCRIPTION", "")))
    latitude, longitude = _geo(component.get("GEO"), options)
    return Event(
        source=options.name,
        external_id=f"{component.get('UID', title)}@{start.isoformat()}",
        title=title,
        start=start,
        end=end,
        timezone=_zone_name(start),
        venue=venue,
        city=options.city,
        online=is_online(venue, link, title, text),
        organiser=_organiser(component.get("ORGANIZER")),
        url=link,
        description=text,
        latitude=latitude,
        longitude=longitude,
    )


def is_online(venue: str, link: str, title: str, text: str) -> bool:
    """Whether an event happens online: its venue, link or title says so, or, when it names
    no venue, the start of its description does."""
    if _ONLINE.search(f"{venue} {link} {title}"):
        return True
    return not venue and bool(_ONLINE.search(text[:300]))


def _as_datetime(value: date | datetime, zone: tzinfo) -> datetime:
    """A timezone-aware datetime: a date is its midnight, a floating time is read in ``zone``."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _zone(name: str, options: EventSourceOptions) -> tzinfo:
    return zone_or_none(name) or zone_or_none(options.timezone) or UTC


def zone_or_none(name: str) -> ZoneInfo | None:
    """The time zone of that name; None for none (a calendar may name anything)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _zone_name(moment: datetime) -> str:
    zone = moment.tzinfo
    key = getattr(zone, "key", None) or getattr(zone, "zone", None)
    return str(key) if key else (moment.tzname() or "UTC")


def event_link(value: Any, base: str) -> str:
    """An event's web link, resolved against its calendar's or feed's address ``base`` (event
    sites often give "/events/42"), with what a URL may not hold (quotes, angle brackets,
    spaces) percent-encoded, so it is one link wherever it is shown; "" when it is no http(s)
    link."""
    if value is None:
        return ""
    resolved = quote(urljoin(base, one_line(str(value))), safe=_URL_CHARACTERS)
    return resolved if _SAFE_URL.match(resolved) else ""


def _text(value: str) -> str:
    """Plain text of a description, markup removed, at most DESCRIPTION_CHARS."""
    if not value.strip():
        return ""
    text = description(value[: DESCRIPTION_CHARS * 4], None)[1]
    return strip_controls(text)[:DESCRIPTION_CHARS].strip()


def _organiser(value: Any) -> str:
    if value is None:
        return ""
    name = getattr(value, "params", {}).get("CN")
    if name:
        return one_line(str(name))
    return one_line(str(value)).removeprefix("mailto:").removeprefix("MAILTO:")


def _geo(value: Any, options: EventSourceOptions) -> tuple[float | None, float | None]:
    """The event's coordinates, else (none, or broken: GEO:abc) the source's."""
    try:
        latitude, longitude = getattr(value, "latitude", None), getattr(value, "longitude", None)
    except ValueError:
        latitude = longitude = None
    if latitude is None or longitude is None or not (
        -90 <= float(latitude) <= 90 and -180 <= float(longitude) <= 180
    ):
        return options.latitude, options.longitude
    return float(latitude), float(longitude)

