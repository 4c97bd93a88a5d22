"""Shared test settings, and the databases the store's tests run against.

Tests that take ``database_url`` (or a fixture built on ``backend``) run twice: on SQLite and
on the PostgreSQL server at 127.0.0.1:5432 (user postgres, trust authentication), each test
in a database of its own, created migrated and dropped afterwards. Without a server the
PostgreSQL runs are skipped with the reason; with LEADS_REQUIRE_POSTGRES=1 (CI) they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from databases import (
    copied_database,
    fresh_database,
    need_postgres,
    new_postgres_database,
)

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """pytest-httpserver on 127.0.0.1 (its default is 'localhost'), on a free port."""
    return ("127.0.0.1", 0)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database the store runs on: each test taking it runs on SQLite and PostgreSQL."""
    if request.param == "postgresql":
        need_postgres()
    return str(request.param)


@pytest.fixture(scope="module")
def module_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database a module's tests share: filled once, then copied for each test
    (``database_copy``), which is cheaper than filling it again."""
    with fresh_database(backend, tmp_path_factory.mktemp("module-database")) as url:
        yield url


@pytest.fixture
def database_copy(module_database: str, tmp_path: Path) -> Iterator[str]:
    """The test's own copy of ``module_database`` (as the module's fixtures left it)."""
    with copied_database(module_database, tmp_path) as url:
        yield url


@pytest.fixture
def postgres_database(tmp_path: Path) -> Iterator[str]:
    """A migrated, empty PostgreSQL database of its own, for PostgreSQL's own behaviour."""
    need_postgres()
    with fresh_database("postgresql", tmp_path) as url:
        yield url


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """The URL of a new PostgreSQL database without any table (not migrated)."""
    need_postgres()
    with new_postgres_database() as url:
        yield url


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of its own for the test."""
    with fresh_database(backend, tmp_path) as url:
        yield url
