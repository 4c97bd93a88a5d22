"""Networking events: real recorded calendars (from the recurring-ical-events test suite) and a
hostile one, served on 127.0.0.1, collected into real SQLite and suggested to a mentee in
Berlin and one in New York."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import lxml.html
import pytest
from digestkit import make_digest
from typer.testing import CliRunner, Result

import aggregator.cli.collect as collect_command
import aggregator.cli.events as events_command
from aggregator.cli import app
from aggregator.core.errors import FeedFormatError
from aggregator.core.models import Event, EventSuggestion
from aggregator.loopback import serve_directory
from digests.render import render_digest
from matchers import Profile
from matchers.events import EventSettings, distance_km, fit_event_matcher, suggest_events
from sources.events_rss import parse_events_feed
from sources.ical import MAX_OCCURRENCES, EventSourceOptions, parse_calendar

FIXTURES = Path(__file__).parent / "fixtures"
ICAL = FIXTURES / "ical"
POTSDAM = (52.40, 13.05)  # the machBar, Potsdam
COTTBUS = (51.76, 14.33)  # FabLab Cottbus


def options(**settings: object) -> EventSourceOptions:
    return EventSourceOptions.model_validate(
        {"name": "cal", "type": "ical", "url": "https://example.org/cal.ics", **settings}
    )


def events_of(name: str, now: datetime, **settings: object) -> list[Event]:
    chosen = options(**settings)
    return parse_calendar((ICAL / f"{name}.ics").read_bytes(), chosen.url, chosen, now)[0]


def test_recurring_events_are_expanded_and_exdates_honoured() -> None:
    found = events_of("rdate", datetime(2015, 7, 1, tzinfo=UTC), days_ahead=10)

    days = sorted(e.start.date() for e in found if "exdate removes" in e.title)
    assert date(2015, 7, 4) in days and date(2015, 7, 6) in days
    assert date(2015, 7, 5) not in days  # EXDATE removes the RDATE'd occurrence again


def test_weekly_rule_with_count_expands_to_each_occurrence() -> None:
    found = events_of("machbar_16_feb_2019", datetime(2019, 3, 1, tzinfo=UTC), days_ahead=30)

    hackademy = [e for e in found if e.title == "Open Health HACKademy - freie Termine"]
    # RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO,TU,WE from 4 March 2019: six afternoons.
    assert [e.start.day for e in hackademy] == [4, 5, 6, 11, 12, 13]
    assert {e.start.hour for e in hackademy} == {14}
    assert len({e.external_id for e in found}) == len(found)


def test_cancelled_occurrences_are_dropped() -> None:
    found = events_of("issue_18_cancel_status", datetime(2020, 1, 27, tzinfo=UTC), days_ahead=7)

    assert [e.start.day for e in found] == [28, 30]  # the 29th is STATUS:CANCELLED


def test_time_zones_are_honoured() -> None:
    new_york = events_of(
        "x_wr_timezone_simple_events_issue_59", datetime(2021, 12, 20, tzinfo=UTC)
    )
    berlin = events_of("machbar_16_feb_2019", datetime(2019, 3, 25, tzinfo=UTC), days_ahead=20)

    assert [(e.start.hour, e.timezone) for e in new_york] == [
        (12, "America/New_York"), (21, "America/New_York"),
    ]  # fmt: skip
    tec = [e.start for e in berlin if e.title.startswith("#TEC")]
    # Thursdays at 15:00 Berlin time, across the switch to summer time on 31 March.
    assert {t.hour for t in tec} == {15}
    assert {t.utcoffset().total_seconds() / 3600 for t in tec} == {1.0, 2.0}  # type: ignore[union-attr]


def test_community_calendar_fields() -> None:
    found = events_of(
        "fablab_cottbus", datetime(2018, 1, 1, tzinfo=UTC), city="Cottbus",
        latitude=COTTBUS[0], longitude=COTTBUS[1],
    )  # fmt: skip

    repair = next(e for e in found if e.title == "Repair Café")
    assert repair.venue.startswith("FabLab Cottbus @ Walther-Pauer-Straße 5")
    assert repair.city == "Cottbus" and not repair.online
    assert repair.url.startswith("http://blog.fablab-cottbus.de/")
    assert repair.start.tzinfo is not None and repair.timezone == "Europe/Berlin"


def test_discourse_and_thunderbird_exports() -> None:
    discourse = events_of("discourse_no_dtend", datetime(2019, 1, 1, tzinfo=UTC), days_ahead=90)
    thunderbird = events_of("issue_223_thunderbird", datetime(2025, 4, 20, tzinfo=UTC))

    assert [e.title for e in discourse][:2] == [
        "2019-01-17 openLab", "Hanf als nachhaltiges Material -- Workshop in der Machbar",
    ]  # fmt: skip
    # No DTEND; the Discourse URL is relative to the calendar's address.
    assert all(e.end is None or e.end >= e.start for e in discourse)
    assert discourse[0].url == "https://example.org/c/machbar/calendar"
    # A daily series whose 24 April occurrence was moved to 11:00, each day once.
    days = [(e.start.day, e.start.hour) for e in thunderbird]
    assert (24, 11) in days and (24, 9) not in days
    assert len({day for day, _ in days}) == len(days)
    assert {e.timezone for e in thunderbird} == {"Europe/London"}


def test_a_hostile_calendar_yields_safe_events_only() -> None:
    found = events_of("hostile", datetime(2026, 12, 1, tzinfo=UTC), city="New York")

    titles = sorted(e.title for e in found)
    # No event every second, none without a start, none of the 600 past ones.
    assert titles == [
        "Data Engineering Webinar: SQL pipelines", "Python & Django Meetup <b>Brooklyn</b>",
        "Python on Mars",
    ]  # fmt: skip
    for event in found:
        text = f"{event.description} {event.url}".lower()
        for marker in ("<script", "onerror", "javascript:", "<iframe", "onmouseover", "<b"):
            assert marker not in text
    meetup = next(e for e in found if e.title.startswith("Python & Django"))
    assert meetup.url == "" and meetup.organiser == "<i>NYC Python</i>"  # plain text, shown escaped
    assert next(e for e in found if "Webinar" in e.title).online
    mars = next(e for e in found if e.title == "Python on Mars")
    assert mars.timezone == "America/New_York"  # an unknown TZID falls back to the calendar's
    chosen = options(city="New York")
    body = (ICAL / "hostile.ics").read_bytes()
    _, skipped = parse_calendar(body, chosen.url, chosen, datetime(2026, 12, 1, tzinfo=UTC))
    assert skipped == 2  # the event without a start and the one every second


def test_occurrences_are_capped() -> None:
    found = events_of("machbar_16_feb_2019", datetime(2019, 1, 1, tzinfo=UTC), days_ahead=366)

    assert 0 < len(found) <= MAX_OCCURRENCES


def test_something_that_is_not_a_calendar_is_a_format_error() -> None:
    chosen = options()
    body = (FIXTURES / "rss" / "atom_careers_sample.xml").read_bytes()

    with pytest.raises(FeedFormatError, match="is not an iCalendar feed"):
        parse_calendar(body, chosen.url, chosen, datetime(2026, 1, 1, tzinfo=UTC))


def test_events_rss_reads_the_event_module() -> None:
    feed = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:ev="http://purl.org/rss/1.0/modules/event/"><channel><title>t</title>
<item><title>SQL for analysts &lt;b&gt;night&lt;/b&gt;</title><link>https://example.org/e/1</link>
<description>&lt;script&gt;x()&lt;/script&gt;Hands-on SQL.</description>
<ev:startdate>2026-12-03T18:00:00+01:00</ev:startdate><ev:location>Berlin, Mitte</ev:location>
<ev:organizer>Data Berlin</ev:organizer></item>
<item><title>No date</title><link>https://example.org/e/2</link></item>
</channel></rss>"""
    chosen = EventSourceOptions.model_validate(
        {"name": "rss", "type": "events_rss", "url": "https://example.org/events.rss"}
    )

    found, skipped = parse_events_feed(feed, chosen.url, chosen, datetime(2026, 12, 1, tzinfo=UTC))

    assert skipped == 1 and len(found) == 1
    event = found[0]
    assert event.venue == "Berlin, Mitte" and event.organiser == "Data Berlin"
    assert "script" not in event.description and "Hands-on SQL." in event.description


