"""The terminal as a new user meets it, at 80 columns (what a pipe gets too): tables that keep
a row a line and cut no word, the long columns below them as notes, lines wrapped at spaces,
YAML that pastes, and --help that names what each option takes."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from recordings import still_listed_fixtures
from rich.cells import cell_len
from rich.console import Console
from ruamel.yaml import YAML
from sqlalchemy import text
from typer.testing import CliRunner, Result

import aggregator.cli.events as events_command
from aggregator.checking import PartCheck, SourceCheck
from aggregator.cli import _common as common
from aggregator.cli import app
from aggregator.cli import collect as collect_commands
from aggregator.cli import digest as digest_cli
from aggregator.cli import run as run_commands
from aggregator.cli import setup as setup_commands
from aggregator.cli._common import wrapped
from aggregator.core.config import load_config
from aggregator.core.models import Event, FetchStatus, RunReport, SourceOutcome
from aggregator.loopback import serve_directory
from aggregator.stages.digest import DigestOutcome, DigestStatus, DigestSummary, LeadLine
from aggregator.store import Store
from sources import option_models

FIXTURES = Path(__file__).parent / "fixtures"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_directory(still_listed_fixtures()) as url:
        yield url


def leads(config: Path, *args: str, columns: int = 80) -> Result:
    runner = CliRunner(env={"COLUMNS": str(columns)})
    return runner.invoke(app, ["--config", str(config), *args], catch_exceptions=False)


def table_and_below(output: str) -> tuple[list[str], list[str]]:
    """The lines of the (first) table, and those after it."""
    lines = output.splitlines()
    end = next(at for at, line in enumerate(lines) if line.startswith("└"))
    return lines[: end + 1], lines[end + 1 :]


def headings(table: list[str]) -> list[str]:
    """The column headings of a table (one word a line of a heading that wraps at spaces)."""
    rows = [line for line in table if line.startswith("┃")]
    split = [[cell.strip() for cell in row.strip("┃").split("┃")] for row in rows]
    cells = zip(*split, strict=True)
    return [" ".join(part for part in cell if part) for cell in cells]


# -- sources ---------------------------------------------------------------------------


def test_sources_at_80_columns_keep_every_heading_and_show_the_error_below(
    tmp_path: Path, base_url: str
) -> None:
    """Seen with the demo's source names: headings cut to "last i…", "sto…", "fail…", the
    error column shrunk to "┃┃", and after a failed collect "failures 1" and no reason."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "http: {retries: 0, timeout: 5}\nsources:\n"
        f'  - {{name: wwr-management-finance, type: rss, url: "{base_url}rss/'
        'weworkremotely_opencruit_2026-02.xml"}\n'
        '  - {name: wwr-customer-support, type: rss, url: "http://127.0.0.1:9/a/path/jobs.rss"}\n',
        encoding="utf-8",
    )
    assert leads(config, "collect").exit_code == 1
    table, below = table_and_below(leads(config, "sources").output)
    assert headings(table) == ["name", "type", "last success", "last items", "stored"]
    assert "…" not in "".join(table) and max(map(cell_len, table)) <= 80
    assert table[0].startswith("Sources (times in UTC)")
    assert re.search(r"│ wwr-management-finance │ rss +│ \d{4}-\d\d-\d\d \d\d:\d\d │ +5 │ +5 │",
                     "\n".join(table))
    assert below[0] == "wwr-customer-support  failures: 1"
    assert " ".join(" ".join(below[1:]).split()).startswith(
        "last error: cannot connect to http://127.0.0.1:9/a/path/jobs.rss: "
    )
    assert all(line.startswith(" " * 22) and cell_len(line) <= 80 for line in below[1:])


# -- postings --------------------------------------------------------------------------


