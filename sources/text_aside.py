"""Descriptions set aside while feedparser reads the rest of an ill-formed UTF-8 feed.

feedparser's SGML pass spends most of its time in descriptions: each ``&lt;`` of escaped HTML
is a call of its own and each element's text is mapped through a table, so a feed of long
descriptions costs about four times what lxml and the rest of collection cost. The text of an
RSS ``<description>`` or ``<content:encoded>`` (no attributes), or an Atom ``<summary>`` or
``<content>`` of ``type="html"``, that holds only text, entity and character references and
CDATA sections reads the same wherever it stands (in a body that declares no entities). So
feedparser reads the feed with each such text replaced by a short mark, and the texts, decoded
here as feedparser's loose parser decodes text/html content, are put back in its entries.
Where feedparser's reading of the marks is not that (its strict parser read the feed: the fault
was in a text; a mark landed outside text/html content), it reads the whole body instead. Each
step below names the feedparser 6.0 code it follows; tests/test_text_aside.py checks on
feedparser's own test corpus and the recorded job feeds that the entries come out the same.
"""

from __future__ import annotations

import contextlib
import html.entities
import re
import xml.sax.saxutils
from dataclasses import dataclass
from typing import Any

from feedparser.html import _BaseHTMLProcessor, _cp1252

# In no feed (checked): a mark is this, a number and "x", which feedparser passes unchanged.
_MARK = "feedtextaside"
# RSS's description and content:encoded, Atom's summary and content of type html, and a text
# (their content read alone) ended by its end tag.
_TEXT_ELEMENT = re.compile(
    rb"<(description|content:encoded|(summary|content) type=(?:\"html\"|'html'))>"
    rb"((?:[^<]++|<!\[CDATA\[.*?\]\]>)*+)</(description|content:encoded|summary|content)>",
    re.DOTALL,
)
# A tag feedparser_sgmllib might read beyond its ">" (with feedparser's endbracket, a quote not
# closed inside the tag runs on to the next quote, in a text perhaps): not a start or end tag
# whose attribute values are quoted whole or not at all.
_LOOSE_TAG = re.compile(
    rb"<(?![a-zA-Z][^\s/<>\"']*+"
    rb"(?:\s++[^\s=<>\"'/]++(?:\s*+=\s*+(?:\"[^\"<>]*+\"|'[^'<>]*+'|[^\s\"'<>]++))?+)*+\s*+/?>"
    rb"|/[a-zA-Z][^<>\"']*+>)/?[a-zA-Z]"
)
# _BaseHTMLProcessor.feed rewrites these in the whole document before its SGML pass.
_DECLARATION = re.compile(r"<!((?!DOCTYPE|--|\[))", re.IGNORECASE)
_SHORT_TAG = re.compile(r"<([^<>\s]+?)\s*/>")
# What feedparser_sgmllib's goahead sees in an element's text: CDATA sections (which feedparser's
# parse_declaration reads), character references, entity references ended by ";" and text; any
# other "<" or "&" is markup or a reference read otherwise (not set aside).
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_CHARREF = re.compile(r"&#([0-9]+|[xX][0-9a-fA-F]+);")
_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][-.a-zA-Z0-9]*);")
_OTHER_AMPERSAND = re.compile(r"&(?![a-zA-Z][-.a-zA-Z0-9]*;|#)")
# XML's five entities, which _FeedParserMixin.handle_entityref keeps as written, and a
# reference other than those (read here as it reads them).
_XML_ENTITY_NAMES = ("lt", "gt", "amp", "quot", "apos")
_READ_REFERENCE = re.compile(r"&(?!(?:lt|gt|amp|quot|apos);)")
# _FeedParserMixin.handle_charref keeps these references as they are written (in lower case).
_KEPT_CHARREFS = frozenset({"34", "38", "39", "60", "62", "x22", "x26", "x27", "x3c", "x3e"})
# _LooseFeedParser.decode_entities for a type that does not end in "xml", in its order: each
# group only where the text holds its first characters (most hold no "&#").
_DECODED = (
    (
        "&#",
        (
            ("&#60;", "&lt;"),
            ("&#x3c;", "&lt;"),
            ("&#x3C;", "&lt;"),
            ("&#62;", "&gt;"),
            ("&#x3e;", "&gt;"),
            ("&#x3E;", "&gt;"),
            ("&#38;", "&amp;"),
            ("&#x26;", "&amp;"),
            ("&#34;", "&quot;"),
            ("&#x22;", "&quot;"),
            ("&#39;", "&apos;"),
            ("&#x27;", "&apos;"),
        ),
    ),
    ("&", (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"), ("&quot;", '"'), ("&apos;", "'"))),
    ("&#", (("&#x2f;", "/"), ("&#x2F;", "/"))),
)
_C1 = bytes(range(0x80, 0xA0))  # the characters _cp1252 maps, as ISO-8859-1 bytes
_HTML = "text/html"


@dataclass(frozen=True, slots=True)
class TextsAside:
    """A feed body with marks where texts were, and each mark's text as feedparser reads it."""

    shell: bytes
    texts: dict[str, str]

    def put_back(self, parsed: Any) -> bool:
        """Put the texts back in feedparser's entries, in place. False (read the whole body
        instead) unless each mark is the whole text of an element of the feed's or of text/html
        content of an entry's, where it is put back: a mark found elsewhere, or not at all, was
        read in a way the decoding here does not follow (in a comment, say, which a text
        holding ``-->`` would have ended)."""
        found: set[str] = set()
        for entry in parsed.entries:
            for detail in (entry.get("summary_detail"), *(entry.get("content") or [])):
                value = detail.get("value") if detail else None
                if value in self.texts:
                    if detail.get("type") != _HTML:
                        return False
                    detail["value"] = self.texts[value]
                    found.add(value)
            if entry.get("summary") in found:  # the same text, feedparser's copy of it
                entry["summary"] = self.texts[entry["summary"]]
        in_feed = set(_marked(parsed.feed))  # the channel's own description, left as a mark
        if _marked(parsed.entries) or not in_feed <= self.texts.keys():
            return False
        return found | in_feed == self.texts.keys()


def _marked(value: Any) -> list[str]:
    """The strings in a feedparser result that hold a mark."""
    if isinstance(value, str):
        return [value] if _MARK in value else []
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list | tuple):
        return []
    return [marked for part in value for marked in _marked(part)]


def set_aside(body: bytes) -> TextsAside | None:
    """The texts of a UTF-8 body that feedparser would read as text alone, set aside; None
    when there are none, or where a text might read otherwise (the body declares entities, or
    holds a tag whose quotes could run into a text) or holds the mark's letters."""
    if _MARK.encode() in body or b"<!ENTITY" in body or _LOOSE_TAG.search(body):
        return None
    texts: dict[str, str] = {}

    def marked(element: re.Match[bytes]) -> bytes:
        start, atom, raw, end = element.groups()
        text = as_feedparser_reads(raw.decode()) if (atom or start) == end else None
        if text is None:
            return element[0]
        mark = f"{_MARK}{len(texts)}x"
        texts[mark] = text
        return b"<%s>%s</%s>" % (start, mark.encode(), end)

    shell = _TEXT_ELEMENT.sub(marked, body)
    return TextsAside(shell, texts) if texts else None


def read_loosely(parsed: Any) -> bool:
    """Whether feedparser read a document with its loose (SGML) parser: its strict XML parser
    failed, as it then fails on the whole body too (the marks are text where text was)."""
    return isinstance(parsed.get("bozo_exception"), xml.sax.SAXException)


def as_feedparser_reads(raw: str) -> str | None:
    """The raw content of a text/html element as feedparser's loose parser gives it; None when
    its SGML pass would see more in it than text, references and CDATA sections."""
    if "<" in raw:
        raw = _DECLARATION.sub(r"&lt;!\1", raw)
        raw = _SHORT_TAG.sub(_short_tag, raw)
    raw = raw.replace("&#39;", "'").replace("&#34;", '"')
    parts = _CDATA.split(raw)  # text, a CDATA section's content, text, ...
    for number, part in enumerate(parts):
        if number % 2:
            parts[number] = xml.sax.saxutils.escape(part)
        elif "<" in part or ("&" in part and not _only_references(part)):
            return None
        elif _READ_REFERENCE.search(part):
            read = _references_read(part)
            if read is None:
                return None
            parts[number] = read
    return _popped("".join(parts))


def _references_read(text: str) -> str | None:
    """The text with its references read; None if one is beyond what
    _FeedParserMixin.handle_charref can encode (it raises)."""
    refs = {ref: _reference(ref) for ref in set(_REFERENCE.findall(text))}
    if None in refs.values():
        return None
    return _REFERENCE.sub(lambda found: refs[found[0]] or "", text)


def _reference(ref: str) -> str | None:
    """_FeedParserMixin.handle_charref or handle_entityref of ``&...;`` (in a body that
    declares no entities): HTML's named entities are read, XML's and unknown ones kept."""
    name = ref[1:-1]
    if name[0] == "#":
        return _charref(name[1:].lower())
    if name in _XML_ENTITY_NAMES or name not in html.entities.name2codepoint:
        return ref
    return chr(html.entities.name2codepoint[name])


def _only_references(text: str) -> bool:
    """Whether each "&" of the text starts a character reference or an entity reference."""
    if _OTHER_AMPERSAND.search(text):
        return False
    return "&#" not in text or text.count("&#") == len(_CHARREF.findall(text))


def _short_tag(found: re.Match[str]) -> str:
    """_BaseHTMLProcessor._shorttag_replace: ``<br/>`` is ``<br />``, ``<p/>`` ``<p></p>``."""
    tag = found[1]
    if tag in _BaseHTMLProcessor.elements_no_end_tag:
        return f"<{tag} />"
    return f"<{tag}></{tag}>"


def _charref(ref: str) -> str | None:
    """_FeedParserMixin.handle_charref; None for a code point it cannot encode."""
    if ref in _KEPT_CHARREFS:
        return f"&#{ref};"
    code = int(ref[1:], 16) if ref[0] == "x" else int(ref)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _popped(joined: str) -> str:
    """_FeedParserMixin.pop of text/html content, without sanitising or resolving links."""
    output = joined.strip()
    for start, replacements in _DECODED:
        if start in output:
            for written, read in replacements:
                output = output.replace(written, read)
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        # UTF-8 read as ISO-8859-1 and encoded again, as feedparser undoes it
        output = output.encode("iso-8859-1").decode("utf-8")
    latin = output.encode("iso-8859-1", "ignore")
    if len(latin.translate(None, _C1)) < len(latin):  # the translate is slow: only if it maps
        output = output.translate(_cp1252)
    return output
