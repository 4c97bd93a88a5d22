"""`leads check`, `leads init` and `leads cron`: real loopback servers, real files, CliRunner."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from smtpkit import FROM, PASSWORD, USERNAME, refusing_port, smtp_server
from typer.testing import CliRunner, Result

from aggregator.cli import app
from aggregator.core.config import AppConfig, load_config
from aggregator.loopback import serve_directory
from aggregator.store import Store
from sources import option_models

FIXTURES = Path(__file__).parent / "fixtures"
FEED = "weworkremotely_opencruit_2026-02.xml"  # 5 items
HOSTILE = 'Zoë "Z": O\'Neil #1 {x} \\ [b]'  # quotes, a colon, a comment sign, markup
ZOE = "zoe@example.org"


@pytest.fixture(scope="module")
def feeds() -> Iterator[str]:
    with serve_directory(FIXTURES / "rss") as url:
        yield url


def leads(config: Path, *args: str, input: str | None = None) -> Result:
    # A wide terminal, so table rows are not wrapped.
    runner = CliRunner(env={"COLUMNS": "300"})
    return runner.invoke(app, ["--config", str(config), *args], input=input, catch_exceptions=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text("http: {retries: 0, timeout: 5}\n" + text, encoding="utf-8")
    return path


def row(output: str, first_cell: str) -> str:
    """The table line whose first cell is ``first_cell``."""
    (line,) = [line for line in output.splitlines() if line.startswith(f"│ {first_cell} ")]
    return " ".join(line.replace("│", " ").split())


def load(path: Path) -> AppConfig:
    return load_config(path, option_models())


# --- check ------------------------------------------------------------------------------


def test_check_reports_every_source_and_exits_1_naming_the_failed(
    tmp_path: Path, feeds: str
) -> None:
    with refusing_port() as closed:
        config = write(
            tmp_path,
            f"""\
sources:
  - {{name: wwr, type: rss, url: "{feeds}{FEED}"}}
  - {{name: gone, type: rss, url: "{feeds}no-such-feed.rss"}}
  - {{name: down, type: rss, url: "http://127.0.0.1:{closed}/jobs.rss"}}
  - {{name: resting, type: rss, url: "{feeds}{FEED}", enabled: false}}
""",
        )
        result = leads(config, "check")
    assert result.exit_code == 1
    out = result.output
    assert row(out, "wwr") == "wwr rss yes fetched 5"
    assert row(out, "gone").startswith(f"gone rss no HTTP 404 from {feeds}no-such-feed.rss")
    assert row(out, "down").startswith(f"down rss no cannot connect to http://127.0.0.1:{closed}")
    assert row(out, "resting") == "resting rss - disabled (enabled: false) -"
    assert row(out, "config").startswith(f"config ok {config}: 4 sources (3 enabled)")
    assert row(out, "store") == (
        f"store ok sqlite:///{tmp_path / 'leads.db'}: not created yet (the first run creates it)"
    )
    assert row(out, "delivery") == f"delivery ok outbox {tmp_path / 'outbox'} writable " + (
        "(created with the first digest)"
    )
    assert "source gone failed: HTTP 404" in out
    assert f"source down failed: cannot connect to http://127.0.0.1:{closed}" in out
    assert "source wwr failed" not in out


def test_check_stores_nothing_and_sends_the_stored_validators(tmp_path: Path, feeds: str) -> None:
    config = write(tmp_path, f'sources: [{{name: wwr, type: rss, url: "{feeds}{FEED}"}}]\n')
    first = leads(config, "check")
    assert first.exit_code == 0, first.output
    assert row(first.output, "wwr") == "wwr rss yes fetched 5"
    database = f"sqlite:///{tmp_path / 'leads.db'}"
    assert not (tmp_path / "leads.db").exists()  # not even an empty store
    assert leads(config, "collect").exit_code == 0
    collected = snapshot(database)
    again = leads(config, "check")
    assert again.exit_code == 0
    # The ETag of the collect run is sent; the loopback server answers 304.
    assert row(again.output, "wwr") == "wwr rss yes not modified since the last run (304) 5"
    assert "0 postings" not in row(again.output, "store")
    assert snapshot(database) == collected


def snapshot(url: str) -> tuple[dict[str, int], list[object]]:
    store = Store(url)
    try:
        return store.posting_counts(), list(store.source_states())
    finally:
        store.close()


def smtp_delivery(port: int, password: str) -> str:
    return f"""\
