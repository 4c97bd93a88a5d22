"""Arbeitnow (arbeitnow.com): a European job board with a paged public JSON API.

Each page is ``{"data": [...], "links": {"next": ...}, "meta": {...}}``; this source follows
``links.next`` for at most ``max_pages`` pages and stops early when a page is empty or an API
that lost its way hands back a next link it already gave.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from aggregator.config import SourceOptions
from aggregator.models import Posting, SourceState
from sources.base import CollectContext, Collected
from sources.boardkit import absolute_url, label, member, records, strings, text, unique
from sources.jsonapi import JSON_ACCEPT, PagedOptions, decode_json, expect_dict
from sources.markup import employment_type, html_to_text, looks_remote, plain_label, sanitize_html
from sources.values import parse_date

log = logging.getLogger(__name__)

ARBEITNOW_API = "https://www.arbeitnow.com/api/job-board-api"


class ArbeitnowOptions(PagedOptions):
    """Settings of an Arbeitnow source: only how many pages to read."""


class ArbeitnowSource:
    """Postings from Arbeitnow's job-board API, page after page."""

    Options: ClassVar[type[SourceOptions]] = ArbeitnowOptions
    type: ClassVar[str] = "arbeitnow"

    def __init__(self, options: SourceOptions) -> None:
        assert isinstance(options, ArbeitnowOptions)
        self.options: ArbeitnowOptions = options

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Follow ``links.next`` from the first page, bounded by ``max_pages``."""
        name, max_pages = self.options.name, self.options.max_pages
        url: str | None = state.url or self.options.url or ARBEITNOW_API
        visited: set[str] = set()
        postings: list[Posting] = []
        moved_to: str | None = None
        while url is not None:
            if len(visited) == max_pages:
                log.info("%s: stopped after max_pages=%d; more pages remain", name, max_pages)
                break
            visited.add(url)
            result = await context.fetcher.get(url, accept=JSON_ACCEPT)
            moved_to = moved_to or (result.moved_to if len(visited) == 1 else None)
            page, next_url = await context.pool.run(parse_arbeitnow, result.body, result.url, name)
            postings.extend(page)
            if next_url in visited:
                log.warning("%s: %s links back to %s; stopped paging", name, result.url, next_url)
                break
            url = next_url if page else None
        return Collected(postings=postings, moved_to=moved_to)


def parse_arbeitnow(body: bytes, url: str, source: str) -> tuple[list[Posting], str | None]:
    """One page's postings and the absolute URL of the next page (None on the last page)."""
    data = decode_json(body, url)
    jobs = records(member(data, "data", "the response", url), "data", url)
    links = data.get("links")
    next_link = text(expect_dict(links, "links", url), "next") if links is not None else ""
    return [_posting(job, url, source) for job in jobs], absolute_url(next_link, url) or None


def _posting(job: dict[str, Any], api_url: str, source: str) -> Posting:
    link = absolute_url(text(job, "url"), api_url)
    description = sanitize_html(text(job, "description"), base_url=link or api_url)
    title = label(text(job, "title"))
    location = label(text(job, "location"))
    flag = job.get("remote")
    kinds = strings(job.get("job_types"))
    return Posting(
        source=source,
        external_id=text(job, "slug"),
        url=link,
        title=title,
        company=label(text(job, "company_name")),
        location=location,
        remote=flag if isinstance(flag, bool) else looks_remote(location, title),
        employment_type=next((kind for kind in map(employment_type, kinds) if kind), ""),
        posted_at=parse_date(job.get("created_at")),
        description_html=description,
        description_text=html_to_text(description),
        tags=unique([plain_label(tag) for tag in strings(job.get("tags"))]),
    )
