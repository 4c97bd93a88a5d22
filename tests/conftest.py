"""Shared test settings, and the databases the store's tests run against.

Tests that take ``database_url`` (or a fixture built on ``backend``) run twice: on SQLite and
on the PostgreSQL server at 127.0.0.1:5432 (user postgres, trust authentication), each test
in a database of its own (a schema of the session's database), created migrated and dropped
afterwards; a test given a copy of its module's seeded database (``database_copy``) gets it in
the module's scratch schema, emptied and refilled before each test. Without a server the
PostgreSQL runs are skipped with the reason; with LEADS_REQUIRE_POSTGRES=1 (CI) they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from databases import (
    copy_database,
    fresh_database,
    need_postgres,
    new_schema,
    session_database,
)

from aggregator.store import Store

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """pytest-httpserver on 127.0.0.1 (its default is 'localhost'), on a free port."""
    return ("127.0.0.1", 0)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The test session's PostgreSQL database, where each test gets a schema of its own."""
    need_postgres()
    with session_database() as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str | None:
    """The database the store runs on: each test taking it runs on SQLite (None) and on
    PostgreSQL (the session's database)."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_server"))
    return None


@pytest.fixture
def database_url(backend: str | None, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of its own for the test."""
    with fresh_database(tmp_path, backend) as url:
        yield url


@pytest.fixture(scope="module")
def module_database(
    backend: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database a module's tests share: filled once, then copied for each test
    (``database_copy``), which is cheaper than filling it again."""
    with fresh_database(tmp_path_factory.mktemp("module-database"), backend) as url:
        yield url


@pytest.fixture(scope="module")
def module_scratch(
    backend: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str | None]:
    """On PostgreSQL a migrated schema each test of a module gets as its copy of
    ``module_database``, refilled before each; None on SQLite (a file copy is cheap)."""
    if backend is None:
        yield None
        return
    with fresh_database(tmp_path_factory.mktemp("scratch"), backend) as url:
        yield url


@pytest.fixture
def database_copy(module_database: str, module_scratch: str | None, tmp_path: Path) -> str:
    """The test's own copy of ``module_database`` (as the module's fixtures left it)."""
    return copy_database(module_database, tmp_path, module_scratch)


@pytest.fixture
def postgres_database(postgres_server: str, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty PostgreSQL database of its own, for PostgreSQL's own behaviour."""
    with fresh_database(tmp_path, postgres_server) as url:
        yield url


@pytest.fixture
def empty_postgres(postgres_server: str) -> Iterator[str]:
    """A new PostgreSQL database (a schema of its own) without any table: not migrated."""
    with new_schema(postgres_server) as url:
        yield url


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty store in a SQLite file of the test's own."""
    opened = Store(f"sqlite:///{tmp_path / 'leads.db'}")
    yield opened
    opened.close()
