"""Closing dates as a new user meets them and as a hostile board sends them: each case was seen
when feeds and career pages written for it were collected over loopback, matched, put in a
digest and shown in Chromium (December 2026), on SQLite and PostgreSQL, the clock injected.
(What the mentee's and the mentor's pages count: tests/test_web.py.)

A job closed when it was first scored was never scored again: a board that renewed its
listing, or the company's own page listing the job after the board's listing expired, left
it unmatched for good. A bare date with a zone ("2026-07-10-05:00", as XML Schema writes
one) was read as a time of day. ``leads rank`` read "closes_at": 12 as 1970 and left the job
out, and read a bare closing date as its first second.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from digestkit import JOBS as KIT_JOBS
from digestkit import NOW as KIT_NOW
from digestkit import make_digest
from playwright import sync_api
from sqlalchemy import inspect, text, update
from test_closed_leads import MENTORING
from test_web_browser import CHROMIUM, CHROMIUM_ARGS
from typer.testing import CliRunner
from webkit import save_matches, seed, write_config

from aggregator.cli import app
from aggregator.cli.matching import match_summary
from aggregator.core.config import AppConfig, load_config
from aggregator.core.models import LeadStatus, MenteeProfile, Salary
from aggregator.loopback import serve_directory
from aggregator.postings_file import read_postings_jsonl
from aggregator.stages import collect as collect_stage
from aggregator.stages import digest as digest_stage
from aggregator.stages import match as match_stage
from aggregator.stages.advice import StoredAdvice
from aggregator.stages.match import MatchReport
from aggregator.stages.rank import rank_offline
from aggregator.store import Store, migrations
from aggregator.store.engine import open_engine
from aggregator.store.schema import postings
from digests.render import TEXT_WIDTH, render_digest
from sources import option_models
from sources.values import parse_date
from web.app import create_app
from web.links import Links
from web.tokens import Holder, Keyring

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
RSS_DATE = "%a, %d %b %Y %H:%M:%S %z"
JOB_TEXT = (
    "We are hiring a Python developer to build Django services on PostgreSQL. "
    "You know Python, Django and PostgreSQL well."
)


def feed(*items: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Jobs</title>'
        f"<link>https://board.example/</link>{''.join(items)}</channel></rss>"
    )


def item(key: str, expires_at: str | None, title: str = "Python Developer",
         description: str = JOB_TEXT, board: str = "board") -> str:  # fmt: skip
    """A Python job at Acme in Berlin, posted 1 Dec, on ``board``."""
    expiry = f"<expires_at>{expires_at}</expires_at>" if expires_at is not None else ""
    return (
        f"<item><title>{title}</title><link>https://{board}.example/jobs/{key}</link>"
        f"<guid>{board}-{key}</guid><company>Acme</company><location>Berlin</location>"
        f"<pubDate>Tue, 01 Dec 2026 10:00:00 +0000</pubDate>{expiry}"
        f"<description><![CDATA[{description}]]></description></item>"
    )


def career_page(**fields: Any) -> str:
    """Acme's own page for the job, its JobPosting JSON-LD with ``fields`` added."""
    node = {
        "@context": "https://schema.org", "@type": "JobPosting", "title": "Python Developer",
        "url": "https://careers.acme.example/python-developer", "datePosted": "2026-12-01",
        "hiringOrganization": {"@type": "Organization", "name": "Acme"},
        "jobLocation": {"@type": "Place", "address": {"addressLocality": "Berlin"}},
        "description": JOB_TEXT, **fields,
    }  # fmt: skip
    script = f'<script type="application/ld+json">{json.dumps(node)}</script>'
    return f"<html><head>{script}</head></html>"


def at(moment: datetime) -> str:
    return moment.strftime(RSS_DATE)


