"""Plumbing of JSON job-board sources: decoding, lenient field access, URLs, bounded paging.

APIs send ``null`` where a string belongs, numbers where ids are strings, a string where a list
belongs; these helpers read all of that without a KeyError or TypeError escaping, and turn a body
of the wrong shape into a FeedFormatError that names the URL and what was expected.
"""

from __future__ import annotations

import codecs
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from pydantic import Field

from aggregator.core.config import SourceOptions
from aggregator.core.errors import FeedFormatError
from aggregator.core.models import Posting
from sources.base import CollectContext
from sources.read_limit import within_read_limit
from sources.values import text

log = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
JSON_ACCEPT = "application/json, */*;q=0.5"
Item = TypeVar("Item")
# What reading one odd item can raise: a field of the wrong type, a value out of range.
_ITEM_ERRORS = (ArithmeticError, LookupError, TypeError, ValueError, RecursionError)


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
    except (RecursionError, ValueError) as exc:
        # Valid JSON no job board sends: nesting deeper than Python's stack, or an integer of
        # more than 4,300 digits (Python refuses to convert those, against denial of service).
        reason = why_unreadable(exc)
        raise FeedFormatError(f"{url} sent JSON that cannot be read ({reason})") from exc


def why_unreadable(exc: RecursionError | ValueError) -> str:
    """Why valid JSON could not be read, in words."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return f"a number too long to convert: {str(exc)[:120]}"


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


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (for ``null`` or odd types)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, a one-item list for a single value, else empty."""
    if isinstance(value, list):
        return value
    return [] if value is None or value == "" else [value]


def first_text(record: Mapping[str, Any], *keys: str) -> str:
    """The first non-empty string (or number) under ``keys``, stripped; "" when none is."""
    for key in keys:
        found = text(record.get(key), repair=False).strip()
        if found:
            return found
    return ""


def strings(value: Any) -> list[str]:
    """A list of non-empty strings from a list, a single string or nothing."""
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if not isinstance(value, list | tuple):
        return []
    return [
        str(item).strip() for item in value if isinstance(item, str | int) and str(item).strip()
    ]


def records(value: Any, what: str, url: str) -> list[dict[str, Any]]:
    """The objects of a JSON array; other members (strings, nulls) are skipped and logged.

    FeedFormatError when ``value`` is not an array.
    """
    items = expect_list(value, what, url)
    found = [item for item in items if isinstance(item, dict)]
    if len(found) < len(items):
        log.info("%s: skipped %d %s that are not objects", url, len(items) - len(found), what)
    return found


def list_in(payload: Any, key: str, url: str, what: str = "") -> list[dict[str, Any]]:
    """The objects of the list ``payload[key]``, or a clear error naming what was expected.

    ``what`` names the list in messages (default: ``key``).
    """
    body = expect_dict(payload, "the response", url)
    if key not in body:
        found = ", ".join(sorted(map(str, body))[:8]) or "nothing"
        said = _server_message(body)
        raise FeedFormatError(
            f"{url}: expected an object with a {key!r} list, found keys: {found}"
            + (f" (the server says: {said})" if said else "")
            + "; check the board name or URL"
        )
    return records(body[key], what or key, url)


def each_posting(
    items: Iterable[Item], to_posting: Callable[[Item], Posting | None], url: str
) -> list[Posting]:
    """``to_posting`` of every item (None: not a posting); an item it cannot read is skipped.

    The skipped item is logged with the reason: one odd job costs that job, never the source.
    """
    postings = []
    for index, item in enumerate(within_read_limit(items)):
        try:
            posting = to_posting(item)
        except _ITEM_ERRORS as exc:
            log.warning(
                "%s: skipped item %d that cannot be read (%s: %s)",
                url,
                index,
                type(exc).__name__,
                str(exc)[:200],
            )
            continue
        if posting is not None:
            postings.append(posting)
    return postings


def _server_message(body: dict[str, Any]) -> str:
    """The message of an error object (``{"error": "…"}``, ``{"errors": [{"message": …}]}``)."""
    for key in ("error", "message", "errors", "detail"):
        value = body.get(key)
        first = next(iter(as_list(value)), None)
        if isinstance(first, dict):
            first = first.get("message") or first.get("error")
        if isinstance(first, str) and first.strip():
            return " ".join(first.split())[:200]
    return ""


def with_query(url: str, params: Mapping[str, str | int | None]) -> str:
    """``url`` with ``params`` set in its query, replacing same-named ones; None is left out."""
    given = {key: str(value) for key, value in params.items() if value is not None}
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in given]
    return urlunsplit(parts._replace(query=urlencode(query + list(given.items()))))


def absolute_url(link: str, base: str) -> str:
    """``link`` resolved against ``base``, with the host in lower case; "" for non-web links."""
    if not link:
        return ""
    resolved = urlsplit(urljoin(base, link.strip()))
    if resolved.scheme not in ("http", "https") or not resolved.netloc:
        return ""
    return urlunsplit(resolved._replace(netloc=resolved.netloc.lower()))


# What a page of a paged API holds: its job objects and, when the API says, the total count.
PageReader = Callable[[Any, str], tuple[list[dict[str, Any]], int | None]]


async def fetch_pages(
    context: CollectContext,
    url: str,
    offset_param: str,
    page_size: int,
    max_pages: int,
    read_page: PageReader,
) -> list[dict[str, Any]]:
    """The raw job objects of every page of an offset-paged API, de-duplicated by ``id``.

    Stops at a short page, at the announced total, at a page that only repeats what was seen
    (a server that ignores the offset) or, logged, after ``max_pages`` full pages.
    """
    found: dict[str, dict[str, Any]] = {}
    for page in range(max_pages):
        page_url = with_query(url, {offset_param: page * page_size, "limit": page_size})
        result = await context.fetcher.get(page_url, accept=JSON_ACCEPT)
        batch, total = read_page(decode_json(result.body, result.url), result.url)
        new = 0
        for index, item in enumerate(batch):
            key = text(item.get("id")) or f"{page}:{index}"
            new += key not in found
            found.setdefault(key, item)
        if len(batch) < page_size or (total is not None and (page + 1) * page_size >= total):
            return list(found.values())
        if not new:
            log.warning(
                "%s: page %d only repeats postings already seen (the server ignores `%s`); "
                "stopping there",
                url,
                page + 1,
                offset_param,
            )
            return list(found.values())
    log.warning(
        "%s: stopped after max_pages=%d full pages; there may be more postings — "
        "raise max_pages if there really are that many",
        url,
        max_pages,
    )
    return list(found.values())
