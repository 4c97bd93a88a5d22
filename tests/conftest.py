"""Shared test settings."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """pytest-httpserver on 127.0.0.1 (its default is 'localhost'), on a free port."""
    return ("127.0.0.1", 0)
