"""Hostile input on the command line: files that are not UTF-8 or nest too deeply, ids and dates
past what the database holds, a host that names no address, a mentees file with no one in it.

Each printed a Python traceback (or exited 0 or 1) when an adversarial probe tried it; each
must be one line naming the file and line, or the flag, and what to do, with exit code 2.
Real files in tmp_path and a real SQLite database, through CliRunner.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from aggregator.cli import app

# Deeper than the json module can recurse (it gave a RecursionError, not a JSON error).
TOO_DEEP = "[" * 100_000 + "]" * 100_000
NOT_UTF8 = b"\xff\n"
HUGE_ID = "99999999999999999999999"  # past SQLite's 64-bit INTEGER (it gave an OverflowError)
POSTING = {
    "id": "p1",
    "title": "Backend Engineer",
    "company": "Acme",
    "location": "Berlin",
    "url": "https://example.org/jobs/1",
    "description": "Python, Django and PostgreSQL on a small backend team.",
}
MENTEES = "mentees:\n  - {name: Sam Lee, skills: [python, django], roles: [backend engineer]}\n"


def leads(*args: str) -> Result:
    """``leads ARGS`` in a wide terminal, so each error stays on one line."""
    return CliRunner(env={"COLUMNS": "250"}).invoke(app, list(args), catch_exceptions=False)


def said(result: Result) -> str:
    """The command's output as one line (rich wraps long errors at the terminal's width)."""
    return " ".join(result.output.split())


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A configuration with one mentor, one mentee and one source (that nothing answers), and
    its SQLite database."""
    path = tmp_path / "config.yaml"
    path.write_text(
        "http: {retries: 0, timeout: 2}\n"
        "sources:\n"
        "  - {name: board, type: rss, url: 'http://127.0.0.1:9/jobs.rss'}\n"
        "mentors: [{id: maria, name: Maria Okafor, email: maria@example.org}]\n"
        "mentees:\n"
        "  - {name: Sam Lee, email: sam@example.org, mentor: maria, skills: [python]}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def rank_files(tmp_path: Path) -> tuple[Path, Path]:
    """A postings file of one posting and a mentees file of one mentee, for ``leads rank``."""
    postings = tmp_path / "postings.jsonl"
    postings.write_text(json.dumps(POSTING) + "\n", encoding="utf-8")
    mentees = tmp_path / "mentees.yaml"
    mentees.write_text(MENTEES, encoding="utf-8")
    return postings, mentees


def rank(postings: Path, mentees: Path, *args: str) -> Result:
    # No config file: `leads rank` needs none (its min score then is the default).
    return leads("--config", str(postings.parent / "none.yaml"), "rank", "--postings",
                 str(postings), "--mentees", str(mentees), *args)  # fmt: skip


def assert_usage_error(result: Result, *parts: str) -> None:
    """Exit code 2 and one error line holding each of ``parts``, and no traceback."""
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: "), result.output
    assert "Traceback" not in result.output
    for part in parts:
        assert part in said(result), result.output


# -- 1 and 2: files that are not UTF-8, or nest too deeply ---------------------------------

# A line no JSONL reader can take, and the reason the error gives.
UNREADABLE_LINES = pytest.mark.parametrize(
    ("body", "reason"),
    [(NOT_UTF8, "not UTF-8 text"), (TOO_DEEP.encode() + b"\n", "nested too deeply")],
    ids=["not-utf8", "too-deep"],
)


@UNREADABLE_LINES
def test_rank_names_the_postings_line_it_cannot_read(
    rank_files: tuple[Path, Path], body: bytes, reason: str
) -> None:
    postings, mentees = rank_files
    postings.write_bytes(json.dumps(POSTING).encode() + b"\n" + body)
    assert_usage_error(rank(postings, mentees), f"{postings}:2: {reason}")


@UNREADABLE_LINES
def test_rank_names_the_feedback_line_it_cannot_read(
    rank_files: tuple[Path, Path], body: bytes, reason: str
) -> None:
    postings, mentees = rank_files
    feedback = postings.with_name("feedback.jsonl")
    feedback.write_bytes(body)
    result = rank(postings, mentees, "--feedback", str(feedback))
    assert_usage_error(result, f"{feedback}:1: {reason}")


@UNREADABLE_LINES
def test_import_names_the_line_it_cannot_read_and_imports_nothing(
    config: Path, tmp_path: Path, body: bytes, reason: str
) -> None:
    # A failed collect stores rows of three tables: the import inserts the first before line 4.
    assert leads("--config", str(config), "collect").exit_code == 1
    export = tmp_path / "export.jsonl"
    assert leads("--config", str(config), "export", str(export)).exit_code == 0
    rows = export.read_bytes().splitlines(keepends=True)
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_bytes(b"".join(rows[:3]) + body)  # after the header and two good rows
    other = tmp_path / "other"
    other.mkdir()
    target = other / "config.yaml"
    target.write_text(config.read_text(encoding="utf-8"), encoding="utf-8")
    result = leads("--config", str(target), "import", str(damaged))
    assert_usage_error(result, f"{damaged}:4: {reason}")
    # The same database takes the whole export afterwards: the failed import left no row.
    imported = leads("--config", str(target), "import", str(export))
    assert imported.exit_code == 0, imported.output
    assert ": 3 rows in" in imported.output


def test_a_header_nested_too_deeply_is_named_as_line_1(config: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "deep.jsonl"
    damaged.write_text(TOO_DEEP + "\n", encoding="utf-8")
    result = leads("--config", str(config), "import", str(damaged))
    assert_usage_error(result, f"{damaged}:1: nested too deeply", "`leads export`")


def test_rank_reads_line_separators_inside_strings_as_leads_postings_writes_them(
    rank_files: tuple[Path, Path],
) -> None:
    """json.dumps(ensure_ascii=False) leaves U+2028 and U+0085 raw inside a string; they end
    no JSON line (str.splitlines split the line there and called it invalid JSON)."""
    postings, mentees = rank_files
    posting = {**POSTING, "description": "Python\u2028Django\x85PostgreSQL backend team"}
    postings.write_text(json.dumps(posting, ensure_ascii=False) + "\n", encoding="utf-8")
    result = rank(postings, mentees, "--format", "jsonl", "--min-score", "0")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["posting"] for line in result.output.splitlines()] == ["p1"]


def test_rank_names_a_posting_whose_tags_are_not_a_list(rank_files: tuple[Path, Path]) -> None:
    postings, mentees = rank_files
    postings.write_text(json.dumps({**POSTING, "tags": 5}) + "\n", encoding="utf-8")
    assert_usage_error(rank(postings, mentees), f"{postings}:1: tags must be a list")


# -- 3: lead ids past the database's integers ---------------------------------------------


@pytest.mark.parametrize(
    "command", [("feedback", "sam-lee", "{id}", "interested"), ("prep", "sam-lee", "{id}")]
)
def test_a_lead_id_past_the_databases_integers_is_an_unknown_lead(
    config: Path, command: tuple[str, ...]
) -> None:
    """The same words as for any unknown lead id (the driver overflowed on this one)."""

    def run(lead: str) -> Result:
        return leads("--config", str(config), *(arg.format(id=lead) for arg in command))

    unknown, huge = run("99999"), run(HUGE_ID)
    assert_usage_error(huge, f"no lead {'with id ' if command[0] == 'feedback' else ''}{HUGE_ID}")
    assert said(huge) == said(unknown).replace("99999", HUGE_ID)


# -- 4: --since past the dates Python and the store hold -----------------------------------


@pytest.mark.parametrize(
    "since",
    ["1000000d", "99999999999d", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"],
)
def test_since_past_the_dates_the_store_holds_is_a_usage_error(config: Path, since: str) -> None:
    result = leads("--config", str(config), "postings", "--since", since)
    assert_usage_error(result, "--since", "YYYY-MM-DD")


# -- 5: --host that names no address of this machine ---------------------------------------


def test_serve_names_host_when_the_host_is_what_failed(config: Path) -> None:
    """192.0.2.1 (TEST-NET-1) is no address of this machine. (A name that resolves to none
    would ask a DNS server: the tests talk to loopback only.)"""
    host = "192.0.2.1"
    result = leads("--config", str(config), "serve", "--host", host, "--port", "0")
    assert_usage_error(result, f"cannot listen on {host}:0", "choose another --host")
    assert "--port" not in said(result)


# -- 6: a mentees file with no one in it ---------------------------------------------------


@pytest.mark.parametrize("listed", ["mentees: []\n", "mentees:\n"], ids=["empty", "null"])
def test_rank_with_no_mentees_says_so(rank_files: tuple[Path, Path], listed: str) -> None:
    """`mentees: []` printed nothing and exited 0, where `mentees:` (null) is an error."""
    postings, mentees = rank_files
    mentees.write_text(listed, encoding="utf-8")
    assert_usage_error(rank(postings, mentees), f"{mentees}", "mentees:")


def test_rank_with_no_mentees_names_the_file_and_what_to_add(
    rank_files: tuple[Path, Path],
) -> None:
    postings, mentees = rank_files
    mentees.write_text("mentees: []\n", encoding="utf-8")
    assert_usage_error(
        rank(postings, mentees), f"{mentees}: mentees: no mentees to rank — list at least one"
    )


@pytest.mark.parametrize("format", ["table", "jsonl"])
def test_rank_with_no_postings_says_the_file_holds_none(
    rank_files: tuple[Path, Path], format: str
) -> None:
    """A quiet day's `leads postings --format jsonl` is empty. Ranking it printed "No
    posting scores 0.1 (the lowest shown) or more" for each mentee, as if postings had been
    weighed; now it says the file holds none, on stderr, and exits 0 (a script goes on)."""
    postings, mentees = rank_files
    postings.write_text("", encoding="utf-8")
    result = rank(postings, mentees, "--format", format)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert " ".join(result.stderr.split()) == f"{postings} holds no postings: nothing to rank."


# -- 7: --source naming no source -----------------------------------------------------------


def test_postings_of_an_unknown_source_is_the_error_collect_gives(config: Path) -> None:
    collect = leads("--config", str(config), "collect", "--source", "nope")
    postings = leads("--config", str(config), "postings", "--source", "nope")
    assert_usage_error(postings, "no source named 'nope'")
    assert said(postings) == said(collect)


def test_postings_of_a_configured_source_with_nothing_stored_is_no_error(config: Path) -> None:
    result = leads("--config", str(config), "postings", "--source", "board")
    assert result.exit_code == 0, result.output
    assert said(result) == "No stored postings match --since/--source."


# -- links a terminal might make clickable ----------------------------------------------------


def test_a_disguised_link_is_not_printed_as_a_link(rank_files: tuple[Path, Path]) -> None:
    # Seen: `leads matches` printed "https://evil.example\@jobs.greenhouse.io/apply", which
    # reads as greenhouse.io while a browser opens evil.example (the digest never shows it).
    postings, mentees = rank_files
    disguised = {**POSTING, "url": "https://evil.example\\@jobs.greenhouse.io/apply"}
    postings.write_text(json.dumps(disguised) + "\n", encoding="utf-8")
    result = rank(postings, mentees)
    assert result.exit_code == 0, result.output
    assert "(not shown: not a plain web address)" in result.output
    assert "evil.example" not in result.output
