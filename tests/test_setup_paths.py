"""Paths the user gives that cannot be used: refused up front with exit code 2, naming the flag
or the key, before anything is written (`leads demo --output`, `leads init --config`,
`leads digest --preview`, `logging.file`, `storage.url`). Real files, CliRunner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from aggregator.cli import app
from aggregator.core.errors import UsageError
from aggregator.demo import DEMO_MARK, claim_output, write_demo_config

MENTOR = "mentors: [{id: maria, name: Maria, email: maria@example.org}]\n"
USERS_CONFIG = "# my own mentoring group\n" + MENTOR


def invoke(*args: str) -> Result:
    # A wide terminal: an error message stays on one line.
    return CliRunner(env={"COLUMNS": "300"}).invoke(app, list(args), catch_exceptions=False)


def one_line(result: Result) -> str:
    return " ".join(result.output.split())


def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "afile"
    path.write_text("hi\n", encoding="utf-8")
    return path


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- leads demo --output --------------------------------------------------------------


def test_demo_refuses_a_folder_holding_the_users_config_and_database(tmp_path: Path) -> None:
    """Seen: the demo replaced the user's config.yaml and added its 577 postings to their
    database."""
    folder = tmp_path / "mine"
    folder.mkdir()
    config = write_config(folder, USERS_CONFIG)
    database = folder / "leads.db"
    database.write_bytes(b"the user's own database")
    result = invoke("demo", "--output", str(folder))
    assert result.exit_code == 2
    said = one_line(result)
    assert f"--output {folder} holds a config.yaml and a leads.db that `leads demo` did not " \
        "write — pick an empty or new folder with --output" in said
    assert config.read_text(encoding="utf-8") == USERS_CONFIG
    assert database.read_bytes() == b"the user's own database"
    assert sorted(p.name for p in folder.iterdir()) == ["config.yaml", "leads.db"]


@pytest.mark.parametrize("owned", ["config.yaml", "leads.db"])
def test_demo_refuses_a_folder_holding_either_of_the_users_files(
    tmp_path: Path, owned: str
) -> None:
    (tmp_path / owned).write_text("mine\n", encoding="utf-8")
    result = invoke("demo", "--output", str(tmp_path))
    assert result.exit_code == 2
    assert f"holds a {owned} that `leads demo` did not write" in one_line(result)
    assert (tmp_path / owned).read_text(encoding="utf-8") == "mine\n"


def test_the_demo_may_write_again_into_a_folder_it_wrote(tmp_path: Path) -> None:
    """`leads demo` again collects afresh into its own folder (README): its config is known by
    its first line, whatever the file's times."""
    config = write_demo_config(tmp_path, "http://127.0.0.1:9/")
    (tmp_path / "leads.db").write_bytes(b"")
    assert config.read_text(encoding="utf-8").splitlines()[0] == DEMO_MARK
    claim_output(tmp_path)  # no error
    claim_output(tmp_path / "new" / "folder")  # a folder to be made is fine too


def test_a_demo_config_without_its_mark_is_kept(tmp_path: Path) -> None:
    """A person who deletes the mark (to keep a copy of the demo's config) is protected."""
    config = write_demo_config(tmp_path, "http://127.0.0.1:9/")
    config.write_text(config.read_text(encoding="utf-8").replace(DEMO_MARK + "\n", ""), "utf-8")
    with pytest.raises(UsageError, match=r"holds a config\.yaml that `leads demo` did not write"):
        claim_output(tmp_path)


@pytest.mark.parametrize("below", ["", "sub"], ids=["the file", "a folder in it"])
def test_demo_output_that_is_a_file_is_a_usage_error(tmp_path: Path, below: str) -> None:
    """Seen: NotADirectoryError tracebacks."""
    output = a_file(tmp_path) / below if below else a_file(tmp_path)
    result = invoke("demo", "--output", str(output))
    assert result.exit_code == 2
    said = one_line(result)
    assert f"error: --output {output}: {tmp_path / 'afile'} is not a folder — give --output a " \
        "folder this user can write" in said
    assert "Traceback" not in said


# --- leads init --config ---------------------------------------------------------------


@pytest.mark.parametrize("force", [["--force"], []], ids=["--force", "without --force"])
def test_init_with_a_folder_for_config_says_to_give_a_file(
    tmp_path: Path, force: list[str]
) -> None:
    """Seen: IsADirectoryError from os.replace with --force; "the file already exists"
    without it."""
    folder = tmp_path / "somedir"
    folder.mkdir()
    result = invoke("--config", str(folder), "init", "--yes", *force)
    assert result.exit_code == 2
    said = one_line(result)
    assert f"error: {folder} is a folder — give a file path for --config, e.g. " \
        f"{folder / 'config.yaml'}" in said
    assert "already exists" not in said
    assert list(folder.iterdir()) == []


