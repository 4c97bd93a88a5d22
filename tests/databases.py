"""The databases the store's tests run against: SQLite files and PostgreSQL databases on the
server at 127.0.0.1:5432 (user postgres, trust authentication), one per test, dropped after.

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
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from aggregator.store import migrations, schema
from aggregator.store.engine import open_engine

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
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """A new migrated database's URL: leads.db in ``folder``, or a PostgreSQL database
    dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'leads.db'}"
        migrate(url)
        yield url
        return
    with new_postgres_database() as url:
        migrate(url)
        yield url


@contextmanager
def copied_database(url: str, folder: Path) -> Iterator[str]:
    """A copy of the database at ``url`` (nobody may be using it): leads.db in ``folder``,
    or a PostgreSQL database made from it as a template, dropped afterwards."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        shutil.copyfile(str(parsed.database), folder / "leads.db")
        yield f"sqlite:///{folder / 'leads.db'}"
        return
    with new_postgres_database(template=str(parsed.database)) as copy:
        yield copy


@contextmanager
def new_postgres_database(
    template: str | None = None, icu_locale: str | None = None
) -> Iterator[str]:
    """A new PostgreSQL database (a copy of ``template``, else empty; sorting text by
    ``icu_locale`` when given, else as the server does), dropped afterwards."""
    name = f"leads_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
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
