"""The arbeitnow source: recorded jobs → Postings, and links.next paging against a real server."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sourcekit import as_body, assert_golden, assert_well_formed, build, collect, fixture_json
from werkzeug import Request, Response

from sources.arbeitnow import ArbeitnowSource, parse_arbeitnow

API = "https://www.arbeitnow.com/api/job-board-api"
JOBS = fixture_json("json", "arbeitnow", "opencruit_arbeitnow_jobs_2026-02.json")
PATH = "/api/job-board-api"


def page(jobs: list[dict[str, Any]], next_link: str | None) -> dict[str, Any]:
    """One page as the API sends it."""
    return {
        "data": jobs,
        "links": {"first": f"{API}?page=1", "last": None, "prev": None, "next": next_link},
        "meta": {"current_page": 1, "per_page": 100},
    }


def jobs_of_page(number: int) -> list[dict[str, Any]]:
    """The recorded jobs, with slugs made unique to page ``number``."""
    return [{**job, "slug": f"{job['slug']}-p{number}"} for job in JOBS]


def serve(httpserver: HTTPServer, next_of: Callable[[int], str | None]) -> str:
    """Serve pages ?page=N whose links.next is ``next_of(N)``; returns the first page's URL."""

    def answer(request: Request) -> Response:
        number = int(request.args.get("page", "1"))
        body = as_body(page(jobs_of_page(number), next_of(number)))
        return Response(body, content_type="application/json")

    httpserver.expect_request(PATH).respond_with_handler(answer)
    return httpserver.url_for(PATH)


def test_the_recorded_jobs_match_their_golden_file() -> None:
    postings, next_url = parse_arbeitnow(as_body(page(JOBS, None)), API, "arbeitnow")
    assert next_url is None
    assert_golden(postings, "arbeitnow_opencruit_2026-02", assert_well_formed)
    first = postings[0]
    assert first.external_id == JOBS[0]["slug"]
    assert (first.company, first.location, first.remote) == ("Kjavik", "Munich", True)
    assert first.posted_at == datetime(2026, 2, 23, 19, 31, 44, tzinfo=UTC)
    assert first.tags == ("Remote", "Media", "Screen and Web Design")
    assert [p.remote for p in postings] == [True, False, False]  # the API's flag is trusted


def test_a_relative_next_link_is_resolved() -> None:
    _, next_url = parse_arbeitnow(as_body(page(JOBS, "?page=2")), API, "arbeitnow")
    assert next_url == f"{API}?page=2"


def test_collect_follows_next_links_to_the_last_page(httpserver: HTTPServer) -> None:
    url = serve(httpserver, lambda n: f"{PATH}?page={n + 1}" if n < 3 else None)
    postings = collect(build(ArbeitnowSource, url=url)).postings
    assert len(postings) == 9
    assert len(httpserver.log) == 3
    assert postings[-1].external_id.endswith("-p3")


def test_paging_stops_at_max_pages(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = serve(httpserver, lambda n: f"{PATH}?page={n + 1}")  # a never-ending API
    with caplog.at_level(logging.INFO, logger="sources.arbeitnow"):
        postings = collect(build(ArbeitnowSource, url=url, max_pages=4)).postings
    assert len(postings) == 12
    assert len(httpserver.log) == 4
    assert "max_pages=4" in caplog.text


def test_paging_stops_on_a_repeated_next_link(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = serve(httpserver, lambda n: f"{PATH}?page=2")  # page 2 points at itself
    with caplog.at_level(logging.WARNING, logger="sources.arbeitnow"):
        postings = collect(build(ArbeitnowSource, url=url, max_pages=50)).postings
    assert len(httpserver.log) == 2
    assert len(postings) == 6
    assert "stopped paging" in caplog.text


def test_an_empty_page_ends_paging(httpserver: HTTPServer) -> None:
    httpserver.expect_request(PATH).respond_with_data(
        as_body(page([], f"{API}?page=2")), content_type="application/json"
    )
    assert collect(build(ArbeitnowSource, url=httpserver.url_for(PATH))).postings == []
    assert len(httpserver.log) == 1
