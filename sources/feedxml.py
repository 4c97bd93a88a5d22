"""RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 read with lxml into plain entries, as feedparser reads them.

One pass over a parsed tree: each child of an item is looked up by its qualified name in a table
of the elements this module knows (the formats' own, content:encoded, Dublin Core, Media RSS,
XHTML bodies and the job-board fields We Work Remotely and others add); anything else is
ignored. The rules follow feedparser where it matters for postings — which link wins, a guid
standing in for a missing link, the first date of each kind, xml:base resolution, markup written
as elements kept as markup, C1 controls and double-encoded UTF-8 repaired — so the two parsers
agree on feedparser's own test corpus (tests/test_feed_corpus.py).

The parser resolves no entities (internal ones are substituted as literal text, as feedparser
does; external ones never), reads no DTD and opens no connection. Two flaws are read: an
undeclared namespace prefix (``<job:type>`` without ``xmlns:job``) leaves the XML otherwise
well-formed, so lxml's recovery loses nothing and the element is ignored like any unknown one;
and HTML written into XML (``<br>``, ``AT&T``, ``&nbsp;``) is repaired to the XML that says
the same (sources/xml_repair.py) and parsed strictly again. A document it still cannot read —
other ill-formed XML, an undecodable body, a root that is no feed — gives None, and the caller
falls back to feedparser's forgiving parser.
"""

from __future__ import annotations

import calendar
import codecs
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from sources.read_limit import within_read_limit
from sources.values import repair_text
from sources.xml_repair import markup_faults_only, repaired_xml

_RSS_NAMESPACES = (
    "",
    "http://backend.userland.com/rss",
    "http://backend.userland.com/rss2",
    "http://blogs.law.harvard.edu/tech/rss",
    "http://purl.org/rss/1.0/",
    "http://my.netscape.com/rdf/simple/0.9/",
    "http://purl.org/rss/1.0/modules/rss091#",
)
_ATOM_NAMESPACES = ("http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#")
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_DC = "http://purl.org/dc/elements/1.1/"
_DCTERMS = "http://purl.org/dc/terms/"
_MEDIA = ("http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss")
_XHTML = "http://www.w3.org/1999/xhtml"
_MEDIA_SCHEME = "http://search.yahoo.com/mrss/category_schema"
# Job-board fields written as plain elements in an item (We Work Remotely and others).
JOB_FIELDS = frozenset(
    {"region", "country", "state", "skills", "type", "location", "company", "job_type",
     "salary", "expires_at"}
)  # fmt: skip
HTML, PLAIN = "text/html", "text/plain"
_ATOM_TYPES = {"text": PLAIN, "html": HTML, "xhtml": "application/xhtml+xml"}
_VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"}
)  # fmt: skip
# What double-encoded UTF-8 and stray Windows-1252 bytes look like once decoded: a C1 control,
# or a lead byte of a UTF-8 sequence (as Latin-1/cp1252) followed by a continuation byte. It
# starts with one character class so the regex engine skips ahead to candidates.
_SUSPECT_TEXT = re.compile(
    "[\x80-\x9f\xc2-\xf4](?:(?<=[\x80-\x9f])|[\xa0-\xbf\u0152\u0153\u0160\u0161\u0178"
    "\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030"
    "\u2039\u203a\u20ac\u2122])"
)
# RFC 822 dates as almost every feed writes them; anything else goes to feedparser's parser.
_RFC822 = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d\d):(\d\d)(?::(\d\d))?\s*"
    r"(?:([+-])(\d\d)(\d\d)|GMT|UTC|UT|Z)\s*"
)
_MONTHS = {
    m: n
    for n, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}


@dataclass(slots=True)
class EntryText:
    """A title, summary or content: its text or HTML, its type and the base URL in its scope."""

    value: str
    type: str  # text/html, text/plain
    base: str


@dataclass(slots=True)
class FeedEntry:
    """One item or entry, shaped like the parts of a feedparser entry postings use."""

    title: str = ""
    link: str = ""
    id: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    categories: list[tuple[str, str]] = field(default_factory=list)  # (term, label)
    summaries: list[EntryText] = field(default_factory=list)
    contents: list[EntryText] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # job-board fields: company, region…

    def descriptions(self) -> list[EntryText]:
        """Contents first, then summaries (the longest is the description)."""
        return [*self.contents, *self.summaries]