def test_postings_at_80_columns_give_the_title_room_and_say_source_and_location_below(
    tmp_path: Path, base_url: str
) -> None:
    """Seen: rows two to seven lines tall, the title column 11 to 16 characters."""
    config = tmp_path / "config.yaml"
    config.write_text(
        f'sources: [{{name: design, type: rss, url: "{base_url}rss/wwr_2022-11/'
        'remote-design-jobs.rss"}]\n',
        encoding="utf-8",
    )
    assert leads(config, "collect").exit_code == 0
    table, below = table_and_below(leads(config, "postings").output)
    assert headings(table) == ["id", "lead", "first seen", "title", "company"]
    rows = [line for line in table if line.startswith("│")]
    starts = [line for line in rows if line.split("│")[1].strip()]
    assert len(rows) <= 2 * len(starts)  # a title wraps once at most
    notes = [line.strip() for line in below if line.strip().startswith("source: ")]
    assert len(notes) == len(starts) and all(" · location: " in note for note in notes)


# -- events ----------------------------------------------------------------------------

EVENTS = """\
http: {{retries: 0}}
events: {{horizon_days: 30}}
sources:
  - {{name: machbar, type: ical, url: "{base}ical/machbar_16_feb_2019.ics", city: Potsdam,
     latitude: 52.40, longitude: 13.05}}
mentors: [{{id: maria, name: Maria Okafor, email: maria@example.org}}]
mentees:
  - {{name: Lena Vogel, email: lena@example.org, mentor: maria, locations: [Berlin],
     skills: [Arduino, Programmieren, 3D-Druck], roles: [Maker, Hardware engineer]}}
"""


