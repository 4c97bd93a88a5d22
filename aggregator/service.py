"""APScheduler 3.x wiring for `leads schedule`: which jobs run when, and how the process stops.

Two kinds of job: ``collect`` (collect, then match) on ``schedule.collect`` in
``schedule.timezone`` with ``schedule.jitter``, and one ``digest:<mentor id>`` per mentor on that
mentor's ``digest.schedule`` in the mentor's own time zone, without jitter (07:00 means 07:00).
What a job does is the caller's ``run_job(spec)``; this module knows nothing of the pipeline.

How the scheduler behaves, and why:

- One worker thread, so jobs never overlap inside the process; a job that falls due while
  another runs waits for it. ``run_job`` itself takes the run lock, which keeps a cron
  ``leads run`` out as well.
- Schedulers on several hosts share one database: before a job runs, ``leader(spec)`` says
  whether this process leads it (`database_leader`: on PostgreSQL the job's advisory lock,
  held while it runs, and on every database a record of the job's last start, so a job
  another scheduler started for this fire time is skipped, and logged as skipped).
- A machine that slept through several fire times runs the job once (``coalesce``), and only
  if the latest missed time is at most ``schedule.misfire_grace_time`` ago; otherwise the job
  is skipped until its next time. The scheduler waits on a monotonic clock, which stands still
  while the machine is suspended, so ``run_until_stopped`` also wakes it every second to look
  at the wall clock: without that, a job due during a sleep would run as much later as the
  sleep lasted and often be skipped as too late. The same wake-up runs a stop signal's
  handler that came as the main thread went to sleep: Python runs handlers between
  bytecodes, and a signal that lands just before the thread blocks does not interrupt the
  wait (seen under load: the stop was noticed only at the next wake-up).
- A job that raises is logged in one line (its traceback at DEBUG) and runs again at its
  next time; the scheduler carries on.
  A project error (``LeadsError``, e.g. another run holds the lock) is logged as a one-line
  warning, because its message already says what happened and what to do.
- Stopping is cooperative. SIGTERM, SIGINT or SIGHUP set the ``stop`` event the caller passes
  to both `build_scheduler` and `run_until_stopped`; ``run_job`` is expected to check the same
  event between its steps. The running job finishes its current step, jobs still queued behind it
  are not started, and `run_until_stopped` returns once the worker is idle.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import signal
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobExecutionEvent,
    SchedulerEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger

from aggregator.core.config import AppConfig
from aggregator.core.errors import ConfigError, LeadsError
from aggregator.core.schedule_expressions import Schedule, check_timezone, parse_schedule
from aggregator.store import Store
from aggregator.store.leases import new_holder

logger = logging.getLogger(__name__)

COLLECT_JOB_ID = "collect"
DIGEST_JOB_PREFIX = "digest:"
# How often the scheduler wakes to re-read the wall clock (a job due while the machine slept
# runs at most this long after it wakes) and to run a stop signal's handler that its wait
# missed (see the module docstring). A wake-up with nothing due costs some 4 µs of CPU.
WALL_CLOCK_CHECK_SECONDS = 1.0
# SIGHUP too: a closed terminal or ssh session would otherwise kill a job mid-step. Left
# alone where it is ignored (nohup), which asks for the process to outlive the session.
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# Marks the log lines of a stop signal, which `leads schedule` says on its terminal itself.
STOP_REQUESTED = "stop_requested"
# APScheduler's executor logs a job's exception with its traceback, and a missed run, in its
# own words; `_log_job_event` says both in one line, so that logger is kept for the worst.
_EXECUTOR_LOG = "apscheduler.executors.default"

_SignalHandler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


# A job is skipped when another scheduler started it less than its shortest gap between two
# fire times ago, less this margin (and the jitter): the same fire time seen by two hosts
# whose clocks or jitter differ a little.
SAME_FIRE_MARGIN = timedelta(seconds=60)

JobLeader = Callable[["JobSpec"], AbstractContextManager["str | None"]]
"""Entered around each job run: yields None when this process runs the job, else why not."""


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One scheduled job: what it is called, when it fires and in which time zone."""

    id: str  # "collect" or "digest:<mentor id>"
    name: str  # for people: "collect and match", "digest for Maria Okafor"
    schedule: Schedule
    timezone: str
    jitter: int | None  # seconds of random delay per run; None for none
    mentor_id: str | None = None  # the digest's mentor; None for the collect job


