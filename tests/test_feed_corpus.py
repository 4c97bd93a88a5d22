"""The lxml feed reader agrees with feedparser on feedparser's own test corpus.

tests/fixtures/feedparser/ holds every file of feedparser 6.0.14's test suite that is well-formed
XML with at least one entry (1,165 files; see SOURCES.md). For each, both parsers read the file
as feedparser's test server would serve it (its ``Header:`` comments give the Content-Type and
Content-Location), and every entry's title, link, id, date, categories and description must
agree once both are reduced the way postings are made (labels cleaned, descriptions sanitised
by nh3 and flattened to text).

tests/fixtures/feedparser/ill-formed/ holds the suite's files that are not well-formed XML and
have entries, and all of its entities/ files (most an HTML entity in a channel title: the test
reads the channel's children as one item so both parsers give an entry, unless it has one).
Those the XML repair (sources/xml_repair.py) makes readable must agree with feedparser in the
same way; the others must still go to feedparser, each listed with why.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import feedparser
import pytest

from sources import feed_reading
from sources.feedxml import FeedDocument, FeedEntry, read_feed
from sources.markup import description, plain_label, unique

CORPUS = Path(__file__).parent / "fixtures" / "feedparser"
ILL_FORMED = CORPUS / "ill-formed"
FILES = sorted(path for path in CORPUS.rglob("*.xml") if not path.is_relative_to(ILL_FORMED))
ILL_FORMED_FILES = sorted(ILL_FORMED.rglob("*.xml"))
_HEADER = re.compile(rb"^Header:\s*([\w-]+):\s*(.*?)\s*$", re.MULTILINE)

# Where the two parsers disagree on purpose: file → (field, why).
DELIBERATE = {
    "wellformed/itunes/itunes_item_category.xml": (
        "categories",
        "iTunes podcast categories describe a show, not a job; the reader skips itunes:*",
    ),
    "wellformed/itunes/itunes_item_category_nested.xml": ("categories", "as above"),
    "wellformed/itunes/itunes_item_category_scheme.xml": ("categories", "as above"),
    "wellformed/itunes/itunes_item_summary.xml": (
        "description",
        "itunes:summary is a podcast episode's blurb; job feeds never carry one",
    ),
    "wellformed/media-rss/media_group.xml": (
        "description",
        "a media:description describes a media object (a logo, a video), not the posting",
    ),
    "wellformed/psc/rss2.0simplechapter.xml": (
        "description",
        "Podlove chapter titles are not an episode's description",
    ),
    "wellformed/psc/atomsimplechapterexternal.xml": ("description", "as above"),
    "wellformed/node_precedence/atom10_id.xml": (
        "link",
        "feedparser takes the <id> of an <image> nested in the entry as the entry's link; "
        "the reader reads only the entry's own children",
    ),
    "wellformed/rss/item_category_image.xml": (
        "title",
        "feedparser takes the title of an <image> nested in a <category> as the item's title",
    ),
}

# Ill-formed files the repair leaves to feedparser: path under ill-formed/ → why.
_UNDECLARED_ENCODING = "not UTF-8 and no encoding declared: feedparser guesses it (chardet)"
_WRONG_BYTES = "bytes the declared encoding cannot decode: feedparser tries others"
STILL_FEEDPARSER = {
    **dict.fromkeys(
        [
            f"illformed/chardet/{name}.xml"
            for name in ("eucjp", "euckr", "gb2312", "koi8r", "shiftjis", "tis620", "windows1255")
        ],
        _UNDECLARED_ENCODING,
    ),
    "encoding/bozo_encoding_mismatch_crash.xml": _WRONG_BYTES,
    "encoding/bozo_linenoise.xml": _WRONG_BYTES,
    "illformed/rss_incomplete_cdata.xml": "a CDATA section cut short",
}


def served(path: Path, corpus: Path = CORPUS) -> tuple[bytes, str, str]:
    """The body, URL and Content-Type a file is served with by feedparser's test server."""
    body = path.read_bytes()
    headers = {k.decode().lower(): v.decode() for k, v in _HEADER.findall(body[:2000])}
    relative = path.relative_to(corpus).as_posix()
    url = headers.get("content-location") or f"http://localhost:8097/tests/{relative}"
    return body, url, headers.get("content-type", "")


