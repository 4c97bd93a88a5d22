"""What every source is: a class built from its config entry with one ``collect`` coroutine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar, Protocol

from aggregator.core.config import SourceOptions
from aggregator.core.errors import FetchError
from aggregator.core.fetching import Fetcher
from aggregator.core.intake import SKIPPED_WHY, Prepared, admitted_event, prepared, storable
from aggregator.core.models import Event, Posting, SourceState
from aggregator.core.workers import READING, CpuPool, ReadingTime
from sources.read_limit import parse_within


@dataclass(frozen=True, slots=True)
class CollectContext:
    """What a source may use while collecting: HTTP, CPU workers and the clock."""

    fetcher: Fetcher
    pool: CpuPool
    now: Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Collected:
    """A source's haul for one run, with the validators to remember for next time."""

    postings: list[Posting]
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None  # a permanent redirect: fetch from here from now on
    skipped: str | None = None  # why nothing was fetched this run (e.g. a minimum interval)
    note: str | None = None  # items that were not postings: "3 items without title or link skipped"
    events: tuple[Event, ...] = ()  # an events source's haul (it has no postings)
    beyond_limit: int = 0  # items past http.max_items, counted but not read
    # The first http.max_items postings made ready to store where they were parsed (see
    # fetch_and_parse); None when the collect stage is to prepare them.
    prepared: list[Prepared] | None = None


@dataclass(frozen=True, slots=True)
class Parsed:
    """The postings read from one body, and how many of its items were not postings (and why)."""

    postings: list[Posting]
    skipped: int = 0
    why: str = SKIPPED_WHY

    def note(self) -> str | None:
        """What was skipped, for the run report: "3 items without title or link skipped"."""
        return skipped_note(self.skipped, self.why)


def skipped_note(count: int, why: str = SKIPPED_WHY) -> str | None:
    """"3 items without title or link skipped"; None for none."""
    if not count:
        return None
    return f"{count} item{'' if count == 1 else 's'} {why} skipped"


def joined_notes(*notes: str | None) -> str | None:
    """The run report's notes of one source, in one line."""
    return "; ".join(note for note in notes if note) or None


class Source(Protocol):
    """A place postings come from."""

    Options: ClassVar[type[SourceOptions]]
    type: ClassVar[str]
    # True for a company's own ATS or careers site: its links are shown before job boards'.
    company_page: ClassVar[bool]
    events: ClassVar[bool]  # True when its haul is networking events, not postings

    @property
    def options(self) -> SourceOptions:
        """The validated config entry this source was built from."""
        ...

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Fetch and parse this source's postings; raise SourceError when it cannot."""
        ...


class ConfiguredSource:
    """The start of a source class: its ``type`` name, its ``Options`` model and its options.

    A subclass sets ``Options`` and ``type`` (``company_page`` for a company's own careers
    site, ``events`` for a source of events) and narrows ``options`` to its own model.
    """

    Options: ClassVar[type[SourceOptions]]
    type: ClassVar[str]
    company_page: ClassVar[bool] = False
    events: ClassVar[bool] = False
    options: SourceOptions

    def __init__(self, options: SourceOptions) -> None:
        assert isinstance(options, self.Options)
        self.options = options


async def fetch_and_parse(
    context: CollectContext,
    state: SourceState,
    url: str,
    parse: Callable[..., list[Posting] | Parsed],
    *args: Any,
    accept: str,
    pass_content_type: bool = False,
) -> Collected:
    """Conditional GET of ``url`` (or where it moved), then ``parse(body, final_url, *args)``.

    ``parse`` runs in the CPU pool, so it must be a module-level function. With
    ``pass_content_type`` it gets the response's Content-Type after the URL, for formats that
    sniff it; it returns the postings, or a Parsed that also counts skipped items. A 304 gives
    ``not_modified`` (with ``moved_to`` when a permanent redirect led
    there); otherwise the postings come with the validators to send next time, and prepared
    for the store in the same call to the pool (one hand-off per body; see
    aggregator.core.intake.prepared).
    """
    result = await context.fetcher.get(
        state.url or url, etag=state.etag, last_modified=state.last_modified, accept=accept
    )
    if result.not_modified:
        return Collected(postings=[], not_modified=True, moved_to=result.moved_to)
    content_type = (result.content_type,) if pass_content_type else ()
    limit = context.fetcher.settings.max_items
    postings, note, beyond_limit, ready = await context.pool.run(
        parse_and_prepare, limit, context.now(), parse, result.body, result.url, *content_type,
        *args,
    )
    return Collected(
        postings=postings,
        note=note,
        beyond_limit=beyond_limit,
        etag=result.etag,
        last_modified=result.last_modified,
        moved_to=result.moved_to,
        prepared=ready,
    )


def parse_and_prepare(
    limit: int, fetched_at: datetime, parse: Callable[..., list[Posting] | Parsed], *args: Any
) -> tuple[list[Posting], str | None, int, list[Prepared]]:
    """``parse(*args)`` within ``limit`` items (see parse_within): its storable postings
    (aggregator.core.intake.storable), what the run report says of the items it skipped, how
    many items it left unread, and its first ``limit`` storable postings prepared for the
    store."""
    parsed, beyond_limit = parse_within(limit, parse, *args)
    if not isinstance(parsed, Parsed):
        parsed = Parsed(parsed)
    postings, unstorable = storable(parsed.postings, fetched_at)
    note = joined_notes(parsed.note(), skipped_note(unstorable))
    return postings, note, beyond_limit, prepared(postings[:limit])


async def collect_in_time(source: Source, context: CollectContext, state: SourceState) -> Collected:
    """``source.collect`` within ``http.source_deadline``, else a FetchError for this source.

    ``http.timeout`` bounds one request; the deadline bounds the whole source (attempts,
    redirects, pages and per-posting requests), so a slow drip or a slow paged API cannot hold
    a run for minutes.
    """
    deadline = context.fetcher.settings.source_deadline
    reading = ReadingTime()
    token = READING.set(reading)
    try:
        async with asyncio.timeout(deadline) as limit:
            return _storable(await source.collect(context, state), context.now())
    except TimeoutError as exc:
        if not limit.expired():
            raise
        raise FetchError(_late(deadline, reading.so_far())) from exc
    finally:
        READING.reset(token)


def _late(deadline: float, reading: float) -> str:
    """Why a source missed its deadline: the server, or (for most of the time) reading what
    it sent, which no retry or patience with the server helps."""
    if reading >= deadline / 2:
        return (
            f"not done within http.source_deadline={deadline:g} s: its answers came, but "
            f"reading them took {reading:.1f} s (a very large or complex feed or calendar) "
            "— raise http.source_deadline if it is just that big, or ask its publisher for a "
            "smaller one"
        )
    return (
        f"not done within http.source_deadline={deadline:g} s (all of its requests, "
        "retries, redirects and pages); the server is slow or sends too much — try again "
        "later, or raise http.source_deadline if it is just big"
    )


def _storable(collected: Collected, fetched_at: datetime) -> Collected:
    """``collected`` with only its storable postings (aggregator.core.intake.storable), the
    rest counted in its note (postings prepared where they were parsed already are), and
    its events admitted (aggregator.core.intake.admitted_event)."""
    if collected.events:
        collected = replace(collected, events=tuple(map(admitted_event, collected.events)))
    if collected.prepared is not None or not collected.postings:
        return collected
    postings, unstorable = storable(collected.postings, fetched_at)
    note = joined_notes(collected.note, skipped_note(unstorable))
    return replace(collected, postings=postings, note=note)