def test_events_at_80_columns_keep_names_whole_and_the_place_below(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen: the date column took 32 to 35 characters ("2026-12-22 18:00 America/Chicago"),
    the event names 8 to 10, cut in every line ("Kuberne…", "Terrafo…"): rows 8 lines tall."""
    moment = datetime(2019, 2, 20, tzinfo=UTC)
    for module in (collect_commands, events_command):
        monkeypatch.setattr(module, "clock", lambda: moment)
    config = tmp_path / "config.yaml"
    with serve_directory(FIXTURES) as base:
        config.write_text(EVENTS.format(base=base), encoding="utf-8")
        assert leads(config, "collect").exit_code == 0
    table, below = table_and_below(leads(config, "events").output)
    assert headings(table) == ["#", "when", "event", "fit"]
    assert "…" not in "".join(table) and max(map(cell_len, table)) <= 80
    rows = [line.split("│")[1:-1] for line in table if line.startswith("│")]
    starts = [cells for cells in rows if cells[0].strip()]
    assert starts and all(re.fullmatch(r" 2019-\d\d-\d\d \d\d:\d\d CET ", cells[1])
                          for cells in starts)
    assert len(rows) <= 2 * len(starts)
    assert below[0] == "1  where: Haus 5 - machBar, Potsdam (27 km from Berlin)"
    assert max(map(cell_len, below)) <= 80


def test_sources_count_an_events_sources_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seen: after the demo collected 18 events, `leads sources` said 0 items and 0 stored.
    for module in (collect_commands, events_command, setup_commands):
        monkeypatch.setattr(module, "clock", lambda: datetime(2019, 2, 20, tzinfo=UTC))
    config = tmp_path / "config.yaml"
    with serve_directory(FIXTURES) as base:
        config.write_text(EVENTS.format(base=base), encoding="utf-8")
        assert leads(config, "collect").exit_code == 0
        config.write_text(config.read_text("utf-8").replace("machbar, type", "again, type"))
        checked = leads(config, "check")  # a source never collected: fetched, not a 304
        config.write_text(config.read_text("utf-8").replace("again, type", "machbar, type"))
    store = Store(load_config(config, option_models()).database_url)
    try:
        with store.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
    finally:
        store.close()

    table, _ = table_and_below(leads(config, "sources").output)

    (row,) = (line for line in table if line.startswith("│ machbar"))
    cells = [cell.strip() for cell in row.strip("│").split("│")]
    assert stored > 0
    assert cells[3:5] == [str(stored), str(stored)]  # last items, stored
    (row,) = (line for line in checked.output.splitlines() if line.startswith("│ again"))
    assert row.strip("│ ").split("│")[-1].strip() == str(stored)  # `leads check` said 0


def test_a_runs_summary_counts_events_apart_from_postings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seen: `leads run` said "18 new … postings" of a calendar's 18 events, as the demo's
    # table once did.
    monkeypatch.setattr(run_commands, "clock", lambda: datetime(2019, 2, 20, tzinfo=UTC))
    config = tmp_path / "config.yaml"
    with serve_directory(FIXTURES) as base:
        config.write_text(EVENTS.format(base=base), encoding="utf-8")
        result = leads(config, "run", "--only", "collect", "--verbose")

    assert result.exit_code == 0, result.output
    said = re.search(r"collect: 0 new, 0 updated, 0 unchanged postings from 1 source "
                     r"\(0 failed\); (\d+) networking events", " ".join(result.output.split()))
    assert said is not None, result.output
    assert int(said.group(1)) > 0


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("America/Chicago", "2026-12-22 18:00 CST"),
        ("", "2026-12-23 00:00 UTC"),  # no zone given: as stored
        ("Not/AZone", "2026-12-23 00:00 UTC"),
    ],
)
def test_an_events_time_is_shown_in_its_own_zone_by_abbreviation(zone: str, shown: str) -> None:
    event = Event("cal", "1", "Meetup", datetime(2026, 12, 23, tzinfo=UTC), timezone=zone)
    assert events_command._when(event) == shown


# -- check -----------------------------------------------------------------------------


def test_check_at_80_columns_says_why_a_source_was_skipped_in_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seen: "skipped: fetched …", the reason cut off. A failure's reason is not repeated
    below the table: `leads check` prints it after it (alike failures once)."""
    screen = io.StringIO()
    monkeypatch.setattr(setup_commands, "out", Console(file=screen, width=80))
    skipped = ("skipped: fetched less than 6 h ago (min_interval_hours; Remotive asks for few "
               "requests a day)")
    down = "cannot connect to http://127.0.0.1:9/feeds/a-rather-long-feed-name.rss: refused"
    setup_commands._print_sources([
        SourceCheck("wwr-management-finance", "rss", FetchStatus.OK, "fetched", True, 5),
        SourceCheck("remotive", "remotive", FetchStatus.SKIPPED, skipped),
        SourceCheck("down", "greenhouse", FetchStatus.FAILED, down, False),
    ])
    table, below = table_and_below(screen.getvalue())
    assert headings(table) == ["source", "type", "reachable", "result", "items"]
    assert "…" not in "".join(table)
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in table if "│ " in line]
    assert [row[3] for row in cells] == ["ok", "skipped", "failed"]
    assert below[0].startswith("remotive  skipped: fetched less than 6 h ago")
    assert " ".join(" ".join(below).split()) == f"remotive {skipped}"
    wide = io.StringIO()
    monkeypatch.setattr(setup_commands, "out", Console(file=wide, width=250))
    setup_commands._print_sources([
        SourceCheck("remotive", "remotive", FetchStatus.SKIPPED, skipped),
    ])
    table, below = table_and_below(wide.getvalue())
    assert skipped in "".join(table) and below == []


def test_check_at_80_columns_names_each_file_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # Seen: "network of maria │ ok │ /tmp/probe-ux/demo/network/maria-connectio…": no file.
    network = "/tmp/probe-ux/demo/network/maria-connections.csv: 5 contacts"
    parts = [PartCheck("config", True, "/tmp/probe-ux/demo/config.yaml: 17 sources (17 "
                       "enabled), 2 mentors, 4 mentees"),
             PartCheck("network of maria", True, network)]  # fmt: skip
    for width in (80, 200):
        screen = io.StringIO()
        monkeypatch.setattr(setup_commands, "out", Console(file=screen, width=width))
        setup_commands._print_parts(parts)
        shown = " ".join(screen.getvalue().split())
        assert "…" not in shown and network in shown
        assert max(map(cell_len, screen.getvalue().splitlines())) <= width