@dataclass(slots=True)
class FeedDocument:
    """A feed's own link and its entries, in document order."""

    link: str
    entries: list[FeedEntry]
    repaired: bool = False  # read only after sources/xml_repair.py repaired its XML
    cut_short: bool = False  # the body ends inside an item, which was left out


def read_feed(body: bytes, url: str, content_type: str = "") -> FeedDocument | None:
    """The entries of an RSS/Atom body; None when lxml cannot read it as one.

    ``content_type`` is the HTTP Content-Type: its charset wins over the XML declaration
    (RFC 7303 §3), a byte-order mark over both.
    """
    root, repaired = _parse(body, url, http_charset(body, content_type))
    if root is None:
        return None
    document = _Reader(root, url, has_base=b"xml:base" in body).document()
    if document is not None:
        document.repaired = repaired
    return document


# -- decoding ----------------------------------------------------------------------------------

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?([^\"';\s]+)", re.IGNORECASE)


def http_charset(body: bytes, content_type: str) -> str | None:
    """The charset the HTTP header gives, unless a byte-order mark settles the encoding."""
    found = _CHARSET.search(content_type)
    if not found or body.startswith(_BOMS):
        return None
    try:
        return codecs.lookup(found.group(1)).name
    except LookupError:
        return None  # an unknown charset: the document's own declaration decides


def _xml_parser(encoding: str | None, recover: bool = False) -> etree.XMLParser:
    # A new parser per document (a few microseconds): its error_log holds this document's
    # errors only, where the exception's log holds every earlier error of the thread (seen:
    # one ill-formed feed sent every later feed with an undeclared prefix to feedparser).
    return etree.XMLParser(
        encoding=encoding,
        recover=recover,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def _parse(body: bytes, url: str, charset: str | None) -> tuple[Any, bool]:
    """The root element, decoded as the HTTP charset says, else as the document says; or None.

    A body the HTTP charset cannot decode is read by its own declaration, as feedparser tries
    its candidate encodings in turn. A body that fails with the errors of the common faults is
    repaired (sources/xml_repair.py) and parsed strictly again; the flag says so. One that
    still fails with those errors alone is not read again in another charset.
    """
    for encoding in (charset, None) if charset else (None,):
        data = body
        if encoding not in (None, "utf-8"):
            try:
                data = body.decode(encoding).encode("utf-8")
            except UnicodeDecodeError:
                continue
            encoding = "utf-8"
        root, errors = _strict(data, url, encoding)
        if root is not None:
            return root, False
        fixed = repaired_xml(data, errors) if errors else None
        if fixed is not None:
            root, _ = _strict(fixed, url, encoding)
            if root is not None:
                return root, True
        if errors and markup_faults_only(errors):
            break  # faults of the markup alone: the document's own charset would not help
    return None, False


def _strict(data: bytes, url: str, encoding: str | None) -> tuple[Any, Any]:
    """The root element, or None and the parser's errors.

    Any error but an undeclared namespace prefix gives None.
    """
    parser = _xml_parser(encoding)
    try:
        return etree.fromstring(data, parser=parser, base_url=url), None
    except etree.XMLSyntaxError:
        if _only_undeclared_prefixes(parser.error_log):
            # "<job:type>" with no xmlns:job is the one flaw that leaves the XML itself
            # well-formed: read it, the prefixed name kept as it is (and ignored).
            return etree.fromstring(data, parser=_xml_parser(encoding, True), base_url=url), None
    except ValueError:
        pass
    return None, parser.error_log


def _only_undeclared_prefixes(log: Any) -> bool:
    return bool(log) and all(
        entry.domain == etree.ErrorDomains.NAMESPACE
        and entry.type == etree.ErrorTypes.NS_ERR_UNDEFINED_NAMESPACE
        for entry in log
    )


# -- reading -----------------------------------------------------------------------------------


def repaired(text: str) -> str:
    """Text with C1 controls and double-encoded UTF-8 repaired (feedparser does the same)."""
    if text.isascii() or not _SUSPECT_TEXT.search(text):
        return text
    return repair_text(text)


class _Reader:
    """Reads entries from one parsed document."""

    def __init__(self, root: Any, url: str, has_base: bool) -> None:
        self.root = root
        self.url = url
        self.has_base = has_base
        self.atom = root.tag.startswith("{http://www.w3.org/2005/Atom}") or root.tag.startswith(
            "{http://purl.org/atom/ns#}"
        )
        self.entities = _internal_entities(root)

    def document(self) -> FeedDocument | None:
        """The feed's link and entries, or None for a root that is no feed."""
        local = etree.QName(self.root).localname
        if local == "feed":
            feed_link = _FeedLink()
            for child in self.root:
                if _local(child) == "link":
                    feed_link.offer(self, child)
            return self._document(feed_link.value, self._atom_entries())
        if local not in ("rss", "RDF"):
            return None
        channel = next((c for c in self.root if _local(c) == "channel"), None)
        link = ""
        if channel is not None:
            link_element = next((c for c in channel if _local(c) == "link"), None)
            if link_element is not None:
                link = self.resolve(link_element, self.text(link_element).strip())
        return self._document(link, self._rss_items(channel))

    def _document(self, link: str, elements: Iterator[Any]) -> FeedDocument:
        return FeedDocument(link, [self.entry(e) for e in within_read_limit(elements)])

    def _atom_entries(self) -> Iterator[Any]:
        return (child for child in self.root if _local(child) in ("entry", "item"))

    def _rss_items(self, channel: Any) -> Iterator[Any]:
        containers = [self.root] if channel is None else [self.root, channel]
        for container in containers:
            yield from (child for child in container if _local(child) == "item")

    def entry(self, element: Any) -> FeedEntry:
        """One item or entry."""
        entry = FeedEntry()
        about = element.get(f"{{{_RDF}}}about")
        if about:
            entry.id = about
        for child in element:
            handler = _HANDLERS.get(child.tag) if isinstance(child.tag, str) else None
            if handler is not None:
                handler(self, entry, child)
        return entry

    def text(self, element: Any) -> str:
        """The element's text; its child elements, if any, written out as markup."""
        if not len(element):
            return element.text or ""
        if any(isinstance(child.tag, str) for child in element):
            return _markup(element, self.entities)
        parts = [element.text or ""]
        for child in element:
            if child.tag is etree.Entity:
                parts.append(self.entities.get(child.name, child.text))
            parts.append(child.tail or "")
        return "".join(parts)

    def base(self, element: Any) -> str:
        """The base URL in the element's scope: its xml:base, else the document's URL."""
        return (element.base or self.url) if self.has_base else self.url

    def resolve(self, element: Any, reference: str) -> str:
        """A URL from the element, resolved against the base in its scope."""
        return joined_url(self.base(element), reference)


def joined_url(base: str, reference: str) -> str:
    """``reference`` resolved against ``base``; "" for what is no URL at all ("http://a.c[o/")."""
    if not reference:
        return ""
    # Absolute already, with no dot segments to remove: urljoin would give it back unchanged
    # ("[" is an IPv6 host, or no URL at all: urljoin decides).
    absolute = reference.startswith(("https://", "http://"))
    if absolute and "/." not in reference and "[" not in reference:
        return reference
    try:
        return urljoin(base, reference)
    except ValueError:
        return ""  # as feedparser


def _local(element: Any) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _internal_entities(root: Any) -> dict[str, str]:
    """Literal values of the entities declared in the internal DTD subset (never expanded)."""
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is None:
        return {}
    return {e.name: e.content for e in dtd.iterentities() if e.content is not None}


def _markup(element: Any, entities: dict[str, str]) -> str:
    """The content of an element holding markup, as HTML (namespaces dropped)."""
    parts = [escape(element.text or "", quote=False)]
    for child in element:
        _write(child, parts, entities)
    return "".join(parts)


def _write(element: Any, parts: list[str], entities: dict[str, str]) -> None:
    tag = element.tag
    if isinstance(tag, str):
        name = tag.rpartition("}")[2]
        attributes = "".join(
            f' {key.rpartition("}")[2]}="{escape(value)}"' for key, value in element.items()
        )
        parts.append(f"<{name}{attributes}>")
        parts.append(escape(element.text or "", quote=False))
        for child in element:
            _write(child, parts, entities)
        # A void element with content in XML ("<br>two</br>") is written as feedparser writes
        # it, for the HTML parser to read ("</br>" is a line break there).
        if name not in _VOID_ELEMENTS or element.text or len(element):
            parts.append(f"</{name}>")
    elif tag is etree.Entity:
        parts.append(entities.get(element.name, element.text))
    parts.append(escape(element.tail or "", quote=False))


class _FeedLink:
    """Which link is the feed's (or entry's): the last alternate HTML link."""

    def __init__(self) -> None:
        self.value = ""

    def offer(self, reader: _Reader, element: Any) -> None:
        href = element.get("href")
        if href is None:
            self.value = reader.resolve(element, reader.text(element).strip())
        elif _is_alternate_html(element):
            self.value = reader.resolve(element, href)


def _is_alternate_html(element: Any) -> bool:
    kind = (element.get("type") or "text/html").lower()
    return (element.get("rel") or "alternate") == "alternate" and kind in (
        "text/html", "application/xhtml+xml", "html", "xhtml"
    )  # fmt: skip


# -- element handlers --------------------------------------------------------------------------

Handler = Callable[[_Reader, FeedEntry, Any], None]


def _title(reader: _Reader, entry: FeedEntry, element: Any) -> None:
    entry.title = repaired(reader.text(element).strip())


def _media_title(reader: _Reader, entry: FeedEntry, element: Any) -> None:
    if not entry.title:  # the item's own title wins over its media's
        _title(reader, entry, element)


def _link(reader: _Reader, entry: FeedEntry, element: Any) -> None:
    href = element.get("href")
    if href is not None:  # Atom (or an Atom link in an RSS item)
        if _is_alternate_html(element):
            entry.link = reader.resolve(element, href.strip())
        return
    value = reader.resolve(element, reader.text(element).strip())
    if "&" in value:  # as feedparser: "?a=1&amp;b=2" written once too often
        value = re.sub(r"&([A-Za-z0-9_]+);", r"&\g<1>", value.replace("&amp;", "&"))
    entry.link = value


def _guid(reader: _Reader, entry: FeedEntry, element: Any) -> None:
    value = reader.text(element).strip()
    if element.get("isPermaLink", "true") == "true":  # an Atom id, too: as feedparser
        value = reader.resolve(element, value)
        if not entry.link:
            entry.link = value
    entry.id = value


def _date(kind: str) -> Handler:
    def read(reader: _Reader, entry: FeedEntry, element: Any) -> None:
        # The last date of a kind wins, even an unreadable one: as feedparser.
        setattr(entry, kind, parse_date(reader.text(element)))

    return read


def _category(reader: _Reader, entry: FeedEntry, element: Any) -> None:
    # Only the category's own text: an <image> nested in it is not part of its name.
    own_text = element.text or "" if len(element) else reader.text(element)
    term = element.get("term") or repaired(own_text.strip())
    label = element.get("label") or ""
    if term or label:
        entry.categories.append((term, repaired(label)))


def _keywords(reader: _Reader, entry: FeedEntry, element: Any) -> None:
    for term in repaired(reader.text(element)).split(","):
        if term.strip():
            entry.categories.append((term.strip(), ""))


def _field(reader: _Reader, entry: FeedEntry, element: Any) -> None:
    entry.fields[_local(element)] = repaired(reader.text(element).strip())


def _description(reader: _Reader, entry: FeedEntry, element: Any) -> None:
    entry.summaries.append(_html(reader, element))


def _content_encoded(reader: _Reader, entry: FeedEntry, element: Any) -> None:
    entry.contents.append(_html(reader, element))


def _html(reader: _Reader, element: Any) -> EntryText:
    return EntryText(repaired(reader.text(element).strip()), HTML, reader.base(element))


def _atom_text(target: str) -> Handler:
    """An Atom text construct (title, summary, content), with Atom 0.3's modes."""

    def read(reader: _Reader, entry: FeedEntry, element: Any) -> None:
        if not element.get("src"):  # else the content is elsewhere: nothing to read here
            text = _construct(reader, element)
            if target == "title":
                entry.title = text.value
            else:
                getattr(entry, target).append(text)

    return read


def _construct(reader: _Reader, element: Any) -> EntryText:
    kind = (element.get("type") or "text").lower()
    kind = _ATOM_TYPES.get(kind, kind)
    mode = element.get("mode") or ""
    children = [child for child in element if isinstance(child.tag, str)]
    if kind == HTML and len(children) == 1 and _local(children[0]) == "div":
        value = reader.text(children[0])  # escaped HTML wrapped in a <div> (TypePad)
    elif children:  # markup, whatever the type says
        value, kind = _xhtml(element, reader.entities), HTML
    else:
        value = reader.text(element)
        if mode == "base64" or not (kind.startswith("text/") or kind.endswith("xml")):
            value = _base64_text(value)
    # Any type but text is markup to show, as feedparser hands it over (octet-stream included).
    return EntryText(repaired(value.strip()), kind if kind == PLAIN else HTML, reader.base(element))


def _xhtml(element: Any, entities: dict[str, str]) -> str:
    """Inline XHTML content, without the <div> that wraps it (RFC 4287 §3.1.1.3)."""
    children = [child for child in element if isinstance(child.tag, str)]
    if len(children) == 1 and _local(children[0]) == "div" and not (element.text or "").strip():
        return _markup(children[0], entities)
    return _markup(element, entities)


def _base64_text(value: str) -> str:
    import base64
    import binascii

    try:
        return base64.b64decode(value).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return value


def _table() -> dict[str, Handler]:
    core: dict[str, Handler] = {
        "title": _title,
        "link": _link,
        "guid": _guid,
        "id": _guid,
        "description": _description,
        "pubDate": _date("published"),
        "published": _date("published"),
        "issued": _date("published"),
        "updated": _date("updated"),
        "modified": _date("updated"),
        "lastBuildDate": _date("updated"),
        "category": _category,
        "tags": _keywords,
        "body": _content_encoded,
        "fullitem": _content_encoded,
    }
    atom: dict[str, Handler] = {
        "title": _atom_text("title"),
        "summary": _atom_text("summaries"),
        "content": _atom_text("contents"),
    }
    table: dict[str, Handler] = {}
    for namespace in (*_RSS_NAMESPACES, *_ATOM_NAMESPACES):
        known = {**core, **atom} if namespace in _ATOM_NAMESPACES else core
        prefix = f"{{{namespace}}}" if namespace else ""
        table.update({prefix + name: handler for name, handler in known.items()})
    table.update({name: _field for name in JOB_FIELDS})
    table.update(
        {
            f"{{{_CONTENT}}}encoded": _content_encoded,
            f"{{{_DC}}}title": _title,
            f"{{{_DC}}}date": _date("updated"),
            f"{{{_DC}}}subject": _category,
            f"{{{_DC}}}description": _description,
            f"{{{_DCTERMS}}}issued": _date("published"),
            f"{{{_DCTERMS}}}modified": _date("updated"),
            f"{{{_XHTML}}}body": _content_encoded,
        }
    )
    for media in _MEDIA:
        table[f"{{{media}}}category"] = _category
        table[f"{{{media}}}keywords"] = _keywords
        table[f"{{{media}}}title"] = _media_title
    return table


_HANDLERS = _table()


# -- dates -------------------------------------------------------------------------------------


def parse_date(value: str) -> datetime | None:
    """A UTC datetime from any date format feedparser reads; None when it reads none.

    Never raises: a date datetime cannot hold (year 9999 in a time zone west of UTC) is
    unknown too, so one bad field never loses the item or the feed.
    """
    try:
        return _moment(value)
    except (OverflowError, ValueError, OSError):
        return None


def _moment(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    found = _RFC822.fullmatch(value)
    month = _MONTHS.get(found.group(2).lower()) if found else None
    if found and month:
        day, _, year, hour, minute, second, sign, tz_hours, tz_minutes = found.groups()
        offset = int(tz_hours or 0) * 3600 + int(tz_minutes or 0) * 60
        try:
            moment = datetime(int(year), month, int(day), int(hour), int(minute), int(second or 0))
        except ValueError:
            return None
        seconds = calendar.timegm(moment.timetuple()) - (offset if sign == "+" else -offset)
        return datetime.fromtimestamp(seconds, tz=UTC)
    from feedparser.datetimes import _parse_date  # every other format feedparser knows

    parsed = _parse_date(value)
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC) if parsed else None
