"""``leads run``, ``leads schedule`` and ``leads cron``: running the whole pipeline unattended,
once (for cron), as a long-lived service, or as crontab lines to install."""

from __future__ import annotations

import logging
import shlex
import shutil
import sys
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from aggregator.cli._common import (
    EXIT_FAILURES,
    State,
    app,
    busy,
    clock,
    console_log_without,
    err,
    errors_handled,
    listing,
    load,
    make_printable,
    open_store,
    out,
    report_failures,
    safe,
)
from aggregator.cli.collect import by_kind, event_sources, total
from aggregator.cli.digest import print_digest_outcome
from aggregator.cli.matching import match_summary
from aggregator.core.config import AppConfig
from aggregator.core.errors import ConfigError, RunLockedError
from aggregator.core.models import Mentor
from aggregator.core.private_files import PrivateRotatingFileHandler, make_private_folder
from aggregator.core.schedule_expressions import Schedule, parse_schedule
from aggregator.core.wording import counted

if TYPE_CHECKING:
    from aggregator.runner import RunOutcome

log = logging.getLogger(__name__)

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
    """Collect, match and send due digests in one go, for cron: silent unless something failed
    (on a terminal it says what it did)."""
    from aggregator import runner  # scikit-learn and Jinja2: see _matching() on import cost
    from aggregator.stages.digest import FAILED_DIGEST

    try:
        steps = runner.parse_steps(only) if only is not None else runner.ALL_STEPS
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--only") from exc
    with errors_handled():
        config = load()
        log_to_file(config)
        try:
            with (
                console_log_without(runner.FAILED_SOURCE, FAILED_DIGEST),  # the summary lists them
                busy(f"running {', '.join(steps)}"),  # on a terminal: cron's mail stays quiet
            ):
                outcome = runner.run(config, clock, steps)
        except RunLockedError as exc:
            out.print(safe(str(exc)), soft_wrap=True)  # one line: cron mails it, scripts grep it
            return
    # Silence is for cron; a person who typed `leads run` (as `leads init` suggests) is told
    # what it did, not left wondering whether it did anything.
    if verbose or State.verbose or not outcome.ok or out.is_terminal:
        _print_run_summary(outcome, event_sources(config))
    if not outcome.ok:
        raise typer.Exit(EXIT_FAILURES)


def log_to_file(config: AppConfig) -> None:
    """Send log records to the rotating file of `logging.file`, when one is configured."""
    path = config.log_file
    if path is None:
        return
    try:
        make_private_folder(path.parent)
        handler = PrivateRotatingFileHandler(
            path,
            maxBytes=config.logging.max_bytes,
            backupCount=config.logging.backups,
            encoding="utf-8",
        )
    except OSError as exc:  # before any step: a run that cannot keep its log does nothing
        raise ConfigError(
            f"cannot open the log file {path}: {exc.strerror or exc}",
            file=str(config.path),
            key="logging.file",
            fix="give a file in a folder this user can write, or remove logging.file",
        ) from exc
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    make_printable(handler)
    handler.setLevel(config.logging.level)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level, handler.level))
    for existing in root.handlers:
        if existing is not handler and existing.level == logging.NOTSET:
            existing.setLevel(logging.INFO if State.verbose else logging.WARNING)


def _print_run_summary(outcome: RunOutcome, events: Collection[str]) -> None:
    """One screen: what each step did, and every failure; networking events apart from
    postings (``events``: the names of events sources)."""
    collected, matched, digests = outcome.collected, outcome.matched, outcome.digests
    if collected is not None:
        kinds = by_kind(collected, events)
        postings = kinds["postings"]
        line = (
            f"collect: {total(postings, 'new')} new, {total(postings, 'updated')} updated, "
            f"{total(postings, 'unchanged')} unchanged postings from "
            f"{counted(len(collected.sources), 'source')} ({len(collected.failures)} failed)"
        )
        if kinds["events"]:  # each run stores an events source's haul anew: all are "new"
            line += f"; {counted(total(kinds['events'], 'new'), 'networking event')}"
        out.print(line)
        report_failures(collected)
    if matched is not None:
        out.print(f"match: {match_summary(matched)}")
    if digests is not None:
        if not digests.outcomes:
            out.print("digest: no mentor's digest is due")
        for each in digests.outcomes:
            print_digest_outcome(each, digests.destination, wrap=out.is_terminal)
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
    digest on their own schedule; SIGTERM, Ctrl-C or SIGHUP finishes the current step and exits."""
    import threading

    from aggregator import runner, service

    with errors_handled():
        config = load()
        specs = service.job_specs(config)
        if print_times:
            _print_upcoming(config, service.upcoming(specs, clock(), count))
            return
        log_to_file(config)
        # A service whose database cannot be reached fails at once, as `leads run` does:
        # started anyway, it warned at every job and looked healthy to systemd.
        with open_store(config):
            pass
        logging.getLogger().setLevel(logging.INFO)  # a service's log is its record of work
        # ... of its work, not of APScheduler's bookkeeping ("Adding job tentatively…").
        bookkeeping = logging.INFO if State.verbose else logging.WARNING
        logging.getLogger("apscheduler").setLevel(bookkeeping)
        stop = threading.Event()
        kept = runner.DatabaseKept(config)

        def run_job(spec: service.JobSpec) -> None:
            steps = runner.ALL_STEPS if spec.mentor_id is None else (runner.Step.DIGEST,)

            def waiting(holder: str) -> None:
                log.info("%s waits for the run in progress (%s) to finish", spec.name, holder)

            outcome = runner.run(
                config, clock, steps, mentor=spec.mentor_id, stop=stop, on_busy=waiting,
                kept=kept,
            )
            if not outcome.ok:
                log.warning("%s finished with failures (see above)", spec.name)

        jobs = counted(len(specs), "job")
        out.print(f"Scheduling {jobs}; Ctrl-C, SIGTERM or SIGHUP stops after the current step")
        # Collect at once: a service that was just (re)started should not sit idle for hours.
        scheduler = service.build_scheduler(
            config,
            specs,
            run_job,
            stop=stop,
            now=clock(),
            run_at_start={"collect"},
            leader=service.database_leader(config, clock),
        )
        with console_log_without(service.STOP_REQUESTED):  # said on stderr just below
            service.run_until_stopped(scheduler, stop, on_signal=_say_stopping)
    out.print("Stopped.")


def _say_stopping(signal_name: str, at_once: bool) -> None:
    """What a signal to `leads schedule` does, on stderr at once (its log may be a file)."""
    again = "Ctrl-C" if signal_name == "SIGINT" else signal_name
    err.print(
        f"{signal_name}: stopping now, mid-step"
        if at_once
        else f"{signal_name}: finishing the current step, then stopping ({again} again stops "
        "at once)"
    )


def _print_upcoming(config: AppConfig, jobs: list[tuple[Any, list[datetime]]]) -> None:
    """Each job, its schedule and its next fire times in the job's own timezone."""
    # A time whole on its line: at 80 columns each was split over two.
    table = listing(
        "Next fire times", "job", "schedule", "timezone", "next", one_line=("timezone", "next")
    )
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


# -- cron ------------------------------------------------------------------------------


@app.command()
def cron() -> None:
    """Print crontab lines that run mentor-leads on the configured schedules."""
    with errors_handled():
        config = load()
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
