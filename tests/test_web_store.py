"""The store's share of the web view on real SQLite and PostgreSQL: statuses as events,
private links kept only as hashes, and the migration that gives earlier verdicts a status."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from digestkit import NOW
from sqlalchemy import func, select, text
from webkit import save_matches, seeded

from aggregator.core.models import (
    Event,
    LeadStatus,
    Match,
    MenteeProgress,
    SourceState,
    Verdict,
)
from aggregator.store import SCHEMA_VERSION, Store, migrations
from aggregator.store.engine import open_engine
from aggregator.store.schema import lead_statuses
from aggregator.store.statuses import append_status, changing_status


def test_verdicts_given_before_the_web_view_become_statuses(
    tmp_path: Path, database_url: str
) -> None:
    config, store = seeded(tmp_path, database_url=database_url)
    lead = next(store.lead_postings()).lead_id
    store.record_feedback("sam-lee", lead, Verdict.APPLIED, NOW)
    with store.engine.begin() as conn:  # back to schema 4: verdicts, no statuses
        conn.execute(text("DROP TABLE lead_statuses"))
        conn.execute(text("DROP TABLE access_links"))
        conn.execute(text("UPDATE schema_version SET version = 4"))
    store.close()
    engine = open_engine(database_url)
    assert migrations.migrate(engine, database_url).applied == [*range(5, SCHEMA_VERSION + 1)]
    engine.dispose()
    store = Store(config.database_url)
    assert store.lead_statuses() == {"sam-lee": {lead: LeadStatus.APPLIED}}
    assert store.link_holder("0" * 64) is None
    store.close()


def test_the_latest_status_counts_and_undo_forgets_the_verdict(
    tmp_path: Path, database_url: str
) -> None:
    _, store = seeded(tmp_path, database_url=database_url)
    lead = next(store.lead_postings()).lead_id
    store.record_feedback("sam-lee", lead, Verdict.APPLIED, NOW)
    store.record_status("sam-lee", lead, LeadStatus.OFFER, NOW)
    assert store.lead_statuses(["sam-lee"]) == {"sam-lee": {lead: LeadStatus.OFFER}}
    assert store.lead_statuses(["alex-kim"]) == {}
    store.record_status("sam-lee", lead, None, NOW)
    assert store.lead_statuses() == {}
    assert store.feedback() == {}
    store.close()


def test_a_new_link_replaces_the_old_one(tmp_path: Path, database_url: str) -> None:
    _, store = seeded(tmp_path, database_url=database_url)
    store.save_link("mentee", "sam-lee", 1, "a" * 64, NOW)
    assert store.link_holder("a" * 64) == ("mentee", "sam-lee")
    assert store.link_generation("mentee", "sam-lee") == 1
    store.save_link("mentee", "sam-lee", 2, "b" * 64, NOW)
    assert store.link_holder("a" * 64) is None
    assert store.link_holder("b" * 64) == ("mentee", "sam-lee")
    assert store.link_generation("mentor", "sam-lee") is None
    store.close()


def test_the_page_version_changes_with_everything_a_page_shows(
    tmp_path: Path, database_url: str
) -> None:
    _, store = seeded(tmp_path, database_url=database_url)
    shown = {s.lead_id: s.posting for s in store.lead_postings()}
    sams = [m.lead_id for m in store.mentee_matches("sam-lee")[0]]
    alexs = [m.lead_id for m in store.mentee_matches("alex-kim")[0]]
    alex_only = next(lead for lead in alexs if lead not in sams)
    versions = [store.page_version("sam-lee")]

    def changed() -> bool:
        versions.append(store.page_version("sam-lee"))
        return versions[-1] != versions[-2]

    store.mentee_matches("sam-lee")
    store.record_status("alex-kim", alex_only, LeadStatus.INTERESTED, NOW)
    assert not changed(), "reading, or another mentee's word, changes nothing of Sam's page"
    store.record_status("sam-lee", sams[0], LeadStatus.OFFER, NOW)
    assert changed(), "a status"
    store.record_feedback("sam-lee", sams[1], Verdict.NOT_FOR_ME, NOW)
    assert changed(), "a verdict from `leads feedback`"
    edited = replace(shown[sams[2]], title="Renamed role")
    store.save_collected(SourceState(name=edited.source), [edited], NOW + timedelta(hours=1))
    assert changed(), "an edited posting"
    save_matches(store, {"sam-lee": [*sams, alex_only]})
    assert changed(), "a match run"
    event = Event("meetup", "e1", "Python night", NOW + timedelta(days=2))
    store.save_events("meetup", [event], NOW)
    assert changed(), "events collected"
    store.save_events("meetup", [replace(event, title="Python night II")], NOW + timedelta(hours=1))
    assert changed(), "a calendar collected again, with the same number of events"
    assert not changed()
    store.close()


def test_the_events_version_changes_when_events_are_saved(
    tmp_path: Path, database_url: str
) -> None:
    _, store = seeded(tmp_path, database_url=database_url)
    event = Event("meetup", "e1", "Python night", NOW + timedelta(days=2))
    before = store.events_version()
    store.save_events("meetup", [event], NOW)
    saved = store.events_version()
    store.save_events("meetup", [event], NOW + timedelta(hours=1))
    assert before != saved != store.events_version()
    assert store.events_version() == store.events_version()
    store.close()


def test_the_change_marker_moves_with_every_commit_from_anywhere(tmp_path: Path) -> None:
    config, store = seeded(tmp_path)  # SQLite: PostgreSQL has no such counter
    marker = store.change_marker()
    assert marker is not None
    store.lead_statuses()
    store.page_version("sam-lee")
    assert store.change_marker() == marker, "reading writes nothing"
    lead = next(store.lead_postings()).lead_id
    store.record_status("sam-lee", lead, LeadStatus.OFFER, NOW)  # through the store's pool
    assert store.change_marker() != marker
    marker = store.change_marker()
    other = Store(config.database_url)  # another process, as `leads links --rotate` is
    other.save_link("mentee", "sam-lee", 9, "c" * 64, NOW)
    other.close()
    assert store.change_marker() != marker
    store.close()


def test_postgresql_has_no_change_marker(postgres_database: str) -> None:
    store = Store(postgres_database)
    assert store.change_marker() is None
    store.close()


def test_a_rescore_keeps_the_leads_a_mentee_passed_on_to_take_back(
    tmp_path: Path, database_url: str
) -> None:
    """Seen on the web view: after the next `leads match` the lead marked Not for me was gone
    from the page's "Also hidden", so the mark could not be undone."""
    _, store = seeded(tmp_path, database_url=database_url)
    sams = [m.lead_id for m in store.mentee_matches("sam-lee")[0]]
    passed, other, late = sams[0], sams[1], sams[2]
    store.record_feedback("sam-lee", passed, Verdict.NOT_FOR_ME, NOW)
    before = {m.lead_id: m for m in store.mentee_matches("sam-lee")[0]}

    # The matcher hides the lead it read as not for them; it drops another as no match now.
    save_matches(store, {"sam-lee": [lead for lead in sams if lead not in (passed, other)]})
    after = {m.lead_id: m for m in store.mentee_matches("sam-lee")[0]}
    assert after[passed] == before[passed], "kept as it was"
    assert other not in after
    # Marked after the matcher read the marks: its result holds the lead, the old row stays.
    store.record_feedback("sam-lee", late, Verdict.NOT_FOR_ME, NOW)
    save_matches(store, {"sam-lee": sams})
    kept = {m.lead_id: m for m in store.mentee_matches("sam-lee")[0]}
    assert kept[late] == after[late] and kept[passed] == before[passed]
    # Taken back: the next re-score replaces the row like any other.
    store.record_status("sam-lee", passed, None, NOW)
    save_matches(store, {"sam-lee": [other]})
    assert sorted(m.lead_id for m in store.mentee_matches("sam-lee")[0]) == sorted([late, other])
    # A liked lead keeps its match too: scored again with itself in the profile, it came
    # out at 1.00, a "Strong fit" because the mentee liked it.
    liked = {m.lead_id: m for m in store.mentee_matches("sam-lee")[0]}[other]
    store.record_feedback("sam-lee", other, Verdict.APPLIED, NOW)
    stored = store.save_matches(
        [(MenteeProgress("sam-lee", "profile", "model", other),
          [Match("sam-lee", str(other), 1.0, why=("python",), gaps=())])],
        NOW + timedelta(hours=1), replace_all=True,
    )  # fmt: skip
    assert stored == 0, "kept, not stored again (`leads match` counted it as stored)"
    assert {m.lead_id: m for m in store.mentee_matches("sam-lee")[0]}[other] == liked
    # No longer found (the mentee now excludes its company): it goes, as any other, and no
    # digest offers it (seen: a liked lead at an excluded company still went to the mentor).
    assert store.save_matches(
        [(MenteeProgress("sam-lee", "profile", "model", other), [])],
        NOW + timedelta(hours=2), replace_all=True,
    ) == 0  # fmt: skip
    assert other not in {m.lead_id for m in store.mentee_matches("sam-lee")[0]}
    assert late in {m.lead_id for m in store.mentee_matches("sam-lee")[0]}, "not for me: kept"
    store.close()


