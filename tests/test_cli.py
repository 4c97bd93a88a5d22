"""The `leads` commands end to end: real loopback server, real SQLite, CliRunner."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from email import message_from_bytes, policy
from itertools import takewhile
from pathlib import Path
from urllib.parse import unquote

import pytest
from recordings import still_listed_fixtures
from rich.cells import cell_len
from rich.console import Console
from ruamel.yaml import YAML
from typer.main import get_command_name
from typer.testing import CliRunner, Result

import aggregator
import aggregator.cli as cli
from aggregator import __version__
from aggregator.cli import _common as common
from aggregator.cli import app
from aggregator.cli import collect as collect_commands
from aggregator.cli import demo as demo_cli
from aggregator.cli import digest as digest_cli
from aggregator.cli import events as events_cli
from aggregator.cli import matching as matching_cli
from aggregator.cli import run as run_commands
from aggregator.cli import web as web_cli
from aggregator.cli._common import LazyConsole
from aggregator.loopback import serve_directory


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_directory(still_listed_fixtures()) as url:
        yield url


def write_config(tmp_path: Path, base_url: str, extra_sources: str = "") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"""\
http: {{retries: 0, timeout: 5}}
sources:
  - {{name: wwr, type: rss, url: "{base_url}rss/weworkremotely_opencruit_2026-02.xml"}}
  - {{name: design, type: rss, url: "{base_url}rss/wwr_2022-11/remote-design-jobs.rss"}}
{extra_sources}""",
        encoding="utf-8",
    )
    return path


DEMO_MOMENT = datetime(2026, 12, 4, 12, tzinfo=UTC)


def leads(config: Path, *args: str) -> Result:
    # A wide terminal, so table cells are not wrapped mid-word.
    runner = CliRunner(env={"COLUMNS": "250"})
    return runner.invoke(app, ["--config", str(config), *args], catch_exceptions=False)


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"mentor-leads {__version__}"


def test_collect_is_quiet_when_not_a_terminal_and_exits_0(tmp_path: Path, base_url: str) -> None:
    config = write_config(tmp_path, base_url)
    result = leads(config, "collect")
    assert result.exit_code == 0
    assert result.output == ""
    listing = leads(config, "postings", "--format", "jsonl")
    assert len(listing.output.splitlines()) == 5 + 22


def test_collect_exits_1_naming_the_failed_source_after_collecting_the_rest(
    tmp_path: Path, base_url: str
) -> None:
    broken = f'  - {{name: gone, type: rss, url: "{base_url}rss/no-such-feed.rss"}}\n'
    config = write_config(tmp_path, base_url, broken)
    result = leads(config, "collect")
    assert result.exit_code == 1
    assert "source gone failed: HTTP 404" in result.output
    assert len(leads(config, "postings", "--format", "jsonl").output.splitlines()) == 27
    status = leads(config, "sources").output
    assert "HTTP 404" in status and "never" in status


def test_a_source_failing_five_runs_in_a_row_is_flagged_by_sources_and_check(
    tmp_path: Path, base_url: str
) -> None:
    broken = f'  - {{name: gone, type: rss, url: "{base_url}rss/no-such-feed.rss"}}\n'
    config = write_config(tmp_path, base_url, broken)
    for run in range(1, 6):
        assert leads(config, "collect", "--source", "gone").exit_code == 1
        status = leads(config, "sources").output
        flagged = "source gone has failed the last 5 runs in a row (never succeeded): HTTP 404"
        assert (flagged in status) is (run == 5), status
        assert ("5 (failing)" in status) is (run == 5)
    checked = leads(config, "check").output
    assert flagged in checked
    assert "source wwr has failed" not in checked + status


def test_collect_only_named_source(tmp_path: Path, base_url: str) -> None:
    config = write_config(tmp_path, base_url)
    assert leads(config, "collect", "--source", "wwr").exit_code == 0
    assert len(leads(config, "postings", "--format", "jsonl").output.splitlines()) == 5
    unknown = leads(config, "collect", "--source", "nope")
    assert unknown.exit_code == 2
    assert "no source named 'nope'" in unknown.output


def test_postings_jsonl_has_every_field(tmp_path: Path, base_url: str) -> None:
    config = write_config(tmp_path, base_url)
    leads(config, "collect")
    records = [
        json.loads(line)
        for line in leads(config, "postings", "--format", "jsonl").output.splitlines()
    ]
    summedd = next(r for r in records if r["company"] == "Summedd")
    assert summedd["title"] == "Full Stack Engineer with AI Coding expertise for SaaS Platform"
    assert summedd["source"] == "wwr"
    assert summedd["remote"] is True
    assert summedd["employment_type"] == "full_time"
    assert summedd["posted_at"] == "2026-02-22T04:18:34+00:00"
    assert summedd["tags"] == ["Full-Stack Programming"]
    assert set(summedd) >= {
        "id", "external_id", "url", "location", "salary", "description_html",
        "description_text", "first_seen", "last_seen",
    }  # fmt: skip


def test_postings_csv_and_source_filter(tmp_path: Path, base_url: str) -> None:
    config = write_config(tmp_path, base_url)
    leads(config, "collect")
    output = leads(config, "postings", "--format", "csv", "--source", "design").output
    rows = list(csv.DictReader(io.StringIO(output)))
    assert len(rows) == 22
    assert {r["source"] for r in rows} == {"design"}
    assert rows[0]["description_text"] and rows[0]["url"].startswith("https://weworkremotely.com/")


def test_postings_since(tmp_path: Path, base_url: str) -> None:
    config = write_config(tmp_path, base_url)
    leads(config, "collect")
    assert (
        leads(config, "postings", "--since", "2000-01-01", "--format", "jsonl").output.count("\n")
        == 27
    )
    assert leads(config, "postings", "--since", "2999-01-01", "--format", "jsonl").output == ""
    bad = leads(config, "postings", "--since", "last tuesday")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_postings_table_shows_hostile_text_as_text(tmp_path: Path) -> None:
    feed = tmp_path / "feeds" / "hostile.rss"
    feed.parent.mkdir()
    feed.write_text(
        """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
        <item><title>[bold red]Boss[/] \x1b[31m engineer</title>
        <link>https://example.org/1</link><description>x</description></item>
        </channel></rss>""".replace("\x1b", "&#27;"),
        encoding="utf-8",
    )
    with serve_directory(tmp_path / "feeds") as url:
        config = tmp_path / "config.yaml"
        config.write_text(f'sources: [{{name: h, type: rss, url: "{url}hostile.rss"}}]\n')
        assert leads(config, "collect").exit_code == 0
    table = leads(config, "postings").output
    assert "[bold red]Boss[/]" in table  # rich markup shown literally, not interpreted
    assert "\x1b" not in table


def test_links_go_below_a_table_whole_and_as_text() -> None:
    """Each on a line of its own after its row's key, however narrow the terminal: never
    folded or cut (it could not be clicked or copied), never markup or escape sequences."""
    screen = io.StringIO()
    table = common.listing("t", "id")
    table.add_row("7")
    long = "https://example.org/" + "a" * 60 + "?q=[bold]x[/]"
    hostile = long + "\x1b]52;c;aGk=\x07"  # an escape sequence that would set the clipboard
    links = [("7", [hostile, "https://mirror.example/7"]), ("12", ["https://b.example/"])]
    links.append(("13", []))
    common.print_listing(Console(file=screen, width=40), table, links, "nothing")
    lines = screen.getvalue().splitlines()
    assert lines[lines.index("links") + 1 :] == [
        f" 7  {long}",
        "    https://mirror.example/7",
        "12  https://b.example/",
    ]


def test_collect_on_a_terminal_shows_summary_table(
    tmp_path: Path, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = io.StringIO()  # the progress bar uses the console made on first use
    monkeypatch.setattr(
        collect_commands, "out", LazyConsole(file=screen, force_terminal=True, width=200)
    )
    config = write_config(tmp_path, base_url)
    assert leads(config, "collect").exit_code == 0
    shown = screen.getvalue()
    assert "Collected" in shown
    assert "design" in shown and "22" in shown and "total" in shown
    screen.truncate(0)
    assert leads(config, "collect").exit_code == 0
    assert "not modified" in screen.getvalue()  # the loopback server answers 304
    quiet = io.StringIO()
    monkeypatch.setattr(
        collect_commands, "out", Console(file=quiet, force_terminal=True, width=200)
    )
    assert leads(config, "collect", "--quiet").exit_code == 0
    assert quiet.getvalue() == ""


def test_run_on_a_terminal_says_what_it_did(
    tmp_path: Path, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen: `leads run`, typed as `leads init` suggests, printed nothing at all on a
    terminal (silent as for cron, where it still is: tests/test_run.py)."""
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=200, highlight=False)
    monkeypatch.setattr(run_commands, "out", terminal)
    config = write_config(tmp_path, base_url)
    assert leads(config, "run").exit_code == 0
    said = screen.getvalue()
    assert "collect: " in said and " new, " in said and "(0 failed)" in said
    assert "match: " in said and "digest: no mentor's digest is due" in said


