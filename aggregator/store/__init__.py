"""The store: the only code that speaks SQL.

SQLite (WAL mode) is the embedded default; PostgreSQL works through the same SQLAlchemy Core
statements given a ``postgresql://`` URL. The schema carries a version number and is migrated
forward on open. Split by concern:

- ``schema``: the tables; ``migrations``: SCHEMA_VERSION and the steps up to it;
  ``engine``: opening a database for its backend;
- ``postings``: sources' state, postings and where leads were seen (``leads``: which lead a
  new posting joins); ``rows``: rows to models and back;
- ``matching``: leads to score, the matcher model, matches and mentees' progress;
- ``deliveries``: pending leads, deliveries, digest runs and feedback;
- ``statuses``: mentees' statuses on leads and the web view's private links;
- ``locking``: the run lock.
"""

from __future__ import annotations

from aggregator.store import migrations
from aggregator.store.deliveries import DeliveriesStore
from aggregator.store.engine import open_engine
from aggregator.store.events import EventsStore
from aggregator.store.matching import BRIEF_CHARS, MatchingStore
from aggregator.store.migrations import SCHEMA_VERSION
from aggregator.store.postings import PostingsStore
from aggregator.store.statuses import StatusesStore

__all__ = ["BRIEF_CHARS", "SCHEMA_VERSION", "Store"]


class Store(PostingsStore, MatchingStore, DeliveriesStore, EventsStore, StatusesStore):
    """Postings, matches, deliveries, events and statuses, kept once and remembered between
    runs."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = open_engine(url)
        migrations.migrate(self.engine, url)

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()