delivery:
  method: smtp
  smtp: {{host: 127.0.0.1, port: {port}, security: none, username: {USERNAME},
         password: "{password}", from: "{FROM}", timeout: 5}}
"""


def test_check_logs_in_to_smtp_and_sends_nothing(tmp_path: Path) -> None:
    with smtp_server(auth=True) as server:
        result = leads(write(tmp_path, smtp_delivery(server.port, PASSWORD)), "check")
        assert server.connections == 1
        assert server.messages == []
    assert result.exit_code == 0, result.output
    assert row(result.output, "delivery") == f"delivery ok SMTP 127.0.0.1:{server.port} login ok"


def test_check_names_a_refused_smtp_login_and_exits_1(tmp_path: Path) -> None:
    with smtp_server(auth=True) as server:
        result = leads(write(tmp_path, smtp_delivery(server.port, "wrong")), "check")
    assert result.exit_code == 1
    assert f"delivery failed: SMTP 127.0.0.1:{server.port}: login refused (535" in result.output
    assert "check delivery.smtp.username and delivery.smtp.password" in result.output


def test_check_reads_mentors_network_files(tmp_path: Path) -> None:
    (tmp_path / "good.csv").write_bytes((FIXTURES / "network" / "Connections.csv").read_bytes())
    (tmp_path / "bad.csv").write_text("name,company\nAna,Acme\n", encoding="utf-8")
    config = write(
        tmp_path,
        """\
mentors:
  - {id: maria, name: Maria, email: maria@example.org, network: good.csv}
  - {id: dev, name: Dev, email: dev@example.org, network: bad.csv}
  - {id: ana, name: Ana, email: ana@example.org}
