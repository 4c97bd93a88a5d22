"""Export and import: every table of the store as JSON lines, to move a database between SQLite
and PostgreSQL (or keep a copy) without loss.

The file's first line is a header, ``{"format": "mentor-leads export", "schema_version": N,
"tables": [...]}``; each further line one row, ``{"table": NAME, "row": {column: value}}``,
parents before children (the tables in foreign-key order), each table's rows by primary key.
Values are JSON as they are, times ISO 8601 in UTC, binary values base64. An import goes into
an empty database at the same schema version, in one transaction.

Each table's content hash is order-free (the sum of the SHA-256 of each row's canonical JSON),
because the two databases sort text keys differently: the same rows give the same hash on
either, and an export, its import and the import's export can be compared table by table.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    LargeBinary,
    Table,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from aggregator.core.errors import StoreError
from aggregator.core.jsonl import json_value
from aggregator.core.models import LeadStatus, Verdict
from aggregator.store.engine import is_postgresql, one_line
from aggregator.store.migrations import SCHEMA_VERSION, schema_version_of
from aggregator.store.rows import BATCH
from aggregator.store.schema import (
    Text,
    UtcDateTime,
    feedback,
    lead_statuses,
    metadata,
    schema_version,
)

FORMAT = "mentor-leads export"
# Every table but the version stamp (the header carries it), parents before children.
TABLES: tuple[Table, ...] = tuple(t for t in metadata.sorted_tables if t is not schema_version)
_HASH_MODULUS = 2**256


@dataclass
class TableSummary:
    """How many rows a table holds and their content hash."""

    rows: int = 0
    _sum: int = 0

    def add(self, line: str) -> None:
        """Count one row, given as its canonical JSON."""
        self.rows += 1
        digest = hashlib.sha256(line.encode()).digest()
        self._sum = (self._sum + int.from_bytes(digest, "big")) % _HASH_MODULUS

    @property
    def content_hash(self) -> str:
        """The order-free hash of the rows counted (64 hex digits)."""
        return f"{self._sum:064x}"


Summary = dict[str, TableSummary]


def export_store(engine: Engine, out: IO[str]) -> Summary:
    """Write every table to ``out`` from one consistent snapshot; each table's summary."""
    summary: Summary = {}
    with _snapshot(engine) as conn:
        header = {
            "format": FORMAT,
            "schema_version": schema_version_of(conn),
            "tables": [t.name for t in TABLES],
            "rows": _row_counts(conn),  # lets an import tell a file cut short at a line end
        }
        out.write(json.dumps(header) + "\n")
        for table in TABLES:
            found = summary[table.name] = TableSummary()
            for row in _rows(conn, table):
                line = _canonical(table, row)
                found.add(line)
                out.write(f'{{"table": {json.dumps(table.name)}, "row": {line}}}\n')
    return summary


def table_summaries(engine: Engine) -> Summary:
    """Each table's row count and content hash, as an export would give them."""
    with _snapshot(engine) as conn:
        return _summaries(conn)


def import_store(engine: Engine, lines: Iterable[str], source: str) -> Summary:
    """Load an export (``source`` names it in messages) into the empty database of ``engine``,
    all or nothing; each table's summary of what the database then holds."""
    numbered = enumerate(lines, start=1)
    expected = _check_header(next(numbered, (1, ""))[1], source)
    url = engine.url.render_as_string(hide_password=True)
    try:
        with engine.begin() as conn:
            _refuse_data(conn, url)
            for table, batch in _batches(numbered, source):
                conn.execute(insert(table), batch)
            if is_postgresql(conn):
                advance_sequences(conn)
            summary = _summaries(conn)
            _check_complete(summary, expected, source)
            return summary
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot import {source} into {url}: {one_line(exc)} — nothing was imported"
        ) from exc


# -- export ---------------------------------------------------------------------------------


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction seeing one state of the database throughout (SQLite's WAL
    gives a transaction that; PostgreSQL needs REPEATABLE READ)."""
    with engine.connect() as conn:
        if is_postgresql(conn):
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin() as transaction:
            yield conn
            transaction.rollback()  # it only read


def _row_counts(conn: Connection) -> dict[str, int]:
    return {
        table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
        for table in TABLES
    }


def _rows(conn: Connection, table: Table) -> Iterator[Any]:
    keys = list(table.primary_key.columns) or list(table.columns)
    query = select(table).order_by(*keys)
    yield from conn.execute(query, execution_options={"yield_per": BATCH})


def _summaries(conn: Connection) -> Summary:
    summary: Summary = {}
    for table in TABLES:
        found = summary[table.name] = TableSummary()
        for row in _rows(conn, table):
            found.add(_canonical(table, row))
    return summary


def _canonical(table: Table, row: Any) -> str:
    """A row as JSON: keys in column order, times and bytes as text."""
    values = {column.name: _encode(row._mapping[column.name]) for column in table.c}
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


# -- import ---------------------------------------------------------------------------------


# Text columns that hold one of a few words, which the commands reading them rely on.
_CHOICES: dict[tuple[str, str], frozenset[str]] = {
    (feedback.name, feedback.c.verdict.name): frozenset(v.value for v in Verdict),
    (lead_statuses.name, lead_statuses.c.status.name): frozenset(s.value for s in LeadStatus),
}
# What to give an import whose line cannot be read.
_EXPORTED = "give a file written by `leads export` (nothing was imported)"


def _check_header(first: str, source: str) -> dict[str, int] | None:
    """The header's row count of each table (None: an export made before it gave them)."""
    try:
        header = json_value(first, source, 1, fix=_EXPORTED)
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise StoreError(
            f"{source} is not a mentor-leads export (its first line is not the export's "
            "header) — give a file written by `leads export`"
        )
    version = header.get("schema_version")
    if version != SCHEMA_VERSION:
        raise StoreError(
            f"{source} was exported at schema version {version}; this mentor-leads imports "
            f"version {SCHEMA_VERSION} — import it with the version that exported it, then "
            "upgrade and run `leads migrate`"
        )
    rows = header.get("rows")
    if rows is None:
        return None
    if not isinstance(rows, dict) or not all(
        isinstance(count, int) and not isinstance(count, bool) for count in rows.values()
    ):
        raise StoreError(
            f"{source}, line 1: the header's row counts are not a table's name and a number "
            f"each — {_EXPORTED}"
        )
    return rows


