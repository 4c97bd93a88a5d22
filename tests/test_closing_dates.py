"""The deadline a posting's text states (aggregator.core.closing) and intake closing the posting
by it. A digest in December 2026 offered as a new lead a We Work Remotely job whose description
began "Closing date: Friday 4 November, 2022"; a wrong date, though, would hide a real job.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from aggregator.core.closing import stated_closing
from aggregator.core.config import AppConfig, HttpConfig
from aggregator.core.intake import prepared
from aggregator.core.models import Posting
from aggregator.stages.collect import collect as collect_stage
from aggregator.store import Store
from sources.remotive import parse_remotive
from sources.rss import RssSource, parse_feed

FIXTURES = Path(__file__).parent / "fixtures"
WWR = FIXTURES / "rss" / "wwr_2022-11"
SALES_FEED = "remote-sales-and-marketing-jobs.rss"
COPYWRITER = "WordPress Copywriter / Content Writer"  # Barn2 Plugins
POSTED = datetime(2022, 10, 21, 14, 43, 55, tzinfo=UTC)  # the copywriter job's pubDate
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # when the closed job was offered


def end_of(day: date) -> datetime:
    """The last second of ``day`` in UTC: when a deadline on that day passes."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


@cache
def wwr_feed(name: str) -> tuple[Posting, ...]:
    """The postings of a recorded We Work Remotely feed, read as the rss source reads it."""
    body = (WWR / name).read_bytes()
    return tuple(parse_feed(body, f"https://weworkremotely.com/categories/{name}",
                            "application/rss+xml", "wwr"))


def wwr_posting(feed: str, title: str) -> Posting:
    [posting] = [posting for posting in wwr_feed(feed) if posting.title == title]
    return posting


def stated(posting: Posting) -> datetime | None:
    return stated_closing(posting.description_text, posting.posted_at)


# Every deadline the recorded feeds state, each checked against its posting's text.
WWR_DEADLINES = {
    (SALES_FEED, COPYWRITER): date(2022, 11, 4),  # "Closing date: Friday 4 November, 2022"
    (SALES_FEED, "Video Creator"): date(2022, 11, 4),  # Barn2 too, the same sentence
    # "Application closing date: October 31, 2022"
    ("remote-devops-sysadmin-jobs.rss", "Senior Site Reliability Engineer"): date(2022, 10, 31),
    # "Applications close 21 November, 2022"
    ("remote-full-stack-programming-jobs.rss",
     "Fullstack JavaScript Developer (Remote / Part-time / Freelance)"): date(2022, 11, 21),
    # Listings Project: "This position will remain open until October, 28, 2022."
    ("remote-design-jobs.rss", "Product/UX Designer"): date(2022, 10, 28),
}
# Cables and Sensors, posted 6 October 2022: "Deadline for submissions is 11/4/2022", 11 April
# or 4 November: both passed before the job is re-dated, as the demo re-dates it.
CABLES_AND_SENSORS = ("remote-customer-support-jobs.rss",
                      "Customer Experience Representative, 100% Remote")
RE_DATED_DEADLINES = {**WWR_DEADLINES, CABLES_AND_SENSORS: date(2022, 11, 4),
                      ("remote-jobs.rss", CABLES_AND_SENSORS[1]): date(2022, 11, 4)}
REMOTIVE_DEADLINES = {  # "Deadline is January 11th, 2026 (end of day)." on a line of its own
    "Content Marketing Manager": date(2026, 1, 11),
    "Customer Support Representative": date(2026, 1, 4),
}


def test_the_barn2_copywriter_job_closes_at_the_end_of_4_november_2022() -> None:
    posting = wwr_posting(SALES_FEED, COPYWRITER)
    assert (posting.company, posting.posted_at) == ("Barn2 Plugins", POSTED)
    assert "Closing date: Friday 4 November, 2022" in posting.description_text
    assert stated(posting) == datetime(2022, 11, 4, 23, 59, 59, tzinfo=UTC)


def test_the_recorded_wwr_feeds_state_these_deadlines_and_no_others() -> None:
    found = {(feed.name, posting.title): closes.date()
             for feed in sorted(WWR.glob("*.rss")) for posting in wwr_feed(feed.name)
             if (closes := stated(posting)) is not None}
    assert found == WWR_DEADLINES


