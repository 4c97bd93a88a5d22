"""Networking events from an RSS or Atom feed of events (``type: events_rss``).

An item is an event when it carries a start time: the RSS event module's ``ev:startdate``
(with ``ev:enddate``, ``ev:location``, ``ev:organizer``), which event sites and calendar
plugins publish. Items without one are counted and skipped. Only events from now to
``days_ahead`` days on are kept; text is flattened and any markup removed. A time without
a zone is read in the source's ``timezone``, and every time is shown in it (a feed's
"+01:00" names no place).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import feedparser

from aggregator.core.config import SourceOptions
from aggregator.core.errors import FeedFormatError
from aggregator.core.models import Event, SourceState
from aggregator.core.printable import one_line, strip_controls
from sources.base import CollectContext, Collected, ConfiguredSource
from sources.ical import (
    EventSourceOptions,
    collect_events,
    event_link,
    is_online,
    zone_or_none,
)
from sources.markup import description
from sources.values import parse_date

ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.1"
DESCRIPTION_CHARS = 2_000


class EventsRssSource(ConfiguredSource):
    """Events from an RSS/Atom feed with event dates."""

    Options: ClassVar[type[SourceOptions]] = EventSourceOptions
    type: ClassVar[str] = "events_rss"
    events: ClassVar[bool] = True
    options: EventSourceOptions

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Conditional GET of the feed, then parse it in a worker."""
        return await collect_events(context, state, self.options, parse_events_feed, ACCEPT)


def parse_events_feed(
    body: bytes, url: str, options: EventSourceOptions, now: datetime
) -> tuple[list[Event], int]:
    """The feed's events from ``now`` to ``options.days_ahead`` days on, and how many items
    had no start time."""
    parsed: Any = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise FeedFormatError(
            f"source {options.name}: {url} is not an RSS or Atom feed "
            f"({parsed.get('bozo_exception')}); check the URL"
        )
    end = now + timedelta(days=options.days_ahead)
    zone = zone_or_none(options.timezone) or UTC
    events, skipped = [], 0
    for entry in parsed.entries:
        start = _moment(entry.get("ev_startdate"), zone)
        if start is None:
            skipped += 1
            continue
        if now <= start < end:
            events.append(_event(entry, start, url, options))
    return events, skipped


def _moment(value: Any, zone: tzinfo) -> datetime | None:
    """A feed's time in ``zone``; one without a zone is read there (not as UTC)."""
    text = str(value or "").strip()
    try:
        naive = datetime.fromisoformat(text).tzinfo is None
    except ValueError:
        naive = False
    moment = parse_date(value)
    if moment is None:
        return None
    if naive:
        return moment.replace(tzinfo=zone) if zone is not UTC else moment
    return moment.astimezone(zone)


def _event(entry: Any, start: datetime, url: str, options: EventSourceOptions) -> Event:
    title = one_line(str(entry.get("title", ""))) or "Untitled event"
    venue = one_line(str(entry.get("ev_location", "")))
    link = event_link(entry.get("link"), url)
    text = description(str(entry.get("summary", ""))[: DESCRIPTION_CHARS * 4], url)[1]
    text = strip_controls(text)[:DESCRIPTION_CHARS].strip()
    end = _moment(entry.get("ev_enddate"), start.tzinfo or UTC)
    return Event(
        source=options.name,
        external_id=str(entry.get("id") or link or title) + f"@{start.isoformat()}",
        title=title,
        start=start,
        end=end if end is not None and end >= start else None,  # not before it starts
        timezone=options.timezone if isinstance(start.tzinfo, ZoneInfo) else "UTC",
        venue=venue,
        city=options.city,
        online=is_online(venue, link, title, text),
        organiser=one_line(str(entry.get("ev_organizer", ""))),
        url=link,
        description=text,
        latitude=options.latitude,
        longitude=options.longitude,
    )

