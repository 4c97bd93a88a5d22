"""Hostile and broken feeds: parse_feed returns postings or raises FeedFormatError, nothing else.

Every recorded file in tests/fixtures/malformed/ (feedparser's ill-formed and encoding suites,
defusedxml's entity bombs and XXE samples) is parsed with the network cut off, under tracemalloc
and a time limit. The interesting ones also get specific expectations.
"""

from __future__ import annotations

import socket
import threading
import time
import tracemalloc
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from aggregator.core.errors import FeedFormatError
from aggregator.core.intake import storable
from aggregator.core.models import Posting
from sources.rss import parse_feed

MALFORMED = Path(__file__).parent / "fixtures" / "malformed"
FILES = sorted((MALFORMED / "feedparser").glob("*.xml")) + sorted(
    (MALFORMED / "defusedxml").glob("*.xml")
)
URL = "https://feeds.example.test/jobs.rss"
PEAK_LIMIT = 20 * 1024 * 1024  # bytes; the largest file is 100 kB
# seconds: a guard against a parse that never ends (an entity bomb expanded), not a speed
# check. A file takes milliseconds, or about a second traced by tracemalloc on a busy
# 2-core machine, where 10 s was seen to run out twice (load average 10).
TIME_LIMIT = 60.0
ENTITY_BOMBS = ("xmlbomb.xml", "xmlbomb2.xml", "quadratic.xml", "cyclic.xml")


@dataclass
class Outcome:
    """What one bounded parse did."""

    postings: list[Posting] | None
    error: BaseException | None
    peak_bytes: int
    seconds: float


def parse_bounded(body: bytes, url: str = URL, content_type: str = "application/xml") -> Outcome:
    """parse_feed in a daemon thread with a time limit, measuring peak Python memory."""
    result: dict[str, Any] = {"postings": None, "error": None, "peak": 0}

    def work() -> None:
        was_tracing = tracemalloc.is_tracing()
        if was_tracing:
            tracemalloc.reset_peak()
        else:
            tracemalloc.start()
        try:
            result["postings"] = parse_feed(body, url, content_type, "malformed")
        except BaseException as exc:  # the test judges what was raised
            result["error"] = exc
        finally:
            result["peak"] = tracemalloc.get_traced_memory()[1]
            if not was_tracing:
                tracemalloc.stop()

    started = time.perf_counter()
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(TIME_LIMIT)
    assert not thread.is_alive(), f"parse_feed still running after {TIME_LIMIT} s"
    return Outcome(
        result["postings"], result["error"], result["peak"], time.perf_counter() - started
    )


@pytest.fixture
def network_attempts(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Cut the network off: any connect() is recorded and refused."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object, *args: object) -> None:
        attempts.append(address)
        raise OSError(f"test: network access to {address!r} during a parse")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def all_text(postings: list[Posting]) -> str:
    """Every string field of every posting, joined, to search for leaks."""
    return "\n".join(
        str(getattr(posting, field.name)) for posting in postings for field in fields(posting)
    )


def expect_feed_error(outcome: Outcome, url: str = URL) -> str:
    """The FeedFormatError message, checked to be one line naming the URL."""
    assert isinstance(outcome.error, FeedFormatError), f"expected FeedFormatError: {outcome}"
    message = str(outcome.error)
    assert url in message and "\n" not in message, message
    return message


def expect_postings(outcome: Outcome) -> list[Posting]:
    """The postings, checked to be there (no exception)."""
    assert outcome.error is None, f"unexpected {outcome.error!r}"
    assert outcome.postings is not None
    return outcome.postings


# --- every recorded file --------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_postings_or_feed_format_error_and_bounded(
    path: Path, network_attempts: list[object]
) -> None:
    outcome = parse_bounded(path.read_bytes())
    assert outcome.seconds < TIME_LIMIT
    assert outcome.peak_bytes < PEAK_LIMIT, f"peak {outcome.peak_bytes / 1e6:.1f} MB"
    assert network_attempts == []
    if outcome.error is not None:
        expect_feed_error(outcome)
    else:
        assert outcome.postings is not None
        assert all(isinstance(posting, Posting) for posting in outcome.postings)


# --- entity expansion ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ENTITY_BOMBS)
def test_entity_bombs_do_not_expand(name: str) -> None:
    outcome = parse_bounded((MALFORMED / "defusedxml" / name).read_bytes())
    expect_feed_error(outcome)  # none of them is a feed, whatever happens to the entities
    assert outcome.peak_bytes < 2 * 1024 * 1024, f"peak {outcome.peak_bytes / 1e6:.1f} MB"


