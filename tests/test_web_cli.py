"""`leads links`, `leads serve` and the status in `leads matches --format jsonl` (Typer's
CliRunner over a real store, SQLite and PostgreSQL; the browser tests run `leads serve` as a
process)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from digestkit import NOW
from typer.testing import CliRunner, Result
from webkit import copied, seeded_folder

from aggregator.cli import app
from aggregator.core.models import Verdict
from aggregator.store import Store


def leads(config: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--config", str(config), *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, module_database: str) -> Path:
    return seeded_folder(tmp_path_factory, "https://leads.example.org/", module_database)


@pytest.fixture
def config(template: Path, tmp_path: Path, database_copy: str) -> Path:
    copied(template, tmp_path, database_copy)[1].close()
    return tmp_path / "config.yaml"


def links_of(config: Path, *args: str) -> dict[str, str]:
    result = leads(config, "links", "--format", "jsonl", *args)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    return {next(iter(record.values())): record["url"] for record in records}


def test_links_are_made_once_and_printed_again(config: Path) -> None:
    first = links_of(config)
    assert set(first) == {"sam-lee", "alex-kim", "priya-nair"}
    assert all(url.startswith("https://leads.example.org/m/") for url in first.values())
    assert links_of(config) == first
    assert links_of(config, "--mentee", "alex-kim") == {"alex-kim": first["alex-kim"]}
    table = leads(config, "links").output.splitlines()
    assert table[0].split() == ["mentee", "name", "link"]
    assert table[1].split() == ["sam-lee", "Sam", "Lee", first["sam-lee"]]
    assert (config.parent / "web.key").stat().st_mode & 0o077 == 0, "the key is the owner's"


def test_rotating_gives_a_new_link_to_that_mentee_only(config: Path) -> None:
    before = links_of(config)
    rotated = links_of(config, "--rotate", "sam-lee")
    assert set(rotated) == {"sam-lee"} and rotated["sam-lee"] != before["sam-lee"]
    assert links_of(config) == {**before, "sam-lee": rotated["sam-lee"]}


def test_mentors_have_links_of_their_own(config: Path) -> None:
    mentors = links_of(config, "--mentors")
    assert set(mentors) == {"maria", "dev"}
    assert all(url.startswith("https://leads.example.org/mentor/") for url in mentors.values())
    rotated = links_of(config, "--mentors", "--rotate", "dev")
    assert rotated["dev"] != mentors["dev"]


@pytest.mark.parametrize("args", [("--mentee", "nobody"), ("--rotate", "nobody"),
                                  ("--mentors", "--rotate", "sam-lee")])  # fmt: skip
def test_an_unknown_id_is_a_usage_error(config: Path, args: tuple[str, ...]) -> None:
    result = leads(config, "links", *args)
    assert result.exit_code == 2
    assert result.output.startswith("error: no "), "a usage error, not the config file's"
    assert "lists the ids" in result.output
    typo = leads(config, "links", "--rotate", "sam-le")
    assert "no mentee with id 'sam-le' (did you mean 'sam-lee'?)" in typo.output


def test_serve_says_so_when_the_port_is_taken(config: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = leads(config, "serve", "--port", str(port))
    assert result.exit_code == 2
    # Not "error: configuration: cannot listen …": the port is the command's, not the file's.
    assert result.output.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert result.output.rstrip().endswith("— choose another --port, or stop the program using it")


def test_matches_carry_the_mentees_status(config: Path, database_copy: str) -> None:
    store = Store(database_copy)
    lead = store.matches("sam-lee")[0].lead_id
    store.record_feedback("sam-lee", lead, Verdict.APPLIED, NOW)
    store.close()
    result = leads(config, "matches", "--format", "jsonl")
    rows = [json.loads(line) for line in result.output.splitlines()]
    statuses = {(row["mentee"], row["lead"]): row["status"] for row in rows}
    assert statuses.pop(("sam-lee", lead)) == "applied"
    assert set(statuses.values()) == {None}
    only_sam = leads(config, "matches", "--mentee", "sam-lee", "--format", "jsonl").output
    assert '"status": "applied"' in only_sam
