"""``leads migrate``, ``leads export`` and ``leads import``: the database itself — its schema,
and all of it as one file to move between SQLite and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from aggregator.cli._common import app, errors_handled, load, out, safe, writing
from aggregator.core.errors import StoreError
from aggregator.core.jsonl import numbered_text
from aggregator.core.private_files import open_private
from aggregator.store import SCHEMA_VERSION, Store, migrate_store
from aggregator.store.engine import shown_url
from aggregator.store.transfer import Summary, export_store, import_store


@app.command()
def migrate() -> None:
    """Apply the pending schema migrations to the configured database (or create its tables).

    A SQLite database is also migrated by any command that opens it; a PostgreSQL database,
    which several hosts may share, only by this command."""
    with errors_handled():
        config = load()
        done = migrate_store(config)
    where = shown_url(config.database_url)
    if done.before is None:
        said = f"Created the tables of {where} at schema version {done.after}."
    elif done.applied:
        steps = ", ".join(str(step) for step in done.applied)
        said = (
            f"Migrated {where} from schema version {done.before} to {done.after} "
            f"(applied {'migration' if len(done.applied) == 1 else 'migrations'} {steps})."
        )
    else:
        said = f"{where} is up to date (schema version {done.after})."
    out.print(safe(said), soft_wrap=True)  # one line, for scripts and cron mail to read


FileArgument = Annotated[Path, typer.Argument(help="The export, one JSON object a line.")]


@app.command()
def export(file: FileArgument) -> None:
    """Write the whole database (every table, from one snapshot) to FILE as JSON lines, and
    print each table's row count and content hash. FILE is private to you (mode 600): it holds
    mentees' names and progress."""
    with errors_handled():
        config = load()
        store = Store.of(config)
        partial = file.with_name(f".{file.name}.partial")
        try:
            with os.fdopen(open_private(partial, os.O_WRONLY | os.O_TRUNC), "w") as handle:
                summary = export_store(store.engine, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, file)  # a failed export leaves no half file behind
        except OSError as exc:
            raise StoreError(f"cannot write {file}: {exc.strerror or exc}") from exc
        finally:
            partial.unlink(missing_ok=True)
            store.close()
    _print_summary(f"Exported from {shown_url(config.database_url)} to {file}", summary)


@app.command("import")
def import_(file: FileArgument) -> None:
    """Load an export into the configured database, which must be empty (and, on PostgreSQL,
    migrated): all of it in one transaction, or nothing. Prints each table's row count and
    content hash, which match the export's when nothing was lost."""
    with errors_handled():
        config = load()
        try:
            handle = file.open("rb")
        except OSError as exc:
            raise StoreError(f"cannot read {file}: {exc.strerror or exc}") from exc
        with handle, writing(config):
            store = Store.of(config)
            lines = (line for _, line in numbered_text(handle, str(file)))
            try:
                summary = import_store(store.engine, lines, str(file))
            finally:
                store.close()
    _print_summary(f"Imported {file} into {shown_url(config.database_url)}", summary)


def _print_summary(done: str, summary: Summary) -> None:
    rows = sum(table.rows for table in summary.values())
    said = f"{done}: {rows:,} rows in {len(summary)} tables, schema version {SCHEMA_VERSION}"
    out.print(safe(said), soft_wrap=True)  # one line each, for scripts to read
    for name, table in summary.items():
        out.print(f"  {name:<16} {table.rows:>10,}  {table.content_hash}", soft_wrap=True)
