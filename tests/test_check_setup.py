"""`leads check` tries every file the setup names, as the commands that use it would, and
writes none: mentees' résumés, the web key, the log file. Real files, CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from aggregator.cli import app

PEOPLE = """\
mentors: [{id: maria, name: Maria, email: maria@example.org}]
mentees:
  - {id: sam, name: Sam Lee, email: sam@example.org, mentor: maria, resume: RESUME}
"""
RESUME_TEXT = "Python developer: Django, PostgreSQL and Docker in production.\n"
NOT_A_DOCUMENT = bytes(range(256)) * 8  # as random bytes saved under a document's name


def leads(config: Path, *args: str) -> Result:
    # A wide terminal, so table rows are not wrapped.
    runner = CliRunner(env={"COLUMNS": "300"})
    return runner.invoke(app, ["--config", str(config), *args], catch_exceptions=False)


def write(tmp_path: Path, resume: str = "cv.md", extra: str = "") -> Path:
    (tmp_path / "cv.md").write_text(RESUME_TEXT, encoding="utf-8")
    path = tmp_path / "config.yaml"
    path.write_text(PEOPLE.replace("RESUME", resume) + extra, encoding="utf-8")
    return path


def row(output: str, first_cell: str) -> str:
    """The table line whose first cell is ``first_cell``, its cells joined by single spaces."""
    (line,) = [line for line in output.splitlines() if line.startswith(f"│ {first_cell} ")]
    return " ".join(line.replace("│", " ").split())


def written(tmp_path: Path) -> set[str]:
    return {p.name for p in tmp_path.iterdir()}


def test_check_reads_each_resume_and_passes_a_good_setup(tmp_path: Path) -> None:
    config = write(tmp_path)
    before = written(tmp_path)
    result = leads(config, "check")
    assert result.exit_code == 0, result.output
    assert row(result.output, "résumé of sam") == f"résumé of sam ok {tmp_path / 'cv.md'}: 8 words"
    assert "web key" not in result.output  # none yet: the first `leads links` makes it
    assert "log file" not in result.output  # none configured
    assert written(tmp_path) == before  # no web key, no database, no outbox


@pytest.mark.parametrize("name", ["fake.pdf", "broken.docx"])
def test_check_fails_on_a_resume_that_match_cannot_read(tmp_path: Path, name: str) -> None:
    """Seen: `check` exited 0, then `match` and `run` exited 2 "résumé … cannot be read"."""
    (tmp_path / name).write_bytes(NOT_A_DOCUMENT)
    config = write(tmp_path, resume=name)
    result = leads(config, "check")
    assert result.exit_code == 1
    # The detail is a column when the table fits it, else printed after the table alone.
    assert row(result.output, "résumé of sam").startswith("résumé of sam failed")
    said = " ".join(result.output.split())
    assert f"résumé of sam failed: {tmp_path / name}: résumé {name} cannot be read" in said


def test_check_fails_on_a_web_key_that_is_a_folder(tmp_path: Path) -> None:
    """Seen: `check` exited 0, then `leads links` exited 2 "cannot read the web key"."""
    (tmp_path / "keys").mkdir()
    config = write(tmp_path, extra="web: {secret_file: keys}\n")
    result = leads(config, "check")
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert f"web key failed: web.secret_file: cannot read the web key {tmp_path / 'keys'}" in said
    assert "point web.secret_file at a readable file" in said
    assert leads(config, "links").exit_code == 2  # what check foretold


def test_check_fails_on_a_web_key_that_is_not_hex_and_keeps_it(tmp_path: Path) -> None:
    key = tmp_path / "web.key"
    key.write_text("not a key\n", encoding="utf-8")
    result = leads(write(tmp_path), "check")
    assert result.exit_code == 1
    assert row(result.output, "web key").startswith("web key failed")
    assert "web key failed: web.secret_file: cannot read" in " ".join(result.output.split())
    assert key.read_text(encoding="utf-8") == "not a key\n"


def test_check_passes_a_readable_web_key(tmp_path: Path) -> None:
    (tmp_path / "web.key").write_text("ab" * 32 + "\n", encoding="utf-8")
    result = leads(write(tmp_path), "check")
    assert result.exit_code == 0, result.output
    assert row(result.output, "web key") == f"web key ok {tmp_path / 'web.key'} readable"


def test_check_tries_the_log_file_without_writing_it(tmp_path: Path) -> None:
    config = write(tmp_path, extra="logging: {file: logs/leads.log}\n")
    result = leads(config, "check")
    assert result.exit_code == 0, result.output
    log = tmp_path / "logs" / "leads.log"
    assert row(result.output, "log file") == f"log file ok {log} writable"
    assert not (tmp_path / "logs").exists()


def test_check_fails_on_a_log_file_below_a_file(tmp_path: Path) -> None:
    """`leads run` would stop on it (exit 2, naming logging.file): check says so first."""
    (tmp_path / "afile").write_text("hi\n", encoding="utf-8")
    config = write(tmp_path, extra="logging: {file: afile/leads.log}\n")
    result = leads(config, "check")
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert f"log file failed: {tmp_path / 'afile' / 'leads.log'}: {tmp_path / 'afile'} is not " \
        "a folder — make logging.file a file this user can write" in said