def test_an_events_feeds_links_are_made_whole_and_safe() -> None:
    """Event sites often link "/events/42": resolved on the feed's address, as a calendar's
    are; a link that is no web link is dropped, and what a URL may not hold is encoded."""
    items = "".join(
        f"<item><title>e{n}</title><link>{link}</link>"
        f"<ev:startdate>2026-12-0{n}T18:00:00+01:00</ev:startdate></item>"
        for n, link in enumerate(("/events/42", "javascript:alert(1)",
                                  "https://example.org/e/4&quot;&gt;&lt;script&gt;"), start=3))
    feed = ('<?xml version="1.0"?><rss version="2.0" '
            'xmlns:ev="http://purl.org/rss/1.0/modules/event/"><channel><title>t</title>'
            f"{items}</channel></rss>").encode()
    chosen = EventSourceOptions.model_validate(
        {"name": "rss", "type": "events_rss", "url": "https://example.org/feeds/events.rss"}
    )

    found, _ = parse_events_feed(feed, chosen.url, chosen, datetime(2026, 12, 1, tzinfo=UTC))

    assert [e.url for e in found] == ["https://example.org/events/42", "",
                                      "https://example.org/e/4%22%3E%3Cscript%3E"]


def test_distance_is_great_circle() -> None:
    assert 25 < distance_km((52.52, 13.40), POTSDAM) < 30
    assert 100 < distance_km((52.52, 13.40), COTTBUS) < 120


