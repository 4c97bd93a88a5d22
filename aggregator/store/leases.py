"""Several processes on one database: collection rounds and source leases, digest claims,
and which scheduler leads a job.

Only the database's own primitives coordinate: on PostgreSQL ``SELECT … FOR UPDATE SKIP
LOCKED`` picks free sources without waiting on another collector's rows, and advisory locks
serialise opening a round and elect a job's leader; on SQLite the database's one write lock
does the same (a claim is one UPDATE; ``BEGIN IMMEDIATE`` where a transaction reads before it
writes; writers queue on ``busy_timeout``). A lease is a row
naming its holder and when it runs out; its holder renews it while alive (:class:`Heartbeat`),
so a killed holder's sources pass to another collector once ``storage.lease_seconds`` are over.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import ModuleType, TracebackType
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    exists,
    insert,
    not_,
    or_,
    select,
    text,
    update,
)

from aggregator.core.processes import process_alive
from aggregator.store.engine import SQLITE_IMMEDIATE, one_line
from aggregator.store.rows import StorePart, chunks
from aggregator.store.schema import collect_rounds, digest_claims, job_runs, source_leases

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Dialects whose insert() takes ON CONFLICT DO NOTHING.
_ON_CONFLICT_DIALECTS = frozenset({"postgresql", "sqlite"})


def new_holder() -> str:
    """A name for this process's leases: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def holder_gone(holder: str) -> bool:
    """True when ``holder`` was a process on this host that no longer exists: its leases need
    not be waited out (a crashed run's successor on the same machine goes on at once)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not process_alive(int(pid))


def advisory_key(name: str) -> int:
    """A stable signed 64-bit PostgreSQL advisory lock key for ``name``."""
    digest = hashlib.sha256(f"mentor-leads:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass(frozen=True, slots=True)
class Lease:
    """Who holds leases, for how long, and the clock they are measured by."""

    holder: str
    seconds: float
    now: Clock

    def until(self) -> datetime:
        """When a lease taken or renewed now runs out."""
        return self.now() + timedelta(seconds=self.seconds)


@dataclass(frozen=True, slots=True)
class CollectRound:
    """A collection round a collector joined."""

    id: int
    started_at: datetime  # what the round finds new is first seen then, whoever stores it


@dataclass(frozen=True, slots=True)
class RoundState:
    """Where one collector's sources stand in a round."""

    to_do: int  # sources not yet fetched in the round
    leased_elsewhere: int  # of those, held by another live collector


