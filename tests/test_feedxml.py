"""The lxml feed reader: the cases seen going wrong, and when feedparser still steps in."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pytest_httpserver import HTTPServer
from sourcekit import build, collect

from aggregator.core.errors import FeedFormatError
from aggregator.core.models import Posting
from sources import feed_reading, feedxml
from sources.feedxml import FeedDocument, read_feed
from sources.read_limit import parse_within
from sources.rss import RssSource, parse_feed, parse_feed_body
from sources.xml_repair import repaired_xml

FIXTURES = Path(__file__).parent / "fixtures"
BENCHMARKS = Path(__file__).parent.parent / "benchmarks"
RSS = FIXTURES / "rss"
JOB_FEEDS = sorted(
    [
        *RSS.glob("wwr_2022-11/*.rss"),
        RSS / "weworkremotely_opencruit_2026-02.xml",
        RSS / "weworkremotely_programming_legacy_categories2.rss",
        RSS / "recruityard_rss_2025-07.xml",
        RSS / "atom_careers_sample.xml",
    ]
)
URL = "https://jobs.example.test/feed.rss"


def feed(items: str, namespaces: str = "", declaration: str = "") -> bytes:
    """An RSS 2.0 document around ``items`` (a str, encoded as UTF-8)."""
    return (
        f'{declaration}<rss version="2.0"{namespaces}><channel><title>Jobs</title>'
        f"<link>https://jobs.example.test/</link>{items}</channel></rss>"
    ).encode()


def item(title: str, extra: str = "", number: int = 1) -> str:
    """One item with a title and a link."""
    return f"<item><title>{title}</title><link>/jobs/{number}</link>{extra}</item>"


@pytest.fixture
def no_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a body goes to the feedparser fallback."""

    def refuse(body: bytes, url: str, content_type: str) -> FeedDocument:
        raise AssertionError(f"{url} fell back to feedparser")

    monkeypatch.setattr(feed_reading, "_read_with_feedparser", refuse)


# -- the same postings as feedparser gives, without it ------------------------------------------


