"""Several processes on one database (issue 16): collectors sharing a round through source
leases, a killed or frozen collector's sources taken over once its lease is gone, schedulers
electing one leader per job, digest senders claiming mentors.

Real processes (`python -m aggregator`, and for the digest senders the digest stage run by
`python -c` without the run lock, which would serialise them before the claims are reached),
a real loopback HTTP server that counts requests per path and holds every response until the
test lets them go, a real aiosmtpd server, real SQLite and the real PostgreSQL server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import parseaddr
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from subprocess import PIPE
from typing import Any

import pytest
from recordings import still_listed
from smtpkit import FreePortController
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import OperationalError
from test_run import MailSink, serving

from aggregator.core.config import AppConfig, StorageConfig
from aggregator.service import database_leader, job_specs, quiet_period
from aggregator.store import Store
from aggregator.store.engine import open_engine
from aggregator.store.leases import advisory_key, one_at_a_time
from aggregator.store.schema import source_leases, source_states

FIXTURES = Path(__file__).parent / "fixtures"
FEED = still_listed((FIXTURES / "rss/wwr_2022-11/remote-design-jobs.rss").read_bytes())
WAIT = 120  # seconds: a safety net for waits that normally end much sooner
MENTORS = """\
mentors:
  - {id: maria, name: Maria Okafor, email: maria@example.org}
  - {id: dev, name: Dev Raman, email: dev@example.org}
  - {id: lin, name: Lin Chen, email: lin@example.org}
mentees:
  - {name: Sam Lee, email: sam@example.org, mentor: maria, skills: [figma, design systems],
     roles: [product designer]}
  - {name: Priya Nair, email: priya@example.org, mentor: dev, skills: [figma, prototyping],
     roles: [ux designer]}
  - {name: Ana Ruiz, email: ana@example.org, mentor: lin, skills: [figma, user research],
     roles: [product designer]}
"""


# -- the database: conftest's ``database_url`` (SQLite, and PostgreSQL), migrated ---------


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    """An engine on the test's database, to watch the leases."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


# -- a feed server that counts -------------------------------------------------------------


