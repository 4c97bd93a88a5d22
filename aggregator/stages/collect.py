"""collect → normalise → dedupe → store: the collection stage of a run (see also matching.py).

One failing source never stops a run: its error is recorded in the store and the report, and
every other source is collected as usual.

Several collectors share the work (``leads collect --workers N``, or collectors on several
hosts on one database): each joins the open collection round and leases the sources it
fetches (aggregator.store.leases), so every source is fetched once per round. A collector
ends when every one of its sources was fetched in the round, by it or by another; while
another live collector still holds some, it waits, and takes over any whose lease runs out
(the holder died).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx

from aggregator.core import eventloop
from aggregator.core.config import AppConfig, SourceOptions
from aggregator.core.errors import SourceError, StoreError
from aggregator.core.fetching import Fetcher
from aggregator.core.intake import Prepared, prepared
from aggregator.core.models import (
    FetchStatus,
    Posting,
    RunReport,
    SourceOutcome,
    SourceState,
)
from aggregator.core.workers import CpuPool, start_worker
from aggregator.store import Store
from aggregator.store.leases import Heartbeat, Lease, new_holder
from sources import CollectContext, Collected, Source, build_source
from sources.base import collect_in_time

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
OnSourceDone = Callable[[SourceOutcome], None]
# While other collectors hold the last sources of a round, look again this often (at most).
MAX_POLL_SECONDS = 1.0


def collect(
    config: AppConfig,
    store: Store,
    now: Clock,
    *,
    only: Sequence[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    on_source_done: OnSourceDone | None = None,
) -> RunReport:
    """Collect every enabled source (or those named in ``only``) into the store, sharing the
    round with any other collector on the same database."""
    options = selected(config, only)
    return eventloop.run(
        collect_async(
            config, store, now, options, transport=transport, on_source_done=on_source_done
        )
    )


def selected(config: AppConfig, only: Sequence[str] | None) -> list[SourceOptions]:
    """The enabled sources, or those of them named in ``only``."""
    return [s for s in config.enabled_sources() if only is None or s.name in only]


def collect_with_workers(
    config: AppConfig,
    store: Store,
    now: Clock,
    workers: int,
    *,
    only: Sequence[str] | None = None,
    on_source_done: OnSourceDone | None = None,
) -> RunReport:
    """:func:`collect` in this process and ``workers - 1`` more, which share the round as
    collectors on other hosts would; one report for all. ``now`` must be a module-level
    function (the other processes are given it by name)."""
    if workers <= 1:
        return collect(config, store, now, only=only, on_source_done=on_source_done)
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(
        max_workers=workers - 1,
        mp_context=context,
        initializer=start_worker,
        initargs=(os.getpid(),),
    ) as pool:
        others = [pool.submit(_worker, config, now, only) for _ in range(workers - 1)]
        report = collect(config, store, now, only=only, on_source_done=on_source_done)
        for future in others:
            _merge(report, future, on_source_done)
    report.sources.sort(key=lambda s: s.name)
    report.finished_at = now()
    return report


def _worker(config: AppConfig, now: Clock, only: Sequence[str] | None) -> RunReport:
    """One worker process of :func:`collect_with_workers`."""
    store = Store(config.database_url)
    try:
        return collect(config, store, now, only=only)
    finally:
        store.close()


def _merge(
    report: RunReport, other: Future[RunReport], on_source_done: OnSourceDone | None
) -> None:
    for outcome in other.result().sources:
        report.sources.append(outcome)
        if on_source_done is not None:
            on_source_done(outcome)


async def collect_async(
    config: AppConfig,
    store: Store,
    now: Clock,
    options: Sequence[SourceOptions],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    on_source_done: OnSourceDone | None = None,
) -> RunReport:
    """The async body of :func:`collect`: the sources this collector leases, concurrently,
    within the HTTP limits, until the round has none of ``options`` left to fetch."""
    report = RunReport(started_at=now())
    pool = CpuPool(jobs=len(options))
    # One writer thread: the store's CPU and disk work never blocks the event loop (which
    # would stall fetches and trip their deadlines), and writes stay one at a time.
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
    lease = Lease(new_holder(), config.storage.lease_seconds, now)
    by_name = {o.name: o for o in options}
    try:
        with Heartbeat(store, lease):
            async with Fetcher(config.http, transport=transport) as fetcher:
                context = CollectContext(fetcher=fetcher, pool=pool, now=now)
                write = _Writer(store, writer, timedelta(days=config.dedupe.repost_window_days))
                share = _Share(write, lease, list(by_name))
                await share.join()
                running: dict[asyncio.Task[SourceOutcome], str] = {}
                try:
                    while True:
                        claimed = await share.claim(config.http.concurrency - len(running))
                        states = await write.states(claimed)
                        for name in claimed:
                            source = build_source(by_name[name])
                            task = _collect_one(source, context, states[name], write)
                            running[asyncio.create_task(task)] = name
                        if not running:
                            if await share.settled():
                                break
                            continue
                        done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                        for outcome in await _finished(share, running, done):
                            report.sources.append(outcome)
                            if on_source_done is not None:
                                on_source_done(outcome)
                finally:
                    await _cancelled(running)
                await write.flush(now())
    finally:
        pool.close()
        writer.shutdown()
    report.sources.sort(key=lambda s: s.name)
    report.finished_at = now()
    return report


async def _finished(
    share: _Share, running: dict[asyncio.Task[SourceOutcome], str],
    done: set[asyncio.Task[SourceOutcome]],
) -> list[SourceOutcome]:
    """The outcomes of the ``done`` tasks, taken out of ``running`` and marked done in the
    round; the error of one that failed (the database gone: no outcome could be recorded) is
    raised after the others are marked, and its source is left for a collector to take."""
    ended = {task: running.pop(task) for task in done}
    ok = [task for task in done if task.exception() is None]
    await share.finish([ended[task] for task in ok])
    for task in done:
        if (error := task.exception()) is not None:
            raise error
    return [task.result() for task in ok]


async def _cancelled(running: dict[asyncio.Task[SourceOutcome], str]) -> None:
    """Cancel the tasks still ``running`` and wait for them: none may outlive the pools and
    the store writer they use, nor leave its error unread."""
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)


class _Share:
    """This collector's part in a collection round (store calls on the writer thread)."""

    def __init__(self, write: _Writer, lease: Lease, names: list[str]) -> None:
        self.write = write
        self.lease = lease
        self.names = names
        self.round_id = 0
        self.poll = min(lease.seconds / 4, MAX_POLL_SECONDS)
        # False once a claim got fewer than it asked for: the round has no free source left
        # until settled() looks again (saves a claim per finished source).
        self.more = True

    async def join(self) -> None:
        """Join the open round (or open one); what it stores is first seen at its start."""
        joined = await self.write.call(self.write.store.join_round, self.names, self.lease)
        self.round_id = joined.id
        self.write.first_seen = joined.started_at

    async def claim(self, limit: int) -> list[str]:
        """Lease up to ``limit`` sources still to fetch in the round."""
        if not (self.more and limit > 0):
            return []
        store = self.write.store
        claimed: list[str] = await self.write.call(
            store.claim_sources, self.round_id, self.names, self.lease, limit
        )
        self.more = len(claimed) == limit
        return claimed

    async def finish(self, names: list[str]) -> None:
        """Mark ``names`` fetched in the round."""
        lost = await self.write.call(
            self.write.store.finish_sources, self.round_id, names, self.lease
        )
        for name in lost:
            log.warning(
                "source %s: its lease ran out before it was stored and another collector "
                "took it (storage.lease_seconds too short for this machine?)",
                name,
            )

    async def settled(self) -> bool:
        """True once the round has none of this collector's sources left to fetch; else
        wait a moment (other live collectors hold them, or their leases are running out)."""
        state = await self.write.call(
            self.write.store.round_state, self.round_id, self.names, self.lease
        )
        if not state.to_do:
            return True
        if state.leased_elsewhere:
            log.debug("%d sources held by other collectors; waiting", state.leased_elsewhere)
        await asyncio.sleep(self.poll)
        self.more = True
        return False


