"""Which source a pasted careers URL is: from its shape, or by fetching the page.

Known job-board and ATS URL shapes are recognised without any request. Anything else is fetched
once: a feed is an ``rss`` source, an HTML page that links a feed (``<link rel="alternate">``)
becomes that feed, and a page with schema.org JobPosting JSON-LD becomes a ``jsonld`` source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from bs4 import BeautifulSoup

from aggregator.core.errors import FeedFormatError, SourceError
from aggregator.core.fetching import Fetcher
from sources.ats import company_from_slug
from sources.rss import FEED_ACCEPT, parse_feed


@dataclass(frozen=True, slots=True)
class Detected:
    """A config entry for a URL, and how it was recognised."""

    entry: dict[str, Any]  # without `name`; the caller picks a unique one
    suggested_name: str
    reason: str


def _first_path_part(url: str) -> str:
    parts = [p for p in urlsplit(url).path.split("/") if p]
    return parts[0] if parts else ""


def _greenhouse(url: str) -> str:
    board = parse_qs(urlsplit(url).query).get("for", [""])[0]
    first = _first_path_part(url)
    return board or ("" if first == "embed" else first)


_PATTERNS: list[tuple[re.Pattern[str], str, str, Callable[[str], str]]] = [
    (re.compile(r"^(job-)?boards(\.eu)?\.greenhouse\.io$"), "greenhouse", "board", _greenhouse),
    (re.compile(r"^jobs\.lever\.co$"), "lever", "company", _first_path_part),
    (re.compile(r"^jobs\.eu\.lever\.co$"), "lever", "company", _first_path_part),
    (re.compile(r"^jobs\.ashbyhq\.com$"), "ashby", "board", _first_path_part),
    (re.compile(r"^apply\.workable\.com$"), "workable", "account", _first_path_part),
    (
        re.compile(r"^(careers|jobs)\.smartrecruiters\.com$"),
        "smartrecruiters",
        "company",
        _first_path_part,
    ),
]
_RECRUITEE = re.compile(r"^([a-z0-9-]+)\.recruitee\.com$")


def detect_from_url(url: str) -> Detected | None:
    """The source for a known ATS URL shape, without fetching anything."""
    host = (urlsplit(url).hostname or "").lower()
    for pattern, kind, key, extract in _PATTERNS:
        if pattern.match(host):
            value = extract(url)
            if not value:
                return None
            entry: dict[str, Any] = {"type": kind, key: value}
            if host == "jobs.eu.lever.co":
                entry["region"] = "eu"
            if kind == "lever":  # Lever's API names no company: the entry shows where to
                entry["company_name"] = company_from_slug(value)  # write its proper name
            return Detected(entry, f"{value}-{kind}".lower(), f"a {kind} URL")
    recruitee = _RECRUITEE.match(host)
    if recruitee and recruitee.group(1) not in ("www", "app", "api"):
        company = recruitee.group(1)
        return Detected(
            {"type": "recruitee", "company": company}, f"{company}-recruitee", "a recruitee URL"
        )
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