class LeasesStore(StorePart):
    """Collection rounds, source leases, digest claims and job leaders (a part of Store)."""

    # -- collection rounds and source leases ---------------------------------------------

    def join_round(self, sources: Sequence[str], lease: Lease) -> CollectRound:
        """The open round (a new one when no round is alive); every source given gets a
        lease row. A round is alive while it is young or a live lease belongs to it."""
        now = lease.now()
        with one_at_a_time(self.engine, "collect-round") as conn:
            _expire_gone_holders(conn, now)
            alive = or_(
                collect_rounds.c.started_at > now - timedelta(seconds=lease.seconds),
                exists().where(
                    source_leases.c.round_id == collect_rounds.c.id,
                    source_leases.c.expires_at > now,
                ),
            )
            current = conn.execute(
                select(collect_rounds.c.id, collect_rounds.c.started_at)
                .where(collect_rounds.c.finished_at.is_(None), alive)
                .order_by(collect_rounds.c.id.desc())
                .limit(1)
            ).first()
            if current is None:
                conn.execute(
                    update(collect_rounds)
                    .where(collect_rounds.c.finished_at.is_(None))
                    .values(finished_at=now)  # abandoned rounds: all their holders died
                )
                current = conn.execute(
                    insert(collect_rounds)
                    .values(started_at=now)
                    .returning(collect_rounds.c.id, collect_rounds.c.started_at)
                ).one()
                log.info("collection round %d started", current.id)
            else:
                log.info("joined collection round %d", current.id)
            _insert_missing(conn, source_leases, [{"source": name} for name in sources])
        return CollectRound(int(current.id), current.started_at)

    def claim_sources(
        self, round_id: int, sources: Sequence[str], lease: Lease, limit: int
    ) -> list[str]:
        """Lease up to ``limit`` of ``sources`` not fetched in this round and held by no live
        collector (PostgreSQL skips rows another claim has locked instead of waiting)."""
        if limit <= 0:
            return []
        now = lease.now()
        free = and_(
            source_leases.c.source.in_(list(sources)),
            or_(source_leases.c.expires_at.is_(None), source_leases.c.expires_at <= now),
            not_(and_(source_leases.c.round_id == round_id, source_leases.c.done_at.is_not(None))),
        )
        picked = (
            select(source_leases.c.source)
            .where(free)
            .order_by(source_leases.c.source)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(source_leases)
            .where(source_leases.c.source.in_(picked.scalar_subquery()), free)
            .values(round_id=round_id, holder=lease.holder, expires_at=lease.until(), done_at=None)
            .returning(source_leases.c.source)
        )
        with self.engine.begin() as conn:
            return sorted(conn.execute(claim).scalars())

    def finish_sources(self, round_id: int, sources: Sequence[str], lease: Lease) -> list[str]:
        """Mark sources fetched in the round and let their leases go (one transaction for
        all that finished together); those whose lease had passed to another collector
        (this one was presumed dead) are returned."""
        kept: set[str] = set()
        with self.engine.begin() as conn:
            for part in chunks(list(sources)):
                kept.update(
                    conn.execute(
                        update(source_leases)
                        .where(
                            source_leases.c.source.in_(part),
                            source_leases.c.holder == lease.holder,
                            source_leases.c.round_id == round_id,
                        )
                        .values(done_at=lease.now(), expires_at=None)
                        .returning(source_leases.c.source)
                    ).scalars()
                )
        return [source for source in sources if source not in kept]

    def round_state(self, round_id: int, sources: Sequence[str], lease: Lease) -> RoundState:
        """How many of ``sources`` the round still has to fetch, and how many of those another
        live collector holds; the round is closed once none is left."""
        now = lease.now()
        to_do = leased = 0
        with one_at_a_time(self.engine, "collect-round") as conn:
            _expire_gone_holders(conn, now)
            for part in chunks(list(sources)):
                rows = conn.execute(
                    select(source_leases.c.holder, source_leases.c.expires_at).where(
                        source_leases.c.source.in_(part),
                        not_(
                            and_(
                                source_leases.c.round_id == round_id,
                                source_leases.c.done_at.is_not(None),
                            )
                        ),
                    )
                ).all()
                to_do += len(rows)
                leased += sum(
                    1
                    for holder, expires in rows
                    if holder != lease.holder and expires is not None and expires > now
                )
            if not to_do:
                conn.execute(
                    update(collect_rounds)
                    .where(collect_rounds.c.id == round_id, collect_rounds.c.finished_at.is_(None))
                    .values(finished_at=now)
                )
        return RoundState(to_do, leased)

    def renew(self, lease: Lease) -> None:
        """Push back the end of every lease and claim ``lease.holder`` still has."""
        until = lease.until()
        with self.engine.begin() as conn:
            conn.execute(
                update(source_leases)
                .where(
                    source_leases.c.holder == lease.holder, source_leases.c.expires_at.is_not(None)
                )
                .values(expires_at=until)
            )
            conn.execute(
                update(digest_claims)
                .where(digest_claims.c.holder == lease.holder)
                .values(expires_at=until)
            )

    # -- digest claims ---------------------------------------------------------------------

    def claim_digest(self, mentor: str, lease: Lease) -> str | None:
        """Claim sending ``mentor``'s digest: None when claimed, else who holds it."""
        now = lease.now()
        with self.engine.begin() as conn:
            _insert_missing(conn, digest_claims, [{"mentor_id": mentor}])
            taken = conn.execute(
                update(digest_claims)
                .where(
                    digest_claims.c.mentor_id == mentor,
                    or_(
                        digest_claims.c.expires_at.is_(None),
                        digest_claims.c.expires_at <= now,
                        digest_claims.c.holder == lease.holder,
                    ),
                )
                .values(holder=lease.holder, expires_at=lease.until())
            )
            if taken.rowcount == 1:
                return None
            holder = conn.execute(
                select(digest_claims.c.holder).where(digest_claims.c.mentor_id == mentor)
            ).scalar()
        if holder and holder_gone(holder):
            with self.engine.begin() as conn:
                _release_digest(conn, mentor, holder)
            return self.claim_digest(mentor, lease)
        return holder or "another process"

    def release_digest(self, mentor: str, holder: str) -> None:
        """Let go of a digest claim without recording a delivery (a failure, a dry run)."""
        with self.engine.begin() as conn:
            _release_digest(conn, mentor, holder)

    # -- scheduled jobs --------------------------------------------------------------------

    @contextmanager
    def job_leader(self, job: str) -> Iterator[bool]:
        """True for the block when this process leads ``job``: on PostgreSQL it holds the job's
        advisory lock (released when the block ends, or by the server when the process dies);
        other databases have no server to elect one and always lead (a file lock serialises
        their runs)."""
        if self.engine.dialect.name != "postgresql":
            yield True
            return
        key = advisory_key(f"job:{job}")
        with self.engine.connect() as conn:
            leading = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            )
            conn.commit()  # the session lock outlives the transaction; no snapshot stays open
            try:
                yield leading
            finally:
                if leading:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()

    def start_job(self, job: str, holder: str, now: datetime, not_since: datetime) -> str | None:
        """Record that ``holder`` starts ``job`` now unless a run of it started after
        ``not_since`` by a process that may still be alive: None when recorded, else who
        started the earlier run and when. A run started by a process of this host that is
        gone does not count: a scheduler restarted (or killed mid-job) must not find its own
        predecessor's run and sit idle until the next fire time; what a job does twice is
        harmless (a digest is sent once whatever runs it: digest claims and deliveries)."""
        with self.engine.begin() as conn:
            _insert_missing(
                conn, job_runs, [{"job_id": job, "holder": holder, "started_at": not_since}]
            )
            started = conn.execute(
                update(job_runs)
                .where(job_runs.c.job_id == job, job_runs.c.started_at <= not_since)
                .values(holder=holder, started_at=now)
            )
            if started.rowcount == 1:
                return None
            row = conn.execute(
                select(job_runs.c.holder, job_runs.c.started_at).where(job_runs.c.job_id == job)
            ).one()
            if holder_gone(row.holder):
                taken = conn.execute(
                    update(job_runs)
                    .where(job_runs.c.job_id == job, job_runs.c.holder == row.holder)
                    .values(holder=holder, started_at=now)
                )
                if taken.rowcount == 1:
                    return None
        return f"{row.holder} at {row.started_at.isoformat(timespec='seconds')}"


