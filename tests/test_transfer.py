"""`leads export` / `leads import`: a database filled by the real pipeline (recorded feeds and a
calendar collected, matched, digests written, links, feedback, statuses, a scheduled job)
moved from SQLite to PostgreSQL and back without loss — row counts and content hashes per
table equal, and the three exports byte for byte the same."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from databases import row_counts, storage_yaml
from people import MENTEES_YAML
from recordings import still_listed_fixtures
from typer.testing import CliRunner, Result

import aggregator.cli as cli
from aggregator.cli import _common, app
from aggregator.core.models import LeadStatus
from aggregator.loopback import serve_directory
from aggregator.store import SCHEMA_VERSION, Store
from aggregator.store.transfer import TABLES, Summary, table_summaries

NOW = datetime(2019, 2, 16, 12, tzinfo=UTC)  # the recorded calendar's week
CONFIG = """\
{storage}http: {{retries: 0}}
matching: {{max_age_days: null}}
sources:
  - {{name: back-end, type: rss, url: "{base}rss/wwr_2022-11/remote-back-end-programming-jobs.rss"}}
  - {{name: design, type: rss, url: "{base}rss/wwr_2022-11/remote-design-jobs.rss"}}
  - {{name: devops, type: rss, url: "{base}rss/wwr_2022-11/remote-devops-sysadmin-jobs.rss"}}
  - {{name: machbar, type: ical, url: "{base}ical/machbar_16_feb_2019.ics", city: Potsdam}}
  - {{name: gone, type: rss, url: "{base}rss/no-such-feed.rss"}}
mentors:
  - {{id: maria, name: Maria Okafor, email: maria@example.org, timezone: Europe/Berlin}}
  - {{id: dev, name: Dev Raman, email: dev@example.org}}
"""


def write_config(folder: Path, base: str = "http://127.0.0.1:9/", database: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    storage = storage_yaml(database) if database else ""
    path.write_text(CONFIG.format(storage=storage, base=base) + MENTEES_YAML, encoding="utf-8")
    return path


def leads(config: Path, *args: str) -> Result:
    runner = CliRunner(env={"COLUMNS": "200"})
    return runner.invoke(app, ["--config", str(config), *args], catch_exceptions=False)


def summary_lines(result: Result) -> list[list[str]]:
    """The per-table lines (name, rows, hash) an export or import printed."""
    assert result.exit_code == 0, result.output
    return [line.split() for line in result.output.splitlines() if line.startswith("  ")]


def summaries_of(url: str) -> Summary:
    store = Store(url)
    try:
        return table_summaries(store.engine)
    finally:
        store.close()


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A config whose SQLite store the real pipeline filled; every table holds rows."""
    folder = tmp_path_factory.mktemp("filled")
    with pytest.MonkeyPatch.context() as patch, serve_directory(still_listed_fixtures()) as base:
        for module in [_common, *(getattr(cli, name) for name in cli.__all__)]:
            if hasattr(module, "clock"):
                patch.setattr(module, "clock", lambda: NOW)
        config = write_config(folder, base)
        assert leads(config, "collect").exit_code == 1  # the gone feed, remembered as failing
        for step in (["match"], ["digest"], ["links"]):
            assert leads(config, *step).exit_code == 0
        store = Store(f"sqlite:///{folder / 'leads.db'}")
        (first, second) = [m.lead_id for m in store.matches("sam-lee")[:2]]
        store.close()
        assert leads(config, "feedback", "sam-lee", str(first), "applied").exit_code == 0
        assert leads(config, "feedback", "sam-lee", str(second), "not_for_me").exit_code == 0
        store = Store(f"sqlite:///{folder / 'leads.db'}")
        store.record_status("sam-lee", first, LeadStatus.INTERVIEWING, NOW)  # as the page does
        store.start_job("collect", "pid 1 on host", NOW, NOW)  # as `leads schedule` does
        store.close()
    counts = row_counts(f"sqlite:///{folder / 'leads.db'}", *(t.name for t in TABLES))
    assert all(counts.values()), counts
    yield config


def test_sqlite_to_postgresql_and_back_loses_nothing(
    filled: Path, postgres_database: str, tmp_path: Path
) -> None:
    original = f"sqlite:///{filled.parent / 'leads.db'}"
    postgres = write_config(tmp_path / "postgres", database=postgres_database)
    back = write_config(tmp_path / "back")
    exported = leads(filled, "export", str(tmp_path / "a.jsonl"))
    imported = leads(postgres, "import", str(tmp_path / "a.jsonl"))
    again = leads(postgres, "export", str(tmp_path / "b.jsonl"))
    returned = leads(back, "import", str(tmp_path / "b.jsonl"))
    final = leads(back, "export", str(tmp_path / "c.jsonl"))
    printed = [summary_lines(r) for r in (exported, imported, again, returned, final)]
    assert all(lines == printed[0] for lines in printed)
    assert [name for name, _, _ in printed[0]] == [t.name for t in TABLES]
    summaries = [summaries_of(url) for url in (original, postgres_database)]
    assert summaries[0] == summaries[1]
    assert [f"{s.rows:,}" for s in summaries[0].values()] == [rows for _, rows, _ in printed[0]]
    first, middle, last = (tmp_path / f"{n}.jsonl" for n in "abc")
    assert middle.read_bytes() == first.read_bytes() == last.read_bytes()  # rows in one order
    shown = [leads(c, "matches", "--format", "jsonl").output for c in (filled, postgres, back)]
    assert shown[0] == shown[1] == shown[2]
    with serve_directory(still_listed_fixtures()) as base:  # new rows after an import take new ids
        config = write_config(tmp_path / "postgres", base, postgres_database)
        config.write_text(
            config.read_text().replace("remote-design-jobs", "remote-front-end-programming-jobs")
        )
        assert leads(config, "collect", "--source", "design").exit_code == 0
    assert row_counts(postgres_database, "postings")["postings"] > summaries[0]["postings"].rows


