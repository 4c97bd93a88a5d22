"""The ashby source: recorded posting-API responses → Postings, and collect() over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from sourcekit import assert_golden, build, collect, fixture

from aggregator.core.models import Salary
from sources.ashby import AshbySource, parse_ashby

URL = "https://api.ashbyhq.com/posting-api/job-board/{}?includeCompensation=true"
CASES = [
    ("ramp", "Ramp", "ramp_ashby_posting_api_2026.json"),
    ("comand-ai", "Comand AI", "comand-ai_ashby_posting_api_2026-07.json"),
]


@pytest.mark.parametrize(("board", "company", "file"), CASES)
def test_recorded_boards_match_their_golden_files(board: str, company: str, file: str) -> None:
    postings = parse_ashby(fixture("json", "ashby", file), URL.format(board), "ashby", company)
    assert_golden(postings, f"ashby_{board}")


def test_a_posting_with_secondary_locations() -> None:
    postings = parse_ashby(fixture("json", "ashby", CASES[0][2]), URL.format("ramp"), "a", "Ramp")
    posting = postings[0]
    assert posting.external_id == "34413f8d-26bf-4bbc-8ade-eb309a0e2245"
    assert posting.url == "https://jobs.ashbyhq.com/ramp/34413f8d-26bf-4bbc-8ade-eb309a0e2245"
    assert posting.title == "Security Engineer, Cloud"  # leading space trimmed
    assert posting.company == "Ramp"
    assert posting.location == "New York, NY (HQ); Remote (Canada); Remote (US); Miami, FL"
    assert posting.remote is True  # hybrid, but one of its locations is "Remote (US)"
    assert posting.employment_type == "full_time"  # "FullTime"
    assert posting.posted_at == datetime(2026, 4, 7, 17, 12, 35, 753000, tzinfo=UTC)
    assert posting.tags == ("Engineering", "Backend")
    assert posting.description_html.startswith("<h1><strong>About Ramp</strong></h1><p>")
    assert posting.description_text.startswith("About Ramp\n\nRamp is building")


def test_compensation_and_unlisted_jobs() -> None:
    body = {
        "apiVersion": "1",
        "jobs": [
            {
                "id": "a1",
                "title": "Staff Engineer",
                "jobUrl": "https://jobs.ashbyhq.com/acme/a1",
                "isListed": True,
                "isRemote": False,
                "workplaceType": "Remote",
                "descriptionPlain": "Build things.\nShip them.",
                "compensation": {
                    "compensationTierSummary": "$180K \u2013 $220K • Offers Equity",
                    "summaryComponents": [
                        {"compensationType": "EquityPercentage", "minValue": 0.1, "maxValue": 0.2},
                        {
                            "compensationType": "Salary",
                            "interval": "1 YEAR",
                            "currencyCode": "USD",
                            "minValue": 180000,
                            "maxValue": 220000,
                        },
                    ],
                },
            },
            {"id": "a2", "title": "Hidden", "isListed": False},
        ],
    }
    [posting] = parse_ashby(json.dumps(body).encode(), URL.format("acme"), "a", "Acme")
    assert posting.salary == Salary(
        180000.0, 220000.0, "USD", "year", "$180K \u2013 $220K • Offers Equity"
    )
    assert posting.remote is True  # workplaceType "Remote"
    assert posting.description_html == "Build things.<br>Ship them."


def test_options() -> None:
    with pytest.raises(ValidationError, match="needs `board:`"):
        build(AshbySource)
    assert build(AshbySource, board="ramp").options.url == URL.format("ramp")


def test_collect_fetches_the_board(httpserver: HTTPServer) -> None:
    path = "/posting-api/job-board/comand-ai"
    httpserver.expect_request(path).respond_with_data(
        fixture("json", "ashby", CASES[1][2]), content_type="application/json"
    )
    source = build(AshbySource, url=httpserver.url_for(path) + "?includeCompensation=true")
    postings = collect(source).postings
    assert [p.title for p in postings] == ["Forward Deployed Engineer", "Computer Vision Engineer"]
    assert {p.company for p in postings} == {"Comand Ai"}  # the slug title-cased
    [(request, _)] = httpserver.log
    assert request.args["includeCompensation"] == "true"


def test_workplace_type_decides_over_is_remote() -> None:
    postings = parse_ashby(fixture("json", "ashby", CASES[0][2]), URL.format("ramp"), "a", "Ramp")
    manager = postings[3]
    assert manager.title == "Technical Program Manager"
    assert manager.location == "New York, NY (HQ)"
    assert manager.remote is False  # isRemote true, but workplaceType "Hybrid" and HQ only
