"""What the applicant-tracking-system sources share: endpoints from board slugs, one-request boards.

Greenhouse, Lever, Ashby, Workable, Recruitee and SmartRecruiters all publish a company's open
jobs as JSON at an address built from a board slug, which a ``url:`` may override. Reading their
payloads uses the shared helpers of :mod:`sources.jsonapi`, :mod:`sources.markup` and
:mod:`sources.values`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from pydantic import Field

from aggregator.core.config import SourceOptions
from aggregator.core.models import Posting, SourceState
from sources.base import CollectContext, Collected, fetch_and_parse
from sources.jsonapi import JSON_ACCEPT

# A board or company slug as it appears in the ATS's own URLs; no slashes, so it stays one
# path segment of the endpoint.
Slug = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def endpoint(
    options: SourceOptions, slug: str | None, template: str, setting: str, hint: str
) -> None:
    """Fill ``options.url`` from the board slug unless a ``url:`` override was given.

    Called from each options model's validator, so a source without either setting fails at
    config load time. Storing the effective URL in ``url`` also lets the pipeline notice when
    the slug changes and forget the old board's ETag.
    """
    if options.url:
        if urlsplit(options.url).scheme not in ("http", "https"):
            raise ValueError(f"`url:` must be an http(s) address, got {options.url!r}")
        return
    if not slug:
        raise ValueError(
            f"a {options.type} source needs `{setting}:` ({hint}) or a full `url:`; add one"
        )
    object.__setattr__(options, "url", template.format(slug=quote(slug, safe="")))


class BoardOptions(SourceOptions):
    """Settings of a board whose API sends every open job in one response (besides its slug)."""

    company_name: str | None = None  # display name; default: the API's, else the slug title-cased


async def collect_board(
    context: CollectContext,
    state: SourceState,
    options: BoardOptions,
    parse: Callable[..., list[Posting]],
    slug: str | None,
) -> Collected:
    """Conditional GET of a one-response board, mapped in the CPU pool.

    ``parse(body, url, source, company, fallback_company)`` gets ``company_name`` and the name
    guessed from ``slug``, for when the payload names no company.
    """
    assert options.url  # filled from the slug by the options validator
    return await fetch_and_parse(
        context,
        state,
        options.url,
        parse,
        options.name,
        options.company_name or "",
        company_from_slug(slug),
        accept=JSON_ACCEPT,
    )


def company_from_slug(slug: str | None) -> str:
    """A display name guessed from a slug: 'acme-corp' -> 'Acme Corp'."""
    return " ".join(part.capitalize() for part in re.split(r"[-_.\s]+", slug or "") if part)


def slug_from_url(url: str) -> str:
    """The last path segment of an endpoint URL: the board slug of an overridden ``url:``."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
