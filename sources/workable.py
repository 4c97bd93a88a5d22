"""Workable accounts: the careers-page widget API, every published job in one request.

With ``details=true`` each job carries its ``description`` (and, on some accounts,
``requirements`` and ``benefits``) as HTML; without it only the summary fields are sent.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urljoin

from aggregator.core.config import SourceOptions
from aggregator.core.models import Posting
from sources.ats import BoardOptions, BoardSource, Slug, UrlPattern
from sources.jsonapi import as_dict, as_list, decode_json, each_posting, expect_dict, list_in
from sources.markup import (
    description,
    employment_type,
    joined,
    label,
    labels,
    looks_remote,
    section,
    unique,
)
from sources.values import parse_date, text

WORKABLE_URL = "https://apply.workable.com/api/v1/widget/accounts/{slug}?details=true"


class WorkableOptions(BoardOptions):
    """Settings of a Workable account."""

    slug_setting: ClassVar[str] = "account"
    slug_hint: ClassVar[str] = "the name in apply.workable.com/…"
    endpoint: ClassVar[str] = WORKABLE_URL

    account: str | None = Slug  # the name in apply.workable.com/<account>


def parse_workable(
    body: bytes, url: str, source: str, company: str = "", fallback_company: str = ""
) -> list[Posting]:
    """Postings from a widget-API response. Module-level so workers can run it."""
    payload = expect_dict(decode_json(body, url), "the response", url)
    jobs = list_in(payload, "jobs", url)
    named = company or label(payload.get("name")) or fallback_company
    return each_posting(jobs, lambda job: _posting(job, url, source, named), url)


def _posting(job: dict[str, Any], url: str, source: str, company: str) -> Posting:
    link = urljoin(url, text(job.get("url")) or text(job.get("shortlink")))
    title = label(job.get("title"))
    location = _location(job)
    fragment = "".join(
        [
            text(job.get("description")),
            section("Requirements", job.get("requirements")),
            section("Benefits", job.get("benefits")),
        ]
    )
    html, plain = description(fragment, link, unescape=True)
    return Posting(
        source=source,
        external_id=text(job.get("shortcode")) or text(job.get("id")),
        url=link,
        title=title,
        company=company,
        location=location,
        remote=job.get("telecommuting") is True or looks_remote(location, title),
        employment_type=employment_type(text(job.get("employment_type"))),
        posted_at=parse_date(job.get("published_on") or job.get("created_at")),
        description_html=html,
        description_text=plain,
        tags=labels([job.get("department"), job.get("function")]),
    )


def _location(job: dict[str, Any]) -> str:
    """The shown locations ("City, Region, Country"; several joined by "; ")."""
    shown = [
        joined([place.get("city"), place.get("region"), place.get("country")])
        for place in map(as_dict, as_list(job.get("locations")))
        if place.get("hidden") is not True
    ]
    places = unique(shown)
    if places:
        return "; ".join(places)
    return joined([job.get("city"), job.get("state"), job.get("country")])


class WorkableSource(BoardSource):
    """Postings from a Workable account's careers page."""

    Options: ClassVar[type[SourceOptions]] = WorkableOptions
    type: ClassVar[str] = "workable"
    url_patterns = (UrlPattern(r"apply\.workable\.com"),)
    parser = parse_workable
    options: WorkableOptions
