"""`leads schedule` and its schedules under faults: schedules that would never fire or that
APScheduler would read otherwise than crontab, hang-ups, and jobs that raise.

Real processes (`python -m aggregator`, or a child running the real scheduler), the loopback
feed server of test_run (a held feed keeps a job mid-step for as long as a test needs).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_run import WAIT, feed_server, start_leads, write_config
from typer.testing import CliRunner

from aggregator import runner
from aggregator.cli import app
from aggregator.core.config import load_config
from aggregator.core.errors import StoreError
from aggregator.core.schedule_expressions import parse_schedule
from sources import option_models

# -- schedules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yaml", "where"),
    [
        ('schedule: {collect: "0 0 30 2 *"}\n', "config.yaml:2: schedule.collect"),
        (
            "mentors:\n  - {id: m, name: M, email: m@example.org, timezone: UTC,\n"
            '     digest: {schedule: "0 9 31 4,6 *"}}\n',
            "config.yaml:4: mentors[0].digest.schedule",
        ),
    ],
    ids=["collect on 30 February", "digest on 31 April and June"],
)
def test_a_schedule_that_never_fires_is_a_config_error(
    tmp_path: Path, yaml: str, where: str
) -> None:
    """It used to load, then crash each job (`min() arg is an empty sequence`, a traceback)
    and every `leads run` of a mentor so scheduled."""
    config = tmp_path / "config.yaml"
    config.write_text(f"sources: []\n{yaml}", encoding="utf-8")
    result = CliRunner(env={"COLUMNS": "2000"}).invoke(
        app, ["--config", str(config), "schedule", "--print"]
    )
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {tmp_path / where}: schedule ")
    assert "would never fire: pick a day those months have" in result.output
    assert not (tmp_path / "leads.db").exists()


@pytest.mark.parametrize(
    ("text", "only"),
    [("5-5/10 * * * *", "only 5 would match"), ("*/60 * * * *", "only 0 would match")],
)
def test_a_step_larger_than_its_range_is_refused(text: str, only: str) -> None:
    """Crontab reads '5-5/10' as minute 5; APScheduler read it as every ten minutes from 5,
    and refused '*/60' only when the scheduler started."""
    with pytest.raises(ValueError, match=only):
        parse_schedule(text)


def test_a_step_that_fits_its_range_fires_as_crontab_does() -> None:
    times = parse_schedule("10-20/10 * * * *").next_fire_times(
        datetime(2026, 1, 1, tzinfo=UTC), 3, "UTC"
    )
    assert [t.strftime("%H:%M") for t in times] == ["00:10", "00:20", "01:10"]


@pytest.mark.parametrize("text", ["every 367d", "every 1000000m", "every 999999999d"])
def test_an_interval_longer_than_a_year_is_refused(text: str) -> None:
    """'every 999999999d' loaded, then overflowed the date range (OverflowError) in the
    scheduler and in `leads schedule --print`."""
    with pytest.raises(ValueError, match="too long an interval: at most a year"):
        parse_schedule(text)


def test_an_interval_of_a_year_has_fire_times() -> None:
    after = datetime(2026, 1, 1, tzinfo=UTC)
    times = parse_schedule("every 366d").next_fire_times(after, 2, "UTC")
    assert times == [after + timedelta(days=366), after + timedelta(days=732)]


# -- the process --------------------------------------------------------------------------


def _log_until(process: subprocess.Popen[str], text: str) -> str:
    """What ``process`` logged up to the first line holding ``text`` (all of it, if none)."""
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if text in line:
            break
    return "".join(seen)


def _ignore_sighup() -> None:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def test_a_hang_up_lets_the_running_step_finish_then_stops(tmp_path: Path) -> None:
    """A closed terminal or ssh session sends SIGHUP; it used to kill the process mid-step
    (exit status -1, no line in the log)."""
    with feed_server() as feeds:
        process = start_leads(write_config(tmp_path, feeds.url, held=True), "schedule")
        assert feeds.requested.wait(WAIT), "the collect job never fetched the held feed"
        process.send_signal(signal.SIGHUP)
        seen = _log_until(process, "SIGHUP: ")  # the handler has run once it said so
        feeds.release.set()
        stdout, stderr = process.communicate(timeout=WAIT)
    assert process.returncode == 0, seen + stderr
    # Said on stderr at once, also when the log goes to a file (seen: nothing on the
    # terminal for a minute), and once: the log line the handler writes is not repeated.
    assert seen.splitlines()[-1] == (
        "SIGHUP: finishing the current step, then stopping (SIGHUP again stops at once)"
    )
    assert "received: finishing" not in seen + stderr
    assert "collect: done (" in stderr  # the step it was in finished
    assert "stop requested: skipping match and what follows" in stderr
    assert stdout.rstrip().endswith("Stopped.")


def test_a_hang_up_ignored_by_nohup_stays_ignored(tmp_path: Path) -> None:
    with feed_server() as feeds:
        config = write_config(tmp_path, feeds.url, held=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "aggregator", "--config", str(config), "schedule"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_ignore_sighup,
        )
        assert feeds.requested.wait(WAIT), "the collect job never fetched the held feed"
        process.send_signal(signal.SIGHUP)
        feeds.release.set()
        seen = _log_until(process, "digest: done")  # the whole job ran
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=WAIT)
    logged = seen + stderr
    assert process.returncode == 0, logged
    assert "SIGHUP" not in logged
    assert "match: done" in logged and "SIGTERM: finishing the current step" in logged


def test_a_database_that_cannot_be_reached_stops_the_service_at_its_start(
    tmp_path: Path,
) -> None:
    """Seen: with storage.url naming a server that was down, `leads schedule` said
    "Scheduling 3 jobs", warned at every job and exited 0 on SIGTERM: healthy to systemd."""
    config = tmp_path / "config.yaml"
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again below: nothing listens there
    config.write_text(
        f"storage: {{url: 'postgresql+psycopg://postgres@127.0.0.1:{port}/leads'}}\n"
        "sources: []\nmentors: []\nmentees: []\n",
        encoding="utf-8",
    )
    ran = subprocess.run(
        [sys.executable, "-m", "aggregator", "--config", str(config), "schedule"],
        capture_output=True, text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert "Scheduling" not in ran.stdout
    (said,) = ran.stderr.strip().splitlines()
    assert said.startswith("error: ") and f"127.0.0.1:{port}" in said


FAILING_CHILD = """
import logging, sys, threading
from aggregator.core.config import AppConfig, ScheduleConfig
from aggregator.service import build_scheduler, job_specs, run_until_stopped
from datetime import UTC, datetime, timedelta

