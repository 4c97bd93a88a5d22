"""Ashby job boards: the public posting API, every listed job with compensation in one request.

The API names no company, so the display name comes from ``company_name:`` or, failing that,
the board slug title-cased ("ramp" -> "Ramp"). Jobs marked ``isListed: false`` are skipped.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urljoin

from aggregator.core.config import SourceOptions
from aggregator.core.models import Posting, Salary
from sources.ats import BoardOptions, BoardSource, Slug, UrlPattern
from sources.jsonapi import as_dict, as_list, decode_json, each_posting, list_in
from sources.markup import (
    description,
    employment_type,
    label,
    labels,
    looks_remote,
    plain_to_html,
)
from sources.values import parse_date, period_of, salary, text

ASHBY_URL = "https://api.ashbyhq.com/posting-api/job-board/{slug}?includeCompensation=true"


class AshbyOptions(BoardOptions):
    """Settings of an Ashby job board."""

    slug_setting: ClassVar[str] = "board"
    slug_hint: ClassVar[str] = "the name in jobs.ashbyhq.com/…"
    endpoint: ClassVar[str] = ASHBY_URL

    board: str | None = Slug  # the name in jobs.ashbyhq.com/<board>


def parse_ashby(
    body: bytes, url: str, source: str, company: str = "", fallback_company: str = ""
) -> list[Posting]:
    """Postings from a posting-API job-board response. Module-level so workers can run it.

    The API names no company: ``company`` if given, else ``fallback_company``.
    """
    jobs = list_in(decode_json(body, url), "jobs", url)
    named = company or fallback_company
    listed = [job for job in jobs if job.get("isListed") is not False]
    return each_posting(listed, lambda job: _posting(job, url, source, named), url)


def _posting(job: dict[str, Any], url: str, source: str, company: str) -> Posting:
    link = urljoin(url, text(job.get("jobUrl")) or text(job.get("applyUrl")))
    title = label(job.get("title"))
    secondary = [as_dict(place).get("location") for place in as_list(job.get("secondaryLocations"))]
    location = "; ".join(labels([job.get("location"), *secondary]))
    fragment = text(job.get("descriptionHtml")) or plain_to_html(text(job.get("descriptionPlain")))
    html, plain = description(fragment, link, unescape=True)
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
        posted_at=parse_date(job.get("publishedAt")),
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


class AshbySource(BoardSource):
    """Postings from an Ashby job board."""

    Options: ClassVar[type[SourceOptions]] = AshbyOptions
    type: ClassVar[str] = "ashby"
    url_patterns = (UrlPattern(r"jobs\.ashbyhq\.com"),)
    parser = parse_ashby
    options: AshbyOptions
