"""Networking events from an RSS or Atom feed of events (``type: events_rss``).

An item is an event when it carries a start time: the RSS event module's ``ev:startdate``
(with ``ev:enddate``, ``ev:location``, ``ev:organizer``), which event sites and calendar
plugins publish. Items without one are counted and skipped. Only events from now to
``days_ahead`` days on are kept; text is flattened and any markup removed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

import feedparser

from aggregator.core.config import SourceOptions
from aggregator.core.errors import FeedFormatError
from aggregator.core.models import Event, SourceState
from sources.base import CollectContext, Collected, ConfiguredSource
from sources.ical import EventSourceOptions, collect_events, is_online
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
    events, skipped = [], 0
    for entry in parsed.entries:
        start = parse_date(entry.get("ev_startdate"))
        if start is None:
            skipped += 1
            continue
        if now <= start < end:
            events.append(_event(entry, start, url, options))
    return events, skipped


def _event(entry: Any, start: datetime, url: str, options: EventSourceOptions) -> Event:
    title = _line(str(entry.get("title", ""))) or "Untitled event"
    venue = _line(str(entry.get("ev_location", "")))
    link = _line(str(entry.get("link", "")))
    link = link if link.lower().startswith(("http://", "https://")) else ""
    text = description(str(entry.get("summary", ""))[: DESCRIPTION_CHARS * 4], url)[1]
    text = text[:DESCRIPTION_CHARS].strip()
    return Event(
        source=options.name,
        external_id=str(entry.get("id") or link or title) + f"@{start.isoformat()}",
        title=title,
        start=start,
        end=parse_date(entry.get("ev_enddate")),
        timezone=start.tzname() or "UTC",
        venue=venue,
        city=options.city,
        online=is_online(venue, link, title, text),
        organiser=_line(str(entry.get("ev_organizer", ""))),
        url=link,
        description=text,
        latitude=options.latitude,
        longitude=options.longitude,
    )


def _line(text: str) -> str:
    return " ".join(text.split())
