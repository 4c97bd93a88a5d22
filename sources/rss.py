"""RSS and Atom feeds: fetched with the shared Fetcher, parsed with feedparser in a worker.

Real job feeds bend the formats: We Work Remotely titles items ``Company: Title`` and adds
``<region>``, ``<category>``, ``<type>`` and ``<skills>``; many feeds have no dates, relative
links, or HTML descriptions with scripts in them. All of that is normalised here.
"""

from __future__ import annotations

import calendar
import email.utils
import logging
import re
from datetime import UTC, datetime
from time import struct_time
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from pydantic import Field

from aggregator.core.config import SourceOptions
from aggregator.core.errors import FeedFormatError
from aggregator.core.models import Posting, Salary, SourceState
from sources.base import CollectContext, Collected, ConfiguredSource, fetch_and_parse
from sources.markup import (
    description,
    employment_type,
    looks_remote,
    plain_label,
    plain_to_html,
    unique,
)

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
_WWR_HOST = "weworkremotely.com"
# Root element: the first tag that is not a declaration, comment or processing instruction.
_ROOT_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
# Internal general entities, as feedparser keeps them: a name and a literal value.
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY\s+([\w.:-]+)\s+(?:\"([^\"]*)\"|'([^']*)')")
_MAX_ENTITY_EXPANSION = 1_000_000  # characters; real feeds use a handful of short entities
# We Work Remotely lists skills as English prose: "A, B, and C".
_SKILL_SEPARATOR = re.compile(r",\s*(?:and\s+)?")


class RssOptions(SourceOptions):
    """Settings of an RSS/Atom source."""

    url: str = Field(pattern=r"^https?://")
    company: str | None = None  # for a company's own careers feed, whose items name no company


