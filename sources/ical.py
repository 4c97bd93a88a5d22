"""Networking events from iCalendar feeds (``type: ical``): Meetup groups, Luma, Eventbrite
organisers, university and community-space calendars publish them.

Parsed with ``icalendar``; recurring events are expanded with ``recurring-ical-events``
(RRULE, RDATE, EXDATE and moved instances), one Event per occurrence from now to ``days_ahead``
days on. Times keep their time zone (a floating time is read in the calendar's X-WR-TIMEZONE,
else the source's ``timezone``); cancelled occurrences are dropped. Text is flattened and any
markup removed; a calendar with more than ``MAX_OCCURRENCES`` occurrences in the window is cut
there (an RRULE can ask for one every second).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any, ClassVar
from urllib.parse import urljoin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events
from pydantic import Field

from aggregator.core.config import SourceOptions
from aggregator.core.errors import FeedFormatError
from aggregator.core.models import Event, SourceState
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
_TOO_FREQUENT = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})
_SAFE_URL = re.compile(r"https?://[^\s/?#]", re.IGNORECASE)


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
    note = f"{skipped} item{'' if skipped == 1 else 's'} without a usable start skipped"
    return Collected(
        postings=[],
        events=tuple(events),
        note=note if skipped else None,
        etag=result.etag,
        last_modified=result.last_modified,
        moved_to=result.moved_to,
    )


def parse_calendar(
    body: bytes, url: str, options: EventSourceOptions, now: datetime
) -> tuple[list[Event], int]:
    """The occurrences of a calendar's events from ``now`` to ``options.days_ahead`` days on,
    and how many of its events were left out (no start, or repeating hourly or faster)."""
    try:
        calendar = icalendar.Calendar.from_ical(body)
    except (ValueError, IndexError, KeyError) as exc:
        raise FeedFormatError(
            f"source {options.name}: {url} is not an iCalendar feed ({exc}); check the URL "
            "(it usually ends in .ics or has ?format=ical)"
        ) from exc
    kept = [c for c in calendar.subcomponents if _placeable(c)]
    skipped = len(calendar.subcomponents) - len(kept)
    calendar.subcomponents = kept
    zone = _zone(str(calendar.get("X-WR-TIMEZONE") or options.timezone), options)
    end = now + timedelta(days=options.days_ahead)
    try:
        query = recurring_ical_events.of(calendar, skip_bad_series=True)
        occurrences = _bounded(query.after(now), end)
        events = [
            event
            for component in occurrences
            if (event := to_event(component, url, options, zone)) is not None
        ]
    except (ValueError, TypeError, KeyError, recurring_ical_events.InvalidCalendar) as exc:
        raise FeedFormatError(f"source {options.name}: {url} has a broken event ({exc})") from exc
    return events, skipped


def _placeable(component: Any) -> bool:
    """Whether a calendar component can be kept: an event needs a start (without one it would
    stop the whole calendar's expansion), and no meeting recurs by the hour, minute or
    second (a rule that does would fill the window with thousands of occurrences)."""
    if component.name != "VEVENT":
        return True
    rule = component.get("RRULE")
    frequencies = {str(f).upper() for f in (rule.get("FREQ", []) if rule is not None else [])}
    return "DTSTART" in component and not frequencies & _TOO_FREQUENT


def _bounded(occurrences: Iterable[Any], end: datetime) -> Iterator[Any]:
    """Occurrences (earliest first) that start before ``end``, at most MAX_OCCURRENCES."""
    for count, component in enumerate(occurrences):
        if count >= MAX_OCCURRENCES or _as_datetime(component.get("DTSTART").dt, UTC) >= end:
            return
        yield component


def to_event(component: Any, url: str, options: EventSourceOptions, zone: tzinfo) -> Event | None:
    """One occurrence as an Event; None when it is cancelled or has no title or start."""
    if str(component.get("STATUS", "")).upper() == "CANCELLED":
        return None
    title = _line(str(component.get("SUMMARY", "")))
    start_value = component.get("DTSTART")
    if not title or start_value is None:
        return None
    start = _as_datetime(start_value.dt, zone)
    end_value = component.get("DTEND")
    end = _as_datetime(end_value.dt, zone) if end_value is not None else None
    venue = _line(str(component.get("LOCATION", "")))
    link = _link(component.get("URL"), url)
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
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        try:
            return ZoneInfo(options.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return UTC


def _zone_name(moment: datetime) -> str:
    zone = moment.tzinfo
    key = getattr(zone, "key", None) or getattr(zone, "zone", None)
    return str(key) if key else (moment.tzname() or "UTC")


def _link(value: Any, base: str) -> str:
    if value is None:
        return ""
    resolved = urljoin(base, _line(str(value)))
    return resolved if _SAFE_URL.match(resolved) else ""


def _text(value: str) -> str:
    """Plain text of a description, markup removed, at most DESCRIPTION_CHARS."""
    if not value.strip():
        return ""
    return description(value[: DESCRIPTION_CHARS * 4], None)[1][:DESCRIPTION_CHARS].strip()


def _organiser(value: Any) -> str:
    if value is None:
        return ""
    name = getattr(value, "params", {}).get("CN")
    if name:
        return _line(str(name))
    return _line(str(value)).removeprefix("mailto:").removeprefix("MAILTO:")


def _geo(value: Any, options: EventSourceOptions) -> tuple[float | None, float | None]:
    if value is not None:
        latitude, longitude = getattr(value, "latitude", None), getattr(value, "longitude", None)
        if latitude is not None and longitude is not None:
            return float(latitude), float(longitude)
    return options.latitude, options.longitude


def _line(text: str) -> str:
    return " ".join(text.split())
