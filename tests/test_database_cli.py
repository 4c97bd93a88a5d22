"""`leads migrate` on real SQLite and PostgreSQL: what it applies and says, and what the other
commands say about a database whose schema is not this version's."""

from __future__ import annotations

from pathlib import Path

import pytest
from databases import storage_yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from aggregator.cli import app
from aggregator.store import SCHEMA_VERSION


def leads(config: Path, *args: str, columns: int = 300) -> Result:
    runner = CliRunner(env={"COLUMNS": str(columns)})
    return runner.invoke(app, ["--config", str(config), *args], catch_exceptions=False)


def write_config(folder: Path, database: str) -> Path:
    path = folder / "config.yaml"
    path.write_text(storage_yaml(database), encoding="utf-8")
    return path


def set_schema(database: str, *statements: str) -> None:
    engine = create_engine(database)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def test_leads_migrate_creates_a_postgresql_database_then_finds_it_up_to_date(
    empty_postgres: str, tmp_path: Path
) -> None:
    with_password = make_url(empty_postgres).set(password="s3cret")  # trust: not checked
    config = write_config(tmp_path, with_password.render_as_string(hide_password=False))
    shown = with_password.render_as_string(hide_password=True)
    before = leads(config, "sources")
    assert before.exit_code == 2
    assert f"{shown} has no mentor-leads tables yet — run `leads migrate`" in before.output
    created = leads(config, "migrate")
    assert created.exit_code == 0, created.output
    assert created.output == f"Created the tables of {shown} at schema version {SCHEMA_VERSION}.\n"
    again = leads(config, "migrate")
    assert again.output == f"{shown} is up to date (schema version {SCHEMA_VERSION}).\n"
    assert leads(config, "sources").exit_code == 0
    assert "s3cret" not in before.output + created.output + again.output


def test_an_older_schema_is_migrated_by_leads_migrate_which_says_which(
    database_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path, database_url)
    set_schema(
        database_url,
        "DROP TABLE lead_statuses",
        "DROP TABLE access_links",
        f"UPDATE schema_version SET version = {SCHEMA_VERSION - 1}",
    )
    if database_url.startswith("postgresql"):  # SQLite is migrated by any command opening it
        refused = leads(config, "sources")
        assert refused.exit_code == 2
        assert (
            f"has schema version {SCHEMA_VERSION - 1}; this mentor-leads needs version "
            f"{SCHEMA_VERSION} — run `leads migrate`"
        ) in refused.output
    migrated = leads(config, "migrate")
    assert migrated.exit_code == 0, migrated.output
    assert (
        f"from schema version {SCHEMA_VERSION - 1} to {SCHEMA_VERSION} "
        f"(applied migration {SCHEMA_VERSION})."
    ) in migrated.output
    assert leads(config, "sources").exit_code == 0


@pytest.mark.parametrize("command", ["migrate", "sources"])
def test_a_newer_schema_is_refused_by_every_command(
    database_url: str, tmp_path: Path, command: str
) -> None:
    config = write_config(tmp_path, database_url)
    set_schema(database_url, "UPDATE schema_version SET version = 99")
    result = leads(config, command)
    assert result.exit_code == 2
    assert (
        f"has schema version 99, newer than this mentor-leads understands ({SCHEMA_VERSION}); "
        "upgrade mentor-leads"
    ) in result.output


def test_what_leads_migrate_says_is_one_line_however_narrow_the_output(
    database_url: str, tmp_path: Path
) -> None:
    """Seen: not on a terminal (cron, a script) it was wrapped at 80 columns, the URL cut."""
    config = write_config(tmp_path, database_url)
    said = leads(config, "migrate", columns=40)
    assert said.exit_code == 0, said.output
    assert said.output.count("\n") == 1 and "is up to date" in said.output
