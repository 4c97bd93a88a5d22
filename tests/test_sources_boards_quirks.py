"""What real job-board APIs do wrong, for every board source at once.

BOMs, UTF-16, ``null`` where a string belongs, the wrong shape, HTML instead of JSON, scripts in
descriptions: each becomes either a sane Posting or a FeedFormatError naming the URL — never a
KeyError or TypeError.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sourcekit import as_body, fixture_json

from aggregator.core.errors import FeedFormatError
from aggregator.core.models import Posting
from sources.arbeitnow import parse_arbeitnow
from sources.himalayas import parse_himalayas
from sources.hn_whoishiring import parse_thread
from sources.jobicy import parse_jobicy
from sources.remoteok import parse_remoteok
from sources.remotive import parse_remotive

URL = "https://api.example.test/jobs?page=1"


@dataclass(frozen=True)
class Board:
    """How to feed one board's parser: its body shape, a real job, and a wrong shape."""

    name: str
    parse: Callable[[bytes, str, str], list[Posting]]
    wrap: Callable[[list[Any]], Any]
    job: dict[str, Any]
    wrong_shape: Any
    expected: str  # what the error says was expected


HN_JOB = {
    "id": 46858748,
    "author": "someone",
    "created_at_i": 1770053906,
    "text": "Acme | Senior Engineer | REMOTE (EU) | Full-time | €80-100k<p>Join us.",
    "children": [],
}
BOARDS = [
    Board(
        "remotive",
        parse_remotive,
        lambda jobs: {"0-legal-notice": "…", "job-count": len(jobs), "jobs": jobs},
        fixture_json("json", "remotive", "remotive_api_full_2025-12.json")["jobs"][0],
        {"jobs": "not a list"},
        "expected jobs to be a list",
    ),
    Board(
        "remoteok",
        lambda body, url, source: parse_remoteok(body, url, source).postings,
        lambda jobs: [{"legal": "API Terms of Service"}, *jobs],
        fixture_json("json", "remoteok", "remoteok_api_full_2026-03.json")[1],
        {"jobs": []},
        "expected the response to be a list",
    ),
    Board(
        "arbeitnow",
        lambda body, url, source: parse_arbeitnow(body, url, source)[0],
        lambda jobs: {"data": jobs, "links": {"next": None}, "meta": {}},
        fixture_json("json", "arbeitnow", "opencruit_arbeitnow_jobs_2026-02.json")[0],
        {"data": {"0": {}}, "links": {}},
        "expected data to be a list",
    ),
    Board(
        "himalayas",
        lambda body, url, source: parse_himalayas(body, url, source)[0],
        lambda jobs: {"offset": 0, "limit": 20, "totalCount": len(jobs), "jobs": jobs},
        fixture_json("json", "himalayas", "opencruit_himalayas_jobs_2026-02.json")[0],
        ["a", "list"],
        "expected the response to be an object",
    ),
    Board(
        "jobicy",
        parse_jobicy,
        lambda jobs: {"apiVersion": "2.2.15", "jobCount": len(jobs), "jobs": jobs},
        fixture_json("json", "jobicy", "jobicy_api_envelope_2026-08.json")["jobs"][0],
        {"success": False, "jobs": None},
        "expected jobs to be a list",
    ),
    Board(
        "hn_whoishiring",
        parse_thread,
        lambda comments: {"id": 1, "type": "story", "children": comments},
        HN_JOB,
        {"id": 1, "children": "none"},
        "expected comments to be a list",
    ),
]
ALL = pytest.mark.parametrize("board", BOARDS, ids=[board.name for board in BOARDS])


def parse(board: Board, data: Any) -> list[Posting]:
    return board.parse(as_body(data), URL, board.name)


@ALL
def test_a_real_job_gives_one_posting(board: Board) -> None:
    [posting] = parse(board, board.wrap([board.job]))
    assert posting.source == board.name and posting.external_id and posting.url


@ALL
def test_the_wrong_shape_is_a_clear_error(board: Board) -> None:
    with pytest.raises(FeedFormatError) as raised:
        parse(board, board.wrong_shape)
    assert URL in str(raised.value) and board.expected in str(raised.value)


@ALL
@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "empty response"),
        (b"  \n", "empty response"),
        (b"<!DOCTYPE html><html><body>Rate limited</body></html>", "HTML or XML, not JSON"),
        (b'{"jobs": [', "did not return valid JSON"),
    ],
)
def test_a_body_that_is_not_json_is_a_clear_error(board: Board, body: bytes, says: str) -> None:
    with pytest.raises(FeedFormatError, match=says):
        board.parse(body, URL, board.name)


@ALL
@pytest.mark.parametrize(
    "encode",
    [
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        lambda text: text.encode("utf-16-be"),
    ],
    ids=["utf8-bom", "utf16le-bom", "utf16be"],
)
def test_any_unicode_encoding_reads_the_same(board: Board, encode: Callable[[str], bytes]) -> None:
    text = as_body(board.wrap([board.job])).decode()
    assert board.parse(encode(text), URL, board.name) == parse(board, board.wrap([board.job]))


@ALL
def test_nulls_and_wrong_types_in_a_job_do_not_crash(board: Board) -> None:
    nulls = {key: None for key in board.job} | {"id": 7, "slug": "x-7", "guid": "https://x/7"}
    nulls |= {"author": "someone", "text": board.job.get("text")}  # an HN post needs its text
    odd = {key: [1, {"a": None}] for key in board.job} | {"id": "8", "slug": "x-8"}
    odd |= {"guid": "https://x/8", "author": "a", "text": board.job.get("text")}
    postings = parse(board, board.wrap([nulls, odd, None, "junk", 42]))
    for posting in postings:
        assert isinstance(posting.title, str) and isinstance(posting.tags, tuple)
        assert posting.remote in (True, False)


@ALL
def test_missing_fields_leave_fields_empty(board: Board) -> None:
    keep = {"id", "slug", "guid", "author", "text"}
    sparse = {key: value for key, value in board.job.items() if key in keep}
    for posting in parse(board, board.wrap([sparse])):
        assert posting.external_id
        assert posting.salary is None or posting.salary.text or posting.salary.minimum


@ALL
def test_scripts_in_descriptions_are_removed(board: Board) -> None:
    evil = '<p onclick="steal()">Hi<script>alert(1)</script><img src=x onerror=alert(2)></p>'
    fields = ("description", "jobDescription", "text")
    job = {
        key: (value if key not in fields else f"{value}{evil}") for key, value in board.job.items()
    }
    [posting] = parse(board, board.wrap([job]))
    html = posting.description_html.lower()
    assert "<script" not in html and "onclick" not in html and "onerror" not in html
    assert "<img" not in html and "alert(1)" not in posting.description_text