def test_demo_runs_the_whole_pipeline_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = io.StringIO()  # where the progress goes when a person watches
    monkeypatch.setattr(common, "out", Console(file=screen, force_terminal=True, width=200))
    # One moment for the whole test: the demo moves its calendar by whole weeks to "now", so
    # which events fall within its window changed with the time of day (18, then 19).
    for module in (demo_cli, events_cli, matching_cli, web_cli, collect_commands):
        monkeypatch.setattr(module, "clock", lambda: DEMO_MOMENT)
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["demo", "--output", str(tmp_path / "demo")], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    for step in ("collecting 16 recorded feeds", "postings to 4 mentees", "writing the digests"):
        assert step in screen.getvalue()
    assert "Collected 577 new postings from 16 recorded feeds and job boards" in result.output
    # Seen: the table's one total said 595, the 18 events counted in with the postings.
    rows = [" ".join(line.replace("│", " ").split()) for line in result.output.splitlines()]
    assert [row for row in rows if row.startswith("total")] == [
        "total postings 577 0 0 0 failed", "total events 18 0 0 0 failed"
    ]
    output = " ".join(result.output.split())
    assert "and 18 networking events from a calendar written for the demo, and matched them " \
        "to 4 mentees" in output
    assert "dates moved forward, as if captured yesterday" in output
    assert "only those posted within 45 days count as new" in output
    assert "one a posting's text states does not (the text is shown as recorded)" in output
    # Each mentee by name, and by the id `--mentee` takes (the headings gave the id alone).
    for name in ("Sam Lee", "Alex Kim", "Priya Nair", "Dana Brooks"):
        assert f"Leads for {name} ({name.lower().replace(' ', '-')})" in result.output
    assert (tmp_path / "demo" / "leads.db").exists()
    outbox = tmp_path / "demo" / "outbox"
    assert f"digests:  {outbox}" in result.output
    digests = {
        message_from_bytes(path.read_bytes(), policy=policy.default)["To"].addresses[0].username
        for path in outbox.glob("*.eml")
    }
    assert digests == {"maria.okafor", "dev.raman"}
    for written in outbox.glob("*.eml"):
        assert written.name in result.output
    assert "maria: 15 new leads for Sam, Alex and Dana" in result.output
    # Introductions quote the profile as written: the demo's reads as a mentor would write it
    # (it said "ux designer roles and brings user research, figma and design systems").
    (maria,) = (p for p in outbox.glob("*.eml") if "maria" in p.name)
    message = message_from_bytes(maria.read_bytes(), policy=policy.default)
    body = message.get_body(("plain",))
    assert body is not None
    introduction = unquote(str(body.get_content()))
    assert "looking for product designer and UX designer roles and brings user research, " \
        "Figma and design systems." in introduction
    # Seen: the digest offered Barn2 Plugins' copywriter job as new, its summary beginning
    # "Closing date: Friday 4 November, 2022". A closed job is no lead; open ones say until when.
    assert "Barn2" not in introduction and "Closing date" not in introduction
    assert "· closes " in introduction
    config = tmp_path / "demo" / "config.yaml"
    for line in leads(config, "links", "--format", "jsonl").output.splitlines():
        record = json.loads(line)
        assert f"{record['mentee']}: {record['url']}" in result.output
    assert f"start it with `leads --config {config} serve`" in result.output
    # Seen: `leads check` with the demo's config then failed on all 15 loopback sources.
    assert "served only while the demo ran: `… collect` cannot reach them now" in output
    assert "served from 127.0.0.1 only while `leads demo` runs" in config.read_text("utf-8")
    listing = leads(config, "postings", "--format", "jsonl", "--source", "recruityard")
    assert {json.loads(line)["company"] for line in listing.output.splitlines()} == {"Recruityard"}
    # Seen: the demo had no calendar, so it never showed the events a mentor passes on. Each
    # mentee now gets those near them on their topics (not the knitting circle next door to
    # Sam, nor a meetup in Sydney), in the digest too.
    events = " ".join(leads(config, "events").output.split())
    for mentee, event in (("Sam Lee (sam-lee)", "Python Users Berlin"),
                          ("Alex Kim (alex-kim)", "UX London Evening"),
                          ("Priya Nair (priya-nair)", "Chicago DevOps"),
                          ("Dana Brooks (dana-brooks)", "NYC Marketing")):
        assert f"Events for {mentee}" in events and event in events
    assert "Knitting" not in events and "Sydney" not in events
    assert "Event near Sam Lee: Python Users Berlin: Django, PostgreSQL and Docker in " \
        "production — " in output  # the demo's own output shows them under each mentee's leads
    assert "Knitting" not in output and "Sydney" not in output
    assert "Events near Sam" in str(message.get_body(("html",)).get_content())
    # Seen: run again into its own folder, the demo collected "0 new postings" and both
    # mentors had "nothing new". It starts afresh; the private links stay the same.
    # As written off a terminal (rich's 80 columns): each private link whole on its line.
    written = io.StringIO()
    for module in (demo_cli, digest_cli):
        monkeypatch.setattr(module, "out", Console(file=written, width=80))
    # Seen: a `leads serve` still running on the first demo's database kept the deleted file,
    # and took the mentees' presses into it. The database is emptied in place instead.
    database = tmp_path / "demo" / "leads.db"
    with closing(sqlite3.connect(database)) as serving:  # as a server holds it open
        serving.execute("DELETE FROM matches")
        serving.commit()
        again = CliRunner().invoke(
            app, ["demo", "--output", str(tmp_path / "demo")], catch_exceptions=False
        )
        assert serving.execute("SELECT count(*) FROM matches").fetchone()[0] > 0
    assert again.exit_code == 0, again.output
    assert "Collected 577 new postings" in written.getvalue()
    lines = written.getvalue().splitlines()
    printed = [line.strip() for line in lines]
    # Seen: the mentors' lines ran to 121 and 102 characters. Wrapped at spaces now, each
    # line after the first indented under it (a path longer than a line whole on its own).
    at = next(i for i, line in enumerate(lines) if line.startswith("maria: 15 new leads"))
    maria = [lines[at], *takewhile(lambda line: line.startswith("  "), lines[at + 1 :])]
    assert len(maria) > 1
    assert all(cell_len(line) <= 80 or len(line.split()) == 1 for line in maria)
    assert " ".join(" ".join(maria).split()).endswith(
        f"→ maria.okafor@example.org (outbox {outbox})"
    )
    for line in leads(config, "links", "--format", "jsonl").output.splitlines():
        record = json.loads(line)
        assert f"{record['mentee']}: {record['url']}" in printed



