"""What the job-board source tests share: recorded bodies, a real collect context, checks."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aggregator.config import HttpConfig, SourceOptions
from aggregator.fetching import Fetcher
from aggregator.models import Posting, SourceState
from aggregator.workers import CpuPool
from sources.base import CollectContext, Collected, Source

BOARDS = Path(__file__).parent / "fixtures" / "json"
NOW = datetime(2026, 8, 10, 12, 0, tzinfo=UTC)
HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
MOJIBAKE = re.compile("Ã[\u0080-\u00bf]|â€|Â\u00a0")  # UTF-8 read as Latin-1/cp1252
UNSAFE_MARKUP = ("<script", "onerror", "onclick", "javascript:", "<iframe", "<img", "style=")


def recorded(board: str, name: str) -> bytes:
    """The bytes of a recorded response under tests/fixtures/json/BOARD/."""
    return (BOARDS / board / name).read_bytes()


def recorded_json(board: str, name: str) -> Any:
    """The decoded JSON of a recorded response (a UTF-8 BOM is allowed)."""
    return json.loads(recorded(board, name).decode("utf-8-sig"))


def as_body(data: Any) -> bytes:
    """JSON bytes as an API would send them."""
    return json.dumps(data).encode()


def build(kind: type[Any], **settings: Any) -> Any:
    """A source of class ``kind`` from its config settings (name and type filled in)."""
    options: SourceOptions = kind.Options.model_validate(
        {"name": "test", "type": kind.type, **settings}
    )
    return kind(options)


def collect(source: Source, state: SourceState | None = None, now: datetime = NOW) -> Collected:
    """Run ``source.collect`` as the pipeline does: real Fetcher, CPU pool, a stopped clock."""

    async def run() -> Collected:
        pool = CpuPool(jobs=1)
        try:
            async with Fetcher(HttpConfig(timeout=5, retries=0)) as fetcher:
                context = CollectContext(fetcher=fetcher, pool=pool, now=lambda: now)
                return await source.collect(context, state or SourceState(name="test"))
        finally:
            pool.close()

    return asyncio.run(run())


def assert_well_formed(posting: Posting) -> None:
    """The fields every source promises: absolute URL, UTC date, safe HTML, plain labels."""
    assert posting.url.startswith(("https://", "http://")), posting.url
    assert posting.external_id, posting.url
    if posting.posted_at is not None:
        assert posting.posted_at.utcoffset() == timedelta(0), posting.posted_at
    lowered = posting.description_html.lower()
    for marker in UNSAFE_MARKUP:
        assert marker not in lowered, f"{marker!r} left in {posting.url}"
    assert not HTML_TAG.search(posting.description_text), posting.url
    for label in (posting.title, posting.company, posting.location, *posting.tags):
        assert "<" not in label and "&amp;" not in label and "\n" not in label, label
        assert not MOJIBAKE.search(label), f"mojibake in {label!r}"
