"""The smartrecruiters source: list + details → Postings, offset paging and its bounds over HTTP.

The fixtures are hand-written from SmartRecruiters' public Posting API documentation (see
tests/fixtures/json/smartrecruiters/SOURCES.md).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from sourcekit import (
    assert_golden,
    build,
    collect,
    fixture,
    fixture_json,
    requested,
    serve_pages,
)

from aggregator.core.errors import FeedFormatError
from sources.smartrecruiters import (
    SmartRecruitersSource,
    map_smartrecruiters,
)

URL = "https://api.smartrecruiters.com/v1/companies/NorthwindRobotics/postings"
PATH = "/v1/companies/NorthwindRobotics/postings"
FOLDER = ("json", "smartrecruiters")
IDS = ["744000101234567", "744000101234890", "744000101235012"]


def items() -> list[dict[str, Any]]:
    page: dict[str, Any] = fixture_json(*FOLDER, "northwind_postings_page.json")
    content: list[dict[str, Any]] = page["content"]
    return content


def details() -> list[tuple[str, bytes | None]]:
    return [
        (f"{URL}/{IDS[0]}", fixture(*FOLDER, f"northwind_posting_{IDS[0]}.json")),
        (f"{URL}/{IDS[1]}", fixture(*FOLDER, f"northwind_posting_{IDS[1]}.json")),
        (f"{URL}/{IDS[2]}", None),  # its details could not be fetched
    ]


def test_the_hand_written_company_matches_its_golden_file() -> None:
    postings = map_smartrecruiters(items(), details(), URL, "sr")
    assert_golden(postings, "smartrecruiters_northwind")


def test_key_fields() -> None:
    backend, qa, student = map_smartrecruiters(items(), details(), URL, "sr")
    assert backend.external_id == IDS[0]
    assert backend.url == (
        "https://jobs.smartrecruiters.com/NorthwindRobotics/"
        "744000101234567-senior-backend-engineer-python-"
    )
    assert backend.title == "Senior Backend Engineer (Python)"
    assert backend.company == "Northwind Robotics"
    assert backend.location == "Berlin, BE, Germany"
    assert backend.remote is False  # hybrid
    assert backend.employment_type == "full_time"
    assert backend.posted_at == datetime(2026, 7, 14, 9, 21, 5, 118000, tzinfo=UTC)
    assert backend.tags == ("Platform Engineering", "Engineering")
    # the job ad's sections in order, each under its title; relative links made absolute
    text = backend.description_text
    assert text.index("Company Description") < text.index("Job Description")
    assert text.index("Qualifications") < text.index("Additional Information")
    assert "• Build APIs in Python (FastAPI) and Go" in text
    assert 'href="https://jobs.smartrecruiters.com/NorthwindRobotics/benefits"' in (
        backend.description_html
    )
    assert qa.remote is True
    assert qa.location == "Kraków, PL"  # no fullLocation: city and upper-cased country code
    assert qa.employment_type == "contract"
    assert "Company Description" not in qa.description_text  # the empty section is left out
    # no details: the list's fields, and the public job page built from the ids
    assert student.url == "https://jobs.smartrecruiters.com/NorthwindRobotics/744000101235012"
    assert student.employment_type == "internship"
    assert student.description_html == ""


def serve_company(httpserver: HTTPServer, page_size_total: int = 3) -> None:
    """The list (sliced by offset/limit, totalFound 3) and two of the three details."""
    everything = items()
    serve_pages(
        httpserver,
        PATH,
        lambda offset, limit: {
            "offset": offset,
            "limit": limit,
            "totalFound": page_size_total,
            "content": everything[offset : offset + limit],
        },
        "offset",
    )
    for posting_id in IDS[:2]:
        httpserver.expect_request(f"{PATH}/{posting_id}").respond_with_data(
            fixture(*FOLDER, f"northwind_posting_{posting_id}.json"),
            content_type="application/json",
        )
    httpserver.expect_request(f"{PATH}/{IDS[2]}").respond_with_data("gone", status=404)


def test_collect_pages_by_offset_and_fetches_details(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    serve_company(httpserver)
    source = build(SmartRecruitersSource, url=httpserver.url_for(PATH), page_size=2)
    with caplog.at_level(logging.WARNING):
        postings = collect(source).postings
    assert [p.external_id for p in postings] == IDS
    assert requested(httpserver, PATH) == [
        {"offset": "0", "limit": "2"},
        {"offset": "2", "limit": "2"},
    ]
    assert postings[0].description_text.startswith("Company Description")
    assert postings[2].description_text == ""  # its details answered 404: kept anyway
    assert "HTTP 404" in caplog.text


def test_paging_stops_at_total_found(httpserver: HTTPServer) -> None:
    serve_company(httpserver)
    source = build(SmartRecruitersSource, url=httpserver.url_for(PATH), page_size=3, details=False)
    postings = collect(source).postings
    assert len(postings) == 3
    assert requested(httpserver, PATH) == [{"offset": "0", "limit": "3"}]  # 3 >= totalFound
    assert all(request.path == PATH for request, _ in httpserver.log)  # no detail requests


def test_a_server_that_never_runs_out_stops_at_max_pages(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    def endless(offset: int, limit: int) -> dict[str, Any]:
        content = [{"id": str(n), "name": f"Job {n}"} for n in range(offset, offset + limit)]
        return {"offset": offset, "limit": limit, "totalFound": 10**9, "content": content}

    serve_pages(httpserver, PATH, endless, "offset")
    source = build(
        SmartRecruitersSource, url=httpserver.url_for(PATH), page_size=5, max_pages=4, details=False
    )
    with caplog.at_level(logging.WARNING):
        postings = collect(source).postings
    assert len(requested(httpserver, PATH)) == 4
    assert len(postings) == 20
    assert "max_pages=4" in caplog.text


def test_a_server_that_ignores_offset_stops_at_the_first_repeat(httpserver: HTTPServer) -> None:
    same = {"totalFound": 500, "content": items()[:2]}
    serve_pages(httpserver, PATH, lambda offset, limit: same, "offset")
    source = build(SmartRecruitersSource, url=httpserver.url_for(PATH), page_size=2, details=False)
    postings = collect(source).postings
    assert len(requested(httpserver, PATH)) == 2
    assert [p.external_id for p in postings] == IDS[:2]


def test_an_error_object_instead_of_a_page_is_a_format_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request(PATH).respond_with_json(
        {"errors": [{"code": "COMPANY_NOT_FOUND", "message": "Company not found"}]}
    )
    source = build(SmartRecruitersSource, url=httpserver.url_for(PATH))
    with pytest.raises(FeedFormatError, match="expected an object with a 'content' list") as error:
        collect(source)
    assert httpserver.url_for(PATH) in str(error.value)
    assert "found keys: errors (the server says: Company not found)" in str(error.value)


def test_options() -> None:
    with pytest.raises(ValidationError, match="needs `company:`"):
        build(SmartRecruitersSource)
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        build(SmartRecruitersSource, company="Acme", page_size=500)
    options = build(SmartRecruitersSource, company="NorthwindRobotics").options
    assert options.url == URL
    assert options.details is True
