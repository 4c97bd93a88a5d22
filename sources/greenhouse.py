"""Greenhouse job boards: every open job of a board, with its content, in one request.

The Job Board API sends ``content`` HTML-escaped (``&lt;p&gt;``), so it is unescaped once and
then sanitised. ``metadata``, ``departments`` and ``offices`` may be missing or ``null``.
"""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar
from urllib.parse import SplitResult, parse_qs, urljoin

from aggregator.core.config import SourceOptions
from aggregator.core.models import Posting, Salary
from sources.ats import BoardOptions, BoardSource, Slug, UrlPattern, first_path_segment
from sources.jsonapi import as_dict, as_list, decode_json, each_posting, list_in
from sources.markup import description, employment_type, label, labels, looks_remote
from sources.values import closing_date, parse_date, period_of, salary, text

log = logging.getLogger(__name__)

GREENHOUSE_URL = "https://boards-api.greenhouse.io/v1/boards/{slug}/jobs?content=true"
# Custom job fields ("metadata") that boards use for the kind of contract.
_EMPLOYMENT_FIELDS = frozenset({"employment type", "job type", "commitment", "time type"})


class GreenhouseOptions(BoardOptions):
    """Settings of a Greenhouse board."""

    slug_setting: ClassVar[str] = "board"
    slug_hint: ClassVar[str] = "the name in boards.greenhouse.io/…"
    endpoint: ClassVar[str] = GREENHOUSE_URL

    board: str | None = Slug  # the name in boards.greenhouse.io/<board>


def parse_greenhouse(
    body: bytes, url: str, source: str, company: str = "", fallback_company: str = ""
) -> list[Posting]:
    """Postings from a Job Board API ``/jobs`` response; FeedFormatError if it is not one.

    ``company`` overrides the payload's ``company_name``; ``fallback_company`` is used when the
    payload names none. A module-level function so worker processes can run it.
    """
    jobs = list_in(decode_json(body, url), "jobs", url)
    return each_posting(
        jobs, lambda job: _posting(job, url, source, company, fallback_company), url
    )


def _posting(job: dict[str, Any], url: str, source: str, company: str, fallback: str) -> Posting:
    link = urljoin(url, text(job.get("absolute_url")))
    title = label(job.get("title"))
    location = label(as_dict(job.get("location")).get("name"))
    offices = [as_dict(office).get("name") for office in as_list(job.get("offices"))]
    metadata = [as_dict(field) for field in as_list(job.get("metadata"))]
    html, plain = description(text(job.get("content")), link, unescape=True)
    return Posting(
        source=source,
        external_id=text(job.get("id")),
        url=link,
        title=title,
        company=company or label(job.get("company_name")) or fallback,
        location=location,
        remote=looks_remote(location, title, *labels(offices)),
        employment_type=employment_type(_employment(metadata)),
        salary=_salary(metadata),
        posted_at=parse_date(job.get("first_published") or job.get("updated_at")),
        description_html=html,
        description_text=plain,
        tags=labels(
            as_dict(department).get("name") for department in as_list(job.get("departments"))
        ),
        closes_at=closing_date(job.get("application_deadline")),
    )


def _employment(metadata: list[dict[str, Any]]) -> str:
    for field in metadata:
        if label(field.get("name")).lower() in _EMPLOYMENT_FIELDS:
            return " ".join(text(value) for value in as_list(field.get("value")))
    return ""


def _salary(metadata: list[dict[str, Any]]) -> Salary | None:
    """A pay range from a ``currency_range`` custom field ("Salary Range": min/max/unit)."""
    for field in metadata:
        value = as_dict(field.get("value"))
        if field.get("value_type") == "currency_range" and value:
            return salary(
                value.get("min_value"),
                value.get("max_value"),
                text(value.get("unit")) or None,
                period_of(field.get("name")),
            )
    return None


def _board_in(url: SplitResult, host: re.Match[str]) -> str:
    """The board of a board page, or of an embedded board (``/embed/job_board?for=<board>``)."""
    board = parse_qs(url.query).get("for", [""])[0]
    first = first_path_segment(url, host)
    return board or ("" if first == "embed" else first)


class GreenhouseSource(BoardSource):
    """Postings from a Greenhouse job board."""

    Options: ClassVar[type[SourceOptions]] = GreenhouseOptions
    type: ClassVar[str] = "greenhouse"
    url_patterns = (UrlPattern(r"(job-)?boards(\.eu)?\.greenhouse\.io", _board_in),)
    parser = parse_greenhouse
    options: GreenhouseOptions