# --- leads digest --preview ------------------------------------------------------------


@pytest.mark.parametrize("dry_run", [["--dry-run"], []], ids=["dry run", "sending"])
def test_digest_preview_that_is_a_file_is_refused_before_anything(
    tmp_path: Path, dry_run: list[str]
) -> None:
    """Seen: a logged traceback, "maria: not delivered: internal error (NotADirectoryError…)",
    then "no mentor has a digest to send"; the real send was skipped the same way."""
    config = write_config(tmp_path, MENTOR)
    preview = a_file(tmp_path)
    result = invoke("--config", str(config), "digest", *dry_run, "--preview", str(preview))
    assert result.exit_code == 2
    said = one_line(result)
    assert f"error: --preview {preview}: {preview} is not a folder — give --preview a folder " \
        "this user can write" in said
    assert "maria" not in said and "No previews" not in said
    assert not (tmp_path / "leads.db").exists()  # nothing was opened, nothing sent
    assert not (tmp_path / "outbox").exists()


# --- logging.file ----------------------------------------------------------------------


def test_a_folder_for_logging_file_is_a_config_error_of_run_and_check(tmp_path: Path) -> None:
    """Seen: IsADirectoryError tracebacks from `run` and `schedule`; `check` said nothing."""
    (tmp_path / "logs").mkdir()
    config = write_config(tmp_path, MENTOR + "logging:\n  file: logs\n")
    expected = f"error: {config}:3: logging.file: {tmp_path / 'logs'} is a folder — give the " \
        "path of a log file"
    for command in (["run", "--only", "match"], ["check"]):
        result = invoke("--config", str(config), *command)
        assert result.exit_code == 2, command
        assert expected in one_line(result), command


def test_schedule_refuses_a_folder_for_logging_file(tmp_path: Path) -> None:
    # A process of its own, with a time limit: a schedule that started would never return.
    (tmp_path / "logs").mkdir()
    config = write_config(tmp_path, MENTOR + "logging: {file: logs}\n")
    done = subprocess.run(
        [sys.executable, "-m", "aggregator", "--config", str(config), "schedule"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "300"},
    )  # fmt: skip
    assert done.returncode == 2
    assert "logging.file: " in done.stderr and "is a folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_log_file_that_cannot_be_opened_stops_run_naming_the_key(tmp_path: Path) -> None:
    """Not a folder itself, but below a file: found when the run opens it."""
    a_file(tmp_path)
    config = write_config(tmp_path, MENTOR + "logging: {file: afile/leads.log}\n")
    result = invoke("--config", str(config), "run", "--only", "match")
    assert result.exit_code == 2
    said = one_line(result)
    assert f"logging.file: cannot open the log file {tmp_path / 'afile' / 'leads.log'}" in said
    assert "remove logging.file" in said
    assert not (tmp_path / "leads.db").exists()  # refused before any step


# --- storage.url -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg://leads:s3cret@[::1:5432/leads", "leads:s3cret.db"]
)
def test_a_storage_url_that_cannot_be_read_is_a_config_error(tmp_path: Path, url: str) -> None:
    """Seen: a port that is no number gave a ValueError traceback from every command."""
    config = write_config(tmp_path, f'storage:\n  url: "{url}"\n' + MENTOR)
    for command in ("check", "collect", "run", "matches"):
        result = invoke("--config", str(config), command)
        assert result.exit_code == 2, (command, result.exception)
        said = one_line(result)
        assert f"error: {config}:2: storage.url: cannot be read as a database URL" in said
        assert "s3cret" not in said and "%40" in said, (command, said)


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:x?mode=memory&uri=true"]
)
def test_an_in_memory_database_is_a_config_error(tmp_path: Path, url: str) -> None:
    """Seen: `check` said ok, then `run` failed with sqlite3.ProgrammingError (threads) and
    "no such table"."""
    config = write_config(tmp_path, f'storage:\n  url: "{url}"\n' + MENTOR)
    for command in (["check"], ["collect"]):
        result = invoke("--config", str(config), *command)
        assert result.exit_code == 2, command
        said = one_line(result)
        assert f"error: {config}:2: storage.url: '{url}' is an in-memory SQLite database" in said
        assert "give a database file, e.g. sqlite:///leads.db" in said
