"""collect → normalise → dedupe → store: the collection stage of a run (see also matching.py).

One failing source never stops a run: its error is recorded in the store and the report, and
every other source is collected as usual.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from aggregator.core.config import AppConfig, SourceOptions
from aggregator.core.errors import SourceError
from aggregator.core.fetching import Fetcher
from aggregator.core.intake import admitted
from aggregator.core.models import (
    FetchStatus,
    Posting,
    RunReport,
    SourceOutcome,
    SourceState,
)
from aggregator.core.workers import CpuPool
from aggregator.store import Store
from sources import CollectContext, Collected, Source, build_source
from sources.base import collect_in_time

if TYPE_CHECKING:
    from aggregator.core.dedupe import Signature

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
OnSourceDone = Callable[[SourceOutcome], None]


def collect(
    config: AppConfig,
    store: Store,
    now: Clock,
    *,
    only: Sequence[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    on_source_done: OnSourceDone | None = None,
) -> RunReport:
    """Collect every enabled source (or those named in ``only``) into the store."""
    options = [s for s in config.enabled_sources() if only is None or s.name in only]
    return asyncio.run(
        collect_async(
            config, store, now, options, transport=transport, on_source_done=on_source_done
        )
    )


async def collect_async(
    config: AppConfig,
    store: Store,
    now: Clock,
    options: Sequence[SourceOptions],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    on_source_done: OnSourceDone | None = None,
) -> RunReport:
    """The async body of :func:`collect`: all sources concurrently, within the HTTP limits."""
    report = RunReport(started_at=now())
    pool = CpuPool(jobs=len(options))
    # One writer thread: the store's CPU and disk work never blocks the event loop (which
    # would stall fetches and trip their deadlines), and writes stay one at a time.
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
    states = {s.name: s for s in store.source_states()}
    try:
        async with Fetcher(config.http, transport=transport) as fetcher:
            context = CollectContext(fetcher=fetcher, pool=pool, now=now)
            write = _Writer(store, writer, timedelta(days=config.dedupe.repost_window_days))
            tasks = [
                asyncio.create_task(
                    _collect_one(build_source(o), context, states.get(o.name), write)
                )
                for o in options
            ]
            for finished in asyncio.as_completed(tasks):
                outcome = await finished
                report.sources.append(outcome)
                if on_source_done is not None:
                    on_source_done(outcome)
            await write.flush(now())
    finally:
        pool.close()
        writer.shutdown()
    report.sources.sort(key=lambda s: s.name)
    report.finished_at = now()
    return report


class _Writer:
    """Store writes of a collection run, done in order on the writer thread."""

    def __init__(self, store: Store, executor: ThreadPoolExecutor, window: timedelta) -> None:
        self.store = store
        self.executor = executor
        self.repost_window = window
        self.unchanged: list[SourceState] = []

    async def _run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        call = functools.partial(function, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    async def failure(self, state: SourceState, reason: str, now: datetime) -> SourceOutcome:
        """Record a failed source."""
        log.info("source %s failed: %s", state.name, reason)
        await self._run(self.store.record_failure, state, reason, now)
        return SourceOutcome(name=state.name, status=FetchStatus.FAILED, error=reason)

    def not_modified(self, state: SourceState) -> None:
        """Note a 304; all are recorded together by :meth:`flush` (nothing is lost if a crash
        comes first: the next run asks again with the same validators)."""
        self.unchanged.append(state)

    async def flush(self, now: datetime) -> None:
        """Record the 304s noted so far."""
        if self.unchanged:
            await self._run(self.store.record_not_modified, self.unchanged, now)
            self.unchanged = []

    async def collected(
        self,
        state: SourceState,
        postings: Sequence[Posting],
        now: datetime,
        company_page: bool,
        signatures: Mapping[str, Signature | None] | None,
    ) -> tuple[int, int, int]:
        """Store postings with the new state; (new, updated, unchanged)."""
        result: tuple[int, int, int] = await self._run(
            self.store.save_collected,
            state,
            postings,
            now,
            company_page=company_page,
            repost_window=self.repost_window,
            signatures=signatures,
        )
        return result

    async def events(self, state: SourceState, collected: Collected, now: datetime) -> int:
        """Store an events source's state and replace its events; how many are kept."""

        def save() -> int:
            self.store.save_collected(state, [], now, repost_window=self.repost_window)
            return self.store.save_events(state.name, collected.events, now)

        kept: int = await self._run(save)
        return kept


async def _collect_one(
    source: Source, context: CollectContext, stored: SourceState | None, write: _Writer
) -> SourceOutcome:
    name = source.options.name
    state = state_for_run(stored or SourceState(name=name), source.options)
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
        return SourceOutcome(
            name=name, status=FetchStatus.NOT_MODIFIED, moved_to=collected.moved_to
        )
    if source.events:
        kept = await write.events(_state_after(state, collected), collected, context.now())
        return SourceOutcome(
            name=name, status=FetchStatus.OK, new=kept, moved_to=collected.moved_to,
            note=collected.note,
        )  # fmt: skip
    postings, beyond_limit = _within_limit(name, collected, context)
    new, updated, unchanged = await write.collected(
        _state_after(state, collected),
        postings,
        context.now(),
        company_page=source.company_page,
        signatures=await _signatures(name, postings, context.pool),
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


async def _signatures(
    name: str, postings: Sequence[Posting], pool: CpuPool
) -> Mapping[str, Signature | None] | None:
    """The descriptions' MinHash signatures (for finding duplicates), by text, worked out in a
    worker process; None when there are no worker processes (the store works them out).

    Hashing descriptions is the largest part of storing new postings, and the store runs on
    one thread of this process, which also fetches; the workers run beside it. They also hash
    postings the store already has (it alone knows which): spare cores' time, not this one's.
    """
    if not pool.in_processes or not postings:
        return None
    from aggregator.core import dedupe  # numpy: not imported by a run where all feeds are 304

    texts = list(dict.fromkeys(posting.description_text for posting in postings))
    try:
        return dict(zip(texts, await pool.run(dedupe.signatures, texts), strict=True))
    except Exception:  # a broken worker costs speed only: the store hashes them itself
        log.warning("source %s: descriptions hashed while storing", name, exc_info=True)
        return None


def _within_limit(
    name: str, collected: Collected, context: CollectContext
) -> tuple[list[Posting], int]:
    """The first ``http.max_items`` postings, admitted (see core.intake), and how many were left.

    Single-body sources stop reading at the limit (sources.read_limit) and count the rest;
    paged sources are cut here.
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
    return [admitted(posting) for posting in postings[:limit]], beyond


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
