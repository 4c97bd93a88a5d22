"""Recruitee careers sites: the public offers API, every published offer in one request.

Recruitee writes dates as ``2026-07-17 11:00:39 UTC``, codes rather than labels for the
category (``information_technology``) and leaves zero-width spaces in department names.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import SplitResult, urljoin

from aggregator.core.config import SourceOptions
from aggregator.core.models import Posting
from sources.ats import BoardOptions, BoardSource, HostSlug, UrlPattern
from sources.jsonapi import as_dict, as_list, decode_json, each_posting, list_in
from sources.markup import (
    description,
    employment_type,
    joined,
    label,
    labels,
    looks_remote,
    section,
)
from sources.values import parse_date, period_of, salary, text

RECRUITEE_URL = "https://{slug}.recruitee.com/api/offers/"


class RecruiteeOptions(BoardOptions):
    """Settings of a Recruitee careers site."""

    slug_setting: ClassVar[str] = "company"
    slug_hint: ClassVar[str] = "the name in <company>.recruitee.com"
    endpoint: ClassVar[str] = RECRUITEE_URL

    company: str | None = HostSlug  # the subdomain in <company>.recruitee.com: a DNS label


def parse_recruitee(
    body: bytes, url: str, source: str, company: str = "", fallback_company: str = ""
) -> list[Posting]:
    """Postings from an ``/api/offers/`` response. Module-level so workers can run it."""
    offers = list_in(decode_json(body, url), "offers", url)
    return each_posting(
        offers, lambda offer: _posting(offer, url, source, company, fallback_company), url
    )


def _posting(offer: dict[str, Any], url: str, source: str, company: str, fallback: str) -> Posting:
    link = urljoin(url, text(offer.get("careers_url")) or text(offer.get("careers_apply_url")))
    title = label(offer.get("title"))
    location = _location(offer)
    fragment = text(offer.get("description")) + section("Requirements", offer.get("requirements"))
    html, plain = description(fragment, link, unescape=True)
    pay = as_dict(offer.get("salary"))
    category = text(offer.get("category_code")).replace("_", " ").title()
    return Posting(
        source=source,
        external_id=text(offer.get("id")) or text(offer.get("slug")),
        url=link,
        title=title,
        company=company or label(offer.get("company_name")) or fallback,
        location=location,
        remote=offer.get("remote") is True or looks_remote(location, title),
        employment_type=employment_type(text(offer.get("employment_type_code"))),
        salary=salary(
            pay.get("min"),
            pay.get("max"),
            text(pay.get("currency")) or None,
            period_of(pay.get("period")),
        ),
        posted_at=parse_date(offer.get("published_at") or offer.get("created_at")),
        description_html=html,
        description_text=plain,
        tags=labels([offer.get("department"), category, *as_list(offer.get("tags"))]),
    )


def _location(offer: dict[str, Any]) -> str:
    """The offer's location; a bare "Remote job" keeps the office's city and country."""
    stated = label(offer.get("location"))
    place = joined([offer.get("city"), offer.get("country")])
    if stated and place and looks_remote(stated) and place not in stated:
        return f"{stated} ({place})"
    return stated or place


def _subdomain(url: SplitResult, host: re.Match[str]) -> str:
    """The company of ``<company>.recruitee.com``."""
    return host.group(1)


class RecruiteeSource(BoardSource):
    """Postings from a Recruitee careers site."""

    Options: ClassVar[type[SourceOptions]] = RecruiteeOptions
    type: ClassVar[str] = "recruitee"
    # Recruitee's own site and app are not careers sites.
    url_patterns = (UrlPattern(r"(?!(?:www|app|api)\.)([a-z0-9-]+)\.recruitee\.com", _subdomain),)
    parser = parse_recruitee
    options: RecruiteeOptions