LENA = Profile(id="lena", skills=("Arduino", "Programmieren", "3D-Druck"),
               roles=("Maker", "Hardware engineer"), locations=("Berlin",))
SAM = Profile(id="sam", skills=("Python", "Django", "SQL"), roles=("Backend engineer",),
              locations=("New York",))


def test_berlin_and_new_york_mentees_get_events_near_them_on_their_topics() -> None:
    now = datetime(2019, 2, 20, tzinfo=UTC)
    potsdam = events_of("machbar_16_feb_2019", now, city="Potsdam",
                        latitude=POTSDAM[0], longitude=POTSDAM[1])
    cottbus = events_of("fablab_cottbus", datetime(2019, 2, 1, tzinfo=UTC), city="Cottbus",
                        latitude=COTTBUS[0], longitude=COTTBUS[1])
    events = [*potsdam, *cottbus]
    matcher = fit_event_matcher(events, [])

    found = suggest_events(matcher, [LENA, SAM], events, now, EventSettings(horizon_days=30))

    assert found["sam"] == []  # nothing in or near New York, nothing online
    lena = found["lena"]
    assert 1 <= len(lena) <= 3
    assert all(s.where == "27 km from Berlin" for s in lena)  # Potsdam, not Cottbus (108 km)
    assert len({s.event.title for s in lena}) == len(lena)  # a weekly meetup once
    assert all(now <= s.event.start < datetime(2019, 3, 22, tzinfo=UTC) for s in lena)


CONFIG = """\
http: {{retries: 0}}
events: {{horizon_days: 30}}
sources:
  - {{name: machbar, type: ical, url: "{base}ical/machbar_16_feb_2019.ics", city: Potsdam,
     latitude: 52.40, longitude: 13.05}}
  - {{name: fablab-cottbus, type: ical, url: "{base}ical/fablab_cottbus.ics", city: Cottbus}}
  - {{name: nyc, type: ical, url: "{base}ical/hostile.ics", city: New York}}
  - {{name: broken, type: ical, url: "{base}rss/atom_careers_sample.xml"}}
mentors:
  - {{id: maria, name: Maria Okafor, email: maria@example.org}}
mentees:
  - {{name: Lena Vogel, email: lena@example.org, mentor: maria, locations: [Berlin],
     skills: [Arduino, Programmieren, 3D-Druck], roles: [Maker, Hardware engineer]}}
  - {{name: Sam Lee, email: sam@example.org, mentor: maria, locations: [New York],
     skills: [Python, Django, SQL], roles: [Backend engineer]}}
"""


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    with serve_directory(FIXTURES) as base:
        path = tmp_path / "config.yaml"
        path.write_text(CONFIG.format(base=base), encoding="utf-8")
        yield path


def leads(config: Path, *args: str) -> Result:
    runner = CliRunner(env={"COLUMNS": "250"})
    return runner.invoke(app, ["--config", str(config), *args], catch_exceptions=False)


def at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    for module in (collect_command, events_command):
        monkeypatch.setattr(module, "clock", lambda: moment)


def test_leads_events_lists_each_mentees_events(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, datetime(2026, 12, 1, tzinfo=UTC))
    collected = leads(config, "collect")
    assert collected.exit_code == 1  # the broken calendar failed; the others were kept
    assert "broken" in collected.output

    sam = leads(config, "events", "--mentee", "sam-lee").output
    lena = leads(config, "events", "--mentee", "lena-vogel").output

    assert "Python & Django Meetup <b>Brooklyn</b>" in sam and "New York" in sam
    assert "Data Engineering Webinar" in sam and "Online (Zoom)" in sam
    assert "(online)" not in sam, "the venue says it is online already"
    assert "Brooklyn" not in lena



