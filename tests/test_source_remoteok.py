"""The remoteok source: the legal notice skipped, mojibake repaired, collect() over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer
from sourcekit import (
    MOJIBAKE,
    as_body,
    assert_golden,
    assert_well_formed,
    build,
    collect,
    fixture,
    fixture_json,
)

from aggregator.core.models import Salary
from sources.remoteok import RemoteOkSource, parse_remoteok

API = "https://remoteok.com/api"
FULL = "remoteok_api_full_2026-03.json"
NOTICE = {"last_updated": 1773720015, "legal": "API Terms of Service: Please link back …"}


def parse(body: bytes) -> list:
    return parse_remoteok(body, API, "remoteok").postings


@pytest.mark.parametrize(
    ("golden", "body"),
    [
        ("remoteok_2026-03", fixture("json", "remoteok", FULL)),
        # that recording had its legal notice removed; the API always sends one first
        (
            "remoteok_opencruit_2026-02",
            as_body(
                [NOTICE, *fixture_json("json", "remoteok", "opencruit_remoteok_jobs_2026-02.json")]
            ),
        ),
    ],
)
def test_recorded_responses_match_their_golden_files(golden: str, body: bytes) -> None:
    postings = parse(body)
    assert_golden(postings, golden, assert_well_formed)
    assert all(posting.remote for posting in postings)


def test_the_legal_notice_is_skipped_whatever_it_holds() -> None:
    jobs = fixture_json("json", "remoteok", FULL)
    # 97 jobs after the notice, one of them the decoy (no position, no company)
    assert len(parse(fixture("json", "remoteok", FULL))) == len(jobs) - 2 == 96
    notice_with_an_id = {**jobs[0], "id": "1", "position": "Legal notice"}
    assert len(parse(as_body([notice_with_an_id, *jobs[1:]]))) == 96


def test_a_decoy_without_position_or_company_is_skipped_and_counted() -> None:
    jobs = fixture_json("json", "remoteok", FULL)
    recorded = parse_remoteok(fixture("json", "remoteok", FULL), API, "remoteok")
    assert recorded.note() == "1 item without id, title or company skipped"
    assert "1130784" not in {p.external_id for p in recorded.postings}  # "mention the word…"
    parsed = parse_remoteok(as_body([*jobs, {"position": "No id"}]), API, "remoteok")
    assert len(parsed.postings) == 96
    assert parsed.note() == "2 items without id, title or company skipped"
    assert parse_remoteok(as_body(jobs[:3]), API, "remoteok").note() is None


def test_double_encoded_text_is_repaired() -> None:
    raw = json.dumps(fixture_json("json", "remoteok", FULL), ensure_ascii=False)
    assert "ZÃ³calo Health" in raw and "You\u00e2\u0080\u0099ll" in raw
    postings = parse(fixture("json", "remoteok", FULL))
    assert "Zócalo Health" in {p.company for p in postings}
    assert not any(MOJIBAKE.search(p.description_html) for p in postings)
    advisor = next(p for p in postings if p.external_id == "1130788")
    assert "What You\u2019ll Do" in advisor.description_text


def test_a_job_with_pay() -> None:
    postings = {p.external_id: p for p in parse(fixture("json", "remoteok", FULL))}
    job = postings["1130780"]
    assert job.title == "VP Corporate Marketing Brand & Communications"
    assert job.company == "Blackpoint Cyber"
    assert job.url == (
        "https://remoteok.com/remote-jobs/"
        "remote-vp-corporate-marketing-brand-communications-blackpoint-cyber-1130780"
    )
    assert job.salary == Salary(180_000, 210_000, "USD", "year")
    assert job.posted_at is not None and job.posted_at.tzinfo == UTC
    assert postings["1130788"].posted_at == datetime(2026, 3, 16, 0, 0, 3, tzinfo=UTC)
    assert postings["1130788"].salary is None  # salary_min/max 0 mean "not stated"


def test_collect_sends_the_tags(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api", query_string={"tags": "python,devops"}).respond_with_data(
        fixture("json", "remoteok", FULL), content_type="application/json"
    )
    source = build(RemoteOkSource, url=httpserver.url_for("/api"), tags=["python", "devops"])
    collected = collect(source)
    assert len(collected.postings) == 96
    assert collected.note == "1 item without id, title or company skipped"
    assert (
        json.loads(fixture("json", "remoteok", FULL))[1]["id"] == collected.postings[0].external_id
    )
