"""Shared plumbing of JSON job-board sources: decoding real-world bodies and bounded paging."""

from __future__ import annotations

import codecs
import json
from typing import Annotated, Any

from pydantic import Field

from aggregator.config import SourceOptions
from aggregator.errors import FeedFormatError
from sources.base import CollectContext

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
JSON_ACCEPT = "application/json, */*;q=0.5"


class PagedOptions(SourceOptions):
    """Settings shared by sources that page through an API."""

    max_pages: Annotated[int, Field(ge=1, le=1000)] = 20


def decode_json(body: bytes, url: str) -> Any:
    """Parse a JSON body whatever its Unicode encoding (BOMs, UTF-16 without BOM)."""
    if not body.strip():
        raise FeedFormatError(f"empty response from {url}; expected JSON")
    encoding = next((name for bom, name in _BOMS if body.startswith(bom)), None)
    if encoding is None:
        # JSON text starts with an ASCII character, so zero bytes reveal UTF-16/32 (RFC 4627 §3).
        encoding = "utf-16" if b"\x00" in body[:4] else "utf-8"
        if encoding == "utf-16":
            encoding = "utf-16-le" if body[1:2] == b"\x00" else "utf-16-be"
    try:
        return json.loads(body.decode(encoding, errors="replace"))
    except json.JSONDecodeError as exc:
        start = body.lstrip()[:1]
        if start == b"<":
            raise FeedFormatError(f"{url} returned HTML or XML, not JSON; check the URL") from exc
        raise FeedFormatError(f"{url} did not return valid JSON ({exc})") from exc


async def fetch_json(context: CollectContext, url: str) -> Any:
    """GET ``url`` and decode its JSON body."""
    result = await context.fetcher.get(url, accept=JSON_ACCEPT)
    return decode_json(result.body, result.url)


def expect_list(value: Any, what: str, url: str) -> list[Any]:
    """``value`` if it is a list, else a clear error naming what was expected."""
    if not isinstance(value, list):
        raise FeedFormatError(
            f"{url}: expected {what} to be a list, got {type(value).__name__}; "
            "the API may have changed — check the URL in a browser"
        )
    return value


def expect_dict(value: Any, what: str, url: str) -> dict[str, Any]:
    """``value`` if it is an object, else a clear error naming what was expected."""
    if not isinstance(value, dict):
        raise FeedFormatError(
            f"{url}: expected {what} to be an object, got {type(value).__name__}; "
            "the API may have changed — check the URL in a browser"
        )
    return value