# As `leads schedule` sets logging up: INFO for the service, WARNING for APScheduler.
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(message)s")
logging.getLogger("apscheduler").setLevel(logging.WARNING)
stop = threading.Event()

def run_job(spec):
    stop.set()  # the scheduler stops once this job is done
    raise RuntimeError("(sqlite3.OperationalError) disk I/O error\\n[SQL: SELECT 1]")

config = AppConfig(schedule=ScheduleConfig(collect="every 1h", jitter=0))
scheduler = build_scheduler(
    config, job_specs(config), run_job, stop=stop, now=datetime.now(UTC) - timedelta(hours=1)
)
run_until_stopped(scheduler, stop)
"""


def test_a_job_that_raises_is_said_once_in_one_line() -> None:
    """APScheduler logged its own error with a 20-line traceback beside the service's line,
    and an exception's further lines (SQL, a link) followed that line."""
    result = subprocess.run(
        [sys.executable, "-c", FAILING_CHILD],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "ERROR collect and match failed with RuntimeError: (sqlite3.OperationalError) disk "
        "I/O error; the scheduler carries on and runs it again at its next time",
        "INFO scheduler stopped",
    ]


def test_a_database_removed_while_the_scheduler_runs_is_not_made_anew(tmp_path: Path) -> None:
    """Seen: the SQLite file deleted under a running `leads schedule` was quietly made anew
    by its next job, empty, so the next digests would have sent every mentor their leads
    again. Its jobs now refuse, saying what to do; a fresh install still makes it."""
    config = load_config(write_config(tmp_path, "http://127.0.0.1:9/"), option_models())
    database = tmp_path / "leads.db"
    kept = runner.DatabaseKept(config)
    now = lambda: datetime(2026, 12, 1, tzinfo=UTC)  # noqa: E731
    assert runner.run(config, now, (runner.Step.MATCH,), kept=kept).ok
    assert database.exists()  # the first job made it
    database.unlink()
    with pytest.raises(StoreError, match=r"leads\.db was removed while leads schedule ran"):
        runner.run(config, now, (runner.Step.MATCH,), kept=kept)
    assert not database.exists()
    assert runner.run(config, now, (runner.Step.MATCH,)).ok  # a cron run may start afresh
