"""RSS and Atom feed bodies into postings: read with lxml (feedparser for the rest).

sources/feedxml.py reads well-formed RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 into entries (and those
whose only flaw is HTML written into the XML, once repaired); a body it cannot read (other
ill-formed XML, an unknown format) goes to feedparser's forgiving parser, whose entries are
turned into the same shape; of a UTF-8 feed whose items it can tell apart, only the items it
cannot read go there, and feedparser reads a UTF-8 body with its descriptions set aside
(sources/text_aside.py): they are most of its cost. Real job feeds bend the formats: We Work
Remotely and its mirrors title items ``Company: Title`` and add ``<region>``, ``<category>``,
``<type>`` and ``<skills>``; many feeds have no dates, relative links, or HTML descriptions with
scripts in them. All of that is normalised here.
"""

from __future__ import annotations

import calendar
import functools
import itertools
import logging
import re
from datetime import UTC, datetime
from time import struct_time
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from aggregator.core.errors import FeedFormatError
from aggregator.core.models import Posting, Salary
from sources.base import Parsed
from sources.feedxml import (
    JOB_FIELDS,
    PLAIN,
    EntryText,
    FeedDocument,
    FeedEntry,
    http_charset,
    joined_url,
    read_feed,
)
from sources.markup import (
    description,
    employment_type,
    looks_remote,
    plain_label,
    plain_to_html,
    unique,
)
from sources.read_limit import within_read_limit
from sources.values import closing_date

log = logging.getLogger(__name__)

_WWR_HOST = "weworkremotely.com"
# Root element: the first tag that is not a declaration, comment or processing instruction.
_ROOT_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
# Internal general entities, as feedparser keeps them: a name and a literal value.
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY\s+([\w.:-]+)\s+(?:\"([^\"]*)\"|'([^']*)')")
_MAX_ENTITY_EXPANSION = 1_000_000  # characters; real feeds use a handful of short entities
# We Work Remotely lists skills as English prose: "A, B, and C".
_SKILL_SEPARATOR = re.compile(r",\s*(?:and\s+)?")
# "Company: Title", as We Work Remotely and boards like it name the employer.
_COMPANY_TITLE = re.compile(r"[^:]{1,100}: \S")
# A start or end tag of an RSS item or Atom entry, and one inside a CDATA section or comment.
_ITEM_TAG = re.compile(rb"<(/?)(item|entry)(?=[\s>])")
_ITEM_IN_KEPT = re.compile(
    rb"<!\[CDATA\[(?:(?!\]\]>).)*?</?(?:item|entry)[\s>]|<!--(?:(?!-->).)*?</?(?:item|entry)[\s>]",
    re.DOTALL,
)
# Why the item a body ends inside is left out: "1 item cut off where the feed ends, skipped".
_CUT_OFF_WHY = "cut off where the feed ends,"
# Items at fault, more than half of those tried, after which a feed is read whole.
_MOSTLY_AT_FAULT = 3
# Base URIs (and links joined to them) feedparser's parse remembers; a feed has a few.
_REMEMBERED_URIS = 1024
# An XML declaration of an encoding other than UTF-8.
_OTHER_ENCODING = re.compile(rb"<\?xml[^>]*encoding=[\"'](?!utf-?8[\"'])", re.IGNORECASE)


def read_feed_body(
    body: bytes, url: str, content_type: str, source: str, company: str | None = None
) -> Parsed:
    """The postings of a feed body (what sources.rss.parse_feed_body returns), and the item
    left out when the body ends inside it; a body that is not a feed raises FeedFormatError."""
    if not body.strip():
        raise FeedFormatError(f"empty response from {url}; the feed returned no content")
    _reject_entity_bomb(body, url)
    document = read_feed(body, url, content_type)
    if document is None:
        document = _read_items_apart(body, url, content_type) or _read_with_feedparser(
            body, url, content_type
        )
    elif document.repaired:
        log.info("%s: feed is not well-formed XML (HTML written into it); repaired and read", url)
    postings = _postings(document, url, source, company)
    return Parsed(postings, 1, _CUT_OFF_WHY) if document.cut_short else Parsed(postings)