def job_specs(config: AppConfig) -> list[JobSpec]:
    """The collect job, then one digest job per mentor, in config order."""
    collect = config.schedule
    specs = [
        JobSpec(
            id=COLLECT_JOB_ID,
            name="collect and match",
            schedule=_schedule(config, collect.collect, collect.timezone, "schedule"),
            timezone=collect.timezone,
            jitter=collect.jitter,
        )
    ]
    for index, mentor in enumerate(config.mentors):
        text = mentor.digest.schedule
        specs.append(
            JobSpec(
                id=f"{DIGEST_JOB_PREFIX}{mentor.id}",
                name=f"digest for {mentor.name}",
                schedule=_schedule(config, text, mentor.timezone, f"mentors[{index}]"),
                timezone=mentor.timezone,
                jitter=None,
                mentor_id=mentor.id,
            )
        )
    return specs


def _schedule(config: AppConfig, text: str, timezone: str, where: str) -> Schedule:
    """The parsed schedule; ConfigError for what load_config would have refused."""
    try:
        check_timezone(timezone)
        return parse_schedule(text)
    except ValueError as exc:
        raise ConfigError(str(exc), file=str(config.path), key=where) from exc


def upcoming(
    specs: list[JobSpec], after: datetime, count: int
) -> list[tuple[JobSpec, list[datetime]]]:
    """The next ``count`` fire times of each job after ``after``, in the job's time zone.

    Jitter is left out; an interval counts from ``after``, as it counts from the start of
    `build_scheduler`'s ``now``.
    """
    return [(spec, spec.schedule.next_fire_times(after, count, spec.timezone)) for spec in specs]


def build_scheduler(
    config: AppConfig,
    specs: list[JobSpec],
    run_job: Callable[[JobSpec], None],
    *,
    stop: threading.Event,
    scheduler_class: type[BaseScheduler] = BlockingScheduler,
    now: datetime | None = None,
    run_at_start: Collection[str] = (),
    leader: JobLeader | None = None,
) -> BaseScheduler:
    """A scheduler (not started) with one job per spec, each calling ``run_job(spec)``.

    ``now`` (default: the wall clock) is when the schedule starts: each job's first fire time
    is computed from it, and an interval first fires one interval after it — except the jobs
    whose ids are in ``run_at_start``, which first run at ``now``. A job is not started once
    ``stop`` is set, nor when ``leader`` says another scheduler runs it.
    """
    if now is None:
        now = datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone (a naive datetime is ambiguous)")
    scheduler = scheduler_class(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": config.schedule.misfire_grace_time,
        },
    )
    logging.getLogger(_EXECUTOR_LOG).setLevel(logging.CRITICAL)
    names = {spec.id: spec.name for spec in specs}
    scheduler.add_listener(
        lambda event: _log_job_event(event, names, config.schedule.misfire_grace_time),
        EVENT_JOB_ERROR | EVENT_JOB_MISSED,
    )
    for spec in specs:
        trigger = _trigger(spec, now)
        scheduler.add_job(
            _run_spec,
            trigger,
            args=(spec, run_job, stop, leader),
            id=spec.id,
            name=spec.name,
            replace_existing=True,
            # Given here so APScheduler does not read the wall clock when the job is added.
            next_run_time=(
                now if spec.id in run_at_start else trigger.get_next_fire_time(None, now)
            ),
        )
    return scheduler


