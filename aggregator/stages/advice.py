"""What the mentee's web page shows that the matchers work out: a lead's interview prep sheet
and the networking events near the mentee (``web.app.Advice``, wired in by `leads serve`; the
web view itself imports only the core, the store and the digest's renderers).

A prep sheet is made when a mentee opens it (about 10 ms), never for every lead of a page.
The events' topic model is the costly part (a TF-IDF fit over the events and some stored
postings, a second or more): it is fitted once for every mentee, again only when a calendar
was collected anew (``Store.events_version``) or the day changed, and each mentee's
suggestions are kept with it.
"""

from __future__ import annotations

import threading
from datetime import date, datetime

from aggregator.core.config import AppConfig
from aggregator.core.models import EventSuggestion, Mentee, PrepSheet
from aggregator.stages.events import Upcoming, suggest_upcoming, upcoming_events
from aggregator.stages.prep import prep_for
from aggregator.store import Store


class StoredAdvice:
    """Prep sheets and event suggestions for the web view, from one config and store."""

    def __init__(self, config: AppConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self._lock = threading.Lock()  # one fit at a time; the pages call from many threads
        self._key: tuple[tuple[object, ...], date] | None = None
        self._upcoming = Upcoming([], None)
        self._suggested: dict[str, list[EventSuggestion]] = {}

    def prep(self, mentee: Mentee, lead: int) -> PrepSheet:
        """The mentee's prep sheet for one of their leads."""
        return prep_for(self.config, self.store, mentee.id, lead)

    def events(self, mentee: Mentee, now: datetime) -> list[EventSuggestion]:
        """The events suggested to the mentee from ``now`` on, best fit first."""
        key = (self.store.events_version(), now.date())
        with self._lock:
            if key != self._key:
                self._upcoming = upcoming_events(self.config, self.store, now)
                self._suggested = {}
                self._key = key
            if mentee.id not in self._suggested:
                found = suggest_upcoming(self.config, self._upcoming, [mentee], now)
                self._suggested[mentee.id] = found[mentee.id]
            return [s for s in self._suggested[mentee.id] if s.event.start >= now]
