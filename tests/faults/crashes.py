"""Whole-system crash safety: real `leads run` / `leads digest` processes SIGKILLed at seeded
points across collect, match and send, then a run to completion.

Each round starts from an empty database with ten mentors (ten digests to send), kills
processes at points chosen by a seeded random generator, and checks after every kill that the
database passes ``PRAGMA integrity_check``; a final run must then deliver every mentor's
digest exactly once: no (mentor, lead) recorded twice, every Message-ID the SMTP server
accepted recorded in the store, and a digest accepted just before a kill (the 250 given, the
commit not made) resent with the same Message-ID. The servers and process helpers are those
of tests/test_run.py.
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from test_run import (
    WAIT,
    FeedServer,
    MailSink,
    beside,
    counts,
    delivered_once,
    kill,
    leads,
    start_leads,
    write_config,
)

POINTS = ("collect", "match", "MAIL", "DATA", "ACCEPTED")
EXTRA_MENTORS = 8  # beside maria and dev: ten digests, so sends have many kill points
MENTEES = ("backend engineer", "product designer", "devops engineer")


@dataclass
class CrashFigures:
    """What the kills did, over all rounds."""

    kills: Counter[str] = field(default_factory=Counter)  # by point
    rounds: int = 0
    digests: int = 0  # distinct digests delivered
    resent_same_id: int = 0  # digests the server accepted twice, with one Message-ID
    duplicate_deliveries: int = 0  # (mentor, lead) recorded twice: must stay 0


def crash_config(folder: Path, feeds: FeedServer, port: int, *, held: bool = False) -> Path:
    """test_run's config with SMTP to ``port`` and eight more mentors, one mentee each."""
    config = write_config(folder, feeds.url, port, held=held)
    mentors = "".join(
        f"  - {{id: m{i}, name: Mentor {i}, email: m{i}@example.org}}\n"
        for i in range(EXTRA_MENTORS)
    )
    mentees = "".join(
        f"  - {{name: Mentee {i}, email: e{i}@example.org, mentor: m{i}, "
        f"roles: [{MENTEES[i % len(MENTEES)]}]}}\n"
        for i in range(EXTRA_MENTORS)
    )
    text = config.read_text(encoding="utf-8")
    text = text.replace("mentors:\n", "mentors:\n" + mentors, 1)
    config.write_text(text.replace("mentees:\n", "mentees:\n" + mentees, 1), encoding="utf-8")
    return config


def crash_round(
    folder: Path, feeds: FeedServer, sink: MailSink, port: int, rng: random.Random, kills: int,
    figures: CrashFigures,
) -> None:
    """``kills`` seeded kills into a fresh database, then a run to completion, checked."""
    sink.accepted.clear()
    done = 0
    while done < kills:
        point = rng.choice(POINTS)
        pending = 2 + EXTRA_MENTORS - len({m for m, _ in _deliveries(folder)})
        if point in ("MAIL", "DATA", "ACCEPTED") and not _matched(folder):
            # Earlier kills stopped before matching: finish it, so the send can be cut.
            ready = leads(crash_config(folder, feeds, port), "run", "--only", "collect,match")
            assert ready.returncode == 0, ready.stderr
        if point in ("MAIL", "DATA", "ACCEPTED") and pending == 0:
            break  # every digest is out: nothing left to interrupt in this round
        _kill_at(point, folder, feeds, sink, port, rng, pending)
        counts(beside(folder))  # the integrity check after every kill
        figures.kills[point] += 1
        done += 1
    _finish(folder, feeds, sink, port, figures)


def _kill_at(
    point: str, folder: Path, feeds: FeedServer, sink: MailSink, port: int, rng: random.Random,
    pending: int,
) -> None:
    if point == "collect":
        process = start_leads(crash_config(folder, feeds, port, held=True), "run")
        assert feeds.requested.wait(WAIT)
        kill(process)
        feeds.release.set()
        feeds.requested.clear()
        feeds.release.clear()
    elif point == "match":
        process = start_leads(crash_config(folder, feeds, port), "--verbose", "run")
        assert process.stderr is not None
        for line in process.stderr:
            if "match: starting" in line:
                break
        kill(process)
    else:
        sink.hold_at, sink.let_pass = point, rng.randrange(pending)
        command = rng.choice(("run", "digest"))
        process = start_leads(crash_config(folder, feeds, port), command)
        assert sink.held.wait(WAIT), f"no {point} reached by leads {command}"
        kill(process)
        sink.hold_at = None
        sink.release.set()
        sink.held.clear()
        sink.release.clear()


def _finish(
    folder: Path, feeds: FeedServer, sink: MailSink, port: int, figures: CrashFigures
) -> None:
    """A run to completion, then the checks: each digest once, every accepted one recorded."""
    config = crash_config(folder, feeds, port)
    finished = leads(config, "run")
    assert finished.returncode == 0, finished.stderr
    again = leads(config, "digest")
    assert again.returncode == 0, again.stderr
    rows = delivered_once(beside(folder))  # asserts no (mentor, lead) twice
    pairs = [(mentor, lead) for mentor, lead, _ in rows]
    recorded = {message for _, _, message in rows}
    accepted = Counter(sink.message_ids())
    assert set(accepted) == recorded, "an accepted digest is not recorded (or the reverse)"
    assert {mentor for mentor, _ in pairs} == {"maria", "dev"} | {
        f"m{i}" for i in range(EXTRA_MENTORS)
    }
    assert len(recorded) == 2 + EXTRA_MENTORS  # one digest per mentor
    figures.rounds += 1
    figures.digests += len(recorded)
    figures.resent_same_id += sum(n - 1 for n in accepted.values())
    figures.duplicate_deliveries += len(pairs) - len(set(pairs))


def database(folder: Path) -> sqlite3.Connection:
    return sqlite3.connect(folder / "leads.db")


def _deliveries(folder: Path) -> list[tuple[str, int]]:
    if not (folder / "leads.db").exists():
        return []
    with database(folder) as conn:
        return conn.execute("SELECT mentor_id, lead_id FROM deliveries").fetchall()


def _matched(folder: Path) -> bool:
    """Whether matching has stored matches (before that, no send can be interrupted)."""
    if not (folder / "leads.db").exists():
        return False
    with database(folder) as conn:
        try:
            return bool(conn.execute("SELECT count(*) FROM matches").fetchone()[0])
        except sqlite3.OperationalError:  # killed before the schema was made
            return False

