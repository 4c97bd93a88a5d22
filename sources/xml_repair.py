"""The XML faults real feeds commonly have, repaired without changing what the text says.

A feed that is not well-formed XML usually fails for one of five reasons, each a piece of HTML
written into XML: a void element left open (``<br>``, ``<img src="…">``), an HTML element
left open inside a text element (``<description>Apply <b>today</description>``), HTML
elements ended in the wrong order or ended twice (``<b>Apply <i>today</b> now</i>``), a bare
ampersand (``AT&T``, ``?a=1&b=2``), or an entity XML does not define: HTML's (``&nbsp;``,
``&eacute;``) or nobody's (``&nbps;``, a typo), or a reference written with HTML's upper-case
``&#X41;``. Each has one meaning, the one an HTML reader (and feedparser) gives it, so each
is rewritten into the XML that says the same: ``<br/>``, ``<b>today</b></description>``,
``<b>Apply <i>today</i></b> now`` (an end tag ends the HTML elements opened after its own,
and one whose element is not open is dropped), ``&amp;``, ``&#160;``, ``&amp;nbps;`` (an
entity nobody defines is read as the text it is) and ``&#x41;``. Where HTML does more than
that (an inline element's end tag with a block open inside it), the end tag is left as it is.
Two faults of the document's ends are repaired too: its last end tag cut short (``</rss`` at
the end), whose ``>`` is added, and an XML declaration after white space or a comment, which
is dropped (feedparser, too, reads the document without it). A comment with ``--`` inside,
which XML forbids and every reader ignores, gets ``- -`` instead.
Nothing else is touched: CDATA sections, comments, processing instructions and the DOCTYPE
are copied as they are, an entity the document declares itself keeps its name, and an
element of the feed (anything but HTML's) is never closed for it.

The repair is applied only after a strict parse failed with these faults' errors, and its
result is parsed strictly again: a document it does not make well-formed still goes to
feedparser, so a wrong guess here costs time, never content.
"""

from __future__ import annotations

import functools
import re
from html.entities import html5, name2codepoint
from typing import Any

from lxml import etree

# The errors libxml2 reports for each fault: an open void or HTML element shows as a tag
# mismatch further on; a bare ampersand as a missing name or semicolon; a cut-short end tag as
# a missing ">". An undeclared namespace prefix may come with them: lxml reads it as is.
_TAG_ERRORS = frozenset(
    {etree.ErrorTypes.ERR_TAG_NAME_MISMATCH, etree.ErrorTypes.ERR_TAG_NOT_FINISHED}
)
_CUT_SHORT_ERROR = etree.ErrorTypes.ERR_GT_REQUIRED
_LATE_DECLARATION_ERROR = etree.ErrorTypes.ERR_RESERVED_XML_NAME
_REFERENCE_ERRORS = frozenset(
    {
        etree.ErrorTypes.ERR_ENTITYREF_SEMICOL_MISSING,
        etree.ErrorTypes.ERR_NAME_REQUIRED,
        etree.ErrorTypes.ERR_UNDECLARED_ENTITY,
        etree.ErrorTypes.ERR_INVALID_DEC_CHARREF,  # "&#X41;": HTML's upper-case X
    }
)
_COMMENT_ERROR = etree.ErrorTypes.ERR_HYPHEN_IN_COMMENT
_REPAIRABLE_ERRORS = (
    _TAG_ERRORS
    | _REFERENCE_ERRORS
    | {
        _CUT_SHORT_ERROR,
        _LATE_DECLARATION_ERROR,
        _COMMENT_ERROR,
        etree.ErrorTypes.NS_ERR_UNDEFINED_NAMESPACE,
    }
)
# libxml2 reports "&#X41;" twice: as an invalid reference and as the character 0 it read.
_CHARACTER_REFERENCE_ERROR = (etree.ErrorTypes.ERR_INVALID_CHAR, "xmlParseCharRef")
# HTML's void elements, except those RSS and Atom use with content or closed (link, source,
# base, meta).
_VOID = rb"area|br|col|embed|hr|img|input|param|track|wbr"
# HTML's other elements that descriptions carry, closed where their parent ends when left
# open. Not those a feed uses itself (title, link, source, summary, body, html, head).
_HTML_ELEMENTS = frozenset(
    b"""a abbr acronym address article aside b bdi bdo big blink blockquote caption center cite
    code dd del details dfn dir div dl dt em figcaption figure font footer h1 h2 h3 h4 h5 h6
    header i ins kbd label li main mark nav nobr ol p pre q s samp section small span strike
    strong sub sup table tbody td tfoot th thead tr tt u ul var""".split()
)
# HTML elements a sibling of the same name ends ("<li>one<li>two" is two items).
_ENDED_BY_SIBLING = frozenset(b"dd dt li option p td th tr".split())
# HTML's "special" elements among those: the blocks an end tag of an inline element (b, span)
# does not close (HTML moves the inline element into the block, or ignores its end tag).
_BLOCKS = frozenset(
    b"""address article aside blockquote caption center dd details dir div dl dt figcaption
    figure footer h1 h2 h3 h4 h5 h6 header li main nav ol p pre section table tbody td tfoot
    th thead tr ul""".split()
)
# Any heading's end tag ends the heading open (HTML: "<h2>Role</h1>" is an h2).
_HEADINGS = frozenset(b"h1 h2 h3 h4 h5 h6".split())
_XML_ENTITIES = ("lt", "gt", "amp", "quot", "apos")
# HTML entity name → the same characters as XML character references. HTML 4's meaning wins
# where HTML 5 changed it (&lang; is U+2329, not U+27E8), as feedparser reads them.
_HTML_ENTITIES = {
    name.encode(): "".join(f"&#{ord(char)};" for char in value).encode()
    for name, value in {
        **{name[:-1]: value for name, value in html5.items() if name.endswith(";")},
        **{name: chr(point) for name, point in name2codepoint.items()},
    }.items()
    if name not in _XML_ENTITIES
}
# What is copied unchanged: CDATA, comments, processing instructions, the DOCTYPE.
_KEPT = rb"(?P<kept>!\[CDATA\[.*?\]\]>|!--.*?-->|\?.*?\?>|!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>)"
_ATTRIBUTES = rb"(?P<attributes>(?:\s+[^\s=/<>\"']+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*)"
# A void element written open, its attributes all quoted.
_OPEN_VOID = rb"(?P<name>(?i:" + _VOID + rb"))" + _ATTRIBUTES + rb">"
# A start, empty or end tag, its attributes all quoted.
_ELEMENT_TAG = rb"(?P<end>/)?(?P<name>[^\s/<>!?]+)" + _ATTRIBUTES + rb"(?P<empty>/)?>"
_IS_VOID = re.compile(rb"(?i:" + _VOID + rb")").fullmatch
# The element libxml2 found open where another's end tag came, and that end tag.
_MISMATCH = re.compile(r"mismatch: (\S+) line \d+ and (\S+)")
# A named entity XML does not predefine; a hexadecimal reference written with HTML's "X";
# else an ampersand that starts no reference.
_REFERENCE = (
    rb"&(?:(?!(?:lt|gt|amp|quot|apos);)(?P<entity>[A-Za-z][A-Za-z0-9]*);"
    rb"|#X(?P<upper_hex>[0-9A-Fa-f]+;)"
    rb"|(?![A-Za-z_:][\w.:-]*;|#[0-9]+;|#x[0-9A-Fa-f]+;))"
)
_DECLARED_ENTITY = re.compile(rb"<!ENTITY\s+([^\s%]+)")
# The document's last end tag without its ">" (and nothing after it but white space).
_CUT_SHORT_END = re.compile(rb"</[^\s<>/]+\s*\Z")
# An XML declaration after white space or comments only.
_LATE_DECLARATION = re.compile(rb"\A((?:\s|<!--.*?-->)*)<\?xml\s[^>]*\?>", re.DOTALL)


