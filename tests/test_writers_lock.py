"""Commands that write wait for a running `leads run` / `leads schedule` job (issue 11,
point 5): they take the run lock. Real processes, a real SMTP server, real SQLite."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_run import WAIT, feed_server, leads, mail_sink, start_leads, write_config

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


@pytest.mark.parametrize(
    "command",
    [
        ["collect"],
        ["match"],
        ["feedback", "sam-lee", "LEAD", "interested"],
        ["add-source", "https://boards.greenhouse.io/acme"],
    ],
)
def test_writers_wait_for_the_run_lock(matched: Path, command: list[str]) -> None:
    if "LEAD" in command:
        first = json.loads(leads(matched, "matches", "--format", "jsonl").stdout.splitlines()[0])
        command = [str(first["lead"]) if word == "LEAD" else word for word in command]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(matched)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    writer = start_leads(matched, *command)
    try:
        assert stderr_until_waiting(writer), writer.communicate(timeout=WAIT)
    finally:
        holder.communicate("", timeout=WAIT)  # closing its stdin lets the lock go
    out, err = writer.communicate(timeout=WAIT)
    assert writer.returncode == 0, out + err
