"""The lease heartbeat when the database goes away mid-run: one line, not a traceback a beat."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import cast

import pytest
from sqlalchemy.exc import OperationalError

from aggregator.store.leases import Heartbeat, Lease, LeasesStore

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


class FlakyStore:
    """Renewals fail ``failures`` times (the server gone), then work; ``done`` is set after
    ``beats`` renewals."""

    def __init__(self, failures: int, beats: int) -> None:
        self.failures, self.beats, self.calls = failures, beats, 0
        self.done = threading.Event()

    def renew(self, lease: Lease) -> None:
        self.calls += 1
        if self.calls >= self.beats:
            self.done.set()
        if self.calls <= self.failures:
            raise OperationalError("UPDATE source_leases …", {}, Exception(
                "connection failed: connection to server at \"127.0.0.1\", port 5433 failed:\n"
                "  Connection refused"))  # fmt: skip


def test_a_database_gone_is_said_once_and_its_return_too(caplog: pytest.LogCaptureFixture) -> None:
    """Seen: a database gone mid-run logged a 100-line traceback at every beat, every 10 s,
    six times before the run's own one-line error."""
    store = FlakyStore(failures=4, beats=6)
    caplog.set_level(logging.INFO, logger="aggregator.store.leases")
    lease = Lease("vm:3952:90c2e26c", 0.003, lambda: NOW)

    with Heartbeat(cast(LeasesStore, store), lease):
        assert store.done.wait(10)

    records = [r for r in caplog.records if r.name == "aggregator.store.leases"]
    assert [r.levelno for r in records] == [logging.WARNING, logging.INFO]
    warning, back = records
    assert warning.exc_info is None
    assert warning.getMessage() == (
        "could not renew the leases of vm:3952:90c2e26c: connection failed: connection to "
        'server at "127.0.0.1", port 5433 failed:; Connection refused (trying again every 0 s)'
    )
    assert back.getMessage() == "the leases of vm:3952:90c2e26c are renewed again"
