"""Opening a database: the SQLAlchemy engine for storage.url, set up for its backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from aggregator.core.errors import StoreError
from aggregator.core.private_files import create_private_file, make_private_folder


def open_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL mode, foreign keys and real transactions."""
    try:
        engine = create_engine(url)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(
            f"cannot use storage.url {url!r}: {exc} — check storage.url in the config"
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        _make_private_file(engine.url.database)
    return engine


def _make_private_file(database: str | None) -> None:
    """Create the SQLite file (and its folder) private to the user before SQLite does.

    SQLite makes the file but not its folder, and with the umask's mode (often 0644), while
    the database holds mentees' names and matches; its -wal and -shm files take the mode
    of the database file.
    """
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        try:
            make_private_folder(path.parent)
        except OSError as exc:
            raise StoreError(
                f"cannot create the database folder {path.parent}: {exc.strerror or exc} — "
                "check storage.url (a file may stand where the folder should be)"
            ) from exc
        try:
            create_private_file(path)
        except OSError as exc:
            raise StoreError(
                f"cannot create the database file {path}: {exc.strerror or exc} — "
                "check storage.url and that its folder is writable"
            ) from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 module commits on its own before DDL; with its transaction handling off
    # and BEGIN emitted by _sqlite_begin, a migration is all or nothing (SQLAlchemy's
    # documented recipe for pysqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the web view) never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")
