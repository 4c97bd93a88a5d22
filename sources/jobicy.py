"""Jobicy (jobicy.com): a remote-jobs board with a public JSON API.

The body is an envelope (``apiVersion``, ``friendlyNotice``, ``jobCount``, ...) around a ``jobs``
list. Jobicy HTML-escapes some labels twice ("HR &amp;amp; Recruiting") and states pay, when it
does, as ``salaryMin``/``salaryMax`` (older versions: ``annualSalaryMin``/``annualSalaryMax``).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field

from aggregator.config import SourceOptions
from aggregator.models import Posting, Salary, SourceState
from sources.base import CollectContext, Collected
from sources.boardkit import absolute_url, label, member, records, strings, text, unique, with_query
from sources.jsonapi import JSON_ACCEPT, decode_json
from sources.markup import employment_type, html_to_text, plain_label, sanitize_html
from sources.values import parse_date, salary

JOBICY_API = "https://jobicy.com/api/v2/remote-jobs"


class JobicyOptions(SourceOptions):
    """Settings of a Jobicy source."""

    tag: str | None = None  # a keyword, e.g. "python"
    geo: str | None = None  # a region slug, e.g. "usa", "emea"
    count: Annotated[int, Field(ge=1, le=100)] = 50  # jobs per request (the API's maximum)


class JobicySource:
    """Postings from Jobicy's public API."""

    Options: ClassVar[type[SourceOptions]] = JobicyOptions
    type: ClassVar[str] = "jobicy"

    def __init__(self, options: SourceOptions) -> None:
        assert isinstance(options, JobicyOptions)
        self.options: JobicyOptions = options

    def endpoint(self) -> str:
        """The API URL with this source's filters."""
        options = self.options
        params = {"count": options.count, "tag": options.tag, "geo": options.geo}
        return with_query(options.url or JOBICY_API, params)

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
        postings = await context.pool.run(parse_jobicy, result.body, result.url, self.options.name)
        return Collected(
            postings=postings,
            etag=result.etag,
            last_modified=result.last_modified,
            moved_to=result.moved_to,
        )


def parse_jobicy(body: bytes, url: str, source: str) -> list[Posting]:
    """Postings from a Jobicy API body; a body of another shape raises FeedFormatError."""
    jobs = records(member(decode_json(body, url), "jobs", "the response", url), "jobs", url)
    return [_posting(job, url, source) for job in jobs]


def _label(value: str) -> str:
    # plain_label unescapes once; Jobicy sometimes escaped twice.
    return label(plain_label(value)) if "&amp;" in value else label(value)


def _posting(job: dict[str, Any], api_url: str, source: str) -> Posting:
    link = absolute_url(text(job, "url"), api_url)
    description = sanitize_html(text(job, "jobDescription"), base_url=link or api_url)
    kinds = strings(job.get("jobType"))
    return Posting(
        source=source,
        external_id=text(job, "id"),
        url=link,
        title=_label(text(job, "jobTitle")),
        company=_label(text(job, "companyName")),
        location=_label(text(job, "jobGeo")),  # where candidates may live: "USA", "EMEA"
        remote=True,
        employment_type=next((kind for kind in map(employment_type, kinds) if kind), ""),
        salary=_salary(job),
        posted_at=parse_date(text(job, "pubDate")),
        description_html=description,
        description_text=html_to_text(description),
        tags=unique([_label(tag) for tag in strings(job.get("jobIndustry"))]),
    )


def _salary(job: dict[str, Any]) -> Salary | None:
    if job.get("salaryMin") is not None or job.get("salaryMax") is not None:
        period = text(job, "salaryPeriod") or "year"
        return salary(
            job.get("salaryMin"), job.get("salaryMax"), text(job, "salaryCurrency"), period
        )
    return salary(
        job.get("annualSalaryMin"), job.get("annualSalaryMax"), text(job, "salaryCurrency"), "year"
    )
