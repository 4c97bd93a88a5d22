"""One run at a time: an exclusive lock held for the whole of `leads run` or a scheduled job.

For SQLite the lock is a file beside the database (``leads.db.lock``), locked with flock(2):
the kernel drops it when the process dies, SIGKILL included, so a crashed run never leaves a
stale lock behind. For PostgreSQL, which runs on several hosts share, it is a session advisory
lock of the database, taken on a connection of its own and held for the run: the server drops
it when that connection ends, a killed process's included. Other URLs lock a file beside the
config.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from aggregator.core.config import AppConfig
from aggregator.core.errors import RunLockedError, StoreError
from aggregator.core.private_files import make_private_folder, open_private
from aggregator.store.engine import one_line, open_engine, shown_url, sqlite_file

LOCK_SUFFIX = ".lock"
RUN_LOCK_KEY = 0x6C656164_72756E00  # 'lead' 'run\0': the run lock's advisory lock key
_NAME_LIMIT = 63  # bytes PostgreSQL keeps of an application_name


def lock_path(config: AppConfig) -> Path:
    """The lock file of this configuration's store (not used on PostgreSQL)."""
    database = sqlite_file(config.database_url)
    if database is not None:
        return database.with_name(database.name + LOCK_SUFFIX)
    return config.directory / f".leads-run{LOCK_SUFFIX}"


@contextmanager
def run_lock(
    config: AppConfig, now: datetime, *, on_busy: Callable[[str], object] | None = None
) -> Iterator[None]:
    """Hold the run lock for the block. When another process holds it: RunLockedError at once
    (a scheduled run), or, given ``on_busy``, wait until it lets go (a command a person typed,
    which must not write beside a run); ``on_busy`` first hears who holds it."""
    if make_url(config.database_url).get_backend_name() == "postgresql":
        with advisory_lock(config.database_url, RUN_LOCK_KEY, now, on_busy=on_busy):
            yield
    else:
        with _file_lock(lock_path(config), now, on_busy, _lock_folder_fix(config)):
            yield


def _lock_folder_fix(config: AppConfig) -> str:
    """What to check when the lock file cannot be made: where its folder comes from."""
    if sqlite_file(config.database_url) is not None:
        return f"check storage.url in {config.path} (the lock is kept beside its database)"
    return f"check that {config.directory} (the config's folder) is writable"


def _refused(holder: str, where: str) -> RunLockedError:
    return RunLockedError(
        f"another run is in progress ({holder}); this one did nothing — "
        f"it will run at its next scheduled time (lock: {where})"
    )


# -- PostgreSQL ---------------------------------------------------------------------------


@contextmanager
def advisory_lock(
    url: str, key: int, now: datetime, *, on_busy: Callable[[str], object] | None = None
) -> Iterator[None]:
    """Hold the session advisory lock ``key`` of the database at ``url`` for the block, on a
    connection of its own (in autocommit: no transaction stays open for hours). Busy: as
    run_lock says. The holder names itself in its connection's application_name, so a
    process that finds the lock taken can say who holds it."""
    engine = open_engine(url, pool_size=1)
    try:
        conn = _locked(engine.connect(), key, now, on_busy, shown_url(url))
        try:
            yield
        finally:
            conn.close()  # ends the session, which releases the lock
    finally:
        engine.dispose()


def _locked(
    conn: Connection,
    key: int,
    now: datetime,
    on_busy: Callable[[str], object] | None,
    shown: str,
) -> Connection:
    """``conn`` once it holds the lock (closed when it does not)."""
    where = f"PostgreSQL advisory lock {key} of {shown}"
    try:
        locking = conn.execution_options(isolation_level="AUTOCOMMIT")
        if not _try_lock(locking, key):
            holder = _holder(locking, key)
            if on_busy is None:
                raise _refused(holder, where)
            on_busy(holder)
            locking.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        _name_holder(locking, now)
        return locking
    except SQLAlchemyError as exc:
        conn.close()
        raise StoreError(f"cannot take the {where}: {one_line(exc)}") from exc
    except RunLockedError:
        conn.close()
        raise


def _try_lock(conn: Connection, key: int) -> bool:
    return bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())


def _name_holder(conn: Connection, now: datetime) -> None:
    since = now.isoformat(timespec="seconds")
    head = f"pid {os.getpid()} on "
    tail = f" since {since}"
    host = socket.gethostname()[: max(8, _NAME_LIMIT - len(head) - len(tail))]
    name = (head + host + tail).encode()[:_NAME_LIMIT].decode(errors="ignore")
    conn.execute(text("SELECT set_config('application_name', :name, false)"), {"name": name})


def _holder(conn: Connection, key: int) -> str:
    """Who holds advisory lock ``key`` of this database, as the holder named itself."""
    query = text(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND l.classid = :high AND l.objid = :low "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    found = conn.execute(query, {"high": key >> 32, "low": key & 0xFFFFFFFF}).scalar()
    return str(found) if found else "another process"


# -- a file -------------------------------------------------------------------------------


@contextmanager
def _file_lock(
    path: Path, now: datetime, on_busy: Callable[[str], object] | None, folder_fix: str
) -> Iterator[None]:
    handle = _open_lock(path, folder_fix)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            if on_busy is None:
                raise _refused(holder, str(path)) from exc
            on_busy(holder)
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {now.isoformat(timespec='seconds')}")
        handle.flush()
        yield
    finally:
        handle.close()  # closing the descriptor releases the lock


def _open_lock(path: Path, folder_fix: str) -> IO[str]:
    """The lock file, created 0600 (in a 0700 folder when it is new); never a symlink's target,
    which truncating the lock would wipe. ``folder_fix``: what to check when it cannot be."""
    try:
        make_private_folder(path.parent)
        return os.fdopen(open_private(path), "r+", encoding="utf-8")
    except OSError as exc:
        hint = "it is a symlink; remove it" if exc.errno == errno.ELOOP else folder_fix
        raise StoreError(
            f"cannot open the run lock {path}: {exc.strerror or exc} — {hint}"
        ) from exc
