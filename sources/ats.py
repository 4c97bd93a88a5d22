"""The declarative base of applicant-tracking-system boards: each board module states the rest.

Greenhouse, Lever, Ashby, Workable, Recruitee and SmartRecruiters publish a company's open jobs
as JSON at an address built from a board slug, which a ``url:`` may override. A board module
states what differs and inherits everything else:

- its options, a :class:`BoardOptions` subclass: the slug setting as a field (``board:``,
  ``company:``, ``account:``) and, as class variables, that setting's name, where a user finds
  the slug, and the API ``endpoint`` with ``{slug}``;
- its source, a :class:`BoardSource` subclass: ``type``, ``Options``, the careers-page
  addresses ``leads add-source`` recognises (``url_patterns``), and its ``parser`` (a
  one-response board) or its own ``collect`` (a paged API).

What every board then does alike: a missing slug fails at config load, the slug fills the
endpoint, and a ``url:`` override gives the slug back from where the endpoint puts it, so the
company name guessed from the slug is the same with either setting. Reading the payloads uses
the shared helpers of :mod:`sources.jsonapi`, :mod:`sources.markup` and :mod:`sources.values`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import SplitResult, quote, unquote, urlsplit

from pydantic import Field, model_validator

from aggregator.core.config import SourceOptions
from aggregator.core.models import Posting, SourceState
from sources.base import CollectContext, Collected, ConfiguredSource, fetch_and_parse
from sources.jsonapi import JSON_ACCEPT

# A board or company slug as it appears in the ATS's own URLs; no slashes, so it stays one
# path segment of the endpoint.
Slug = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# A slug that is a host name's first label (<company>.recruitee.com).
HostSlug = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$")

# parse(body, url, source name, company_name setting, company guessed from the slug)
BoardParser = Callable[[bytes, str, str, str, str], list[Posting]]


def first_path_segment(url: SplitResult, host: re.Match[str]) -> str:
    """The slug of most careers pages: the first segment of the path (jobs.lever.co/<slug>)."""
    return next((part for part in url.path.split("/") if part), "")


@dataclass(frozen=True, slots=True)
class UrlPattern:
    """A careers-page address that ``leads add-source`` recognises as a board, unfetched."""

    host: str  # a regular expression the whole lower-cased host name must match
    slug: Callable[[SplitResult, re.Match[str]], str] = first_path_segment  # "" when absent
    settings: tuple[tuple[str, str], ...] = ()  # further settings the address implies


class BoardOptions(SourceOptions):
    """Settings every ATS board has; a subclass adds its slug field and states its endpoint."""

    slug_setting: ClassVar[str]  # the config key of the slug: "board", "company", "account"
    slug_hint: ClassVar[str]  # where a user sees the slug, for the error when it is missing
    endpoint: ClassVar[str]  # the API address, with {slug}

    company_name: str | None = None  # display name; default: the API's, else the slug title-cased

    def endpoint_template(self) -> str:
        """The API address with ``{slug}`` (a board hosted in several regions picks one)."""
        return self.endpoint

    @property
    def slug(self) -> str:
        """The slug setting, else the slug read from the ``url:`` override ("" if none)."""
        given: str | None = getattr(self, self.slug_setting)
        return given or slug_in(self.url or "", self.endpoint_template())

    @model_validator(mode="after")
    def _fill_endpoint(self) -> BoardOptions:
        """Fill ``url`` from the slug unless a ``url:`` override was given.

        So a source without either setting fails at config load time; storing the effective
        URL in ``url`` also lets the pipeline notice a changed slug and forget the old ETag.
        """
        if self.url:
            if urlsplit(self.url).scheme not in ("http", "https"):
                raise ValueError(f"`url:` must be an http(s) address, got {self.url!r}")
            return self
        slug = getattr(self, self.slug_setting)
        if not slug:
            raise ValueError(
                f"a {self.type} source needs `{self.slug_setting}:` ({self.slug_hint}) "
                "or a full `url:`; add one"
            )
        object.__setattr__(self, "url", self.endpoint_template().format(slug=quote(slug, safe="")))
        return self


class BoardSource(ConfiguredSource):
    """A company's board on an ATS: built from a slug, recognised from its careers pages.

    A one-response board sets ``parser``; a paged one overrides ``collect`` instead.
    """

    company_page: ClassVar[bool] = True
    url_patterns: ClassVar[tuple[UrlPattern, ...]] = ()
    parser: ClassVar[BoardParser]
    options: BoardOptions

    @property
    def company_from_slug(self) -> str:
        """The display name guessed from the board slug, for payloads that name no company."""
        return company_from_slug(self.options.slug)

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Conditional GET of the board, mapped by ``parser`` in the CPU pool."""
        options = self.options
        assert options.url  # filled from the slug by the options validator
        return await fetch_and_parse(
            context,
            state,
            options.url,
            type(self).parser,
            options.name,
            options.company_name or "",
            self.company_from_slug,
            accept=JSON_ACCEPT,
        )

    @classmethod
    def settings_for(cls, url: str) -> dict[str, Any] | None:
        """The config entry for a careers-page ``url`` of this board; None if it is not one."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        for pattern in cls.url_patterns:
            found = re.fullmatch(pattern.host, host)
            if found:
                slug = pattern.slug(parts, found)
                setting = cls.Options.slug_setting  # type: ignore[attr-defined]
                return {"type": cls.type, setting: slug, **dict(pattern.settings)} if slug else None
        return None


def slug_in(url: str, template: str) -> str:
    """The slug in ``url`` where ``template`` has ``{slug}``; "" when the URL has another shape.

    In a host (``{slug}.recruitee.com``) it is the host's first label; in a path it is the
    segment followed by the template's remaining segments (``/boards/{slug}/jobs``).
    """
    wanted, given = urlsplit(template), urlsplit(url)
    if "{slug}" in wanted.netloc:
        shape = re.escape(wanted.netloc).replace(re.escape("{slug}"), "([a-z0-9-]+)")
        found = re.fullmatch(shape, given.hostname or "")
        return found.group(1) if found else ""
    segments = wanted.path.strip("/").split("/")
    after = segments[segments.index("{slug}") + 1 :]
    parts = [unquote(part) for part in given.path.split("/") if part]
    if len(parts) <= len(after) or parts[len(parts) - len(after) :] != after:
        return ""
    return parts[-len(after) - 1]


def company_from_slug(slug: str | None) -> str:
    """A display name guessed from a slug: 'acme-corp' -> 'Acme Corp'."""
    return " ".join(part.capitalize() for part in re.split(r"[-_.\s]+", slug or "") if part)
