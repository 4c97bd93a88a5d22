"""feedparser's reading with descriptions set aside gives exactly its reading of the whole body.

sources/text_aside.py sets aside the texts of descriptions, has feedparser read the rest and
puts the texts back decoded as feedparser would have decoded them. For every file of
feedparser's own test corpus (well-formed and ill-formed) and every recorded job feed, with a
fault written into its first item so that feedparser's loose parser reads it (the path the
set-aside texts take), the entries (feed_reading._entry_from_feedparser, field by field) must equal
those of feedparser.parse on the same body. No difference is deliberate.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_feed_corpus import CORPUS, FILES, ILL_FORMED, ILL_FORMED_FILES, feedparser_entries, served
from test_feedxml import JOB_FEEDS, URL, feedparser_bodies, with_fault_in_second_item

from sources import feed_reading, text_aside
from sources.feedxml import FeedEntry
from sources.rss import parse_feed

FAULT = b"<note><a href=/apply>Apply today</a> and hear back</note>"
_FIRST_END = (b"</item>", b"</entry>")


def with_fault(body: bytes) -> bytes:
    """``body`` with FAULT before the first item's or entry's end tag (unchanged if none)."""
    ends = [found for found in (body.find(end) for end in _FIRST_END) if found >= 0]
    return body[: min(ends)] + FAULT + body[min(ends) :] if ends else body


def entries_aside(body: bytes, url: str, content_type: str) -> list[FeedEntry] | None:
    """The entries read with texts set aside, or None when that path leaves the body whole."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # feedparser warns about its own deprecated keys
        parsed = feed_reading._parsed_texts_aside(body, url, content_type)
    if parsed is None:
        return None
    return [feed_reading._entry_from_feedparser(entry, url) for entry in parsed.entries]


CASES = [(path, CORPUS) for path in FILES] + [(path, ILL_FORMED) for path in ILL_FORMED_FILES]


@pytest.mark.parametrize(("path", "corpus"), CASES, ids=lambda p: getattr(p, "name", ""))
def test_the_corpus_reads_the_same_with_texts_aside(path: Path, corpus: Path) -> None:
    body, url, content_type = served(path, corpus)
    for document in (body, with_fault(body)):
        aside = entries_aside(document, url, content_type)
        if aside is not None:
            assert aside == feedparser_entries(document, url, content_type)


@pytest.mark.parametrize("path", JOB_FEEDS, ids=lambda p: p.name)
def test_job_feeds_with_a_fault_read_the_same_with_texts_aside(path: Path) -> None:
    body = with_fault_in_second_item(path, FAULT)
    content_type = "application/rss+xml"
    aside = entries_aside(body, URL, content_type)
    assert aside is not None
    assert aside == feedparser_entries(body, URL, content_type)


def test_feedparser_gets_the_descriptions_as_marks(monkeypatch: pytest.MonkeyPatch) -> None:
    body = with_fault_in_second_item(JOB_FEEDS[0], FAULT)
    bodies = feedparser_bodies(monkeypatch)
    parse_feed(body, URL, "application/rss+xml", "jobs")
    assert len(bodies) == 1 and b"&lt;" not in bodies[0]  # read item by item, texts aside


@pytest.mark.parametrize(
    ("raw", "read"),
    [
        ("  &lt;p&gt;R&amp;D &#38; &#x3C;b&#x3e;&lt;/p&gt; ", "<p>R&D & <b></p>"),
        ("<![CDATA[<p>a & b<br/></p>]]> &#233;&#039;", "<p>a & b<br /></p> é'"),
        (
            "<![CDATA[<p/><!x> &lt;]]>&amp;quot; &amp;#x2f; &#X41;&#0065;",
            '<p></p>&lt;!x> &lt;" / AA',
        ),
        ("caf\u00c3\u00a9", "café"),  # UTF-8 read as Latin-1, undone
        ("don\u0092t &#146; \u00a0\r\n", "don\u2019t \u2019"),  # Windows-1252 read as Latin-1
        ("a &nbsp;b&eacute;&AMP;&foo.bar; &nbsp;", "a \u00a0bé&AMP;&foo.bar;"),  # HTML's read
        ("a &nbsp b", None),  # an entity without its ";"
        ("a & b", None),
        ("<![CDATA[a]]> <b>", None),
        ("<![CDATA[a", None),
        ("&#x110000;", None),  # beyond Unicode: feedparser fails on it
    ],
)
def test_texts_read_as_feedparser_reads_them(raw: str, read: str | None) -> None:
    assert text_aside.as_feedparser_reads(raw) == read
    if read is not None:  # and so feedparser reads it, in an ill-formed feed
        item = f"<item><title>T</title><description>{raw}</description>{FAULT.decode()}</item>"
        body = f"<rss><channel>{item}</channel></rss>".encode()
        (entry,) = feedparser_entries(body, URL, "application/rss+xml")
        assert entry.summaries[0].value == read