def _read_items_apart(body: bytes, url: str, content_type: str) -> FeedDocument | None:
    """A UTF-8 body lxml cannot read whole, read item by item: lxml reads each item it can
    (inside the feed's own head and tail) and feedparser only the others, in one document.

    None when the body does not split cleanly into a head, items and a tail that lxml reads
    alone, or when no item (or most items) is at fault: then feedparser reads it whole.
    feedparser's SGML pass costs some fifteen times lxml's read of the same items, and the
    fault of a real feed is usually in one item's description.
    """
    spans = _item_spans(body, content_type)
    if spans is None:
        return None
    head, tail = body[: spans[0][0]], body[spans[-1][1] :]
    shell = read_feed(head + tail, url, content_type)
    if shell is None or shell.entries:
        return None
    entries: list[FeedEntry | None] = []
    at_fault: list[bytes] = []
    for start, end in spans:
        alone = read_feed(head + body[start:end] + tail, url, content_type)
        if alone is None or len(alone.entries) != 1:
            at_fault.append(body[start:end])
            entries.append(None)
            if len(at_fault) >= _MOSTLY_AT_FAULT and len(at_fault) * 2 > len(entries):
                return None  # likely a fault of every item: trying the rest apart is waste
        else:
            entries.append(alone.entries[0])
    if not at_fault or len(at_fault) == len(entries):
        return None
    recovered = _read_with_feedparser(head + b"".join(at_fault) + tail, url, content_type)
    if len(recovered.entries) != len(at_fault):
        return None
    log.info(
        "%s: %d of %d items not well-formed XML; read by feedparser",
        url,
        len(at_fault),
        len(entries),
    )
    taken = iter(recovered.entries)
    read = within_read_limit(entry or next(taken) for entry in entries)
    return FeedDocument(shell.link, list(read))


def _item_spans(body: bytes, content_type: str) -> list[tuple[int, int]] | None:
    """Where each item or entry of a UTF-8 body starts and ends; None unless there are two or
    more, with only white space between them and no ``item``/``entry`` tag in a CDATA
    section or comment (where the split would cut one)."""
    if not _read_as_utf8(body, content_type) or _ITEM_IN_KEPT.search(body):
        return None
    tags = list(_ITEM_TAG.finditer(body))
    starts, ends = tags[::2], tags[1::2]
    if len(tags) < 4 or len(starts) != len(ends):
        return None
    spans = []
    for start, end in zip(starts, ends, strict=True):
        closed = body.find(b">", end.end())
        if start[1] or not end[1] or start[2] != end[2] or closed < 0:
            return None  # nested, an end tag without its start, or one cut short
        spans.append((start.start(), closed + 1))
    between = (body[end:start] for (_, end), (start, _) in itertools.pairwise(spans))
    if any(gap.strip() for gap in between):
        return None
    return spans


def _read_as_utf8(body: bytes, content_type: str) -> bool:
    """Whether feedparser reads the body as UTF-8 however much of it is left out: no other
    encoding is given or declared and it decodes."""
    if http_charset(body, content_type) not in (None, "utf-8") or _OTHER_ENCODING.search(
        body, 0, 256
    ):
        return False
    try:
        body.decode()
    except UnicodeDecodeError:
        return False  # its encoding is feedparser's guess, from the whole document
    return True


def _read_with_feedparser(body: bytes, url: str, content_type: str) -> FeedDocument:
    """A body lxml cannot read, through feedparser's forgiving parser."""
    parsed = _parsed_texts_aside(body, url, content_type) or _parsed_by_feedparser(
        body, url, content_type
    )
    read = parsed.entries
    cut_short = bool(read) and _ends_inside_item(body)
    if not read:
        _reject_non_feed(parsed, body, url, content_type)
    elif cut_short:
        # A partial record would be matched and sent on half its text; the whole item comes
        # with the whole feed.
        log.info("%s: the feed ends inside an item (cut short?); read the %d items before it",
                 url, len(read) - 1)
        read = read[:-1]
    elif parsed.bozo:
        log.info(
            "%s: feed is not well-formed (%s); used what could be read",
            url,
            parsed.get("bozo_exception"),
        )
    entries = [_entry_from_feedparser(entry, url) for entry in within_read_limit(read)]
    return FeedDocument(parsed.feed.get("link") or "", entries, cut_short=cut_short)


def _ends_inside_item(body: bytes) -> bool:
    """Whether the last item or entry tag of ``body`` opens one: the body was cut off inside
    it. (An item's text may hold such tags only escaped or before the item's own end tag.)"""
    tags = _ITEM_TAG.findall(body)  # (slash, name) of each tag
    return bool(tags) and not tags[-1][0]


def _parsed_texts_aside(body: bytes, url: str, content_type: str) -> Any:
    """feedparser's reading of a UTF-8 body with its descriptions set aside and put back
    (sources/text_aside.py); None when none are, or the reading cannot take them back."""
    from sources import text_aside  # imports feedparser

    aside = text_aside.set_aside(body) if _read_as_utf8(body, content_type) else None
    if aside is None:
        return None
    parsed = _parsed_by_feedparser(aside.shell, url, content_type)
    if not (parsed.entries and text_aside.read_loosely(parsed)):
        return None  # a fault only in the texts, or no feed: read whole, as feedparser does
    return parsed if aside.put_back(parsed) else None


