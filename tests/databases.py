"""The databases the store's tests run against: SQLite files, and on the PostgreSQL server at
127.0.0.1:5432 (user postgres, trust authentication) a schema per test in a database of the
test session, dropped after (on the loaded 2-core machine a database took 0.3 s to create and
2 s to drop, a schema 0.03 s and 0.2 s, its tables 0.4-0.7 s), or a module's scratch schema
refilled with a copy of the module's seeded database (a few DELETE and INSERT … SELECT).

The fixtures that hand them out are in conftest.py (``backend``, ``database_url``).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from aggregator.store import migrations, schema
from aggregator.store.engine import open_engine
from aggregator.store.transfer import advance_sequences

# The server's port: 5432, or another where a test needs a server that is not there.
PORT = int(os.environ.get("LEADS_TEST_POSTGRES_PORT", "5432"))
REQUIRE_POSTGRES = "LEADS_REQUIRE_POSTGRES"  # "1" in CI: fail where a server is missing
POSTGRES_SERVER = f"postgresql+psycopg://postgres@127.0.0.1:{PORT}"
_ADMIN = f"host=127.0.0.1 port={PORT} user=postgres dbname=postgres connect_timeout=5"


@cache
def postgres_unavailable() -> str | None:
    """Why the test server cannot be used (None: it can)."""
    try:
        with psycopg.connect(_ADMIN):
            return None
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no PostgreSQL server at 127.0.0.1:{PORT} for user postgres ({first})"


def need_postgres() -> None:
    """Skip the test without a server, or fail it where CI requires one."""
    reason = postgres_unavailable()
    if reason and os.environ.get(REQUIRE_POSTGRES) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_POSTGRES}=1 forbids skipping", pytrace=False)
    if reason:
        pytest.skip(f"{reason}; start one (tests/setup-ci.sh) to run the PostgreSQL tests")


@contextmanager
def session_database() -> Iterator[str]:
    """A PostgreSQL database for one test session (the tests' schemas live in it), dropped
    at its end."""
    with new_postgres_database() as url:
        yield url


@contextmanager
def fresh_database(folder: Path, server: str | None) -> Iterator[str]:
    """A new migrated database's URL: leads.db in ``folder`` without a ``server``, else a
    schema of its own in the server's session database, dropped afterwards."""
    if server is None:
        url = f"sqlite:///{folder / 'leads.db'}"
        migrate(url)
        yield url
        return
    with new_schema(server) as url:
        migrate(url)
        yield url


def copy_database(url: str, folder: Path, scratch: str | None) -> str:
    """A copy of the database at ``url`` as it is now: leads.db in ``folder`` for SQLite; on
    PostgreSQL the migrated schema ``scratch``, emptied and filled from it (a schema made
    for each copy would cost the store's whole DDL each time)."""
    parsed = make_url(url)
    if scratch is None:
        shutil.copyfile(str(parsed.database), folder / "leads.db")
        return f"sqlite:///{folder / 'leads.db'}"
    source = _schema_of(url)
    tables = [t for t in schema.metadata.sorted_tables if t is not schema.schema_version]
    engine = create_engine(scratch)
    with engine.begin() as conn:
        for table in reversed(tables):  # children first
            conn.execute(table.delete())
        for table in tables:
            columns = ", ".join(f'"{c.name}"' for c in table.c)
            conn.execute(
                text(
                    f'INSERT INTO "{table.name}" ({columns}) '
                    f'SELECT {columns} FROM "{source}"."{table.name}"'
                )
            )
        advance_sequences(conn)
    engine.dispose()
    return scratch


@contextmanager
def new_schema(database: str) -> Iterator[str]:
    """The URL of a new empty schema in the PostgreSQL ``database`` (its connections find
    their tables there through search_path), dropped with all it holds afterwards."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_libpq(database), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield make_url(database).update_query_dict(
            {"options": f"-csearch_path={name}"}
        ).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(database), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def _schema_of(url: str) -> str:
    return str(make_url(url).query["options"]).removeprefix("-csearch_path=")


def _libpq(url: str) -> str:
    """libpq's connection string for a test server URL (without its options)."""
    parsed = make_url(url)
    return f"host=127.0.0.1 port={PORT} user=postgres dbname={parsed.database} connect_timeout=5"


@contextmanager
def new_postgres_database(icu_locale: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (sorting text by ``icu_locale`` when given, else as the
    server does), dropped afterwards."""
    name = f"leads_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if icu_locale is not None:
        create += sql.SQL(" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE {}").format(
            sql.Literal(icu_locale)
        )
    with psycopg.connect(_ADMIN, autocommit=True) as admin:
        admin.execute(create)
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with psycopg.connect(_ADMIN, autocommit=True) as admin:
            # FORCE: a leads process a test killed may still hold a connection
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def migrate(url: str) -> None:
    """Create the store's tables in the database at ``url`` (as `leads migrate` does)."""
    engine = open_engine(url)
    try:
        migrations.migrate(engine, url)
    finally:
        engine.dispose()


def storage_yaml(url: str) -> str:
    """A config's storage section for ``url``."""
    return f'storage: {{url: "{url}"}}\n'


def every_row(url: str) -> str:
    """Every row of every table of the store, as text (to look for what must not be kept)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return "\n".join(
                repr(tuple(row))
                for table in schema.metadata.sorted_tables
                for row in conn.execute(select(table))
            )
    finally:
        engine.dispose()


def row_counts(url: str, *tables: str) -> dict[str, int]:
    """How many rows each table holds."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table: conn.execute(
                    select(func.count()).select_from(schema.metadata.tables[table])
                ).scalar_one()
                for table in tables
            }
    finally:
        engine.dispose()
