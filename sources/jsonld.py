"""Career pages with schema.org JobPosting markup in ``<script type="application/ld+json">``.

Real pages bend JSON-LD: postings sit in ``@graph`` or in top-level arrays, blocks carry
JavaScript comments, trailing commas or raw line breaks inside strings, and descriptions are
HTML (sometimes escaped). A block that cannot be read even leniently is skipped with a logged
reason; a page without any JobPosting is an error naming the page, and one bad page of several
does not lose the postings of the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import warnings
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urljoin, urlsplit

from pydantic import model_validator

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

from aggregator.core.config import SourceOptions
from aggregator.core.errors import FeedFormatError, FetchError, SourceError
from aggregator.core.models import Posting, Salary, SourceState
from sources.base import CollectContext, Collected, ConfiguredSource
from sources.jsonapi import as_list, each_posting, why_unreadable
from sources.markup import (
    description,
    employment_type,
    joined,
    label,
    labels,
    looks_remote,
    plain_to_html,
    unescape_once,
    unique,
)
from sources.values import closing_date, parse_date, period_of, salary, text

log = logging.getLogger(__name__)

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_MAX_DEPTH = 12  # JobPostings nest a few levels deep at most (ItemList → ListItem → item)
_PARSED_TAGS = ("script", "link")


class JsonLdOptions(SourceOptions):
    """Settings of a set of career pages with JobPosting JSON-LD."""

    urls: tuple[str, ...] = ()  # the career pages (job pages or listings) to read
    company_name: str | None = None  # overrides the pages' hiringOrganization

    @model_validator(mode="after")
    def _pages(self) -> JsonLdOptions:
        if not self.urls and not self.url:
            raise ValueError(
                "a jsonld source needs `urls:` (a list of career-page addresses with "
                "schema.org JobPosting markup); add one"
            )
        for url in self.pages:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"every career page must be an http(s) address, got {url!r}")
        return self

    @property
    def pages(self) -> tuple[str, ...]:
        """The pages to read: ``urls``, or the single ``url``."""
        return self.urls or ((self.url,) if self.url else ())


class JsonLdSource(ConfiguredSource):
    """Postings from the JobPosting JSON-LD of one or more career pages."""

    Options: ClassVar[type[SourceOptions]] = JsonLdOptions
    type: ClassVar[str] = "jsonld"
    company_page: ClassVar[bool] = True
    options: JsonLdOptions

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Read every page; keep the good ones' postings, fail only when every page failed."""
        pages = self.options.pages
        outcomes = await asyncio.gather(*(self._page(context, url) for url in pages))
        postings = [p for outcome in outcomes if isinstance(outcome, list) for p in outcome]
        failures = [outcome for outcome in outcomes if isinstance(outcome, SourceError)]
        if failures and len(failures) == len(pages):
            raise _combined(failures)
        for failure in failures:
            log.warning("%s: skipped a career page: %s", self.options.name, failure)
        return Collected(postings=postings)

    async def _page(self, context: CollectContext, url: str) -> list[Posting] | SourceError:
        try:
            result = await context.fetcher.get(url, accept=PAGE_ACCEPT)
            return await context.pool.run(
                parse_jsonld_page,
                result.body,
                result.url,
                result.content_type,
                self.options.name,
                self.options.company_name or "",
            )
        except SourceError as exc:
            return exc


def _combined(failures: list[SourceError]) -> SourceError:
    if len(failures) == 1:
        return failures[0]
    kind = FetchError if all(isinstance(f, FetchError) for f in failures) else FeedFormatError
    reasons = "; ".join(str(failure) for failure in failures)
    return kind(f"none of the {len(failures)} career pages gave postings: {reasons}")


def parse_jsonld_page(
    body: bytes, url: str, content_type: str, source: str, company: str = ""
) -> list[Posting]:
    """Postings from a page's JobPosting JSON-LD; FeedFormatError when it has none.

    A module-level function so worker processes can run it.
    """
    soup = _soup(body, content_type)
    blocks = [
        script.get_text()
        for script in soup.find_all("script")
        if str(script.get("type") or "").split(";")[0].strip().lower() == "application/ld+json"
    ]
    canonical = _canonical(soup, url)
    nodes: list[dict[str, Any]] = []
    types: list[str] = []
    unreadable = 0
    for index, block in enumerate(blocks, start=1):
        data, problem = load_jsonld(block)
        if problem:
            unreadable += 1
            log.info("%s: skipped JSON-LD block %d: %s", url, index, problem)
            continue
        nodes += job_postings(data, types)
    if not nodes:
        raise FeedFormatError(
            f"{url}: no schema.org JobPosting found ({_why(blocks, types, unreadable)})"
        )
    postings = each_posting(
        nodes, lambda node: _posting(node, url, canonical, source, company), url
    )
    return _distinct_ids(postings)