def database_leader(config: AppConfig, now: Callable[[], datetime]) -> JobLeader:
    """A JobLeader for schedulers sharing ``config``'s database (see the module docstring)."""
    holder = new_holder()

    @contextlib.contextmanager
    def lead(spec: JobSpec) -> Iterator[str | None]:
        store = Store(config.database_url)
        try:
            with store.job_leader(spec.id) as leading:
                if not leading:
                    yield "another scheduler is running it now"
                    return
                moment = now()
                earlier = store.start_job(spec.id, holder, moment, moment - quiet_period(spec))
                if earlier is None:
                    yield None
                    return
                # This one, when a fall-back day's repeated hour fires a time a second time.
                who = "this scheduler" if earlier.startswith(f"{holder} ") else "another scheduler"
                yield f"{who} ran it ({earlier})"
        finally:
            store.close()

    return lead


def quiet_period(spec: JobSpec) -> timedelta:
    """How long after a start of ``spec`` another start is the same fire time seen twice."""
    times = spec.schedule.next_fire_times(datetime(2026, 1, 1, tzinfo=UTC), 8, spec.timezone)
    shortest = min(later - earlier for earlier, later in itertools.pairwise(times))
    margin = SAME_FIRE_MARGIN + timedelta(seconds=spec.jitter or 0)
    return max(shortest - margin, shortest / 2)


def _trigger(spec: JobSpec, now: datetime) -> BaseTrigger:
    """The spec's trigger; an interval starts one interval after ``now``, like upcoming()."""
    interval = spec.schedule.interval
    # Elapsed time is counted in UTC: adding to an aware local time would add wall-clock time.
    start = now.astimezone(UTC) + interval if interval is not None else None
    return spec.schedule.trigger(spec.timezone, spec.jitter, start=start)


def _run_spec(
    spec: JobSpec,
    run_job: Callable[[JobSpec], None],
    stop: threading.Event,
    leader: JobLeader | None,
) -> None:
    """Run one job unless the process is stopping or another scheduler leads it; a project
    error becomes a warning."""
    _leave_stop_signals_to_the_main_thread()
    if stop.is_set():
        logger.info("%s not started: the scheduler is stopping", spec.name)
        return
    try:
        with leader(spec) if leader else contextlib.nullcontext(None) as elsewhere:
            if elsewhere is not None:
                logger.info("%s skipped: %s", spec.name, elsewhere)
                return
            run_job(spec)
    except LeadsError as exc:
        logger.warning("%s failed: %s", spec.name, exc)


def _log_job_event(event: JobExecutionEvent, names: Mapping[str, str], grace: int) -> None:
    """Say which job failed or was skipped, and that it runs again at its next time."""
    # Runs on the worker thread while shutdown() may hold the scheduler's locks, so it must not
    # call back into the scheduler (get_job would deadlock).
    name = names.get(event.job_id, event.job_id)
    if event.code == EVENT_JOB_ERROR:
        # Its first line: a database error goes on with the SQL and a link, over many lines.
        reason = (str(event.exception).strip().splitlines() or [""])[0]
        logger.error(
            "%s failed with %s: %s; the scheduler carries on and runs it again at its next time",
            name,
            type(event.exception).__name__,
            reason,
        )
        logger.debug("%s failed here:\n%s", name, "".join(event.traceback or ()))
    else:
        logger.warning(
            "%s was due at %s, more than schedule.misfire_grace_time (%d s) ago (was the "
            "machine asleep?); skipped until its next time",
            name,
            event.scheduled_run_time.isoformat(timespec="seconds"),
            grace,
        )


def run_until_stopped(
    scheduler: BaseScheduler,
    stop: threading.Event,
    *,
    wall_clock_check: float = WALL_CLOCK_CHECK_SECONDS,
    on_signal: Callable[[str, bool], object] = lambda name, at_once: None,
) -> None:
    """Run a blocking scheduler in this thread until SIGTERM, SIGINT, SIGHUP or ``stop`` is set.

    The signal handlers (installed only when called from the main thread; the previous ones
    are restored on return) set ``stop``. A helper thread then shuts the scheduler down,
    waiting for the running job to finish. ``stop`` is set when this returns, and the
    scheduler is shut down with its jobs removed. A second signal ends the process at once,
    mid-step (as a kill would: what the step committed is kept, the next run does the rest).
    ``on_signal`` hears each signal's name, and whether it stops at once.
    """
    supervisor = threading.Thread(
        target=_supervise,
        args=(scheduler, stop, wall_clock_check),
        name="leads-scheduler-supervisor",
        daemon=True,
    )

    # Started only once the scheduler runs, so a stop that comes early still shuts it down.
    def start_supervisor(event: SchedulerEvent) -> None:
        with _stop_signals_blocked():  # the supervisor inherits the mask
            supervisor.start()

    scheduler.add_listener(start_supervisor, EVENT_SCHEDULER_STARTED)
    try:
        with _stop_on_signals(stop, on_signal):
            scheduler.start()
    finally:
        stop.set()  # ends the supervisor if the scheduler was shut down some other way
        if supervisor.ident is not None:
            supervisor.join()
        scheduler.remove_listener(start_supervisor)