def test_quadratic_blowup_is_refused_before_parsing() -> None:
    outcome = parse_bounded((MALFORMED / "defusedxml" / "quadratic.xml").read_bytes())
    assert "entities that would expand to 100,000,000 characters" in expect_feed_error(outcome)


def _rss(doctype: str, title: str, description: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?>\n{doctype}\n<rss version="2.0"><channel><title>Jobs</title>'
        f"<item><title>{title}</title><link>https://jobs.example.test/1</link>"
        f"<description>{description}</description></item></channel></rss>"
    ).encode()


def test_billion_laughs_inside_a_feed_does_not_expand() -> None:
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    body = _rss(f"<!DOCTYPE rss [\n{chr(10).join(levels)}\n]>", "Engineer &lol9;")
    outcome = parse_bounded(body)
    assert outcome.peak_bytes < 2 * 1024 * 1024
    if outcome.error is not None:
        expect_feed_error(outcome)
    else:
        assert "lollollol" not in all_text(expect_postings(outcome))


def test_quadratic_blowup_inside_a_feed_is_refused() -> None:
    doctype = f'<!DOCTYPE rss [\n<!ENTITY big "{"B" * 50_000}">\n]>'
    outcome = parse_bounded(_rss(doctype, "Engineer", "&big;" * 2_000))
    assert "would expand to 100,000,000 characters" in expect_feed_error(outcome)
    assert outcome.peak_bytes < 2 * 1024 * 1024


def test_small_internal_entities_still_work() -> None:
    recorded = (MALFORMED / "feedparser" / "wellformed_rss_entity_in_doctype.xml").read_bytes()
    read = expect_postings(parse_bounded(recorded))
    assert storable(read, datetime(2026, 12, 1, tzinfo=UTC)) == ([], 1)  # no title or link
    titled = recorded.replace(b"<item>", b"<item><title>AT&amp;T</title><link>/1</link>", 1)
    (posting,) = expect_postings(parse_bounded(titled, url="https://example.com/feed"))
    assert posting.external_id == "tag:example.com,2006-05-04:/blog/"
    assert (posting.title, posting.url) == ("AT&T", "https://example.com/1")


# --- external entities (XXE) -----------------------------------------------------------------


@pytest.fixture
def trap(httpserver: HTTPServer) -> Iterator[HTTPServer]:
    """A loopback server any external entity would be fetched from; proven reachable first."""
    httpserver.expect_request("/control").respond_with_data("ok")
    httpserver.expect_request("/xxe").respond_with_data("LEAKED-FROM-THE-NETWORK")
    httpserver.expect_request("/evil.dtd").respond_with_data('<!ENTITY leak "LEAKED-DTD">')
    with urllib.request.urlopen(httpserver.url_for("/control"), timeout=5) as response:
        assert response.read() == b"ok"
    yield httpserver
    paths = [request.path for request, _ in httpserver.log]
    assert paths == ["/control"], f"the parser fetched {paths[1:]}"


def test_external_entity_is_not_fetched(trap: HTTPServer) -> None:
    recorded = (MALFORMED / "defusedxml" / "external.xml").read_bytes()
    body = recorded.replace(b"http://www.w3schools.com/xml/note.xml", trap.url_for("/xxe").encode())
    assert trap.url_for("/xxe").encode() in body
    outcome = parse_bounded(body)
    expect_feed_error(outcome)  # <root> is no feed; the point is that nothing was fetched


def test_external_parameter_entity_in_doctype_is_not_fetched(trap: HTTPServer) -> None:
    recorded = MALFORMED / "feedparser" / "wellformed_rdf_doctype_contains_entity_decl.xml"
    body = recorded.read_bytes().replace(
        b"http://www.w3.org/TR/xhtml1/DTD/xhtml-lat1.ent", trap.url_for("/evil.dtd").encode()
    )
    assert trap.url_for("/evil.dtd").encode() in body
    assert expect_postings(parse_bounded(body)) == []  # a valid, empty RSS 1.0 feed