class CountingFeeds:
    """The same recorded RSS feed under any path; counts requests per path on arrival and
    answers only once ``gate`` is open."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.gate = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def fetched(self) -> Counter[str]:
        with self.lock:
            return Counter(self.counts)


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, owner: CountingFeeds, *args: Any, **kwargs: Any) -> None:
        self.owner = owner
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        with self.owner.lock:
            self.owner.counts[self.path.lstrip("/")] += 1
        self.owner.gate.wait(WAIT)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(FEED)))
        self.end_headers()
        self.wfile.write(FEED)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def counting_feeds() -> Iterator[CountingFeeds]:
    feeds = CountingFeeds()
    with serving(feeds.server, feeds.gate):
        yield feeds


# -- the site and its processes ------------------------------------------------------------


def write_config(
    folder: Path,
    database_url: str,
    feeds_url: str,
    sources: int,
    *,
    lease: float = 30,
    smtp_port: int | None = None,
    extra: str = "",
) -> Path:
    """``sources`` RSS sources named feed-NN; each collector fetches at most 2 at a time, so
    several collectors each get a share."""
    lines = "\n".join(
        f'  - {{name: feed-{i:02d}, type: rss, url: "{feeds_url}feed-{i:02d}.rss"}}'
        for i in range(sources)
    )
    delivery = f"delivery: {{method: file, outbox: {folder / 'outbox'}}}"
    if smtp_port is not None:
        delivery = (
            "delivery:\n  method: smtp\n  smtp: {host: 127.0.0.1, "
            f'port: {smtp_port}, security: none, from: "leads@example.org", timeout: {WAIT}}}'
        )
    path = folder / "config.yaml"
    path.write_text(
        f'storage: {{url: "{database_url}", lease_seconds: {lease}}}\n'
        f"http: {{retries: 0, timeout: {WAIT}, concurrency: 2, per_host: 2}}\n"
        f"matching: {{max_age_days: null}}\n{delivery}\n{extra}"
        f"sources:\n{lines}\n{MENTORS}",
        encoding="utf-8",
    )
    return path


def start(config: Path, *args: str, log: Path | None = None) -> subprocess.Popen[str]:
    """`leads ARGS` in its own process group (so its helper processes go with it); its
    stderr to ``log`` when given."""
    command = [sys.executable, "-m", "aggregator", "--config", str(config), *args]
    if log is None:
        return subprocess.Popen(
            command, stdout=PIPE, stderr=PIPE, text=True, start_new_session=True
        )
    with log.open("w") as stderr:  # the child has its own copy of the descriptor
        return subprocess.Popen(
            command, stdout=PIPE, stderr=stderr, text=True, start_new_session=True
        )


def finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 0, (out, err)
    return out


def until(condition: Callable[[], Any], what: str, deadline: float = WAIT) -> Any:
    """Poll ``condition`` until it is truthy; fail naming ``what`` after ``deadline`` s."""
    ends = time.monotonic() + deadline
    while time.monotonic() < ends:
        found = condition()
        if found:
            return found
        threading.Event().wait(0.05)
    pytest.fail(f"waited {deadline} s for {what}")


def _holders_where(db: Engine, column: str) -> dict[str, str]:
    """Source → holder of the lease rows whose ``column`` is set."""
    with db.connect() as conn:
        rows = conn.execute(
            select(source_leases.c.source, source_leases.c.holder).where(
                source_leases.c[column].is_not(None)
            )
        ).all()
    return {source: holder for source, holder in rows}


def leased(db: Engine) -> dict[str, str]:
    """Source → holder of every live lease."""
    return _holders_where(db, "expires_at")


def fetched_by(db: Engine) -> dict[str, str]:
    """Source → the holder that stored it in the last round."""
    return _holders_where(db, "done_at")


def stored_sources(db: Engine) -> set[str]:
    with db.connect() as conn:
        return set(
            conn.execute(
                select(source_states.c.name).where(source_states.c.last_success.is_not(None))
            ).scalars()
        )


def pid_of(holder: str) -> int:
    return int(holder.split(":")[1])


def holders_by_pid(db: Engine) -> dict[int, list[str]]:
    held: dict[int, list[str]] = {}
    for source, holder in leased(db).items():
        held.setdefault(pid_of(holder), []).append(source)
    return held


def signal_group(process: subprocess.Popen[str], signum: int) -> None:
    os.killpg(process.pid, signum)


# -- collectors ----------------------------------------------------------------------------


def test_three_collectors_fetch_every_source_exactly_once(
    tmp_path: Path, database_url: str, db: Engine
) -> None:
    with counting_feeds() as feeds:
        config = write_config(tmp_path, database_url, feeds.url, 12)
        collectors = [start(config, "collect", "--quiet") for _ in range(3)]
        # Each holds its first two sources at the closed gate: all three share the round.
        until(lambda: len(holders_by_pid(db)) == 3, "three collectors holding leases")
        feeds.gate.set()
        for process in collectors:
            finish(process)
        fetched = feeds.fetched()
    names = {f"feed-{i:02d}" for i in range(12)}
    assert fetched == Counter({f"{name}.rss": 1 for name in names})
    assert stored_sources(db) == names
    by = fetched_by(db)
    assert set(by) == names
    assert {pid_of(h) for h in by.values()} == {p.pid for p in collectors}


def test_collect_workers_share_the_round_in_one_command(
    tmp_path: Path, database_url: str, db: Engine
) -> None:
    with counting_feeds() as feeds:
        config = write_config(tmp_path, database_url, feeds.url, 10)
        command = start(config, "collect", "--workers", "3")
        until(lambda: len(holders_by_pid(db)) == 3, "three worker processes holding leases")
        feeds.gate.set()
        finish(command)
        fetched = feeds.fetched()
    assert fetched == Counter({f"feed-{i:02d}.rss": 1 for i in range(10)})
    assert len({pid_of(h) for h in fetched_by(db).values()}) == 3


def _two_collectors_one_stopped(
    tmp_path: Path, database_url: str, db: Engine, feeds: CountingFeeds, lease: float, signum: int
) -> tuple[subprocess.Popen[str], subprocess.Popen[str], list[str], float]:
    """A and B each hold two of six sources at the closed gate; then A gets ``signum`` and
    the gate opens. Returns A, B, A's sources and when A was signalled."""
    config = write_config(tmp_path, database_url, feeds.url, 6, lease=lease)
    first = start(config, "collect", "--quiet")
    until(lambda: len(holders_by_pid(db).get(first.pid, [])) == 2, "A holding two sources")
    second = start(config, "collect", "--quiet")
    until(lambda: len(holders_by_pid(db).get(second.pid, [])) == 2, "B holding two sources")
    taken = sorted(holders_by_pid(db)[first.pid])
    signal_group(first, signum)
    signalled = time.monotonic()
    feeds.gate.set()
    return first, second, taken, signalled


