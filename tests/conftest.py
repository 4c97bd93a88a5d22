"""Shared test settings, and the databases the store's tests run against.

Tests that take ``database_url`` (or a fixture built on ``backend``) run twice: on SQLite and
on the PostgreSQL server at 127.0.0.1:5432 (user postgres, trust authentication), each test
in a database of its own, created migrated and dropped afterwards. Without a server the
PostgreSQL runs are skipped with the reason; with LEADS_REQUIRE_POSTGRES=1 (CI) they fail.
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
from sqlalchemy.engine import make_url

from aggregator.store import migrations
from aggregator.store.engine import open_engine

POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=5"
REQUIRE_POSTGRES = "LEADS_REQUIRE_POSTGRES"
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """pytest-httpserver on 127.0.0.1 (its default is 'localhost'), on a free port."""
    return ("127.0.0.1", 0)


@cache
def postgres_unavailable() -> str | None:
    """Why the test server cannot be used (None: it can)."""
    try:
        with psycopg.connect(_ADMIN):
            return None
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no PostgreSQL server at 127.0.0.1:5432 for user postgres ({first})"


def need_postgres() -> None:
    """Skip the test without a server, or fail it where CI requires one."""
    reason = postgres_unavailable()
    if reason and os.environ.get(REQUIRE_POSTGRES) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_POSTGRES}=1 forbids skipping", pytrace=False)
    if reason:
        pytest.skip(f"{reason}; start one (tests/setup-ci.sh) to run the PostgreSQL tests")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database the store runs on: each test taking it runs on SQLite and PostgreSQL."""
    if request.param == "postgresql":
        need_postgres()
    return str(request.param)


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """The URL of a new PostgreSQL database without any table (not migrated)."""
    need_postgres()
    with _postgres_database() as url:
        yield url


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of its own for the test."""
    with fresh_database(backend, tmp_path) as url:
        yield url


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """A new migrated database's URL: leads.db in ``folder``, or a PostgreSQL database
    dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'leads.db'}"
        _migrate(url)
        yield url
        return
    with _postgres_database() as url:
        _migrate(url)
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
    with _postgres_database(template=str(parsed.database)) as copy:
        yield copy


@contextmanager
def _postgres_database(template: str | None = None) -> Iterator[str]:
    name = f"leads_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with psycopg.connect(_ADMIN, autocommit=True) as admin:
        admin.execute(create)
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with psycopg.connect(_ADMIN, autocommit=True) as admin:
            # FORCE: a leads process a test killed may still hold a connection
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _migrate(url: str) -> None:
    engine = open_engine(url)
    try:
        migrations.migrate(engine, url)
    finally:
        engine.dispose()
