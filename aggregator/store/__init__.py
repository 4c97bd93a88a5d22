"""The store: the only code that speaks SQL.

SQLite (WAL mode) is the embedded default; PostgreSQL works through the same SQLAlchemy Core
statements given a ``postgresql+psycopg://`` URL. The schema carries a version number: SQLite
is migrated forward on open, PostgreSQL by `leads migrate` (opening it checks the version).
Split by concern:

- ``schema``: the tables; ``migrations``: SCHEMA_VERSION and the steps up to it;
  ``engine``: opening a database for its backend;
- ``postings``: sources' state, postings and where leads were seen (``leads``: which lead a
  new posting joins); ``rows``: rows to models and back;
- ``matching``: leads to score, the matcher model, matches and mentees' progress;
- ``deliveries``: pending leads, deliveries, digest runs and feedback;
- ``statuses``: mentees' statuses on leads and the web view's private links;
- ``leases``: several processes on one database: collection rounds and source leases,
  digest claims, scheduled jobs' leaders;
- ``locking``: the run lock (a file on SQLite, an advisory lock on PostgreSQL);
- ``transfer``: every table to JSON lines and back (`leads export` / `leads import`);
- ``changes``: whether anything was written since a moment ago (the web view's cache).
"""

from __future__ import annotations

from aggregator.core.config import AppConfig
from aggregator.store import migrations
from aggregator.store.changes import ChangesStore
from aggregator.store.deliveries import DeliveriesStore
from aggregator.store.engine import DEFAULT_POOL_SIZE, is_postgresql, open_engine
from aggregator.store.events import EventsStore
from aggregator.store.leases import LeasesStore
from aggregator.store.matching import BRIEF_CHARS, MatchingStore
from aggregator.store.migrations import SCHEMA_VERSION, Migration
from aggregator.store.postings import PostingsStore
from aggregator.store.statuses import StatusesStore

__all__ = ["BRIEF_CHARS", "SCHEMA_VERSION", "Migration", "Store", "migrate_store"]


class Store(
    PostingsStore,
    MatchingStore,
    DeliveriesStore,
    EventsStore,
    StatusesStore,
    LeasesStore,
    ChangesStore,
):
    """Postings, matches, deliveries, events and statuses, kept once and remembered between
    runs; and the leases that let several processes share the work."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        statement_timeout: float | None = None,
    ) -> None:
        self.url = url
        self.engine = open_engine(url, pool_size=pool_size, statement_timeout=statement_timeout)
        try:
            if is_postgresql(self.engine):
                migrations.require_current(self.engine, url)
            else:
                migrations.migrate(self.engine, url)
        except BaseException:
            self.engine.dispose()
            raise

    @classmethod
    def of(cls, config: AppConfig) -> Store:
        """The store of a configuration, with its connection settings."""
        storage = config.storage
        return cls(
            config.database_url,
            pool_size=storage.pool_size,
            statement_timeout=storage.statement_timeout,
        )

    def close(self) -> None:
        """Release pooled connections."""
        self.close_change_marker()
        self.engine.dispose()


def migrate_store(config: AppConfig) -> Migration:
    """Bring the configured database to SCHEMA_VERSION (creating its tables when it has none),
    without a statement timeout: a step may rewrite a large table."""
    url = config.database_url
    engine = open_engine(url, pool_size=1)
    try:
        return migrations.migrate(engine, url)
    finally:
        engine.dispose()
