"""``leads …``: the only module that prints, draws progress bars or sets exit codes.

Exit codes: 0 all well, 1 the run had failures (after doing everything else), 2 usage or
configuration error.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError

from aggregator import __version__
from aggregator.core.config import (
    AppConfig,
    MatchingConfig,
    append_source,
    config_path,
    load_config,
    load_mentees,
    source_entry_yaml,
    unique_source_name,
)
from aggregator.core.errors import ConfigError, LeadsError, RunLockedError, SourceError
from aggregator.core.fetching import Fetcher
from aggregator.core.models import (
    FetchStatus,
    Posting,
    RunReport,
    SourceOutcome,
    StoredPosting,
    Verdict,
)
from aggregator.stages import collect as collect_stage
from aggregator.store import Store

if TYPE_CHECKING:
    from aggregator.runner import RunOutcome
    from aggregator.stages.digest import DigestOutcome
    from aggregator.stages.match import MatchReport
from sources import option_models

app = typer.Typer(
    help="Collect job postings and pass the right ones to the people you mentor.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
log = logging.getLogger(__name__)
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
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        err.print(
            Text(
                f"error: the database failed: {reason} — what was committed before is kept; "
                "check storage.url, free disk space, and that no other program holds the "
                "database, then run again",
                style="red",
            )
        )
        raise typer.Exit(EXIT_FAILURES) from exc


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
        return collect_stage.collect(config, store, now, only=only)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    total = len([s for s in config.enabled_sources() if only is None or s.name in only])
    columns = (TextColumn("collecting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=True) as progress:
        task = progress.add_task("collect", total=total)

        def advance(outcome: SourceOutcome) -> None:
            progress.advance(task)

        return collect_stage.collect(config, store, now, only=only, on_source_done=advance)


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


# -- matching --------------------------------------------------------------------------


class MatchFormat(StrEnum):
    """Formats of match listings."""

    table = "table"
    jsonl = "jsonl"


@app.command()
def match(
    mentee: Annotated[
        list[str] | None, typer.Option("--mentee", "-m", help="Only this mentee (repeatable).")
    ] = None,
) -> None:
    """Score new leads for each mentee and store the matches (a changed profile: all leads)."""
    with _errors_handled():
        config = _load()
        _check_mentees(config, mentee)
        with _open_store(config) as store:
            report = _matching().match(config, store, clock, only=mentee)
    out.print(_match_summary(report))


def _match_summary(report: MatchReport) -> str:
    """What a matching run did, in a sentence."""
    if report.leads == 0:
        return "No leads stored yet: run `leads collect` first."
    if not report.rescored and not report.updated:
        return "Nothing new to score."
    done = []
    if report.rescored:
        done.append(f"{len(report.rescored)} mentee(s) against all {report.leads} leads")
    if report.updated:
        done.append(f"{len(report.updated)} against {report.new_leads_scored} new lead(s)")
    refit = " (model refitted)" if report.refitted else ""
    return f"Scored {' and '.join(done)}{refit}; stored {report.matches_stored} matches."


# scikit-learn and SciPy take most of a second to import; commands that do not match
# (collect above all, which cron runs often) should not pay for them.
def _matching() -> ModuleType:
    from aggregator.stages import match as match_stage

    return match_stage


def _matching_offline() -> ModuleType:
    from aggregator.stages import rank as rank_stage

    return rank_stage


def _check_mentees(config: AppConfig, wanted: list[str] | None) -> None:
    unknown = sorted(set(wanted or []) - {m.id for m in config.mentees})
    if unknown:
        raise ConfigError(
            f"no mentee with id {', '.join(unknown)}",
            file=str(config.path),
            fix="mentee ids are listed under `mentees:` (an id defaults to a slug of the name)",
        )


@app.command()
def matches(
    mentee: Annotated[str | None, typer.Option("--mentee", "-m", help="Only this mentee.")] = None,
    format: Annotated[MatchFormat, typer.Option("--format", "-f", help="Output format.")] = (
        MatchFormat.table
    ),
) -> None:
    """List stored matches, best first per mentee."""
    with _errors_handled():
        config = _load()
        _check_mentees(config, [mentee] if mentee else None)
        with _open_store(config) as store:
            found = store.matches(mentee)
    if format is MatchFormat.jsonl:
        for m in found:
            record = {
                "mentee": m.mentee,
                "lead": m.lead_id,
                "score": m.score,
                "why": list(m.why),
                "gaps": list(m.gaps),
                "title": m.posting.posting.title,
                "company": m.posting.posting.company,
                "url": m.posting.posting.url,
                "scored_at": _iso(m.scored_at),
            }
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    by_mentee: dict[str, list[tuple[str, Posting, float, tuple[str, ...], tuple[str, ...]]]] = {}
    for m in found:
        by_mentee.setdefault(m.mentee, []).append(
            (str(m.lead_id), m.posting.posting, m.score, m.why, m.gaps)
        )
    for mentee_id, rows in by_mentee.items():
        out.print(ranking_table(mentee_id, rows))


def ranking_table(
    mentee: str, rows: list[tuple[str, Posting, float, tuple[str, ...], tuple[str, ...]]]
) -> Table:
    """One mentee's ranked leads: score, posting, why it matched and what to brush up on."""
    table = Table(title=f"Leads for {mentee}", title_justify="left")
    for column in ("#", "score", "lead", "title", "company", "location", "why", "brush up on"):
        table.add_column(column, overflow="fold")
    for rank, (key, posting, score, why, gaps) in enumerate(rows, start=1):
        table.add_row(
            str(rank),
            f"{score:.2f}",
            safe(key),
            safe(posting.title),
            safe(posting.company),
            safe(posting.location + (" (remote)" if posting.remote else "")),
            safe(", ".join(why)),
            safe(", ".join(gaps)),
        )
    return table


