"""What the source tests share: recorded fixtures, a real collect context, servers and checks."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from golden import assert_matches_golden
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from aggregator.core.config import HttpConfig, SourceOptions
from aggregator.core.fetching import Fetcher
from aggregator.core.models import Posting, SourceState
from aggregator.core.workers import CpuPool
from sources.base import CollectContext, Collected, Source

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 8, 10, 12, 0, tzinfo=UTC)
UNSAFE_MARKUP = (
    "<script", "onerror", "onclick", "onload", "onmouseover", "javascript:", "<iframe", "<img",
    "style=",
)  # fmt: skip
# "&lt;p&gt;": markup that was escaped once too often (a lone "&lt;" may be real text)
ESCAPED_TAG = re.compile(r"&lt;/?[a-z][a-z0-9]*(\s[^&]*)?&gt;")
TAG_IN_TEXT = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*[\s/>]")
MOJIBAKE = re.compile("Ã[\u0080-\u00bf]|â€|Â\u00a0")  # UTF-8 read as Latin-1/cp1252


def fixture(*parts: str) -> bytes:
    """The bytes of a file under tests/fixtures/."""
    return FIXTURES.joinpath(*parts).read_bytes()


def fixture_json(*parts: str) -> Any:
    """The decoded JSON of a file under tests/fixtures/ (a UTF-8 BOM is allowed)."""
    return json.loads(fixture(*parts))


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


def assert_safe(posting: Posting) -> None:
    """The description HTML has nothing that runs, loads or styles, and text matches it."""
    lowered = posting.description_html.lower()
    for marker in UNSAFE_MARKUP:
        assert marker not in lowered, f"{marker!r} left in {posting.url}"
    assert not ESCAPED_TAG.search(posting.description_html), "description is still HTML-escaped"
    assert not TAG_IN_TEXT.search(posting.description_text), f"tags in text of {posting.url}"


def assert_well_formed(posting: Posting) -> None:
    """What every board promises besides safe HTML: absolute URL, id, UTC date, plain labels."""
    assert_safe(posting)
    assert posting.url.startswith(("https://", "http://")), posting.url
    assert posting.external_id, posting.url
    if posting.posted_at is not None:
        assert posting.posted_at.utcoffset() == timedelta(0), posting.posted_at
    for label in (posting.title, posting.company, posting.location, *posting.tags):
        assert "<" not in label and "&amp;" not in label and "\n" not in label, label
        assert not MOJIBAKE.search(label), f"mojibake in {label!r}"


def assert_golden(
    postings: Sequence[Posting], name: str, check: Callable[[Posting], None] = assert_safe
) -> None:
    """The postings match tests/fixtures/golden/NAME.json and each one passes ``check``."""
    assert_matches_golden(postings, name)
    for posting in postings:
        check(posting)


def serve_pages(
    httpserver: HTTPServer,
    path: str,
    page: Callable[[int, int], Any],
    offset_param: str,
) -> None:
    """Serve ``page(offset, limit)`` as JSON at ``path`` for every request."""

    def handler(request: Request) -> Response:
        query = parse_qs(request.query_string.decode())
        offset = int(query.get(offset_param, ["0"])[0])
        limit = int(query.get("limit", ["100"])[0])
        return Response(json.dumps(page(offset, limit)), content_type="application/json")

    httpserver.expect_request(path).respond_with_handler(handler)


def requested(httpserver: HTTPServer, path: str) -> list[dict[str, str]]:
    """The query parameters of each request the server got at ``path``, in order."""
    return [
        {key: values[0] for key, values in parse_qs(request.query_string.decode()).items()}
        for request, _ in httpserver.log
        if request.path == path
    ]