def test_a_note_below_a_table_stays_one_line_however_its_text_is_written() -> None:
    # An attacker's probe: a note "x\nsecond line   1  https://phish.example" printed its
    # second line at column 0, where it passed for another row and its link.
    screen = io.StringIO()
    table = common.FittedListing("Things", "#", "name", below=("detail",))
    table.add_row("1", "1", "x", below=["y" * 200],
                  notes=["x\nsecond line   1  https://phish.example"])  # fmt: skip

    table.print(Console(file=screen, width=80), "nothing")

    below = table_and_below(screen.getvalue())[1]
    assert [line.rstrip() for line in below] == ["1  x second line 1 https://phish.example"]


# -- add-source ------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [80, 40])
def test_add_source_dry_run_prints_yaml_that_pastes_at_any_width(
    tmp_path: Path, columns: int
) -> None:
    """Seen at 80 columns: the comment above the entry wrapped onto a line without "#",
    which pasted under `sources:` broke the config."""
    config = tmp_path / "config.yaml"
    config.write_text("sources: []\n", encoding="utf-8")
    with serve_directory(FIXTURES / "html") as base:
        page = f"{base}indeed_job_jsonld_senior-devops_2026-08.html"
        pages = leads(config, "add-source", page, "--dry-run", columns=columns)
    board = "https://boards.greenhouse.io/acmecorporationwithalongname"
    boards = leads(config, "add-source", board, "--dry-run", columns=columns)
    for result, entry in (
        (pages, {"name": "127-0-0-1", "type": "jsonld", "urls": [page]}),
        (boards, {"name": "acmecorporationwithalongname-greenhouse", "type": "greenhouse",
                  "board": "acmecorporationwithalongname"}),
    ):
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        comments = [line for line in lines if not line.startswith(("-", " "))]
        assert len(comments) > 1 and all(line.startswith("# ") for line in comments)
        assert all(cell_len(line) <= columns or len(line.split()) == 2 for line in comments)
        assert YAML(typ="safe").load(result.output) == [entry]
        assert " ".join(line[2:] for line in comments).endswith("; add this under `sources:`")
    assert config.read_text(encoding="utf-8") == "sources: []\n"


# -- digests ---------------------------------------------------------------------------

SUMMARY = DigestSummary(
    subject="15 new leads for Sam, Alex and Dana — week of 30 Nov",
    recipient="maria.okafor@example.org",
    message_id="<1@example.org>",
    sections=(
        ("Sam Lee", (LeadLine("Python Software Developer", "Dewaele Real Estate Group", 0.3),)),
        ("Alex Kim", ()),  # a section of news only (or one sent empty)
    ),
)
OUTBOX = "outbox /tmp/a/rather/long/path/to/the/demo/folder/outbox"


def digest_lines(
    monkeypatch: pytest.MonkeyPatch, status: DigestStatus, *, wrap: bool
) -> list[str]:
    screen = io.StringIO()
    monkeypatch.setattr(digest_cli, "out", Console(file=screen, width=80))
    outcome = DigestOutcome("maria", status, SUMMARY)
    digest_cli.print_digest_outcome(outcome, OUTBOX, wrap=wrap)
    return screen.getvalue().splitlines()


