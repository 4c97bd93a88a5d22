"""``leads …``: the only module that prints, draws progress bars or sets exit codes.

Exit codes: 0 all well, 1 the run had failures (after doing everything else), 2 usage or
configuration error.
"""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from aggregator import __version__, pipeline
from aggregator.config import (
    AppConfig,
    append_source,
    config_path,
    load_config,
    source_entry_yaml,
    unique_source_name,
)
from aggregator.demo import run_demo
from aggregator.errors import ConfigError, LeadsError, SourceError
from aggregator.fetching import Fetcher
from aggregator.models import FetchStatus, RunReport, SourceOutcome, StoredPosting
from aggregator.storage import Store
from sources import option_models
from sources.detect import Detected, detect

app = typer.Typer(
    help="Collect job postings and pass the right ones to the people you mentor.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_FAILURES = 1
EXIT_USAGE = 2
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class OutputFormat(StrEnum):
    """Formats of listing commands."""

    table = "table"
    jsonl = "jsonl"
    csv = "csv"


def clock() -> datetime:
    """The current time, in UTC; the one place the CLI reads the wall clock."""
    return datetime.now(UTC)


class State:
    """Options given before the command name."""

    config: Path = Path("config.yaml")
    verbose: bool = False


def _version(value: bool) -> None:
    if value:
        out.print(f"mentor-leads {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="Config file (default: $LEADS_CONFIG or ./config.yaml)."
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Collect job postings and pass the right ones to the people you mentor."""
    State.config = config_path(config)
    State.verbose = verbose
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@contextmanager
def _errors_handled() -> Iterator[None]:
    """Config and store errors end the command with a clear message and exit code 2."""
    try:
        yield
    except ConfigError as exc:
        err.print(Text(f"error: {exc}", style="red"))
        raise typer.Exit(EXIT_USAGE) from exc
    except LeadsError as exc:
        err.print(Text(f"error: {exc}", style="red"))
        raise typer.Exit(EXIT_USAGE) from exc


def _load() -> AppConfig:
    return load_config(State.config, option_models())


@contextmanager
def _open_store(config: AppConfig) -> Iterator[Store]:
    store = Store(config.database_url)
    try:
        yield store
    finally:
        store.close()


def safe(value: object) -> Text:
    """Untrusted text for the terminal: no rich markup, no escape sequences."""
    return Text(_CONTROL_CHARS.sub("", "" if value is None else str(value)))


# -- collect ---------------------------------------------------------------------------


@app.command()
def collect(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")] = False,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", help="Collect only this source (repeatable)."),
    ] = None,
) -> None:
    """Fetch every enabled source and store new and changed postings."""
    with _errors_handled():
        config = _load()
        unknown = set(source or []) - {s.name for s in config.sources}
        if unknown:
            raise ConfigError(
                f"no source named {', '.join(sorted(unknown))}",
                file=str(config.path),
                fix="see `leads sources` for the configured names",
            )
        with _open_store(config) as store:
            report = run_collect(config, store, clock, only=source, quiet=quiet)
    if not quiet and out.is_terminal:
        out.print(summary_table(report))
    _report_failures(report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILURES)


def run_collect(
    config: AppConfig,
    store: Store,
    now: Callable[[], datetime],
    *,
    only: list[str] | None,
    quiet: bool,
) -> RunReport:
    """Collect with a progress bar when a person is watching."""
    if quiet or not out.is_terminal:
        return pipeline.collect(config, store, now, only=only)
    total = len([s for s in config.enabled_sources() if only is None or s.name in only])
    columns = (TextColumn("collecting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=True) as progress:
        task = progress.add_task("collect", total=total)

        def advance(outcome: SourceOutcome) -> None:
            progress.advance(task)

        return pipeline.collect(config, store, now, only=only, on_source_done=advance)


def summary_table(report: RunReport) -> Table:
    """Per source: new, updated, unchanged, and why it failed."""
    table = Table(title="Collected", title_justify="left")
    table.add_column("source")
    for column in ("new", "updated", "unchanged"):
        table.add_column(column, justify="right")
    table.add_column("status")
    for s in report.sources:
        status = {
            FetchStatus.OK: Text("ok", style="green"),
            FetchStatus.NOT_MODIFIED: Text("not modified", style="dim"),
            FetchStatus.SKIPPED: Text("skipped: " + (s.error or ""), style="dim"),
            FetchStatus.FAILED: Text("failed", style="red"),
        }[s.status]
        if s.moved_to:
            status.append(f" (moved to {s.moved_to})", style="yellow")
        table.add_row(safe(s.name), str(s.new), str(s.updated), str(s.unchanged), status)
    table.add_row(
        Text("total", style="bold"),
        str(report.total("new")),
        str(report.total("updated")),
        str(report.total("unchanged")),
        f"{len(report.failures)} failed",
    )
    return table


def _report_failures(report: RunReport) -> None:
    for failed in report.failures:
        err.print(Text(f"source {failed.name} failed: {failed.error}", style="red"))


# -- sources ---------------------------------------------------------------------------


@app.command()
def sources() -> None:
    """Show each source's health: last success, last error and posting counts."""
    with _errors_handled():
        config = _load()
        with _open_store(config) as store:
            states = {s.name: s for s in store.source_states()}
            counts = store.posting_counts()
    table = Table(title="Sources", title_justify="left")
    for column in (
        "name",
        "type",
        "last success",
        "last items",
        "stored",
        "failures",
        "last error",
    ):
        table.add_column(column, overflow="fold")
    for options in config.sources:
        state = states.get(options.name)
        name = safe(options.name)
        if not options.enabled:
            name.append(" (disabled)", style="dim")
        table.add_row(
            name,
            options.type,
            _when(state.last_success if state else None),
            str(state.last_item_count) if state else "-",
            str(counts.get(options.name, 0)),
            str(state.consecutive_failures) if state else "0",
            safe(state.last_error if state and state.last_error else ""),
        )
    out.print(table)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


# -- postings --------------------------------------------------------------------------


@app.command()
def postings(
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = (
        OutputFormat.table
    ),
    since: Annotated[
        str | None,
        typer.Option(help="Only postings first seen on or after DATE (YYYY-MM-DD, or e.g. 7d)."),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only postings from this source.")] = None,
) -> None:
    """List stored postings (jsonl and csv carry every field)."""
    with _errors_handled():
        cutoff = parse_since(since, clock()) if since else None
        config = _load()
        with _open_store(config) as store:
            rows = list(store.postings(since=cutoff, source=source))
            links = store.lead_links(sorted({r.lead_id for r in rows}))
            records = [posting_record(r, links[r.lead_id]) for r in rows]
    if format is OutputFormat.jsonl:
        for record in records:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif format is OutputFormat.csv:
        _write_csv(records)
    else:
        out.print(_postings_table(records))


def parse_since(value: str, now: datetime) -> datetime:
    """``2026-11-01``, ``2026-11-01T08:00`` or ``7d`` (days ago) as an aware UTC datetime."""
    days = re.fullmatch(r"(\d+)d", value.strip())
    if days:
        return now - timedelta(days=int(days.group(1)))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(
            f"--since {value!r} is not a date",
            fix="write it as YYYY-MM-DD, or as 7d for 7 days ago",
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def posting_record(stored: StoredPosting, links: list[str]) -> dict[str, Any]:
    """Every field of a stored posting as JSON-ready values, with all links of its lead."""
    posting = asdict(stored.posting)
    posting["posted_at"] = _iso(stored.posting.posted_at)
    posting["tags"] = list(stored.posting.tags)
    return {
        "id": stored.id,
        "lead_id": stored.lead_id,
        **posting,
        "links": links,
        "first_seen": _iso(stored.first_seen),
        "last_seen": _iso(stored.last_seen),
    }


_CSV_COLUMNS = (
    "id", "lead_id", "source", "external_id", "url", "title", "company", "location", "remote",
    "employment_type", "salary_min", "salary_max", "salary_currency", "salary_period",
    "salary_text", "posted_at", "tags", "links", "first_seen", "last_seen", "description_text",
    "description_html",
)  # fmt: skip


def _write_csv(records: list[dict[str, Any]]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        salary = record.pop("salary") or {}
        record.update({f"salary_{k}": v for k, v in salary.items()})
        record["salary_min"] = record.pop("salary_minimum", None)
        record["salary_max"] = record.pop("salary_maximum", None)
        record["tags"] = "; ".join(record["tags"])
        record["links"] = " ".join(record["links"])
        writer.writerow({k: record.get(k) for k in _CSV_COLUMNS})


def _postings_table(records: list[dict[str, Any]]) -> Table:
    table = Table(title="Postings", title_justify="left")
    for column in ("id", "lead", "first seen", "source", "title", "company", "location", "links"):
        table.add_column(column, overflow="fold")
    for r in records:
        remote = r["remote"] and "remote" not in r["location"].lower()
        table.add_row(
            str(r["id"]),
            str(r["lead_id"]),
            r["first_seen"][:10],
            safe(r["source"]),
            safe(r["title"]),
            safe(r["company"]),
            safe(r["location"] + (" (remote)" if remote else "")),
            safe("\n".join(r["links"])),
        )
    return table


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# -- add-source ------------------------------------------------------------------------


@app.command("add-source")
def add_source(
    url: Annotated[str, typer.Argument(help="A careers page, job board, ATS or feed URL.")],
    name: Annotated[str | None, typer.Option(help="Name of the new source.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the entry instead of adding it.")
    ] = False,
) -> None:
    """Recognise a careers URL and add the matching source to the config file."""
    with _errors_handled():
        config = _load()
        try:
            found = asyncio.run(_detect(url, config))
        except SourceError as exc:
            err.print(Text(f"error: {exc}", style="red"))
            raise typer.Exit(EXIT_FAILURES) from exc
        entry = {"name": unique_source_name(config, name or found.suggested_name), **found.entry}
        if dry_run:
            out.print(safe(f"# {url} is {found.reason}; add this under `sources:`"))
            out.print(safe(source_entry_yaml(entry).rstrip()))
            return
        append_source(config.path, entry, option_models())
    out.print(
        safe(f"Added source {entry['name']} ({entry['type']}) to {config.path}: {found.reason}.")
    )


async def _detect(url: str, config: AppConfig) -> Detected:
    async with Fetcher(config.http) as fetcher:
        return await detect(url, fetcher)


# -- demo ------------------------------------------------------------------------------


@app.command()
def demo(
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Folder for the demo's config, database and outbox."),
    ] = Path("demo-output"),
) -> None:
    """Run mentor-leads offline on bundled recorded feeds served from 127.0.0.1."""
    with _errors_handled():
        result = run_demo(output, clock)
    report = result.report
    out.print(summary_table(report))
    out.print(
        f"Collected {report.total('new')} new postings from {len(report.sources)} recorded feeds "
        f"({result.stored} stored in all)."
    )
    out.print(f"  config:   {result.config.path}")
    out.print(f"  database: {result.config.database_url}")
    out.print(f"Next: explore with `leads --config {result.config.path} postings` or `… sources`.")
    _report_failures(report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILURES)


def main() -> None:
    """Entry point of the ``leads`` console script."""
    app()
