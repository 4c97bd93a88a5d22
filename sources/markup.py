"""Turning strangers' HTML and labels into safe, uniform Posting fields."""

from __future__ import annotations

import functools
import html
import operator
import re
from collections.abc import Iterable
from itertools import chain
from typing import Any

import nh3

from sources.values import text as json_text

# An allow-list: formatting a reader needs, nothing that runs, loads or tracks.
_ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "div", "dl", "dt", "em", "h1", "h2",
        "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "small", "span",
        "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
_DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}
)
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan"}}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})

_BLOCK_TAGS = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
        "blockquote", "pre", "hr", "dl", "dt", "dd", "section", "article", "header", "footer",
    }
)  # fmt: skip
_SKIPPED_TEXT_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title"})
_VOID_TAGS = frozenset({"br", "hr"})  # "<br/>" reports an end tag too: one line break, not two
_BULLET = "\n• "
# A bullet that starts a line: "• " at the start of the text or after a line break. Written
# so, not as "^• " in MULTILINE mode, the regex engine skips ahead to each "• " (a pattern
# that starts with "^" is tried at every character: 5 times slower on a description).
_LINE_BULLET = r"• (?<![^\n]• )"
# A bullet the author typed inside an HTML list item: "<li>- Fluent English</li>".
_TYPED_BULLET = re.compile(_LINE_BULLET + r"[-\u2013\u2014*\u2022\u00b7]\s+")
# A blank line between two bullet lines: lists read as lists, not as paragraphs.
_LOOSE_BULLETS = re.compile(rf"({_LINE_BULLET}[^\n]*\n)\n(?=• )")
# A replacement keeping the first group. A template such as r"\1" is expanded by Python code
# for each match (up to Python 3.11); this method of the match runs in C.
_FIRST_GROUP = operator.methodcaller("group", 1)


def sanitize_html(fragment: str, base_url: str | None = None) -> str:
    """Keep safe formatting only: scripts, handlers, iframes and ``javascript:`` URLs go."""
    if not fragment:
        return ""
    return _cleaner(base_url or None).clean(fragment).strip()


# A feed's items share a base URL (the feed's, or its xml:base), so its cleaner is made once:
# making one (nh3.clean makes one each call) costs about a seventh of cleaning a description.
@functools.lru_cache(maxsize=32)
def _cleaner(base_url: str | None) -> nh3.Cleaner:
    """The sanitiser of fragments whose relative links resolve on ``base_url`` (None: dropped)."""
    return nh3.Cleaner(
        tags=set(_ALLOWED_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in _ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(_URL_SCHEMES),
        url_relative=("rewrite_with_base", base_url) if base_url else "deny",
        link_rel="noopener noreferrer nofollow",
    )


# A tag of well-formed HTML, as nh3 writes it: name, attributes (quoted), optional "/".
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)(?:\s[^>]*?)?\s*(/?)>")


def html_to_text(fragment: str) -> str:
    """Readable plain text of a sanitised HTML fragment: paragraphs and bullets kept.

    Tags are read with one regex (far faster than html.parser, and equivalent on nh3's
    well-formed output: quoted attributes, no comments, no scripts, every "<" in text
    escaped). This runs for every posting, so a fragment with nothing but text, block and
    inline tags — nearly all of them — is flattened by a few whole-string regex passes in C
    (:func:`_flattened`); one with <pre> or text-hiding tags goes through the tag loop.
    """
    if not fragment:
        return ""
    text = _flattened(fragment)
    if text is None:
        text = _flattened_tag_by_tag(fragment)
    text = _TYPED_BULLET.sub("• ", tidy_text(text))
    return _LOOSE_BULLETS.sub(_FIRST_GROUP, text)


# Marks for tags while the text is flattened: control characters that no tag writes and
# html.unescape never gives (it drops references to them); a fragment holding one goes to the
# tag loop. Each tag becomes a bullet (<li>), a line break unless right after a bullet (an
# opening block tag), a line break (a closing block tag) or a mark for nothing (any other tag:
# kept until the end, so no character reference reaches across where a tag was).
_BULLET_MARK, _CLOSE_MARK, _OPEN_MARK, _NO_MARK = "\x03", "\x04", "\x05", "\x06"
# What the passes below cannot read as the tag loop does: a "<" inside a tag (an attribute
# value; the passes could read a tag there that the one left-to-right scan of _TAG does not),
# an upper-case tag name (nh3 writes lower case; the passes match names case-sensitively),
# and <pre> or a tag whose text is dropped (they change how the text inside is read).
_NEEDS_TAG_LOOP = re.compile(
    r"<[^>]*<|</?[a-z0-9]*[A-Z]|</?(?:"
    + "|".join(sorted(_SKIPPED_TEXT_TAGS | {"pre"}))
    + r")(?:\s[^>]*)?/?>"
)


