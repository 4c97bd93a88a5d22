"""What the applicant-tracking-system sources share: endpoints from slugs, lenient field access.

Greenhouse, Lever, Ashby, Workable, Recruitee and SmartRecruiters all publish a company's open
jobs as JSON. Their payloads differ, but the chores around them do not: turning a board slug
into an endpoint, reading fields that may be missing, ``null`` or of the wrong type without a
KeyError or TypeError escaping, cleaning labels, and sanitising descriptions.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import Field

from aggregator.config import SourceOptions
from aggregator.errors import FeedFormatError
from aggregator.models import Posting, SourceState
from sources.base import CollectContext, Collected
from sources.jsonapi import JSON_ACCEPT, decode_json, expect_dict, expect_list
from sources.markup import html_to_text, plain_label, sanitize_html
from sources.values import parse_date, repair_text

log = logging.getLogger(__name__)

# A board or company slug as it appears in the ATS's own URLs; no slashes, so it stays one
# path segment of the endpoint.
Slug = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Zero-width characters some boards leave in labels ("Delivery\u200b"); invisible but they
# make two equal labels differ.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_PERIOD_WORD = re.compile(r"(?<![A-Za-z])(year|annual|month|week|day|daily|hour)", re.IGNORECASE)
_PERIOD_NAMES = {"annual": "year", "daily": "day"}


def endpoint(
    options: SourceOptions, slug: str | None, template: str, setting: str, hint: str
) -> None:
    """Fill ``options.url`` from the board slug unless a ``url:`` override was given.

    Called from each options model's validator, so a source without either setting fails at
    config load time. Storing the effective URL in ``url`` also lets the pipeline notice when
    the slug changes and forget the old board's ETag.
    """
    if options.url:
        if urlsplit(options.url).scheme not in ("http", "https"):
            raise ValueError(f"`url:` must be an http(s) address, got {options.url!r}")
        return
    if not slug:
        raise ValueError(
            f"a {options.type} source needs `{setting}:` ({hint}) or a full `url:`; add one"
        )
    object.__setattr__(options, "url", template.format(slug=quote(slug, safe="")))


def company_from_slug(slug: str | None) -> str:
    """A display name guessed from a slug: 'acme-corp' -> 'Acme Corp'."""
    return " ".join(part.capitalize() for part in re.split(r"[-_.\s]+", slug or "") if part)


def slug_from_url(url: str) -> str:
    """The last path segment of an endpoint URL: the board slug of an overridden ``url:``."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def with_query(url: str, **params: str | int) -> str:
    """``url`` with query parameters set (replacing any of the same name)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(key, str(value)) for key, value in params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (for ``null`` or odd types)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, a one-item list for a single value, else empty."""
    if isinstance(value, list):
        return value
    return [] if value is None or value == "" else [value]


def text(value: Any) -> str:
    """A scalar JSON value as text ('' for null, objects and arrays), mojibake repaired."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return ""
    return repair_text(str(value))


def label(value: Any) -> str:
    """A one-line label (title, company, location, tag) from a JSON value."""
    return _INVISIBLE.sub("", plain_label(text(value))).strip()


def labels(values: Iterable[Any]) -> tuple[str, ...]:
    """Distinct non-empty labels, in order."""
    return tuple(dict.fromkeys(found for found in map(label, values) if found))


def joined(values: Iterable[Any], separator: str = ", ") -> str:
    """Distinct non-empty labels joined: 'Berlin, Germany'."""
    return separator.join(labels(values))


def date_of(value: Any) -> datetime | None:
    """``parse_date`` that also reads '2026-07-17 11:00:39 UTC' (Recruitee's format)."""
    moment = parse_date(value)
    if moment is None and isinstance(value, str) and value.strip().endswith(" UTC"):
        moment = parse_date(value.strip().removesuffix(" UTC") + "+00:00")
    return moment


def period_of(value: Any) -> str | None:
    """'per-year-salary', '1 YEAR', 'Annual', 'per_month' -> 'year', 'month', ...; else None."""
    found = _PERIOD_WORD.search(text(value))
    if not found:
        return None
    word = found.group(1).lower()
    return _PERIOD_NAMES.get(word, word)


def unescape_once(fragment: str) -> str:
    """HTML that arrives HTML-escaped (``&lt;p&gt;``) as HTML; real HTML is left alone."""
    if "<" not in fragment and "&lt;" in fragment:
        return html.unescape(fragment)
    return fragment


def description(fragment: str, base_url: str | None) -> tuple[str, str]:
    """Sanitised HTML and plain text of a description fragment (already through ``text``)."""
    cleaned = sanitize_html(unescape_once(fragment), base_url=base_url or None)
    return cleaned, html_to_text(cleaned)


def plain_to_html(value: str) -> str:
    """Plain text as an HTML fragment that keeps its line breaks."""
    return html.escape(value).replace("\n", "<br>")


def section(title: Any, body: Any) -> str:
    """One titled part of a description as HTML: ``<h3>title</h3>body``."""
    fragment = text(body).strip()
    if not fragment:
        return ""
    heading = label(title)
    return (f"<h3>{html.escape(heading)}</h3>" if heading else "") + fragment


def records(value: Any, what: str, url: str) -> list[dict[str, Any]]:
    """The objects of a JSON array (non-objects skipped); FeedFormatError if not an array."""
    return [item for item in expect_list(value, what, url) if isinstance(item, dict)]


def list_in(payload: Any, key: str, url: str) -> list[dict[str, Any]]:
    """The job objects under ``payload[key]``, or a clear error naming what was expected."""
    body = expect_dict(payload, "the response", url)
    if key not in body:
        found = ", ".join(sorted(map(str, body))[:8]) or "nothing"
        said = _server_message(body)
        raise FeedFormatError(
            f"{url}: expected an object with a {key!r} list, found keys: {found}"
            + (f" (the server says: {said})" if said else "")
            + "; check the board name or URL"
        )
    return records(body[key], repr(key), url)


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


Mapper = Callable[..., list[Posting]]


async def collect_json(
    context: CollectContext, state: SourceState, url: str, parse: Mapper, *args: Any
) -> Collected:
    """Conditional GET of one JSON endpoint, then ``parse(body, url, *args)`` in the CPU pool."""
    target = state.url or url
    result = await context.fetcher.get(
        target, etag=state.etag, last_modified=state.last_modified, accept=JSON_ACCEPT
    )
    if result.not_modified:
        return Collected(postings=[], not_modified=True)
    postings = await context.pool.run(parse, result.body, result.url, *args)
    return Collected(
        postings=postings,
        etag=result.etag,
        last_modified=result.last_modified,
        moved_to=result.moved_to,
    )


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
        page_url = with_query(url, **{offset_param: page * page_size, "limit": page_size})
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
