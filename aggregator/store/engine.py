"""Opening a database: the SQLAlchemy engine for storage.url, set up for its backend."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from aggregator.core.errors import StoreError
from aggregator.core.printable import mask_secrets
from aggregator.core.private_files import create_private_file, make_private_folder

DEFAULT_POOL_SIZE = 5  # connections a process keeps open (SQLAlchemy's default)
CONNECT_TIMEOUT = 10  # seconds to reach a PostgreSQL server before giving up
# An execution option: transactions begun on a connection carrying it start BEGIN IMMEDIATE.
SQLITE_IMMEDIATE = "sqlite_immediate"
# A secret among the libpq parameters of a URL's query (its password can be given there too).
_QUERY_SECRET = re.compile(r"([?&](?:password|sslpassword)=)[^&]*")


def open_engine(
    url: str, *, pool_size: int = DEFAULT_POOL_SIZE, statement_timeout: float | None = None
) -> Engine:
    """An engine for ``url``. SQLite gets WAL mode, foreign keys and real transactions;
    PostgreSQL gets ``statement_timeout`` (seconds, None: none) and UTC sessions, and is
    reached once here, so a server that cannot be used is a StoreError now, not mid-run."""
    try:
        parsed = make_url(url)
        _refuse_split_password(parsed, url)
        if parsed.get_backend_name() == "postgresql":
            engine = create_engine(
                parsed,
                pool_size=pool_size,
                pool_pre_ping=True,  # a server restarted between two scheduled runs
                connect_args=_postgresql_options(parsed, statement_timeout),
            )
        else:
            engine = create_engine(parsed, **_pool_options(parsed, pool_size))
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(
            f"cannot use storage.url {shown_url(url)!r}: {one_line(exc)} "
            "— check storage.url in the config"
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        _make_private_file(engine.url.database)
    else:
        _try_connect(engine, url)
    return engine


def shown_url(url: str) -> str:
    """``url`` fit for a message: its password masked, in the user part or the query."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is no number
        return mask_secrets(url)
    if parsed.host and "@" in parsed.host:  # see _refuse_split_password
        parsed = parsed.set(host=parsed.host.rpartition("@")[2])
    return _QUERY_SECRET.sub(r"\g<1>***", parsed.render_as_string(hide_password=True))


def _refuse_split_password(parsed: URL, url: str) -> None:
    """Refuse a URL whose password holds an unencoded '@': the URL's user part ends at the
    first '@', so the password's rest is taken for the host name, which the driver's error
    would then show in clear."""
    if parsed.host and "@" in parsed.host:
        raise StoreError(
            f"cannot use storage.url {shown_url(url)!r}: its password (or user name) holds an "
            "'@' — write each '@' in them as %40 (a password from an environment variable too)"
        )


def one_line(exc: BaseException) -> str:
    """The message of a database error (the driver's own, not SQLAlchemy's wrapping) on one
    line: libpq's messages run over several, with hints indented below."""
    cause = getattr(exc, "orig", None) or exc
    return "; ".join(part.strip() for part in str(cause).splitlines() if part.strip())