@app.command()
def rank(
    postings_file: Annotated[
        Path, typer.Option("--postings", help="Postings, one JSON object per line.")
    ],
    mentees_file: Annotated[Path, typer.Option("--mentees", help="A YAML file with `mentees:`.")],
    top: Annotated[int, typer.Option("--top", min=1, help="Leads per mentee.")] = 10,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score", min=0, max=1, help="Lowest score shown (default: config, or 0.1)."
        ),
    ] = None,
    max_age: Annotated[
        int | None, typer.Option("--max-age", min=1, help="Ignore postings older than DAYS.")
    ] = None,
    format: Annotated[MatchFormat, typer.Option("--format", "-f", help="Output format.")] = (
        MatchFormat.table
    ),
) -> None:
    """Rank postings from a file for mentees from a file, with no database."""
    from aggregator.postings_file import read_postings_jsonl

    with _errors_handled():
        floor = min_score if min_score is not None else _configured_min_score()
        keyed = read_postings_jsonl(postings_file)
        mentees = load_mentees(mentees_file)
        found = _matching_offline().rank_offline(
            mentees, keyed, top=top, min_score=floor, now=clock(), max_age_days=max_age
        )
    postings_by_key = dict(keyed)
    for mentee in mentees:
        ranked = found[mentee.id]
        if format is MatchFormat.jsonl:
            for position, m in enumerate(ranked, start=1):
                record = {
                    "mentee": m.mentee,
                    "posting": m.posting,
                    "rank": position,
                    "score": m.score,
                    "why": list(m.why),
                    "gaps": list(m.gaps),
                }
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            rows = [(m.posting, postings_by_key[m.posting], m.score, m.why, m.gaps) for m in ranked]
            out.print(ranking_table(mentee.id, rows))


def _configured_min_score() -> float:
    """matching.min_score of the config when there is one, else the default."""
    path = State.config
    if not path.exists():
        return MatchingConfig().min_score
    return _load().matching.min_score


@app.command()
def feedback(
    mentee: Annotated[str, typer.Argument(help="The mentee's id.")],
    lead: Annotated[int, typer.Argument(help="The lead's id (see `leads matches`).")],
    verdict: Annotated[Verdict, typer.Argument(help="What the mentee said.")],
) -> None:
    """Record a mentee's word on a lead; the next `leads match` takes it into account."""
    with _errors_handled():
        config = _load()
        _check_mentees(config, [mentee])
        with _open_store(config) as store:
            if lead not in store.representatives([lead]):
                raise ConfigError(f"no lead with id {lead}", fix="see `leads matches` for lead ids")
            store.record_feedback(mentee, lead, verdict, clock())
    out.print(f"Recorded: {mentee} says {verdict.value} to lead {lead}.")


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


async def _detect(url: str, config: AppConfig) -> Any:
    from sources.detect import detect  # BeautifulSoup is only needed here

    async with Fetcher(config.http) as fetcher:
        return await detect(url, fetcher)


# -- digest ----------------------------------------------------------------------------