def _tag_pattern(names: str, end: str = "/?>") -> str:
    """_TAG for some names: ``end`` "/?>" (any), "(?<!/)>" (not self-closing) or "/>"."""
    return rf"<(?:{names})(?:\s[^>]*)?{end}"


_BLOCKS = "|".join(sorted(_BLOCK_TAGS - _VOID_TAGS - {"li"}))
_VOIDS = "|".join(sorted(_VOID_TAGS))
_CLOSING_TAGS = re.compile(_tag_pattern(f"/(?:li|{_BLOCKS})"))
_SELF_CLOSING_TAGS = (  # only where "/>" occurs: nh3 writes none
    (re.compile(_tag_pattern("li", "/>")), _BULLET_MARK + _CLOSE_MARK),
    (re.compile(_tag_pattern(_BLOCKS, "/>")), _OPEN_MARK + _CLOSE_MARK),
)
_BULLET_TAGS = re.compile(_tag_pattern("li", "(?<!/)>"))
_OPENING_TAGS = re.compile(_tag_pattern(_BLOCKS, "(?<!/)>") + "|" + _tag_pattern(_VOIDS))
_OTHER_TAGS = re.compile(_tag_pattern("/?[a-z][A-Za-z0-9]*"))
# Opening block tags between a bullet and its first words add no line break (one pass drops
# the first of each run; nested blocks need another).
_OPEN_AFTER_BULLET = re.compile(r"(\x03[\s\x03\x04\x06]*)\x05+")


def _flattened(fragment: str) -> str | None:
    """:func:`_flattened_tag_by_tag`'s text, by whole-string passes; None when it cannot be."""
    if "<pre" in fragment or any(mark in fragment for mark in "\x03\x04\x05\x06"):
        return None
    text = _folded(fragment)
    if _NEEDS_TAG_LOOP.search(text):
        return None
    text = _CLOSING_TAGS.sub(_CLOSE_MARK, text)
    if "/>" in text:
        for pattern, mark in _SELF_CLOSING_TAGS:
            text = pattern.sub(mark, text)
    text = _OPENING_TAGS.sub(_OPEN_MARK, _BULLET_TAGS.sub(_BULLET_MARK, text))
    text = _OTHER_TAGS.sub(_NO_MARK, text)
    if "&" in text:
        text = _folded(html.unescape(text))  # as the tag loop folds what references stand for
    if _OPEN_MARK in text and _BULLET_MARK in text:
        dropped = 1
        while dropped:
            text, dropped = _OPEN_AFTER_BULLET.subn(_FIRST_GROUP, text)
    return (
        text.replace(_BULLET_MARK, _BULLET)
        .replace(_CLOSE_MARK, "\n")
        .replace(_OPEN_MARK, "\n")
        .replace(_NO_MARK, "")
    )


_RUN_OF_SPACES = re.compile("  +")


def _folded(text: str) -> str:
    """HTML whitespace folded as a browser does outside <pre>: each run becomes one space."""
    # str.replace and a regex with a literal start are several times faster than one regex
    # for any run of whitespace, which the engine must try at every character.
    for space in "\n\t\r\f":
        if space in text:
            text = text.replace(space, " ")
    return _RUN_OF_SPACES.sub(" ", text) if "  " in text else text


def _flattened_tag_by_tag(fragment: str) -> str:
    """The text of an HTML fragment, tag by tag: <pre> kept as it is, scripts' text dropped."""
    # As a browser renders it, outside <pre> a run of whitespace is one space: done in one
    # pass over the whole fragment when there is no <pre> to keep as it is.
    folded = "<pre" not in fragment
    if folded:
        fragment = _folded(fragment)
    parts: list[str] = []
    skipping = preformatted = 0
    after_bullet = False  # "<li><p>text</p></li>" keeps the text on the bullet's line
    position = 0
    for tag in chain(_TAG.finditer(fragment), (None,)):
        end = tag.start() if tag is not None else len(fragment)
        if end > position and not skipping:
            raw = fragment[position:end]
            chunk = html.unescape(raw)
            if not preformatted and (not folded or "&" in raw):
                chunk = _folded(chunk)
            parts.append(chunk)
            after_bullet = after_bullet and not chunk.strip()
        if tag is None:
            break
        position = tag.end()
        name = tag.group(2).lower()
        closing = bool(tag.group(1))
        if not closing:
            if name in _SKIPPED_TEXT_TAGS:
                skipping += 1
            else:
                preformatted += name == "pre"
                if name == "li":
                    parts.append(_BULLET)
                    after_bullet = True
                elif name in _BLOCK_TAGS and not after_bullet:
                    parts.append("\n")
        if closing or tag.group(3):
            if name in _SKIPPED_TEXT_TAGS:
                skipping = max(0, skipping - 1)
            else:
                preformatted = max(0, preformatted - (name == "pre"))
                if name in _BLOCK_TAGS and name not in _VOID_TAGS:
                    parts.append("\n")
    return "".join(parts)


