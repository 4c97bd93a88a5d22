"""Commands that write wait for a running `leads run` / `leads schedule` job (issue 11,
point 5): they take the run lock; the web view's writes need not. On PostgreSQL the run lock
is an advisory lock. Real processes, a real SMTP server, real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from databases import row_counts
from test_run import WAIT, feed_server, leads, mail_sink, start_leads, write_config

from aggregator.core.config import load_config
from aggregator.stages.advice import StoredAdvice
from aggregator.store import Store
from sources import option_models
from web.app import create_app
from web.links import Links
from web.tokens import Holder, Keyring

KEY = Keyring(bytes(range(32)))

WAITING = "waiting for the run in progress"

# A process that holds the run lock (as `leads run` does) until its stdin is closed.
HOLDER = textwrap.dedent(
    """\
    import sys
    from datetime import UTC, datetime
    from pathlib import Path

    from aggregator.core.config import load_config
    from aggregator.store.locking import run_lock
    from sources import option_models

    config = load_config(Path(sys.argv[1]), option_models())
    with run_lock(config, datetime(2026, 11, 25, 12, 0, tzinfo=UTC)):
        print("held", flush=True)
        sys.stdin.read()
    """
)


def stderr_until_waiting(process: subprocess.Popen[str]) -> bool:
    """True once ``process`` says it waits for the lock; False if it ended without waiting."""
    assert process.stderr is not None
    return any(WAITING in line for line in process.stderr)  # stops at the first such line


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("site")
    with feed_server() as feeds:
        config = write_config(folder, feeds.url)
        assert leads(config, "run", "--only", "collect,match").returncode == 0
        yield config


def test_digest_waits_for_a_running_digest_and_sends_nothing_twice(tmp_path: Path) -> None:
    with feed_server() as feeds, mail_sink() as (sink, port):
        config = write_config(tmp_path, feeds.url, port)
        # The held message must outlast a slow machine's start of the second process.
        text = config.read_text(encoding="utf-8").replace("timeout: 30}", f"timeout: {WAIT * 2}}}")
        config.write_text(text, encoding="utf-8")
        assert leads(config, "run", "--only", "collect,match").returncode == 0
        sink.hold_at = "DATA"  # the run's first digest is on the wire, the lock held
        run = start_leads(config, "run", "--only", "digest")
        assert sink.held.wait(WAIT)
        digest = start_leads(config, "digest")
        assert stderr_until_waiting(digest), digest.communicate(timeout=WAIT)
        sink.release.set()
        run_out, run_err = run.communicate(timeout=WAIT)
        digest_out, digest_err = digest.communicate(timeout=WAIT)
    assert run.returncode == 0, run_out + run_err
    assert digest.returncode == 0, digest_out + digest_err
    assert "maria: nothing new" in digest_out and "dev: nothing new" in digest_out
    ids = sink.message_ids()
    assert len(ids) == 2 and len(set(ids)) == 2  # one digest per mentor, once


def hold_the_lock(config: Path) -> subprocess.Popen[str]:
    """A process holding the run lock of ``config``'s store until its stdin is closed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


# `leads collect` is not among them: collectors share a run's round through source leases
# instead (tests/test_concurrency.py).
@pytest.mark.parametrize(
    "command",
    [
        ["match"],
        ["feedback", "sam-lee", "LEAD", "interested"],
        ["add-source", "https://boards.greenhouse.io/acme"],
    ],
)
def test_writers_wait_for_the_run_lock(matched: Path, command: list[str]) -> None:
    if "LEAD" in command:
        first = json.loads(leads(matched, "matches", "--format", "jsonl").stdout.splitlines()[0])
        command = [str(first["lead"]) if word == "LEAD" else word for word in command]
    holder = hold_the_lock(matched)
    writer = start_leads(matched, *command)
    try:
        assert stderr_until_waiting(writer), writer.communicate(timeout=WAIT)
    finally:
        holder.communicate("", timeout=WAIT)  # closing its stdin lets the lock go
    out, err = writer.communicate(timeout=WAIT)
    assert writer.returncode == 0, out + err


# -- PostgreSQL: an advisory lock ----------------------------------------------------------


