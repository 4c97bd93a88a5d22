"""One run at a time: an exclusive lock held for the whole of `leads run` or a scheduled job.

For SQLite the lock is a file beside the database (``leads.db.lock``), locked with flock(2):
the kernel drops it when the process dies, SIGKILL included, so a crashed run never leaves a
stale lock behind. (A PostgreSQL store will take an advisory lock instead; until then other
URLs lock a file beside the config.)
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from aggregator.core.config import AppConfig
from aggregator.core.errors import RunLockedError, StoreError
from aggregator.core.private_files import make_private_folder, open_private

LOCK_SUFFIX = ".lock"


def lock_path(config: AppConfig) -> Path:
    """The lock file of this configuration's store."""
    url = make_url(config.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).with_name(Path(str(url.database)).name + LOCK_SUFFIX)
    return config.directory / f".leads-run{LOCK_SUFFIX}"


@contextmanager
def run_lock(
    config: AppConfig, now: datetime, *, on_busy: Callable[[str], object] | None = None
) -> Iterator[Path]:
    """Hold the run lock for the block. When another process holds it: RunLockedError at once
    (a scheduled run), or, given ``on_busy``, wait until it lets go (a command a person typed,
    which must not write beside a run); ``on_busy`` first hears who holds it."""
    path = lock_path(config)
    handle = _open_lock(path)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            if on_busy is None:
                raise RunLockedError(
                    f"another run is in progress ({holder}); this one did nothing — "
                    f"it will run at its next scheduled time (lock: {path})"
                ) from exc
            on_busy(holder)
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {now.isoformat(timespec='seconds')}")
        handle.flush()
        yield path
    finally:
        handle.close()  # closing the descriptor releases the lock


def _open_lock(path: Path) -> IO[str]:
    """The lock file, created 0600 (in a 0700 folder when it is new); never a symlink's target,
    which truncating the lock would wipe."""
    try:
        make_private_folder(path.parent)
        return os.fdopen(open_private(path), "r+", encoding="utf-8")
    except OSError as exc:
        hint = "it is a symlink; remove it" if exc.errno == errno.ELOOP else "check its folder"
        raise StoreError(
            f"cannot open the run lock {path}: {exc.strerror or exc} — {hint}"
        ) from exc
