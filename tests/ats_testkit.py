"""What the ATS and career-page source tests share: fixtures, a real collect context, servers."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from aggregator.config import HttpConfig, SourceOptions
from aggregator.fetching import Fetcher
from aggregator.models import Posting, SourceState
from aggregator.workers import CpuPool
from sources.base import CollectContext, Collected, Source

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 8, 10, 12, 0, tzinfo=UTC)
# "&lt;p&gt;": markup that was escaped once too often (a lone "&lt;" may be real text)
ESCAPED_TAG = re.compile(r"&lt;/?[a-z][a-z0-9]*(\s[^&]*)?&gt;")
FORBIDDEN_IN_HTML = ("<script", "onerror", "onclick", "javascript:", "<iframe", "<img", "style=")


def fixture(*parts: str) -> bytes:
    """The bytes of a file under tests/fixtures/."""
    return FIXTURES.joinpath(*parts).read_bytes()


def fixture_json(*parts: str) -> Any:
    """The decoded JSON of a file under tests/fixtures/."""
    return json.loads(fixture(*parts))


def collect(source: Source, state: SourceState | None = None) -> Collected:
    """Run ``source.collect`` as the pipeline does: real Fetcher, CPU pool, fixed clock."""

    async def run() -> Collected:
        pool = CpuPool(jobs=1)
        try:
            async with Fetcher(HttpConfig(timeout=5, retries=0)) as fetcher:
                context = CollectContext(fetcher=fetcher, pool=pool, now=lambda: NOW)
                return await source.collect(context, state or SourceState(name="test"))
        finally:
            pool.close()

    return asyncio.run(run())


def build(kind: type[Any], **settings: Any) -> Any:
    """A source of class ``kind`` from config settings (name and type filled in)."""
    options: SourceOptions = kind.Options.model_validate(
        {"name": "test", "type": kind.type, **settings}
    )
    return kind(options)


def assert_safe(posting: Posting) -> None:
    """The description HTML has nothing that runs, loads or styles, and text matches it."""
    lowered = posting.description_html.lower()
    for marker in FORBIDDEN_IN_HTML:
        assert marker not in lowered, f"{marker!r} left in {posting.url}"
    assert not ESCAPED_TAG.search(posting.description_html), "description is still HTML-escaped"
    assert not re.search(r"</?[a-z][a-z0-9]*[\s/>]", posting.description_text), "tags in text"


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
