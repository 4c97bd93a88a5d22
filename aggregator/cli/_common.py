"""What every ``leads`` command shares: the typer app, the global options, the two consoles,
the clock, exit codes, and the handling of configuration and store errors.

The CLI is the only part of mentor-leads that prints, draws progress bars or sets exit codes.
Exit codes: 0 all well, 1 the run had failures (after doing everything else), 2 usage or
configuration error.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from typer.core import TyperGroup, TyperOption

from aggregator import __version__
from aggregator.core.config import AppConfig, config_path, load_config
from aggregator.core.errors import ConfigError, LeadsError, UsageError
from aggregator.core.models import MenteeProfile, RunReport
from aggregator.core.printable import PrintableFilter, printable
from aggregator.store import Store
from aggregator.store.locking import run_lock
from sources import option_models

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text
    from typer._click import Command as ClickCommand  # typer's own copy of click
    from typer._click import Context as ClickContext

_CONFIG_FLAGS = ("--config", "-c")


def _command_index(args: list[str]) -> int:
    """Where the command name is in ``args`` (after the global options); len(args) if none."""
    start = 0
    while start < len(args) and args[start].startswith("-"):
        start += 2 if args[start] in _CONFIG_FLAGS else 1
    return min(start, len(args))


def command_name(args: list[str]) -> str | None:
    """The command ``args`` (the command line after ``leads``) name, if they name one."""
    start = _command_index(args)
    return args[start] if start < len(args) else None


def hoist_config(args: list[str]) -> list[str]:
    """``leads init --config x.yaml`` as ``leads --config x.yaml init``: the config file is
    a global option, but people write it after the command name too."""
    start = _command_index(args)
    if start >= len(args):
        return args
    moved: list[str] = []
    kept: list[str] = []
    rest = iter(args[start + 1 :])
    for arg in rest:
        if arg == "--":
            kept += [arg, *rest]
        elif arg in _CONFIG_FLAGS:
            moved += [arg, next(rest, "")]
        elif arg.startswith("--config="):
            moved.append(arg)
        else:
            kept.append(arg)
    return [*args[:start], *moved, args[start], *kept]


# What each option's value is, as --help shows it after the option, by the option's
# parameter name: typer's own placeholders ("--since <str>", "--max-age <int range>") say
# only its type. The same name means the same thing in every command; an option's own
# metavar wins, and one named nowhere here shows its name in capitals.
VALUE_NAMES = {
    "config": "FILE", "postings_file": "FILE", "mentees_file": "FILE", "feedback_file": "FILE",
    "output": "FOLDER", "preview": "FOLDER",
    "mentee": "ID", "mentor": "ID",
    "source": "NAME", "name": "NAME", "mentor_name": "NAME", "mentee_name": "NAME",
    "mentor_email": "EMAIL", "mentee_email": "EMAIL",
    "mentee_skills": "SKILLS", "mentee_roles": "ROLES",
    "since": "WHEN", "max_age": "DAYS", "min_score": "SCORE",
    "top": "N", "count": "N", "workers": "N",
    "only": "STEPS", "timezone": "ZONE", "host": "ADDRESS", "port": "PORT",
}  # fmt: skip


def name_values(command: ClickCommand) -> None:
    """Give each option of ``command`` that takes a value its name for that value in --help
    (:data:`VALUE_NAMES`); a choice keeps its list of choices."""
    for param in command.params:
        if not isinstance(param, TyperOption) or param.is_flag or param.metavar is not None:
            continue
        if param.type_descriptor.is_choice:
            continue
        name = param.name or ""
        param.metavar = VALUE_NAMES.get(name, name.upper())


class _Leads(TyperGroup):
    """The ``leads`` group, which also takes ``--config`` after the command name, and names
    the values of every command's options in --help (:func:`name_values`)."""

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        """Click's parsing, after moving ``--config FILE`` before the command name."""
        follow_columns()
        name_values(self)  # before parsing, which shows --help
        return super().parse_args(ctx, hoist_config(args))

    def get_command(self, ctx: ClickContext, cmd_name: str) -> ClickCommand | None:
        """The command, its options' values named for its --help."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            name_values(command)
        return command


app = typer.Typer(
    cls=_Leads,
    help="Collect job postings and pass the right ones to the people you mentor.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: rich help marks every flag with a "<bool>" placeholder that takes no value.
    rich_markup_mode=None,
)


class LazyConsole:
    """A rich Console made when first used: importing rich is a twentieth of a second of
    start-up, which a `leads collect --quiet` that has nothing to say (cron's) never needs."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self.made: Console | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._console(), name)

    # rich uses a console as a context manager (a progress bar does), which looks the
    # methods up on the type, past __getattr__.
    def __enter__(self) -> Console:
        return self._console().__enter__()

    def __exit__(self, *exc_info: Any) -> None:
        self._console().__exit__(*exc_info)

    def _console(self) -> Console:
        if self.made is None:
            from rich.console import Console

            self.made = Console(**self._options)
        return self.made


out = cast("Console", LazyConsole(highlight=False, soft_wrap=False))
err = cast("Console", LazyConsole(stderr=True, highlight=False, soft_wrap=True))


def follow_columns() -> None:
    """Fit output to the width COLUMNS gives when a command starts, or else to the terminal.

    rich reads COLUMNS once, when a console is made, but one process can run several
    commands, each with its own environment (``CliRunner`` in tests, say)."""
    columns = os.environ.get("COLUMNS", "")
    for console in (out, err):
        # A console not made yet reads COLUMNS when it is.
        made = console.made if isinstance(console, LazyConsole) else console
        if made is not None:
            # rich's own attribute: its public setter takes no None ("ask the terminal").
            made._width = int(columns) if columns.isdigit() else None


EXIT_FAILURES = 1
EXIT_USAGE = 2
# Secrets of the loaded configuration, masked in everything the CLI prints or logs.
_secrets: set[str] = set()


class OutputFormat(StrEnum):
    """Formats of listing commands."""

    table = "table"
    jsonl = "jsonl"
    csv = "csv"


class MatchFormat(StrEnum):
    """Formats of match listings."""

    table = "table"
    jsonl = "jsonl"


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
    for handler in logging.getLogger().handlers:
        make_printable(handler)


def make_printable(handler: logging.Handler) -> None:
    """Every record ``handler`` writes has its control characters and secrets removed."""
    if not any(isinstance(f, PrintableFilter) for f in handler.filters):
        handler.addFilter(PrintableFilter(known_secrets))


@contextmanager
def errors_handled() -> Iterator[None]:
    """Config and store errors end the command with a clear message and exit code 2."""
    try:
        yield
    except ConfigError as exc:
        err.print(safe(f"error: {exc}", style="red"))
        raise typer.Exit(EXIT_USAGE) from exc
    except LeadsError as exc:
        err.print(safe(f"error: {exc}", style="red"))
        raise typer.Exit(EXIT_USAGE) from exc
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        err.print(
            safe(
                f"error: the database failed: {reason} — what was committed before is kept; "
                "check storage.url, free disk space, and that no other program holds the "
                "database, then run again",
                style="red",
            )
        )
        raise typer.Exit(EXIT_FAILURES) from exc


@contextmanager
def writing(config: AppConfig) -> Iterator[None]:
    """The run lock, for a command that writes: a `leads run` or a `leads schedule` job in
    progress finishes first (a digest sent by both would reach the mentor twice)."""

    def waiting(holder: str) -> None:
        err.print(safe(f"waiting for the run in progress ({holder}) to finish…", style="dim"))

    with run_lock(config, clock(), on_busy=waiting):
        yield


def load() -> AppConfig:
    """The configuration of ``--config``, validated against every source type's options;
    its secrets are masked from then on."""
    try:
        config = load_config(State.config, option_models())
    except ConfigError as exc:
        if State.config.exists():
            raise
        raise ConfigError("file not found", file=str(State.config), fix=_no_config_fix()) from exc
    remember_secrets(config)
    return config


def _no_config_fix() -> str:
    """How to get a config where none is: a new user's first error names `leads init`."""
    # --config in the command only when a plain `leads init` would write elsewhere.
    default = config_path(None).resolve() == State.config.resolve()
    init = "leads init" if default else f"leads --config {State.config} init"
    return (
        f"`{init}` writes a starter one; or pass --config PATH, set $LEADS_CONFIG, or copy "
        "the example config.yaml here"
    )


@contextmanager
def open_store(config: AppConfig) -> Iterator[Store]:
    """The configured store, closed when the command is done with it."""
    store = Store.of(config)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def busy(message: str) -> Iterator[Callable[[str], None]]:
    """A spinner saying ``message`` while a person watches (nothing in a pipe or a cron
    mail); yields a function that changes what it says, for commands of several steps."""
    if not out.is_terminal:
        yield lambda _: None
        return
    with out.status(safe(message)) as status:  # text, not markup: it may name a URL

        def say(text: str) -> None:
            status.update(safe(text))

        yield say


def safe(value: object, style: str = "") -> Text:
    """Untrusted text for the terminal: no rich markup, no escape sequences or control
    characters, no secret of the configuration (see aggregator.core.printable)."""
    from rich.text import Text  # see LazyConsole

    return Text(printable("" if value is None else str(value), _secrets), style=style)


def known_secrets() -> frozenset[str]:
    """The secrets of the configurations loaded so far (passwords), to mask in output."""
    return frozenset(_secrets)


def remember_secrets(config: AppConfig) -> None:
    """Mask ``config``'s passwords (SMTP, the storage URL's) wherever they would be shown."""
    smtp = config.delivery.smtp
    if smtp is not None and smtp.password:
        _secrets.add(str(smtp.password))
    try:
        password = make_url(config.database_url).password
    except ArgumentError:
        password = None
    if password:
        _secrets.add(str(password))


def listing(
    title: str | Text,
    *columns: str,
    one_line: Collection[str] = (),
    numbers: Collection[str] = (),
) -> Table:
    """A table that fits the terminal: cells wrap only at spaces and a word too long for its
    column ends in "…". ``one_line`` columns (short ones: ids, names, dates) keep their width;
    ``numbers`` are right-aligned. A long cell that must stay one line (an error) is made by
    :func:`safe_line` in an ordinary column, which gives way first when space is short. Links
    go below the table (:func:`print_listing`), not in a column."""
    from rich.table import Table  # see LazyConsole

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(
            column,
            overflow="ellipsis",
            no_wrap=column in one_line or column in numbers,
            justify="right" if column in numbers else "left",
        )
    return table


def print_listing(
    console: Console,
    table: Table,
    links: Sequence[tuple[str, Sequence[str]]],
    empty: str,
    notes: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Print ``table`` on ``console``, then the links of its rows below it, each whole on a
    line of its own after its row's key (rank or id): a URL folded inside a table cell can
    be neither clicked nor copied, and one cut short leads nowhere. A terminal narrower
    than a URL wraps its line without breaking it. ``notes`` (untrusted text, by key) follow
    a row's links, indented under them and wrapped at spaces (a row without links: after its
    key). A table without rows is the sentence ``empty`` instead (why there is nothing, and
    what would bring something): a bare heading row tells a new user nothing."""
    from rich.text import Text  # see LazyConsole

    if not table.row_count:
        console.print(empty, markup=False, highlight=False)
        return
    console.print(table)
    said = notes or {}
    shown = [(key, [url for url in urls if url], said.get(key, ())) for key, urls in links]
    shown = [(key, urls, lines) for key, urls, lines in shown if urls or lines]
    if not shown:
        return
    if any(urls for _, urls, _ in shown):
        console.print(Text("links", style="table.title"))
    width = max(len(key) for key, _, _ in shown)
    numbered = all(key.isdigit() for key, _, _ in shown)  # ranks and ids line up on the right
    for key, urls, lines in shown:
        label = f"{key:>{width}}" if numbered else f"{key:<{width}}"
        for url in urls:
            console.print(safe(f"{label}  ").append_text(_shown_link(url)), soft_wrap=True)
            label = " " * width
        for note in lines:  # one line however written: its own lines would pass for rows
            for line in wrapped(safe(" ".join(note.split())), console.width - width - 2):
                console.print(safe(f"{label}  ").append_text(line), soft_wrap=True)
                label = " " * width


def wrapped(text: Text, width: int, indent: int = 0) -> list[Text]:
    """One line of ``text`` as lines of at most ``width`` cells, broken only at spaces, each
    after the first indented by ``indent``; a word longer than a line (a path, a link) stays
    whole on a line of its own, for the terminal to wrap (rich would break it in two).
    Printed with ``soft_wrap=True``, so that the console does not wrap them again."""
    from rich.cells import cell_len  # see LazyConsole
    from rich.text import Text

    plain = text.plain
    starts: list[int] = []
    start = 0
    for word in re.finditer(r"\S+", plain):
        room = width - (indent if starts else 0)
        if word.start() > start and cell_len(plain[start : word.end()]) > room:
            starts.append(word.start())
            start = word.start()
    lines = list(text.divide(starts))
    for line in lines:
        line.rstrip()
    return [lines[0], *(Text(" " * indent).append_text(line) for line in lines[1:])]


def print_wrapped(console: Console, text: Text, indent: int = 2) -> None:
    """``text`` wrapped at spaces to the console's width (:func:`wrapped`), its later lines
    indented by ``indent`` under its first."""
    for line in wrapped(text, console.width, indent):
        console.print(line, soft_wrap=True)


class FittedListing:
    """A listing that keeps a row a line: while the table with its ``below`` columns (long
    text: why a lead matched, a source's last error) fits every row on one line of the
    console, they are columns; where it would not, they go below the table as notes under
    each row's key, after its links. Seen at 80 columns: rows four to nine lines tall, words
    cut in every line of a narrow column, an error column shrunk to nothing."""

    def __init__(
        self,
        title: str | Text,
        *columns: str,
        below: Sequence[str] = (),
        one_line: Collection[str] = (),
        numbers: Collection[str] = (),
    ) -> None:
        self.wide = listing(title, *columns, *below, one_line=one_line, numbers=numbers)
        self.narrow = listing(title, *columns, one_line=one_line, numbers=numbers)
        self.links: list[tuple[str, Sequence[str]]] = []
        self.notes: dict[str, Sequence[str]] = {}

    def add_row(
        self,
        key: str,
        *cells: str | Text,
        below: Sequence[str | Text] = (),
        notes: Sequence[str] = (),
        short: Sequence[str | Text] | None = None,
        links: Sequence[str] = (),
    ) -> None:
        """A row: ``cells`` of the columns, then ``below``, the cells of the below columns;
        ``notes`` (untrusted text), what is said under the row's key where those do not fit;
        ``short``, cells for the table without them when they differ from ``cells`` (a status
        word where its note says why); ``links``, the row's URLs, listed under the table."""
        self.wide.add_row(*cells, *below)
        self.narrow.add_row(*(cells if short is None else short))
        self.links.append((key, links))
        self.notes[key] = notes

    def print(self, console: Console, empty: str) -> None:
        """The wide table if each row fits a line, else the narrow one with the notes below;
        ``empty`` instead of a table without rows (:func:`print_listing`)."""
        if fits_one_line_a_row(console, self.wide):
            print_listing(console, self.wide, self.links, empty)
        else:
            print_listing(console, self.narrow, self.links, empty, self.notes)


def _shown_link(url: str) -> Text:
    """``url`` without control characters, when every reader then opens it at the host it
    shows (digests.links.safe_url): a terminal may make it clickable, so
    "https://evil.example\\@jobs.example" is not shown."""
    from rich.text import Text  # see LazyConsole

    from digests.links import safe_url

    plain = safe_url(printable(url))
    return safe(plain) if plain else Text("(not shown: not a plain web address)", style="dim")


def heading_for(what: str, mentee: MenteeProfile) -> Text:
    """A listing's heading about a mentee ("Leads for Sam Lee (sam-lee)"): their name, then
    the id that commands take (``--mentee``), as text (a name is never markup)."""
    return safe(f"{what} for {mentee.name} ({mentee.id})")


def labelled_notes(*cells: tuple[str, Text]) -> str:
    """A row's cells as one note under it, each after its column's name ("source: wwr ·
    location: Berlin"); empty cells are left out."""
    return " · ".join(f"{label}: {cell.plain}" for label, cell in cells if cell.plain)


def fits_one_line_a_row(console: Console, table: Table) -> bool:
    """Whether every row of ``table`` fits the console's width on one line."""
    from rich.measure import Measurement  # see LazyConsole

    unbounded = console.options.update_width(sys.maxsize)  # else it measures at most that
    return Measurement.get(console, unbounded, table).maximum <= console.width


def safe_line(value: object) -> Text:
    """Untrusted text on one line, cut with "…" where its column ends: :func:`safe`, with line
    breaks and runs of spaces made single spaces (a server's multi-line error stays one row)."""
    from rich.text import Text  # see LazyConsole

    return Text(" ".join(safe(value).plain.split()), no_wrap=True, overflow="ellipsis")


def refuse_unknown(what: str, wanted: Iterable[str], known: Iterable[str], *, fix: str) -> None:
    """A UsageError naming each wanted id that is not known, with the nearest known one.

    ``what`` reads before the ids: "no mentor with id 'marai' (did you mean 'maria'?)".
    """
    choices = sorted(set(known))
    unknown = sorted(set(wanted) - set(choices))
    if not unknown:
        return
    named = []
    for wrong in unknown:
        near = difflib.get_close_matches(wrong, choices, n=1)
        named.append(f"{wrong!r} (did you mean {near[0]!r}?)" if near else repr(wrong))
    raise UsageError(f"no {what} {', '.join(named)}", fix=fix)


def check_mentees(config: AppConfig, wanted: Sequence[str] | None) -> None:
    """A UsageError for each wanted mentee id the config does not have ("did you mean")."""
    fix = (
        f"mentee ids are listed under `mentees:` in {config.path} (an id defaults to a slug "
        "of the name)"
    )
    refuse_unknown("mentee with id", wanted or [], [m.id for m in config.mentees], fix=fix)


def report_failures(report: RunReport) -> None:
    """Each failed source on stderr, with the reason."""
    for line in failure_lines([(failed.name, failed.error or "") for failed in report.failures]):
        err.print(safe(line, style="red"))


# An address in an error, up to the punctuation that ends it: its origin and the rest.
_ADDRESS = re.compile(r"(https?://[^\s/?#]+)([/?#]\S*?)?(?=[:;,.)]*(?:\s|$))")
_NAMED_IN_GROUP = 3  # sources named in a group's line; the others are counted


def failure_lines(failures: Sequence[tuple[str, str]]) -> list[str]:
    """A line for each (source, error), except that sources which failed alike at one site
    (the same error once each address is cut to its origin: a board that is down, no
    network) share one line naming a few of them, so an outage is not a screenful."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, error in failures:
        alike = _ADDRESS.sub(lambda found: found[1] + ("/…" if found[2] else ""), error)
        groups.setdefault(alike, []).append((name, error))
    lines = []
    for alike, members in groups.items():
        if len(members) == 1:
            ((name, error),) = members
            lines.append(f"source {name} failed: {error}")
            continue
        names = [name for name, _ in members]
        shown = ", ".join(names[:_NAMED_IN_GROUP])
        rest = len(names) - _NAMED_IN_GROUP
        more = f" and {rest} more" if rest > 0 else ""
        lines.append(f"{len(names)} sources failed: {alike} ({shown}{more})")
    return lines


def iso(moment: datetime | None) -> str | None:
    """An ISO 8601 timestamp for JSON and CSV, or None."""
    return moment.isoformat() if moment else None


@contextmanager
def console_log_without(*attributes: str) -> Iterator[None]:
    """Hold the records that carry any of ``attributes`` back from the console's log (not
    the log file's) for the block: what the command prints itself once it is done (a failed
    source or digest) is not said twice on stderr. If the block fails, so that the command
    prints no summary, the console gets them after all: a digest refused by the mail server
    must not go unsaid because the database failed next."""
    held: list[logging.LogRecord] = []

    def keep(record: logging.LogRecord) -> bool:
        if not any(hasattr(record, attribute) for attribute in attributes):
            return True
        if not any(record is seen for seen in held):  # each console handler asks
            held.append(record)
        return False

    consoles = [h for h in logging.getLogger().handlers if not isinstance(h, logging.FileHandler)]
    for handler in consoles:
        handler.addFilter(keep)
    failed = True
    try:
        yield
        failed = False
    finally:
        for handler in consoles:
            handler.removeFilter(keep)
            for record in held if failed else ():
                handler.handle(record)
