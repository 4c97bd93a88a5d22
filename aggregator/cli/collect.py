"""``leads collect``, ``leads sources`` and ``leads postings``: gathering postings and looking
at what was gathered."""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable, Collection
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aggregator.cli._common import (
    EXIT_FAILURES,
    FittedListing,
    OutputFormat,
    app,
    clock,
    err,
    errors_handled,
    iso,
    labelled_notes,
    listing,
    load,
    open_store,
    out,
    refuse_unknown,
    report_failures,
    safe,
    safe_line,
)
from aggregator.core.config import AppConfig
from aggregator.core.errors import UsageError
from aggregator.core.models import (
    FetchStatus,
    RunReport,
    SourceOutcome,
    SourceState,
    StoredPosting,
)
from aggregator.core.spreadsheet import neutralise_row
from aggregator.core.wording import counted
from aggregator.stages import collect as collect_stage
from aggregator.store import Store
from sources import SOURCE_TYPES

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

# -- collect ---------------------------------------------------------------------------


@app.command()
def collect(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")] = False,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", help="Collect only this source (repeatable)."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            max=64,
            help="Collector processes sharing the sources (each source is fetched once).",
        ),
    ] = 1,
) -> None:
    """Fetch every enabled source and store new and changed postings."""
    with errors_handled():
        config = load()
        names = [s.name for s in config.sources]
        fix = f"`leads sources` lists the names configured in {config.path}"
        refuse_unknown("source named", source or [], names, fix=fix)
        # No run lock: a collector beside a running `leads run` (or on another host) joins
        # its collection round and fetches only sources nobody else has (source leases).
        with open_store(config) as store:
            report = run_collect(config, store, clock, only=source, quiet=quiet, workers=workers)
    if not quiet and out.is_terminal:
        out.print(summary_table(report, event_sources(config)))
    elsewhere = len(collect_stage.selected(config, source)) - len(report.sources)
    if not quiet and elsewhere > 0:
        out.print(
            f"{counted(elsewhere, 'source')} of this round were collected by another collector"
        )
    report_failures(report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILURES)


