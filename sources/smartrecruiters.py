"""SmartRecruiters companies: the public Posting API, paged with ``offset``/``limit``.

The postings list carries no job text, so by default each posting's details
(``/postings/{id}``: the job ad's sections and its public URL) are fetched too; a posting
whose details cannot be fetched is kept with what the list says. ``details: false`` skips
those requests for very large companies.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any, ClassVar
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from pydantic import Field

from aggregator.core.config import SourceOptions
from aggregator.core.errors import SourceError
from aggregator.core.models import Posting, SourceState
from sources.ats import BoardOptions, BoardSource, Slug, UrlPattern
from sources.base import CollectContext, Collected
from sources.jsonapi import (
    JSON_ACCEPT,
    PagedOptions,
    as_dict,
    decode_json,
    each_posting,
    expect_dict,
    fetch_pages,
    list_in,
)
from sources.markup import (
    description,
    employment_type,
    joined,
    label,
    labels,
    looks_remote,
    section,
)
from sources.values import parse_date, text

log = logging.getLogger(__name__)

SMARTRECRUITERS_URL = "https://api.smartrecruiters.com/v1/companies/{slug}/postings"
JOB_PAGE_URL = "https://jobs.smartrecruiters.com/{company}/{id}"
_SECTIONS = ("companyDescription", "jobDescription", "qualifications", "additionalInformation")

# (detail URL, body or None when it could not be fetched), one per posting
Detail = tuple[str, bytes | None]


class SmartRecruitersOptions(BoardOptions, PagedOptions):
    """Settings of a SmartRecruiters company (``company_name`` overrides the postings' own)."""

    slug_setting: ClassVar[str] = "company"
    slug_hint: ClassVar[str] = "the identifier in jobs.smartrecruiters.com/…"
    endpoint: ClassVar[str] = SMARTRECRUITERS_URL

    company: str | None = Slug  # the identifier in jobs.smartrecruiters.com/<company>
    page_size: Annotated[int, Field(ge=1, le=100)] = 100  # the API's maximum is 100
    details: bool = True  # fetch each posting's job ad (one request per posting)


def read_page(payload: Any, url: str) -> tuple[list[dict[str, Any]], int | None]:
    """A SmartRecruiters page: ``{"totalFound": n, "content": [...]}``."""
    total = expect_dict(payload, "the response", url).get("totalFound")
    return list_in(payload, "content", url), total if isinstance(total, int) else None


async def fetch_details(
    context: CollectContext, url: str, items: list[dict[str, Any]]
) -> list[Detail]:
    """Each posting's details body (None where it could not be fetched), in order."""
    base = urlunsplit(urlsplit(url)._replace(query="", fragment="")).rstrip("/")

    async def one(item: dict[str, Any]) -> Detail:
        detail_url = f"{base}/{quote(text(item.get('id')), safe='')}"
        if not text(item.get("id")):
            return detail_url, None
        try:
            result = await context.fetcher.get(detail_url, accept=JSON_ACCEPT)
        except SourceError as exc:
            log.warning("%s: no details (%s); keeping what the list says", detail_url, exc)
            return detail_url, None
        return detail_url, result.body

    return list(await asyncio.gather(*(one(item) for item in items)))


def map_smartrecruiters(
    items: list[dict[str, Any]],
    details: list[Detail],
    url: str,
    source: str,
    company: str = "",
    fallback_company: str = "",
) -> list[Posting]:
    """Postings from list items and their detail bodies. Module-level so workers can run it."""

    def posting(numbered: tuple[int, dict[str, Any]]) -> Posting:
        index, item = numbered
        detail = _decoded(details[index]) if index < len(details) else {}
        named = company or label(as_dict(item.get("company")).get("name")) or fallback_company
        return _posting({**item, **detail}, url, source, named)

    return each_posting(enumerate(items), posting, url)


def _decoded(detail: Detail) -> dict[str, Any]:
    detail_url, body = detail
    if body is None:
        return {}
    try:
        return expect_dict(decode_json(body, detail_url), "the posting details", detail_url)
    except SourceError as exc:
        log.warning("%s; keeping what the list says", exc)
        return {}


def _posting(job: dict[str, Any], url: str, source: str, company: str) -> Posting:
    identifier = text(job.get("id"))
    link = _link(job, identifier)
    title = label(job.get("name"))
    place = as_dict(job.get("location"))
    country = text(place.get("country"))
    location = label(place.get("fullLocation")) or joined(
        [place.get("city"), place.get("region"), country.upper() if len(country) == 2 else country]
    )
    sections = as_dict(as_dict(job.get("jobAd")).get("sections"))
    fragment = "".join(
        section(as_dict(sections.get(key)).get("title"), as_dict(sections.get(key)).get("text"))
        for key in _SECTIONS
    )
    html, plain = description(fragment, link or url, unescape=True)
    kind = as_dict(job.get("typeOfEmployment"))
    return Posting(
        source=source,
        external_id=identifier,
        url=link,
        title=title,
        company=company,
        location=location,
        remote=place.get("remote") is True or looks_remote(location, title),
        employment_type=employment_type(text(kind.get("label")) or text(kind.get("id"))),
        posted_at=parse_date(job.get("releasedDate")),
        description_html=html,
        description_text=plain,
        tags=labels(
            [as_dict(job.get("department")).get("label"), as_dict(job.get("function")).get("label")]
        ),
    )


def _link(job: dict[str, Any], identifier: str) -> str:
    """The public job page: ``postingUrl`` from the details, else built from the ids."""
    posting_url = text(job.get("postingUrl"))
    if posting_url:
        return urljoin("https://jobs.smartrecruiters.com/", posting_url)
    company = text(as_dict(job.get("company")).get("identifier"))
    if not (company and identifier):
        return ""
    return JOB_PAGE_URL.format(company=quote(company, safe=""), id=quote(identifier, safe=""))


class SmartRecruitersSource(BoardSource):
    """Postings from a SmartRecruiters company."""

    Options: ClassVar[type[SourceOptions]] = SmartRecruitersOptions
    type: ClassVar[str] = "smartrecruiters"
    url_patterns = (UrlPattern(r"(careers|jobs)\.smartrecruiters\.com"),)
    options: SmartRecruitersOptions

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """List every page (at most ``max_pages``), fetch details, map in the CPU pool."""
        options = self.options
        assert options.url  # filled from `company` by the options validator
        items = await fetch_pages(
            context, options.url, "offset", options.page_size, options.max_pages, read_page
        )
        details = await fetch_details(context, options.url, items) if options.details else []
        postings = await context.pool.run(
            map_smartrecruiters,
            items,
            details,
            options.url,
            options.name,
            options.company_name or "",
            self.company_from_slug,
        )
        return Collected(postings=postings)
