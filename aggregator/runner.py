"""A whole run — collect → match → digest — under the run lock, for cron and the scheduler.

Each step commits its own work before the next starts (postings, then matches, then each
digest with its deliveries), so a run killed at any point leaves a consistent store and the
next run picks up where it stopped: sources are fetched again (already stored postings are
recognised), unscored leads are scored, and undelivered leads are still pending.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import httpx

from aggregator.core.config import AppConfig
from aggregator.core.errors import StoreError
from aggregator.core.models import RunReport
from aggregator.stages import collect as collect_stage
from aggregator.stages import digest as digest_stage
from aggregator.stages import match as match_stage
from aggregator.stages.digest import DigestReport
from aggregator.stages.match import MatchReport
from aggregator.store import Store
from aggregator.store.engine import sqlite_file
from aggregator.store.locking import run_lock
from digests.senders import Sender

log = logging.getLogger(__name__)
# The attribute of the log record that names a source the collect step could not collect
# (`leads run` lists those in its summary, and leaves these records out of its console log).
FAILED_SOURCE = "failed_source"

Clock = Callable[[], datetime]


class Step(StrEnum):
    """The steps of a run, in the order they run."""

    COLLECT = "collect"
    MATCH = "match"
    DIGEST = "digest"


ALL_STEPS = tuple(Step)


@dataclass(slots=True)
class RunOutcome:
    """What each step of a run did (None: the step did not run)."""

    collected: RunReport | None = None
    matched: MatchReport | None = None
    digests: DigestReport | None = None
    stopped: bool = False  # a stop was requested and the remaining steps were skipped

    @property
    def ok(self) -> bool:
        """True when no source and no delivery failed."""
        return (self.collected is None or self.collected.ok) and (
            self.digests is None or self.digests.ok
        )


def parse_steps(text: str) -> tuple[Step, ...]:
    """``collect,match`` → the steps in run order; ValueError naming the unknown ones."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = sorted(set(names) - {s.value for s in Step})
    if unknown or not names:
        raise ValueError(
            f"unknown step {', '.join(unknown) or '(none given)'}: use a comma-separated "
            f"list of {', '.join(s.value for s in Step)}"
        )
    return tuple(s for s in Step if s.value in names)


class DatabaseKept:
    """For a process that runs again and again (``leads schedule``): a SQLite file it has
    seen must still be there. Removed while it runs, opening it would make a new, empty
    database, and its first digests would send every mentor their leads again."""

    def __init__(self, config: AppConfig) -> None:
        self._file = sqlite_file(config.database_url)
        self._seen = False

    def check(self) -> None:
        """StoreError when the file was seen before and is gone now; else note it if there."""
        if self._file is None:
            return
        if self._file.exists():
            self._seen = True
        elif self._seen:
            raise StoreError(
                f"the database {self._file} was removed while leads schedule ran: not "
                "starting a new, empty one, whose digests would send every mentor their leads "
                "again — restore the file, or restart leads schedule to begin afresh"
            )


def run(
    config: AppConfig,
    now: Clock,
    steps: Collection[Step] = ALL_STEPS,
    *,
    mentor: str | None = None,
    stop: threading.Event | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sender_factory: Callable[[], Sender] | None = None,
    on_busy: Callable[[str], object] | None = None,
    kept: DatabaseKept | None = None,
) -> RunOutcome:
    """Run the given steps under the run lock: when another run holds it, RunLockedError
    (cron's `leads run`: the next run does the work), or, given ``on_busy``, wait for it
    after telling ``on_busy`` who holds it (a scheduler's job, which has recorded that it
    runs this fire time: given up, that fire would be nobody's).

    Digests go only to mentors whose schedule says they are due (only to ``mentor``, when
    given). ``stop`` (set by a signal handler) lets the current step finish and skips the rest.
    ``kept`` refuses to run on a SQLite file that was removed since an earlier run saw it.
    """
    outcome = RunOutcome()
    with run_lock(config, now(), on_busy=on_busy):
        if kept is not None:
            kept.check()
        store = Store.of(config)
        if kept is not None:
            kept.check()  # made by this run, perhaps: seen from now on
        try:
            for step in (s for s in Step if s in steps):
                if stop is not None and stop.is_set():
                    outcome.stopped = True
                    log.info("stop requested: skipping %s and what follows", step)
                    break
                _run_step(step, config, store, now, outcome, mentor, transport, sender_factory)
        finally:
            store.close()
    return outcome


def _run_step(
    step: Step,
    config: AppConfig,
    store: Store,
    now: Clock,
    outcome: RunOutcome,
    mentor: str | None,
    transport: httpx.AsyncBaseTransport | None,
    sender_factory: Callable[[], Sender] | None,
) -> None:
    log.info("%s: starting", step)
    if step is Step.COLLECT:
        outcome.collected = collect_stage.collect(config, store, now, transport=transport)
        # A warning each: an unattended run's log must name what failed at any level.
        for failed in outcome.collected.failures:
            named = {FAILED_SOURCE: failed.name}
            log.warning("source %s failed: %s", failed.name, failed.error, extra=named)
        log.info(
            "collect: done (%d new, %d failed sources)",
            outcome.collected.total("new"),
            len(outcome.collected.failures),
        )
    elif step is Step.MATCH:
        outcome.matched = match_stage.match(config, store, now)
        log.info("match: done (%d matches stored)", outcome.matched.matches_stored)
    else:
        outcome.digests = digest_stage.deliver(
            config, store, now, mentor=mentor, due_only=True, sender_factory=sender_factory
        )
        log.info("digest: done (%d failed)", len(outcome.digests.failures))
