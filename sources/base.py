"""What every source is: a class built from its config entry with one ``collect`` coroutine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from aggregator.config import SourceOptions
from aggregator.fetching import Fetcher
from aggregator.models import Posting, SourceState
from aggregator.workers import CpuPool


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


class Source(Protocol):
    """A place postings come from."""

    Options: ClassVar[type[SourceOptions]]
    type: ClassVar[str]

    @property
    def options(self) -> SourceOptions:
        """The validated config entry this source was built from."""
        ...

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Fetch and parse this source's postings; raise SourceError when it cannot."""
        ...
