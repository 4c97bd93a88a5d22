"""Lever job sites: the public postings API, paged with ``skip``/``limit``.

A Lever posting's text is spread over ``description`` (opening and body), ``lists`` (titled
bullet lists such as "Requirements") and ``additional``; they are put back together in the
order the job page shows them. The API names no company, so the display name comes from
``company_name:`` or, failing that, the company slug title-cased ("leverdemo" -> "Leverdemo").
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urljoin

from pydantic import Field

from aggregator.core.config import SourceOptions
from aggregator.core.models import Posting, Salary, SourceState
from sources.ats import BoardOptions, BoardSource, Slug, UrlPattern, company_from_slug
from sources.base import CollectContext, Collected
from sources.jsonapi import PagedOptions, as_dict, as_list, each_posting, fetch_pages, records
from sources.markup import (
    description,
    employment_type,
    label,
    labels,
    looks_remote,
    plain_to_html,
    section,
)
from sources.values import parse_date, period_of, salary, text

LEVER_URLS = {
    "us": "https://api.lever.co/v0/postings/{slug}?mode=json",
    "eu": "https://api.eu.lever.co/v0/postings/{slug}?mode=json",
}


class LeverOptions(BoardOptions, PagedOptions):
    """Settings of a Lever job site."""

    slug_setting: ClassVar[str] = "company"
    slug_hint: ClassVar[str] = "the name in jobs.lever.co/…"

    company: str | None = Slug  # the name in jobs.lever.co/<company>
    region: Literal["us", "eu"] = "us"  # "eu" for accounts hosted on jobs.eu.lever.co
    page_size: Annotated[int, Field(ge=1, le=1000)] = 100

    def endpoint_template(self) -> str:
        """The postings API of the account's region."""
        return LEVER_URLS[self.region]


def read_page(payload: Any, url: str) -> tuple[list[dict[str, Any]], int | None]:
    """A Lever page: a bare array of postings; the API announces no total."""
    return records(payload, "the postings", url), None


def map_lever(items: list[dict[str, Any]], url: str, source: str, company: str) -> list[Posting]:
    """Postings from decoded Lever posting objects. Module-level so workers can run it."""
    return each_posting(items, lambda item: _posting(item, url, source, company), url)


def _posting(item: dict[str, Any], url: str, source: str, company: str) -> Posting:
    categories = as_dict(item.get("categories"))
    link = urljoin(url, text(item.get("hostedUrl")) or text(item.get("applyUrl")))
    title = label(item.get("text"))
    places = labels(as_list(categories.get("allLocations"))) or labels([categories.get("location")])
    location = "; ".join(places)
    html, plain = description(_description_html(item), link, unescape=True)
    return Posting(
        source=source,
        external_id=text(item.get("id")),
        url=link,
        title=title,
        company=company,
        location=location,
        remote=text(item.get("workplaceType")).lower() == "remote" or looks_remote(location, title),
        employment_type=employment_type(text(categories.get("commitment"))),
        salary=_salary(item.get("salaryRange")),
        posted_at=parse_date(item.get("createdAt")),
        description_html=html,
        description_text=plain,
        tags=labels([categories.get("team"), categories.get("department")]),
    )


def _description_html(item: dict[str, Any]) -> str:
    """Opening and body, the titled lists, the pay note and the closing, as on the job page."""
    main = text(item.get("description")) or text(item.get("opening")) + text(
        item.get("descriptionBody")
    )
    if not main and text(item.get("descriptionPlain")):
        main = plain_to_html(text(item.get("descriptionPlain")))
    parts = [main]
    for entry in map(as_dict, as_list(item.get("lists"))):
        content = text(entry.get("content")).strip()
        if content:
            parts.append(section(entry.get("text"), f"<ul>{content}</ul>"))
    parts += [text(item.get("salaryDescription")), text(item.get("additional"))]
    return "".join(parts)


def _salary(value: Any) -> Salary | None:
    pay = as_dict(value)
    if not pay:
        return None
    return salary(
        pay.get("min"),
        pay.get("max"),
        text(pay.get("currency")) or None,
        period_of(pay.get("interval")),
    )


class LeverSource(BoardSource):
    """Postings from a Lever job site."""

    Options: ClassVar[type[SourceOptions]] = LeverOptions
    type: ClassVar[str] = "lever"
    url_patterns = (
        UrlPattern(r"jobs\.lever\.co"),
        UrlPattern(r"jobs\.eu\.lever\.co", settings=(("region", "eu"),)),
    )
    options: LeverOptions

    @classmethod
    def settings_for(cls, url: str) -> dict[str, Any] | None:
        """The board's entry, with ``company_name``: Lever's API names no company, so the
        entry shows where to write its proper name."""
        entry = super().settings_for(url)
        if entry is not None:
            entry["company_name"] = company_from_slug(entry["company"])
        return entry

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Fetch every page (at most ``max_pages``), then map the postings in the CPU pool."""
        options = self.options
        assert options.url  # filled from `company` by the options validator
        items = await fetch_pages(
            context, options.url, "skip", options.page_size, options.max_pages, read_page
        )
        company = options.company_name or self.company_from_slug
        postings = await context.pool.run(map_lever, items, options.url, options.name, company)
        return Collected(postings=postings)
