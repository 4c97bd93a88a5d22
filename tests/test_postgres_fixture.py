"""The store fixture without a PostgreSQL server: a developer's run skips the PostgreSQL tests
and says why; CI's (LEADS_REQUIRE_POSTGRES=1) fails them instead of skipping."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pytest_without_server(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    test = f"{TESTS / 'test_storage.py'}::test_unknown_source_has_empty_state"
    return subprocess.run(
        [sys.executable, "-m", "pytest", test, "-rs", "-p", "no:cacheprovider", "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "LEADS_TEST_POSTGRES_PORT": str(closed_port()), **env},
        timeout=120,
    )


def test_without_a_server_the_postgresql_runs_are_skipped_with_the_reason(
    tmp_path: Path,
) -> None:
    result = pytest_without_server(tmp_path, LEADS_REQUIRE_POSTGRES="")  # not CI's
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 skipped" in result.stdout
    assert "SKIPPED" in result.stdout and "no PostgreSQL server at 127.0.0.1:" in result.stdout


def test_where_postgresql_is_required_a_missing_server_fails(tmp_path: Path) -> None:
    result = pytest_without_server(tmp_path, LEADS_REQUIRE_POSTGRES="1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed, 1 error" in result.stdout
    assert "LEADS_REQUIRE_POSTGRES=1 forbids skipping" in result.stdout