""",
    )
    result = leads(config, "check")
    assert result.exit_code == 1
    maria = row(result.output, "network of maria")
    assert maria == f"network of maria ok {tmp_path / 'good.csv'}: 27 contacts"
    assert "network of dev failed:" in result.output
    assert "not a LinkedIn Connections.csv" in result.output
    assert "network of ana" not in result.output  # no file to read


def test_check_reports_a_store_it_cannot_use_and_still_checks_the_sources(
    tmp_path: Path, feeds: str
) -> None:
    newer = sqlite3.connect(tmp_path / "leads.db")
    with newer:
        newer.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        newer.execute("INSERT INTO schema_version VALUES (999)")
    newer.close()
    config = write(tmp_path, f'sources: [{{name: wwr, type: rss, url: "{feeds}{FEED}"}}]\n')
    result = leads(config, "check")
    assert result.exit_code == 1
    assert "store failed: the database at" in result.output
    assert "schema version 999" in result.output
    assert row(result.output, "wwr") == "wwr rss yes fetched 5"


def test_check_of_a_broken_config_exits_2(tmp_path: Path) -> None:
    result = leads(write(tmp_path, "sorces: []\n"), "check")
    assert result.exit_code == 2
    assert "unknown key 'sorces'" in result.output


# --- init -------------------------------------------------------------------------------


PEOPLE = (
    "--mentor-name", HOSTILE, "--mentor-email", ZOE,
    "--mentee-name", "Sam Lee", "--mentee-email", "sam@example.org",
    "--mentee-skills", "python, c#, null,", "--mentee-roles", "data analyst",
)  # fmt: skip


def test_init_writes_a_commented_config_that_loads(tmp_path: Path, feeds: str) -> None:
    path = tmp_path / "new" / "config.yaml"
    result = leads(
        path, "init", "--yes", *PEOPLE, "--timezone", "Europe/Berlin",
        "--feed", f"{feeds}{FEED}", "--greenhouse", "stripe", "--lever", "leverdemo",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Wrote {path}." in result.output
    assert f"leads --config {path} check" in result.output
    config = load(path)
    (mentor,) = config.mentors
    assert (mentor.id, mentor.name, mentor.email) == ("zoe-z-o-neil-1-x-b", HOSTILE, ZOE)
    assert mentor.timezone == config.schedule.timezone == "Europe/Berlin"
    (mentee,) = config.mentees
    assert (mentee.name, mentee.mentor) == ("Sam Lee", mentor.id)
    assert mentee.skills == ("python", "c#", "null")  # "null" stays a word, not YAML's null
    assert mentee.roles == ("data analyst",)
    assert [(s.name, s.type, s.url) for s in config.sources] == [
        ("127-0-0", "rss", f"{feeds}{FEED}"),
        ("stripe", "greenhouse", "https://boards-api.greenhouse.io/v1/boards/stripe/jobs?content=true"),
        ("leverdemo", "lever", "https://api.lever.co/v0/postings/leverdemo?mode=json"),
    ]  # fmt: skip
    text = path.read_text(encoding="utf-8")
    for section in ("storage:", "delivery:", "schedule:", "sources:", "mentors:", "mentees:"):
        # every section is explained by the comment just above it (or inside it)
        assert section in text
    assert "# smtp:" in text and "# seniority: junior" in text
    assert list(path.parent.iterdir()) == [path]  # no draft left beside it


def test_init_with_nothing_given_writes_examples_that_load(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    result = leads(path, "init")  # no terminal: nothing is asked
    assert result.exit_code == 0, result.output
    assert "Add your mentors and mentees" in result.output
    config = load(path)
    assert config.mentors == () and config.mentees == ()
    assert config.sources == ()  # examples only, as comments: nothing reaches the internet
    assert "no sources yet" in result.output and "leads add-source URL" in result.output
    text = path.read_text(encoding="utf-8")
    assert "# - id: maria" in text
    assert '# - name: "weworkremotely"' in text and "#   type: rss" in text
    examples = text.split("sources: []\n")[1].split("\n\n")[0]
    uncommented = "".join(" " + line[1:] + "\n" for line in examples.splitlines())
    path.write_text("sources:\n" + uncommented, encoding="utf-8")
    assert [s.name for s in load(path).sources] == ["weworkremotely", "python"]


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("# mine\n", encoding="utf-8")
    refused = leads(path, "init", "--yes")
    assert refused.exit_code == 2
    assert "already exists" in refused.output and "--force" in refused.output
    assert path.read_text(encoding="utf-8") == "# mine\n"
    forced = leads(path, "init", "--yes", "--force", *PEOPLE)
    assert forced.exit_code == 0, forced.output
    assert load(path).mentors[0].name == HOSTILE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--mentor-name", "A", "--mentor-email", "ana@"), "--mentor-email: 'ana@' is not an"),
        (("--mentor-name", "Ana"), "--mentor-email: '' is not an email"),
        (("--mentee-name", "Sam", "--mentee-email", "s@example.org"), "a mentee needs a mentor"),
        (("--timezone", "Europe/Berln"), "did you mean Europe/Berlin?"),
        (("--feed", "ftp://example.org/jobs.rss"), "--feed: 'ftp://example.org/jobs.rss'"),
        (("--greenhouse", "a/b"), "--greenhouse: 'a/b'"),
    ],
)  # fmt: skip
def test_init_refuses_bad_values_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    path = tmp_path / "config.yaml"
    result = leads(path, "init", "--yes", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert list(tmp_path.iterdir()) == []


def test_init_asks_for_what_is_missing_and_asks_again_after_a_bad_answer(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.yaml"
    answers = [
        "not an address",  # their email: refused, asked again
        "ana@example.org",
        "",  # time zone: the default, UTC
        "",  # no mentee yet
        "https://example.org/a.rss, https://example.org/b.rss",  # feeds
        "",  # no Greenhouse boards
        "acme",  # a Lever company
    ]
    result = leads(
        path, "init", "--interactive", "--mentor-name", "Ana Lima", input="\n".join(answers) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "The first mentor's name" not in result.output  # given as an option
    assert "is not an email address" in result.output
    config = load(path)
    assert [(m.name, str(m.email), m.timezone) for m in config.mentors] == [
        ("Ana Lima", "ana@example.org", "UTC")
    ]
    assert config.mentees == ()
    assert [(s.name, s.type) for s in config.sources] == [
        ("example", "rss"), ("example-2", "rss"), ("acme", "lever")
    ]  # fmt: skip


# --- cron -------------------------------------------------------------------------------


CRON_CONFIG = """\
schedule: {collect: every 3h, timezone: Europe/Berlin}
mentors:
  - {id: maria, name: Maria Okafor, email: maria@example.org, timezone: Europe/Berlin}
  - {id: dev, name: Dev Raman, email: dev@example.org, timezone: America/Chicago,
     digest: {schedule: weekdays 08:30}}
  - {id: ana, name: "Ana\\nLima", email: ana@example.org, timezone: Europe/Berlin,
     digest: {schedule: "0 7 * * mon"}}
