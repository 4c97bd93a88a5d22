"""Remote OK (remoteok.com): a remote-jobs board whose API is one JSON list.

The list's first element is a legal notice, not a job, and is always skipped. Remote OK serves
text that was UTF-8 decoded as Latin-1 and encoded again ("Youâ€™ll", "ZÃ³calo"), so every
text field is repaired before use.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, ClassVar

from aggregator.config import SourceOptions
from aggregator.models import Posting, Salary, SourceState
from sources.base import CollectContext, Collected
from sources.boardkit import absolute_url, label, records, strings, text, unique, with_query
from sources.jsonapi import JSON_ACCEPT, decode_json, expect_list
from sources.markup import employment_type, html_to_text, plain_label, sanitize_html
from sources.values import parse_date, repair_text, salary

log = logging.getLogger(__name__)

REMOTEOK_API = "https://remoteok.com/api"
# Remote OK has no job-type field; some jobs carry one of these as a tag.
_TYPE_TAGS = frozenset(
    {"full time", "full-time", "part time", "part-time", "contract", "contractor", "freelance",
     "internship", "intern", "temporary"}
)  # fmt: skip
_YEARLY_FROM = 1000  # Remote OK states yearly USD pay; a "30" can only be an hourly rate


class RemoteOkOptions(SourceOptions):
    """Settings of a Remote OK source."""

    tags: tuple[str, ...] = ()  # e.g. ["python", "devops"]: jobs with any of these tags


class RemoteOkSource:
    """Postings from Remote OK's public API."""

    Options: ClassVar[type[SourceOptions]] = RemoteOkOptions
    type: ClassVar[str] = "remoteok"

    def __init__(self, options: SourceOptions) -> None:
        assert isinstance(options, RemoteOkOptions)
        self.options: RemoteOkOptions = options

    def endpoint(self) -> str:
        """The API URL with this source's tags."""
        tags = ",".join(tag.strip() for tag in self.options.tags if tag.strip())
        return with_query(self.options.url or REMOTEOK_API, {"tags": tags or None})

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Conditional GET of the job list, then parse it in a worker."""
        result = await context.fetcher.get(
            state.url or self.endpoint(),
            etag=state.etag,
            last_modified=state.last_modified,
            accept=JSON_ACCEPT,
        )
        if result.not_modified:
            return Collected(postings=[], not_modified=True)
        postings = await context.pool.run(
            parse_remoteok, result.body, result.url, self.options.name
        )
        return Collected(
            postings=postings,
            etag=result.etag,
            last_modified=result.last_modified,
            moved_to=result.moved_to,
        )


def parse_remoteok(body: bytes, url: str, source: str) -> list[Posting]:
    """Postings from a Remote OK API body (legal notice first); other shapes raise."""
    elements = expect_list(decode_json(body, url), "the response", url)
    # Element 0 is the legal notice, whatever keys it has this month.
    jobs = records(elements[1:], "jobs", url)
    with_id = [job for job in jobs if text(job, "id")]
    if len(with_id) < len(jobs):
        log.info("%s: skipped %d jobs without an id", url, len(jobs) - len(with_id))
    return [_posting(job, url, source) for job in with_id]


def _posting(job: dict[str, Any], api_url: str, source: str) -> Posting:
    link = absolute_url(text(job, "url", "apply_url"), api_url)
    description = sanitize_html(repair_text(text(job, "description")), base_url=link or api_url)
    tags = [plain_label(repair_text(tag)) for tag in strings(job.get("tags"))]
    return Posting(
        source=source,
        external_id=text(job, "id"),
        url=link,
        title=label(repair_text(text(job, "position"))),
        company=label(repair_text(text(job, "company"))),
        location=label(repair_text(text(job, "location"))),
        remote=True,
        employment_type=employment_type(next((t for t in tags if t.lower() in _TYPE_TAGS), "")),
        salary=_salary(job),
        posted_at=_posted_at(job),
        description_html=description,
        description_text=html_to_text(description),
        tags=unique(tags),
    )


def _salary(job: dict[str, Any]) -> Salary | None:
    low, high = job.get("salary_min"), job.get("salary_max")
    numbers = [n for n in (low, high) if isinstance(n, int | float) and not isinstance(n, bool)]
    period = "year" if numbers and max(numbers) >= _YEARLY_FROM else None
    return salary(low, high, "USD", period)


def _posted_at(job: dict[str, Any]) -> datetime | None:
    return parse_date(job.get("epoch")) or parse_date(text(job, "date"))