class RssSource(ConfiguredSource):
    """Postings from an RSS 0.9x/1.0/2.0 or Atom feed."""

    Options: ClassVar[type[SourceOptions]] = RssOptions
    type: ClassVar[str] = "rss"
    options: RssOptions

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Conditional GET of the feed, then parse it off the event loop."""
        options = self.options
        return await fetch_and_parse(
            context,
            state,
            options.url,
            parse_feed,
            options.name,
            options.company,
            accept=FEED_ACCEPT,
            pass_content_type=True,
        )


def parse_feed(
    body: bytes, url: str, content_type: str, source: str, company: str | None = None
) -> list[Posting]:
    """Parse a feed body into postings; a body that is not a feed raises FeedFormatError.

    A module-level function so worker processes can run it.
    """
    if not body.strip():
        raise FeedFormatError(f"empty response from {url}; the feed returned no content")
    _reject_entity_bomb(body, url)
    fast = plain_rss_items(body, url)
    if fast is not None:
        feed_link, entries = fast
        return _postings(entries, feed_link, url, source, company)
    import feedparser  # as lxml above: only where feeds are parsed

    parsed = feedparser.parse(
        body,
        response_headers={"content-location": url, "content-type": content_type or "text/xml"},
        sanitize_html=False,  # nh3 sanitises below, with an allow-list
        resolve_relative_uris=False,  # nh3 rewrites relative links below
    )
    if not parsed.entries:
        _reject_non_feed(parsed, body, url, content_type)
        return []
    if parsed.bozo:
        log.info(
            "%s: feed is not well-formed (%s); used what could be read",
            url,
            parsed.get("bozo_exception"),
        )
    return _postings(parsed.entries, parsed.feed.get("link") or url, url, source, company)


def _postings(
    entries: list[Any], feed_link: str, url: str, source: str, company: str | None
) -> list[Posting]:
    we_work_remotely = _WWR_HOST in (urlsplit(feed_link).hostname or "") or _WWR_HOST in (
        urlsplit(url).hostname or ""
    )
    return [
        _posting(entry, url, source, company, we_work_remotely)
        for entry in entries
        if entry.get("title") or entry.get("link")
    ]


# The fast path reads plain RSS 2.0 (most job feeds) with lxml, about ten times faster than
# feedparser. Anything unusual — another format, a DOCTYPE or entities, xml:base, a namespace
# it does not know, a date it cannot read, ill-formed XML — goes to feedparser instead, so
# both paths give the same postings (the golden tests run real feeds through this one).
_CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
_IGNORED_NAMESPACES = ("{http://search.yahoo.com/mrss",)  # media:content logos
_ITEM_FIELDS = frozenset(
    {"title", "link", "description", "region", "country", "state", "skills", "type",
     "location", "company", "job_type", "salary", "expires_at", "comments"}
)  # fmt: skip


def plain_rss_items(body: bytes, url: str) -> tuple[str, list[dict[str, Any]]] | None:
    """The channel link and items of a plain RSS 2.0 feed, shaped like feedparser's entries;
    None when the feed needs feedparser."""
    head = body[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in body or b"xml:base" in body:
        return None
    from lxml import etree  # imported in the worker that parses, not by every command

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None
    channel = root.find("channel") if root.tag == "rss" and root.get("version") == "2.0" else None
    if channel is None:
        return None
    entries = []
    for item in channel.iterfind("item"):
        entry = _fast_entry(item, url)
        if entry is None:
            return None
        entries.append(entry)
    if not entries:
        return None
    return (channel.findtext("link") or "").strip(), entries


def _fast_entry(item: Any, url: str) -> dict[str, Any] | None:
    entry: dict[str, Any] = {"tags": []}
    for child in item:
        tag = child.tag
        if not isinstance(tag, str) or tag.startswith(_IGNORED_NAMESPACES):
            continue
        value = (child.text or "").strip()
        if tag in _ITEM_FIELDS:
            entry[tag] = value
        elif tag == "guid":
            entry["id"] = value
            if child.get("isPermaLink", "true").lower() != "false":
                entry["guid_link"] = value
        elif tag == "category":
            entry["tags"].append({"term": value, "scheme": child.get("domain"), "label": None})
        elif tag == "pubDate":
            try:
                moment = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            entry["published_parsed"] = moment.utctimetuple()
        elif tag == _CONTENT_ENCODED:
            entry["content"] = [{"value": value, "type": "text/html", "base": url}]
        else:
            return None  # an element feedparser might read differently
    if "link" not in entry and "guid_link" in entry:
        entry["link"] = entry["guid_link"]
    if "description" in entry:
        entry["summary_detail"] = {"value": entry["description"], "type": "text/html", "base": url}
    return entry


def _reject_non_feed(parsed: Any, body: bytes, url: str, content_type: str) -> None:
    """Explain why a body with no entries is not an (empty) feed.

    A well-formed RSS/Atom document with no items is a valid, empty feed; any other document
    (an HTML page, another XML vocabulary, garbage) is an error, not a silent empty success.
    """
    head = body.lstrip()[:512].lower()
    if "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html")):
        raise FeedFormatError(
            f"{url} returned an HTML page, not a feed; use the page's RSS/Atom link instead"
        )
    if parsed.get("version"):
        return
    if parsed.bozo:
        reason = " ".join(str(parsed.get("bozo_exception") or "unrecognised format").split())
        raise FeedFormatError(f"{url} is not a readable RSS/Atom feed: {reason}")
    root = _ROOT_ELEMENT.search(body.replace(b"\x00", b""))
    found = f"its root element is <{root.group(1).decode(errors='replace')}>" if root else ""
    raise FeedFormatError(
        f"{url} is not an RSS/Atom feed ({found or 'no root element'}); "
        "check that the URL points to the feed itself"
    )


def _reject_entity_bomb(body: bytes, url: str) -> None:
    """Refuse documents whose entities would expand far beyond the body (quadratic blowup).

    feedparser drops nested entity definitions (billion laughs) and never fetches external
    ones, but its fallback parser expands every literal entity it keeps, so one 100 kB entity
    referenced a thousand times would become 100 MB of text.
    """
    # NUL bytes out, so declarations in UTF-16/32 documents are seen too.
    text = body.replace(b"\x00", b"") if b"\x00" in body else body
    if b"<!ENTITY" not in text:
        return
    expansion = sum(
        len(double or single) * text.count(b"&" + name + b";")
        for name, double, single in _ENTITY_DECLARATION.findall(text)
    )
    if expansion > _MAX_ENTITY_EXPANSION:
        raise FeedFormatError(
            f"{url} declares XML entities that would expand to {expansion:,} characters; "
            "refusing to parse it (an entity-expansion attack or a broken feed)"
        )


def _posting(
    entry: Any, feed_url: str, source: str, company: str | None, we_work_remotely: bool
) -> Posting:
    link = urljoin(feed_url, entry.get("link") or "")
    title = plain_label(entry.get("title"))
    named_company = company or plain_label(entry.get("company"))
    if we_work_remotely and not named_company and ": " in title:
        named_company, title = (part.strip() for part in title.split(": ", 1))
    location = _location(entry)
    fragment, base = _description(entry)
    html, plain = description(fragment, base or link or feed_url)
    return Posting(
        source=source,
        external_id=str(entry.get("id") or ""),
        url=link,
        title=title,
        company=named_company,
        location=location,
        remote=we_work_remotely or looks_remote(location, title, entry.get("region")),
        employment_type=employment_type(entry.get("type") or entry.get("job_type")),
        salary=Salary(text=plain_label(entry["salary"])) if entry.get("salary") else None,
        posted_at=_date(entry.get("published_parsed") or entry.get("updated_parsed")),
        description_html=html,
        description_text=plain,
        tags=_tags(entry),
    )


def _location(entry: Any) -> str:
    parts = [plain_label(entry.get(key)) for key in ("location", "region", "state", "country")]
    return ", ".join(unique(parts))


def _description(entry: Any) -> tuple[str, str | None]:
    """The longest of the entry's contents and summary as HTML, and the base URL in its scope.

    Relative links resolve against that base (xml:base, else the feed URL), as the
    specifications say, not against the entry's own link.
    """
    details = [*(entry.get("content") or []), entry.get("summary_detail") or {}]
    longest = max(details, key=lambda detail: len(detail.get("value") or ""))
    value = str(longest.get("value") or "")
    if longest.get("type") == "text/plain":  # Atom type="text": "<" and "&" are literal text
        value = plain_to_html(value)
    return value, longest.get("base") or None


def _tags(entry: Any) -> tuple[str, ...]:
    # Atom's label is the human-readable name; term is often a machine id ("python").
    labels = [plain_label(t.get("label") or t.get("term")) for t in entry.get("tags") or []]
    labels += [plain_label(s) for s in _SKILL_SEPARATOR.split(str(entry.get("skills") or ""))]
    return unique(labels)


def _date(parsed: struct_time | None) -> datetime | None:
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