@functools.cache
def _feedparser() -> ModuleType:
    """feedparser (imported only where a feed needs it), its base-URI arithmetic memoised.

    Its loose parser works out the base URI again at every start tag (the document's URL
    joined with itself, each time checked for a safe scheme): a quarter of its time on a job
    feed. Both functions it calls for that map strings to a string and read nothing else, so
    remembering their recent answers changes no result, only the time.
    """
    import feedparser
    from feedparser import mixin, urls

    mixin.make_safe_absolute_uri = functools.lru_cache(maxsize=_REMEMBERED_URIS)(
        urls.make_safe_absolute_uri
    )
    mixin._urljoin = functools.lru_cache(maxsize=_REMEMBERED_URIS)(urls._urljoin)
    return feedparser


def _parsed_by_feedparser(body: bytes, url: str, content_type: str) -> Any:
    return _feedparser().parse(
        body,
        response_headers={"content-location": url, "content-type": content_type or "text/xml"},
        sanitize_html=False,  # nh3 sanitises below, with an allow-list
        resolve_relative_uris=False,  # nh3 rewrites relative links below
    )


def _entry_from_feedparser(item: Any, url: str) -> FeedEntry:
    def text(detail: Any) -> EntryText:
        return EntryText(
            str(detail.get("value") or ""), detail.get("type") or "", detail.get("base") or url
        )

    summary = item.get("summary_detail")
    return FeedEntry(
        title=item.get("title") or "",
        link=item.get("link") or "",
        id=str(item.get("id") or ""),
        # dict.get: FeedParserDict.get would map one date key to the other, with a warning
        published=_date(dict.get(item, "published_parsed")),
        updated=_date(dict.get(item, "updated_parsed")),
        categories=[(t.get("term") or "", t.get("label") or "") for t in item.get("tags") or []],
        summaries=[text(summary)] if summary else [],
        contents=[text(content) for content in item.get("content") or []],
        fields={name: str(item[name]) for name in JOB_FIELDS if item.get(name)},
    )


def _date(parsed: struct_time | None) -> datetime | None:
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def _postings(
    document: FeedDocument, url: str, source: str, company: str | None
) -> list[Posting]:
    on_board = any(
        _WWR_HOST in (urlsplit(address).hostname or "") for address in (document.link, url)
    )
    split = company is None and (on_board or names_company_in_titles(document.entries))
    return [_posting(entry, url, source, company, split, on_board) for entry in document.entries]


def names_company_in_titles(entries: list[FeedEntry]) -> bool:
    """True when most titled items of a feed read "Company: Title" (two items at least)."""
    titles = [entry.title for entry in entries if entry.title]
    following = sum(1 for title in titles if _COMPANY_TITLE.match(plain_label(title)))
    return following >= 2 and following * 2 > len(titles)


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
    entry: FeedEntry, feed_url: str, source: str, company: str | None, split: bool, on_board: bool
) -> Posting:
    fields = entry.fields
    # No link (nor permalink guid) is no link: the feed's own URL would send the mentor to the
    # raw feed. Intake counts the item with those without title or link (storable).
    link = joined_url(feed_url, entry.link)
    title = plain_label(entry.title)
    named_company = company or plain_label(fields.get("company"))
    if split and not named_company and ": " in title:
        named_company, title = (part.strip() for part in title.split(": ", 1))
    location = _location(fields)
    fragment, base = _description(entry)
    html, plain = description(fragment, base or link or feed_url)
    return Posting(
        source=source,
        external_id=entry.id,
        url=link,
        title=title,
        company=named_company,
        location=location,
        remote=on_board or looks_remote(location, title, fields.get("region")),
        employment_type=employment_type(fields.get("type") or fields.get("job_type")),
        salary=Salary(text=plain_label(fields["salary"])) if fields.get("salary") else None,
        posted_at=entry.published or entry.updated,
        description_html=html,
        description_text=plain,
        tags=_tags(entry),
        closes_at=closing_date(fields.get("expires_at")),  # We Work Remotely's <expires_at>
    )


def _location(fields: dict[str, str]) -> str:
    parts = [plain_label(fields.get(key)) for key in ("location", "region", "state", "country")]
    return ", ".join(unique(parts))


def _description(entry: FeedEntry) -> tuple[str, str | None]:
    """The longest of the entry's contents and summaries as HTML, and the base URL in its scope.

    Relative links resolve against that base (xml:base, else the feed URL), as the
    specifications say, not against the entry's own link.
    """
    texts = entry.descriptions()
    if not texts:
        return "", None
    longest = max(texts, key=lambda text: len(text.value))
    value = longest.value
    if longest.type == PLAIN:  # Atom type="text": "<" and "&" are literal text
        value = plain_to_html(value)
    return value, longest.base or None


def _tags(entry: FeedEntry) -> tuple[str, ...]:
    # Atom's label is the human-readable name; term is often a machine id ("python").
    labels = [plain_label(label or term) for term, label in entry.categories]
    labels += [plain_label(s) for s in _SKILL_SEPARATOR.split(entry.fields.get("skills", ""))]
    return unique(labels)