@app.command()
def digest(
    mentor: Annotated[str | None, typer.Option("--mentor", "-m", help="Only this mentor.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent; send and record nothing.")
    ] = False,
    preview: Annotated[
        Path | None,
        typer.Option("--preview", help="Also write each digest's HTML and text to this folder."),
    ] = None,
) -> None:
    """Email each mentor the best new leads for their mentees (SMTP, or .eml files)."""
    from aggregator.stages import (
        digest as digest_stage,  # Jinja2 and rapidfuzz are only needed here
    )

    with _errors_handled():
        config = _load()
        if mentor is not None and mentor not in {m.id for m in config.mentors}:
            raise ConfigError(
                f"no mentor with id {mentor!r}",
                file=str(config.path),
                fix="mentor ids are listed under `mentors:`",
            )
        with _open_store(config) as store:
            report = digest_stage.deliver(
                config, store, clock, mentor=mentor, dry_run=dry_run, preview=preview
            )
    for outcome in report.outcomes:
        _print_digest_outcome(outcome, report.destination)
    if preview is not None:
        rendered = [
            o for o in report.outcomes
            if o.summary is not None and o.status is not digest_stage.DigestStatus.NOTHING_NEW
        ]
        out.print(
            f"Previews written to {preview.resolve()}"
            if rendered
            else "No previews written: no mentor has a digest to send."
        )
    if not report.ok:
        raise typer.Exit(EXIT_FAILURES)


def _print_digest_outcome(outcome: DigestOutcome, destination: str) -> None:
    """One mentor's line (and, for a dry run, the leads the digest would carry)."""
    from aggregator.stages.digest import DigestStatus
    from digests.render import fit_label

    summary = outcome.summary
    if outcome.status is DigestStatus.FAILED or summary is None:
        err.print(Text(f"{outcome.mentor}: not delivered: {outcome.error}", style="red"))
        return
    if outcome.status is DigestStatus.NOTHING_NEW:
        out.print(Text(f"{outcome.mentor}: nothing new"))
        return
    line = Text(f"{outcome.mentor}: ")
    line.append(safe(summary.subject))
    line.append(f" → {summary.recipient}")
    if outcome.status is DigestStatus.SENT:
        line.append(f" ({destination})", style="dim")
    else:
        line.append(" (dry run: not sent)", style="dim")
    out.print(line)
    if outcome.status is not DigestStatus.DRY_RUN:
        return
    for mentee, leads in summary.sections:
        out.print(Text(f"  {mentee}:", style="bold"))
        for lead in leads:
            row = Text("    ")
            row.append(safe(f"{lead.title} — {lead.company}"))
            row.append(f"  ({fit_label(lead.score)}, {lead.score:.2f})", style="dim")
            out.print(row)


# -- run -------------------------------------------------------------------------------


@app.command("run")
def run_command(
    only: Annotated[
        str | None,
        typer.Option(
            "--only", help="Run only these steps, e.g. `collect,match` (collect, match, digest)."
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show the summary even when all went well.")
    ] = False,
) -> None:
    """Collect, match and send due digests in one go, for cron: silent unless something failed."""
    from aggregator import runner  # scikit-learn and Jinja2: see _matching() on import cost

    try:
        steps = runner.parse_steps(only) if only is not None else runner.ALL_STEPS
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--only") from exc
    with _errors_handled():
        config = _load()
        log_to_file(config)
        try:
            outcome = runner.run(config, clock, steps)
        except RunLockedError as exc:
            out.print(Text(str(exc)))
            return
    if verbose or State.verbose or not outcome.ok:
        _print_run_summary(outcome)
    if not outcome.ok:
        raise typer.Exit(EXIT_FAILURES)


def log_to_file(config: AppConfig) -> None:
    """Send log records to the rotating file of `logging.file`, when one is configured."""
    path = config.log_file
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(
        path, maxBytes=config.logging.max_bytes, backupCount=config.logging.backups,
        encoding="utf-8",
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(config.logging.level)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level, handler.level))
    for existing in root.handlers:
        if existing is not handler and existing.level == logging.NOTSET:
            existing.setLevel(logging.INFO if State.verbose else logging.WARNING)


def _print_run_summary(outcome: RunOutcome) -> None:
    """One screen: what each step did, and every failure."""
    collected, matched, digests = outcome.collected, outcome.matched, outcome.digests
    if collected is not None:
        out.print(
            f"collect: {collected.total('new')} new, {collected.total('updated')} updated, "
            f"{collected.total('unchanged')} unchanged postings from {len(collected.sources)} "
            f"sources ({len(collected.failures)} failed)"
        )
        _report_failures(collected)
    if matched is not None:
        out.print(f"match: {_match_summary(matched)}")
    if digests is not None:
        if not digests.outcomes:
            out.print("digest: no mentor's digest is due")
        for each in digests.outcomes:
            _print_digest_outcome(each, digests.destination)
    if outcome.stopped:
        out.print("stopped on request before the remaining steps")


