"""collect → normalise → dedupe → store (→ match → digest as they land); returns a RunReport.

One failing source never stops a run: its error is recorded in the store and the report, and
every other source is collected as usual.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import httpx

from aggregator.config import AppConfig, SourceOptions
from aggregator.errors import SourceError
from aggregator.fetching import Fetcher
from aggregator.models import FetchStatus, RunReport, SourceOutcome, SourceState
from aggregator.storage import Store
from aggregator.workers import CpuPool
from sources import COMPANY_PAGE_TYPES, CollectContext, Collected, Source, build_source

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
    try:
        async with Fetcher(config.http, transport=transport) as fetcher:
            context = CollectContext(fetcher=fetcher, pool=pool, now=now)
            window = timedelta(days=config.dedupe.repost_window_days)
            tasks = [
                asyncio.create_task(_collect_one(build_source(o), context, store, window))
                for o in options
            ]
            for finished in asyncio.as_completed(tasks):
                outcome = await finished
                report.sources.append(outcome)
                if on_source_done is not None:
                    on_source_done(outcome)
    finally:
        pool.close()
    report.sources.sort(key=lambda s: s.name)
    report.finished_at = now()
    return report


async def _collect_one(
    source: Source, context: CollectContext, store: Store, repost_window: timedelta
) -> SourceOutcome:
    name = source.options.name
    state = _state_for_run(store.source_state(name), source.options)
    try:
        collected = await source.collect(context, state)
    except SourceError as exc:
        return _failed(store, state, str(exc), context.now())
    except Exception as exc:  # a bug in one source's code must not stop the other sources
        log.exception("unexpected error in source %s", name)
        reason = f"internal error ({type(exc).__name__}: {exc}); please report it with the log"
        return _failed(store, state, reason, context.now())
    if collected.skipped:
        log.info("source %s skipped: %s", name, collected.skipped)
        return SourceOutcome(name=name, status=FetchStatus.SKIPPED, error=collected.skipped)
    if collected.not_modified:
        store.record_not_modified(
            replace(state, url=collected.moved_to or state.url), context.now()
        )
        return SourceOutcome(
            name=name, status=FetchStatus.NOT_MODIFIED, moved_to=collected.moved_to
        )
    new, updated, unchanged = store.save_collected(
        _state_after(state, collected),
        collected.postings,
        context.now(),
        company_page=source.options.type in COMPANY_PAGE_TYPES,
        repost_window=repost_window,
    )
    return SourceOutcome(
        name=name,
        status=FetchStatus.OK,
        new=new,
        updated=updated,
        unchanged=unchanged,
        moved_to=collected.moved_to,
    )


def _failed(store: Store, state: SourceState, reason: str, now: datetime) -> SourceOutcome:
    log.info("source %s failed: %s", state.name, reason)
    store.record_failure(state, reason, now)
    return SourceOutcome(name=state.name, status=FetchStatus.FAILED, error=reason)


def _state_for_run(stored: SourceState, options: SourceOptions) -> SourceState:
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
