"""The jsonld source: career pages with schema.org JobPosting JSON-LD → Postings.

Recorded pages (Indeed, topjobs.lk; SEEK and LinkedIn as pages without a JobPosting), the
invalid-JSON-LD samples from extruct, and small hand-made pages for the shapes real sites use.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from sourcekit import assert_golden, build, collect, fixture

from aggregator.core.errors import FeedFormatError, FetchError
from aggregator.core.models import Salary
from sources.jsonld import JsonLdSource, load_jsonld, parse_jsonld_page

INDEED = "https://au.indeed.com/viewjob?jk=54f1f8af68d722d2&from=serp"
TOPJOBS = "https://www.topjobs.lk/employer/JobAdvertismentServlet?ac=DEFZZZ&jc=0001517700"
CASES = [
    ("indeed_senior-devops", "indeed_job_jsonld_senior-devops_2026-08.html", INDEED),
    ("topjobs_lk", "topjobs_lk_job_jsonld_2026-06.html", TOPJOBS),
]


def page(*blocks: str, head: str = "") -> bytes:
    """An HTML page with these JSON-LD blocks."""
    scripts = "".join(f'<script type="application/ld+json">{block}</script>' for block in blocks)
    return f"<!doctype html><html><head>{head}{scripts}</head><body>Jobs</body></html>".encode()


def parse(body: bytes, url: str = "https://careers.example.org/jobs", company: str = "") -> list:
    return parse_jsonld_page(body, url, "text/html; charset=utf-8", "careers", company)


@pytest.mark.parametrize(("name", "file", "url"), CASES)
def test_recorded_pages_match_their_golden_files(name: str, file: str, url: str) -> None:
    postings = parse(fixture("html", file), url)
    assert_golden(postings, f"jsonld_{name}")


def test_the_indeed_page() -> None:
    [posting] = parse(fixture("html", CASES[0][1]), INDEED)
    assert posting.title == "Senior DevOps Engineer"
    assert posting.company == "PaperCut Software"
    assert posting.url == "https://au.indeed.com/viewjob?jk=54f1f8af68d722d2"  # rel=canonical
    assert posting.external_id == ""  # no identifier: the store keys it by the canonical URL
    assert posting.location == "Camberwell, VIC, AU"
    assert posting.salary == Salary(130000.0, 160000.0, "AUD", "year")
    assert posting.employment_type == "full_time"  # ["FULL_TIME"]
    assert posting.posted_at == datetime(2026, 8, 6, 7, 39, 35, 941000, tzinfo=UTC)
    assert posting.remote is False
    assert posting.description_text.startswith("Company Description\n\nAt PaperCut, we believe")


def test_the_topjobs_page_with_br_end_tags_and_sinhala() -> None:
    [posting] = parse(fixture("html", CASES[1][1]), TOPJOBS)
    assert posting.title == "Accounts Executive"
    assert posting.company == "Avenierr Pharma (Pvt) Ltd"
    assert posting.location == "Kalubowila, Western, LK"  # jobLocation given as a list
    assert posting.posted_at == datetime(2026, 6, 26, tzinfo=UTC)
    assert posting.url == TOPJOBS  # no url, no canonical link: the page itself
    assert posting.description_text == (
        "Please refer the full details of the job posting as given by the employer.\n"
        "කරුණාකර සේවායෝජකයා විසින් දෙන ලද රැකියා විස්තරය වෙත යොමුවන්න."
    )


@pytest.mark.parametrize(
    ("file", "reason"),
    [
        ("seek_job_no_jobposting_jsonld_2026-08.html", "describe WebSite, SearchAction"),
        ("linkedin_guest_job_no_jsonld_2026-08.html", "the page has no JSON-LD at all"),
    ],
)
def test_a_page_without_a_job_posting_is_a_clear_error(file: str, reason: str) -> None:
    url = "https://au.seek.com/job/12345"
    with pytest.raises(FeedFormatError, match=r"no schema\.org JobPosting found") as error:
        parse(fixture("html", file), url)
    assert url in str(error.value)
    assert reason in str(error.value)


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("jsonld_with_js_comments.html", {"@type": "NewsArticle", "articleSection": "商情"}),
        ("jsonld_with_raw_newlines_in_string.html", {"data": "line 1\n        line 2"}),
    ],
)
def test_invalid_json_ld_is_repaired(file: str, expected: dict[str, str]) -> None:
    html = fixture("html", file).decode()
    block = html.split('<script type="application/ld+json">')[1].split("</script>")[0]
    with pytest.raises(json.JSONDecodeError):
        json.loads(block)
    data, problem = load_jsonld(block)
    assert problem is None
    for key, value in expected.items():
        assert data[key].startswith(value)


def test_a_job_posting_with_comments_trailing_commas_and_raw_newlines() -> None:
    block = """
    {
      "@context": "https://schema.org", // JS comment
      "@type": "JobPosting",
      /* a block comment with "quotes" */
      "title": "Support Engineer",
      "description": "<p>Line one
    line two, with a URL: https://example.org/a//b</p>",
      "hiringOrganization": "Acme",
      "employmentType": ["PART_TIME", "CONTRACTOR"],
      "identifier": {"@type": "PropertyValue", "name": "Acme", "value": 4711},
    }
    """
    [posting] = parse(page(block))
    assert posting.title == "Support Engineer"
    assert posting.company == "Acme"  # hiringOrganization as plain text
    assert posting.external_id == "4711"  # PropertyValue.value
    assert posting.employment_type == "part_time"  # the first listed type
    assert "https://example.org/a//b" in posting.description_text  # "//" in a string kept


def test_graphs_lists_remote_jobs_and_salaries() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "Organization", "name": "Globex"},
            {
                "@type": "JobPosting",
                "title": "Data Analyst",
                "url": "/jobs/data-analyst",
                "hiringOrganization": {"@type": "Organization", "name": "Globex"},
                "jobLocationType": "TELECOMMUTE",
                "applicantLocationRequirements": [
                    {"@type": "Country", "name": "Germany"},
                    {"@type": "Country", "name": "Austria"},
                ],
                "baseSalary": {
                    "@type": "MonetaryAmount",
                    "currency": "EUR",
                    "value": {"@type": "QuantitativeValue", "value": 4500, "unitText": "MONTH"},
                },
                "description": "&lt;p&gt;SQL &amp;amp; dashboards&lt;/p&gt;",
                "datePosted": "2026-08-01",
                "occupationalCategory": "15-2051.00 Data Scientists",
            },
        ],
    }
    listed = [{"@context": "https://schema.org", "@type": "schema:JobPosting", "name": "Tester"}]
    analyst, tester = parse(page(json.dumps(graph), json.dumps(listed)))
    assert analyst.url == "https://careers.example.org/jobs/data-analyst"
    assert analyst.external_id == analyst.url  # its own URL identifies it
    assert analyst.remote is True
    assert analyst.location == "Germany, Austria"
    assert analyst.salary == Salary(4500.0, 4500.0, "EUR", "month")
    assert analyst.description_html == "<p>SQL &amp; dashboards</p>"  # escaped once too often
    assert analyst.tags == ("15-2051.00 Data Scientists",)
    assert tester.title == "Tester" and tester.company == ""


def test_several_postings_on_one_page_without_ids_get_distinct_ids() -> None:
    jobs = [
        {"@type": "JobPosting", "title": "Cook", "hiringOrganization": {"name": "Diner"}},
        {"@type": "JobPosting", "title": "Waiter", "hiringOrganization": {"name": "Diner"}},
    ]
    cook, waiter = parse(page(json.dumps(jobs)), company="Diner & Co")
    assert cook.url == waiter.url == "https://careers.example.org/jobs"
    assert cook.external_id.startswith("jsonld:") and waiter.external_id.startswith("jsonld:")
    assert cook.external_id != waiter.external_id
    assert cook.company == "Diner & Co"  # company_name overrides hiringOrganization


def test_an_unreadable_block_is_skipped_with_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    good = json.dumps({"@type": "JobPosting", "title": "Welder"})
    with caplog.at_level(logging.INFO):
        [posting] = parse(page("{ this is not json", good))
    assert posting.title == "Welder"
    assert "skipped JSON-LD block 1: invalid JSON" in caplog.text


def test_options() -> None:
    with pytest.raises(ValidationError, match="needs `urls:`"):
        build(JsonLdSource)
    with pytest.raises(ValidationError, match="http"):
        build(JsonLdSource, urls=["file:///etc"])
    assert build(JsonLdSource, url=INDEED).options.pages == (INDEED,)


def test_one_bad_page_does_not_lose_the_others(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/job/devops").respond_with_data(
        fixture("html", CASES[0][1]), content_type="text/html; charset=UTF-8"
    )
    httpserver.expect_request("/job/seek").respond_with_data(
        fixture("html", "seek_job_no_jobposting_jsonld_2026-08.html"), content_type="text/html"
    )
    httpserver.expect_request("/job/gone").respond_with_data("", status=404)
    urls = [httpserver.url_for(path) for path in ("/job/devops", "/job/seek", "/job/gone")]
    with caplog.at_level(logging.WARNING):
        postings = collect(build(JsonLdSource, urls=urls)).postings
    assert [p.title for p in postings] == ["Senior DevOps Engineer"]
    assert f"{urls[1]}: no schema.org JobPosting found" in caplog.text
    assert f"HTTP 404 from {urls[2]}" in caplog.text


def test_every_page_failing_is_an_error_naming_each(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/job/seek").respond_with_data(
        fixture("html", "seek_job_no_jobposting_jsonld_2026-08.html"), content_type="text/html"
    )
    httpserver.expect_request("/job/gone").respond_with_data("", status=404)
    urls = [httpserver.url_for("/job/seek"), httpserver.url_for("/job/gone")]
    with pytest.raises(FeedFormatError, match="none of the 2 career pages") as error:
        collect(build(JsonLdSource, urls=urls))
    assert f"{urls[0]}: no schema.org JobPosting found" in str(error.value)
    assert f"HTTP 404 from {urls[1]}" in str(error.value)

    with pytest.raises(FetchError, match="HTTP 404"):
        collect(build(JsonLdSource, urls=[urls[1]]))
