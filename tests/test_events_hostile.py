"""Event calendars and feeds written to hurt: recurrence bombs, broken properties, absurd ends,
terminal escapes, times without a zone, and a calendar taken out of the config."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_events import CONFIG, at, config, leads  # noqa: F401 (config is a fixture)

from aggregator.core.models import Posting
from digests.prep import prep_record, prep_text
from matchers import Profile
from matchers.prep import prepare
from sources.events_rss import parse_events_feed
from sources.ical import EventSourceOptions, parse_calendar

NOW = datetime(2026, 12, 1, tzinfo=UTC)
GOOD = "UID:good\r\nDTSTART:20261210T180000Z\r\nSUMMARY:Python meetup\r\n"


def calendar(*events: str, head: str = "") -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{event}END:VEVENT\r\n" for event in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\n{head}{body}END:VCALENDAR\r\n".encode()


def parsed(body: bytes, **settings: object) -> tuple[list[str], int]:
    chosen = EventSourceOptions.model_validate(
        {"name": "cal", "type": "ical", "url": "https://example.org/cal.ics", **settings}
    )
    found, skipped = parse_calendar(body, chosen.url, chosen, NOW)
    return [e.title for e in found], skipped


def series(uid: str, start: str, rule: str) -> str:
    return f"UID:{uid}\r\nDTSTART:{start}\r\nSUMMARY:{uid}\r\nRRULE:{rule}\r\n"


@pytest.mark.parametrize(
    "rule",
    [
        # A daily rule from the year 1000: 375,000 steps from DTSTART, walked again for every
        # slice of the window (it held `leads collect` for 90 s, past its source_deadline).
        series("ancient", "10000101T180000Z", "FREQ=DAILY"),
        # Matches no day: dateutil walks it to the year 9999 (6 s each).
        series("feb30", "20260101T180000Z", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"),
        # FREQ=DAILY, but every minute of the day.
        series("minutes", "20261201T000000Z",
               "FREQ=DAILY;BYMINUTE=" + ",".join(map(str, range(60)))),
    ],
)
def test_a_recurrence_bomb_is_skipped_and_counted_the_rest_kept(rule: str) -> None:
    titles, skipped = parsed(calendar(rule, GOOD))

    assert titles == ["Python meetup"] and skipped == 1


def test_a_long_running_weekly_series_is_still_expanded() -> None:
    body = calendar(series("weekly", "19900101T180000Z", "FREQ=WEEKLY;BYDAY=MO"),
                    series("last", "20200131T180000Z",
                           "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"))  # fmt: skip

    titles, skipped = parsed(body, days_ahead=31)

    assert skipped == 0 and titles.count("weekly") == 4 and titles.count("last") == 1


def test_a_series_picked_by_position_is_expanded_unless_no_period_holds_it() -> None:
    """Outlook writes "the second Tuesday" as BYDAY=TU;BYSETPOS=2: every month has one, so it
    is no rule that may match nothing (a sixth Monday is: no month has one)."""
    body = calendar(
        series("second-tuesday", "20200114T180000Z", "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2"),
        series("sixth-monday", "20200106T180000Z", "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6"),
    )

    titles, skipped = parsed(body, days_ahead=62)

    assert titles == ["second-tuesday", "second-tuesday"] and skipped == 1


@pytest.mark.parametrize(
    "broken",
    [
        "UID:b\r\nDTSTART:20261210T180000Z\r\nSUMMARY:b\r\nRRULE:FREQ=NOPE\r\n",
        "UID:b\r\nDTSTART:20261210T180000Z\r\nSUMMARY:b\r\nRRULE:FREQ=DAILY;UNTIL=zzz\r\n",
        "UID:b\r\nDTSTART:notadate\r\nSUMMARY:b\r\n",
        "UID:b\r\nUID:c\r\nDTSTART:20261210T180000Z\r\nSUMMARY:b\r\n",
        # A date list nobody can read: the expansion dropped the series without a word.
        "UID:b\r\nDTSTART:20261210T180000Z\r\nSUMMARY:b\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n"
        "EXDATE:garbage\r\n",
        "UID:b\r\nDTSTART:20261210T180000Z\r\nSUMMARY:b\r\nRDATE:20261299T180000Z\r\n",
    ],
)
def test_one_broken_event_is_skipped_not_the_calendar(broken: str) -> None:
    # A bad RRULE escaped as an "internal error … please report it"; two UIDs failed the
    # whole calendar ("unhashable type: 'list'").
    assert parsed(calendar(broken, GOOD)) == (["Python meetup"], 1)


@pytest.mark.parametrize(
    "end",
    ["DTEND:99991231T235959Z\r\n", "DTEND:20261209T180000Z\r\n", "DURATION:P99999W\r\n"],
)
def test_an_absurd_end_is_dropped_and_the_event_kept(end: str) -> None:
    # DTEND in 9999 raised OverflowError (an internal error); DURATION:P99999W never ended;
    # an end before the start moved the event to that day.
    chosen = EventSourceOptions.model_validate({"name": "c", "type": "ical", "url": "https://e/c"})
    body = calendar(f"UID:x\r\nDTSTART:20261210T180000Z\r\nSUMMARY:Talk\r\n{end}", GOOD)

    found, skipped = parse_calendar(body, chosen.url, chosen, NOW)

    talk = next(e for e in found if e.title == "Talk")
    assert skipped == 0 and talk.start == datetime(2026, 12, 10, 18, tzinfo=UTC)
    assert talk.end is None or talk.end == talk.start


def test_a_broken_geo_or_an_unusable_calendar_zone_loses_nothing() -> None:
    body = calendar(GOOD.replace("UID:good", "UID:geo") + "GEO:abc\r\n", GOOD,
                    head="X-WR-TIMEZONE:../../etc/passwd\r\n")  # fmt: skip

    assert parsed(body, latitude=52.5, longitude=13.4) == (["Python meetup"] * 2, 0)


def test_a_calendar_written_in_latin_1_reads_as_written() -> None:
    """RFC 5545 says UTF-8, but older exporters write Windows-1252: "Café München", not
    replacement characters. UTF-8 stays UTF-8."""
    event = "UID:1\r\nDTSTART:20261203T180000Z\r\nSUMMARY:Café München \u2013 Meetup\r\n"
    for encoding in ("cp1252", "utf-8"):
        written = calendar(event).decode().encode(encoding)
        assert parsed(written) == (["Café München \u2013 Meetup"], 0)


def test_terminal_escapes_never_reach_an_events_text() -> None:
    escape = "\x1b[31mRED\x1b[0m \x1b]8;;https://evil.example\x1b\\\\here\x1b]8;;\x1b\\\\\x07"
    body = calendar(f"UID:e\r\nDTSTART:20261210T180000Z\r\nSUMMARY:Meetup {escape}\r\n"
                    f"LOCATION:Berlin {escape}\r\nDESCRIPTION:Talks {escape}\r\n")  # fmt: skip
    feed = f"""<?xml version="1.0"?><rss version="2.0"