def _soup(body: bytes, content_type: str) -> BeautifulSoup:
    # Imported here: BeautifulSoup costs 65 ms to import, paid only when a page is parsed
    # (in a worker), not by every `leads` command.
    from bs4 import (
        BeautifulSoup,
        MarkupResemblesLocatorWarning,
        SoupStrainer,
        XMLParsedAsHTMLWarning,
    )

    charset = content_type.lower().partition("charset=")[2].split(";")[0].strip(" \"'")
    with warnings.catch_warnings():
        # The body is a fetched document, never a file name or URL, whatever it looks like;
        # an XML body is fine too, only its <script> elements matter.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(
            body,
            "html.parser",
            parse_only=SoupStrainer(list(_PARSED_TAGS)),
            from_encoding=charset or None,
        )


def _canonical(soup: BeautifulSoup, url: str) -> str:
    for link in soup.find_all("link", href=True):
        if "canonical" in [str(rel).lower() for rel in as_list(link.get("rel"))]:
            return urljoin(url, str(link["href"]).strip())
    return url


def _why(blocks: list[str], types: list[str], unreadable: int) -> str:
    if not blocks:
        return "the page has no JSON-LD at all; use a job page of the site, or its feed"
    described = ", ".join(dict.fromkeys(types)) or "nothing typed"
    skipped = f"; {unreadable} block(s) could not be read" if unreadable else ""
    return f"its {len(blocks)} JSON-LD block(s) describe {described}{skipped}"


def load_jsonld(block: str) -> tuple[Any, str | None]:
    """A JSON-LD block's data, repairing what real pages get wrong; else (None, the reason)."""
    source = block.strip()
    for opener, closer in (("<!--", "-->"), ("<![CDATA[", "]]>")):
        if source.startswith(opener) and source.endswith(closer):
            source = source[len(opener) : -len(closer)].strip()
    if not source:
        return None, "the block is empty"
    try:
        try:
            return json.loads(source), None
        except json.JSONDecodeError as exc:
            broken = exc
            # strict=False accepts raw line breaks and tabs inside strings
            return json.loads(repair_json(source), strict=False), None
    except json.JSONDecodeError:
        return None, f"invalid JSON even after repair ({broken})"
    except (RecursionError, ValueError) as exc:
        return None, f"JSON that cannot be read ({why_unreadable(exc)})"


def repair_json(source: str) -> str:
    """JSON with JavaScript comments and trailing commas removed, strings left untouched."""
    out: list[str] = []
    index, length = 0, len(source)
    while index < length:
        char = source[index]
        if char == '"':
            end = _string_end(source, index)
            out.append(source[index:end])
            index = end
        elif source.startswith("//", index):
            newline = source.find("\n", index)
            index = length if newline < 0 else newline
        elif source.startswith("/*", index):
            close = source.find("*/", index + 2)
            index = length if close < 0 else close + 2
        elif char in "}]":
            while out and (out[-1].isspace() or out[-1] == ","):
                if out.pop() == ",":
                    break
            out.append(char)
            index += 1
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _string_end(source: str, start: int) -> int:
    """The index just past the JSON string that opens at ``start``."""
    index = start + 1
    while index < len(source):
        if source[index] == "\\":
            index += 2
        elif source[index] == '"':
            return index + 1
        else:
            index += 1
    return len(source)


def job_postings(data: Any, types: list[str], depth: int = 0) -> list[dict[str, Any]]:
    """Every JobPosting object in JSON-LD data (``@graph``, arrays, nested items).

    The ``@type`` of every object met is appended to ``types``, to explain a page without any.
    """
    if depth > _MAX_DEPTH:
        return []
    if isinstance(data, list):
        return [node for item in data for node in job_postings(item, types, depth + 1)]
    if not isinstance(data, dict):
        return []
    kinds = [_short_type(kind) for kind in as_list(data.get("@type")) if isinstance(kind, str)]
    types += kinds
    if "JobPosting" in kinds:
        return [data]
    return [node for value in data.values() for node in job_postings(value, types, depth + 1)]