def test_the_readme_shows_the_export_header_this_version_writes(
    filled: Path, tmp_path: Path
) -> None:
    assert leads(filled, "export", str(tmp_path / "a.jsonl")).exit_code == 0
    header = json.loads((tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()[0])
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    shown = re.search(r'`(\{"format": [^`]*), "tables": \[\.\.\.\], "rows": \{[^`]*\}\}`', readme)
    assert shown, "README's `leads export` row shows the header line"
    assert json.loads(shown[1] + "}") == {
        "format": header["format"],
        "schema_version": header["schema_version"],
    }
    assert header["schema_version"] == SCHEMA_VERSION
    counted = re.search(r'"rows": \{"leads": (\d+), \.\.\.\}', readme)
    assert counted, "README's header shows the leads the fixtures' collect stores"
    assert list(header["rows"]) == [t.name for t in TABLES]
    assert header["rows"]["leads"] == int(counted[1])


def test_the_export_is_private_and_an_import_into_a_database_with_data_is_refused(
    filled: Path, tmp_path: Path
) -> None:
    export = tmp_path / "leads.jsonl"
    assert leads(filled, "export", str(export)).exit_code == 0
    assert stat.S_IMODE(export.stat().st_mode) == 0o600
    before = summaries_of(f"sqlite:///{filled.parent / 'leads.db'}")
    refused = leads(filled, "import", str(export))
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())
    assert "already holds data (access_links: 3, " in said and ", leads: 109, " in said
    assert "— import only into an empty database: create a new one and run `leads migrate`" in said
    assert summaries_of(f"sqlite:///{filled.parent / 'leads.db'}") == before


def changed(lines: list[str], table: str, **values: object) -> list[str]:
    """``lines`` with the first row of ``table`` given ``values``."""
    at = next(i for i, line in enumerate(lines) if line.startswith(f'{{"table": "{table}"'))
    record = json.loads(lines[at])
    record["row"].update(values)
    return [*lines[:at], json.dumps(record), *lines[at + 1 :]]


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda lines: [*lines[:50], '{"table": "leads", "row": {"id": 1}}', *lines[50:]],
         "line 51: not a row of this schema (its columns are not those of leads)"),
        (lambda lines: [lines[0].replace(f'"schema_version": {SCHEMA_VERSION}',
                                         f'"schema_version": {SCHEMA_VERSION - 1}'), *lines[1:]],
         f"was exported at schema version {SCHEMA_VERSION - 1}; this mentor-leads imports "
         f"version {SCHEMA_VERSION}"),
        (lambda lines: lines[1:], "is not a mentor-leads export"),
        # Cut short at the end of a line (a copy interrupted), it read as a whole export.
        (lambda lines: lines[:-3], "does not hold the rows its header lists (postings: "),
        # SQLite took these, and `leads match` or `leads matches` failed on them afterwards.
        (lambda lines: changed(lines, "feedback", verdict="x'); DROP TABLE leads;--"),
         "(verdict \"x'); DROP TABLE leads;--\" is none of applied, interested, not_for_me)"),
        (lambda lines: changed(lines, "matches", score="high"), '(score is "high")'),
        (lambda lines: changed(lines, "postings", title=42), "(title is 42)"),
        (lambda lines: changed(lines, "deliveries", shown="yes"), '(shown is "yes")'),
        (lambda lines: changed(lines, "leads", first_seen="2019-02-16T12:00:00"),
         "(first_seen is a time without its offset from UTC)"),
    ],
)  # fmt: skip
def test_a_damaged_export_imports_nothing(
    filled: Path, database_url: str, tmp_path: Path, damage: object, said: str
) -> None:
    export = tmp_path / "leads.jsonl"
    assert leads(filled, "export", str(export)).exit_code == 0
    lines = export.read_text(encoding="utf-8").splitlines()
    export.write_text("\n".join(damage(lines)) + "\n", encoding="utf-8")  # type: ignore[operator]
    result = leads(write_config(tmp_path / "target", database=database_url), "import", str(export))
    assert result.exit_code == 2
    assert said in " ".join(result.output.split())
    assert set(row_counts(database_url, *(t.name for t in TABLES)).values()) == {0}