def test_a_killed_collectors_sources_are_fetched_by_another_within_the_lease(
    tmp_path: Path, database_url: str, db: Engine
) -> None:
    lease = 5.0
    with counting_feeds() as feeds:
        killed, other, taken, at = _two_collectors_one_stopped(
            tmp_path, database_url, db, feeds, lease, signal.SIGKILL
        )
        killed.communicate(timeout=WAIT)
        until(lambda: set(taken) <= set(fetched_by(db)), "the killed collector's sources stored")
        took = time.monotonic() - at
        finish(other)
        fetched = feeds.fetched()
    assert took < lease + 10  # slack for a loaded machine; the lease itself is 5 s
    by = fetched_by(db)
    assert {pid_of(by[source]) for source in taken} == {other.pid}
    assert stored_sources(db) == {f"feed-{i:02d}" for i in range(6)}
    # The killed collector's requests reached the server before it died: those two
    # sources were asked for twice, every other source once.
    assert fetched == Counter(
        {f"feed-{i:02d}.rss": 2 if f"feed-{i:02d}" in taken else 1 for i in range(6)}
    )


def test_a_frozen_collector_loses_its_sources_when_its_lease_runs_out(
    tmp_path: Path, database_url: str, db: Engine
) -> None:
    """SIGSTOP: the holder is alive but renews nothing; only the lease's end frees its
    sources (a dead process on this host is noticed at once, see the test above)."""
    lease = 3.0
    with counting_feeds() as feeds:
        frozen, other, taken, at = _two_collectors_one_stopped(
            tmp_path, database_url, db, feeds, lease, signal.SIGSTOP
        )
        try:
            finish(other)
            took = time.monotonic() - at
        finally:
            signal_group(frozen, signal.SIGKILL)
            frozen.communicate(timeout=WAIT)
    # A renewed its leases at most a third of a lease before it froze: they ran out 2/3 to 1
    # lease after that, and not before (B waited for them).
    assert lease * 2 / 3 - 0.2 <= took < lease + 15
    by = fetched_by(db)
    assert {pid_of(by[source]) for source in taken} == {other.pid}
    assert stored_sources(db) == {f"feed-{i:02d}" for i in range(6)}