def test_the_readme_describes_the_demo_and_the_tool_as_they_are() -> None:
    """Seen: the README's quickstart promised three demo mentees (the demo has four) and listed
    the mentee's web page as "still to come" long after `leads serve` shipped."""
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text("utf-8").split())
    demo = YAML().load(Path(aggregator.__file__).parent / "demo_data" / "config.yaml")
    in_words = {3: "three", 4: "four", 5: "five", 6: "six"}
    assert f"matched to {in_words[len(demo['mentees'])]} example mentees" in readme
    assert "still to come" not in readme.lower()
    for command in ("leads serve", "leads prep", "leads events"):
        assert command in readme.split("## Quickstart")[0], command

def printed_by(probe: str) -> list[str]:
    """The lines Python code prints in a fresh interpreter (which has imported nothing yet)."""
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()


def test_the_cli_imports_no_matcher_or_renderer_until_a_command_needs_it() -> None:
    """`leads collect` (run often by cron) does not pay for scikit-learn, Jinja2, APScheduler,
    the web app or the PostgreSQL dialect on SQLite; a command group imported first imports
    cleanly (no import cycle)."""
    probe = (
        "import sys\n"
        "import aggregator.cli.run, aggregator.cli.demo, aggregator.cli.setup\n"
        "from aggregator.cli import main, app\n"
        "import aggregator.stages.collect, sources.rss\n"
        "heavy = {'sklearn', 'jinja2', 'apscheduler', 'starlette', 'uvicorn', 'numpy', 'psycopg'}\n"
        "heavy |= {'sqlalchemy.dialects.postgresql', 'playwright', 'digests', 'matchers'}\n"
        "print(sorted(set(sys.modules) & heavy))"
    )
    assert printed_by(probe) == ["[]"]


