"""Networking events: each events source's latest haul, kept apart from postings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, insert, select, update

from aggregator.core.models import Event
from aggregator.store.engine import refused
from aggregator.store.rows import StorePart
from aggregator.store.schema import events, source_states

# What changes whenever any source's events are saved again. Saving replaces a source's rows,
# so ids can repeat (SQLite reuses the highest): collected_at tells.
EVENTS_VERSION = select(
    select(func.count()).select_from(events).scalar_subquery(),
    select(func.max(events.c.id)).scalar_subquery(),
    select(func.max(events.c.collected_at)).scalar_subquery(),
)


class EventsStore(StorePart):
    """Saving a source's events and reading the upcoming ones."""

    def save_events(self, source: str, found: Sequence[Event], now: datetime) -> int:
        """Replace ``source``'s events with ``found`` (one occurrence once); how many are kept.
        The source's state counts them as its last items (`leads sources` said 0 of 18)."""
        rows = {event.external_id: _row(event, now) for event in found if event.source == source}
        with refused("the source's events"), self.engine.begin() as conn:
            conn.execute(delete(events).where(events.c.source == source))
            if rows:
                conn.execute(insert(events), list(rows.values()))
            conn.execute(
                update(source_states)
                .where(source_states.c.name == source)
                .values(last_item_count=len(rows))
            )
        return len(rows)

    def event_counts(self) -> dict[str, int]:
        """How many events each events source has in the store."""
        query = select(events.c.source, func.count()).group_by(events.c.source)
        with self.engine.connect() as conn:
            return {source: count for source, count in conn.execute(query).all()}

    def events_version(self) -> tuple[object, ...]:
        """A fingerprint of the stored events: it changes whenever any are saved."""
        with self.engine.connect() as conn:
            return tuple(conn.execute(EVENTS_VERSION).one())

    def upcoming_events(self, start: datetime, end: datetime) -> list[Event]:
        """The stored events starting from ``start`` until before ``end``, earliest first."""
        query = (
            select(events)
            .where(events.c.starts_at >= start, events.c.starts_at < end)
            .order_by(events.c.starts_at, events.c.id)
        )
        with self.engine.connect() as conn:
            return [_event(row) for row in conn.execute(query)]


def _row(event: Event, now: datetime) -> dict[str, Any]:
    return {
        "source": event.source,
        "external_id": event.external_id,
        "title": event.title,
        "starts_at": event.start,
        "ends_at": event.end,
        "timezone": event.timezone,
        "venue": event.venue,
        "city": event.city,
        "online": event.online,
        "organiser": event.organiser,
        "url": event.url,
        "description": event.description,
        "latitude": event.latitude,
        "longitude": event.longitude,
        "collected_at": now,
    }


def _event(row: Any) -> Event:
    """An event as stored; its times shown in its own time zone again (stored in UTC)."""
    zone = _zone(row.timezone)
    return Event(
        source=row.source,
        external_id=row.external_id,
        title=row.title,
        start=row.starts_at.astimezone(zone) if zone else row.starts_at,
        end=(row.ends_at.astimezone(zone) if zone else row.ends_at) if row.ends_at else None,
        timezone=row.timezone,
        venue=row.venue,
        city=row.city,
        online=row.online,
        organiser=row.organiser,
        url=row.url,
        description=row.description,
        latitude=row.latitude,
        longitude=row.longitude,
    )


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None
