"""The schema's version history: one numbered migration per change to an existing table.

Migrations from version N-1 to N change existing tables with explicit DDL. New tables are not
listed: after the migrations, create_all adds every table a database lacks (which also repairs
early schema-1 databases made before the matching tables existed). A new database is created
at the current schema directly and stamped. To change the schema, bump SCHEMA_VERSION and
append a step to MIGRATIONS (a step may be empty when the version only adds tables). One
history serves SQLite and PostgreSQL: steps use SQLAlchemy's DDL for the connection's dialect.

A SQLite store is migrated when it is opened (the embedded default needs no extra step); a
PostgreSQL one only by `leads migrate`, and opening it checks the version (``require_current``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Engine, insert, inspect, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from aggregator.core.errors import StoreError
from aggregator.store.engine import one_line, shown_url
from aggregator.store.leases import one_at_a_time
from aggregator.store.schema import (
    feedback,
    lead_statuses,
    mentee_progress,
    metadata,
    postings,
    postings_updated,
    schema_version,
)

log = logging.getLogger(__name__)

SCHEMA_VERSION = 8
MIGRATION_LOCK = 0x6C656164_6D696772  # 'leadmigr': the advisory lock key of `leads migrate`


def _to_schema_2(conn: Connection) -> None:
    """Profile vectors kept with matching progress (and the new deliveries table)."""
    _add_column(conn, mentee_progress.c.profile_vectors)


def _to_schema_3(conn: Connection) -> None:
    """Only a new table, digest_runs."""


def _to_schema_4(conn: Connection) -> None:
    """Only a new table, events."""


def _to_schema_5(conn: Connection) -> None:
    """Mentees' statuses (and the web view's private links, a new table): every verdict
    given so far becomes the first status of its lead, so the web view shows it."""
    lead_statuses.create(conn, checkfirst=True)
    if not inspect(conn).has_table(feedback.name):  # an early database, before feedback
        return
    conn.execute(
        insert(lead_statuses).from_select(
            ["mentee_id", "lead_id", "status", "at"],
            select(feedback.c.mentee_id, feedback.c.lead_id, feedback.c.verdict, feedback.c.at),
        )
    )


def _to_schema_6(conn: Connection) -> None:
    """Only new tables: collection rounds and source leases, digest claims and job runs
    (several processes on one database)."""


def _to_schema_7(conn: Connection) -> None:
    """When applications close, as each sighting says (postings stored before have none)."""
    _add_column(conn, postings.c.closes_at)


def _to_schema_8(conn: Connection) -> None:
    """Matching finds the leads that changed since it scored a mentee (a closed job may have
    reopened): an index of when each posting was last written, and how far each mentee's
    scoring saw."""
    if inspect(conn).has_table(postings.name):  # else create_all makes the table whole
        postings_updated.create(conn, checkfirst=True)
    _add_column(conn, mentee_progress.c.changes_through)


def _add_column(conn: Connection, column: Column[Any]) -> None:
    """Add ``column`` to its table unless the table is missing (create_all makes it whole)."""
    found = inspect(conn)
    table = column.table.name
    if found.has_table(table) and column.name not in {c["name"] for c in found.get_columns(table)}:
        kind = column.type.compile(dialect=conn.dialect)
        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column.name} {kind}"))


MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    2: _to_schema_2,
    3: _to_schema_3,
    4: _to_schema_4,
    5: _to_schema_5,
    6: _to_schema_6,
    7: _to_schema_7,
    8: _to_schema_8,
}


@dataclass(frozen=True)
class Migration:
    """What ``migrate`` did: the version found (None: an empty database) and the one left."""

    before: int | None
    after: int

    @property
    def applied(self) -> list[int]:
        """The migration steps run (none for a database created at the current version)."""
        return list(range(self.before + 1, self.after + 1)) if self.before is not None else []


def migrate(engine: Engine, url: str) -> Migration:
    """Bring the database at ``url`` to SCHEMA_VERSION in one transaction (or create it).

    On PostgreSQL a transaction-scoped advisory lock makes a second `leads migrate` (another
    host) wait for the first and then find nothing to do.
    """
    try:
        # SQLite: BEGIN IMMEDIATE, so processes opening one new database at once (collectors,
        # schedulers) migrate it one after the other and the later ones find it done.
        with one_at_a_time(engine, MIGRATION_LOCK) as conn:
            version = schema_version_of(conn)
            if version is None:
                metadata.create_all(conn)
                conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))
                return Migration(None, SCHEMA_VERSION)
            _refuse_newer(version, url)
            for target in range(version + 1, SCHEMA_VERSION + 1):
                log.info("migrating the store to schema version %d", target)
                MIGRATIONS[target](conn)
                conn.execute(update(schema_version).values(version=target))
            metadata.create_all(conn)  # tables added since the database's version
            return Migration(version, max(version, SCHEMA_VERSION))
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot open the database at {shown_url(url)}: {one_line(exc)} — {what_to_do(exc)}"
        ) from exc


def what_to_do(exc: SQLAlchemyError) -> str:
    """What to do about a database that cannot be opened: one another program kept locked
    past SQLite's busy_timeout is no matter of the URL or the folder."""
    if "database is locked" in one_line(exc):
        return ("another program kept it locked (another `leads` process, a database browser "
                "holding a transaction open): try again once it is done")
    return "check storage.url and that its folder exists and is writable"


def require_current(engine: Engine, url: str) -> None:
    """Refuse a database not at SCHEMA_VERSION, saying what to run (PostgreSQL is shared by
    several hosts, so only `leads migrate` changes its schema, never a command on the side)."""
    try:
        with engine.connect() as conn:
            version = schema_version_of(conn)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot read the schema version of the database at {shown_url(url)}: "
            f"{one_line(exc)} — check storage.url"
        ) from exc
    if version is None:
        raise StoreError(
            f"the database at {shown_url(url)} has no mentor-leads tables yet "
            "— run `leads migrate` to create them"
        )
    _refuse_newer(version, url)
    if version < SCHEMA_VERSION:
        raise StoreError(
            f"the database at {shown_url(url)} has schema version {version}; this "
            f"mentor-leads needs version {SCHEMA_VERSION} — run `leads migrate`"
        )


def _refuse_newer(version: int, url: str) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the database at {shown_url(url)} has schema version {version}, newer than "
            f"this mentor-leads understands ({SCHEMA_VERSION}); upgrade mentor-leads"
        )


def schema_version_of(conn: Connection) -> int | None:
    """The database's schema version (None: no mentor-leads tables)."""
    if not conn.dialect.has_table(conn, "schema_version"):
        return None
    return conn.execute(select(schema_version.c.version)).scalar_one_or_none()