def test_a_mentors_line_wraps_at_spaces_to_the_width_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seen in the demo: "maria: 15 new leads … (outbox …)" ran to 121 characters."""
    whole = ("maria: 15 new leads for Sam, Alex and Dana — week of 30 Nov → "
             f"maria.okafor@example.org ({OUTBOX})")
    lines = digest_lines(monkeypatch, DigestStatus.SENT, wrap=True)
    assert lines == [
        "maria: 15 new leads for Sam, Alex and Dana — week of 30 Nov →",
        "  maria.okafor@example.org (outbox",
        "  /tmp/a/rather/long/path/to/the/demo/folder/outbox)",
    ]
    assert digest_lines(monkeypatch, DigestStatus.SENT, wrap=False) == [whole]  # for scripts


def test_a_dry_run_says_a_mentee_without_new_leads_has_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seen: a dry run whose digest held only news printed "  Alex Kim:" and nothing else."""
    lines = digest_lines(monkeypatch, DigestStatus.DRY_RUN, wrap=True)
    assert lines[-3:] == [
        "  Sam Lee:",
        "    Python Software Developer — Dewaele Real Estate Group  (Good fit, 0.30)",
        "  Alex Kim: no new leads",
    ]


def test_wrapped_breaks_only_at_spaces_and_keeps_a_long_word_whole() -> None:
    from rich.text import Text

    lines = wrapped(Text("a few words then https://example.org/" + "x" * 30 + " end"), 20, 2)
    assert [line.plain for line in lines] == [
        "a few words then",
        "  https://example.org/" + "x" * 30,
        "  end",
    ]


# -- collect's totals ------------------------------------------------------------------


def test_the_collect_summary_totals_postings_and_events_apart() -> None:
    """Seen in the demo: "Collected 577 new postings … and 18 networking events" above a
    table whose total said 595."""
    report = RunReport(started_at=T0, sources=[
        SourceOutcome("board", FetchStatus.OK, new=577, unchanged=3),
        SourceOutcome("calendar", FetchStatus.OK, new=18),
        SourceOutcome("down", FetchStatus.FAILED, error="refused"),
    ])
    screen = io.StringIO()
    Console(file=screen, width=120).print(collect_commands.summary_table(report, {"calendar"}))
    rows = [" ".join(line.replace("│", " ").split()) for line in screen.getvalue().splitlines()]
    assert "total postings 577 0 3 1 failed" in rows
    assert "total events 18 0 0 0 failed" in rows
    screen = io.StringIO()
    Console(file=screen, width=120).print(collect_commands.summary_table(report))
    rows = [" ".join(line.replace("│", " ").split()) for line in screen.getvalue().splitlines()]
    assert "total 595 0 3 1 failed" in rows  # no events source: one total, as before


# -- schedule --------------------------------------------------------------------------


def test_schedule_print_keeps_each_time_on_one_line_at_80_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen: "Fri 2026-12-04" on one line and "18:39 UTC" on the next, for every time."""
    monkeypatch.setattr(run_commands, "clock", lambda: T0)
    config = tmp_path / "config.yaml"
    config.write_text(
        "schedule: {collect: every 3h, timezone: UTC}\n"
        "mentors:\n"
        "  - {id: dev, name: Dev Raman, email: dev@example.org, timezone: America/Chicago,\n"
        "     digest: {schedule: daily 08:00}}\n",
        encoding="utf-8",
    )
    result = leads(config, "schedule", "--print", "-n", "3")
    assert result.exit_code == 0, result.output
    table, _ = table_and_below(result.output)
    times = re.findall(r"\w{3} \d{4}-\d\d-\d\d \d\d:\d\d [A-Z]{3}", "\n".join(table))
    assert len(times) == 6 and "America/Chicago" in "".join(table)
    assert "…" not in "".join(table) and max(map(cell_len, table)) <= 80


# -- help and errors -------------------------------------------------------------------


def every_command() -> list[str]:
    from typer.main import get_command

    return sorted(get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", every_command())
def test_help_names_what_each_option_takes(command: str) -> None:
    """Seen: "--max-age <int range>", "--since <str>": typer's placeholders name a type."""
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    options = result.output.split("Options:")[1]
    assert not re.search(r"<(str|int|float|path|list|bool)\b", options), options