def test_the_recorded_wwr_feeds_re_dated_to_today_state_these_deadlines_and_no_others() -> None:
    found = {(feed.name, posting.title): closes.date()
             for feed in sorted(WWR.glob("*.rss")) for posting in wwr_feed(feed.name)
             if (closes := stated_closing(posting.description_text, NOW)) is not None}
    assert found == RE_DATED_DEADLINES


def test_the_recorded_remotive_jobs_state_these_deadlines_and_no_others() -> None:
    body = (FIXTURES / "json" / "remotive" / "remotive_api_full_2025-12.json").read_bytes()
    postings = parse_remotive(body, "https://remotive.com/api/remote-jobs", "remotive")
    found = {posting.title: closes.date() for posting in postings
             if (closes := stated(posting)) is not None}
    assert found == REMOTIVE_DEADLINES


@pytest.mark.parametrize(
    ("text", "day"),
    [
        # recorded texts (benchmarks/data/linkedin_2018-07_california_data_analyst.csv)
        ("To ensure consideration of your application for the earliest round of interviews, "
         "please apply by 5:00 P.M. on July 25, 2018. This position requires", date(2018, 7, 25)),
        # markup dropped without spaces
        ("Date PostedJuly 18, 2018Closing DateAugust 1, 2018Link To Apply Online",
         date(2018, 8, 1)),
        # the cues and orders a deadline is written in
        ("Closing date for applications: 4 November 2022", date(2022, 11, 4)),
        ("Application deadline: 4th November 2022", date(2022, 11, 4)),
        ("Deadline for applications is November 4, 2022.", date(2022, 11, 4)),
        ("Deadline to apply: Nov 4th 2022", date(2022, 11, 4)),
        ("Applications will close on 4 Nov. 2022", date(2022, 11, 4)),
        ("APPLICATIONS CLOSE ON FRIDAY 4 NOVEMBER 2022", date(2022, 11, 4)),
        ("Apply before 4-Nov-2022", date(2022, 11, 4)),
        ("Please apply no later than the 4th of November, 2022.", date(2022, 11, 4)),
        ("Applications must be received by 2022-11-04.", date(2022, 11, 4)),
        ("Applications must be submitted before 4 November 2022.", date(2022, 11, 4)),
        ("The role closes on Friday, November 4, 2022.", date(2022, 11, 4)),
        ("This posting closes 4 November 2022", date(2022, 11, 4)),
        ("Deadline: 4 Sept 2022", date(2022, 9, 4)),
        ("• Deadline: 4 November 2022", date(2022, 11, 4)),
        ("Closes: 4 November 2022", date(2022, 11, 4)),
        ("Closing date:\n4 November 2022", date(2022, 11, 4)),  # a label above its value
        ("Please apply\xa0by 4\xa0November\xa02022.", date(2022, 11, 4)),  # "&nbsp;" in the page
        # recorded: We Work Remotely 2022-11 (Listings Project; Phase Locked Software's heading),
        # benchmarks/data/linkedin_2018-07_california_data_analyst.csv (no month is 23)
        ("This position will remain open until October, 28, 2022.", date(2022, 10, 28)),
        ("Position: Fullstack JavaScript Developer\nOPEN until 21 November, 2022\n",
         date(2022, 11, 21)),
        ("Application Deadline7/23/2018 11:55 PM Pacific", date(2018, 7, 23)),
        # how else a posting says it stays open until a day
        ("The role remains open until 4 November 2022.", date(2022, 11, 4)),
        ("The vacancy is open until Nov 4, 2022.", date(2022, 11, 4)),
        ("Applications are open until 4 November 2022.", date(2022, 11, 4)),
        ("Applications open until 4 November 2022.", date(2022, 11, 4)),
        ("This job will stay open until the 4th of November, 2022.", date(2022, 11, 4)),
        ("We are accepting applications until 4 November 2022.", date(2022, 11, 4)),
        ("Applications are open until Friday, 4 November 2022.", date(2022, 11, 4)),
        ("The role is open until the 4th of November, 2022.", date(2022, 11, 4)),
        # a numeric date with one reading: day first, month first, or the same either way
        ("Closing date: 25/11/2022", date(2022, 11, 25)),
        ("Closing date: 25.11.2022", date(2022, 11, 25)),
        ("Apply by 11-25-2022.", date(2022, 11, 25)),
        ("Closing date: 4/4/2022", date(2022, 4, 4)),
    ],
)
def test_a_deadline_after_its_cue_is_the_end_of_its_day(text: str, day: date) -> None:
    assert stated_closing(text, None) == end_of(day)


