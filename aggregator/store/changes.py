"""Whether anything was written to the database since a moment ago, without a query.

SQLite counts commits for each connection: ``PRAGMA data_version`` on a connection that
never writes changes whenever any other connection, in this process or another, committed
(the web view's own writes, `leads links --rotate`, a collect run). Reading it costs
microseconds, so the web view can answer from memory for as long as it stays the same and
ask the store only when it moved. PostgreSQL has no such counter: there the answer is
always "ask".
"""

from __future__ import annotations

import threading
from typing import Any

from aggregator.store.engine import is_postgresql
from aggregator.store.rows import StorePart


class ChangesStore(StorePart):
    """A marker of the database's state that moves with every commit (a part of Store)."""

    _watch: Any = None  # the DBAPI connection kept for reading the marker; None until asked
    _watch_lock = threading.Lock()

    def change_marker(self) -> int | None:
        """A number that changes whenever anyone commits to the database; None when the
        backend cannot tell without a query (PostgreSQL, an in-memory SQLite database)."""
        if is_postgresql(self.engine) or self.engine.url.database in (None, "", ":memory:"):
            return None
        with self._watch_lock:
            if self._watch is None:
                # Kept apart from the pool: the counter only moves for other connections'
                # commits, so this one must never write.
                self._watch = self.engine.raw_connection()
            cursor = self._watch.cursor()
            try:
                return int(cursor.execute("PRAGMA data_version").fetchone()[0])
            finally:
                cursor.close()

    def close_change_marker(self) -> None:
        """Give back the connection the marker is read on."""
        with self._watch_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
