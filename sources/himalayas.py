"""Himalayas (himalayas.app): a remote-jobs board with an offset-paged public JSON API.

A page is ``{"offset": 0, "limit": 20, "totalCount": N, "jobs": [...]}``. Paging stops at
``max_pages``, at ``totalCount``, on an empty page, and when a page brings no job not
seen before (an API that ignores ``offset`` would otherwise serve page one forever).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, ClassVar

from pydantic import Field

from aggregator.core.config import SourceOptions
from aggregator.core.models import Posting, SourceState
from sources.base import CollectContext, Collected, ConfiguredSource
from sources.jsonapi import (
    JSON_ACCEPT,
    PagedOptions,
    absolute_url,
    decode_json,
    each_posting,
    first_text,
    list_in,
    strings,
    with_query,
)
from sources.markup import description, employment_type, plain_label, unique
from sources.values import closing_date, parse_date, salary

log = logging.getLogger(__name__)

HIMALAYAS_API = "https://himalayas.app/jobs/api"


class HimalayasOptions(PagedOptions):
    """Settings of a Himalayas source."""

    page_size: Annotated[int, Field(ge=1, le=100)] = 20  # the API serves at most 20 a page


class HimalayasSource(ConfiguredSource):
    """Postings from Himalayas' jobs API, ``page_size`` at a time."""

    Options: ClassVar[type[SourceOptions]] = HimalayasOptions
    type: ClassVar[str] = "himalayas"
    options: HimalayasOptions

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Read pages at increasing offsets until the jobs run out or ``max_pages`` is reached."""
        name, limit = self.options.name, self.options.page_size
        base = state.url or self.options.url or HIMALAYAS_API
        postings: list[Posting] = []
        seen: set[str] = set()
        offset = 0
        for number in range(1, self.options.max_pages + 1):
            url = with_query(base, {"offset": offset, "limit": limit})
            result = await context.fetcher.get(url, accept=JSON_ACCEPT)
            page, count, total = await context.pool.run(
                parse_himalayas, result.body, result.url, name
            )
            fresh = [p for p in page if not (p.external_id and p.external_id in seen)]
            seen.update(p.external_id for p in fresh)
            postings.extend(fresh)
            if not fresh and count:
                log.warning("%s: page at offset %d repeated earlier jobs; stopped", name, offset)
                break
            offset += count
            if count == 0 or (total is not None and offset >= total):
                break
            if number == self.options.max_pages:
                log.info("%s: stopped after max_pages=%d; more jobs remain", name, number)
        return Collected(postings=postings)


def parse_himalayas(body: bytes, url: str, source: str) -> tuple[list[Posting], int, int | None]:
    """One page's postings, how many jobs it held, and the API's total count (if stated)."""
    data = decode_json(body, url)
    jobs = list_in(data, "jobs", url)
    total = data.get("totalCount")
    postings = each_posting(jobs, lambda job: _posting(job, url, source), url)
    return postings, len(jobs), total if isinstance(total, int) and total >= 0 else None


def _posting(job: dict[str, Any], api_url: str, source: str) -> Posting:
    link = absolute_url(first_text(job, "applicationLink", "guid"), api_url)
    html, plain = description(first_text(job, "description"), link or api_url)
    categories = [c.replace("-", " ") for c in strings(job.get("categories"))]
    return Posting(
        source=source,
        external_id=first_text(job, "guid", "applicationLink"),
        url=link,
        title=plain_label(first_text(job, "title"), blank_placeholders=True),
        company=plain_label(first_text(job, "companyName"), blank_placeholders=True),
        # Where candidates may live; an empty list means anywhere.
        location=", ".join(plain_label(p) for p in strings(job.get("locationRestrictions"))),
        remote=True,
        employment_type=employment_type(first_text(job, "employmentType")),
        salary=salary(
            job.get("minSalary"), job.get("maxSalary"), first_text(job, "currency") or None, "year"
        ),
        posted_at=parse_date(job.get("pubDate")),
        description_html=html,
        description_text=plain,
        tags=unique(
            map(plain_label, [*strings(job.get("parentCategories")), *categories]), ignore_case=True
        ),
        closes_at=closing_date(job.get("expiryDate")),
    )