def test_the_same_press_twice_at_once_is_one_status_and_no_error(
    tmp_path: Path, postgres_database: str
) -> None:
    """Seen: two identical presses at once (a double click) both read the old status; on
    PostgreSQL the second verdict then clashed with the first (a 503 to the mentee), on SQLite
    both were stored. The second now waits for the first and finds it done."""
    _, store = seeded(tmp_path, database_url=postgres_database)
    lead = store.mentee_matches("sam-lee")[0][0].lead_id
    inside, go = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def first() -> None:
        with changing_status(store.engine, "sam-lee", lead, "interested") as conn:
            assert conn is not None
            append_status(conn, "sam-lee", lead, "interested", NOW)
            inside.set()
            go.wait(30)

    def second() -> None:
        try:
            store.record_feedback("sam-lee", lead, Verdict.INTERESTED, NOW)
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    holder = threading.Thread(target=first)
    holder.start()
    assert inside.wait(30)
    waiter = threading.Thread(target=second)
    waiter.start()
    waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    with store.engine.connect() as conn:  # the second press queues on the first's lock
        while conn.execute(waiting).scalar_one() == 0 and waiter.is_alive():
            conn.rollback()
    go.set()
    holder.join(30)
    waiter.join(30)

    assert failures == []
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(func.count()).select_from(lead_statuses).where(lead_statuses.c.lead_id == lead)
        ).scalar_one()
    assert rows == 1
    assert store.feedback() == {}, "the first wrote the status only: the second did nothing"
    store.close()