@contextmanager
def refused(what: str) -> Iterator[None]:
    """A database error of the block as a StoreError saying what was not stored: the caller
    can then go on without it (one source's postings), where a bug would stop the run."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise StoreError(f"the database did not store {what}: {one_line(exc)}") from exc


def is_postgresql(engine: Engine | Connection) -> bool:
    """Whether the engine or connection speaks to PostgreSQL."""
    return engine.dialect.name == "postgresql"


def analyze_if_never(engine: Engine, tables: Sequence[Table]) -> None:
    """On PostgreSQL, gather planner statistics for those of ``tables`` never analysed.

    Without any, the planner guesses that an ``IN (...)`` of BATCH keys matches most of a
    table and reads all of it, lookup after lookup: storing a first collection (or an
    import) of many postings grew quadratic, as autovacuum analyses a minute later at best.
    After this first time, autovacuum keeps the statistics up as the tables grow.
    """
    if not is_postgresql(engine):
        return
    names = [table.name for table in tables]
    never = text(
        "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(:names) "
        "AND relid = to_regclass(relname) "  # this search_path's table, not another schema's
        "AND last_analyze IS NULL AND last_autoanalyze IS NULL ORDER BY relname"
    )
    with engine.begin() as conn:
        for name in conn.execute(never, {"names": names}).scalars():
            conn.execute(text(f'ANALYZE "{name}"'))


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for another database, an in-memory one, or a
    URL that cannot be read (said where it is opened)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def empty_sqlite_database(path: Path, *, wait_seconds: float = 30) -> None:
    """Drop everything stored in the SQLite database at ``path``, keeping the file, so that a
    process that has it open (a `leads serve`) reads what is stored in it next rather than a
    deleted file no one writes any more.

    A link (symbolic or hard) is removed, never emptied: what it points to is someone else's.
    So is a file that is no database. A database that stays locked for ``wait_seconds``
    (another program writing to it) is left as it is: StoreError says so.
    Nothing there, nothing done.
    """
    if path.is_symlink() or (path.exists() and path.stat().st_nlink > 1):
        _remove_database_files(path)  # a dangling link too: opened, it would make its target
        return
    if not path.exists():
        return
    try:
        with closing(sqlite3.connect(path, timeout=wait_seconds)) as conn:
            kept = conn.execute(
                "SELECT type, name FROM sqlite_master "
                "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
            conn.execute("PRAGMA foreign_keys = OFF")
            for kind, name in kept:  # a table's indexes and triggers go with it
                quoted = '"' + name.replace('"', '""') + '"'
                conn.execute(f"DROP {kind.upper()} IF EXISTS {quoted}")
            conn.commit()
            conn.execute("VACUUM")
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_NOTADB:
            raise StoreError(
                f"{path} could not be emptied ({exc}): another program is writing to it (a "
                "database browser with unsaved changes?); close it and try again"
            ) from exc
        _remove_database_files(path)  # not a database at all: start anew


def _remove_database_files(path: Path) -> None:
    for end in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + end).unlink(missing_ok=True)


def _pool_options(url: URL, pool_size: int) -> dict[str, Any]:
    """A file database pools connections (an in-memory one has a single connection)."""
    if url.database in (None, "", ":memory:"):
        return {}
    return {"pool_size": pool_size}


def _postgresql_options(url: URL, statement_timeout: float | None) -> dict[str, Any]:
    """libpq options: the URL's own ``options`` (a search_path, say) kept, then UTC session
    times (read back aware in any zone, but psql shows them as stored) and the timeout."""
    options = [str(url.query["options"])] if "options" in url.query else []
    options.append("-c TimeZone=UTC")
    if statement_timeout:
        options.append(f"-c statement_timeout={round(statement_timeout * 1000)}")
    return {
        "options": " ".join(options),
        "connect_timeout": CONNECT_TIMEOUT,
        "application_name": "mentor-leads",
    }


def _try_connect(engine: Engine, url: str) -> None:
    """Reach the server once: its refusal, a wrong password or a missing database is one line
    naming the URL (password masked) and what to check."""
    try:
        with engine.connect():
            pass
    # ValueError: psycopg resolves host names itself, and a name with an empty label
    # ("db..example.org") fails to encode (UnicodeError) instead of failing to resolve.
    except (SQLAlchemyError, ValueError) as exc:
        engine.dispose()
        raise StoreError(
            f"cannot connect to the database at {shown_url(url)}: {one_line(exc)} — check "
            "storage.url (host, port, user, password, database name) and that the server runs"
        ) from exc


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
    # Set before WAL mode (which fixes it), it applies to a database file being created, and
    # is ignored for one that exists. A posting with its descriptions takes about 10 KB, most
    # of it on overflow pages: on 8 KB pages (half as many), inserting the collect
    # benchmark's postings took an eighth less CPU.
    cursor.execute("PRAGMA page_size=8192")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the web view) never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # BEGIN IMMEDIATE (see leases.one_at_a_time) takes the write lock at once, waiting on
    # busy_timeout; a plain BEGIN that reads and then writes fails at once instead when
    # another process wrote in between.
    immediate = conn.get_execution_options().get(SQLITE_IMMEDIATE)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
