"""``leads check``, ``leads init`` and ``leads cron``: setting mentor-leads up.

The commands register themselves on ``aggregator.cli.app`` when this module is imported (which
``aggregator.cli`` does at its end).
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from aggregator.cli import (
    EXIT_FAILURES,
    State,
    _errors_handled,
    _load,
    app,
    clock,
    err,
    out,
    safe,
)
from aggregator.core.config import AppConfig, config_path
from aggregator.core.errors import ConfigError, LeadsError
from aggregator.core.models import Mentor
from aggregator.core.schedule_expressions import Schedule, check_timezone, parse_schedule
from sources import option_models

if TYPE_CHECKING:
    from aggregator.checking import PartCheck, SourceCheck
    from aggregator.starter import Answers

# -- check -----------------------------------------------------------------------------


@app.command()
def check() -> None:
    """Try the setup once: config, store, mail login and every source (stores nothing)."""
    from aggregator import checking  # rapidfuzz (mentors' networks) is only needed here

    with _errors_handled():
        config = _load()
        with _busy(f"checking {len(config.enabled_sources())} sources"):
            report = checking.check_setup(config, clock)
    out.print(_parts_table(report.parts))
    if report.sources:
        out.print(_sources_table(report.sources))
    for failed in report.failures:
        what = f"source {failed.name}" if isinstance(failed, checking.SourceCheck) else failed.part
        err.print(safe(f"{what} failed: {failed.detail}"), style="red")
    if not report.ok:
        raise typer.Exit(EXIT_FAILURES)


def _busy(message: str) -> AbstractContextManager[Any]:
    """A spinner while a person watches; nothing in a pipe or a cron mail."""
    return out.status(message) if out.is_terminal else nullcontext()


def _parts_table(parts: list[PartCheck]) -> Table:
    table = Table(title="Setup", title_justify="left")
    for column in ("part", "status", "detail"):
        table.add_column(column, overflow="fold")
    for part in parts:
        status = Text("ok", style="green") if part.ok else Text("failed", style="red")
        table.add_row(part.part, status, safe(part.detail))
    return table


def _sources_table(sources: list[SourceCheck]) -> Table:
    table = Table(title="Sources", title_justify="left")
    for column in ("source", "type", "reachable", "result", "items"):
        table.add_column(column, overflow="fold", justify="right" if column == "items" else "left")
    reachable = {
        True: Text("yes", style="green"),
        False: Text("no", style="red"),
        None: Text("-", style="dim"),
    }
    for s in sources:
        result = safe(s.detail)
        result.stylize("red" if not s.ok else "dim" if s.reachable is None else "")
        items = "-" if s.items is None else str(s.items)
        table.add_row(safe(s.name), s.type, reachable[s.reachable], result, items)
    return table


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
    with _errors_handled():
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


# -- cron ------------------------------------------------------------------------------


@app.command()
def cron() -> None:
    """Print crontab lines that run mentor-leads on the configured schedules."""
    with _errors_handled():
        config = _load()
        lines = crontab_lines(config, leads_executable())
    sys.stdout.write("\n".join(lines) + "\n")


def leads_executable() -> str:
    """The absolute path of the `leads` program (cron's PATH rarely has it), else "leads"."""
    invoked = Path(sys.argv[0])
    if invoked.name == "leads" and invoked.is_file():
        return str(invoked.absolute())
    found = shutil.which("leads")
    return str(Path(found).absolute()) if found else "leads"


def crontab_lines(config: AppConfig, executable: str) -> list[str]:
    """The crontab of ``config``'s schedules: collection, then each distinct digest time.

    A digest line starts ``run --only digest``, which sends every digest that is due, so
    mentors who share a time zone and a schedule share a line.
    """
    command = " ".join(map(_cron_word, (executable, "--config", str(config.path))))
    log = f">> {_cron_word(str(config.directory / 'cron.log'))} 2>&1"
    collect, zone = parse_schedule(config.schedule.collect), config.schedule.timezone
    lines = [
        f"# mentor-leads, as scheduled in {_one_line(str(config.path))}; add with `crontab -e`.",
        "# CRON_TZ sets the zone of the times below it (cronie: Fedora, RHEL, Arch honour it);",
        "# Debian/Ubuntu, BSD and macOS cron ignore it: there every time is in the machine's zone.",
        "",
        f"# Collect, match and send the digests that are due: {collect.describe()} ({zone}).",
        f"CRON_TZ={zone}",
        f"{_crontab_fields(collect, config, 'schedule.collect')} {command} run {log}",
    ]
    for (mentors_zone, fields), (schedule, mentors) in _digest_times(config).items():
        names = ", ".join(_one_line(f"{m.name} ({m.id})") for m in mentors)
        lines += [
            "",
            f"# Digests of {names}: {schedule.describe()} ({mentors_zone}).",
            f"CRON_TZ={mentors_zone}",
            f"{fields} {command} run --only digest {log}",
        ]
    return lines


def _digest_times(config: AppConfig) -> dict[tuple[str, str], tuple[Schedule, list[Mentor]]]:
    """Mentors grouped by (time zone, crontab fields) of their digest schedule."""
    times: dict[tuple[str, str], tuple[Schedule, list[Mentor]]] = {}
    for index, mentor in enumerate(config.mentors):
        schedule = parse_schedule(mentor.digest.schedule)
        key = f"mentors[{index}].digest.schedule"
        fields = _crontab_fields(schedule, config, key)
        times.setdefault((mentor.timezone, fields), (schedule, []))[1].append(mentor)
    return times


def _crontab_fields(schedule: Schedule, config: AppConfig, key: str) -> str:
    try:
        return schedule.crontab_fields()
    except ValueError as exc:
        raise ConfigError(
            str(exc),
            file=str(config.path),
            key=key,
            fix="for cron, write it as e.g. 'every 2h', 'hourly', 'daily 07:00' or a cron "
            "expression — or keep it and run `leads schedule` instead of cron",
        ) from exc


def _cron_word(text: str) -> str:
    """A shell word for a crontab command: quoted, with cron's special % escaped."""
    if "\n" in text or "\r" in text:
        raise ConfigError(
            f"{text!r} holds a line break, which a crontab line cannot carry",
            fix="move the config (or mentor-leads) to a path without one",
        )
    return shlex.quote(text).replace("%", "\\%")


def _one_line(text: str) -> str:
    """Config text fit for a crontab comment: a line break there would start a command."""
    return " ".join(safe(text).plain.split())