def unescape_once(fragment: str) -> str:
    """HTML that arrives HTML-escaped (``&lt;p&gt;``) as HTML; real HTML is left alone."""
    if "<" not in fragment and "&lt;" in fragment:
        return html.unescape(fragment)
    return fragment


def description(fragment: str, base_url: str | None, unescape: bool = False) -> tuple[str, str]:
    """Sanitised HTML and readable text of a description, relative links resolved on ``base_url``.

    ``unescape`` first turns HTML that arrived escaped once too often back into HTML.
    """
    cleaned = sanitize_html(unescape_once(fragment) if unescape else fragment, base_url or None)
    return cleaned, html_to_text(cleaned)


def plain_to_html(value: str) -> str:
    """Plain text as an HTML fragment that keeps its line breaks."""
    return html.escape(value).replace("\n", "<br>")


# Control characters and zero-width marks: invisible, but they break matching and terminals.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff]")


_BLANK_LINES = re.compile(r"\n\n\n+")  # a literal start: the regex engine skips ahead to it


def tidy_text(text: str) -> str:
    """Collapse runs of spaces and blank lines; strip control characters."""
    # Spaces are collapsed over the whole text at once (they never span a line break), not
    # line by line: this runs for every posting and is most of what parsing a feed costs.
    text = _INVISIBLE.sub("", text.replace("\r", ""))
    for space in "\t\xa0":  # as _folded: replacing, then a regex with a literal start
        if space in text:
            text = text.replace(space, " ")
    if "  " in text:
        text = _RUN_OF_SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


# What boards put in a field that has nothing to say.
_PLACEHOLDERS = frozenset({"n/a", "na", "none", "null", "undefined", "unknown", "-", "--", "tbd"})


def plain_label(text: str | None, blank_placeholders: bool = False) -> str:
    """A one-line label (title, company, location) with markup and entities removed.

    With ``blank_placeholders``, a label that says nothing ("N/A", "unknown", "-") becomes "".
    """
    if not text:
        return ""
    unescaped = html.unescape(text) if "&" in text else text
    no_tags = re.sub(r"<[^>]*>", " ", unescaped) if "<" in unescaped else unescaped
    plain = " ".join(tidy_text(no_tags).split())
    return "" if blank_placeholders and plain.lower() in _PLACEHOLDERS else plain


def label(value: Any) -> str:
    """A one-line label (title, company, location, tag) from a JSON value, mojibake repaired."""
    return plain_label(json_text(value))


def unique(labels: Iterable[str], ignore_case: bool = False) -> tuple[str, ...]:
    """Distinct non-empty labels in first-seen order (with ``ignore_case``, the first spelling)."""
    seen: dict[str, str] = {}
    for found in labels:
        if found:
            seen.setdefault(found.lower() if ignore_case else found, found)
    return tuple(seen.values())


def labels(values: Iterable[Any]) -> tuple[str, ...]:
    """The distinct non-empty labels of JSON values, in order."""
    return unique(map(label, values))


def joined(values: Iterable[Any], separator: str = ", ") -> str:
    """Distinct non-empty labels of JSON values joined: 'Berlin, Germany'."""
    return separator.join(labels(values))


def section(title: Any, body: Any) -> str:
    """One titled part of a description as HTML: ``<h3>title</h3>body`` ('' without a body)."""
    fragment = json_text(body).strip()
    if not fragment:
        return ""
    heading = label(title)
    return (f"<h3>{html.escape(heading)}</h3>" if heading else "") + fragment


_EMPLOYMENT_TYPES = (
    (re.compile(r"\bintern(ship)?s?\b"), "internship"),
    (re.compile(r"\bpart[-_ ]?time\b"), "part_time"),
    (re.compile(r"\b(contract(or)?|freelance)\b"), "contract"),
    (re.compile(r"\btemp(orary)?\b"), "temporary"),
    (re.compile(r"\b(full[-_ ]?time|permanent)\b"), "full_time"),
)


def employment_type(label: str | None) -> str:
    """'Full-Time', 'FULL_TIME', 'full time' -> 'full_time'; unknown labels -> ''."""
    lowered = (label or "").lower()
    return next((kind for pattern, kind in _EMPLOYMENT_TYPES if pattern.search(lowered)), "")


_REMOTE_WORDS = re.compile(
    # "remoto"/"remota": Portuguese, Spanish and Italian boards ("Apoio ao Cliente - Remoto")
    r"\b(remote|remot[oa]|anywhere|telecommut\w*|work from home|wfh|distributed)\b",
    re.IGNORECASE,
)


def looks_remote(*labels: str | None) -> bool:
    """True when any label (location, title, region) says the job can be done remotely."""
    return any(label and _REMOTE_WORDS.search(label) for label in labels)
