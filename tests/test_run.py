"""`leads run` for cron: quiet success, one-screen failures, the run lock, due digests, and
runs killed with SIGKILL at several points followed by a run that finishes the job.

Real processes (`python -m aggregator`), a real loopback HTTP server serving recorded feeds,
a real aiosmtpd server, a real store: SQLite, and PostgreSQL for the runs that write.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes, policy
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from databases import row_counts, storage_yaml
from people import MENTEES_YAML
from recordings import still_listed_fixtures
from smtpkit import FreePortController
from sqlalchemy import create_engine, select

from aggregator.core.models import Mentor
from aggregator.stages import digest as digest_stage
from aggregator.store.schema import deliveries

FEEDS = ["back-end-programming", "design", "devops-sysadmin"]
HELD = "hold/"  # a URL prefix the feed server answers only once released
WAIT = 60  # seconds: a safety net for waits that normally end at once
PEOPLE = """\
mentors:
  - {id: maria, name: Maria Okafor, email: maria@example.org, timezone: Europe/Berlin}
  - {id: dev, name: Dev Raman, email: dev@example.org, timezone: America/Chicago}
""" + MENTEES_YAML


# -- servers ----------------------------------------------------------------------------


class FeedServer:
    """Recorded feeds on 127.0.0.1; URLs under ``hold/`` wait until ``release`` is set."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.release = threading.Event()
        handler = partial(_FeedHandler, self, directory=str(still_listed_fixtures()))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"


class _FeedHandler(SimpleHTTPRequestHandler):
    def __init__(self, owner: FeedServer, *args: Any, **kwargs: Any) -> None:
        self.owner = owner
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        if self.path.startswith("/" + HELD):
            self.owner.requested.set()
            self.owner.release.wait(WAIT)
            self.path = "/" + self.path.removeprefix("/" + HELD)
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


# The recordings are from 2022: no age limit here (tests/test_freshness.py tests it).
RECORDED_AGES = "matching: {max_age_days: null}\n"


