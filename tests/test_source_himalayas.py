"""The himalayas source: recorded jobs → Postings, and offset paging against a real server."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sourcekit import as_body, assert_golden, assert_well_formed, build, collect, fixture_json
from werkzeug import Request, Response

from aggregator.core.models import Salary
from sources.himalayas import HimalayasSource, parse_himalayas

API = "https://himalayas.app/jobs/api"
JOBS = fixture_json("json", "himalayas", "opencruit_himalayas_jobs_2026-02.json")
PATH = "/jobs/api"


def page(jobs: list[dict[str, Any]], offset: int, total: int | None) -> dict[str, Any]:
    """One page as the API sends it."""
    body: dict[str, Any] = {"updatedAt": 1771851300, "offset": offset, "limit": len(jobs)}
    if total is not None:
        body["totalCount"] = total
    return {**body, "jobs": jobs}


def numbered(index: int) -> dict[str, Any]:
    """Recorded job ``index % 3``, with a guid of its own."""
    job = JOBS[index % len(JOBS)]
    return {**job, "guid": f"{job['guid']}-{index}", "applicationLink": f"{job['guid']}-{index}"}


def serve(httpserver: HTTPServer, total: int | None, ignore_offset: bool = False) -> str:
    """A job list of ``total`` jobs (endless when None), served ``limit`` at a time."""

    def answer(request: Request) -> Response:
        offset = 0 if ignore_offset else int(request.args["offset"])
        limit = int(request.args["limit"])
        end = offset + limit if total is None else min(offset + limit, total)
        jobs = [numbered(i) for i in range(offset, end)]
        return Response(as_body(page(jobs, offset, total)), content_type="application/json")

    httpserver.expect_request(PATH).respond_with_handler(answer)
    return httpserver.url_for(PATH)


def test_the_recorded_jobs_match_their_golden_file() -> None:
    postings, count, total = parse_himalayas(as_body(page(JOBS, 0, 3)), API, "himalayas")
    assert (count, total) == (3, 3)
    assert_golden(postings, "himalayas_opencruit_2026-02", assert_well_formed)
    assert all(posting.remote and posting.employment_type == "full_time" for posting in postings)
    manager, director, _ = postings
    assert manager.location == "United Kingdom"  # where candidates may live
    assert manager.salary is None  # minSalary/maxSalary null
    assert director.salary == Salary(175_000, 200_000, "USD", "year")
    assert director.url == "https://himalayas.app/companies/acumatica/jobs/procurement-director"
    assert director.tags[:2] == ("Information Technology", "Information Technology And Services")


def test_collect_reads_offsets_until_the_total(httpserver: HTTPServer) -> None:
    url = serve(httpserver, total=45)
    postings = collect(build(HimalayasSource, url=url)).postings
    assert len(postings) == 45
    assert len({p.external_id for p in postings}) == 45
    offsets = [request.args["offset"] for request, _ in httpserver.log]
    assert offsets == ["0", "20", "40"]


def test_an_endless_api_stops_at_max_pages(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = serve(httpserver, total=None)  # always a full page, never a total
    with caplog.at_level(logging.INFO, logger="sources.himalayas"):
        postings = collect(build(HimalayasSource, url=url, max_pages=3, page_size=5)).postings
    assert len(postings) == 15
    assert len(httpserver.log) == 3
    assert "max_pages=3" in caplog.text


def test_an_api_that_ignores_the_offset_stops_after_one_repeat(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = serve(httpserver, total=None, ignore_offset=True)  # page one, forever
    with caplog.at_level(logging.WARNING, logger="sources.himalayas"):
        postings = collect(build(HimalayasSource, url=url, max_pages=50)).postings
    assert len(postings) == 20
    assert len(httpserver.log) == 2
    assert "repeated earlier jobs" in caplog.text


def test_an_empty_page_ends_paging(httpserver: HTTPServer) -> None:
    url = serve(httpserver, total=0)
    assert collect(build(HimalayasSource, url=url)).postings == []
    assert len(httpserver.log) == 1