def reduced(entry: FeedEntry, url: str) -> dict[str, Any]:
    """The fields a posting takes from an entry, as postings get them."""
    fragment, base = feed_reading._description(entry)
    return {
        "title": plain_label(entry.title),
        "link": entry.link,
        "id": entry.id,
        "date": entry.published or entry.updated,
        "categories": unique(plain_label(label or term) for term, label in entry.categories),
        "description": description(fragment, base or url)[1],
    }


def feedparser_entries(body: bytes, url: str, content_type: str) -> list[Any]:
    """feedparser's entries, read as sources.feed_reading reads them in its fallback."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # feedparser warns about its own deprecated keys
        parsed = feedparser.parse(
            body,
            response_headers={"content-location": url, "content-type": content_type or "text/xml"},
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    return [feed_reading._entry_from_feedparser(entry, url) for entry in parsed.entries]


def test_the_corpus_is_there() -> None:
    assert len(FILES) == 1165
    assert (CORPUS / "LICENSE").read_text().startswith("feedparser and its unit tests")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_reader_agrees_with_feedparser(path: Path) -> None:
    body, url, content_type = served(path)
    document = read_feed(body, url, content_type)
    assert document is not None, "well-formed: the lxml reader must read it"
    assert not document.repaired
    differing = disagreements(document, body, url, content_type)
    deliberate = DELIBERATE.get(path.relative_to(CORPUS).as_posix())
    assert differing == ({deliberate[0]} if deliberate else set())


@pytest.mark.parametrize(
    "path", ILL_FORMED_FILES, ids=lambda p: p.relative_to(ILL_FORMED).as_posix()
)
def test_repaired_documents_agree_with_feedparser(path: Path) -> None:
    relative = path.relative_to(ILL_FORMED).as_posix()
    body, url, content_type = served(path, ILL_FORMED)
    if relative.startswith("entities/") and b"<item>" not in body:  # the channel's as one item
        body = body.replace(b"<channel>", b"<channel><item>")
        body = body.replace(b"</channel>", b"</item></channel>")
    document = read_feed(body, url, content_type)
    if relative in STILL_FEEDPARSER:
        assert document is None, "not repaired: feedparser reads it"
        assert feedparser_entries(body, url, content_type)
        return
    assert document is not None and document.repaired
    assert disagreements(document, body, url, content_type) == set()


def test_most_ill_formed_files_are_repaired() -> None:
    assert (len(ILL_FORMED_FILES), len(STILL_FEEDPARSER)) == (269, 10)


def disagreements(document: FeedDocument, body: bytes, url: str, content_type: str) -> set[str]:
    """The fields in which the reader's entries differ from feedparser's."""
    theirs = [reduced(entry, url) for entry in feedparser_entries(body, url, content_type)]
    mine = [reduced(entry, url) for entry in document.entries]
    assert theirs, "the corpus holds only files with entries"
    assert len(mine) == len(theirs)
    return {
        field
        for ours, feedparsers in zip(mine, theirs, strict=True)
        for field, value in ours.items()
        if value != feedparsers[field]
    }


# Files where base URIs matter: an xml:base (or a base attribute) or a link to resolve.
_BASE_FILES = sorted(path for path in CORPUS.rglob("*.xml") if b"base" in path.read_bytes())


@pytest.mark.parametrize(
    "path", [*_BASE_FILES, *ILL_FORMED_FILES], ids=lambda p: p.relative_to(CORPUS).as_posix()
)
def test_feedparser_with_base_uris_remembered_reads_as_feedparser_does(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """feed_reading memoises two of feedparser's URI functions (speed); nothing read changes."""
    from feedparser import mixin, urls

    corpus = ILL_FORMED if path.is_relative_to(ILL_FORMED) else CORPUS
    body, url, content_type = served(path, corpus)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # feedparser warns about its own deprecated keys
        remembered = feed_reading._parsed_by_feedparser(body, url, content_type)
        assert mixin._urljoin is not urls._urljoin  # the memoised one read it
        monkeypatch.setattr(mixin, "make_safe_absolute_uri", urls.make_safe_absolute_uri)
        monkeypatch.setattr(mixin, "_urljoin", urls._urljoin)
        afresh = feed_reading._parsed_by_feedparser(body, url, content_type)
    assert remembered.feed == afresh.feed
    assert remembered.entries == afresh.entries
