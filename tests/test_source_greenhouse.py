"""The greenhouse source: recorded Job Board API responses → Postings, and collect() over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from sourcekit import assert_golden, build, collect, fixture

from aggregator.core.models import Salary, SourceState
from sources.greenhouse import GreenhouseSource, parse_greenhouse

URL = "https://boards-api.greenhouse.io/v1/boards/{}/jobs?content=true"
CASES = [
    ("amplitude", "amplitude_greenhouse_jobs_content_trimmed_2026.json"),
    ("helsing", "helsing_greenhouse_jobs_content_2026.json"),
    ("stripe", "stripe_greenhouse_jobs_nocontent_2026-08.json"),
]


def parse(board: str, file: str) -> list:
    return parse_greenhouse(fixture("json", "greenhouse", file), URL.format(board), "gh")


@pytest.mark.parametrize(("board", "file"), CASES)
def test_recorded_boards_match_their_golden_files(board: str, file: str) -> None:
    postings = parse(board, file)
    assert_golden(postings, f"greenhouse_{board}")


def test_a_posting_with_content_departments_and_offices() -> None:
    first, second = parse("amplitude", CASES[0][1])
    assert first.source == "gh"
    assert first.external_id == "8636903002"
    assert first.url == "https://job-boards.greenhouse.io/amplitude/jobs/8636903002"
    assert first.title == "Customer Data Scientist - Experimentation"
    assert first.company == "Amplitude"  # the payload's "Amplitude " trimmed
    assert first.location == "London, UK"
    assert first.remote is False
    assert first.posted_at == datetime(2026, 7, 16, 15, 55, 32, tzinfo=UTC)  # first_published
    assert first.tags == ("Solutions Consulting",)
    # content arrives HTML-escaped: unescaped once, then sanitised
    assert first.description_html.startswith("<div><p>Amplitude is the leading AI analytics")
    assert "class=" not in first.description_html
    assert first.description_text.startswith("Amplitude is the leading AI analytics platform")
    # an office named "Remote-India (PEO)" makes the Bangalore role remote
    assert second.remote is True


def test_null_metadata_and_no_content_are_fine() -> None:
    postings = parse("stripe", CASES[2][1])
    assert len(postings) == 6
    assert {p.company for p in postings} == {"Stripe"}
    assert all(p.description_html == "" and p.tags == () for p in postings)
    assert postings[1].title == "Account Executive, Bridge"  # trailing space trimmed


def test_a_currency_range_field_is_the_salary_and_employment_type_comes_from_metadata() -> None:
    body = {
        "jobs": [
            {
                "id": 7,
                "title": "Engineer",
                "absolute_url": "/jobs/7",
                "metadata": [
                    {
                        "name": "Employment Type",
                        "value": "Part-time",
                        "value_type": "single_select",
                    },
                    {
                        "name": "Annual Salary Range",
                        "value": {"min_value": "90000.0", "max_value": "120000.0", "unit": "USD"},
                        "value_type": "currency_range",
                    },
                ],
            }
        ]
    }
    [posting] = parse_greenhouse(json.dumps(body).encode(), URL.format("acme"), "gh", "", "Acme")
    assert posting.salary == Salary(90000.0, 120000.0, "USD", "year")
    assert posting.employment_type == "part_time"
    assert posting.company == "Acme"  # the fallback, as the payload names none
    assert posting.url == "https://boards-api.greenhouse.io/jobs/7"


def test_options_need_a_board_or_a_url() -> None:
    with pytest.raises(ValidationError, match="needs `board:`"):
        build(GreenhouseSource)
    with pytest.raises(ValidationError, match="pattern"):
        build(GreenhouseSource, board="a/b")
    with pytest.raises(ValidationError, match="Extra inputs"):
        build(GreenhouseSource, board="stripe", boards="x")
    assert build(GreenhouseSource, board="stripe").options.url == URL.format("stripe")


def test_collect_fetches_the_board_and_honours_the_etag(httpserver: HTTPServer) -> None:
    body = fixture("json", "greenhouse", CASES[1][1])
    httpserver.expect_request(
        "/v1/boards/helsing/jobs", query_string="content=true"
    ).respond_with_data(body, content_type="application/json", headers={"ETag": '"v1"'})
    url = httpserver.url_for("/v1/boards/helsing/jobs") + "?content=true"
    source = build(GreenhouseSource, url=url, company_name="Helsing GmbH")
    collected = collect(source)
    assert [p.external_id for p in collected.postings] == ["4865187101", "4911999101"]
    assert {p.company for p in collected.postings} == {"Helsing GmbH"}
    assert collected.etag == '"v1"'

    httpserver.clear()
    httpserver.expect_request("/v1/boards/helsing/jobs").respond_with_data("", status=304)
    again = collect(source, SourceState(name="test", etag='"v1"'))
    assert again.not_modified
    [(request, _)] = httpserver.log
    assert request.headers["If-None-Match"] == '"v1"'


def test_a_moved_board_that_is_not_modified_still_reports_the_move(httpserver: HTTPServer) -> None:
    new = httpserver.url_for("/v1/boards/helsing-new/jobs")
    httpserver.expect_request("/v1/boards/helsing/jobs").respond_with_data(
        "", status=301, headers={"Location": new}
    )
    httpserver.expect_request(
        "/v1/boards/helsing-new/jobs", headers={"If-None-Match": '"v1"'}
    ).respond_with_data("", status=304)
    source = build(GreenhouseSource, url=httpserver.url_for("/v1/boards/helsing/jobs"))
    again = collect(source, SourceState(name="test", etag='"v1"'))
    assert again.not_modified
    assert again.moved_to == new