xmlns:ev="http://purl.org/rss/1.0/modules/event/"><channel><title>t</title><item>
<title>Meetup {escape}</title><link>https://example.org/e</link>
<ev:startdate>2026-12-10T18:00:00Z</ev:startdate><ev:location>Berlin {escape}</ev:location>
</item></channel></rss>""".replace("\x1b", "&#27;").replace("\x07", "&#7;").encode()
    chosen = EventSourceOptions.model_validate({"name": "c", "type": "ical", "url": "https://e/c"})

    found = [*parse_calendar(body, chosen.url, chosen, NOW)[0],
             *parse_events_feed(feed, chosen.url, chosen, NOW)[0]]  # fmt: skip

    assert len(found) == 2
    for event in found:
        shown = f"{event.title}{event.venue}{event.description}"
        assert "\x1b" not in shown and "\x07" not in shown
        assert event.title.startswith("Meetup RED")


def test_an_events_feed_time_without_a_zone_is_the_sources_and_shown_there() -> None:
    feed = b"""<?xml version="1.0"?><rss version="2.0"
xmlns:ev="http://purl.org/rss/1.0/modules/event/"><channel><title>t</title>
<item><title>Local</title><link>https://example.org/1</link>
<ev:startdate>2026-12-10T18:30:00</ev:startdate><ev:enddate>2026-12-10T17:00:00</ev:enddate></item>
<item><title>Offset</title><link>https://example.org/2</link>
<ev:startdate>2026-12-11T18:30:00+01:00</ev:startdate></item>
</channel></rss>"""
    chosen = EventSourceOptions.model_validate(
        {"name": "rss", "type": "events_rss", "url": "https://e/r", "timezone": "Europe/Berlin"}
    )

    local, offset = parse_events_feed(feed, chosen.url, chosen, NOW)[0]

    # Read as UTC and shown as "17:30 UTC" before: an hour off, in the wrong place's time.
    assert (local.start.hour, local.timezone) == (18, "Europe/Berlin")
    assert local.start.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    assert local.end is None  # it ended before it started
    assert (offset.start.hour, offset.timezone) == (18, "Europe/Berlin")


def test_a_prep_sheet_carries_no_control_or_bidi_characters() -> None:
    job = Posting(source="x", external_id="1", url="", title="Analyst \u202egnp.exe",
                  description_text="Analyse campaign data in SQL and review \u202egnp.exe\u202c "
                                   "reports daily.\nBuild dashboards in Tableau \x1b[2J"
                                   "for the sales team \u009b31m.")  # fmt: skip
    sheet = prepare(job, Profile(id="sam", skills=("SQL",), roles=("Analyst",)), lead=1)

    # `leads prep --format json` wrote the override raw to the terminal, and the Forward
    # email carried it: "review exe.png" read backwards.
    shown = json.dumps(prep_record(sheet), ensure_ascii=False) + prep_text(sheet)
    for character in ("\u202e", "\u202c", "\x1b", "\u009b"):
        assert character not in shown
    assert "gnp.exe" in shown


def test_a_calendar_taken_out_of_the_config_is_no_longer_suggested(
    config: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at(monkeypatch, datetime(2026, 12, 1, tzinfo=UTC))
    leads(config, "collect")
    assert "Python & Django Meetup" in leads(config, "events", "--mentee", "sam-lee").output

    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("- {name: nyc,", "- {enabled: false, name: nyc,"), "utf-8")
    shown = leads(config, "events", "--mentee", "sam-lee").output

    assert "Python & Django Meetup" not in shown and "Webinar" not in shown
    assert CONFIG  # the shared example the fixture writes