def test_collect_beside_a_held_run_lock_does_not_wait(tmp_path: Path, database_url: str) -> None:
    """Collectors coordinate through leases, not the run lock: a `leads collect` beside a
    running `leads run` shares its round instead of waiting for it to end."""
    holder = textwrap.dedent(
        """\
        import sys
        from datetime import UTC, datetime
        from pathlib import Path
        from aggregator.core.config import load_config
        from aggregator.store.locking import run_lock
        from sources import option_models

        config = load_config(Path(sys.argv[1]), option_models())
        with run_lock(config, datetime.now(UTC)):
            print("held", flush=True)
            sys.stdin.read()
        """
    )
    with counting_feeds() as feeds:
        feeds.gate.set()
        config = write_config(tmp_path, database_url, feeds.url, 2)
        lock = subprocess.Popen(
            [sys.executable, "-c", holder, str(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert lock.stdout is not None and lock.stdout.readline() == "held\n"
            finish(start(config, "collect", "--quiet"))
        finally:
            lock.communicate("", timeout=WAIT)
        assert feeds.fetched() == Counter({"feed-00.rss": 1, "feed-01.rss": 1})


# -- schedulers ----------------------------------------------------------------------------


def test_two_schedulers_run_each_job_once(tmp_path: Path, database_url: str) -> None:
    """Both start with the collect job (collect, match, the due digests): one runs it, the
    other says it skipped it; every feed is fetched once and each mentor gets one digest."""
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    with counting_feeds() as feeds:
        feeds.gate.set()
        config = write_config(
            tmp_path, database_url, feeds.url, 4, extra="schedule: {collect: every 3h, jitter: 0}\n"
        )
        schedulers = [start(config, "schedule", log=log) for log in logs]
        try:
            texts = until(
                lambda: _both_logged(logs, "digest: done", "collect and match skipped: "),
                "one scheduler running the collect job and the other skipping it",
            )
        finally:
            for process in schedulers:
                process.send_signal(signal.SIGTERM)
            for process in schedulers:
                finish(process)
        fetched = feeds.fetched()
    assert fetched == Counter({f"feed-{i:02d}.rss": 1 for i in range(4)})
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3  # one per mentor
    skipped = next(t for t in texts if "skipped" in t)
    assert "another scheduler" in skipped and "collect: starting" not in skipped


def _both_logged(logs: list[Path], done: str, skipped: str) -> list[str] | None:
    texts = [log.read_text(encoding="utf-8") for log in logs]
    if any(done in t for t in texts) and any(skipped in t for t in texts):
        return texts
    return None


# -- digest senders ------------------------------------------------------------------------

SENDER = textwrap.dedent(
    """\
    import sys
    from datetime import UTC, datetime
    from pathlib import Path
    from aggregator.core.config import load_config
    from aggregator.stages import digest
    from aggregator.store import Store
    from sources import option_models

    config = load_config(Path(sys.argv[1]), option_models())
    store = Store(config.database_url)
    report = digest.deliver(config, store, lambda: datetime.now(UTC), due_only=True)
    for outcome in report.outcomes:
        print(outcome.mentor, outcome.status.value, flush=True)
    """
)


class CountingSink(MailSink):
    """MailSink that counts the clients it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = 0

    async def _hold(self, stage: str) -> None:
        if self.hold_at == stage:
            self.holding += 1
        await super()._hold(stage)


def test_two_digest_senders_send_every_digest_once(tmp_path: Path, database_url: str) -> None:
    with counting_feeds() as feeds:
        feeds.gate.set()
        config = write_config(tmp_path, database_url, feeds.url, 2)
        finish(start(config, "run", "--only", "collect,match"))
    sink = CountingSink()
    with mail_sink_of(sink) as port:
        config = write_config(tmp_path, database_url, feeds.url, 2, smtp_port=port)
        sink.hold_at = "DATA"
        first = subprocess.Popen(
            [sys.executable, "-c", SENDER, str(config)], stdout=subprocess.PIPE, text=True
        )
        assert sink.held.wait(WAIT)  # the first sender's first digest is on the wire
        second = subprocess.Popen(
            [sys.executable, "-c", SENDER, str(config)], stdout=subprocess.PIPE, text=True
        )
        until(lambda: sink.holding == 2, "the second sender's digest on the wire")
        sink.release.set()
        outputs = [p.communicate(timeout=WAIT)[0] for p in (first, second)]
    assert first.returncode == second.returncode == 0, outputs
    recipients = sorted(
        parseaddr(str(message_from_bytes(raw, policy=policy.default)["To"]))[1]
        for raw in sink.accepted
    )
    assert recipients == ["dev@example.org", "lin@example.org", "maria@example.org"], outputs
    assert len(set(sink.message_ids())) == 3
    said = [dict(line.split() for line in out.splitlines()) for out in outputs]
    for mentor in ("maria", "dev", "lin"):
        assert sorted(s.get(mentor, "-") for s in said) == ["elsewhere", "sent"], said


@contextmanager
def mail_sink_of(sink: MailSink) -> Iterator[int]:
    """test_run.mail_sink with this sink."""
    controller = FreePortController(sink, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield controller.port
    finally:
        sink.release.set()
        controller.stop()


# -- the leader of a job, in-process -------------------------------------------------------


def test_one_scheduler_at_a_time_holds_a_jobs_advisory_lock(postgres_database: str) -> None:
    """PostgreSQL's own (on SQLite every scheduler leads, and the job's start record decides)."""
    first, second = Store(postgres_database), Store(postgres_database)
    try:
        with first.job_leader("digest:maria") as leading:
            assert leading
            with second.job_leader("digest:maria") as other, second.job_leader("collect") as free:
                assert (other, free) == (False, True)
        with second.job_leader("digest:maria") as after:
            assert after  # let go when the first one's job ended
    finally:
        first.close()
        second.close()


def test_a_job_started_for_this_fire_time_is_not_started_again(database_url: str) -> None:
    spec = next(s for s in job_specs(_config()) if s.id == "collect")
    quiet = quiet_period(spec)
    assert quiet == timedelta(hours=3) - timedelta(seconds=60 + 300)  # every 3h, jitter 300
    store = Store(database_url)
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    try:
        assert store.start_job("collect", "a", start, start - quiet) is None
        later = start + timedelta(minutes=4)  # another host, its jitter later
        assert (
            store.start_job("collect", "b", later, later - quiet)
            == "a at 2026-12-01T09:00:00+00:00"
        )
        following = start + timedelta(hours=3)
        assert store.start_job("collect", "b", following, following - quiet) is None
    finally:
        store.close()


def test_a_start_recorded_by_a_process_that_is_gone_does_not_count(database_url: str) -> None:
    """Seen: `leads schedule` restarted (or killed mid-job) found its own predecessor's start
    of "collect" and sat idle until the next fire time, hours later."""
    spec = next(s for s in job_specs(_config()) if s.id == "collect")
    quiet = quiet_period(spec)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    gone = f"{socket.gethostname()}:{ended.stdout.strip()}:0a1b2c3d"
    alive = f"{socket.gethostname()}:{os.getpid()}:0a1b2c3d"
    store = Store(database_url)
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    restarted = start + timedelta(seconds=25)
    try:
        assert store.start_job("collect", gone, start, start - quiet) is None
        assert store.start_job("collect", "new", restarted, restarted - quiet) is None
        assert store.start_job("digest:m", alive, start, start - quiet) is None
        assert store.start_job("digest:m", "new", restarted, restarted - quiet) == (
            f"{alive} at 2026-12-01T09:00:00+00:00"
        )
    finally:
        store.close()


def test_a_scheduled_job_waits_for_the_run_in_progress(tmp_path: Path, database_url: str) -> None:
    """Seen: two schedulers on one database and two mentors' digests due at one time: one
    recorded the start of Maria's digest, found the run lock held by the other (sending Dev's)
    and gave up; the other then skipped Maria's as started. Her digest went at no fire time.
    A scheduled job now waits for the run in progress."""
    from aggregator import runner
    from aggregator.core.config import load_config
    from aggregator.store.locking import run_lock
    from sources import option_models

    config = load_config(write_config(tmp_path, database_url, "http://127.0.0.1:9/", 0),
                         option_models())  # fmt: skip
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    told: list[str] = []
    waiting, done = threading.Event(), threading.Event()

    def busy(holder: str) -> None:
        told.append(holder)
        waiting.set()

    def scheduled() -> None:
        runner.run(config, lambda: now, (), on_busy=busy)
        done.set()

    with run_lock(config, now):
        job = threading.Thread(target=scheduled)
        job.start()
        assert waiting.wait(WAIT) and not done.is_set()
    job.join(WAIT)
    assert done.is_set() and len(told) == 1


def test_a_fire_time_this_scheduler_ran_already_is_said_as_its_own(database_url: str) -> None:
    """Seen on the day daylight saving time ends: the second 02:30 of a mentor's digest was
    skipped as "another scheduler ran it" by the only scheduler there was."""
    config = _config().model_copy(update={"storage": StorageConfig(url=database_url)})
    spec = next(s for s in job_specs(config) if s.id == "digest:m")
    at = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    lead = database_leader(config, lambda: at)
    with lead(spec) as first:
        assert first is None
    at += timedelta(hours=1)
    with lead(spec) as second:
        assert second is not None and second.startswith("this scheduler ran it (")
    other = database_leader(config, lambda: at)
    with other(spec) as third:
        assert third is not None and third.startswith("another scheduler ran it (")


def _config() -> AppConfig:
    return AppConfig.model_validate(
        {"mentors": [{"id": "m", "name": "M", "email": "m@example.org"}]}
    )


# -- statement_timeout and the store's turns -----------------------------------------------


def test_waiting_for_another_collectors_turn_is_not_cut_by_statement_timeout(
    postgres_database: str,
) -> None:
    """Seen: with storage.statement_timeout 1 and a collector storing a large collection for
    longer, every other collector's wait for its turn ("store-postings") was cancelled by the
    server and failed its whole collect; the limit is for statements that run away."""
    timeout = 0.05
    engine = open_engine(postgres_database, statement_timeout=timeout)
    holder = create_engine(postgres_database)
    key = advisory_key("store-postings")
    failures: list[BaseException] = []

    def turn() -> None:
        try:
            with one_at_a_time(engine, "store-postings") as conn:
                conn.execute(text("SELECT 1"))
                with pytest.raises(OperationalError, match="statement timeout"):
                    conn.execute(text("SELECT pg_sleep(:s)"), {"s": timeout * 20})
        except BaseException as exc:  # handed to the test's thread
            failures.append(exc)

    try:
        with holder.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
            waiter = threading.Thread(target=turn)
            waiter.start()
            _until_waited(holder, key, timeout * 4, waiter)
        waiter.join(WAIT)
        assert not waiter.is_alive()
        assert failures == []
    finally:
        engine.dispose()
        holder.dispose()


def _until_waited(engine: Engine, key: int, seconds: float, waiter: threading.Thread) -> None:
    """Return once a session has waited ``seconds`` (by the server's clock) for lock ``key``,
    or ``waiter`` gave up waiting."""
    waited = text(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND NOT l.granted AND l.classid = :high "
        "AND l.objid = :low AND clock_timestamp() - a.query_start > make_interval(secs => :s)"
    )
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    params = {"high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF, "s": seconds}
    deadline = time.monotonic() + WAIT
    with engine.connect() as conn:
        while waiter.is_alive() and not conn.execute(waited, params).scalar():
            assert time.monotonic() < deadline, "the waiter never waited for the lock"
            conn.rollback()  # a new snapshot of pg_stat_activity each time
