"""Ashby job boards: the public posting API, every listed job with compensation in one request.

The API names no company, so the display name comes from ``company_name:`` or, failing that,
the board slug title-cased ("ramp" -> "Ramp"). Jobs marked ``isListed: false`` are skipped.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urljoin

from pydantic import model_validator

from aggregator.config import SourceOptions
from aggregator.models import Posting, Salary, SourceState
from sources.ats import (
    Slug,
    as_dict,
    as_list,
    collect_json,
    company_from_slug,
    date_of,
    description,
    endpoint,
    label,
    labels,
    list_in,
    period_of,
    plain_to_html,
    slug_from_url,
    text,
)
from sources.base import CollectContext, Collected
from sources.jsonapi import decode_json
from sources.markup import employment_type, looks_remote
from sources.values import salary

ASHBY_URL = "https://api.ashbyhq.com/posting-api/job-board/{slug}?includeCompensation=true"


class AshbyOptions(SourceOptions):
    """Settings of an Ashby job board."""

    board: str | None = Slug  # the name in jobs.ashbyhq.com/<board>
    company_name: str | None = None  # display name; default: the board slug title-cased

    @model_validator(mode="after")
    def _endpoint(self) -> AshbyOptions:
        endpoint(self, self.board, ASHBY_URL, "board", "the name in jobs.ashbyhq.com/…")
        return self


class AshbySource:
    """Postings from an Ashby job board."""

    Options: ClassVar[type[SourceOptions]] = AshbyOptions
    type: ClassVar[str] = "ashby"

    def __init__(self, options: SourceOptions) -> None:
        assert isinstance(options, AshbyOptions)
        self.options: AshbyOptions = options

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Conditional GET of the board, mapped in the CPU pool."""
        options = self.options
        assert options.url  # filled from `board` by the options validator
        company = options.company_name or company_from_slug(
            options.board or slug_from_url(options.url)
        )
        return await collect_json(context, state, options.url, parse_ashby, options.name, company)


def parse_ashby(body: bytes, url: str, source: str, company: str) -> list[Posting]:
    """Postings from a posting-API job-board response. Module-level so workers can run it."""
    jobs = list_in(decode_json(body, url), "jobs", url)
    return [_posting(job, url, source, company) for job in jobs if job.get("isListed") is not False]


def _posting(job: dict[str, Any], url: str, source: str, company: str) -> Posting:
    link = urljoin(url, text(job.get("jobUrl")) or text(job.get("applyUrl")))
    title = label(job.get("title"))
    secondary = [as_dict(place).get("location") for place in as_list(job.get("secondaryLocations"))]
    location = "; ".join(labels([job.get("location"), *secondary]))
    fragment = text(job.get("descriptionHtml")) or plain_to_html(text(job.get("descriptionPlain")))
    html, plain = description(fragment, link)
    return Posting(
        source=source,
        external_id=text(job.get("id")),
        url=link,
        title=title,
        company=company,
        location=location,
        remote=_remote(job) or looks_remote(location, title),
        employment_type=employment_type(text(job.get("employmentType"))),
        salary=_salary(as_dict(job.get("compensation"))),
        posted_at=date_of(job.get("publishedAt")),
        description_html=html,
        description_text=plain,
        tags=labels([job.get("department"), job.get("team")]),
    )


def _remote(job: dict[str, Any]) -> bool:
    """``workplaceType`` when given (Ramp marks hybrid jobs ``isRemote``), else ``isRemote``."""
    workplace = text(job.get("workplaceType")).lower()
    return workplace == "remote" if workplace else job.get("isRemote") is True


def _salary(compensation: dict[str, Any]) -> Salary | None:
    """The Salary component's range, worded as the board's summary line."""
    wording = text(
        compensation.get("compensationTierSummary")
        or compensation.get("scrapeableCompensationSalarySummary")
    )
    components = map(as_dict, as_list(compensation.get("summaryComponents")))
    pay = next((c for c in components if text(c.get("compensationType")) == "Salary"), {})
    return salary(
        pay.get("minValue"),
        pay.get("maxValue"),
        text(pay.get("currencyCode")) or None,
        period_of(pay.get("interval")),
        wording or None,
    )
