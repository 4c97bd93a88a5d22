"""``leads init``, ``leads check`` and ``leads add-source``: setting mentor-leads up."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import typer
from pydantic import ValidationError
from rich.text import Text

from aggregator.cli._common import (
    EXIT_FAILURES,
    EXIT_USAGE,
    FittedListing,
    State,
    app,
    busy,
    clock,
    err,
    errors_handled,
    failure_lines,
    load,
    out,
    safe,
    safe_line,
    wrapped,
    writing,
)
from aggregator.core import eventloop
from aggregator.core.config import (
    DEFAULT_CONFIG_NAME,
    SOURCE_NAME,
    AppConfig,
    append_source,
    config_path,
    source_entry_yaml,
    unique_source_name,
)
from aggregator.core.errors import FetchError, LeadsError, SourceError, UsageError
from aggregator.core.fetching import Fetcher
from aggregator.core.identity import canonical_url
from aggregator.core.models import FetchStatus
from aggregator.core.schedule_expressions import check_timezone
from sources import option_models

if TYPE_CHECKING:
    from aggregator.checking import PartCheck, SourceCheck
    from aggregator.starter import Answers

# -- check -----------------------------------------------------------------------------


@app.command()
def check() -> None:
    """Try the setup once: config, store, mail login and every source (stores nothing)."""
    from aggregator import checking  # rapidfuzz (mentors' networks) is only needed here

    with errors_handled():
        config = load()
        with busy(f"checking {len(config.enabled_sources())} sources"):
            report = checking.check_setup(config, clock)
    _print_parts(report.parts)
    if report.sources:
        _print_sources(report.sources)
    sources = [f for f in report.failures if isinstance(f, checking.SourceCheck)]
    for failed in report.failures:
        if not isinstance(failed, checking.SourceCheck):
            err.print(safe(f"{failed.part} failed: {failed.detail}"), style="red")
    for line in failure_lines([(failed.name, failed.detail) for failed in sources]):
        err.print(safe(line), style="red")
    for state in report.failing:
        err.print(safe(state.failing_note()), style="red")
    if not report.ok:
        raise typer.Exit(EXIT_FAILURES)


def _print_parts(parts: list[PartCheck]) -> None:
    """Each part of the setup and its status; where the details do not fit a row a line,
    they go below the table whole (a path cut to "…/maria-connectio…" named no file)."""
    table = FittedListing("Setup", "part", "status", below=("detail",), one_line=("part",))
    for part in parts:
        status = Text("ok", style="green") if part.ok else Text("failed", style="red")
        # A failure's detail is printed after the table anyway: not twice.
        table.add_row(part.part, safe(part.part), status, below=[safe(part.detail)],
                      notes=[part.detail] if part.ok else [])  # fmt: skip
    table.print(out, "Nothing to check.")


def _print_sources(sources: list[SourceCheck]) -> None:
    """Each source's result; where the details do not fit a row a line, the table says
    ok, skipped or failed, and why it was skipped (or what else it said) goes below it (a
    failure's reason is printed after it anyway, failures alike once)."""
    table = FittedListing(
        "Sources",
        *("source", "type", "reachable", "result", "items"),
        one_line=("source", "type", "reachable"),
        numbers=("items",),
    )
    reachable = {
        True: Text("yes", style="green"),
        False: Text("no", style="red"),
        None: Text("-", style="dim"),
    }
    for s in sources:
        style = "red" if not s.ok else "dim" if s.reachable is None else ""
        detail = safe_line(s.detail)  # one line: a failure's reason is whole on stderr
        detail.stylize(style)
        cells = (safe(s.name), s.type, reachable[s.reachable])
        items = "-" if s.items is None else str(s.items)
        said = s.status is not FetchStatus.FAILED and s.detail not in _PLAIN_RESULTS
        table.add_row(
            s.name,
            *cells,
            detail,
            items,
            short=[*cells, Text(s.status.replace("_", " "), style=style), items],
            notes=[detail.plain] if said else [],
        )
    table.print(out, "No sources to check.")


# What a source that was fetched as usual shows; anything else is worth a note.
_PLAIN_RESULTS = ("fetched", "not modified since the last run (304)")


# -- init ------------------------------------------------------------------------------

_ZONE_QUESTION = "Time zone of the schedule and the mentor (IANA name, e.g. Europe/Berlin)"


@app.command()
def init(
    mentor_name: Annotated[str | None, typer.Option(help="The first mentor's name.")] = None,
    mentor_email: Annotated[str | None, typer.Option(help="The first mentor's email.")] = None,
    mentee_name: Annotated[str | None, typer.Option(help="A first mentee's name.")] = None,
    mentee_email: Annotated[str | None, typer.Option(help="The mentee's email.")] = None,
    mentee_skills: Annotated[
        str | None, typer.Option(help='The mentee\'s skills, comma-separated: "python, sql".')
    ] = None,
    mentee_roles: Annotated[
        str | None, typer.Option(help='Jobs the mentee looks for: "data analyst, bi developer".')
    ] = None,
    feed: Annotated[
        list[str] | None,
        typer.Option("--feed", metavar="URL", help="An RSS or Atom job feed (repeatable)."),
    ] = None,
    greenhouse: Annotated[
        list[str] | None,
        typer.Option(metavar="BOARD", help="A board of boards.greenhouse.io/BOARD (repeatable)."),
    ] = None,
    lever: Annotated[
        list[str] | None,
        typer.Option(metavar="COMPANY", help="A company of jobs.lever.co/COMPANY (repeatable)."),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(help="IANA time zone of the schedule and the mentor (default: UTC)."),
    ] = None,
    interactive: Annotated[
        bool | None,
        typer.Option(
            "--interactive/--yes",
            "-i/-y",
            help="Ask for what the options leave out, or never ask (default: ask on a terminal).",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a commented starter config (to --config), asking on a terminal for what is missing."""
    from aggregator import starter  # only this command needs it (and its big regexes)

    path = State.config
    with errors_handled():
        _refuse_folder(path)  # --force replaces a file, never a folder
        starter.refuse_overwrite(path, force)  # before any question is asked
        answer = _Asker(sys.stdin.isatty() if interactive is None else interactive)
        mentor = answer(mentor_name, "The first mentor's name (empty: none yet)")
        mentor_address = answer(mentor_email, "The mentor's email", check=_email, when=bool(mentor))
        zone = answer(timezone, _ZONE_QUESTION, default="UTC", check=check_timezone)
        mentee = answer(mentee_name, "A mentee's name (empty: none yet)", when=bool(mentor))
        mentee_address = answer(mentee_email, "The mentee's email", check=_email, when=bool(mentee))
        skills = answer(mentee_skills, "Their skills, comma-separated", when=bool(mentee))
        roles = answer(mentee_roles, "Jobs they look for, comma-separated", when=bool(mentee))
        ask_sources = not (feed or greenhouse or lever)
        feeds = answer(None, "Job feed URLs (RSS/Atom), comma-separated", when=ask_sources)
        boards = answer(None, "Greenhouse boards (boards.greenhouse.io/…)", when=ask_sources)
        companies = answer(None, "Lever companies (jobs.lever.co/…)", when=ask_sources)
        answers = starter.Answers(
            timezone=zone,
            mentor_name=mentor,
            mentor_email=mentor_address,
            mentee_name=mentee,
            mentee_email=mentee_address,
            mentee_skills=starter.comma_list(skills),
            mentee_roles=starter.comma_list(roles),
            feeds=tuple(feed or ()) or starter.comma_list(feeds),
            greenhouse=tuple(greenhouse or ()) or starter.comma_list(boards),
            lever=tuple(lever or ()) or starter.comma_list(companies),
        )
        text = starter.starter_config(answers, option_models())
        starter.write_starter(path, text, option_models(), force=force)
    _print_next_steps(path, answers)


def _refuse_folder(path: Path) -> None:
    """A UsageError when ``path`` is a folder: "already exists, pass --force" would mislead."""
    if path.is_dir():
        raise UsageError(
            f"{path} is a folder",
            fix=f"give a file path for --config, e.g. {path / DEFAULT_CONFIG_NAME}",
        )


class _Asker:
    """An option's value if given; else the answer at a prompt (when asking); else a default."""

    def __init__(self, ask: bool) -> None:
        self.ask = ask

    def __call__(
        self,
        given: str | None,
        question: str,
        *,
        default: str = "",
        check: Callable[[str], object] | None = None,
        when: bool = True,
    ) -> str:
        """``when`` False: this question does not apply (no mentor, so no mentor's email)."""
        if given is not None:
            return given
        if not (self.ask and when):
            return default
        value_proc = _reasking(check) if check else None
        answer = typer.prompt(
            question, default=default, show_default=bool(default), value_proc=value_proc
        )
        return str(answer).strip()


def _reasking(check: Callable[[str], object]) -> Callable[[str], str]:
    """A prompt's value check: a bad answer is explained and the question asked again."""

    def proc(text: str) -> str:
        try:
            check(text.strip())
        except (LeadsError, ValueError) as exc:
            raise typer.BadParameter(getattr(exc, "reason", str(exc))) from exc
        return text

    return proc


def _email(text: str) -> str:
    from aggregator.starter import email_address

    return email_address(text, "email")


def _print_next_steps(path: Path, answers: Answers) -> None:
    out.print(safe(f"Wrote {path.resolve()}."), soft_wrap=True)
    if not answers.mentor_name:
        out.print("Add your mentors and mentees to it (see the commented examples).")
    if not answers.has_sources:
        out.print(
            "It has no sources yet: add one with `leads add-source URL`, or uncomment the "
            "example feeds (they are on the internet: `leads check` fetches them).",
            soft_wrap=True,
        )
    # --config only when a plain `leads` would not find this file by itself.
    flag = "" if config_path(None).resolve() == path.resolve() else f" --config {path}"
    out.print("Next:")
    for command, what in _NEXT_STEPS:
        # soft_wrap: a command is never broken across lines, so it can be copied whole
        out.print(safe(f"  leads{flag} {command:<5}  {what}"), soft_wrap=True)


_NEXT_STEPS = (
    ("check", "tries every source and the mail settings once"),
    ("run", "collects, matches and sends the digests that are due"),
)


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
    with errors_handled():
        _refuse_unusable(url, name)
        config = load()
        try:
            with busy(f"looking at {url}"):
                found = eventloop.run(_detect(url, config))
        except FetchError as exc:  # the page may answer next time
            err.print(safe(f"error: {exc}", style="red"))
            raise typer.Exit(EXIT_FAILURES) from exc
        except SourceError as exc:  # it answered, with nothing a source can read
            err.print(safe(f"error: {exc}", style="red"))
            raise typer.Exit(EXIT_USAGE) from exc
        entry = {"name": unique_source_name(config, name or found.suggested_name), **found.entry}
        _refuse_known(config, entry, url)
        if dry_run:
            _print_yaml(f"{url} is {found.reason}; add this under `sources:`", entry)
            return
        with writing(config):
            append_source(config.path, entry, option_models())
    out.print(
        safe(f"Added source {entry['name']} ({entry['type']}) to {config.path}: {found.reason}.")
    )


def _print_yaml(comment: str, entry: dict[str, Any]) -> None:
    """``entry`` as YAML to paste, after ``comment``: wrapped here, each line a comment, and
    the YAML's lines whole (the console's own wrapping made a comment's second line YAML)."""
    for line in wrapped(safe(comment), out.width - 2):
        out.print(Text("# ").append_text(line), soft_wrap=True)
    out.print(safe(source_entry_yaml(entry).rstrip()), soft_wrap=True)


def _refuse_unusable(url: str, name: str | None) -> None:
    """A UsageError for a URL that is no web address or a --name no source may have: said
    before anything is fetched, not as a failure to connect (or of a temporary file)."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{url!r} is not a web address",
            fix="give the http(s) URL of a careers page, job board, ATS or feed",
        )
    if name is not None and not re.fullmatch(SOURCE_NAME, name):
        raise UsageError(
            f"--name {name!r} is not a source name",
            fix="use letters, digits, '-', '_' and '.', starting with a letter or digit",
        )


def _refuse_known(config: AppConfig, entry: dict[str, Any], url: str) -> None:
    """A UsageError when ``entry`` (what ``url`` was recognised as) is no source, or when a
    configured source already reads what it would: the same feed or board fetched twice
    would be two sources of the same postings."""
    try:
        wanted = option_models()[entry["type"]].model_validate(entry).url
    except ValidationError as exc:  # seen: a board named "[b]acme" ended in a traceback
        # The name is made of the board (or company): said of that, it says what to fix.
        problems = exc.errors()
        problem = next((p for p in problems if p["loc"] != ("name",)), problems[0])
        raise UsageError(
            f"{url} looks like a {entry['type']} address, but {problem['input']!r} is no "
            f"{'.'.join(map(str, problem['loc']))} a source can read",
            fix="check the URL: a board or company name is letters, digits, '-', '_' and '.'",
        ) from exc
    for source in config.sources:
        if wanted and source.url and canonical_url(source.url) == canonical_url(wanted):
            raise UsageError(
                f"{wanted} is already read by the source {source.name} ({source.type})",
                fix=f"nothing to add; see it with `leads sources`, or edit it in {config.path}",
            )


async def _detect(url: str, config: AppConfig) -> Any:
    from sources.detect import detect  # BeautifulSoup is only needed here

    async with Fetcher(config.http) as fetcher:
        return await detect(url, fetcher)
