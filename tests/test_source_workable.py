"""The workable source: a recorded widget-API response → Postings, and collect() over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from sourcekit import assert_golden, build, collect, fixture

from sources.workable import WorkableSource, parse_workable

URL = "https://apply.workable.com/api/v1/widget/accounts/huggingface?details=true"
FILE = "huggingface_workable_widget_trimmed_2026-07.json"


def test_the_recorded_account_matches_its_golden_file() -> None:
    postings = parse_workable(fixture("json", "workable", FILE), URL, "workable")
    assert_golden(postings, "workable_huggingface")


def test_key_fields() -> None:
    first, second, third = parse_workable(fixture("json", "workable", FILE), URL, "wk")
    assert first.external_id == "F4C096B22E"
    assert first.url == "https://apply.workable.com/j/F4C096B22E"
    assert first.title == "Low-level Senior Software Engineer, Xet Storage - EMEA Remote"
    assert first.company == "Hugging Face"  # the account's name
    # its only location is hidden on the careers page: the job's own city/state/country
    assert first.location == "Paris, Île-de-France, France"
    assert first.remote is True  # telecommuting
    assert first.employment_type == "full_time"
    assert first.posted_at == datetime(2026, 7, 30, tzinfo=UTC)
    assert first.tags == ("Product", "Engineering")
    assert second.location == "New York, United States"  # city and region are the same
    assert third.location == "United States"
    assert third.tags == ("Wild Card",)


def test_details_html_is_sanitised_with_requirements_and_benefits() -> None:
    body = {
        "name": "Acme",
        "jobs": [
            {
                "shortcode": "AB12",
                "title": "Data Engineer",
                "url": "https://apply.workable.com/j/AB12",
                "description": "<p onclick='x()'>Pipelines <b>all day</b>.</p>",
                "requirements": "<ul><li>SQL</li></ul>",
                "benefits": "<p>Lunch</p><script>steal()</script>",
                "locations": None,
                "telecommuting": None,
            }
        ],
    }
    [posting] = parse_workable(json.dumps(body).encode(), URL, "wk", "Acme Ltd")
    assert posting.company == "Acme Ltd"  # company_name wins over the account's name
    assert posting.description_html == (
        "<p>Pipelines <b>all day</b>.</p><h3>Requirements</h3><ul><li>SQL</li></ul>"
        "<h3>Benefits</h3><p>Lunch</p>"
    )
    assert posting.remote is False and posting.location == ""


def test_options() -> None:
    with pytest.raises(ValidationError, match="needs `account:`"):
        build(WorkableSource)
    assert build(WorkableSource, account="huggingface").options.url == URL


def test_collect_fetches_the_account(httpserver: HTTPServer) -> None:
    path = "/api/v1/widget/accounts/huggingface"
    httpserver.expect_request(path, query_string="details=true").respond_with_data(
        fixture("json", "workable", FILE), content_type="application/json"
    )
    source = build(WorkableSource, url=httpserver.url_for(path) + "?details=true")
    postings = collect(source).postings
    assert [p.external_id for p in postings] == ["F4C096B22E", "19A136F8E2", "0BD8C06DB3"]