def _check_complete(summary: Summary, expected: dict[str, int] | None, source: str) -> None:
    """Refuse an export that holds fewer or more rows than its header says (a copy cut short
    at the end of a line reads as whole)."""
    if expected is None:
        return
    wrong = [
        f"{name}: {summary[name].rows:,} of {expected.get(name, 0):,}"
        for name in summary
        if summary[name].rows != expected.get(name, 0)
    ]
    if wrong:
        raise StoreError(
            f"{source} does not hold the rows its header lists ({', '.join(wrong)}): it was "
            "cut short or changed — export again and import the new file (nothing was imported)"
        )


def _refuse_data(conn: Connection, url: str) -> None:
    """Refuse a database that is not migrated or not empty (an import adds no rows to others)."""
    if schema_version_of(conn) != SCHEMA_VERSION:
        raise StoreError(
            f"the database at {url} is not at schema version {SCHEMA_VERSION} — "
            "run `leads migrate` first"
        )
    held = {}
    for table in TABLES:
        count = conn.execute(select(func.count()).select_from(table)).scalar_one()
        if count:
            held[table.name] = count
    if held:
        listed = ", ".join(f"{name}: {count}" for name, count in held.items())
        raise StoreError(
            f"the database at {url} already holds data ({listed}) — import only into an "
            "empty database: create a new one and run `leads migrate` on it"
        )


def _batches(
    numbered: Iterator[tuple[int, str]], source: str
) -> Iterator[tuple[Table, list[dict[str, Any]]]]:
    """The rows of the file, decoded, in batches of one table."""
    by_name = {table.name: table for table in TABLES}
    batch: list[dict[str, Any]] = []
    table = TABLES[0]
    for number, line in numbered:
        if not line.strip():
            continue
        found, row = _decode(line, by_name, source, number)
        if batch and (found is not table or len(batch) >= BATCH):
            yield table, batch
            batch = []
        table = found
        batch.append(row)
    if batch:
        yield table, batch


def _decode(
    line: str, tables: dict[str, Table], source: str, number: int
) -> tuple[Table, dict[str, Any]]:
    try:
        record = json_value(line, source, number, fix=_EXPORTED)
        table = tables[record["table"]]
        values = record["row"]
        if set(values) != set(table.c.keys()):
            raise ValueError(f"its columns are not those of {table.name}")
        return table, {name: _decode_value(table.c[name], v) for name, v in values.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StoreError(
            f"{source}, line {number}: not a row of this schema ({exc}) — nothing was imported"
        ) from exc


def _decode_value(column: Column[Any], value: Any) -> Any:
    """``value`` as the column takes it; ValueError when it is not of the column's kind.

    Checked here, not left to the database: SQLite keeps a text where a number belongs, and
    an unknown verdict, and the commands that read them later fail; PostgreSQL refuses them
    without naming the line.
    """
    if value is None:
        if not column.nullable:
            raise ValueError(f"{column.name} is null")
        return None
    kind = column.type
    if isinstance(kind, UtcDateTime):
        when = datetime.fromisoformat(_of((str,), column, value))
        if when.tzinfo is None:
            raise ValueError(f"{column.name} is a time without its offset from UTC")
        return when
    if isinstance(kind, LargeBinary):
        return base64.b64decode(_of((str,), column, value), validate=True)
    if isinstance(kind, Boolean):
        return _of((bool,), column, value)
    if isinstance(kind, Integer):
        return _of((int,), column, value)
    if isinstance(kind, Float):
        return _of((int, float), column, value)
    if isinstance(kind, Text):
        return _one_of(column, _of((str,), column, value))
    return value  # JSON: any JSON value


def _of(kinds: tuple[type, ...], column: Column[Any], value: Any) -> Any:
    """``value`` when it is one of ``kinds`` (a JSON true is no number here)."""
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise ValueError(f"{column.name} is {json.dumps(value)[:40]}")
    return value


def _one_of(column: Column[Any], value: str) -> str:
    """``value`` when the column holds one of a few words and it is one of them."""
    allowed = _CHOICES.get((column.table.name, column.name))
    if allowed is not None and value not in allowed:
        raise ValueError(f"{column.name} {value[:40]!r} is none of {', '.join(sorted(allowed))}")
    return value


def advance_sequences(conn: Connection) -> None:
    """Set each PostgreSQL id sequence past the ids the tables hold (inserting rows with their
    ids, as an import does, leaves the sequences where they were)."""
    for table in TABLES:
        column = table.autoincrement_column
        if column is not None:
            name, key = table.name, column.name  # the schema's own names, not input
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', '{key}'), "
                    f"COALESCE(MAX({key}), 1), MAX({key}) IS NOT NULL) FROM {name}"
                )
            )
