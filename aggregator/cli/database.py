"""``leads migrate``: the database's schema brought up to this version of mentor-leads."""

from __future__ import annotations

from aggregator.cli._common import app, errors_handled, load, out, safe
from aggregator.store import migrate_store
from aggregator.store.engine import shown_url


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
    out.print(safe(said))
