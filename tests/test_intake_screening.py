"""What may be stored, whatever the source: each case was seen when hostile feeds and boards
were served to `leads collect` on loopback (December 2026).

Items of one feed sharing an id were stored as one posting, the last of them, without a
word; items whose link was ``javascript:`` or that had no title were stored as leads; a
pubDate in the year 9999 kept a posting first and new for ever.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from aggregator.core.config import AppConfig, HttpConfig, SourceOptions
from aggregator.core.intake import FUTURE_SLACK, admitted, storable
from aggregator.core.models import Posting, RunReport
from aggregator.stages.collect import collect as collect_stage
from aggregator.store import Store
from sources.greenhouse import GreenhouseSource
from sources.ical import IcalSource
from sources.lever import LeverSource
from sources.rss import RssSource

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def rss(*items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Jobs</title>'
        f"<link>https://jobs.example/</link>{''.join(items)}</channel></rss>"
    ).encode()


def item(title: str, link: str = "", guid: str = "", extra: str = "") -> str:
    parts = [f"<title>{title}</title>" if title else "", f"<link>{link}</link>" if link else "",
             f"<guid>{guid}</guid>" if guid else "", extra]
    return f"<item>{''.join(parts)}<description>A job: {title}</description></item>"


def run(store: Store, httpserver: HTTPServer, kind: Any, body: bytes, **settings: Any
        ) -> RunReport:
    """One collect run of a source of ``kind`` served ``body`` on loopback, into ``store``."""
    httpserver.expect_request("/source").respond_with_data(body)
    options: SourceOptions = kind.Options.model_validate(
        {"name": "src", "type": kind.type, "url": httpserver.url_for("/source"), **settings}
    )
    config = AppConfig(sources=(options,), http=HttpConfig(timeout=5, retries=0))
    return collect_stage(config, store, lambda: NOW)


def stored(store: Store) -> list[Posting]:
    return sorted((s.posting for s in store.postings()), key=lambda p: p.title)


def test_items_of_a_feed_sharing_one_guid_are_each_stored_and_only_once(
    store: Store, httpserver: HTTPServer
) -> None:
    body = rss(*(item(f"Role {n}", f"https://jobs.example/{n}", guid="job") for n in range(5)))
    first = run(store, httpserver, RssSource, body)
    assert [p.title for p in stored(store)] == [f"Role {n}" for n in range(5)]
    again = run(store, httpserver, RssSource, body)  # their ids are stable: nothing new
    assert (first.sources[0].new, again.sources[0].new, again.sources[0].unchanged) == (5, 0, 5)


def test_items_without_a_guid_sharing_one_link_are_each_stored(
    store: Store, httpserver: HTTPServer
) -> None:
    body = rss(*(item(f"Role {n}", "https://jobs.example/careers") for n in range(4)))
    run(store, httpserver, RssSource, body)
    assert len(stored(store)) == 4


def test_the_same_job_listed_twice_under_one_guid_is_one_posting(
    store: Store, httpserver: HTTPServer
) -> None:
    twice = [item("Engineer", "https://jobs.example/1", "job", f"<category>{c}</category>")
             for c in ("a", "b")]
    run(store, httpserver, RssSource, rss(*twice))
    assert [p.title for p in stored(store)] == ["Engineer"]


def test_board_jobs_sharing_an_id_are_each_stored(store: Store, httpserver: HTTPServer) -> None:
    jobs = [{"id": 7, "title": title, "absolute_url": f"https://jobs.example/{n}"}
            for n, title in enumerate(("Analyst", "Designer", "Engineer"))]
    run(store, httpserver, GreenhouseSource, json.dumps({"jobs": jobs}).encode())
    assert [p.title for p in stored(store)] == ["Analyst", "Designer", "Engineer"]


def test_links_that_are_no_web_address_are_counted_not_stored(
    store: Store, httpserver: HTTPServer
) -> None:
    body = rss(
        item("Engineer", "https://jobs.example/1"),
        item("Free money", "javascript:alert(document.cookie)"),
        item("Also free", "data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;"),
    )
    report = run(store, httpserver, RssSource, body)
    assert [p.title for p in stored(store)] == ["Engineer"]
    assert report.sources[0].note == "2 items without title or link skipped"


def test_the_item_a_feed_is_cut_short_inside_is_said_then_stored_once_the_feed_is_whole(
    store: Store, httpserver: HTTPServer
) -> None:
    whole = rss(*(item(f"Role {n}", f"https://jobs.example/{n}") for n in range(3)))
    cut = whole[: whole.rindex(b"<description>")]  # the last item has its title and link only
    report = run(store, httpserver, RssSource, cut)
    assert [p.title for p in stored(store)] == ["Role 0", "Role 1"]
    assert (report.sources[0].error, report.sources[0].note) == (
        None, "1 item cut off where the feed ends, skipped")
    httpserver.clear_all_handlers()
    again = run(store, httpserver, RssSource, whole)
    assert [p.title for p in stored(store)] == ["Role 0", "Role 1", "Role 2"]
    assert (again.sources[0].new, again.sources[0].note) == (1, None)


def test_board_jobs_without_a_title_are_counted_not_stored_blank(
    store: Store, httpserver: HTTPServer
) -> None:
    jobs = [{"id": "1", "text": "Engineer", "hostedUrl": "https://jobs.lever.co/acme/1"},
            {"id": "2", "text": None, "hostedUrl": None}, {"id": "3"}]
    report = run(store, httpserver, LeverSource, json.dumps(jobs).encode(), company="acme")
    assert [p.title for p in stored(store)] == ["Engineer"]
    assert report.sources[0].note == "2 items without title or link skipped"


def test_a_date_after_the_fetch_is_no_date_and_the_job_ages_from_first_seen(
    store: Store, httpserver: HTTPServer
) -> None:
    later_today = (NOW + timedelta(hours=12)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    body = rss(
        item("Pinned", "https://jobs.example/1", extra="<pubDate>Fri, 01 Jan 9999 00:00:00 GMT"
             "</pubDate>"),
        item("Time zones", "https://jobs.example/2", extra=f"<pubDate>{later_today}</pubDate>"),
    )
    run(store, httpserver, RssSource, body)
    rows = {s.posting.title: s for s in store.postings()}
    assert rows["Pinned"].posting.posted_at is None and rows["Pinned"].first_seen == NOW
    assert rows["Time zones"].posting.posted_at == NOW + timedelta(hours=12)  # within a day


def test_control_characters_are_taken_out_of_a_link() -> None:
    # A board's JSON can carry them; printed raw (`leads postings --format csv`), an escape
    # sequence in a link would drive the terminal.
    hidden = Posting(source="s", external_id="1", title="Engineer",
                     url=" https://jobs.example/1\x1b[2J\x9b31m\x07")
    assert admitted(hidden).url == "https://jobs.example/1"


@pytest.mark.parametrize(
    ("title", "url", "kept"),
    [("Engineer", "https://a.example/1", True), ("Engineer", "HTTP://a.example/1", True),
     ("  ", "https://a.example/1", False), ("\x1b[2J", "https://a.example/1", False),
     ("Engineer", "", False), ("Engineer", "ftp://a.example/1", False),
     ("Engineer", "mailto:jobs@a.example", False)],
)
def test_a_lead_has_a_title_and_a_web_link(title: str, url: str, kept: bool) -> None:
    posting = Posting(source="s", external_id="1", title=title, url=url)
    assert storable([posting], NOW) == (([posting], 0) if kept else ([], 1))


def test_a_date_is_kept_up_to_a_day_after_the_fetch() -> None:
    dated = [Posting(source="s", external_id="1", title="T", url="https://a.example/",
                     posted_at=NOW + slack)
             for slack in (FUTURE_SLACK, FUTURE_SLACK + timedelta(seconds=1))]
    kept, _ = storable(dated, NOW)
    assert [p.posted_at for p in kept] == [NOW + FUTURE_SLACK, None]


@pytest.mark.parametrize(
    ("closes_at", "kept"),
    [
        (NOW + timedelta(days=366), True),
        (NOW - timedelta(days=3653), True),  # a re-dated ad of a job closed long ago
        (NOW + timedelta(days=367), False),
        # A board's "9999-12-31": no deadline, and a digest in Berlin could not show it
        # (Python's dates end there in UTC); nor is "0001-01-01" one.
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), False),
        (datetime(1, 1, 1, tzinfo=UTC), False),
    ],
)
def test_a_closing_date_far_from_the_fetch_is_no_date(closes_at: datetime, kept: bool) -> None:
    posting = Posting(source="s", external_id="1", title="T", url="https://a.example/",
                      closes_at=closes_at)
    [stored], _ = storable([posting], NOW)
    assert stored.closes_at == (closes_at if kept else None)


def test_bidi_controls_leave_what_is_shown_of_an_event(
    store: Store, httpserver: HTTPServer
) -> None:
    # Seen: a right-to-left override kept in an event's title and organiser, in the mentee's
    # page and the Forward email, where posting titles and companies lose it.
    calendar = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//probe//EN\r\nBEGIN:VEVENT\r\n"
        "UID:1@probe\r\nDTSTAMP:20261130T090000Z\r\nDTSTART:20261210T180000Z\r\n"
        "SUMMARY:Python \u202eputeeM\u202c night\r\n"
        'ORGANIZER;CN="Berlin \u202eorg":mailto:hi@example.org\r\n'
        "LOCATION:Spreeufer 10\\, Berlin\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    run(store, httpserver, IcalSource, calendar.encode(), city="Berlin")
    (event,) = store.upcoming_events(NOW, NOW + timedelta(days=30))
    assert (event.title, event.organiser) == ("Python puteeM night", "Berlin org")