def test_a_status_the_lead_has_already_is_not_stored_again(
    tmp_path: Path, database_url: str
) -> None:
    _, store = seeded(tmp_path, database_url=database_url)
    lead = store.mentee_matches("sam-lee")[0][0].lead_id

    def events() -> int:
        with store.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(lead_statuses)).scalar_one()

    store.record_feedback("sam-lee", lead, Verdict.APPLIED, NOW)
    store.record_feedback("sam-lee", lead, Verdict.APPLIED, NOW + timedelta(minutes=1))
    store.record_status("sam-lee", lead, LeadStatus.OFFER, NOW)
    store.record_status("sam-lee", lead, LeadStatus.OFFER, NOW)
    store.record_status("sam-lee", lead, None, NOW)
    store.record_status("sam-lee", lead, None, NOW)
    assert events() == 3
    assert store.lead_statuses() == {} and store.feedback() == {}
    store.close()


def test_a_calendars_last_items_are_its_events_kept_once(tmp_path: Path, database_url: str) -> None:
    """Its count after a 200 is what a 304 reports later, as unchanged: the same number."""
    _, store = seeded(tmp_path, database_url=database_url)
    store.save_collected(SourceState(name="meetup"), [], NOW)  # its state row, as a collect makes
    event = Event("meetup", "e1", "Python night", NOW + timedelta(days=2))
    again = replace(event, title="Python night (moved)")  # the same occurrence listed twice
    assert store.save_events("meetup", [event, again], NOW) == 1
    assert store.source_state("meetup").last_item_count == 1
    store.close()
