"""When applications close (Posting.closes_at), from the fields real feeds carry: We Work
Remotely's <expires_at>, schema.org validThrough, Himalayas' expiryDate and Greenhouse's
application_deadline. Each source is collected over a real loopback server from its recorded
fixture; a value that cannot be read is no closing date and costs nothing else.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sourcekit import as_body, build, collect, fixture, fixture_json

from aggregator.core.models import Posting
from sources.greenhouse import GreenhouseSource
from sources.himalayas import HimalayasSource
from sources.jsonld import JsonLdSource
from sources.rss import RssSource
from sources.values import closing_date

RSS_TYPE = "application/rss+xml"
TOPJOBS_VALID_THROUGH = '"validThrough": "2026-07-10T00:00:00+0530"'


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def served(httpserver: HTTPServer, path: str, body: bytes, content_type: str) -> str:
    """The loopback URL at which ``body`` is served."""
    httpserver.expect_request(path).respond_with_data(body, content_type=content_type)
    return httpserver.url_for(path)


def titled(postings: list[Posting], title: str) -> Posting:
    [posting] = [posting for posting in postings if posting.title == title]
    return posting


@pytest.mark.parametrize(
    ("value", "closes_at"),
    [
        ("Sun, 20 Nov 2022 14:43:55 +0000", utc(2022, 11, 20, 14, 43, 55)),  # RFC 822
        ("2026-12-12T09:37:46.463Z", utc(2026, 12, 12, 9, 37, 46, 463000)),
        ("2026-07-10T00:00:00+0530", utc(2026, 7, 9, 18, 30)),
        ("2026-07-10", utc(2026, 7, 10, 23, 59, 59)),  # a bare date: the end of that day
        (" 2026-07-10 ", utc(2026, 7, 10, 23, 59, 59)),
        ("2026-07-10+02:00", utc(2026, 7, 10, 21, 59, 59)),  # the end of the day there
        ("2026-07-10Z", utc(2026, 7, 10, 23, 59, 59)),
        (1777035202, utc(2026, 4, 24, 12, 53, 22)),  # epoch seconds
        ("1777035202", utc(2026, 4, 24, 12, 53, 22)),
        (1777035202000, utc(2026, 4, 24, 12, 53, 22)),  # epoch milliseconds
        (None, None),
        ("", None),
        ("until filled", None),
        ("2026-02-30", None),
        (True, None),
        ({"date": "2026-07-10"}, None),
        (float("nan"), None),
        (10**400, None),
    ],
)
def test_a_closing_date_from_a_value(value: Any, closes_at: datetime | None) -> None:
    assert closing_date(value) == closes_at


def test_we_work_remotely_expires_at(httpserver: HTTPServer) -> None:
    feed = fixture("rss", "wwr_2022-11", "remote-sales-and-marketing-jobs.rss")
    url = served(httpserver, "/categories/remote-sales-and-marketing-jobs.rss", feed, RSS_TYPE)
    postings = collect(build(RssSource, url=url)).postings
    copywriter = titled(postings, "WordPress Copywriter / Content Writer")
    assert copywriter.company == "Barn2 Plugins"
    assert copywriter.closes_at == utc(2022, 11, 20, 14, 43, 55)
    assert all(posting.closes_at is not None for posting in postings)  # every item has one


def test_expires_at_of_an_item_only_feedparser_reads(httpserver: HTTPServer) -> None:
    feed = fixture("rss", "weworkremotely_opencruit_2026-02.xml")
    first_title = feed.index(b"<title>", feed.index(b"<item>"))
    broken = feed[:first_title] + b"<title x=1>" + feed[first_title + len(b"<title>") :]
    url = served(httpserver, "/remote-jobs.rss", broken, RSS_TYPE)
    postings = collect(build(RssSource, url=url)).postings
    engineer = titled(postings, "Full Stack Engineer with AI Coding expertise for SaaS Platform")
    assert engineer.closes_at == utc(2026, 3, 24, 4, 18, 34)
    assert len(postings) == 5


@pytest.mark.parametrize(
    ("page", "title", "closes_at"),
    [
        (
            "indeed_job_jsonld_senior-devops_2026-08.html",
            "Senior DevOps Engineer",
            utc(2026, 12, 12, 9, 37, 46, 463000),
        ),
        ("topjobs_lk_job_jsonld_2026-06.html", "Accounts Executive", utc(2026, 7, 9, 18, 30)),
    ],
)
def test_json_ld_valid_through(
    httpserver: HTTPServer, page: str, title: str, closes_at: datetime
) -> None:
    url = served(httpserver, "/job", fixture("html", page), "text/html; charset=utf-8")
    [posting] = collect(build(JsonLdSource, urls=[url])).postings
    assert posting.title == title
    assert posting.closes_at == closes_at


@pytest.mark.parametrize(
    ("valid_through", "closes_at"),
    [
        ('"2026-07-10"', utc(2026, 7, 10, 23, 59, 59)),  # open all of the last day
        ('"until filled"', None),
        ('{"@value": "someday"}', None),
    ],
)
def test_json_ld_bare_date_and_unreadable_value(
    httpserver: HTTPServer, valid_through: str, closes_at: datetime | None
) -> None:
    recorded = fixture("html", "topjobs_lk_job_jsonld_2026-06.html").decode()
    assert TOPJOBS_VALID_THROUGH in recorded
    page = recorded.replace(TOPJOBS_VALID_THROUGH, f'"validThrough": {valid_through}')
    url = served(httpserver, "/job", page.encode(), "text/html; charset=utf-8")
    [posting] = collect(build(JsonLdSource, urls=[url])).postings
    assert posting.title == "Accounts Executive"
    assert posting.closes_at == closes_at


def himalayas_page(jobs: list[dict[str, Any]]) -> bytes:
    return as_body({"offset": 0, "limit": len(jobs), "totalCount": len(jobs), "jobs": jobs})


def test_himalayas_expiry_date(httpserver: HTTPServer) -> None:
    jobs = fixture_json("json", "himalayas", "opencruit_himalayas_jobs_2026-02.json")
    url = served(httpserver, "/jobs/api", himalayas_page(jobs), "application/json")
    postings = collect(build(HimalayasSource, url=url)).postings
    assert titled(postings, "Account Manager Mascus").closes_at == utc(2026, 4, 24, 12, 53, 22)
    assert titled(postings, "Business Consultant").closes_at == utc(2026, 4, 24, 12, 51, 50)


def test_an_unreadable_himalayas_expiry_date_is_none(httpserver: HTTPServer) -> None:
    jobs = fixture_json("json", "himalayas", "opencruit_himalayas_jobs_2026-02.json")
    jobs[0]["expiryDate"] = "soon"
    url = served(httpserver, "/jobs/api", himalayas_page(jobs), "application/json")
    postings = collect(build(HimalayasSource, url=url)).postings
    assert len(postings) == 3
    assert titled(postings, "Account Manager Mascus").closes_at is None
    assert titled(postings, "Procurement Director").closes_at == utc(2026, 4, 24, 12, 52, 24)


def greenhouse_board(httpserver: HTTPServer, deadlines: list[Any] | None = None) -> list[Posting]:
    """The recorded Helsing board collected over loopback, its jobs' application_deadline
    set to ``deadlines`` (as recorded, null, when None)."""
    board = fixture_json("json", "greenhouse", "helsing_greenhouse_jobs_content_2026.json")
    for job, deadline in zip(board["jobs"], deadlines or [], strict=False):
        job["application_deadline"] = deadline
    path = "/v1/boards/helsing/jobs"
    url = served(httpserver, path, json.dumps(board).encode(), "application/json")
    return collect(build(GreenhouseSource, url=url + "?content=true")).postings


def test_greenhouse_application_deadline(httpserver: HTTPServer) -> None:
    recorded = greenhouse_board(httpserver)
    assert [posting.closes_at for posting in recorded] == [None, None]  # null when recorded
    httpserver.clear()
    postings = greenhouse_board(httpserver, ["2026-09-30T23:59:59-04:00", "whenever"])
    assert titled(postings, "Accounts Payable Lead").closes_at == utc(2026, 10, 1, 3, 59, 59)
    assert titled(postings, "AI Research Engineer - 3D Computer Vision").closes_at is None
