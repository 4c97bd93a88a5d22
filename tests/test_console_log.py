"""What a command prints itself is held back from its console log, unless it fails first."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from aggregator.cli._common import console_log_without

MARK = "failed_digest"
log = logging.getLogger("aggregator.stages.digest")


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def test_a_marked_record_is_held_back_when_the_command_prints_it(console: io.StringIO) -> None:
    with console_log_without(MARK):
        log.warning("digest for maria not delivered: 550", extra={MARK: "maria"})
        log.warning("something else")
    assert console.getvalue() == "something else\n"


def test_held_records_reach_the_console_when_the_command_fails_first(
    console: io.StringIO,
) -> None:
    """Seen: maria's 550 was held back for the summary, then the database failed, no summary
    came, and the cron mail said only "the database is locked"."""
    with pytest.raises(RuntimeError), console_log_without(MARK):
        log.warning("digest for maria not delivered: 550", extra={MARK: "maria"})
        raise RuntimeError("the database is locked")
    assert console.getvalue() == "digest for maria not delivered: 550\n"
    log.warning("after", extra={MARK: "dev"})  # the filter is gone
    assert console.getvalue().endswith("after\n")