@pytest.mark.parametrize("path", JOB_FEEDS, ids=lambda p: p.name)
def test_job_feeds_read_as_feedparser_reads_them(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = path.read_bytes()
    url = "https://weworkremotely.com/categories/remote-jobs.rss"
    assert read_feed(body, url, "application/rss+xml") is not None
    ours = parse_feed(body, url, "application/rss+xml", "wwr")
    monkeypatch.setattr(feed_reading, "read_feed", lambda *args: None)  # all to feedparser
    assert parse_feed(body, url, "application/rss+xml", "wwr") == ours


def test_unknown_elements_and_namespaces_are_ignored(no_feedparser: None) -> None:
    extra = (
        "<x:applyUrl>https://elsewhere.test/apply</x:applyUrl><logo><url>/l.png</url></logo>"
        "<dc:date>2026-02-22T04:18:34Z</dc:date><y:salary xmlns:y='urn:y'>lots</y:salary>"
    )
    body = feed(
        item("Engineer", extra), ' xmlns:x="urn:x" xmlns:dc="http://purl.org/dc/elements/1.1/"'
    )
    (posting,) = parse_feed(body, URL, "application/rss+xml", "jobs")
    assert (posting.title, posting.url) == ("Engineer", "https://jobs.example.test/jobs/1")
    assert posting.posted_at is not None and posting.posted_at.isoformat().startswith("2026-02-22")
    assert posting.salary is None  # the salary in another namespace is not the job-board field


def test_an_undeclared_prefix_is_read_without_feedparser(no_feedparser: None) -> None:
    body = feed(item("Engineer", "<job:type>Full-time</job:type><job:x job:y='1'/>"))
    (posting,) = parse_feed(body, URL, "application/rss+xml", "jobs")
    assert (posting.title, posting.url) == ("Engineer", "https://jobs.example.test/jobs/1")


def test_an_undeclared_prefix_after_an_ill_formed_feed_is_still_read_without_feedparser(
    no_feedparser: None,
) -> None:
    # Seen: lxml's exception carries every earlier error of the thread, so one ill-formed
    # feed made each later feed with an undeclared prefix look ill-formed too.
    assert read_feed(feed(item("A", UNREPAIRABLE)), URL, "application/rss+xml") is None
    (posting,) = parse_feed(feed(item("Engineer", "<job:type>Full-time</job:type>")), URL,
                            "application/rss+xml", "jobs")  # fmt: skip
    assert posting.title == "Engineer"


def test_ill_formed_xml_the_repair_cannot_fix_goes_to_feedparser_and_still_gives_postings() -> None:
    body = feed(item("Engineer&nbsp;(m/f)", "<job:type>Full-time</job:type>" + UNREPAIRABLE))
    assert read_feed(body, URL, "application/rss+xml") is None
    (posting,) = parse_feed(body, URL, "application/rss+xml", "jobs")
    assert posting.title == "Engineer (m/f)"
    assert posting.employment_type == "full_time"  # feedparser reads <job:type> as job_type
    assert posting.description_text == "Apply\ntoday and hear back"


def test_a_fault_of_the_markup_is_not_parsed_again_in_another_charset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parses: list[str | None] = []
    strict = feedxml._strict

    def counted(data: bytes, url: str, encoding: str | None) -> Any:
        parses.append(encoding)
        return strict(data, url, encoding)

    monkeypatch.setattr(feedxml, "_strict", counted)
    body = feed(item("A", UNREPAIRABLE), declaration='<?xml version="1.0" encoding="utf-8"?>')
    assert read_feed(body, URL, "application/rss+xml; charset=utf-8") is None
    assert parses == ["utf-8", "utf-8"]  # strict, then once more after the repair: no more


# -- HTML written into XML, repaired and read without feedparser -------------------------------

# A block ended by an inline element's end tag: HTML moves the inline element into the block
# (its adoption agency algorithm), which no rewrite of the tags says; feedparser reads it.
UNREPAIRABLE = "<description><b>Apply <div>today</b> and hear back</div></description>"


def read_repaired(body: bytes, monkeypatch: pytest.MonkeyPatch) -> list[Posting]:
    """The postings of an ill-formed body, checked to be read by lxml after the repair, and to
    be the postings feedparser gives."""
    document = read_feed(body, URL, "application/rss+xml")
    assert document is not None and document.repaired
    ours = parse_feed(body, URL, "application/rss+xml", "jobs")
    with monkeypatch.context() as patched:
        patched.setattr(feed_reading, "read_feed", lambda *args: None)  # all to feedparser
        assert parse_feed(body, URL, "application/rss+xml", "jobs") == ours
    return ours


def test_the_benchmarks_open_br_is_closed(no_feedparser: None) -> None:
    note = "<note>Apply today<br>and hear back this week</note>"
    body = feed(item("Engineer", note, 1) + item("Designer", note, 2))
    assert [p.title for p in parse_feed(body, URL, "application/rss+xml", "j")] == [
        "Engineer", "Designer"
    ]  # fmt: skip
    assert read_feed(body, URL, "application/rss+xml").repaired  # type: ignore[union-attr]


def test_the_benchmarks_unclosed_b_is_closed_where_its_parent_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    note = "<note>Apply <b>today and hear back this week</note>"
    body = feed(item("Engineer", note, 1) + item("Designer", note, 2))
    assert [p.title for p in read_repaired(body, monkeypatch)] == ["Engineer", "Designer"]
    repaired = repaired_xml(body, strict_errors(body))
    assert repaired is not None and repaired.count(b"this week</b></note>") == 2


@pytest.mark.parametrize(
    ("title", "description", "text"),
    [
        ("Dev", "Apply <b>today and hear back", "Apply today and hear back"),
        ("Dev", "<p>One<p>Two <a href='/apply'>apply", "One\n\nTwo apply"),
        ("Dev", "<ul><li>Python<li>SQL</ul><p>Remote <i><b>now", "• Python\n• SQL\n\nRemote now"),
        ("Senior <i>Python</i> <B>dev", "<strong>Remote", "Remote"),
    ],
)
def test_html_elements_left_open_are_closed_where_their_parent_ends(
    title: str, description: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = feed(item(title, f"<description>{description}</description>"
                            "<pubDate>Tue, 01 Nov 2022 10:00:00 +0000</pubDate>"
                            "<category>Python</category>"))  # fmt: skip
    (posting,) = read_repaired(body, monkeypatch)
    assert (posting.description_text, posting.tags) == (text, ("Python",))
    assert posting.posted_at is not None


def test_an_element_of_the_feed_is_never_closed_for_it() -> None:
    # An item left open: where it was meant to end is a guess, feedparser's.
    body = feed(item("A", "", 1) + "<item><title>B</title><link>/jobs/2</link>" + item("C", "", 3))
    assert repaired_xml(body, strict_errors(body)) is None
    assert read_feed(body, URL, "application/rss+xml") is None
    assert [p.title for p in parse_feed(body, URL, "application/rss+xml", "j")] == ["A", "B", "C"]


@pytest.mark.parametrize(
    ("title", "description", "text"),
    [
        ("Dev", "<b>Apply <i>today</b> and hear back</i>", "Apply today and hear back"),
        ("Dev", "<a href='/apply'>Apply <b>now</a> and</b> hear back", "Apply now and hear back"),
        ("Dev", "<ul><li>Python<li>SQL</ul></li>Remote", "• Python\n• SQL\n\nRemote"),
        ("Senior <b><i>Python</b></i> dev", "<B>Remote</b> <I>first</i>", "Remote first"),
        ("Dev", "Apply</b> today</i>", "Apply today"),
        ("Dev</span>", "<p>Python</span> and SQL</p></em>", "Python and SQL"),
        ("Dev", "<h2>Role</h1> We hire <b>now</b>.<p>More</p>", "Role\nWe hire now.\nMore"),
    ],
    ids=[
        *("misnested", "misnested-link", "list-ended-first", "upper-case", "stray", "stray-in-p"),
        "other-heading",
    ],
)
def test_html_end_tags_end_elements_as_html_ends_them(
    title: str, description: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An end tag closes the HTML elements opened after its own element; a stray one is dropped.
    body = feed(item(title, f"<description>{description}</description>", 1) + item("Next", "", 2))
    document = read_feed(body, URL, "application/rss+xml")
    assert document is not None and document.repaired
    ours = [(p.title, p.url, p.description_text) for p in parse_feed(body, URL, "text/xml", "j")]
    monkeypatch.setattr(feed_reading, "read_feed", lambda *args: None)  # all to feedparser
    theirs = [(p.title, p.url, p.description_text) for p in parse_feed(body, URL, "text/xml", "j")]
    assert ours == theirs
    assert ours[0][2] == text


@pytest.mark.parametrize(
    ("description", "text"),
    [
        # HTML moves the <b> into the <div>: "<b>Apply </b><div><b>today</b> and …</div>"
        ("<b>Apply <div>today</b> and hear back</div>", "Apply\ntoday and hear back"),
        ("<span>Apply <p>today</span> and hear back</p>", "Apply\ntoday and hear back"),
        ("Apply</p>today", "Apply\n\ntoday"),  # a stray </p> is an empty paragraph
    ],
)
def test_an_end_tag_html_reads_otherwise_is_left_to_feedparser(description: str, text: str) -> None:
    body = feed(item("Dev", f"<description>{description}</description>"))
    assert read_feed(body, URL, "application/rss+xml") is None
    (posting,) = parse_feed(body, URL, "application/rss+xml", "jobs")
    assert posting.description_text == text


@pytest.mark.parametrize(
    "description",
    [
        "<b>Apply <job>today</b> now</job>",  # </b> would close the feed's <job>
        "<b>Apply</job> today</b>",  # a stray end tag of a feed element
    ],
)
def test_an_element_of_the_feed_is_never_ended_or_dropped_by_an_html_end_tag(
    description: str,
) -> None:
    body = feed(item("Dev", f"<description>{description}</description>"))
    repaired = repaired_xml(body, strict_errors(body)) or body
    assert repaired.count(b"<job>") == body.count(b"<job>")
    assert repaired.count(b"</job>") == body.count(b"</job>")
    assert read_feed(body, URL, "application/rss+xml") is None


@pytest.mark.parametrize("end", ["</rss", "</rss\n  "])
def test_a_cut_short_last_end_tag_is_ended(end: str, monkeypatch: pytest.MonkeyPatch) -> None:
    body = feed(item("Engineer", "", 1) + item("Designer", "", 2)).replace(b"</rss>", end.encode())
    assert [p.title for p in read_repaired(body, monkeypatch)] == ["Engineer", "Designer"]


@pytest.mark.parametrize("before", ["\n\n", "<!-- generated -->\n"])
def test_an_xml_declaration_after_white_space_or_a_comment_is_dropped(
    before: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    declaration = f'{before}<?xml version="1.0" encoding="utf-8"?>'
    body = feed(item("Ingénieur", "<description>Café</description>"), declaration=declaration)
    (posting,) = read_repaired(body, monkeypatch)
    assert (posting.title, posting.description_text) == ("Ingénieur", "Café")


@pytest.mark.parametrize("cut_after", [b"</title><link>/jobs/2", b"</link>", b"<item>"])
def test_the_item_a_document_is_cut_short_inside_is_left_out_and_said(cut_after: bytes) -> None:
    whole = feed(item("Engineer", "", 1) + item("Designer", "", 2))
    body = whole[: whole.rindex(cut_after) + len(cut_after)]
    assert read_feed(body, URL, "application/rss+xml") is None
    parsed = parse_feed_body(body, URL, "application/rss+xml", "j")
    # A partial record would be matched and sent on half its text: it comes with the whole feed.
    assert [p.title for p in parsed.postings] == ["Engineer"]
    assert parsed.note() == "1 item cut off where the feed ends, skipped"


def test_a_document_cut_short_between_items_keeps_them_all() -> None:
    whole = feed(item("Engineer", "", 1) + item("Designer", "", 2))
    body = whole[: whole.rindex(b"</item>") + len(b"</item>")]
    parsed = parse_feed_body(body, URL, "application/rss+xml", "j")
    assert ([p.title for p in parsed.postings], parsed.note()) == (["Engineer", "Designer"], None)


def test_a_bare_ampersand_is_text(no_feedparser: None) -> None:
    body = feed(
        "<item><title>AT&T: R&D engineer & tester</title>"
        "<link>https://jobs.example.test/apply?id=1&src=rss</link></item>"
    )
    assert read_feed(body, URL, "application/rss+xml").repaired  # type: ignore[union-attr]
    (posting,) = parse_feed(body, URL, "application/rss+xml", "jobs")
    # feedparser's SGML pass makes "&T:" a reference ("AT&T;: R&D; engineer"): the text said
    # "AT&T" and the repair keeps it.
    assert (posting.company, posting.title) == ("", "AT&T: R&D engineer & tester")
    assert posting.url == "https://jobs.example.test/apply?id=1&src=rss"


def test_html_entities_are_their_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    description = "<description>Caf&eacute; &mdash; 3&nbsp;days &copy; &AMP; more</description>"
    (posting,) = read_repaired(feed(item("Ing&eacute;nieur&nbsp;Python", description)), monkeypatch)
    assert posting.title == "Ingénieur Python"
    assert posting.description_text == "Café — 3 days © & more"


def test_repaired_description_html_stays_markup(monkeypatch: pytest.MonkeyPatch) -> None:
    description = (
        '<description>We hire<br>Python devs<hr><img src="/logo.png" alt="Acme"> &amp; '
        "<b>testers</b></description>"
    )
    (posting,) = read_repaired(feed(item("Dev", description)), monkeypatch)
    assert posting.description_html == "We hire<br>Python devs<hr> &amp; <b>testers</b>"


def test_cdata_is_left_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    cdata = "R&D <br> &nbsp; <img src=x> & more"
    body = feed(item("Dev&nbsp;(m/f)<br>", f"<description><![CDATA[{cdata}]]></description>"))
    repaired = repaired_xml(body, strict_errors(body))
    assert repaired is not None and f"<![CDATA[{cdata}]]>".encode() in repaired
    document = read_feed(body, URL, "application/rss+xml")
    assert document is not None and document.entries[0].summaries[0].value == cdata
    (posting,) = read_repaired(body, monkeypatch)
    assert posting.description_text == "R&D\n& more"  # nh3 drops the <img>


def strict_errors(body: bytes) -> Any:
    """The errors of a strict parse of ``body``."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(body, parser=parser)
    return parser.error_log


def test_an_entity_the_document_declares_keeps_its_meaning(no_feedparser: None) -> None:
    doctype = '<!DOCTYPE rss [<!ENTITY nbsp "Acme">]>'
    body = doctype.encode() + feed(item("&nbsp;: Engineer&eacute;<br>"))
    assert b"&nbsp;" in (repaired_xml(body, strict_errors(body)) or b"")
    (posting,) = parse_feed(body, URL, "application/rss+xml", "jobs")
    assert posting.title == "Acme: Engineeré"


def test_a_void_element_already_closed_is_left_to_feedparser() -> None:
    body = feed(item("Dev", "<description>One<br>two</br><hr>three</description>"))
    assert read_feed(body, URL, "application/rss+xml") is None  # "<br/>two</br>" is no XML
    (posting,) = parse_feed(body, URL, "application/rss+xml", "jobs")
    assert posting.description_text == "One\ntwo\n\nthree"


# -- only the items lxml cannot read go to feedparser ------------------------------------------

# HTML whose attribute is not quoted: no repair rewrites it, only feedparser reads it.
UNQUOTED = "<description>Apply <a href=/apply>today</a></description>"


def feedparser_bodies(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The bodies sources.feed_reading hands to feedparser from now on, in order."""
    bodies: list[bytes] = []
    read = feed_reading._read_with_feedparser

    def recorded(body: bytes, url: str, content_type: str) -> FeedDocument:
        bodies.append(body)
        return read(body, url, content_type)

    monkeypatch.setattr(feed_reading, "_read_with_feedparser", recorded)
    return bodies


def whole_through_feedparser(body: bytes, content_type: str) -> list[Posting]:
    """The postings feedparser gives when it reads the whole body."""
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(feed_reading, "read_feed", lambda *args: None)
        patched.setattr(feed_reading, "_read_items_apart", lambda *args: None)
        patched.setattr(feed_reading, "_parsed_texts_aside", lambda *args: None)
        return parse_feed(body, URL, content_type, "jobs")


def test_only_the_items_lxml_cannot_read_go_to_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    items = [
        item("Engineer", "<description>Python &amp; <b>SQL</b></description>", 1),
        item("Designer", UNQUOTED + "<category>Design</category>", 2),
        item("Writer", "<description>Docs<br>and more</description>", 3),  # repaired
        item("Tester", "<pubDate>Tue, 01 Nov 2022 10:00:00 +0000</pubDate>", 4),
    ]
    body = feed("\n".join(items))
    bodies = feedparser_bodies(monkeypatch)
    postings = parse_feed(body, URL, "application/rss+xml; charset=utf-8", "jobs")
    assert [p.title for p in postings] == ["Engineer", "Designer", "Writer", "Tester"]
    assert postings[1].description_text == "Apply today"
    (alone,) = bodies
    assert alone.count(b"<item>") == 1 and b"href=/apply" in alone
    assert postings == whole_through_feedparser(body, "application/rss+xml; charset=utf-8")


def test_a_feed_read_item_by_item_stops_at_the_read_limit() -> None:
    body = feed("".join(item(t, UNQUOTED if t == "B" else "", n) for n, t in enumerate("ABCD")))
    within, beyond = parse_within(2, parse_feed, body, URL, "text/xml", "jobs")
    assert ([p.title for p in within], beyond) == (["A", "B"], 2)


def with_fault_in_second_item(path: Path, fault: bytes) -> bytes:
    """The recorded feed at ``path`` with ``fault`` written at the end of its second item."""
    whole = path.read_bytes()
    second_end = [found.start() for found in re.finditer(rb"</(?:item|entry)>", whole)][1]
    return whole[:second_end] + fault + whole[second_end:]


# The recorded feeds of each kind (Atom, Recruityard, We Work Remotely's three layouts).
@pytest.mark.parametrize("path", JOB_FEEDS[:5], ids=lambda p: p.name)
@pytest.mark.parametrize(
    "fault",
    [
        "<note><b>Apply <div>today</b> now</div></note>",
        "<note><a href=/apply>Apply</a></note>",
    ],
    ids=["block-in-inline", "unquoted-attribute"],
)
def test_a_fault_in_one_item_of_a_job_feed_leaves_feedparsers_postings(
    path: Path, fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = with_fault_in_second_item(path, fault.encode())
    bodies = feedparser_bodies(monkeypatch)
    postings = parse_feed(body, URL, "application/rss+xml", "jobs")
    assert len(bodies) == 1 and bodies[0].count(fault.encode()) == 1 and len(bodies[0]) < len(body)
    assert postings == whole_through_feedparser(body, "application/rss+xml")


@pytest.mark.parametrize("path", JOB_FEEDS[:5], ids=lambda p: p.name)
@pytest.mark.parametrize(
    "fault",
    [
        b"<note>Apply &nbps; today</note>",
        b"<note>Apply &#X41;&#X2014; today</note>",
        b"<!-- apply -- today -->",
        b"<!-- apply ---->",
    ],
    ids=["entity-nobody-defines", "upper-case-hex-reference", "hyphens-in-comment", "comment-end"],
)
def test_faults_html_reads_are_repaired_as_feedparser_reads_them(
    path: Path, fault: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = with_fault_in_second_item(path, fault)
    bodies = feedparser_bodies(monkeypatch)
    postings = parse_feed(body, URL, "application/rss+xml", "jobs")
    assert bodies == []  # repaired: lxml read every item
    assert postings == whole_through_feedparser(body, "application/rss+xml")


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (
            "Dev &nbps; ops",
            "Apply&nbps;today &amp; &nbsp;now",
            ("Dev &nbps; ops", "Apply&nbps;today & now"),
        ),
        ("Dev &#X2014; ops", "&#X41;pply &#x42;", ("Dev \u2014 ops", "Apply B")),
        ("Dev <!-- x -- y --->ops", "A<!--a--b-->B", ("Dev ops", "AB")),
    ],
    ids=["entity-nobody-defines", "upper-case-hex-reference", "hyphens-in-comment"],
)
def test_repaired_text_says_what_html_reads(
    title: str, text: str, expected: tuple[str, str]
) -> None:
    body = feed(item(title, f"<description>{text}</description>"))
    document = read_feed(body, URL, "application/rss+xml")
    assert document is not None and document.repaired
    (posting,) = parse_feed(body, URL, "application/rss+xml", "jobs")
    assert (posting.title, posting.description_text) == expected


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (feed(item("A", UNQUOTED, 1) + item("B", UNQUOTED, 2)), "text/xml"),  # every item
        (feed("".join(item(t, UNQUOTED, n) for n, t in enumerate("ABC")) + item("D")), "text/xml"),
        (feed(item("A", UNQUOTED, 1) + item("B", "", 2)), "text/xml; charset=windows-1252"),
        (
            feed(
                item("A", UNQUOTED, 1) + item("B", "", 2),
                declaration='<?xml version="1.0" encoding="iso-8859-1"?>',
            ),
            "text/xml",
        ),
        (feed(item("A", UNQUOTED, 1) + "<!-- x -->" + item("B", "", 2)), "text/xml"),
        (
            feed(
                item("A", "<description><![CDATA[</item>]]></description>" + UNQUOTED, 1)
                + item("B", "", 2)
            ),
            "text/xml",
        ),
        (feed(item("A", UNQUOTED)), "text/xml"),
        (feed(item("A", UNQUOTED, 1) + "<item><title>B</title>" + item("C", "", 3)), "text/xml"),
    ],
    ids=[
        "every-item",
        "most-items",
        "http-charset",
        "declared-charset",
        "between-items",
        "cdata",
        "one-item",
        "item-left-open",
    ],
)
def test_a_body_that_does_not_split_cleanly_goes_to_feedparser_whole(
    body: bytes, content_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies = feedparser_bodies(monkeypatch)
    postings = parse_feed(body, URL, content_type, "jobs")
    assert bodies == [body]
    assert postings == whole_through_feedparser(body, content_type)


def benchmark_variants() -> dict[str, bytes]:
    """What each ``--variant`` of benchmarks/collect.py adds to every item."""
    variants: dict[str, bytes] = runpy.run_path(str(BENCHMARKS / "collect.py"))["VARIANTS"]
    return variants


@pytest.mark.parametrize(
    ("variant", "path"),
    [
        ("plain", "lxml"),
        ("unknown-elements", "lxml"),
        ("undeclared-prefix", "lxml"),
        ("ill-formed", "repaired"),
        ("unclosed-inline", "repaired"),
        ("misnested", "repaired"),
        ("undefined-entity", "repaired"),
        ("unquoted-attribute", "feedparser"),
    ],
)
def test_the_benchmark_variants_take_the_path_their_docstring_names(
    variant: str, path: str
) -> None:
    extra = benchmark_variants()[variant].decode()
    body = feed(item("Engineer", "<description>Apply</description>" + extra))
    document = read_feed(body, URL, "application/rss+xml")
    taken = "feedparser" if document is None else "repaired" if document.repaired else "lxml"
    assert taken == path
    assert [p.title for p in parse_feed(body, URL, "application/rss+xml", "j")] == ["Engineer"]


# -- seen going wrong -------------------------------------------------------------------------


def test_the_http_charset_beats_the_xml_declaration(no_feedparser: None) -> None:
    body = (
        FIXTURES / "feedparser/encoding/http_text_xml_charset_overrides_encoding_2.xml"
    ).read_bytes()
    (posting,) = parse_feed(body, URL, "text/xml; charset=windows-1252", "jobs")
    assert posting.description_text == "This is a \xa3\u201ctest.\u201d"
    (without_header,) = parse_feed(body, URL, "text/xml", "jobs")  # iso-8859-1, then repaired
    assert without_header.description_text == "This is a \xa3\u201ctest.\u201d"


def test_windows_1252_bytes_in_latin_1_are_repaired(no_feedparser: None) -> None:
    body = feed(
        item("We don\x92t hire robots"), declaration='<?xml version="1.0" encoding="iso-8859-1"?>'
    )
    (posting,) = parse_feed(body.decode().encode("latin-1"), URL, "application/rss+xml", "jobs")
    assert posting.title == "We don\u2019t hire robots"


def test_double_encoded_utf8_is_repaired(no_feedparser: None) -> None:
    body = feed(
        item(
            "Backend engineer \u00e2\x80\u00a6 and more",
            "<description>Caf\u00c3\u00a9</description>",
        )
    )
    (posting,) = parse_feed(body, URL, "application/rss+xml", "jobs")
    assert posting.title == "Backend engineer \u2026 and more"
    assert posting.description_text == "Café"


def test_good_text_is_left_alone(no_feedparser: None) -> None:
    title = "Programador Sênior — Zürich «Café» ½ €"
    (posting,) = parse_feed(feed(item(title)), URL, "application/rss+xml", "jobs")
    assert posting.title == title


def test_markup_written_as_elements_stays_markup(no_feedparser: None) -> None:
    description = (
        "<description>We hire <b>Python</b> devs &amp; <i>testers</i>.<br/>Apply.</description>"
    )
    (posting,) = parse_feed(feed(item("Dev", description)), URL, "application/rss+xml", "jobs")
    assert posting.description_html == "We hire <b>Python</b> devs &amp; <i>testers</i>.<br>Apply."
    assert posting.description_text == "We hire Python devs & testers.\nApply."


def test_the_content_of_a_void_element_is_kept(no_feedparser: None) -> None:
    description = "<description>One<br>two</br>three<hr/>four</description>"
    (posting,) = parse_feed(feed(item("Dev", description)), URL, "application/rss+xml", "jobs")
    assert posting.description_text == "One\ntwo\nthree\nfour"  # as feedparser reads it


def test_media_and_dublin_core_categories_are_tags(no_feedparser: None) -> None:
    extra = (
        "<category>Engineering</category><media:category>Backend</media:category>"
        "<dc:subject>Python</dc:subject>"
    )
    namespaces = (
        ' xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
    )
    (posting,) = parse_feed(feed(item("Dev", extra), namespaces), URL, "application/rss+xml", "j")
    assert posting.tags == ("Engineering", "Backend", "Python")


def test_content_encoded_and_xml_base(no_feedparser: None) -> None:
    extra = (
        '<description>Short</description><content:encoded xml:base="https://other.test/a/">'
        '&lt;p&gt;Long &lt;a href="apply"&gt;apply&lt;/a&gt;&lt;/p&gt;</content:encoded>'
    )
    body = feed(item("Dev", extra), ' xmlns:content="http://purl.org/rss/1.0/modules/content/"')
    (posting,) = parse_feed(body, URL, "application/rss+xml", "jobs")
    assert 'href="https://other.test/a/apply"' in posting.description_html


def test_internal_entities_are_literal_text(no_feedparser: None) -> None:
    doctype = '<!DOCTYPE rss [<!ENTITY co "Acme &amp; Co">]>'
    body = doctype.encode() + feed(
        item("&co;: Engineer", number=1) + item("&co;: Designer", number=2)
    )
    postings = parse_feed(body, URL, "application/rss+xml", "jobs")
    assert [(p.company, p.title) for p in postings] == [
        ("Acme & Co", "Engineer"),
        ("Acme & Co", "Designer"),
    ]


# -- "Company: Title", per feed ---------------------------------------------------------------


def test_company_in_titles_is_found_on_any_host(no_feedparser: None) -> None:
    items = "".join(
        item(title, number=n)
        for n, title in enumerate(["Acme: Engineer", "Initech: Designer", "Globex: Analyst"])
    )
    postings = parse_feed(
        feed(items), "https://mirror.example.test/wwr.rss", "application/rss+xml", "m"
    )
    assert [(p.company, p.title) for p in postings] == [
        ("Acme", "Engineer"), ("Initech", "Designer"), ("Globex", "Analyst")
    ]  # fmt: skip


def test_a_colon_in_a_few_titles_is_not_the_convention(no_feedparser: None) -> None:
    titles = ["Urgent: Support Specialist", "Backend Engineer", "Designer", "Analyst: Data"]
    items = "".join(item(title, number=n) for n, title in enumerate(titles))
    postings = parse_feed(feed(items), URL, "application/rss+xml", "jobs")
    assert [p.company for p in postings] == ["", "", "", ""]
    assert postings[0].title == "Urgent: Support Specialist"


# -- skipped items are counted ----------------------------------------------------------------


def test_items_without_title_or_link_are_counted(httpserver: HTTPServer) -> None:
    items = item("Engineer") + "<item><description>no title, no link</description></item>" * 3
    httpserver.expect_request("/feed.rss").respond_with_data(
        feed(items), content_type="application/rss+xml"
    )
    collected = collect(build(RssSource, url=httpserver.url_for("/feed.rss")))
    assert len(collected.postings) == 1
    assert collected.note == "3 items without title or link skipped"


def test_an_item_with_a_link_but_no_title_is_counted_not_stored_blank(
    httpserver: HTTPServer,
) -> None:
    untitled = "<item><link>https://jobs.example/7</link><description>x</description></item>"
    httpserver.expect_request("/feed.rss").respond_with_data(
        feed(item("Engineer") + untitled), content_type="application/rss+xml"
    )
    collected = collect(build(RssSource, url=httpserver.url_for("/feed.rss")))
    assert [p.title for p in collected.postings] == ["Engineer"]
    assert collected.note == "1 item without title or link skipped"


# An item with no link of its own was stored with the feed's URL as its link: the digest said
# "Seen at 127.0.0.1" and linked the raw feed. A guid that is no permalink is no link either.
LINKLESS_ITEMS = {
    "rss": "<item><title>Designer</title><description>x</description></item>",
    "rss-guid": '<item><title>Designer</title><guid isPermaLink="false">job-7</guid></item>',
    "atom": "<entry><title>Designer</title><summary>x</summary></entry>",
    "atom-id": "<entry><title>Designer</title><id>urn:uuid:1225c695-cfb8-4ebb</id></entry>",
}


def atom(entries: str) -> bytes:
    """An Atom 1.0 document around ``entries``."""
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Jobs</title>'
        f'<link href="https://jobs.example.test/"/>{entries}</feed>'
    ).encode()


@pytest.fixture(params=["lxml", "feedparser"])
def either_reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each reader in turn: lxml, then feedparser for every body, as for an ill-formed feed."""
    if request.param == "feedparser":
        monkeypatch.setattr(feed_reading, "read_feed", lambda *args: None)


@pytest.mark.parametrize("kind", LINKLESS_ITEMS)
def test_an_item_without_a_link_is_counted_not_stored_with_the_feeds_own(
    kind: str, either_reader: None, httpserver: HTTPServer
) -> None:
    linkless = LINKLESS_ITEMS[kind]
    if kind.startswith("atom"):
        body = atom("<entry><title>Engineer</title><link href='/jobs/1'/></entry>" + linkless)
    else:
        body = feed(item("Engineer") + linkless)
    httpserver.expect_request("/feed.rss").respond_with_data(body, content_type="application/xml")
    collected = collect(build(RssSource, url=httpserver.url_for("/feed.rss")))
    assert [(p.title, p.url) for p in collected.postings] == [
        ("Engineer", httpserver.url_for("/jobs/1"))
    ]
    assert collected.note == "1 item without title or link skipped"


def test_a_permalink_guid_stands_in_for_a_missing_link(either_reader: None) -> None:
    guided = "<item><title>Designer</title><guid>https://jobs.example.test/jobs/7</guid></item>"
    [posting] = parse_feed(feed(guided), URL, "application/rss+xml", "jobs")
    assert posting.url == "https://jobs.example.test/jobs/7"


def test_a_feed_with_every_item_kept_has_no_note(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.rss").respond_with_data(
        feed(item("Engineer")), content_type="application/rss+xml"
    )
    assert collect(build(RssSource, url=httpserver.url_for("/feed.rss"))).note is None


def test_a_document_that_is_no_feed_is_still_an_error() -> None:
    with pytest.raises(FeedFormatError, match="root element is <jobs>"):
        parse_feed(b"<jobs><job/></jobs>", URL, "text/xml", "jobs")
