"""The three XML faults real feeds commonly have, repaired without changing what the text says.

A feed that is not well-formed XML usually fails for one of three reasons, each a piece of HTML
written into XML: a void element left open (``<br>``, ``<img src="…">``), a bare ampersand
(``AT&T``, ``?a=1&b=2``), or an HTML entity XML does not define (``&nbsp;``, ``&eacute;``).
Each has one meaning, the one an HTML reader (and feedparser) gives it, so each is rewritten
into the XML that says the same: ``<br/>``, ``&amp;``, ``&#160;``. Nothing else is touched:
CDATA sections, comments, processing instructions and the DOCTYPE are copied as they are, and
an entity the document declares itself keeps its name.

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

# The errors libxml2 reports for each fault: an open void element shows as a tag mismatch
# further on; a bare ampersand as a missing name or semicolon. An undeclared namespace prefix
# may come with them: lxml reads it as is.
_TAG_ERRORS = frozenset(
    {etree.ErrorTypes.ERR_TAG_NAME_MISMATCH, etree.ErrorTypes.ERR_TAG_NOT_FINISHED}
)
_REFERENCE_ERRORS = frozenset(
    {
        etree.ErrorTypes.ERR_ENTITYREF_SEMICOL_MISSING,
        etree.ErrorTypes.ERR_NAME_REQUIRED,
        etree.ErrorTypes.ERR_UNDECLARED_ENTITY,
    }
)
_REPAIRABLE_ERRORS = _TAG_ERRORS | _REFERENCE_ERRORS | {etree.ErrorTypes.NS_ERR_UNDEFINED_NAMESPACE}
# HTML's void elements, except those RSS and Atom use with content or closed (link, source,
# base, meta).
_VOID = rb"area|br|col|embed|hr|img|input|param|track|wbr"
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
# A void element written open, its attributes all quoted.
_OPEN_VOID = (
    rb"(?P<void>(?i:" + _VOID + rb"))"
    rb"(?P<attributes>(?:\s+[^\s=/<>\"']+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*)>"
)
# A named entity XML does not predefine; else an ampersand that starts no reference.
_REFERENCE = (
    rb"&(?:(?!(?:lt|gt|amp|quot|apos);)(?P<entity>[A-Za-z][A-Za-z0-9]*);"
    rb"|(?![A-Za-z_:][\w.:-]*;|#[0-9]+;|#x[0-9A-Fa-f]+;))"
)
_DECLARED_ENTITY = re.compile(rb"<!ENTITY\s+([^\s%]+)")


@functools.cache
def _faults(tags: bool, references: bool) -> re.Pattern[bytes]:
    """The pattern for the faults asked for.

    A feed of 100 kB holds thousands of "&lt;": scanning for ampersands costs ten times what
    scanning for tags does, so it is done only for the errors that call for it.
    """
    # "<" factored out: the engine skips ahead to it.
    pattern = rb"<(?:" + _KEPT + (rb"|" + _OPEN_VOID if tags else b"") + rb")"
    return re.compile(pattern + (rb"|" + _REFERENCE if references else b""), re.DOTALL)


def repaired_xml(data: bytes, error_log: Any) -> bytes | None:
    """``data`` with open void elements closed, bare ampersands escaped, HTML entities numbered.

    Only the faults whose errors a strict parse logged are repaired; None when the log holds
    any other error, or nothing was changed. UTF-16 and UTF-32 bodies (NUL bytes) are not
    repaired: the patterns read ASCII-compatible bytes.
    """
    kinds = {entry.type for entry in error_log}
    if not kinds or not kinds <= _REPAIRABLE_ERRORS or b"\x00" in data:
        return None
    declared = set(_DECLARED_ENTITY.findall(data)) if b"<!ENTITY" in data else set()

    def repair(fault: re.Match[bytes]) -> bytes:
        found = fault.groupdict()
        entity = found.get("entity")
        if found["kept"] is not None or (entity is not None and entity in declared):
            return fault.group()
        if found.get("void") is not None:
            return b"<" + found["void"] + found["attributes"] + b"/>"
        if entity is None:
            return b"&amp;"
        return _HTML_ENTITIES.get(entity, fault.group())

    fixed = _faults(bool(kinds & _TAG_ERRORS), bool(kinds & _REFERENCE_ERRORS)).sub(repair, data)
    return None if fixed == data else fixed
