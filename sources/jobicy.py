"""Jobicy (jobicy.com): a remote-jobs board with a public JSON API.

The body is an envelope (``apiVersion``, ``friendlyNotice``, ``jobCount``, ...) around a ``jobs``
list. Jobicy HTML-escapes some labels twice ("HR &amp;amp; Recruiting") and states pay, when it
does, as ``salaryMin``/``salaryMax`` (older versions: ``annualSalaryMin``/``annualSalaryMax``).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field

from aggregator.core.config import SourceOptions
from aggregator.core.models import Posting, Salary, SourceState
from sources.base import CollectContext, Collected, ConfiguredSource, fetch_and_parse
from sources.jsonapi import (
    JSON_ACCEPT,
    absolute_url,
    decode_json,
    each_posting,
    first_text,
    list_in,
    strings,
    with_query,
)
from sources.markup import description, employment_type, plain_label, unique
from sources.values import parse_date, salary

JOBICY_API = "https://jobicy.com/api/v2/remote-jobs"


class JobicyOptions(SourceOptions):
    """Settings of a Jobicy source."""

    tag: str | None = None  # a keyword, e.g. "python"
    geo: str | None = None  # a region slug, e.g. "usa", "emea"
    count: Annotated[int, Field(ge=1, le=100)] = 50  # jobs per request (the API's maximum)


class JobicySource(ConfiguredSource):
    """Postings from Jobicy's public API."""

    Options: ClassVar[type[SourceOptions]] = JobicyOptions
    type: ClassVar[str] = "jobicy"
    options: JobicyOptions

    def endpoint(self) -> str:
        """The API URL with this source's filters."""
        options = self.options
        params = {"count": options.count, "tag": options.tag, "geo": options.geo}
        return with_query(options.url or JOBICY_API, params)

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Conditional GET of the job list, then parse it in a worker."""
        return await fetch_and_parse(
            context, state, self.endpoint(), parse_jobicy, self.options.name, accept=JSON_ACCEPT
        )


def parse_jobicy(body: bytes, url: str, source: str) -> list[Posting]:
    """Postings from a Jobicy API body; a body of another shape raises FeedFormatError."""
    jobs = list_in(decode_json(body, url), "jobs", url)
    return each_posting(jobs, lambda job: _posting(job, url, source), url)


def _label(value: str) -> str:
    # plain_label unescapes once; Jobicy sometimes escaped twice.
    once = plain_label(value) if "&amp;" in value else value
    return plain_label(once, blank_placeholders=True)


def _posting(job: dict[str, Any], api_url: str, source: str) -> Posting:
    link = absolute_url(first_text(job, "url"), api_url)
    html, plain = description(first_text(job, "jobDescription"), link or api_url)
    kinds = strings(job.get("jobType"))
    return Posting(
        source=source,
        external_id=first_text(job, "id"),
        url=link,
        title=_label(first_text(job, "jobTitle")),
        company=_label(first_text(job, "companyName")),
        location=_label(first_text(job, "jobGeo")),  # where candidates may live: "USA", "EMEA"
        remote=True,
        employment_type=next((kind for kind in map(employment_type, kinds) if kind), ""),
        salary=_salary(job),
        posted_at=parse_date(first_text(job, "pubDate")),
        description_html=html,
        description_text=plain,
        tags=unique(map(_label, strings(job.get("jobIndustry"))), ignore_case=True),
    )


def _salary(job: dict[str, Any]) -> Salary | None:
    currency = first_text(job, "salaryCurrency")
    if job.get("salaryMin") is not None or job.get("salaryMax") is not None:
        period = first_text(job, "salaryPeriod") or "year"
        return salary(job.get("salaryMin"), job.get("salaryMax"), currency, period)
    return salary(job.get("annualSalaryMin"), job.get("annualSalaryMax"), currency, "year")
