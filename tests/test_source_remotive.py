"""The remotive source: recorded API bodies → Postings, collect() over HTTP, the fetch interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from sourcekit import (
    NOW,
    as_body,
    assert_golden,
    assert_well_formed,
    build,
    collect,
    fixture,
    fixture_json,
)

from aggregator.core.models import Salary, SourceState
from sources.remotive import RemotiveSource, parse_remotive

API = "https://remotive.com/api/remote-jobs"
BOM_FILE = "remotive_api_full_2026-07_utf8bom.json"


def parse(body: bytes) -> list:
    return parse_remotive(body, API, "remotive")


@pytest.mark.parametrize(
    ("golden", "body"),
    [
        ("remotive_2025-12", fixture("json", "remotive", "remotive_api_full_2025-12.json")),
        ("remotive_2026-07_utf8bom", fixture("json", "remotive", BOM_FILE)),
        # that recording is the bare job list; the API wraps it in an object
        (
            "remotive_opencruit_2026-02",
            as_body(
                {"jobs": fixture_json("json", "remotive", "opencruit_remotive_jobs_2026-02.json")}
            ),
        ),
    ],
)
def test_recorded_responses_match_their_golden_files(golden: str, body: bytes) -> None:
    postings = parse(body)
    assert_golden(postings, golden, assert_well_formed)
    assert all(posting.remote for posting in postings)


def test_a_job_with_pay_tags_and_a_candidate_location() -> None:
    first = parse(fixture("json", "remotive", "remotive_api_full_2025-12.json"))[0]
    assert first.external_id == "2069746"
    assert first.url == (
        "https://remotive.com/remote-jobs/software-development/"
        "tech-lead-full-stack-rails-engineer-2069746"
    )
    assert (first.title, first.company) == ("Tech Lead Full-Stack Rails Engineer", "Mitre Media")
    assert first.location == "USA, Canada, USA timezones"  # who may apply, though remote
    assert first.employment_type == "full_time"
    assert first.salary == Salary(170_000, 200_000, "USD", "year", "$170k - $200k")
    assert first.posted_at == datetime(2025, 12, 14, 20, 45, 43, tzinfo=UTC)
    assert first.tags[:3] == ("Software Development", "api", "CSS")
    assert first.description_text.startswith("About Mitre Media\n\nMitre Media is redefining")


def test_a_body_with_a_utf8_byte_order_mark_is_read() -> None:
    body = fixture("json", "remotive", BOM_FILE)
    assert body.startswith(b"\xef\xbb\xbf")
    postings = parse(body)
    assert len(postings) == 35
    assert {p.employment_type for p in postings} >= {"full_time", "contract", "part_time"}


def test_collect_sends_the_filters_and_parses_the_answer(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/api/remote-jobs", query_string={"category": "software-dev", "search": "python"}
    ).respond_with_data(fixture("json", "remotive", BOM_FILE), content_type="application/json")
    source = build(
        RemotiveSource,
        url=httpserver.url_for("/api/remote-jobs"),
        category="software-dev",
        search="python",
    )
    collected = collect(source)
    assert len(collected.postings) == 35
    assert collected.postings[0].source == "test"
    assert not collected.not_modified


def test_the_default_endpoint_carries_the_filters() -> None:
    source = build(RemotiveSource, category="devops")
    assert source.endpoint() == f"{API}?category=devops"


def test_a_recent_successful_fetch_means_no_request(httpserver: HTTPServer) -> None:
    source = build(RemotiveSource, url=httpserver.url_for("/jobs"), min_interval_hours=6)
    state = SourceState(name="test", last_success=NOW - timedelta(hours=5, minutes=59))
    collected = collect(source, state)
    assert collected.skipped and "min_interval_hours" in collected.skipped
    assert collected.postings == [] and not collected.not_modified
    assert len(httpserver.log) == 0


def test_an_older_successful_fetch_means_fetching_again(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/jobs").respond_with_data(
        fixture("json", "remotive", "remotive_api_full_2025-12.json"),
        content_type="application/json",
    )
    source = build(RemotiveSource, url=httpserver.url_for("/jobs"), min_interval_hours=6)
    state = SourceState(name="test", last_success=NOW - timedelta(hours=6))
    assert len(collect(source, state).postings) == 20
    assert len(collect(source, state, now=NOW + timedelta(hours=1)).postings) == 20
    assert len(collect(source, state, now=NOW - timedelta(hours=1)).postings) == 0
    assert len(httpserver.log) == 2


def test_options_are_checked() -> None:
    with pytest.raises(ValidationError):
        build(RemotiveSource, categroy="devops")
    with pytest.raises(ValidationError):
        build(RemotiveSource, min_interval_hours=-1)