@pytest.mark.parametrize(
    "text",
    [
        # recorded texts: We Work Remotely 2022-11, HN "Who is hiring" 2026-02, topjobs.lk,
        # benchmarks/data/linkedin_2018-07_california_data_analyst.csv
        "Deadline for submissions is 11/4/2022",
        "Apply by sending an email to hiring-dev@narrative.io.",
        "This is a deadline-driven business, so anyone who gets frazzled near a tax deadline or "
        "disorganized will struggle.",
        "The ability to perform under tight deadlines.",
        "(first posting closes Feb 17)",
        "Edit: APPLICATIONS CLOSED - We are now reviewing submitted applications",
        "Closing Date: 10/07/2026",
        "Status: OpenClosing Date: Applicant review and screening will begin on or around "
        "7/15/2018",
        # no cue, a cue that is no application's deadline, no date that can be read
        "You meet tight deadlines; our launch is 4 November 2022.",
        "We are deadline-driven\n4 November 2022 is our launch.",
        "Project deadline: 4 November 2022",
        "Deadline - 4 November 2022",  # a line's "Deadline" takes a colon or "is"
        "The project deadline is 4 November 2022.",
        "Our foreclosing date was 4 November 2022.",
        "Apply by emailing us at jobs@example.org.",
        "Apply by emailing us. Our office opened on 4 November 2022.",
        "Closing date: to be confirmed\nFounded 4 November 2022",
        "Closing date: 04/11/2022",
        "Closing date: 04/11/2022 (4 November 2022)",
        "Closing date: 4 November",
        "Closing date: November 2022",
        "Closing date: 31 February 2023",
        "Closing date: when we have read every application, by 4 November 2022",  # beyond reach
        # recorded (Himalayas 2026-02); "open until" said of no posting; not a date
        "the application window will remain open until at least the date and time stated above",
        "Our office is open until 4 November 2022.",
        "The survey remains open until 4 November 2022.",
        "Open until filled. Start date 4 November 2022.",
        "This position will remain open until filled, with a start date of 4 November 2022.",
        "Applications are open until further notice; interviews from 4 November 2022.",
        "We are accepting applications until the role is filled (start: 4 November 2022).",
        # what else follows "open until" is no deadline, whatever date comes after (an
        # attacker's probe: each hid an open job)
        "The role will remain open until we find the right person, start date 4 November 2022.",
        "The position will remain open until it's filled, starting 4 November 2022.",
        "The position is open until a suitable candidate is found, start 4 November 2022",
        "The position will remain open until the right candidate is hired; start 1 Nov 2022",
        "We will not be accepting applications until November 4, 2022.",  # when they open
        "We are not accepting applications until November 4, 2022.",
        "Open until 5pm, Monday to Friday; closed on 25/10/2022",  # an office's hours
        # a numeric date read two ways while either may be to come, or not read at all
        "Closing date: 01/11/2022",  # 1 November or 11 January; posted 21 October
        "Closing date: 04/11/22",  # no century
        "Closing date: 2022/11/04",  # year first, but not as ISO 8601 writes it
        "Closing date: 31/02/2022",
        "Closing date: 13/13/2022",
        "Closing date: 25/11/2024",  # one reading, more than a year after the posting
    ],
)
def test_no_deadline_is_read_where_none_is_stated_readably(text: str) -> None:
    assert stated_closing(text, POSTED) is None


def test_the_first_cue_with_a_date_decides() -> None:
    text = ("Apply by email to jobs@example.org. Applications close 4 November 2022; "
            "the second round closes 18 November 2022.")
    assert stated_closing(text, POSTED) == end_of(date(2022, 11, 4))


def test_a_cue_with_a_numeric_date_ends_the_search() -> None:
    text = "Closing date: 04/11/2022. Interviews from 18 November 2022: apply by 14 Nov 2022."
    assert stated_closing(text, POSTED) is None


@pytest.mark.parametrize(
    ("posted_at", "stands"),
    [
        (datetime(2022, 11, 6, 1, 0, tzinfo=UTC), True),  # re-dated after it closed
        (datetime(2021, 11, 4, 0, 0, tzinfo=UTC), True),
        (datetime(2021, 11, 1, 0, 0, tzinfo=UTC), False),  # more than a year ahead
        (None, True),  # no date to check it by
    ],
)
def test_a_deadline_a_year_after_the_posting_date_is_none(
    posted_at: datetime | None, stands: bool
) -> None:
    closes = stated_closing("Closing date: 4 November 2022", posted_at)
    assert closes == (end_of(date(2022, 11, 4)) if stands else None)


