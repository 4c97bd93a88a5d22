"""Closed jobs are no leads: a job whose applications have closed is never matched, offered
in a digest, shown untracked on a mentee's page or ranked offline; one still open says until
when. Real store (SQLite and PostgreSQL), real match and digest stages, an injected clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from aggregator.cli import app
from aggregator.cli import matching as matching_commands
from aggregator.core.config import AppConfig, load_config
from aggregator.core.models import (
    DigestLead,
    LeadStatus,
    Posting,
    SourceState,
    StoredMatch,
    StoredPosting,
    lead_closes_at,
)
from aggregator.postings_file import read_postings_jsonl
from aggregator.stages import digest as digest_stage
from aggregator.stages import match as match_stage
from aggregator.stages.rank import rank_offline, read_feedback_jsonl
from aggregator.store import Store, migrations
from aggregator.store.engine import open_engine
from digests.render import lead_view, render_digest
from sources import option_models
from web.pages import lead_rows, next_closing

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
MENTORING = """\
mentors:
  - {id: maria, name: Maria Okafor, email: maria@example.org, timezone: Europe/Berlin}
mentees:
  - name: Sam Lee
    email: sam@example.org
    mentor: maria
    skills: [python, django, postgresql]
    roles: [python developer]
    min_score: 0.01
