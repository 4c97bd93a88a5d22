"""Arbeitnow (arbeitnow.com): a European job board with a paged public JSON API.

Each page is ``{"data": [...], "links": {"next": ...}, "meta": {...}}``; this source follows
``links.next`` for at most ``max_pages`` pages and stops early when a page is empty or an API
that lost its way hands back a next link it already gave.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from aggregator.core.config import SourceOptions
from aggregator.core.models import Posting, SourceState
from sources.base import CollectContext, Collected, ConfiguredSource
from sources.jsonapi import (
    JSON_ACCEPT,
    PagedOptions,
    absolute_url,
    decode_json,
    each_posting,
    expect_dict,
    first_text,
    list_in,
    strings,
)
from sources.markup import description, employment_type, looks_remote, plain_label, unique
from sources.values import parse_date

log = logging.getLogger(__name__)

ARBEITNOW_API = "https://www.arbeitnow.com/api/job-board-api"


class ArbeitnowOptions(PagedOptions):
    """Settings of an Arbeitnow source: only how many pages to read."""


class ArbeitnowSource(ConfiguredSource):
    """Postings from Arbeitnow's job-board API, page after page."""

    Options: ClassVar[type[SourceOptions]] = ArbeitnowOptions
    type: ClassVar[str] = "arbeitnow"
    options: ArbeitnowOptions

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
    jobs = list_in(data, "data", url)
    links = data.get("links")
    next_link = first_text(expect_dict(links, "links", url), "next") if links is not None else ""
    postings = each_posting(jobs, lambda job: _posting(job, url, source), url)
    return postings, absolute_url(next_link, url) or None


def _posting(job: dict[str, Any], api_url: str, source: str) -> Posting:
    link = absolute_url(first_text(job, "url"), api_url)
    html, plain = description(first_text(job, "description"), link or api_url)
    title = plain_label(first_text(job, "title"), blank_placeholders=True)
    location = plain_label(first_text(job, "location"), blank_placeholders=True)
    flag = job.get("remote")
    kinds = strings(job.get("job_types"))
    return Posting(
        source=source,
        external_id=first_text(job, "slug"),
        url=link,
        title=title,
        company=plain_label(first_text(job, "company_name"), blank_placeholders=True),
        location=location,
        remote=flag if isinstance(flag, bool) else looks_remote(location, title),
        employment_type=next((kind for kind in map(employment_type, kinds) if kind), ""),
        posted_at=parse_date(job.get("created_at")),
        description_html=html,
        description_text=plain,
        tags=unique(map(plain_label, strings(job.get("tags"))), ignore_case=True),
    )