@functools.cache
def _faults(tags: bytes, references: bool) -> re.Pattern[bytes]:
    """The pattern for the faults asked for: ``tags`` the pattern of the tags to see, if any.

    A feed of 100 kB holds thousands of "&lt;": scanning for ampersands costs ten times what
    scanning for tags does, so it is done only for the errors that call for it.
    """
    # "<" factored out: the engine skips ahead to it.
    pattern = rb"<(?:" + _KEPT + (rb"|" + tags if tags else b"") + rb")"
    return re.compile(pattern + (rb"|" + _REFERENCE if references else b""), re.DOTALL)


def repaired_xml(data: bytes, error_log: Any) -> bytes | None:
    """``data`` with open void and HTML elements closed, bare ampersands escaped, HTML entities
    numbered and undefined ones made text, a cut-short last end tag ended and a late XML
    declaration dropped.

    Only the faults whose errors a strict parse logged are repaired; None when the log holds
    any other error, or nothing was changed. UTF-16 and UTF-32 bodies (NUL bytes) are not
    repaired: the patterns read ASCII-compatible bytes.
    """
    kinds = _fault_kinds(error_log)
    if not kinds or not kinds <= _REPAIRABLE_ERRORS or b"\x00" in data:
        return None
    tags, references = _tags_to_see(error_log, kinds), bool(kinds & _REFERENCE_ERRORS)
    comments = _COMMENT_ERROR in kinds
    fixed = data
    if tags or references or comments:
        fixed = _faults(tags, references).sub(_Repair(data, comments).replace, data)
    if _CUT_SHORT_ERROR in kinds and _CUT_SHORT_END.search(fixed):
        fixed += b">"
    if _LATE_DECLARATION_ERROR in kinds:
        fixed = _LATE_DECLARATION.sub(rb"\1", fixed, count=1)
    return None if fixed == data else fixed


def markup_faults_only(error_log: Any) -> bool:
    """True when every error a strict parse logged is a fault of the markup the repair knows:
    no other reading of the bytes (another charset) would take it away."""
    return bool(error_log) and _fault_kinds(error_log) <= _REPAIRABLE_ERRORS