class _Writer:
    """Store writes of a collection run, done in order on the writer thread."""

    def __init__(self, store: Store, executor: ThreadPoolExecutor, window: timedelta) -> None:
        self.store = store
        self.executor = executor
        self.repost_window = window
        self.unchanged: list[SourceState] = []
        # The round's start (set on joining it): sightings of a job on two sources of one
        # round tie, whichever source finished first (see store.rows.SHOWN_FIRST).
        self.first_seen: datetime | None = None

    async def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)`` on the writer thread."""
        call = functools.partial(function, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    async def states(self, names: list[str]) -> dict[str, SourceState]:
        """The sources' stored states as they are now (another collector may have changed
        them), by name."""
        if not names:
            return {}
        states: dict[str, SourceState] = await self.call(self.store.states_of, names)
        return states

    async def failure(self, state: SourceState, reason: str, now: datetime) -> SourceOutcome:
        """Record a failed source."""
        # DEBUG: the run's report names it (`leads collect` on stderr, `leads run` and
        # `leads schedule` as a warning), once.
        log.debug("source %s failed: %s", state.name, reason)
        await self.call(self.store.record_failure, state, reason, now)
        return SourceOutcome(name=state.name, status=FetchStatus.FAILED, error=reason)

    def not_modified(self, state: SourceState) -> None:
        """Note a 304; all are recorded together by :meth:`flush` (nothing is lost if a crash
        comes first: the next run asks again with the same validators)."""
        self.unchanged.append(state)

    async def flush(self, now: datetime) -> None:
        """Record the 304s noted so far."""
        if self.unchanged:
            await self.call(self.store.record_not_modified, self.unchanged, now)
            self.unchanged = []

    async def collected(
        self, state: SourceState, batch: Sequence[Prepared], now: datetime, company_page: bool
    ) -> tuple[int, int, int]:
        """Store prepared postings with the new state; (new, updated, unchanged)."""
        result: tuple[int, int, int] = await self.call(
            self.store.save_prepared,
            state,
            batch,
            now,
            company_page=company_page,
            repost_window=self.repost_window,
            first_seen=self.first_seen,
        )
        return result

    async def events(self, state: SourceState, collected: Collected, now: datetime) -> int:
        """Store an events source's state and replace its events; how many are kept."""

        def save() -> int:
            self.store.save_collected(state, [], now, repost_window=self.repost_window)
            return self.store.save_events(state.name, collected.events, now)

        kept: int = await self.call(save)
        return kept