def test_collect_loads_only_its_command_group_and_workers_load_no_cli(
    tmp_path: Path, base_url: str
) -> None:
    """A cron `leads collect` imports no other command group; importing the package (as the
    collector's worker processes do: the `leads` script is their __main__) imports no CLI."""
    config = write_config(tmp_path, base_url)
    probe = (
        "import sys\n"
        "import aggregator.cli as cli\n"
        "print(sorted({'typer', 'rich', 'sqlalchemy', 'pydantic'} & set(sys.modules)))\n"
        f"sys.argv = ['leads', '--config', {str(config)!r}, 'collect', '--quiet']\n"
        "try:\n"
        "    cli.main()\n"
        "except SystemExit as end:\n"
        "    print(end.code)\n"
        "print(sorted(m for m in sys.modules if m.startswith('aggregator.cli.')))\n"
        # A config naming no one has no address to check; SQLite needs no PostgreSQL dialect;
        # httpx's own command-line client (click, pygments) is never run; the store speaks
        # SQLAlchemy Core, never its ORM.
        "heavy = {'email_validator', 'sqlalchemy.dialects.postgresql', 'sqlalchemy.orm'}\n"
        "heavy |= {'click', 'pygments'}\n"
        "print(sorted(heavy & {m for m, module in sys.modules.items() if module}))"
    )
    assert printed_by(probe) == [
        "[]",
        "0",
        "['aggregator.cli._common', 'aggregator.cli.collect']",
        "[]",
    ]