@dataclass
class Site:
    """Feeds and pages served on loopback, and the config of a user collecting them."""

    root: Path
    base: str
    folder: Path
    database_url: str

    def serve(self, name: str, body: str) -> None:
        (self.root / name).write_text(body, encoding="utf-8")

    def config(self, sources: dict[str, str]) -> AppConfig:
        """The config with these sources (name → served file: .xml is RSS, .html JSON-LD)."""
        lines = [
            f'  - {{name: {name}, type: rss, url: "{self.base}{file}"}}' if file.endswith(".xml")
            else f'  - {{name: {name}, type: jsonld, urls: ["{self.base}{file}"]}}'
            for name, file in sources.items()
        ]  # fmt: skip
        path = self.folder / "config.yaml"
        path.write_text(
            f'storage: {{url: "{self.database_url}"}}\nhttp: {{retries: 0}}\n'
            f"sources:\n{chr(10).join(lines)}\n{MENTORING}",
            encoding="utf-8",
        )
        return load_config(path, option_models())

    def run(self, sources: dict[str, str], now: datetime) -> tuple[MatchReport, list[str]]:
        """Collect and match at ``now``, as `leads run` does: the report, and the URLs of the
        leads the digest would offer then."""
        config = self.config(sources)
        store = Store(config.database_url)
        try:
            collect_stage.collect(config, store, lambda: now)
            report = match_stage.match(config, store, lambda: now)
            digest = digest_stage.compose(config, store, config.mentors[0], now).digest
            return report, [lead.match.posting.posting.url
                            for section in digest.sections for lead in section.leads]
        finally:
            store.close()

    def stored(self) -> tuple[list[tuple[str, datetime | None]], int]:
        """Each stored posting's source and closing date, and how many matches there are."""
        store = Store(self.database_url)
        try:
            found = [(s.posting.source, s.posting.closes_at) for s in store.postings()]
            return found, len(store.matches())
        finally:
            store.close()


@pytest.fixture
def site(tmp_path: Path, database_url: str) -> Iterator[Site]:
    root = tmp_path / "served"
    root.mkdir()
    with serve_directory(root) as base:
        yield Site(root, base, tmp_path, database_url)


# -- a job that reopens ---------------------------------------------------------------------

BOARD = {"board": "board.xml"}
EXPIRED = item("1", at(NOW - timedelta(hours=1)))


@pytest.mark.parametrize(
    ("change", "sources", "shown"),
    [
        # The board renews its listing: the same item, a later <expires_at>.
        ({"board.xml": feed(item("1", at(NOW + timedelta(days=30))))}, BOARD,
         "https://board.example/jobs/1"),
        # The company's own page lists the job, with no closing date.
        ({"careers.html": career_page()}, {**BOARD, "careers": "careers.html"},
         "https://careers.acme.example/python-developer"),
        # Another board lists it until later.
        ({"other.xml": feed(item("9", at(NOW + timedelta(days=13)), board="other"))},
         {**BOARD, "other": "other.xml"}, "https://board.example/jobs/1"),
    ],
    ids=["renewed", "company-page", "second-board"],
)
def test_a_job_closed_when_scored_is_matched_and_offered_once_it_reopens(
    site: Site, change: dict[str, str], sources: dict[str, str], shown: str
) -> None:
    site.serve("board.xml", feed(EXPIRED))
    first, offered = site.run(BOARD, NOW)
    assert (first.matches_stored, offered) == (0, [])  # closed an hour ago

    for name, body in change.items():
        site.serve(name, body)
    later, offered = site.run(sources, NOW + timedelta(hours=1))

    assert offered == [shown]  # the company's page, else the first sighting
    assert later.changed_leads_scored == 1
    assert match_summary(later) == "Scored 1 against 1 changed lead; stored 1 match."


def test_an_open_matched_job_that_changes_keeps_its_one_match(site: Site) -> None:
    site.serve("board.xml", feed(item("1", at(NOW + timedelta(days=3)))))
    site.run(BOARD, NOW)
    site.serve("board.xml", feed(item("1", at(NOW + timedelta(days=30)))))

    report, offered = site.run(BOARD, NOW + timedelta(hours=1))

    assert match_summary(report) == "Scored 1 against 1 changed lead; stored 0 matches."
    assert site.stored() == ([("board", NOW + timedelta(days=30))], 1)
    assert offered == ["https://board.example/jobs/1"]


def test_a_job_expired_again_stays_matched_but_is_not_offered(site: Site) -> None:
    site.serve("board.xml", feed(item("1", at(NOW + timedelta(days=3)))))
    site.run(BOARD, NOW)
    site.serve("board.xml", feed(EXPIRED))

    _, offered = site.run(BOARD, NOW + timedelta(hours=1))

    assert site.stored() == ([("board", NOW - timedelta(hours=1))], 1)
    assert offered == []


def test_a_schema_7_database_gains_what_matching_asks_for_changes_by(
    database_url: str,
) -> None:
    Store(database_url).close()
    engine = open_engine(database_url)
    with engine.begin() as conn:  # the store as schema 7 left it
        conn.execute(text("DROP INDEX ix_postings_updated_at"))
        conn.execute(text("ALTER TABLE mentee_progress DROP COLUMN changes_through"))
        conn.execute(text("UPDATE schema_version SET version = 7"))

    done = migrations.migrate(engine, database_url)  # what `leads migrate` runs
    found = inspect(engine)
    indexes = {index["name"] for index in found.get_indexes("postings")}
    columns = {column["name"] for column in found.get_columns("mentee_progress")}
    engine.dispose()

    assert (done.before, done.applied) == (7, [8])
    assert "ix_postings_updated_at" in indexes and "changes_through" in columns