def test_help_shows_the_value_names_that_say_what_a_value_is() -> None:
    runner = CliRunner(env={"COLUMNS": "80"})
    assert "--max-age DAYS" in runner.invoke(app, ["rank", "--help"]).output
    assert "--since WHEN" in runner.invoke(app, ["postings", "--help"]).output
    assert "-m, --mentee ID" in runner.invoke(app, ["matches", "--help"]).output
    assert "-c, --config FILE" in runner.invoke(app, ["--help"]).output
    assert "-f, --format <table|jsonl|csv>" in runner.invoke(app, ["postings", "--help"]).output


def test_a_missing_config_names_leads_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seen: "config.yaml: file not found — pass --config PATH, set $LEADS_CONFIG, or copy
    the example config.yaml here", not a word of `leads init`, which writes one."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEADS_CONFIG", raising=False)
    here = CliRunner().invoke(app, ["sources"])
    assert here.exit_code == 2
    assert " ".join(here.output.split()).startswith(
        "error: config.yaml: file not found — `leads init` writes a starter one; or pass "
        "--config PATH, set $LEADS_CONFIG, or copy the example config.yaml here"
    )
    elsewhere = CliRunner().invoke(app, ["--config", "group.yaml", "sources"])
    assert "`leads --config group.yaml init` writes a starter one" in elsewhere.output


# -- progress --------------------------------------------------------------------------


def test_commands_that_take_seconds_show_progress_on_a_terminal_only(
    tmp_path: Path, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen: `leads events` silent for three seconds, `leads prep` and `leads run` for two
    (importing scikit-learn is most of it), `leads add-source` while it fetched the page."""
    config = tmp_path / "config.yaml"
    config.write_text(
        f'sources: [{{name: wwr, type: rss, url: "{base_url}rss/'
        'weworkremotely_opencruit_2026-02.xml"}]\n'
        "mentors: [{id: m, name: Mo, email: mo@example.org}]\n"
        "mentees: [{name: Sam Lee, email: sam@example.org, mentor: m, skills: [python]}]\n",
        encoding="utf-8",
    )
    commands = (
        (["run", "--only", "collect,match"], "running collect, match"),
        (["events"], "suggesting events to 1 mentee"),
        (["prep", "sam-lee", "1"], "preparing sam-lee for lead 1"),
        (["add-source", "https://boards.greenhouse.io/[b]acme", "--dry-run"],
         "looking at https://boards.greenhouse.io/[b]acme"),  # text, not markup
    )
    screen = io.StringIO()
    monkeypatch.setattr(common, "out", Console(file=screen, force_terminal=True, width=200))
    for args, said in commands:
        result = leads(config, *args)
        assert result.exit_code in (0, 2), result.output  # a board name of [b]acme is refused
        assert said in screen.getvalue(), args
    quiet = io.StringIO()
    monkeypatch.setattr(common, "out", Console(file=quiet, width=200))  # a pipe, cron
    for args, _ in commands:
        leads(config, *args)
    assert quiet.getvalue() == ""


def test_add_source_refuses_a_board_no_source_can_read_without_a_traceback(
    tmp_path: Path,
) -> None:
    """Seen while testing the progress line: `leads add-source
    https://boards.greenhouse.io/[b]acme` ended in pydantic's ValidationError."""
    config = tmp_path / "config.yaml"
    config.write_text("sources: []\n", encoding="utf-8")
    result = leads(config, "add-source", "https://boards.greenhouse.io/[b]acme", "--dry-run")
    assert result.exit_code == 2
    assert " ".join(result.output.split()) == (
        "error: https://boards.greenhouse.io/[b]acme looks like a greenhouse address, but "
        "'[b]acme' is no board a source can read — check the URL: a board or company name is "
        "letters, digits, '-', '_' and '.'"
    )