class Heartbeat:
    """Renews a holder's leases every third of their length while the block runs."""

    def __init__(self, store: LeasesStore, lease: Lease) -> None:
        self.store = store
        self.lease = lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        failing = False
        while not self._stop.wait(self.lease.seconds / 3):
            try:
                self.store.renew(self.lease)
            except Exception as exc:  # the next beat tries again; the step's own error tells
                # One line when the beats start failing, not a traceback at every beat: a
                # database gone mid-run filled a cron mail with 600 lines before the run's
                # own error said so.
                if not failing:
                    log.warning("could not renew the leases of %s: %s (trying again every "
                                "%.0f s)", self.lease.holder, one_line(exc),
                                self.lease.seconds / 3)  # fmt: skip
                failing = True
            else:
                if failing:
                    log.info("the leases of %s are renewed again", self.lease.holder)
                failing = False


def release_digest_in(conn: Connection, mentor: str, holder: str | None) -> None:
    """Release ``holder``'s claim on ``mentor``'s digest within the caller's transaction."""
    if holder is not None:
        _release_digest(conn, mentor, holder)


def _release_digest(conn: Connection, mentor: str, holder: str) -> None:
    conn.execute(
        update(digest_claims)
        .where(digest_claims.c.mentor_id == mentor, digest_claims.c.holder == holder)
        .values(holder=None, expires_at=None)
    )


@contextmanager
def one_at_a_time(engine: Engine, name: str | int) -> Iterator[Connection]:
    """A transaction that processes run one at a time: on PostgreSQL under the advisory lock
    ``name`` (a key, or a name made one by :func:`advisory_key`; held until the transaction
    ends), on SQLite from BEGIN IMMEDIATE (the database's write lock). Use it for a
    transaction that reads and then writes what another process may be writing too."""
    with engine.connect() as conn:
        conn.execution_options(**{SQLITE_IMMEDIATE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                _wait_for_turn(conn, name if isinstance(name, int) else advisory_key(name))
            yield conn


def _wait_for_turn(conn: Connection, key: int) -> None:
    """Take the transaction's advisory lock ``key``, however long another process holds it.

    statement_timeout bounds statements that run away, not a wait for another collector to
    finish storing a large collection: cancelled, the wait failed the whole collect. So the
    wait runs without it, and the session's own limit applies again to what follows.
    """
    lock = text("SELECT pg_advisory_xact_lock(:k)")
    limit = conn.execute(text("SELECT current_setting('statement_timeout')")).scalar_one()
    if limit == "0":
        conn.execute(lock, {"k": key})
        return
    set_limit = text("SELECT set_config('statement_timeout', :limit, true)")
    conn.execute(set_limit, {"limit": "0"})
    conn.execute(lock, {"k": key})
    conn.execute(set_limit, {"limit": limit})


def _expire_gone_holders(conn: Connection, now: datetime) -> None:
    """End at once the live leases of holders known to be dead (see :func:`holder_gone`)."""
    live: ColumnElement[bool] = source_leases.c.expires_at > now
    holders = conn.execute(select(source_leases.c.holder).where(live).distinct()).scalars()
    gone = [h for h in holders if h and holder_gone(h)]
    if gone:
        log.info("leases of finished processes released: %s", ", ".join(gone))
        conn.execute(
            update(source_leases)
            .where(source_leases.c.holder.in_(gone), live)
            .values(expires_at=now)
        )


def _insert_missing(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows whose primary key is not there yet (ON CONFLICT DO NOTHING)."""
    dialect = _on_conflict_dialect(conn)
    for part in chunks(rows):
        if dialect is not None:
            conn.execute(dialect.insert(table).on_conflict_do_nothing(), part)
            continue
        key = next(iter(table.primary_key.columns))
        have = set(conn.execute(select(key).where(key.in_([r[key.name] for r in part]))).scalars())
        missing = [r for r in part if r[key.name] not in have]
        if missing:
            conn.execute(insert(table), missing)


def _on_conflict_dialect(conn: Connection) -> ModuleType | None:
    """The SQLAlchemy dialect module of ``conn`` when its ``insert`` has ON CONFLICT, else None.

    Imported by name: the engine has loaded its own dialect already, and importing the
    PostgreSQL one up front would cost every SQLite command a twentieth of its start-up.
    """
    if conn.dialect.name not in _ON_CONFLICT_DIALECTS:
        return None
    return importlib.import_module(f"sqlalchemy.dialects.{conn.dialect.name}")