def run_collect(
    config: AppConfig,
    store: Store,
    now: Callable[[], datetime],
    *,
    only: list[str] | None,
    quiet: bool,
    workers: int = 1,
) -> RunReport:
    """Collect (in ``workers`` processes) with a progress bar when a person is watching."""
    if quiet or not out.is_terminal:
        return collect_stage.collect_with_workers(config, store, now, workers, only=only)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    total = len(collect_stage.selected(config, only))
    columns = (TextColumn("collecting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=True) as progress:
        task = progress.add_task("collect", total=total)

        def advance(outcome: SourceOutcome) -> None:
            progress.advance(task)

        return collect_stage.collect_with_workers(
            config, store, now, workers, only=only, on_source_done=advance
        )


_STATUS_STYLES = {
    FetchStatus.OK: "green",
    FetchStatus.NOT_MODIFIED: "dim",
    FetchStatus.SKIPPED: "dim",
    FetchStatus.FAILED: "red",
}


_COUNTS = ("new", "updated", "unchanged")


def summary_table(report: RunReport, events: Collection[str] = ()) -> Table:
    """Per source: new, updated, unchanged, and why it failed; then the totals, of postings
    and of networking events apart when ``events`` (the names of events sources) collected
    any (the demo said "577 new postings" above a total of 595 that counted 18 events)."""
    table = listing(
        "Collected", "source", *_COUNTS, "status", one_line=("source",), numbers=_COUNTS
    )
    for s in report.sources:
        status = safe_line(
            {
                FetchStatus.OK: "ok",
                FetchStatus.NOT_MODIFIED: "not modified",
                FetchStatus.SKIPPED: f"skipped: {s.error}",
                FetchStatus.FAILED: "failed",
            }[s.status]
        )
        status.stylize(_STATUS_STYLES[s.status])
        if s.moved_to:
            status.append(f" (moved to {safe_line(s.moved_to).plain})", style="yellow")
        if s.note:
            status.append(f" ({safe_line(s.note).plain})", style="yellow")
        if s.beyond_limit:
            status.append(f" ({s.beyond_limit} more not stored: http.max_items)", style="yellow")
        table.add_row(safe(s.name), str(s.new), str(s.updated), str(s.unchanged), status)
    kinds = by_kind(report, events)
    if not kinds["events"]:
        _add_total(table, "total", report.sources)
        return table
    for kind, outcomes in kinds.items():
        _add_total(table, f"total {kind}", outcomes)
    return table


def by_kind(report: RunReport, events: Collection[str]) -> dict[str, list[SourceOutcome]]:
    """The sources' outcomes, those of postings and those of networking events apart
    (``events``: the names of events sources)."""
    return {
        "postings": [s for s in report.sources if s.name not in events],
        "events": [s for s in report.sources if s.name in events],
    }


def event_sources(config: AppConfig) -> set[str]:
    """The names of the configured sources of networking events."""
    return {s.name for s in config.sources if SOURCE_TYPES[s.type].events}


def total(outcomes: list[SourceOutcome], count: str) -> int:
    """One of the counts (new, updated, unchanged) summed over ``outcomes``."""
    return sum(getattr(s, count) for s in outcomes)


def _add_total(table: Table, label: str, outcomes: list[SourceOutcome]) -> None:
    """A row of ``table`` that sums ``outcomes`` and counts their failures."""
    from rich.text import Text  # see _common.LazyConsole

    failed = sum(s.status is FetchStatus.FAILED for s in outcomes)
    table.add_row(
        Text(label, style="bold"),
        *(str(total(outcomes, count)) for count in _COUNTS),
        f"{failed} failed",
    )


# -- sources ---------------------------------------------------------------------------


@app.command()
def sources() -> None:
    """Show each source's health: last success, last error and posting counts."""
    with errors_handled():
        config = load()
        with open_store(config) as store:
            states = {s.name: s for s in store.source_states()}
            counts = store.posting_counts() | store.event_counts()  # a source has one kind
    # The error column only when some source has one: empty, it takes no width, and its
    # heading vanished into a bare border at 80 columns.
    errors = any(states[o.name].last_error for o in config.sources if o.name in states)
    table = FittedListing(
        "Sources (times in UTC)",
        *("name", "type", "last success", "last items", "stored"),
        below=("failures", *(["last error"] if errors else [])),
        one_line=("name", "type", "last success"),
        numbers=("last items", "stored", "failures"),
    )
    for options in config.sources:
        state = states.get(options.name)
        name = safe(options.name)
        if not options.enabled:
            name.append(" (disabled)", style="dim")
        failures = _failures(state)
        error = safe_line(state.last_error if state and state.last_error else "")
        table.add_row(
            options.name,
            name,
            options.type,
            _when(state.last_success if state else None),
            str(state.last_item_count) if state else "-",
            str(counts.get(options.name, 0)),
            below=[failures, *([error] if errors else [])],
            notes=[
                *([f"failures: {failures.plain}"] if state and state.consecutive_failures else []),
                *([f"last error: {error.plain}"] if error.plain else []),
            ],
        )
    table.print(out, f"No sources in {config.path} yet: `leads add-source URL` adds one.")
    for state in (states[o.name] for o in config.sources if o.name in states):
        if state.failing:
            err.print(safe(state.failing_note()), style="red")


def _failures(state: SourceState | None) -> Text:
    """Failed runs in a row, flagged once they are no passing outage."""
    from rich.text import Text  # see _common.LazyConsole

    if state is None:
        return Text("0")
    if state.failing:
        return Text(f"{state.consecutive_failures} (failing)", style="bold red")
    return Text(str(state.consecutive_failures))


def _when(moment: datetime | None) -> str:
    # In UTC, as the table's title says: " UTC" in every row cut the column at 80.
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else "never"


# -- postings --------------------------------------------------------------------------


@app.command()
def postings(
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = (
        OutputFormat.table
    ),
    since: Annotated[
        str | None,
        typer.Option(
            help="Only postings first seen on or after WHEN: a date (YYYY-MM-DD) or a number "
            "of days ago (7d)."
        ),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only postings from this source.")] = None,
) -> None:
    """List stored postings (jsonl and csv carry every field)."""
    with errors_handled():
        cutoff = parse_since(since, clock()) if since else None
        config = load()
        with open_store(config) as store:
            if source is not None:
                # A source taken out of the config may still have postings stored.
                known = [s.name for s in config.sources] + [
                    s.name for s in store.source_states()
                ]
                fix = f"`leads sources` lists the names configured in {config.path}"
                refuse_unknown("source named", [source], known, fix=fix)
            rows = list(store.postings(since=cutoff, source=source))
            links = store.lead_links(sorted({r.lead_id for r in rows}))
            records = [posting_record(r, links[r.lead_id]) for r in rows]
    if format is OutputFormat.jsonl:
        for record in records:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif format is OutputFormat.csv:
        _write_csv(records)
    else:
        filtered = since is not None or source is not None
        _print_postings(records, empty=_no_postings(config, filtered=filtered))


def _no_postings(config: AppConfig, *, filtered: bool) -> str:
    """Why `leads postings` lists nothing, and what would fill it."""
    if filtered:
        return "No stored postings match --since/--source."
    return (
        "No postings stored yet: `leads collect` fetches them from the sources in "
        f"{config.path} (`leads add-source URL` adds one)."
    )


def parse_since(value: str, now: datetime) -> datetime:
    """``2026-11-01``, ``2026-11-01T08:00`` or ``7d`` (days ago) as an aware UTC datetime,
    within what a date can be (years 1 to 9999 in UTC, as the database stores them)."""
    fix = "write it as YYYY-MM-DD, or as 7d for 7 days ago"
    days = re.fullmatch(r"(\d+)d", value.strip())
    try:
        if days:
            return now - timedelta(days=int(days.group(1)))
        moment = datetime.fromisoformat(value)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError as exc:
        raise UsageError(f"--since {value!r} is not a date", fix=fix) from exc
    except OverflowError as exc:  # 1000000d ago, or 0001-01-01 east of UTC
        raise UsageError(
            f"--since {value!r} is before year 1 or after year 9999 (UTC)", fix=fix
        ) from exc


def posting_record(stored: StoredPosting, links: list[str]) -> dict[str, Any]:
    """Every field of a stored posting as JSON-ready values, with all links of its lead."""
    posting = asdict(stored.posting)
    posting["posted_at"] = iso(stored.posting.posted_at)
    posting["closes_at"] = iso(stored.posting.closes_at)
    posting["tags"] = list(stored.posting.tags)
    return {
        "id": stored.id,
        "lead_id": stored.lead_id,
        **posting,
        "links": links,
        "first_seen": iso(stored.first_seen),
        "last_seen": iso(stored.last_seen),
    }


_CSV_COLUMNS = (
    "id", "lead_id", "source", "external_id", "url", "title", "company", "location", "remote",
    "employment_type", "salary_min", "salary_max", "salary_currency", "salary_period",
    "salary_text", "posted_at", "tags", "links", "first_seen", "last_seen", "description_text",
    "description_html", "closes_at",  # last: added later, so scripts reading by position work
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
        writer.writerow(neutralise_row({k: record.get(k) for k in _CSV_COLUMNS}))


def _print_postings(records: list[dict[str, Any]], *, empty: str) -> None:
    table = FittedListing(
        "Postings",
        *("id", "lead", "first seen", "title", "company"),
        below=("source", "location"),
        one_line=("first seen",),
        numbers=("id", "lead"),
    )
    for r in records:
        remote = r["remote"] and "remote" not in r["location"].lower()
        source = safe(r["source"])
        location = safe(r["location"] + (" (remote)" if remote else ""))
        table.add_row(
            str(r["id"]),
            str(r["id"]),
            str(r["lead_id"]),
            r["first_seen"][:10],
            safe(r["title"]),
            safe(r["company"]),
            below=[source, location],
            notes=[labelled_notes(("source", source), ("location", location))],
            links=r["links"],
        )
    table.print(out, empty)