@contextmanager
def serving(server: ThreadingHTTPServer, release: threading.Event) -> Iterator[None]:
    """``server`` answering in a thread for the block; ``release`` is set before it stops,
    so no held request outlives the test."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    feeds = FeedServer()
    with serving(feeds.server, feeds.release):
        yield feeds


class MailSink:
    """An SMTP server that records accepted messages and can hold a client at MAIL or DATA."""

    def __init__(self) -> None:
        self.accepted: list[bytes] = []
        self.hold_at: str | None = None  # MAIL, DATA, or ACCEPTED (recorded, the 250 not sent)
        self.let_pass = 0  # arrivals at hold_at let through before one is held
        self.held = threading.Event()  # a client is being held
        self.release = threading.Event()

    async def _hold(self, stage: str) -> None:
        if self.hold_at == stage and self.let_pass:
            self.let_pass -= 1
        elif self.hold_at == stage:
            self.held.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, WAIT)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        await self._hold("MAIL")
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await self._hold("DATA")
        self.accepted.append(bytes(envelope.original_content or b""))
        await self._hold("ACCEPTED")
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [
            str(message_from_bytes(raw, policy=policy.default)["Message-ID"])
            for raw in self.accepted
        ]


@contextmanager
def mail_sink() -> Iterator[tuple[MailSink, int]]:
    sink = MailSink()
    controller = FreePortController(sink, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield sink, controller.port
    finally:
        sink.release.set()
        controller.stop()


# -- the site ---------------------------------------------------------------------------


def write_config(
    folder: Path,
    feeds_url: str,
    smtp_port: int | None = None,
    *,
    held: bool = False,
    database: str | None = None,
) -> Path:
    """The config in ``folder``: the store at ``database``, by default leads.db beside it."""
    sources = "\n".join(
        f'  - {{name: {feed}, type: rss, url: "{feeds_url}{HELD if held and i == 0 else ""}'
        f'rss/wwr_2022-11/remote-{feed}-jobs.rss"}}'
        for i, feed in enumerate(FEEDS)
    )
    delivery = "delivery: {method: file}"
    if smtp_port is not None:
        delivery = (
            "delivery:\n  method: smtp\n  smtp: {host: 127.0.0.1, "
            f'port: {smtp_port}, security: none, from: "leads@example.org", timeout: 30}}'
        )
    path = folder / "config.yaml"
    path.write_text(
        f"{storage_yaml(database) if database else ''}"
        f"http: {{retries: 0, timeout: {WAIT}}}\n{RECORDED_AGES}{delivery}\n"
        f"sources:\n{sources}\n{PEOPLE}",
        encoding="utf-8",
    )
    return path


def leads(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aggregator", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=WAIT * 2,
        check=False,
    )


def start_leads(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "aggregator", "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=WAIT)
    assert process.returncode == -signal.SIGKILL


def beside(folder: Path) -> str:
    """The URL of the default store, leads.db beside the config."""
    return f"sqlite:///{folder / 'leads.db'}"


def counts(database: str) -> dict[str, int]:
    if database.startswith("sqlite:"):
        with sqlite3.connect(database.removeprefix("sqlite:///")) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    return row_counts(database, "postings", "leads", "matches", "deliveries")


def delivered_once(database: str) -> list[tuple[str, int, str]]:
    """Every (mentor, lead, message id) recorded as delivered (shown or passed over),
    asserting no lead went twice to a mentor."""
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            query = select(deliveries.c.mentor_id, deliveries.c.lead_id, deliveries.c.message_id)
            rows = [(mentor, lead, message) for mentor, lead, message in conn.execute(query)]
    finally:
        engine.dispose()
    pairs = [(mentor, lead) for mentor, lead, _ in rows]
    assert len(pairs) == len(set(pairs))
    return rows


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory, module_database: str) -> dict[str, int]:
    """What one uninterrupted run stores: the figures a killed-then-resumed run must reach."""
    folder = tmp_path_factory.mktemp("clean")
    with feed_server() as feeds:
        result = leads(write_config(folder, feeds.url, database=module_database), "run")
    assert result.returncode == 0, result.stderr
    return counts(module_database)


# -- quiet success, failures, steps ------------------------------------------------------


def test_a_good_run_is_silent_and_the_next_one_sends_nothing_new(
    tmp_path: Path, clean_run: dict[str, int], database_url: str
) -> None:
    with feed_server() as feeds:
        config = write_config(tmp_path, feeds.url, database=database_url)
        first = leads(config, "run")
        assert (first.returncode, first.stdout, first.stderr) == (0, "", "")
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
        second = leads(config, "run", "--verbose")
    assert second.returncode == 0, second.stderr
    assert "collect: 0 new" in second.stdout
    assert "match: Nothing new to score." in second.stdout
    assert "digest: no mentor's digest is due" in second.stdout
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    assert counts(database_url) == clean_run


def test_a_failing_source_is_reported_and_the_rest_is_done(tmp_path: Path) -> None:
    with feed_server() as feeds:
        config = write_config(tmp_path, feeds.url)
        text = config.read_text(encoding="utf-8").replace(
            "remote-design-jobs.rss", "no-such-feed.rss"
        )
        # An unattended run's log at WARNING still names the failed source (it was an INFO
        # line, filtered out, while the scheduler's warning said "see above").
        config.write_text("logging: {file: leads.log, level: WARNING}\n" + text, "utf-8")
        result = leads(config, "run")
    assert result.returncode == 1
    assert "collect: " in result.stdout and "(1 failed)" in result.stdout
    assert "source design failed: " in result.stderr and "404" in result.stderr
    assert result.stderr.count("design failed") == 1, "the summary's line, not the log's too"
    (logged,) = (tmp_path / "leads.log").read_text(encoding="utf-8").splitlines()
    assert "WARNING" in logged and "source design failed: " in logged and "404" in logged
    assert counts(beside(tmp_path))["matches"] > 0
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2


def test_sources_failing_alike_at_one_site_share_one_line(tmp_path: Path) -> None:
    """Seen after the demo: with its feed server gone, `leads run` printed 30 lines for 15
    sources: each failure as a log warning, then again in the summary."""
    config = write_config(tmp_path, "http://127.0.0.1:9/")  # nothing listens on port 9
    text = config.read_text(encoding="utf-8")
    config.write_text("logging: {file: leads.log, level: WARNING}\n" + text, "utf-8")
    result = leads(config, "run", "--only", "collect")
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{len(FEEDS)} sources failed: cannot connect to http://127.0.0.1:9/…")
    assert f"({', '.join(FEEDS[:3])}" in line
    logged = (tmp_path / "leads.log").read_text(encoding="utf-8").splitlines()
    assert len(logged) == len(FEEDS) and all("WARNING" in entry for entry in logged)


def test_only_some_steps(tmp_path: Path) -> None:
    with feed_server() as feeds:
        config = write_config(tmp_path, feeds.url)
        assert leads(config, "run", "--only", "collect,match").returncode == 0
        assert counts(beside(tmp_path))["matches"] > 0
        assert not (tmp_path / "outbox").exists()
        assert leads(config, "run", "--only", "digest").returncode == 0
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    wrong = leads(config, "run", "--only", "collect,sing")
    assert wrong.returncode == 2 and "unknown step sing" in wrong.stderr


def test_logs_go_to_the_rotating_log_file_and_private_files_are_0600(tmp_path: Path) -> None:
    with feed_server() as feeds:
        config = write_config(tmp_path, feeds.url)
        config.write_text(
            "logging: {file: logs/leads.log}\n" + config.read_text(encoding="utf-8"),
            encoding="utf-8",
        )
        umask = os.umask(0o022)  # the usual one: files would be 0644 unless made private
        try:
            result = leads(config, "run")
        finally:
            os.umask(umask)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    log = (tmp_path / "logs" / "leads.log").read_text(encoding="utf-8")
    for line in ("collect: done", "match: done", "digest: done"):
        assert line in log
    assert stat.S_IMODE((tmp_path / "logs").stat().st_mode) == 0o700
    for private in ("logs/leads.log", "leads.db", "leads.db.lock"):
        assert stat.S_IMODE((tmp_path / private).stat().st_mode) == 0o600, private


def test_a_second_run_while_one_holds_the_lock_does_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9/")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from datetime import UTC, datetime\n"
            "from pathlib import Path\n"
            "from aggregator.core.config import load_config\n"
            "from aggregator.store.locking import run_lock\n"
            "from sources import option_models\n"
            "config = load_config(Path(sys.argv[1]), option_models())\n"
            "with run_lock(config, datetime.now(UTC)):\n"
            "    print('locked', flush=True)\n"
            "    sys.stdin.readline()\n",
            str(config),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        blocked = leads(config, "run")
    finally:
        holder.communicate("done\n", timeout=WAIT)
    assert blocked.returncode == 0, blocked.stderr
    # One line, however long the lock's path: cron mails it, scripts grep it.
    (said,) = blocked.stdout.splitlines()
    assert said.startswith("another run is in progress (pid ")
    assert said.endswith(f"(lock: {tmp_path / 'leads.db.lock'})"), said
    assert not (tmp_path / "leads.db").exists()  # it touched nothing


# -- killed runs ------------------------------------------------------------------------


def test_killed_during_collection_the_next_run_finishes_the_job(
    tmp_path: Path, clean_run: dict[str, int], database_url: str
) -> None:
    with feed_server() as feeds:
        config = write_config(tmp_path, feeds.url, held=True, database=database_url)
        process = start_leads(config, "run")
        assert feeds.requested.wait(WAIT)
        kill(process)
        feeds.release.set()
        resumed = leads(write_config(tmp_path, feeds.url, database=database_url), "run")
    assert resumed.returncode == 0, resumed.stderr
    # The next run finishes the killed run's collection round (it is younger than a lease):
    # so what they found is first seen alike, and shown and matched as in one clean run.
    assert row_counts(database_url, "collect_rounds") == {"collect_rounds": 1}
    assert counts(database_url) == clean_run
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2


@pytest.mark.parametrize("stage", ["MAIL", "DATA"])
def test_killed_during_the_digest_nothing_is_lost_or_sent_twice(
    tmp_path: Path, clean_run: dict[str, int], database_url: str, stage: str
) -> None:
    """MAIL: matching is done and committed, no digest has gone out yet. DATA: the message is
    on the wire but not accepted. Either way the next run sends every digest exactly once."""
    with feed_server() as feeds, mail_sink() as (sink, port):
        config = write_config(tmp_path, feeds.url, port, database=database_url)
        sink.hold_at = stage
        process = start_leads(config, "run")
        assert sink.held.wait(WAIT)
        kill(process)
        assert sink.accepted == []
        killed = counts(database_url)
        assert killed["matches"] == clean_run["matches"] and killed["deliveries"] == 0
        sink.hold_at = None
        sink.release.set()
        resumed = leads(config, "run")
        assert resumed.returncode == 0, resumed.stderr
        again = leads(config, "run")
        assert again.returncode == 0, again.stderr
    assert len(sink.accepted) == 2  # one digest per mentor, never a second one
    recorded = delivered_once(database_url)
    assert {message for _, _, message in recorded} == set(sink.message_ids())
    assert {mentor for mentor, _, _ in recorded} == {"maria", "dev"}
    assert counts(database_url) == clean_run


# -- when digests are due ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "last_run", "now", "due"),
    [
        ("weekly mon 07:00", None, datetime(2026, 11, 25, 12, tzinfo=UTC), True),
        # Berlin 07:00 on Monday 23 Nov is 06:00 UTC.
        ("weekly mon 07:00", datetime(2026, 11, 23, 5, 59, tzinfo=UTC),
         datetime(2026, 11, 23, 6, 0, tzinfo=UTC), True),
        ("weekly mon 07:00", datetime(2026, 11, 23, 6, 0, tzinfo=UTC),
         datetime(2026, 11, 29, 23, 0, tzinfo=UTC), False),
        ("daily 08:00", datetime(2026, 11, 24, 7, 0, tzinfo=UTC),
         datetime(2026, 11, 25, 6, 59, tzinfo=UTC), False),
        ("daily 08:00", datetime(2026, 11, 24, 7, 0, tzinfo=UTC),
         datetime(2026, 11, 25, 7, 0, tzinfo=UTC), True),
        # Berlin falls back on 25 Oct 2026: 02:30 comes twice (00:30 and 01:30 UTC). A daily
        # digest sent at the first is not due again at the second (it was, a second digest
        # that day), but is the next day.
        ("daily 02:30", datetime(2026, 10, 25, 0, 30, 5, tzinfo=UTC),
         datetime(2026, 10, 25, 1, 30, 10, tzinfo=UTC), False),
        ("daily 02:30", datetime(2026, 10, 25, 0, 30, 5, tzinfo=UTC),
         datetime(2026, 10, 26, 1, 30, tzinfo=UTC), True),
        ("0 2 * * *", datetime(2026, 10, 25, 0, 0, 5, tzinfo=UTC),
         datetime(2026, 10, 25, 1, 0, 5, tzinfo=UTC), False),
        ("every 1h", datetime(2026, 10, 25, 0, 30, 5, tzinfo=UTC),
         datetime(2026, 10, 25, 1, 30, 10, tzinfo=UTC), True),
        # Sent the day before, a digest is due at the first 02:30 (the repeat is no new day).
        ("daily 02:30", datetime(2026, 10, 24, 0, 30, 5, tzinfo=UTC),
         datetime(2026, 10, 25, 0, 30, 5, tzinfo=UTC), True),
    ],
)
def test_a_digest_is_due_at_the_first_scheduled_time_after_the_last_run(
    schedule: str, last_run: datetime | None, now: datetime, due: bool
) -> None:
    mentor = Mentor.model_validate(
        {"id": "m", "name": "M", "email": "m@example.org", "timezone": "Europe/Berlin",
         "digest": {"schedule": schedule}}
    )
    assert digest_stage.is_due(mentor, last_run, now) is due


def test_the_module_entry_point_is_the_leads_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aggregator", "--version"],
        capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0 and result.stdout.startswith("mentor-leads ")


# -- leads schedule -------------------------------------------------------------------------


def test_schedule_collects_at_start_sends_due_digests_and_stops_cleanly_on_sigterm(
    tmp_path: Path, clean_run: dict[str, int], database_url: str
) -> None:
    with feed_server() as feeds:
        config = write_config(tmp_path, feeds.url, database=database_url)
        process = start_leads(config, "schedule")
        assert process.stderr is not None
        seen = []
        for line in process.stderr:
            seen.append(line)
            if "digest: done" in line:
                break
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=WAIT)
    assert process.returncode == 0, "".join(seen) + stderr
    assert "Scheduling 3 jobs" in stdout and stdout.rstrip().endswith("Stopped.")
    logged = "".join(seen) + stderr
    assert "collect: done" in logged  # the service's own record of work
    assert "apscheduler" not in logged  # not the scheduler's bookkeeping ("Adding job…")
    assert counts(database_url) == clean_run
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2


def test_schedule_print_lists_each_jobs_next_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from aggregator.cli import app
    from aggregator.cli import run as run_commands

    monkeypatch.setattr(run_commands, "clock", lambda: datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    config = write_config(tmp_path, "http://127.0.0.1:9/")
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["--config", str(config), "schedule", "--print", "-n", "2"]
    )
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "│" in line]
    assert "collect and match" in rows[0] and "every 3 hours" in rows[0]
    assert "Wed 2026-11-25 15:00 UTC" in rows[0] and "Wed 2026-11-25 18:00 UTC" in rows[1]
    maria = next(i for i, row in enumerate(rows) if "digest for Maria Okafor" in row)
    assert "every Monday at 07:00" in rows[maria] and "Mon 2026-11-30 07:00 CET" in rows[maria]
    assert "Mon 2026-12-07 07:00 CET" in rows[maria + 1]
    assert "Collection starts up to 300 s after its time" in result.output
    assert not (tmp_path / "leads.db").exists()  # printing touches nothing
