"""The lever source: recorded postings → Postings, and bounded skip/limit paging over HTTP."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from sourcekit import assert_golden, build, collect, fixture, requested, serve_pages

from aggregator.core.errors import FeedFormatError
from aggregator.core.models import Salary
from sources.lever import LeverSource, map_lever

URL = "https://api.lever.co/v0/postings/{}?mode=json"
CASES = [
    ("leverdemo", "Leverdemo", "leverdemo_lever_postings.json"),
    ("matchgroup", "Match Group", "matchgroup_lever_postings_2026.json"),
    (
        "idealistconsulting",
        "Idealist Consulting",
        "idealistconsulting_lever_postings_trimmed_2026.json",
    ),
]
PATH = "/v0/postings/leverdemo"


def recorded(file: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(fixture("json", "lever", file))
    return items


@pytest.mark.parametrize(("company", "name", "file"), CASES)
def test_recorded_postings_match_their_golden_files(company: str, name: str, file: str) -> None:
    postings = map_lever(recorded(file), URL.format(company), "lever", name)
    assert_golden(postings, f"lever_{company}")


def test_a_posting_with_salary_range_lists_and_remote_workplace() -> None:
    postings = map_lever(recorded(CASES[0][2]), URL.format("leverdemo"), "lever", "Leverdemo")
    posting = postings[4]
    assert posting.external_id == "c559265a-55ec-4f75-ac56-78290081f6e7"
    assert posting.url == "https://jobs.lever.co/leverdemo/c559265a-55ec-4f75-ac56-78290081f6e7"
    assert posting.title == "Account Executive"
    assert posting.company == "Leverdemo"
    assert posting.location == "Amsterdam, Netherlands"
    assert posting.remote is True  # workplaceType "remote"
    assert posting.salary == Salary(10000.0, 125000.0, "USD", "year")  # "per-year-salary"
    assert posting.posted_at == datetime(2019, 11, 25, 16, 0, 10, 709000, tzinfo=UTC)  # epoch ms
    assert posting.tags == ("Customer Success", "Business Development")
    first = postings[0]
    assert first.employment_type == "full_time"  # "Regular Full Time (Salary)"
    assert first.remote is False  # hybrid
    # opening + body, then each list under its heading, then the closing text
    assert "<h3>Qualifications</h3><ul><li>be smart</li>" in first.description_html
    assert "• be very smart" in first.description_text
    assert first.description_text.index("Duties") < first.description_text.index(
        "you will never find a job better"
    )


def test_paging_follows_skip_and_limit_until_a_short_page(httpserver: HTTPServer) -> None:
    items = recorded(CASES[0][2])
    serve_pages(httpserver, PATH, lambda skip, limit: items[skip : skip + limit], "skip")
    source = build(LeverSource, url=httpserver.url_for(PATH) + "?mode=json", page_size=4)
    collected = collect(source)
    assert [p.external_id for p in collected.postings] == [item["id"] for item in items]
    assert {p.company for p in collected.postings} == {"Leverdemo"}  # slug from the URL
    assert requested(httpserver, PATH) == [
        {"mode": "json", "skip": "0", "limit": "4"},
        {"mode": "json", "skip": "4", "limit": "4"},
    ]


def test_a_server_that_never_runs_out_stops_at_max_pages(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    def endless(skip: int, limit: int) -> list[dict[str, Any]]:
        return [{"id": f"job-{n}", "text": f"Job {n}"} for n in range(skip, skip + limit)]

    serve_pages(httpserver, PATH, endless, "skip")
    source = build(LeverSource, url=httpserver.url_for(PATH), page_size=2, max_pages=3)
    with caplog.at_level(logging.WARNING):
        collected = collect(source)
    assert len(requested(httpserver, PATH)) == 3
    assert [p.title for p in collected.postings] == [f"Job {n}" for n in range(6)]
    assert "max_pages=3" in caplog.text


def test_a_server_that_ignores_skip_stops_at_the_first_repeat(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    items = recorded(CASES[0][2])[:2]
    serve_pages(httpserver, PATH, lambda skip, limit: items, "skip")
    source = build(LeverSource, url=httpserver.url_for(PATH), page_size=2, max_pages=50)
    with caplog.at_level(logging.WARNING):
        collected = collect(source)
    assert len(requested(httpserver, PATH)) == 2
    assert len(collected.postings) == 2
    assert "repeats postings already seen" in caplog.text


def test_a_page_that_is_not_a_list_is_a_format_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request(PATH).respond_with_json({"ok": False, "error": "Document not found"})
    source = build(LeverSource, url=httpserver.url_for(PATH))
    with pytest.raises(FeedFormatError, match="expected the postings to be a list, got dict"):
        collect(source)


def test_options() -> None:
    with pytest.raises(ValidationError, match="needs `company:`"):
        build(LeverSource)
    eu = build(LeverSource, company="acme", region="eu").options
    assert eu.url == "https://api.eu.lever.co/v0/postings/acme?mode=json"
    assert eu.max_pages == 20
    with pytest.raises(ValidationError):
        build(LeverSource, company="a", region="asia")
    with pytest.raises(ValidationError, match="http"):
        build(LeverSource, url="ftp://x/y")