def test_every_command_is_mapped_to_the_group_that_registers_it() -> None:
    """`leads X` imports only COMMAND_GROUPS[X]: a command missing there, or mapped to the
    wrong group, would be unknown when given by name."""
    registered = {
        info.name or get_command_name(info.callback.__name__): info.callback.__module__
        for info in app.registered_commands
        if info.callback is not None
    }
    assert registered == {
        command: f"aggregator.cli.{group}" for command, group in cli.COMMAND_GROUPS.items()
    }


@pytest.mark.parametrize("command", [[], ["init"], ["digest"], ["collect"], ["run"]])
def test_help_shows_no_placeholder_for_flags(command: list[str]) -> None:
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output and "Show this message and exit." in result.output
    assert max(map(len, result.output.splitlines())) <= 80


def test_tables_fit_an_80_column_terminal_without_breaking_words(
    tmp_path: Path, base_url: str
) -> None:
    down = '  - {name: down, type: rss, url: "http://127.0.0.1:9/a/rather/long/path/to/jobs.rss"}\n'
    config = write_config(tmp_path, base_url, down)
    assert leads(config, "collect").exit_code == 1
    jsonl = leads(config, "postings", "-f", "jsonl").output
    postings = [json.loads(line) for line in jsonl.splitlines()]
    cells = [p[key] for p in postings for key in ("title", "company", "location")]
    words = {w for cell in cells for w in cell.split()}
    links = {link for p in postings for link in p["links"]}
    narrow = CliRunner(env={"COLUMNS": "80"})
    for command in ("sources", "postings"):
        result = narrow.invoke(app, ["--config", str(config), command], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        end = next(at for at, line in enumerate(lines) if line.startswith("└"))
        lines, below = lines[: end + 1], lines[end + 1 :]
        if command == "postings":
            # each link whole on a line of its own below the table, after its posting's id
            rows = [line.split() for line in below[1:] if "://" in line]
            assert below[0] == "links" and {row[-1] for row in rows} == links
            assert [int(row[0]) for row in rows if len(row) == 2] == [p["id"] for p in postings]
            # the source and location, which left the title a dozen columns, below it too
            notes = [line.strip() for line in below if line.strip().startswith("source: ")]
            assert [note.split()[1] for note in notes] == [p["source"] for p in postings]
        assert max(map(cell_len, lines)) <= 80, result.output  # cells: combining marks are 0
        shown = {w for line in lines for w in line.replace("│", " ").split() if len(w) > 3}
        for word in shown:
            # a word is shown whole, or cut with an ellipsis: never broken over two lines
            broken = [w for w in words if w.startswith(word) and w != word]
            assert not broken or word in words, (word, broken)
        if command == "sources":
            # the error whole below the table, under the source's name (it was cut to "…")
            said = " ".join(" ".join(below).split())
            assert said.startswith("down failures: 1 last error: cannot connect to "
                                   "http://127.0.0.1:9/a/rather/long/path/to/jobs.rss: ")
            assert max(map(cell_len, below)) <= 80


def test_sources_shows_the_error_column_only_when_a_source_has_an_error(
    tmp_path: Path, base_url: str
) -> None:
    """Seen at 80 columns: with no error to show, the empty column kept its place and its
    heading vanished into a bare border ("┃┃")."""
    config = write_config(tmp_path, base_url)
    assert leads(config, "collect").exit_code == 0
    narrow = CliRunner(env={"COLUMNS": "80"})
    table = narrow.invoke(app, ["--config", str(config), "sources"]).output.splitlines()
    assert table[1].count("┳") == 5  # six columns: name … failures
    assert "err" not in " ".join(table[:4]) and "┃┃" not in table[2]
    down = '  - {name: down, type: rss, url: "http://127.0.0.1:9/jobs.rss"}\n'
    config = write_config(tmp_path, base_url, down)
    assert leads(config, "collect").exit_code == 1
    table = leads(config, "sources").output.splitlines()  # wide: every row fits a line
    assert table[1].count("┳") == 6 and "last error" in table[2]
    # Narrow, the error does not fit a row a line: it goes below the table (a column of
    # it had shrunk to "┃┃", and its heading to "las…").
    table = narrow.invoke(app, ["--config", str(config), "sources"]).output.splitlines()
    assert table[1].count("┳") == 4 and "err" not in " ".join(table[:4])
    assert "down  failures: 1" in table and "last error: " in "".join(table)


def test_listings_with_nothing_in_them_say_why_and_what_would_fill_them(tmp_path: Path) -> None:
    """Seen with a fresh config: `postings`, `sources` and `events` printed a bare heading
    row, and `matches` nothing at all. Seen in the demo: `events` gave the same advice once
    for each mentee, and every sentence named config.yaml whatever the file was."""
    config = tmp_path / "group.yaml"
    config.write_text(
        "mentors: [{id: m, name: Mo, email: mo@example.org}]\n"
        "mentees:\n"
        "  - {name: Zed Quinn, email: zed@example.org, mentor: m, skills: [python],"
        " locations: [Berlin]}\n"
        "  - {name: Ada Obi, email: ada@example.org, mentor: m, skills: [sql]}\n",
        encoding="utf-8",
    )
    said = {
        ("postings",): "No postings stored yet: `leads collect` fetches them",
        ("postings", "--since", "7d"): "No stored postings match --since/--source.",
        ("sources",): f"No sources in {config} yet: `leads add-source URL` adds one.",
        ("matches",): "No matches for zed-quinn yet: `leads match` scores",
        ("events",): f"No events to suggest: no source in {config} lists events yet",
    }
    for command, sentence in said.items():
        result = leads(config, *command)
        assert result.exit_code == 0, result.output
        assert " ".join(result.output.split()).startswith(sentence), (command, result.output)
        assert "┏" not in result.output
    assert f"sources in {config}" in " ".join(leads(config, "postings").output.split())
    assert leads(config, "events").output.count("lists events yet") == 1
    assert leads(config, "matches", "--format", "jsonl").output == "", "scripts get no line"


def test_each_command_fits_the_width_columns_gives_when_it_starts(
    tmp_path: Path, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One process, several commands (CliRunner here): a console made while COLUMNS was 250
    still fits a later command run with COLUMNS=80, and the next one with 250 again."""
    config = write_config(tmp_path, base_url)
    assert leads(config, "collect").exit_code == 0
    monkeypatch.setattr(common.out, "_width", 250)  # what rich keeps when made with COLUMNS=250
    widths = []
    for columns in ("80", "250"):
        runner = CliRunner(env={"COLUMNS": columns})
        result = runner.invoke(app, ["--config", str(config), "postings"])
        assert result.exit_code == 0, result.output
        table = result.output.split("\nlinks\n")[0]  # links below it run as long as they are
        widths.append(max(map(cell_len, table.splitlines())))
    assert widths[0] <= 80 < widths[1]


def test_match_and_digest_show_progress_on_a_terminal_only(
    tmp_path: Path, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, base_url)
    people = "mentors: [{id: m, name: M, email: m@example.org}]\n"
    people += "mentees: [{name: E, email: e@example.org, mentor: m, skills: [design]}]\n"
    config.write_text(config.read_text(encoding="utf-8") + people, encoding="utf-8")
    assert leads(config, "collect").exit_code == 0
    screen = io.StringIO()
    monkeypatch.setattr(common, "out", Console(file=screen, force_terminal=True, width=200))
    assert leads(config, "match").exit_code == 0
    assert leads(config, "digest", "--dry-run").exit_code == 0
    assert "matching leads to mentees" in screen.getvalue()
    # Seen: a dry run said "composing and sending digests"; it sends nothing.
    assert "composing digests (dry run: nothing is sent)" in screen.getvalue()
    assert "sending" not in screen.getvalue()
    quiet = io.StringIO()
    monkeypatch.setattr(common, "out", Console(file=quiet, width=200))  # a pipe
    assert leads(config, "match").exit_code == 0
    assert quiet.getvalue() == ""


def test_postings_csv_neutralises_formulas(tmp_path: Path) -> None:
    feed = tmp_path / "feeds" / "formulas.rss"
    feed.parent.mkdir()
    titles = ['=HYPERLINK("https://evil.example","Apply")', "@SUM(1+1)", "+1 engineer", "-2 dev"]
    items = "".join(
        f"<item><title>{title.replace('&', '&amp;')}</title><link>https://example.org/{n}</link>"
        "<description>x</description></item>"
        for n, title in enumerate(titles)
    )
    feed.write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>',
        encoding="utf-8",
    )
    with serve_directory(tmp_path / "feeds") as url:
        config = tmp_path / "config.yaml"
        config.write_text(f'sources: [{{name: h, type: rss, url: "{url}formulas.rss"}}]\n')
        assert leads(config, "collect").exit_code == 0
    rows = list(csv.DictReader(io.StringIO(leads(config, "postings", "-f", "csv").output)))
    assert sorted(row["title"] for row in rows) == sorted("'" + title for title in titles)
    assert all(row["url"].startswith("https://") for row in rows)  # harmless cells unchanged


def test_spreadsheet_cells_that_start_like_a_formula_are_text() -> None:
    from aggregator.core.spreadsheet import neutralise_cell

    for text in ("=1+1", "+1", "-1", "@A1", "\t=1"):
        assert neutralise_cell(text) == "'" + text
    assert neutralise_cell("\r=1") == "'=1"  # a carriage return is a control: taken out
    assert neutralise_cell("Data engineer") == "Data engineer"
    assert neutralise_cell(-5) == -5 and neutralise_cell(None) is None