@pytest.mark.parametrize(
    "hidden",
    [
        b"<!-- <description>a --> b &amp; c</description> -->",  # the text ends the comment
        b"<?pi <description>a ?> b</description> ?>",
        b"<category><![CDATA[x <description>y]]> z</description>]]></category>",
    ],
    ids=["comment", "processing-instruction", "cdata"],
)
def test_a_text_where_feedparser_reads_no_element_leaves_the_body_whole(hidden: bytes) -> None:
    item = b"<item><title>A</title>" + hidden + b"<description>B</description>" + FAULT
    body = b"<rss><channel>" + item + b"</item></channel></rss>"
    assert text_aside.set_aside(body) is not None
    assert entries_aside(body, URL, "application/rss+xml") is None
    assert feedparser_entries(body, URL, "application/rss+xml")


def test_a_quote_left_open_in_a_tag_leaves_the_body_whole() -> None:
    # feedparser reads the link's attribute on to the quote in the description: no description
    item = b'<item><title>A</title><a href="/apply>Apply</a><description>A 5" screen</description>'
    body = b"<rss><channel>" + item + b"<link>http://x/1</link></item></channel></rss>"
    assert text_aside.set_aside(body) is None
    assert feedparser_entries(body, URL, "application/rss+xml")[0].summaries == []


def test_a_body_that_declares_entities_is_read_whole() -> None:
    doctype = b'<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]>'
    item = b"<item><description>a&nbsp;b</description>" + FAULT + b"</item>"
    assert text_aside.set_aside(doctype + b"<rss><channel>" + item + b"</channel></rss>") is None


def test_a_fault_inside_a_description_leaves_the_body_whole() -> None:
    # The shell is well-formed: feedparser's strict parser would read it, not its loose one.
    body = b"<rss><channel><item><title>A</title><description>x &#1; y</description></item>"
    assert text_aside.set_aside(body) is not None
    assert entries_aside(body + b"</channel></rss>", URL, "application/rss+xml") is None


# Pieces of text that each step of feedparser's reading treats apart.
_PIECES = [
    *("&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&amp;quot;", "&amp;#x2f;", "&nbsp;", "&nbsp"),
    *("&eacute;", "&AMP;", "&x.y;", "&rsquo;"),
    *("&#60;", "&#x3C;", "&#X26;", "&#0060;", "&#39;", "&#34;", "&#146;", "&#x2F;", "&#1;"),
    *("<![CDATA[", "]]>", "<br/>", "<p/>", "<!x", "<!--", "<b>", "&", "<", ">"),
    *("a", " ", "\r\n", "\u00a0", "\u00c3", "\u00a9", "\x92", "\u2019", "\U0001f600"),
]


_DOCUMENTS = [
    "<rss><channel><item><title>T</title><description>{}</description>{}</item></channel></rss>",
    '<feed xmlns="http://www.w3.org/2005/Atom"><entry><summary type="html">{}</summary>{}</entry>'
    "</feed>",
    "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><content type='html'>{}</content>{}"
    "</entry></feed>",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), st.sampled_from(_DOCUMENTS))
def test_any_text_reads_as_feedparser_reads_it(raw: str, document: str) -> None:
    body = document.format(raw, FAULT.decode()).encode()
    aside = entries_aside(body, URL, "application/rss+xml")
    assert aside in (None, feedparser_entries(body, URL, "application/rss+xml"))
