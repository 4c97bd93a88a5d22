"""The jobicy source: recorded API bodies → Postings, collect() over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer
from sourcekit import (
    as_body,
    assert_golden,
    assert_well_formed,
    build,
    collect,
    fixture,
    fixture_json,
)

from aggregator.core.models import Salary
from sources.jobicy import JobicySource, parse_jobicy

API = "https://jobicy.com/api/v2/remote-jobs"
ENVELOPE = "jobicy_api_envelope_2026-08.json"


def parse(body: bytes) -> list:
    return parse_jobicy(body, API, "jobicy")


@pytest.mark.parametrize(
    ("golden", "body"),
    [
        ("jobicy_envelope_2026-08", fixture("json", "jobicy", ENVELOPE)),
        # that recording is the bare job list; the API wraps it in an envelope
        (
            "jobicy_opencruit_2026-02",
            as_body({"jobs": fixture_json("json", "jobicy", "opencruit_jobicy_jobs_2026-02.json")}),
        ),
    ],
)
def test_recorded_responses_match_their_golden_files(golden: str, body: bytes) -> None:
    postings = parse(body)
    assert_golden(postings, golden, assert_well_formed)
    assert all(posting.remote and posting.employment_type == "full_time" for posting in postings)


def test_a_job_from_the_envelope() -> None:
    manager, _ = parse(fixture("json", "jobicy", ENVELOPE))
    assert manager.external_id == "150121"
    assert manager.url == "https://jobicy.com/jobs/150121-engineering-manager-python-and-k8s"
    assert (manager.title, manager.company) == (
        "Engineering Manager - Python and K8s",
        "Canonical Ltd.",
    )
    assert manager.location == "APAC, EMEA"
    assert manager.tags == ("Product & Operations",)  # "&amp;" in the API
    assert manager.posted_at == datetime(2026, 8, 3, 10, 21, 24, tzinfo=UTC)


def test_pay_fields_old_and_new() -> None:
    job = fixture_json("json", "jobicy", ENVELOPE)["jobs"][0]
    new = {**job, "salaryMin": 90000, "salaryMax": 120000, "salaryCurrency": "EUR"}
    old = {**job, "annualSalaryMin": "70000", "annualSalaryMax": "80000", "salaryCurrency": "USD"}
    assert parse(as_body({"jobs": [new]}))[0].salary == Salary(90_000, 120_000, "EUR", "year")
    assert parse(as_body({"jobs": [old]}))[0].salary == Salary(70_000, 80_000, "USD", "year")


def test_collect_sends_the_filters(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/api/v2/remote-jobs", query_string={"count": "50", "tag": "python", "geo": "usa"}
    ).respond_with_data(fixture("json", "jobicy", ENVELOPE), content_type="application/json")
    source = build(
        JobicySource, url=httpserver.url_for("/api/v2/remote-jobs"), tag="python", geo="usa"
    )
    assert [p.external_id for p in collect(source).postings] == ["150121", "150061"]