def _supervise(scheduler: BaseScheduler, stop: threading.Event, wall_clock_check: float) -> None:
    """Nudge the scheduler to re-read the wall clock until ``stop``; then shut it down."""
    while not stop.wait(wall_clock_check):
        scheduler.wakeup()
    # With no jobs left the scheduler cannot hand a newly due one to the executor while
    # shutdown() waits for the running job (and then log the refusal as an error).
    scheduler.remove_all_jobs()
    with contextlib.suppress(SchedulerNotRunningError):  # already shut down by someone else
        scheduler.shutdown(wait=True)
    logger.info("scheduler stopped")


def _leave_stop_signals_to_the_main_thread() -> None:
    """Block the stop signals in this (worker) thread, for good.

    The kernel hands a signal sent to the process to any thread that does not block it, and
    Python runs the handler only when the main thread next executes bytecode: taken by a
    worker, a stop would wait for the scheduler's next wake-up. Never in the
    main thread itself, which must go on taking them.
    """
    if threading.current_thread() is not threading.main_thread():
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)


@contextlib.contextmanager
def _stop_signals_blocked() -> Iterator[None]:
    """Block the stop signals in this thread for the block; threads started in it keep them
    blocked (see `_leave_stop_signals_to_the_main_thread`)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _tell(on_signal: Callable[[str, bool], object], name: str, *, at_once: bool) -> None:
    """Let ``on_signal`` say the signal came; what it raises must not undo the stop. A hang-up
    closes the terminal it would print to (EIO, or rich's exit on a broken pipe), and a
    signal that interrupts a print to the same stream finds it busy (a reentrant call)."""
    try:
        on_signal(name, at_once)
    except (Exception, SystemExit) as exc:  # the log has the signal: only the echo is lost
        logger.debug("could not say %s was received: %r", name, exc)


@contextlib.contextmanager
def _stop_on_signals(
    stop: threading.Event, on_signal: Callable[[str, bool], object]
) -> Iterator[None]:
    """SIGTERM, SIGINT and (unless ignored) SIGHUP set ``stop`` for the block, and a second
    one ends the process at once (main thread only; Python's rule)."""
    if threading.current_thread() is not threading.main_thread():
        logger.debug("not the main thread: signals are left alone; set stop to end the run")
        yield
        return

    def request_stop(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        marked = {STOP_REQUESTED: name}
        if stop.is_set():  # a person who pressed Ctrl-C twice wants it to stop now
            logger.warning("%s received again: stopping at once, mid-step (what it committed "
                           "is kept; the next run does the rest)", name, extra=marked)  # fmt: skip
            _tell(on_signal, name, at_once=True)
            logging.shutdown()  # the log file gets its last lines
            os._exit(128 + signum)
        stop.set()  # before logging, so whoever reads the log can rely on it
        logger.info("%s received: finishing the current step, then stopping", name, extra=marked)
        _tell(on_signal, name, at_once=False)

    previous: dict[signal.Signals, _SignalHandler] = {
        signum: signal.signal(signum, request_stop)
        for signum in _STOP_SIGNALS
        if not (signum is signal.SIGHUP and signal.getsignal(signum) is signal.SIG_IGN)
    }
    # A process inherits its parent's blocked signals: one started with these blocked (by a
    # supervisor or a shell that blocks them around its children) would never see them.
    mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