def _fault_kinds(error_log: Any) -> set[int]:
    """The kinds of the errors a strict parse logged, the character 0 libxml2 reads from
    "&#X41;" counted as the invalid reference it is."""
    kind, function = _CHARACTER_REFERENCE_ERROR
    return {
        etree.ErrorTypes.ERR_INVALID_DEC_CHARREF
        if entry.type == kind and entry.message.startswith(function)
        else entry.type
        for entry in error_log
    }


def _tags_to_see(error_log: Any, kinds: set[int]) -> bytes:
    """Every tag when an HTML element was left open or ended out of place; only void
    elements when one of those alone was (each mismatch libxml2 then finds names feed
    elements and void ones); none without tag errors. Seeing every tag costs a Python call
    per tag."""
    if not kinds & _TAG_ERRORS:
        return b""
    for entry in error_log:
        found = _MISMATCH.search(entry.message)
        if found and not {name.encode().lower() for name in found.groups()}.isdisjoint(
            _HTML_ELEMENTS
        ):
            return _ELEMENT_TAG
    return _OPEN_VOID


class _Repair:
    """The replacement for each fault found, in document order.

    It keeps the stack of open elements, to close the HTML elements still open when their
    parent's end tag comes, and to end HTML elements as HTML does (see ``_html_end``).
    """

    def __init__(self, data: bytes, comments: bool) -> None:
        self.declared = set(_DECLARED_ENTITY.findall(data)) if b"<!ENTITY" in data else set()
        self.open: list[bytes] = []
        self.comments = comments

    def replace(self, fault: re.Match[bytes]) -> bytes:
        """What to write for one match of the faults' pattern."""
        found = fault.groupdict()
        if found["kept"] is not None:
            return self._kept(found["kept"])
        if found.get("name") is not None:
            return self._tag(fault)
        if found.get("upper_hex") is not None:
            return b"&#x" + found["upper_hex"]
        entity = found["entity"]
        if entity is None:
            return b"&amp;"
        if entity in self.declared:
            return fault.group()
        return _HTML_ENTITIES.get(entity) or b"&amp;" + entity + b";"

    def _kept(self, kept: bytes) -> bytes:
        """A CDATA section, comment, processing instruction or DOCTYPE, copied as it is, but
        for a comment's "--" (which XML forbids inside one, and readers ignore): "- -"."""
        if not (self.comments and kept.startswith(b"!--")):
            return b"<" + kept
        inside = re.sub(rb"-(?=-)", b"- ", kept[3:-3])
        return b"<!--" + inside + (b" -->" if inside.endswith(b"-") else b"-->")

    def _tag(self, tag: re.Match[bytes]) -> bytes:
        name, found = tag["name"], tag.groupdict()
        if found.get("end") is not None:
            if name.lower() in _HTML_ELEMENTS:
                return self._html_end(name, tag.group())
            return self._closed_to(name) + tag.group()
        if found.get("empty") is not None:
            return tag.group()
        if _IS_VOID(name):
            return b"<" + name + tag["attributes"] + b"/>"
        ended = b""
        if self.open and self.open[-1] == name and name.lower() in _ENDED_BY_SIBLING:
            ended = b"</" + self.open.pop() + b">"
        self.open.append(name)
        return ended + tag.group()

    def _html_end(self, name: bytes, end_tag: bytes) -> bytes:
        """What HTML makes of the end tag of an HTML element, written as XML.

        Of an element open among the HTML elements innermost: the end tags of those opened
        after it, then its own (``<b>Apply <i>today</b>`` ends the ``<i>`` first), unless
        one of those is a block an inline element's end tag leaves open. A heading's end tag
        ends whichever heading is open. Of an element not
        open at all: nothing, as HTML drops a stray end tag, except ``</p>``, which HTML
        reads as an empty paragraph. Else the end tag unchanged: the strict parse that
        follows fails and feedparser reads the document.
        """
        key = name.lower()
        names = [element.lower() for element in self.open]
        if key in _HEADINGS and key not in names:
            key = next((open_ for open_ in reversed(names) if open_ in _HEADINGS), key)
        if key not in names:
            return b"" if key != b"p" else end_tag
        position = len(names) - 1 - names[::-1].index(key)
        inside = names[position + 1 :]
        if not all(element in _HTML_ELEMENTS for element in inside) or (
            key not in _BLOCKS and not _BLOCKS.isdisjoint(inside)
        ):
            return end_tag
        return self._ended_from(position)

    def _closed_to(self, name: bytes) -> bytes:
        """End tags for the HTML elements left open inside ``name``, whose end tag comes now.

        Nothing when ``name`` is not open, or an element of the feed is open inside it: the
        strict parse that follows fails and feedparser reads the document.
        """
        if name not in self.open:
            return b""
        position = len(self.open) - 1 - self.open[::-1].index(name)
        if not all(element.lower() in _HTML_ELEMENTS for element in self.open[position + 1 :]):
            return b""
        return self._ended_from(position + 1)

    def _ended_from(self, position: int) -> bytes:
        """End tags for the open elements from ``position`` on, innermost first, as opened."""
        ended = self.open[position:]
        del self.open[position:]
        return b"".join(b"</" + element + b">" for element in reversed(ended))
