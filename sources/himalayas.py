"""Himalayas (himalayas.app): a remote-jobs board with an offset-paged public JSON API.

A page is ``{"offset": 0, "limit": 20, "totalCount": N, "jobs": [...]}``. Paging stops at
``max_pages``, at ``totalCount``, on an empty page, and when a page brings no job not
seen before (an API that ignores ``offset`` would otherwise serve page one forever).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, ClassVar

from pydantic import Field

from aggregator.config import SourceOptions
from aggregator.models import Posting, SourceState
from sources.base import CollectContext, Collected
from sources.boardkit import absolute_url, label, member, records, strings, text, unique, with_query
from sources.jsonapi import JSON_ACCEPT, PagedOptions, decode_json
from sources.markup import employment_type, html_to_text, plain_label, sanitize_html
from sources.values import parse_date, salary

log = logging.getLogger(__name__)

HIMALAYAS_API = "https://himalayas.app/jobs/api"


class HimalayasOptions(PagedOptions):
    """Settings of a Himalayas source."""

    page_size: Annotated[int, Field(ge=1, le=100)] = 20  # the API serves at most 20 a page


class HimalayasSource:
    """Postings from Himalayas' jobs API, ``page_size`` at a time."""

    Options: ClassVar[type[SourceOptions]] = HimalayasOptions
    type: ClassVar[str] = "himalayas"

    def __init__(self, options: SourceOptions) -> None:
        assert isinstance(options, HimalayasOptions)
        self.options: HimalayasOptions = options

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
    jobs = records(member(data, "jobs", "the response", url), "jobs", url)
    total = data.get("totalCount")
    postings = [_posting(job, url, source) for job in jobs]
    return postings, len(jobs), total if isinstance(total, int) and total >= 0 else None


def _posting(job: dict[str, Any], api_url: str, source: str) -> Posting:
    link = absolute_url(text(job, "applicationLink", "guid"), api_url)
    description = sanitize_html(text(job, "description"), base_url=link or api_url)
    categories = [c.replace("-", " ") for c in strings(job.get("categories"))]
    return Posting(
        source=source,
        external_id=text(job, "guid", "applicationLink"),
        url=link,
        title=label(text(job, "title")),
        company=label(text(job, "companyName")),
        # Where candidates may live; an empty list means anywhere.
        location=", ".join(plain_label(p) for p in strings(job.get("locationRestrictions"))),
        remote=True,
        employment_type=employment_type(text(job, "employmentType")),
        salary=salary(
            job.get("minSalary"), job.get("maxSalary"), text(job, "currency") or None, "year"
        ),
        posted_at=parse_date(job.get("pubDate")),
        description_html=description,
        description_text=html_to_text(description),
        tags=unique([plain_label(t) for t in [*strings(job.get("parentCategories")), *categories]]),
    )
