"""Which source a pasted careers URL is: from its shape, or by fetching the page.

Known ATS URL shapes, as each board module states them (``url_patterns``), are recognised
without any request. Anything else is fetched once: a feed is an ``rss`` source, an HTML page
that links a feed (``<link rel="alternate">``) becomes that feed, and a page with schema.org
JobPosting JSON-LD becomes a ``jsonld`` source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from aggregator.core.errors import FeedFormatError, SourceError
from aggregator.core.fetching import Fetcher
from sources import SOURCE_TYPES
from sources.ats import BoardSource
from sources.rss import FEED_ACCEPT, parse_feed


@dataclass(frozen=True, slots=True)
class Detected:
    """A config entry for a URL, and how it was recognised."""

    entry: dict[str, Any]  # without `name`; the caller picks a unique one
    suggested_name: str
    reason: str


def detect_from_url(url: str) -> Detected | None:
    """The source for a known ATS URL shape (each board's ``url_patterns``), without fetching."""
    for kind in SOURCE_TYPES.values():
        entry = kind.settings_for(url) if issubclass(kind, BoardSource) else None
        if entry is not None:
            slug = entry[kind.Options.slug_setting]  # type: ignore[attr-defined]
            return Detected(entry, f"{slug}-{kind.type}".lower(), f"a {kind.type} URL")
    return None


async def detect(url: str, fetcher: Fetcher) -> Detected:
    """The source for ``url``: by its shape, else by fetching it once."""
    known = detect_from_url(url)
    if known is not None:
        return known
    result = await fetcher.get(url, accept=FEED_ACCEPT + ", text/html;q=0.5")
    host = (urlsplit(result.url).hostname or "site").removeprefix("www.")
    name = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")
    if _is_feed(result.body, result.url, result.content_type):
        return Detected({"type": "rss", "url": result.url}, name, "an RSS/Atom feed")
    soup = BeautifulSoup(result.body, "html.parser")
    feed = _linked_feed(soup, result.url)
    if feed:
        return Detected({"type": "rss", "url": feed}, name, f"a page that links the feed {feed}")
    if _has_job_posting(soup):
        return Detected(
            {"type": "jsonld", "urls": [result.url]}, name, "a page with JobPosting JSON-LD"
        )
    raise SourceError(
        f"no feed, job board or schema.org JobPosting found at {url}; paste the URL of the "
        "company's job board (Greenhouse, Lever, Ashby, Workable, Recruitee, SmartRecruiters), "
        "an RSS/Atom feed, or a job page"
    )


def _is_feed(body: bytes, url: str, content_type: str) -> bool:
    if "html" in content_type.lower():
        return False
    try:
        return bool(parse_feed(body, url, content_type, "detect")) or b"<rss" in body[:2048]
    except FeedFormatError:
        return False


def _linked_feed(soup: BeautifulSoup, base: str) -> str | None:
    for link in soup.find_all("link", href=True):
        rel: list[str] = list(link.get("rel") or [])
        kind = str(link.get("type", "")).lower()
        if "alternate" in rel and ("rss" in kind or "atom" in kind):
            return urljoin(base, str(link["href"]))
    return None


def _has_job_posting(soup: BeautifulSoup) -> bool:
    blocks = soup.find_all("script", type="application/ld+json")
    return any("JobPosting" in (block.string or "") for block in blocks)
