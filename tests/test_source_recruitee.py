"""The recruitee source: a recorded offers-API response → Postings, and collect() over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from sourcekit import assert_golden, build, collect, fixture

from aggregator.core.models import Salary
from sources.recruitee import RecruiteeSource, parse_recruitee

URL = "https://espeo.recruitee.com/api/offers/"
FILE = "espeo_recruitee_offers_trimmed_2026-07.json"


def test_the_recorded_offers_match_their_golden_file() -> None:
    postings = parse_recruitee(fixture("json", "recruitee", FILE), URL, "recruitee")
    assert_golden(postings, "recruitee_espeo")


def test_key_fields() -> None:
    first, second, third = parse_recruitee(fixture("json", "recruitee", FILE), URL, "rc")
    assert first.external_id == "2681423"
    assert first.url == "https://espeo.recruitee.com/o/project-manager-1"
    assert first.title == "Project Manager"
    assert first.company == "Espeo Software"
    assert first.location == "Poznań, Wielkopolskie, Poland"
    assert first.remote is False  # hybrid is not remote
    assert first.employment_type == "contract"
    assert first.posted_at == datetime(2026, 7, 17, 11, 0, 39, tzinfo=UTC)  # "… 11:00:39 UTC"
    assert first.salary is None  # every part null
    assert first.tags == ("Delivery", "Information Technology")  # zero-width space dropped
    assert second.remote is True
    assert second.location == "Remote job (Poznań, Poland)"  # the office kept for matching
    assert third.employment_type == "contract"  # "freelance"


def test_salary_description_and_tags() -> None:
    body = {
        "offers": [
            {
                "id": 9,
                "title": "Mobile Developer",
                "careers_url": "https://acme.recruitee.com/o/mobile-developer",
                "description": "<p>Flutter apps.</p>",
                "requirements": "<ul><li>Dart</li></ul>",
                "salary": {"min": "8000", "max": "12000", "period": "month", "currency": "PLN"},
                "tags": ["Flutter", "Mobile", None],
                "city": "Kraków",
                "country": "Poland",
            }
        ]
    }
    [posting] = parse_recruitee(json.dumps(body).encode(), URL, "rc", "", "Acme")
    assert posting.salary == Salary(8000.0, 12000.0, "PLN", "month")
    assert posting.description_text == "Flutter apps.\n\nRequirements\n\n• Dart"
    assert posting.tags == ("Flutter", "Mobile")
    assert posting.location == "Kraków, Poland"
    assert posting.company == "Acme"


def test_options() -> None:
    with pytest.raises(ValidationError, match="needs `company:`"):
        build(RecruiteeSource)
    with pytest.raises(ValidationError, match="pattern"):
        build(RecruiteeSource, company="a.b")
    assert build(RecruiteeSource, company="espeo").options.url == URL


def test_collect_fetches_the_offers(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/offers/").respond_with_data(
        fixture("json", "recruitee", FILE), content_type="application/json"
    )
    source = build(RecruiteeSource, url=httpserver.url_for("/api/offers/"), company_name="Espeo")
    postings = collect(source).postings
    assert [p.title for p in postings] == [
        "Project Manager",
        "AI Solutions Engineer",
        "Senior DevOps Engineer",
    ]
    assert {p.company for p in postings} == {"Espeo"}