"""


@pytest.fixture
def leads_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An executable named `leads` as the only one on PATH."""
    program = tmp_path / "bin" / "leads"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(program.parent))
    return program


def test_cron_prints_the_schedules_as_crontab_lines(tmp_path: Path, leads_on_path: Path) -> None:
    config = write(tmp_path, CRON_CONFIG)
    result = leads(config, "cron")
    assert result.exit_code == 0, result.output
    run = f"{leads_on_path} --config {config} run"
    log = f">> {tmp_path / 'cron.log'} 2>&1"
    assert result.output.splitlines() == [
        f"# mentor-leads, as scheduled in {config}; add with `crontab -e`.",
        "# CRON_TZ sets the zone of the times below it (cronie: Fedora, RHEL, Arch honour it);",
        "# Debian/Ubuntu, BSD and macOS cron ignore it: there every time is in the machine's zone.",
        "",
        "# Collect, match and send the digests that are due: every 3 hours (Europe/Berlin).",
        "CRON_TZ=Europe/Berlin",
        f"0 */3 * * * {run} {log}",
        "",
        "# Digests of Maria Okafor (maria), Ana Lima (ana): every Monday at 07:00 (Europe/Berlin).",
        "CRON_TZ=Europe/Berlin",
        f"0 7 * * 1 {run} --only digest {log}",
        "",
        "# Digests of Dev Raman (dev): every weekday (Monday to Friday) at 08:30 "
        "(America/Chicago).",
        "CRON_TZ=America/Chicago",
        f"30 8 * * 1-5 {run} --only digest {log}",
    ]


def test_cron_quotes_paths_for_the_shell_and_escapes_percent_signs(
    tmp_path: Path, leads_on_path: Path
) -> None:
    folder = tmp_path / "my leads 100%"
    folder.mkdir()
    config = write(folder, "")
    lines = leads(config, "cron").output.splitlines()
    escaped = str(folder).replace("%", "\\%")  # cron reads a bare % as a line break
    run = f"{leads_on_path} --config '{escaped}/config.yaml' run"
    assert f"0 */3 * * * {run} >> '{escaped}/cron.log' 2>&1" in lines


def test_cron_falls_back_to_a_bare_leads_when_none_is_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    config = write(tmp_path, "")
    assert f"0 */3 * * * leads --config {config} run" in leads(config, "cron").output


@pytest.mark.parametrize(
    ("schedules", "key"),
    [
        ("schedule: {collect: every 90m}\n", "schedule.collect"),
        (
            "mentors:\n  - {id: a, name: A, email: a@example.org}\n"
            "  - {id: b, name: B, email: b@example.org, digest: {schedule: every 5h}}\n",
            "mentors[1].digest.schedule",
        ),
    ],
)
def test_cron_refuses_a_schedule_cron_cannot_express(
    tmp_path: Path, schedules: str, key: str
) -> None:
    result = leads(write(tmp_path, schedules), "cron")
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert f"{key}: an interval of" in message and "has no crontab equivalent" in message
    assert "`leads schedule`" in message


def test_config_is_accepted_after_the_command_name_too(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    written = CliRunner().invoke(app, ["init", "--config", str(path), "--yes"])
    assert written.exit_code == 0, written.output
    assert path.is_file() and not (tmp_path / "config.yaml").exists()
    checked = CliRunner(env={"COLUMNS": "300"}).invoke(app, ["check", f"--config={path}"])
    assert checked.exit_code == 0, checked.output
    assert str(path) in checked.output
    assert "not created yet" in checked.output
    assert not (tmp_path / "leads.db").exists()  # check stores nothing, not even an empty store


def test_check_counts_in_english(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mentors: [{id: m, name: M, email: m@example.org}]\n"
        "mentees: [{name: E, email: e@example.org, mentor: m, skills: [sql]}]\n",
    )
    result = leads(path, "check")
    assert result.exit_code == 0, result.output
    assert "0 sources (0 enabled), 1 mentor, 1 mentee" in result.output
    # what a run would not do yet: said, though it is no failure (a fresh init's config)
    assert "nothing to collect yet: add a source with `leads add-source URL`" in result.output
    assert "nothing to match or send yet" not in result.output
    empty = leads(write(tmp_path, "mentors: [{id: m, name: M, email: m@example.org}]\n"), "check")
    assert empty.exit_code == 0, empty.output
    assert "nothing to match or send yet: add mentees under `mentees:`" in empty.output