@pytest.mark.parametrize(
    ("posted_at", "closes"),
    [
        (datetime(2022, 10, 6, 19, 19, 10, tzinfo=UTC), None),  # when it was posted
        (datetime(2022, 6, 1, tzinfo=UTC), None),  # after 11 April, before 4 November
        (datetime(2022, 11, 4, 12, 0, tzinfo=UTC), None),  # 4 November has not yet passed
        (datetime(2022, 11, 5, tzinfo=UTC), end_of(date(2022, 11, 4))),
        (None, None),  # no date to tell a stale copy by
    ],
)
def test_a_numeric_date_read_two_ways_closes_the_job_once_both_passed_before_it_was_posted(
    posted_at: datetime | None, closes: datetime | None
) -> None:
    assert stated_closing("Deadline for submissions is 11/4/2022", posted_at) == closes


@pytest.mark.parametrize(
    ("feed", "title", "day"),
    [
        (SALES_FEED, COPYWRITER, date(2022, 11, 4)),
        ("remote-design-jobs.rss", "Product/UX Designer", date(2022, 10, 28)),
        (*CABLES_AND_SENSORS, date(2022, 11, 4)),
    ],
)
def test_a_job_re_dated_years_after_the_deadline_its_text_states_is_closed(
    feed: str, title: str, day: date
) -> None:
    # As the demo's recordings are re-dated to look current: the text still says 2022.
    posting = wwr_posting(feed, title)
    closes = stated_closing(posting.description_text, datetime(2026, 11, 30, tzinfo=UTC))
    assert closes == end_of(day)


def only_prepared(posting: Posting) -> Posting:
    """``posting`` as the collect stage prepares it for the store."""
    [ready] = prepared([posting])
    return ready.posting


def test_intake_closes_a_posting_by_the_deadline_its_text_states() -> None:
    posting = replace(wwr_posting(SALES_FEED, COPYWRITER), closes_at=None)
    assert only_prepared(posting).closes_at == end_of(date(2022, 11, 4))


def test_intake_closes_a_posting_by_a_deadline_in_its_title() -> None:
    posting = Posting(source="board", external_id="1", url="https://jobs.example/1",
                      title="Copywriter (closing date 4 November 2022)", posted_at=POSTED)
    assert only_prepared(posting).closes_at == end_of(date(2022, 11, 4))


@pytest.mark.parametrize(
    ("source_says", "closes"),
    [
        # the board's listing ends 20 November; the employer's deadline comes first
        (datetime(2022, 11, 20, 14, 43, 55, tzinfo=UTC), end_of(date(2022, 11, 4))),
        (datetime(2022, 11, 1, 12, 0, tzinfo=UTC), datetime(2022, 11, 1, 12, 0, tzinfo=UTC)),
    ],
)
def test_intake_keeps_the_earlier_of_the_source_and_the_text(
    source_says: datetime, closes: datetime
) -> None:
    posting = replace(wwr_posting(SALES_FEED, COPYWRITER), closes_at=source_says)
    assert only_prepared(posting).closes_at == closes


def test_intake_leaves_the_closing_of_a_posting_that_states_no_deadline() -> None:
    posting = wwr_feed("remote-front-end-programming-jobs.rss")[0]  # its <expires_at> only
    assert posting.closes_at is not None
    assert only_prepared(posting).closes_at == posting.closes_at
    assert only_prepared(replace(posting, closes_at=None)).closes_at is None


def test_collecting_the_recorded_feed_stores_the_copywriter_job_closed_on_4_november(
    store: Store, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        (WWR / SALES_FEED).read_bytes(), content_type="application/rss+xml")
    options = RssSource.Options.model_validate(
        {"name": "wwr", "type": "rss", "url": httpserver.url_for("/feed")})
    config = AppConfig(sources=(options,), http=HttpConfig(timeout=5, retries=0))
    collect_stage(config, store, lambda: NOW)
    closing = {stored.posting.title: stored.posting.closes_at for stored in store.postings()}
    assert closing[COPYWRITER] == end_of(date(2022, 11, 4))  # its expires_at: 20 November
    assert closing["Video Creator"] == end_of(date(2022, 11, 4))
