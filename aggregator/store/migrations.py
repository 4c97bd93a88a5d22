"""The schema's version history: one numbered migration per change to an existing table.

Migrations from version N-1 to N change existing tables with explicit DDL. New tables are not
listed: after the migrations, create_all adds every table a database lacks (which also repairs
early schema-1 databases made before the matching tables existed). A new database is created
at the current schema directly and stamped. To change the schema, bump SCHEMA_VERSION and
append a step to MIGRATIONS (a step may be empty when the version only adds tables).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Connection, Engine, insert, inspect, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from aggregator.core.errors import StoreError
from aggregator.store.schema import (
    feedback,
    lead_statuses,
    mentee_progress,
    metadata,
    schema_version,
)

log = logging.getLogger(__name__)

SCHEMA_VERSION = 5


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
}


def migrate(engine: Engine, url: str) -> None:
    """Bring the database at ``url`` to SCHEMA_VERSION in one transaction (or create it)."""
    try:
        with engine.begin() as conn:
            version = _schema_version(conn)
            if version is None:
                metadata.create_all(conn)
                conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))
                return
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the database at {url} has schema version {version}, newer than "
                    f"this mentor-leads understands ({SCHEMA_VERSION}); upgrade mentor-leads"
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                log.info("migrating the store to schema version %d", target)
                MIGRATIONS[target](conn)
                conn.execute(update(schema_version).values(version=target))
            metadata.create_all(conn)  # tables added since the database's version
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot open the database at {url}: {getattr(exc, 'orig', None) or exc} "
            "— check storage.url and that its folder exists and is writable"
        ) from exc


def _schema_version(conn: Connection) -> int | None:
    if not conn.dialect.has_table(conn, "schema_version"):
        return None
    return conn.execute(select(schema_version.c.version)).scalar_one_or_none()