def _short_type(kind: str) -> str:
    """'http://schema.org/JobPosting', 'schema:JobPosting' -> 'JobPosting'."""
    return kind.rsplit("/", 1)[-1].rsplit(":", 1)[-1].strip()


def _posting(node: dict[str, Any], page: str, canonical: str, source: str, company: str) -> Posting:
    stated = text(node.get("url")).strip()
    own = urljoin(page, stated) if stated else ""
    link = own if urlsplit(own).scheme in ("http", "https") else canonical
    title = label(node.get("title") or node.get("name"))
    location = _location(node)
    html, plain = description(_description(node), link)
    return Posting(
        source=source,
        external_id=_identifier(node.get("identifier")) or (own if link == own else ""),
        url=link,
        title=title,
        company=company or _organisation(node.get("hiringOrganization")),
        location=location,
        remote=_telecommute(node) or looks_remote(location, title),
        employment_type=_employment(node.get("employmentType")),
        salary=_salary(node.get("baseSalary") or node.get("estimatedSalary")),
        posted_at=parse_date(node.get("datePosted")),
        description_html=html,
        description_text=plain,
        tags=labels(_names(node.get("occupationalCategory"))),
        closes_at=closing_date(node.get("validThrough")),
    )


def _telecommute(node: dict[str, Any]) -> bool:
    """``jobLocationType: TELECOMMUTE``: schema.org's way of saying the job is remote."""
    return any(text(kind).upper() == "TELECOMMUTE" for kind in as_list(node.get("jobLocationType")))


def _employment(value: Any) -> str:
    """The first of the listed types that is known ("FULL_TIME", ["PART_TIME", "CONTRACTOR"])."""
    kinds = (employment_type(text(kind)) for kind in as_list(value))
    return next((kind for kind in kinds if kind), "")


def _names(value: Any) -> Iterator[Any]:
    """Each item's ``name`` if it is an object (Organization, Country…), else the item."""
    for item in as_list(value):
        yield item.get("name") if isinstance(item, dict) else item


def _identifier(value: Any) -> str:
    """The job's id from ``identifier``: text, a number, or a PropertyValue's ``value``."""
    for item in as_list(value):
        found = text(item.get("value") or item.get("@id")) if isinstance(item, dict) else text(item)
        if found.strip():
            return found.strip()
    return ""


def _organisation(value: Any) -> str:
    return next(iter(labels(_names(value))), "")


def _location(node: dict[str, Any]) -> str:
    """Each Place as 'Locality, Region, Country', several joined by '; '."""
    places = []
    for place in as_list(node.get("jobLocation")):
        if not isinstance(place, dict):
            places.append(label(place))
            continue
        address = place.get("address")
        if isinstance(address, dict):
            country = next(_names(address.get("addressCountry")), None)
            parts = [address.get("addressLocality"), address.get("addressRegion"), country]
            places.append(joined(parts) or label(place.get("name")))
        else:
            places.append(label(address) or label(place.get("name")))
    found = "; ".join(unique(places))
    return found or joined(_names(node.get("applicantLocationRequirements")))


def _description(node: dict[str, Any]) -> str:
    fragment = unescape_once(text(node.get("description")))
    return fragment if "<" in fragment else plain_to_html(fragment)


def _salary(value: Any) -> Salary | None:
    """A MonetaryAmount (value: number or QuantitativeValue min/max/unitText) as a Salary."""
    amount = next(iter(as_list(value)), None)
    if not isinstance(amount, dict):
        return salary(text=label(amount)) if label(amount) else None
    quantity = amount.get("value")
    if isinstance(quantity, dict):
        single = quantity.get("value")
        low, high = quantity.get("minValue", single), quantity.get("maxValue", single)
        unit = quantity.get("unitText") or amount.get("unitText")
    else:
        low = high = quantity
        unit = amount.get("unitText")
    return salary(low, high, text(amount.get("currency")) or None, period_of(unit))


def _distinct_ids(postings: list[Posting]) -> list[Posting]:
    """Postings sharing the page URL with no id of their own get one from their content.

    Otherwise several jobs on one page would all be stored under the page's URL.
    """
    shared = [p for p in postings if not p.external_id]
    if len(shared) < 2 or len({p.url for p in shared}) == len(shared):
        return postings
    return [p if p.external_id else replace(p, external_id=_content_id(p)) for p in postings]


def _content_id(posting: Posting) -> str:
    basis = "\x1f".join((posting.title, posting.company, posting.location)).encode()
    return "jsonld:" + hashlib.sha256(basis).hexdigest()[:16]