# -- what boards send -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("valid_through", "closes_at"),
    [
        # A date with a zone but no time, as XML Schema's xs:date writes it: the end of that
        # day there (read as 05:00 and 14:00 UTC, and "Z" as midnight, before).
        ("2026-12-10-05:00", datetime(2026, 12, 11, 4, 59, 59, tzinfo=UTC)),
        ("2026-12-10+14:00", datetime(2026, 12, 10, 9, 59, 59, tzinfo=UTC)),
        ("2026-12-10Z", datetime(2026, 12, 10, 23, 59, 59, tzinfo=UTC)),
        # Unreadable, or out of reason: no closing date, the job open.
        (["2026-12-10"], None),
        ({"@type": "Date", "@value": "2026-12-10"}, None),
        ("", None),
        ("2026-02-30", None),
        (12, None),  # 1970
        (10**30, None),
        ("9999-12-31", None),
        (1796256000, datetime(2026, 12, 3, tzinfo=UTC)),  # epoch seconds: read, and closed
    ],
)
def test_valid_through_as_boards_write_it(
    site: Site, valid_through: Any, closes_at: datetime | None
) -> None:
    site.serve("careers.html", career_page(validThrough=valid_through))
    site.run({"careers": "careers.html"}, NOW)
    assert site.stored()[0] == [("careers", closes_at)]


@pytest.mark.parametrize(
    ("value", "posted_at"),
    [
        ("2026-07-10+02:00", datetime(2026, 7, 9, 22, tzinfo=UTC)),  # not 02:00 on the 10th
        ("2026-07-10-05:00", datetime(2026, 7, 10, 5, tzinfo=UTC)),
        ("2026-07-10", datetime(2026, 7, 10, tzinfo=UTC)),
    ],
)
def test_a_posting_date_with_a_zone_and_no_time_starts_that_day_there(
    value: str, posted_at: datetime
) -> None:
    assert parse_date(value) == posted_at


def test_an_expiry_at_now_in_any_zone_has_closed_and_a_second_later_has_not(
    site: Site,
) -> None:
    east, west = timedelta(hours=14), timedelta(hours=-12)
    items = [
        item(f"{name}-{delay}", (NOW + timedelta(seconds=delay)).astimezone(zone).strftime(
            RSS_DATE), title=f"Python Developer {name} {delay}")
        for name, zone in (("east", timezone(east)), ("west", timezone(west)))
        for delay in (0, 1)
    ]  # fmt: skip
    site.serve("board.xml", feed(*items))
    assert "+1400" in items[0] and "-1200" in items[2]

    _, offered = site.run(BOARD, NOW)

    assert sorted(offered) == ["https://board.example/jobs/east-1",
                               "https://board.example/jobs/west-1"]


@pytest.mark.parametrize(
    ("title", "description", "closes_at"),
    [
        ("Python Developer", "<p>We hire.</p><p><strong>Closing date:</strong><br>4 December "
         "2026</p>", datetime(2026, 12, 4, 23, 59, 59, tzinfo=UTC)),
        ("Python Developer (closing date 2 December 2026)", JOB_TEXT,
         datetime(2026, 12, 2, 23, 59, 59, tzinfo=UTC)),
        # Only English cues are read: a German deadline leaves the job open.
        ("Python Developer", "<p>Bewerbungsschluss: 4. November 2026</p>", None),
        ("Python Developer", "<p>Deadline: 4. November 2026</p>", None),
    ],
)
def test_a_deadline_the_text_states_through_its_markup(
    site: Site, title: str, description: str, closes_at: datetime | None
) -> None:
    site.serve("board.xml", feed(item("1", None, title=title, description=description)))
    site.run(BOARD, NOW)
    assert site.stored()[0] == [("board", closes_at)]


# -- leads rank -----------------------------------------------------------------------------


def postings_file(folder: Path, closing: dict[str, Any]) -> Path:
    """A postings JSONL: one Python job per entry of ``closing``, its closes_at that value
    (left out for "missing")."""
    path = folder / "postings.jsonl"
    records = [
        {"id": key, "title": "Python Developer", "company": f"Company {key}", "location": "Berlin",
         "url": f"https://jobs.example/{key}", "description": JOB_TEXT,
         **({} if key == "missing" else {"closes_at": value})}
        for key, value in closing.items()
    ]  # fmt: skip
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def test_rank_reads_a_closes_at_it_cannot_believe_as_unknown_like_posted_at(
    tmp_path: Path,
) -> None:
    mentees = tmp_path / "mentees.yaml"
    mentees.write_text("mentees:\n  - {name: Sam Lee, skills: [python, django, postgresql]}\n",
                       encoding="utf-8")
    closing = {"soon": "soon", "twelve": 12, "null": None, "missing": None, "year-1": "0001-01-01"}

    result = CliRunner().invoke(app, ["rank", "--postings", str(postings_file(tmp_path, closing)),
                                      "--mentees", str(mentees), "--format", "jsonl"])

    assert result.exit_code == 0, result.output
    ranked = {json.loads(line)["posting"] for line in result.stdout.splitlines()}
    assert ranked == set(closing)  # every one open, as far as anyone knows