def test_on_postgresql_a_run_finds_the_advisory_lock_held_and_does_nothing(
    postgres_database: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9/", database=postgres_database)
    holder = hold_the_lock(config)
    try:
        blocked = leads(config, "run")
    finally:
        holder.communicate("", timeout=WAIT)
    assert blocked.returncode == 0, blocked.stderr
    (said,) = blocked.stdout.splitlines()  # one line, however long
    who = f"pid {holder.pid} on {socket.gethostname()} since 2026-11-25T12:00:00+00:00"
    assert f"another run is in progress ({who}); this one did nothing" in said
    assert "(lock: PostgreSQL advisory lock " in said
    assert row_counts(postgres_database, "source_state") == {"source_state": 0}
    assert not list(tmp_path.glob("*.lock")), "no lock file on PostgreSQL"


def test_on_postgresql_a_writer_waits_and_a_killed_holder_lets_the_lock_go(
    postgres_database: str, tmp_path: Path
) -> None:
    """The server drops a session's advisory locks when its process dies, even by SIGKILL."""
    with feed_server() as feeds:
        config = write_config(tmp_path, feeds.url, database=postgres_database)
        holder = hold_the_lock(config)
        writer = start_leads(config, "match")  # (collect takes no run lock: source leases)
        try:
            assert stderr_until_waiting(writer), writer.communicate(timeout=WAIT)
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.communicate(timeout=WAIT)
        out, err = writer.communicate(timeout=WAIT)
    assert writer.returncode == 0, out + err
    assert "No leads stored yet" in out, out  # it ran once the lock was free


# -- the web view beside a run ------------------------------------------------------------------


def press_status(config: Path, status: str) -> tuple[int, int, float]:
    """Sam presses ``status`` on their best lead in the real web app over the config's
    database, as the page's form does: the response code, the lead, and how long it took."""
    app_config = load_config(config, option_models())
    store = Store(app_config.database_url)
    try:
        now = datetime.now(UTC)  # a link's date only; nothing here depends on the clock
        path = urlsplit(Links(app_config, store, KEY).url(Holder.MENTEE, "sam-lee", now)).path
        app = create_app(app_config, store, KEY, lambda: now, StoredAdvice(app_config, store))

        async def press() -> tuple[int, int, float]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                page = (await client.get(path)).text
                csrf = re.search(r'name="csrf" value="([^"]+)"', page)
                lead = re.search(r'/leads/(\d+)/status"', page)
                assert csrf and lead, page[:500]
                started = time.monotonic()
                answer = await client.post(
                    f"{path}/leads/{lead.group(1)}/status",
                    data={"csrf": csrf.group(1), "status": status},
                )
                return answer.status_code, int(lead.group(1)), time.monotonic() - started

        return asyncio.run(press())
    finally:
        store.close()


def stored_status(config: Path, lead: int) -> str | None:
    """Sam's latest stored status of ``lead`` (statuses are events), read from the database."""
    with sqlite3.connect(config.parent / "leads.db") as conn:
        row = conn.execute(
            "SELECT status FROM lead_statuses WHERE lead_id = ? ORDER BY id DESC LIMIT 1", (lead,)
        ).fetchone()
    return row[0] if row else None


def test_the_web_view_writes_at_once_while_a_run_collects_and_sends(tmp_path: Path) -> None:
    """A mentee's press never waits for (or breaks) a run: the web view's writes are short
    transactions on rows the run does not write, so they take no run lock."""
    with feed_server() as feeds, mail_sink() as (sink, port):
        config = write_config(tmp_path, feeds.url, port)
        assert leads(config, "run", "--only", "collect,match").returncode == 0
        # Collecting again: the run holds the lock, its first feed on the wire.
        held = write_config(tmp_path, feeds.url, port, held=True)
        run = start_leads(held, "run", "--only", "collect")
        assert feeds.requested.wait(WAIT)
        code, lead, seconds = press_status(config, "interested")
        assert (code, stored_status(config, lead)) == (303, "interested")
        feeds.release.set()
        out, err = run.communicate(timeout=WAIT)
        assert run.returncode == 0, out + err
        # Sending: the first digest is held at DATA, the lock held.
        sink.hold_at = "DATA"
        run = start_leads(config, "run", "--only", "digest")
        assert sink.held.wait(WAIT)
        code, lead, during_send = press_status(config, "applied")
        assert (code, stored_status(config, lead)) == (303, "applied")
        sink.release.set()
        out, err = run.communicate(timeout=WAIT)
    assert run.returncode == 0, out + err
    assert max(seconds, during_send) < WAIT / 2, "the press did not wait for the run"
    ids = sink.message_ids()
    assert len(ids) == 2 and len(set(ids)) == 2  # each digest once, the press changed nothing