def test_xxe_inside_a_feed_leaks_neither_files_nor_network(
    trap: HTTPServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-FILE-CONTENTS\n")
    doctype = (
        "<!DOCTYPE rss [\n"
        f'<!ENTITY file SYSTEM "{secret.as_uri()}">\n'
        '<!ENTITY passwd SYSTEM "file:///etc/passwd">\n'
        f'<!ENTITY net SYSTEM "{trap.url_for("/xxe")}">\n'
        f'<!ENTITY % dtd SYSTEM "{trap.url_for("/evil.dtd")}">\n'
        "%dtd;\n"
        "]>"
    )
    outcome = parse_bounded(_rss(doctype, "Engineer &file; &passwd;", "&net; &leak;"))
    if outcome.error is not None:
        expect_feed_error(outcome)
    else:
        leaked = all_text(expect_postings(outcome))
        for marker in ("TOP-SECRET", "root:", "LEAKED"):
            assert marker not in leaked


# --- specific expectations ------------------------------------------------------------------


def test_corrupted_ampersands_in_link() -> None:
    path = MALFORMED / "feedparser" / "illformed_rss_item_link_corrupted_ampersands.xml"
    (posting,) = expect_postings(parse_bounded(path.read_bytes()))
    assert posting.url == "http://link/get?a=1&b=2"


def _with_item(path: Path, encoding: str, bom: bytes = b"") -> bytes:
    """The recorded file with one job item added, re-encoded exactly as it was.

    The recorded encoding tests hold a channel but no item, so they yield no postings.
    """
    text = path.read_bytes()[len(bom) :].decode(encoding)
    item = (
        "<item><title>Programador(a) Sênior — Zürich, 서울 백엔드 개발자</title>"
        "<link>https://jobs.example.test/1</link></item>"
    )
    if "</channel>" in text:
        text = text.replace("</channel>", item + "</channel>", 1)
    else:
        text = text.replace("</rss>", f"<channel>{item}</channel></rss>", 1)
    return bom + text.encode(encoding)


ENCODED_FEEDS = [
    ("encoding_utf-16le-bom.xml", "utf-16-le", b"\xff\xfe"),
    ("encoding_utf-32be.xml", "utf-32-be", b""),
]


@pytest.mark.parametrize(("name", "encoding", "bom"), ENCODED_FEEDS)
def test_unicode_encodings_decode(name: str, encoding: str, bom: bytes) -> None:
    path = MALFORMED / "feedparser" / name
    assert path.read_bytes().startswith(bom + "<".encode(encoding))
    assert expect_postings(parse_bounded(path.read_bytes())) == []  # valid, empty feed
    (posting,) = expect_postings(parse_bounded(_with_item(path, encoding, bom)))
    assert posting.title == "Programador(a) Sênior — Zürich, 서울 백엔드 개발자"


def test_euc_kr_decodes() -> None:
    path = MALFORMED / "feedparser" / "encoding_euc-kr.xml"
    assert expect_postings(parse_bounded(path.read_bytes())) == []  # channel title only
    text = path.read_bytes().decode("euc-kr")
    assert "<title>\ub144</title>" in text
    item = "<item><title>\ub144 백엔드 개발자 채용</title><link>/jobs/1</link></item>"
    body = text.replace("</channel>", item + "</channel>").encode("euc-kr")
    (posting,) = expect_postings(parse_bounded(body))
    assert posting.title == "년 백엔드 개발자 채용"
    assert posting.url == "https://feeds.example.test/jobs/1"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"  \r\n\t",
        (MALFORMED / "feedparser" / "illformed_rss_empty_document.xml").read_bytes(),
    ],
    ids=["no-bytes", "whitespace", "only-a-comment"],
)
def test_empty_document_is_an_error(body: bytes) -> None:
    expect_feed_error(parse_bounded(body))


# --- feed or not a feed --------------------------------------------------------------------


def test_indeed_style_xml_is_not_a_feed() -> None:
    path = Path(__file__).parent / "fixtures/rss/recruityard_indeed_style_xml_feed_2025-07.xml"
    url = "https://www.recruityard.com/feed.xml"
    message = expect_feed_error(parse_bounded(path.read_bytes(), url=url), url=url)
    assert "is not an RSS/Atom feed" in message
    assert "<source>" in message


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>No jobs today</title>'
        b"<link>https://example.test/</link><description>-</description></channel></rss>",
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Jobs</title>'
        b"<id>tag:example.test,2025:jobs</id><updated>2025-01-01T00:00:00Z</updated></feed>",
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>Jobs</title>'
        b"</channel></rdf:RDF>",
    ],
    ids=["rss2", "atom", "rss1"],
)
def test_feed_with_no_items_is_a_valid_empty_result(body: bytes) -> None:
    assert expect_postings(parse_bounded(body)) == []


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"<!DOCTYPE html><html><body>Jobs</body></html>", "text/html", "an HTML page"),
        (b'{"jobs": []}', "application/json", "not a readable RSS/Atom feed"),
        (b"<jobs><job><title>x</title></job></jobs>", "text/xml", "root element is <jobs>"),
    ],
    ids=["html", "json", "other-xml"],
)
def test_documents_that_are_not_feeds(body: bytes, content_type: str, expected: str) -> None:
    assert expected in expect_feed_error(parse_bounded(body, content_type=content_type))