async def _collect_one(
    source: Source, context: CollectContext, stored: SourceState, write: _Writer
) -> SourceOutcome:
    name = source.options.name
    state = state_for_run(stored, source.options)
    try:
        collected = await collect_in_time(source, context, state)
    except SourceError as exc:
        return await write.failure(state, str(exc), context.now())
    except Exception as exc:  # a bug in one source's code must not stop the other sources
        log.exception("unexpected error in source %s", name)
        reason = f"internal error ({type(exc).__name__}: {exc}); please report it with the log"
        return await write.failure(state, reason, context.now())
    if collected.skipped:
        log.info("source %s skipped: %s", name, collected.skipped)
        return SourceOutcome(name=name, status=FetchStatus.SKIPPED, error=collected.skipped)
    if collected.not_modified:
        write.not_modified(replace(state, url=collected.moved_to or state.url))
        # Its postings are those of its last answer, unchanged: counted so, as a 200 with
        # the same content is (a run's summary said "0 unchanged" for six sources' 304s).
        return SourceOutcome(
            name=name, status=FetchStatus.NOT_MODIFIED, unchanged=stored.last_item_count,
            moved_to=collected.moved_to,
        )  # fmt: skip
    try:
        return await _stored(source, state, collected, context, write)
    except StoreError as exc:
        # The database refused this source's haul (a value it cannot hold, a statement
        # timeout): it fails this round and the others go on. Its validators were not saved
        # with it, so its next fetch brings everything again.
        again = "its next fetch brings them again; if this repeats, see the database's log"
        return await write.failure(state, f"{exc} — {again}", context.now())


async def _stored(
    source: Source, state: SourceState, collected: Collected, context: CollectContext,
    write: _Writer,
) -> SourceOutcome:
    """Store what a source collected (its events, or its postings) with its new state."""
    name = source.options.name
    if source.events:
        kept = await write.events(_state_after(state, collected), collected, context.now())
        return SourceOutcome(
            name=name, status=FetchStatus.OK, new=kept, moved_to=collected.moved_to,
            note=collected.note,
        )  # fmt: skip
    batch, beyond_limit = await _within_limit(name, collected, context, write)
    new, updated, unchanged = await write.collected(
        _state_after(state, collected), batch, context.now(), company_page=source.company_page
    )
    return SourceOutcome(
        name=name,
        status=FetchStatus.OK,
        new=new,
        updated=updated,
        unchanged=unchanged,
        moved_to=collected.moved_to,
        note=collected.note,
        beyond_limit=beyond_limit,
    )


async def _within_limit(
    name: str, collected: Collected, context: CollectContext, write: _Writer
) -> tuple[list[Prepared], int]:
    """The first ``http.max_items`` postings, prepared for the store (see core.intake), and
    how many were left.

    Single-body sources stop reading at the limit (sources.read_limit), count the rest and
    prepare what they read where they parsed it; paged sources are cut and prepared here.
    """
    postings = collected.postings
    limit = context.fetcher.settings.max_items
    beyond = max(0, len(postings) - limit) + collected.beyond_limit
    if beyond:
        log.warning(
            "source %s sent %d items; stored the first %d (http.max_items) and left %d",
            name,
            len(postings[:limit]) + beyond,
            limit,
            beyond,
        )
    if collected.prepared is not None:
        return collected.prepared, beyond
    return await _prepared(name, postings[:limit], context.pool, write), beyond


async def _prepared(
    name: str, postings: list[Posting], pool: CpuPool, write: _Writer
) -> list[Prepared]:
    """The postings prepared for the store in the CPU pool (hashing descriptions is the
    largest part of storing new postings, and the store's thread shares this process with
    the fetching), else on the store's thread."""
    if not postings:
        return []
    try:
        return await pool.run(prepared, postings)
    except Exception:  # a broken worker costs speed only: the store's thread prepares them
        log.warning("source %s: postings prepared while storing", name, exc_info=True)
        result: list[Prepared] = await write.call(prepared, postings)
        return result


def state_for_run(stored: SourceState, options: SourceOptions) -> SourceState:
    """The stored state, forgotten when the configured URL changed since it was recorded."""
    if stored.config_url != options.url:
        return replace(stored, config_url=options.url, url=None, etag=None, last_modified=None)
    return stored


def _state_after(state: SourceState, collected: Collected) -> SourceState:
    return replace(
        state,
        url=collected.moved_to or state.url,
        etag=collected.etag,
        last_modified=collected.last_modified,
    )
