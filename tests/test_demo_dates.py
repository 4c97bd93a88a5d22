"""The demo serves its recordings as if captured yesterday: every date moved by one amount."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from aggregator.demo import CAPTURED_BEFORE, DEMO_DATA, as_captured_before

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
RSS = b"""<rss><channel>
<item><pubDate>Wed, 26 Oct 2022 22:31:18 +0000</pubDate>
<expires_at>Sat, 26 Nov 2022 22:31:18 +0000</expires_at></item>
<item><pubDate>Wed, 20 Jan 2021 20:29:59 -0500</pubDate></item>
</channel></rss>"""
BOARD = {
    "jobs": [
        {"updated_at": "2026-07-16T11:40:12-04:00"},
        {"publishedAt": "2026-04-07T17:12:35.753+00:00"},
        {"publication_date": "2026-07-26T20:49:11"},
        {"createdAt": 1637781959711},
    ]
}


def test_the_newest_date_lands_a_day_before_now_and_ages_are_kept() -> None:
    shifted = as_captured_before(RSS, NOW)

    before = [parsedate_to_datetime(d) for d in _pub_dates(RSS)]
    after = [parsedate_to_datetime(d) for d in _pub_dates(shifted)]
    assert max(after) == NOW - CAPTURED_BEFORE
    assert before[0] - before[1] == after[0] - after[1]  # the old job stays 21 months older


def test_every_date_form_of_the_board_apis_moves_by_the_same_amount() -> None:
    shifted = json.loads(as_captured_before(json.dumps(BOARD).encode(), NOW))

    moved = [
        _when(job) - _when(original)
        for job, original in zip(shifted["jobs"], BOARD["jobs"], strict=True)
    ]
    assert len(set(moved)) == 1 and moved[0] > timedelta(days=100)
    assert max(_when(job) for job in shifted["jobs"]) == NOW - CAPTURED_BEFORE
    assert shifted["jobs"][1]["publishedAt"].endswith(".753+00:00")  # the form is kept
    assert shifted["jobs"][0]["updated_at"].endswith("-04:00")


def test_a_recording_without_dates_or_already_recent_is_served_as_it_is() -> None:
    assert as_captured_before(b'{"jobs": []}', NOW) == b'{"jobs": []}'
    recent = b"<pubDate>Tue, 01 Dec 2026 10:00:00 +0000</pubDate>"
    assert as_captured_before(recent, NOW) == recent


def test_every_bundled_recording_with_dates_reads_as_captured_yesterday() -> None:
    for recording in sorted((DEMO_DATA / "feeds").iterdir()):
        served = as_captured_before(recording.read_bytes(), NOW)
        dates = [parsedate_to_datetime(d) for d in _pub_dates(served)]
        if dates:
            assert max(dates) == NOW - CAPTURED_BEFORE, recording.name


CALENDAR = b"""BEGIN:VCALENDAR\r
BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
BEGIN:STANDARD\r
DTSTART:19701025T030000\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
DTSTAMP:20260801T000000Z\r
DTSTART;TZID=Europe/Berlin:20260806T190000\r
DTEND;TZID=Europe/Berlin:20260806T220000\r
RRULE:FREQ=WEEKLY;UNTIL=20261231T000000Z\r
EXDATE;TZID=Europe/Berlin:20260813T190000,20260820T190000\r
SUMMARY:Meetup on 20260806\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTAMP:20260801T000000Z\r
DTSTART;VALUE=DATE:20260810\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_a_calendar_moves_by_whole_weeks_to_read_as_published_yesterday() -> None:
    """The demo's calendar is published (DTSTAMP) about a day before the demo, so its events
    lie in the weeks ahead, each on its weekday at its local time; a time zone's own rules
    (in VTIMEZONE) and the text do not move."""
    shifted = as_captured_before(CALENDAR, NOW).decode()
    lines = dict(line.split(":", 1) for line in shifted.split("\r\n") if ":" in line)
    stamp = datetime.strptime(shifted.split("DTSTAMP:")[1][:15], "%Y%m%dT%H%M%S")
    assert abs(stamp.replace(tzinfo=UTC) - (NOW - CAPTURED_BEFORE)) <= timedelta(days=3.5)
    start = datetime.strptime(lines["DTSTART;TZID=Europe/Berlin"], "%Y%m%dT%H%M%S")
    moved = start - datetime(2026, 8, 6, 19)
    assert moved.days % 7 == 0 and moved.seconds == 0 and start > NOW.replace(tzinfo=None)
    assert lines["DTEND;TZID=Europe/Berlin"] == (start + timedelta(hours=3)).strftime(
        "%Y%m%dT%H%M%S")
    assert lines["RRULE"] == f"FREQ=WEEKLY;UNTIL={(datetime(2026, 12, 31) + moved):%Y%m%d}T000000Z"
    assert lines["EXDATE;TZID=Europe/Berlin"] == ",".join(
        f"{day + moved:%Y%m%dT%H%M%S}" for day in (datetime(2026, 8, 13, 19),
                                                    datetime(2026, 8, 20, 19)))
    assert lines["DTSTART;VALUE=DATE"] == f"{datetime(2026, 8, 10) + moved:%Y%m%d}"
    assert "DTSTART:19701025T030000" in shifted and "SUMMARY:Meetup on 20260806" in shifted
    assert as_captured_before(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", NOW).count(b"\n") == 2

def _pub_dates(feed: bytes) -> list[str]:
    return [part.split(b"</pubDate>")[0].decode() for part in feed.split(b"<pubDate>")[1:]]


def _when(job: dict[str, object]) -> datetime:
    value = next(iter(job.values()))
    if isinstance(value, int):
        return datetime.fromtimestamp(value / 1000, UTC)
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