@pytest.mark.parametrize(
    ("venue", "city", "where", "shown"),
    [
        # Seen in the demo: "Spreeufer Coworking, Köpenicker Straße 10, Berlin (Berlin)".
        ("Spreeufer Coworking, Berlin", "", "Berlin", "Spreeufer Coworking, Berlin"),
        ("Spreeufer Coworking", "Berlin", "Berlin", "Spreeufer Coworking, Berlin"),
        ("Spreeufer Coworking, Berlin", "Berlin", "Berlin", "Spreeufer Coworking, Berlin"),
        ("Alte Halle", "Potsdam", "27 km from Berlin", "Alte Halle, Potsdam (27 km from Berlin)"),
        ("Online (Zoom)", "", "online", "Online (Zoom)"),
        ("", "", "online", "online"),
    ],
)
def test_where_an_event_is_is_said_once(venue: str, city: str, where: str, shown: str) -> None:
    event = Event(source="cal", external_id="1", title="Meetup",
                  start=datetime(2026, 12, 10, tzinfo=UTC),
                  venue=venue, city=city)
    assert EventSuggestion("sam", event, 0.5, where).place == shown

def test_only_future_events_within_the_horizon(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, datetime(2019, 2, 20, tzinfo=UTC))
    leads(config, "collect")

    lena = leads(config, "events", "--mentee", "lena-vogel").output
    at(monkeypatch, datetime(2019, 6, 1, tzinfo=UTC))
    later = leads(config, "events", "--mentee", "lena-vogel").output

    assert "27 km from Berlin" in lena
    assert "2019-02-2" in lena or "2019-03" in lena
    assert "27 km from Berlin" not in later  # those have passed; nothing newer was collected
    assert "No events for lena-vogel in the next 30 days (near Berlin or online" in later


def test_unknown_mentee_is_a_usage_error(config: Path) -> None:
    result = leads(config, "events", "--mentee", "sam-le")

    # As `leads matches` says it; it was "error: config.yaml: no mentee with id sam-le".
    assert result.exit_code == 2
    assert result.output.startswith("error: no mentee with id 'sam-le' (did you mean 'sam-lee'?)")


def test_the_digest_shows_at_most_three_events_per_mentee_escaped_with_a_forward_button() -> None:
    found = events_of("hostile", datetime(2026, 12, 1, tzinfo=UTC), city="New York")
    machbar = events_of("machbar_16_feb_2019", datetime(2019, 2, 20, tzinfo=UTC), city="Potsdam")
    suggestions = tuple(
        EventSuggestion("x", event, 0.5, "New York") for event in [*found, machbar[0]]
    )
    digest = make_digest(mentees=2, leads_per_mentee=1)
    first = replace(digest.sections[0], events=suggestions)
    digest = replace(digest, sections=(first, *digest.sections[1:]))
    name = first.mentee.name.split()[0]

    raw = render_digest(digest).as_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    tree = lxml.html.fromstring(html)
    cards = tree.find_class("event")
    assert len(cards) == 3 and html.count(f"Events near {name} this month") == 1
    assert "<b>Brooklyn</b>" not in html and "&lt;b&gt;Brooklyn&lt;/b&gt;" in html
    assert "<i>NYC Python</i>" not in html
    forwards = [a.get("href") for card in cards for a in card.iter("a")
                if a.text_content().startswith("Forward to")]
    assert len(forwards) == 3 and all(h.startswith("mailto:") for h in forwards)
    assert f"Events near {name} this month" in text
    assert "Python & Django Meetup <b>Brooklyn</b>" in text  # plain text is shown as written
    assert all(h in text for h in forwards)
    assert "Thu 10 Dec, 18:30 (America/New_York)" in text
    assert "Online" in text  # the webinar
    # As a lead's links are, an event's are numbered references under it (the Forward
    # email was a 600-character mailto line of its own between the event's lines).
    assert f"Forward to {name} [2]" in text or f"Forward to {name} [1]" in text
    cited = [line.split("] ", 1)[1] for line in text.splitlines()
             if re.match(r"^ {3}\[\d+\] (?:https?|mailto):\S+$", line)]
    assert set(forwards) <= set(cited)
    assert not any(line.strip().startswith("mailto:") for line in text.splitlines())