def test_rank_keeps_a_job_open_all_of_the_day_its_bare_closing_date_names(
    tmp_path: Path,
) -> None:
    path = postings_file(tmp_path, {"today": "2026-12-04", "yesterday": "2026-12-03"})
    sam = MenteeProfile(name="Sam Lee", skills=["python", "django", "postgresql"])

    ranked = rank_offline([sam], read_postings_jsonl(path), top=10, min_score=0.0, now=NOW,
                          max_age_days=None)  # fmt: skip

    assert [found.posting for found in ranked["sam-lee"]] == ["today"]


def test_the_postings_csv_carries_closes_at_as_iso_8601_or_nothing(site: Site) -> None:
    site.serve("board.xml", feed(item("1", at(NOW + timedelta(days=13))), item("2", None,
                                                                            title="Python Lead")))
    site.run(BOARD, NOW)

    result = CliRunner().invoke(app, ["--config", str(site.folder / "config.yaml"), "postings",
                                      "--format", "csv"])

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {row["title"]: row["closes_at"] for row in rows} == {
        "Python Developer": "2026-12-17T12:00:00+00:00", "Python Lead": ""}


# -- the digest -----------------------------------------------------------------------------


def test_the_plain_digest_keeps_its_lines_short_with_the_closing_date_added() -> None:
    digest = make_digest(mentees=1, leads_per_mentee=2)
    section = digest.sections[0]
    widest = "San Francisco Bay Area, California, United States of America"
    leads = []
    for lead, closes_at in zip(section.leads, (KIT_NOW + timedelta(days=400),
                                               KIT_NOW - timedelta(days=1)), strict=True):
        shown = lead.match.posting
        posting = replace(shown.posting, location=widest, remote=True,
                          salary=Salary(185000, 215000, "USD", "year"))
        match = replace(lead.match, posting=replace(shown, posting=posting, closes_at=closes_at))
        leads.append(replace(lead, match=match))
    digest = replace(digest, sections=(replace(section, leads=tuple(leads)),))

    plain = render_digest(digest).get_body(("plain",))
    assert plain is not None
    lines = plain.get_content().splitlines()

    assert all(len(line) <= TEXT_WIDTH for line in lines if "://" not in line
               and not line.startswith("   [")), [line for line in lines if len(line) > 78]
    text_of = " ".join(" ".join(lines).split())
    assert "· closes 28 Dec 2027" in text_of and "· closed 22 Nov" in text_of


# -- the page in Chromium -------------------------------------------------------------------

KEY = Keyring(bytes(range(32)))


def test_a_tracked_closed_lead_says_so_on_a_phone_without_overflow(tmp_path: Path) -> None:
    listening = socket.create_server(("127.0.0.1", 0))  # connections queue from here on
    base = f"http://127.0.0.1:{listening.getsockname()[1]}"
    config = load_config(write_config(tmp_path, base), option_models())
    store = Store(config.database_url)
    leads = seed(store)
    tracked, untracked = leads[KIT_JOBS[0].title], leads[KIT_JOBS[1].title]
    save_matches(store, {"sam-lee": [tracked, untracked]})
    with store.engine.begin() as conn:
        conn.execute(update(postings).where(postings.c.lead_id.in_([tracked, untracked]))
                     .values(closes_at=KIT_NOW - timedelta(days=2)))
    store.record_status("sam-lee", tracked, LeadStatus.APPLIED, KIT_NOW)
    link = Links(config, store, KEY).url(Holder.MENTEE, "sam-lee", KIT_NOW)
    served = create_app(config, store, KEY, lambda: KIT_NOW, StoredAdvice(config, store))
    server = uvicorn.Server(uvicorn.Config(served, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                 args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 375, "height": 740}).new_page()
            page.goto(link)
            meta = page.locator("article.lead", has_text=KIT_JOBS[0].title).locator("p.meta")
            shown, box = meta.inner_text(), meta.bounding_box()
            widest = page.evaluate("document.documentElement.scrollWidth")
            cards = page.locator("article.lead").count()
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.close()
        store.close()

    assert shown.endswith("· closed 21 Nov"), shown
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert widest <= 375
    assert cards == 1  # the untracked closed job is not listed