# -- schedule --------------------------------------------------------------------------


@app.command()
def schedule(
    print_times: Annotated[
        bool, typer.Option("--print", help="List the next fire times of every job and exit.")
    ] = False,
    count: Annotated[
        int, typer.Option("--count", "-n", min=1, max=100, help="Fire times listed per job.")
    ] = 5,
) -> None:
    """Run as a long-lived process: collect and match on `schedule.collect`, each mentor's
    digest on their own schedule; SIGTERM or Ctrl-C finishes the current step and exits."""
    import threading

    from aggregator import runner, service

    with _errors_handled():
        config = _load()
        specs = service.job_specs(config)
        if print_times:
            _print_upcoming(config, service.upcoming(specs, clock(), count))
            return
        log_to_file(config)
        logging.getLogger().setLevel(logging.INFO)  # a service's log is its record of work
        stop = threading.Event()

        def run_job(spec: service.JobSpec) -> None:
            steps = runner.ALL_STEPS if spec.mentor_id is None else (runner.Step.DIGEST,)
            outcome = runner.run(config, clock, steps, mentor=spec.mentor_id, stop=stop)
            if not outcome.ok:
                log.warning("%s finished with failures (see above)", spec.name)

        out.print(f"Scheduling {len(specs)} job(s); Ctrl-C or SIGTERM stops after the current step")
        # Collect at once: a service that was just (re)started should not sit idle for hours.
        scheduler = service.build_scheduler(
            config, specs, run_job, stop=stop, now=clock(), run_at_start={"collect"}
        )
        service.run_until_stopped(scheduler, stop)
    out.print("Stopped.")


def _print_upcoming(config: AppConfig, jobs: list[tuple[Any, list[datetime]]]) -> None:
    """Each job, its schedule and its next fire times in the job's own timezone."""
    table = Table(title="Next fire times", title_justify="left")
    for column in ("job", "schedule", "timezone", "next"):
        table.add_column(column)
    for spec, times in jobs:
        zone = ZoneInfo(spec.timezone)
        when = "\n".join(t.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z") for t in times)
        table.add_row(safe(spec.name), safe(spec.schedule.describe()), spec.timezone, when)
    out.print(table)
    if config.schedule.jitter:
        out.print(
            f"Collection starts up to {config.schedule.jitter} s after its time "
            "(schedule.jitter), so that many installations do not knock on the same door at once."
        )


# -- demo ------------------------------------------------------------------------------


@app.command()
def demo(
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Folder for the demo's config, database and outbox."),
    ] = Path("demo-output"),
) -> None:
    """Run the whole pipeline offline: bundled recorded feeds and boards → matches → digests."""
    from aggregator.demo import run_demo  # it matches: see _matching() on import cost

    with _errors_handled():
        result = run_demo(output, clock)
    report = result.report
    out.print(summary_table(report))
    out.print(
        f"Collected {report.total('new')} new postings from {len(report.sources)} recorded feeds "
        f"and job boards ({result.stored} stored in all) and matched them to "
        f"{len(result.config.mentees)} mentees ({result.matched.matches_stored} matches stored)."
    )
    for mentee, found in result.best.items():
        rows = [(str(m.lead_id), m.posting.posting, m.score, m.why, m.gaps) for m in found]
        out.print(ranking_table(mentee, rows))
    for outcome in result.digests.outcomes:
        _print_digest_outcome(outcome, result.digests.destination)
    out.print(f"  config:   {result.config.path}")
    out.print(f"  database: {result.config.database_url}")
    out.print(f"  digests:  {result.config.outbox_dir} (open the .eml files in a mail program)")
    for written in sorted(result.config.outbox_dir.glob("*.eml")):
        out.print(f"            {written.name}")
    out.print(
        f"Next: `leads --config {result.config.path} matches` lists every match; "
        "`… postings` and `… sources` show what was collected; "
        "`… digest --dry-run --preview DIR` shows what the next digest would hold."
    )
    _report_failures(report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILURES)


def main() -> None:
    """Entry point of the ``leads`` console script."""
    # What is imported by now lives as long as the process: keep it out of the collector's
    # scans, which also spares the full collection at exit (a fifth of a second of a cron
    # run that finds nothing new).
    gc.freeze()
    app()


from aggregator import cli_setup  # noqa: E402,F401  (registers check, init, cron)