"""
PYTHON_JOB = (
    "We are hiring a Python developer to build Django services on PostgreSQL. "
    "You know Python, Django and PostgreSQL well. Team: {team}."
)


def posting(key: str, closes_at: datetime | None, source: str = "board") -> Posting:
    """A Python developer job at its own company (``key``), closing at ``closes_at``."""
    return Posting(
        source=source,
        external_id=f"{source}-{key}",
        url=f"https://{source}.example.org/jobs/{key}",
        title="Python Developer",
        company=f"Company {key}",
        location="Berlin",
        posted_at=NOW - timedelta(days=3),
        description_text=PYTHON_JOB.format(team=key),
        closes_at=closes_at,
    )


JOBS = {
    "closed": posting("closed", NOW - timedelta(hours=1)),
    "open": posting("open", NOW + timedelta(days=13)),
    "undated": posting("undated", None),
    # On a board whose listing expired, and on the company's page, which still lists it.
    "relisted": posting("relisted", NOW - timedelta(days=1)),
}
COMPANY_PAGE = replace(JOBS["relisted"], source="careers", external_id="careers-relisted",
                       url="https://careers.example.org/relisted", closes_at=None)


def configured(folder: Path, database_url: str) -> AppConfig:
    path = folder / "config.yaml"
    path.write_text(f'storage: {{url: "{database_url}"}}\n{MENTORING}', encoding="utf-8")
    return load_config(path, option_models())


def seeded(folder: Path, database_url: str) -> tuple[AppConfig, Store]:
    config = configured(folder, database_url)
    store = Store(config.database_url)
    store.save_collected(SourceState(name="board"), list(JOBS.values()), NOW - timedelta(days=3))
    store.save_collected(SourceState(name="careers"), [COMPANY_PAGE], NOW - timedelta(days=3),
                         company_page=True)
    return config, store


def companies(leads: list[DigestLead]) -> set[str]:
    return {lead.match.posting.posting.company for lead in leads}


def offered(config: AppConfig, store: Store, now: datetime) -> list[DigestLead]:
    digest = digest_stage.compose(config, store, config.mentors[0], now).digest
    return [lead for section in digest.sections for lead in section.leads]


@pytest.fixture
def matched(tmp_path: Path, database_url: str) -> Iterator[tuple[AppConfig, Store]]:
    """The jobs stored three days ago and matched ``NOW``."""
    config, store = seeded(tmp_path, database_url)
    try:
        match_stage.match(config, store, lambda: NOW)
        yield config, store
    finally:
        store.close()


def test_a_closed_job_is_neither_matched_nor_offered(matched: tuple[AppConfig, Store]) -> None:
    config, store = matched

    found = {match.posting.posting.company for match in store.matches()}

    # The board's expired listing does not close the job its company still lists.
    assert found == {"Company open", "Company undated", "Company relisted"}
    assert companies(offered(config, store, NOW)) == found


def test_a_job_that_closes_after_it_was_matched_is_not_offered(
    matched: tuple[AppConfig, Store],
) -> None:
    later = offered(*matched, NOW + timedelta(days=14))  # "open" closed a day before

    assert companies(later) == {"Company undated", "Company relisted"}


def test_the_digest_says_until_when_to_apply(matched: tuple[AppConfig, Store]) -> None:
    leads = {lead.match.posting.posting.company: lead for lead in offered(*matched, NOW)}

    assert lead_view(leads["Company open"], UTC, NOW).closes == "closes 17 Dec"
    assert lead_view(leads["Company undated"], UTC, NOW).closes is None
    assert lead_view(leads["Company relisted"], UTC, NOW).closes is None


def test_the_plain_and_html_digest_show_the_closing_date(
    matched: tuple[AppConfig, Store],
) -> None:
    config, store = matched

    message = render_digest(digest_stage.compose(config, store, config.mentors[0], NOW).digest)

    for kind in ("plain", "html"):
        body = message.get_body((kind,))
        assert body is not None
        assert "posted 1 Dec · closes 17 Dec" in body.get_content()


def stored_match(job: Posting, lead_id: int, closes_at: datetime | None) -> StoredMatch:
    shown = StoredPosting(lead_id, job, NOW - timedelta(days=3), NOW, lead_id,
                          closes_at=closes_at)
    return StoredMatch("sam-lee", lead_id, 0.5, ("Python",), (), NOW, shown)


def test_the_mentee_page_lists_a_closed_job_only_while_they_track_it(tmp_path: Path) -> None:
    # At the moment itself, as the digest judges it: a deadline of now has passed.
    config = configured(tmp_path, "sqlite:///leads.db")
    mentee, mentor = config.mentees[0], config.mentors[0]
    second = timedelta(seconds=1)
    matches = [
        stored_match(posting("gone", NOW - timedelta(days=1)), 1, NOW - timedelta(days=1)),
        stored_match(JOBS["open"], 2, JOBS["open"].closes_at),
        stored_match(posting("applied", NOW - timedelta(days=2)), 3, NOW - timedelta(days=2)),
        stored_match(posting("now", NOW), 4, NOW),
        stored_match(posting("later", NOW + second), 5, NOW + second),
    ]

    rows = lead_rows(matches, {}, {3: LeadStatus.APPLIED}, mentee, mentor, NOW)

    assert [(row.lead_id, row.listed) for row in rows] == [
        (1, False), (2, True), (3, True), (4, False), (5, True)
    ]  # fmt: skip
    assert [row.card.closes for row in rows] == [
        "closed 3 Dec", "closes 17 Dec", "closed 2 Dec", "closed 4 Dec", "closes 4 Dec"
    ]  # fmt: skip
    assert next_closing(matches, NOW) == NOW + second


def test_a_lead_closes_when_every_sighting_has_closed() -> None:
    early, late = NOW - timedelta(days=2), NOW + timedelta(days=2)

    assert lead_closes_at([early, late]) == late
    assert lead_closes_at([early, None]) is None  # one sighting names no date: open
    assert lead_closes_at([]) is None


def test_offline_ranking_leaves_closed_postings_out_but_reads_verdicts_on_them(
    tmp_path: Path,
) -> None:
    records = [
        {"id": key, "title": job.title, "company": job.company, "location": job.location,
         "url": job.url, "description": job.description_text, "posted_at": NOW.isoformat(),
         **({"closes_at": job.closes_at.isoformat()} if job.closes_at else {})}
        for key, job in JOBS.items()
    ]  # fmt: skip
    postings_file = tmp_path / "postings.jsonl"
    postings_file.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    feedback_file = tmp_path / "feedback.jsonl"
    feedback_file.write_text(
        '{"mentee": "sam-lee", "posting": "closed", "verdict": "interested"}\n', encoding="utf-8"
    )
    mentees = configured(tmp_path, "sqlite:///leads.db").mentees
    postings = read_postings_jsonl(postings_file)

    ranked = rank_offline(
        mentees, postings, top=10, min_score=0.0, now=NOW, max_age_days=None,
        verdicts=read_feedback_jsonl(feedback_file, mentees, postings),
    )  # fmt: skip

    # "relisted" closed, as this file alone tells (no company page in it)
    assert {found.posting for found in ranked["sam-lee"]} == {"open", "undated"}


def test_a_schema_6_database_gains_the_closing_dates(database_url: str) -> None:
    Store(database_url).close()
    engine = open_engine(database_url)
    with engine.begin() as conn:  # the store as schema 6 left it
        conn.execute(text("ALTER TABLE postings DROP COLUMN closes_at"))
        conn.execute(text("UPDATE schema_version SET version = 6"))

    done = migrations.migrate(engine, database_url)  # what `leads migrate` runs
    store = Store(database_url)
    try:
        store.save_collected(SourceState(name="board"), [JOBS["open"]], NOW)
        closing = [stored.closes_at for stored in store.lead_postings()]
    finally:
        store.close()

    assert (done.before, done.applied) == (6, [7, 8])
    assert "closes_at" in {c["name"] for c in inspect(engine).get_columns("postings")}
    assert closing == [JOBS["open"].closes_at]
    engine.dispose()


@pytest.mark.parametrize("output", ["jsonl", "csv"])
def test_the_postings_export_carries_the_closing_date(tmp_path: Path, output: str) -> None:
    seeded(tmp_path, f"sqlite:///{tmp_path / 'leads.db'}")[1].close()

    result = CliRunner().invoke(app, ["--config", str(tmp_path / "config.yaml"), "postings",
                                      "--format", output])

    assert result.exit_code == 0, result.output
    if output == "jsonl":
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        closing = {row["company"]: row["closes_at"] for row in rows}
        assert closing["Company open"] == "2026-12-17T12:00:00+00:00"
        assert closing["Company undated"] is None
    else:
        header = result.stdout.splitlines()[0].split(",")
        assert header[-1] == "closes_at"


def test_a_listing_renewed_with_a_later_closing_date_reopens_its_job(
    tmp_path: Path, database_url: str
) -> None:
    config = configured(tmp_path, database_url)
    store = Store(config.database_url)
    try:
        store.save_collected(SourceState(name="board"), [JOBS["closed"]], NOW - timedelta(days=3))
        renewed = replace(JOBS["closed"], closes_at=NOW + timedelta(days=30))
        counts = store.save_collected(SourceState(name="board"), [renewed], NOW)
        match_stage.match(config, store, lambda: NOW)
        found = {match.posting.posting.company for match in store.matches()}
    finally:
        store.close()

    assert counts == (0, 1, 0)  # the same posting, updated
    assert found == {"Company closed"}


def test_matches_as_jsonl_say_when_each_job_closes(
    matched: tuple[AppConfig, Store], tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["--config", str(tmp_path / "config.yaml"), "matches",
                                      "--format", "jsonl"])

    assert result.exit_code == 0, result.output
    closing = {row["company"]: row["closes_at"]
               for row in map(json.loads, result.stdout.splitlines())}
    assert closing == {"Company open": "2026-12-17T12:00:00+00:00", "Company undated": None,
                       "Company relisted": None}


def test_the_matches_table_marks_a_job_whose_applications_have_closed(
    matched: tuple[AppConfig, Store], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seen: the table listed a closed job's old match like any other, with no word of it.
    closes = JOBS["open"].closes_at
    assert closes is not None
    monkeypatch.setattr(matching_commands, "clock", lambda: closes)
    for width in ("200", "80"):  # the wide table and the narrow one
        result = CliRunner().invoke(app, ["--config", str(tmp_path / "config.yaml"), "matches"],
                                    env={"COLUMNS": width})  # fmt: skip

        assert result.exit_code == 0, result.output
        rows = [line for line in result.stdout.splitlines() if "Company " in line]
        assert len(rows) == 3
        assert [row for row in rows if "(closed)" in row] == [
            row for row in rows if "Company open" in row
        ]


def test_the_forward_email_says_when_the_job_closes(matched: tuple[AppConfig, Store]) -> None:
    config, store = matched
    leads = {lead.match.posting.posting.company: lead for lead in offered(config, store, NOW)}

    view = lead_view(leads["Company open"], UTC, NOW, config.mentees[0], config.mentors[0])

    assert view.forward_href is not None
    assert "Berlin%20%C2%B7%20closes%2017%20Dec" in view.forward_href


@pytest.mark.parametrize(
    ("zone", "stated", "shown"),
    [
        # A stated day, kept as its last second in UTC: that day in every zone.
        ("Europe/Berlin", datetime(2026, 12, 17, 23, 59, 59, tzinfo=UTC), "closes 17 Dec"),
        ("Asia/Tokyo", datetime(2026, 12, 17, 23, 59, 59, tzinfo=UTC), "closes 17 Dec"),
        ("America/New_York", datetime(2026, 12, 17, 23, 59, 59, tzinfo=UTC), "closes 17 Dec"),
        ("Asia/Tokyo", datetime(2027, 1, 15, 23, 59, 59, tzinfo=UTC), "closes 15 Jan 2027"),
        # A moment with a time: the day it falls on where the mentor reads it.
        ("Asia/Tokyo", datetime(2026, 12, 17, 20, 0, tzinfo=UTC), "closes 18 Dec"),
        ("America/New_York", datetime(2026, 12, 17, 2, 0, tzinfo=UTC), "closes 16 Dec"),
    ],
)
def test_a_stated_closing_day_is_shown_as_that_day_east_of_utc_too(
    zone: str, stated: datetime, shown: str
) -> None:
    """Seen on the web view: "Closing date: 4 December 2026" showed as "closes 5 Dec" to a
    mentor in Berlin, a day the board never gave."""
    lead = DigestLead(stored_match(posting("stated", stated), 1, stated), ())

    assert lead_view(lead, ZoneInfo(zone), NOW).closes == shown
