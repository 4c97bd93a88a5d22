"""`leads schedule` wiring: jobs and fire times, coalescing, misfires, failures, overlap, signals.

The scheduler tests use real APScheduler objects. Instead of waiting for fire times, the
schedule's ``now`` is put in the past, so jobs are already due (or long overdue) when the
scheduler starts; Events report what happened, with timeouts only as a safety net.
"""

from __future__ import annotations

import itertools
import logging
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler

from aggregator.core.config import AppConfig, ScheduleConfig
from aggregator.core.errors import ConfigError, RunLockedError
from aggregator.core.models import DigestSettings, Mentor
from aggregator.service import (
    JobSpec,
    _leave_stop_signals_to_the_main_thread,
    build_scheduler,
    job_specs,
    run_until_stopped,
    upcoming,
)

BERLIN = ZoneInfo("Europe/Berlin")
CHICAGO = ZoneInfo("America/Chicago")
SAFETY = 20.0  # seconds; only reached when the behaviour under test is broken
# Friday 2025-03-07: US daylight saving time starts on Sunday the 9th, the EU's on the 30th.
AFTER = datetime(2025, 3, 7, 12, 0, tzinfo=UTC)


def mentor(ident: str, name: str, timezone: str, schedule: str) -> Mentor:
    return Mentor(
        id=ident,
        name=name,
        email=f"{ident}@example.com",
        timezone=timezone,
        digest=DigestSettings(schedule=schedule),
    )


def two_mentor_config(**schedule: object) -> AppConfig:
    """`every 3h` collection in UTC; Maria (Berlin, Mondays 07:00), Sam (Chicago, daily 08:00)."""
    return AppConfig(
        schedule=ScheduleConfig.model_validate({"collect": "every 3h", **schedule}),
        mentors=(
            mentor("maria", "Maria Okafor", "Europe/Berlin", "weekly mon 07:00"),
            mentor("sam", "Sam Lee", "America/Chicago", "daily 08:00"),
        ),
    )


def collect_only(collect: str, misfire_grace_time: int = 6 * 3600) -> AppConfig:
    return AppConfig(
        schedule=ScheduleConfig(collect=collect, jitter=0, misfire_grace_time=misfire_grace_time)
    )


def wall_clock() -> datetime:
    return datetime.now(UTC)


def wait(event: threading.Event, what: str) -> None:
    assert event.wait(SAFETY), f"timed out waiting for {what}"


def on_events(
    scheduler: BaseScheduler, mask: int, count: int = 1
) -> tuple[list[JobEvent], threading.Event]:
    """The job events matching ``mask`` as they arrive, and an Event set once ``count`` came."""
    seen: list[JobEvent] = []
    arrived = threading.Event()

    def record(event: JobEvent) -> None:
        seen.append(event)
        if len(seen) >= count:
            arrived.set()

    scheduler.add_listener(record, mask)
    return seen, arrived


@pytest.fixture
def background() -> Iterator[list[BaseScheduler]]:
    """Started background schedulers are appended here and shut down after the test."""
    started: list[BaseScheduler] = []
    yield started
    for scheduler in started:
        if scheduler.running:
            scheduler.shutdown(wait=True)


def start_background(
    started: list[BaseScheduler],
    config: AppConfig,
    specs: list[JobSpec],
    run_job: Callable[[JobSpec], None],
    now: datetime,
) -> BaseScheduler:
    scheduler = build_scheduler(
        config,
        specs,
        run_job,
        stop=threading.Event(),
        scheduler_class=BackgroundScheduler,
        now=now,
    )
    started.append(scheduler)
    return scheduler


# --- specs and fire times -------------------------------------------------------------------


def test_job_specs_are_collection_then_one_digest_per_mentor() -> None:
    specs = job_specs(two_mentor_config(jitter=120, timezone="Europe/Berlin"))

    assert [(s.id, s.name, s.timezone, s.jitter, s.mentor_id) for s in specs] == [
        ("collect", "collect and match", "Europe/Berlin", 120, None),
        ("digest:maria", "digest for Maria Okafor", "Europe/Berlin", None, "maria"),
        ("digest:sam", "digest for Sam Lee", "America/Chicago", None, "sam"),
    ]
    assert [s.schedule.text for s in specs] == ["every 3h", "weekly mon 07:00", "daily 08:00"]


def test_a_bad_schedule_in_an_unchecked_config_is_a_config_error() -> None:
    config = AppConfig(mentors=(mentor("maria", "Maria Okafor", "Europe/Berlin", "daily 25:00"),))

    with pytest.raises(ConfigError, match=r"mentors\[0\].*hour 25 is outside 0-23"):
        job_specs(config)


def test_upcoming_fire_times_follow_each_mentors_zone_across_dst() -> None:
    times = {spec.id: fires for spec, fires in upcoming(job_specs(two_mentor_config()), AFTER, 4)}

    assert times["collect"] == [AFTER + timedelta(hours=3 * n) for n in range(1, 5)]
    # Mondays at 07:00 in Berlin: 06:00 UTC in winter time, 05:00 UTC from 30 March.
    assert times["digest:maria"] == [
        datetime(2025, 3, day, 7, 0, tzinfo=BERLIN) for day in (10, 17, 24, 31)
    ]
    assert [t.astimezone(UTC).hour for t in times["digest:maria"]] == [6, 6, 6, 5]
    # Daily 08:00 in Chicago stays 08:00 local when the US clocks change on 9 March.
    assert times["digest:sam"] == [
        datetime(2025, 3, day, 8, 0, tzinfo=CHICAGO) for day in (7, 8, 9, 10)
    ]
    assert [t.astimezone(UTC).hour for t in times["digest:sam"]] == [14, 14, 13, 13]


def test_an_interval_counts_elapsed_time_across_dst() -> None:
    config = two_mentor_config(timezone="Europe/Berlin")
    midnight = datetime(2025, 3, 30, 0, 0, tzinfo=BERLIN)  # clocks go 02:00 -> 03:00 that night

    [(_, fires)] = upcoming(job_specs(config)[:1], midnight, 3)

    assert fires == [datetime(2025, 3, 30, hour, 0, tzinfo=BERLIN) for hour in (4, 7, 10)]
    in_utc = [t.astimezone(UTC) for t in (midnight, *fires)]
    assert {later - earlier for earlier, later in itertools.pairwise(in_utc)} == {
        timedelta(hours=3)
    }


def test_the_scheduler_fires_when_upcoming_says() -> None:
    config = two_mentor_config(jitter=0)
    specs = job_specs(config)

    scheduler = build_scheduler(config, specs, lambda spec: None, stop=threading.Event(), now=AFTER)

    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert {job_id: job.name for job_id, job in jobs.items()} == {
        spec.id: spec.name for spec in specs
    }
    for spec, expected in upcoming(specs, AFTER, 4):
        fires = [jobs[spec.id].next_run_time]
        while len(fires) < 4:
            fires.append(jobs[spec.id].trigger.get_next_fire_time(fires[-1], fires[-1]))
        assert fires == expected, spec.id


def test_a_job_named_to_run_at_start_first_fires_at_once_then_on_schedule() -> None:
    config = two_mentor_config(jitter=0)
    specs = job_specs(config)

    scheduler = build_scheduler(
        config, specs, lambda spec: None, stop=threading.Event(), now=AFTER,
        run_at_start={"collect"},
    )

    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert jobs["collect"].next_run_time == AFTER
    following = jobs["collect"].trigger.get_next_fire_time(AFTER, AFTER)
    assert following == upcoming(specs, AFTER, 1)[0][1][0]
    digests = [spec for spec in specs if spec.mentor_id is not None]
    for spec, (expected, *_) in upcoming(digests, AFTER, 1):
        assert jobs[spec.id].next_run_time == expected  # digests keep their own times


def test_collection_jitter_delays_by_at_most_the_configured_seconds() -> None:
    config = two_mentor_config(jitter=300)
    specs = job_specs(config)

    scheduler = build_scheduler(config, specs, lambda spec: None, stop=threading.Event(), now=AFTER)

    first = {job.id: job.next_run_time for job in scheduler.get_jobs()}
    due = AFTER + timedelta(hours=3)
    assert due <= first["collect"] <= due + timedelta(seconds=300)
    assert first["digest:sam"] == datetime(2025, 3, 7, 8, 0, tzinfo=CHICAGO)  # no jitter


# --- misfires and coalescing (real APScheduler) ---------------------------------------------


def test_a_machine_that_slept_through_five_runs_runs_the_job_once(
    background: list[BaseScheduler],
) -> None:
    calls: list[str] = []
    # Hourly from five and a half hours ago: due 4.5, 3.5, 2.5, 1.5 and 0.5 hours ago.
    now = wall_clock() - timedelta(hours=5, minutes=30)
    config = collect_only("every 1h")
    scheduler = start_background(
        background, config, job_specs(config), lambda spec: calls.append(spec.id), now
    )
    executed, done = on_events(scheduler, EVENT_JOB_EXECUTED)

    scheduler.start()
    wait(done, "the overdue job to run")
    scheduler.shutdown(wait=True)  # lets every run already handed to the worker finish

    assert calls == ["collect"]
    # The run kept is the latest missed time.
    assert [e.scheduled_run_time for e in executed] == [now + timedelta(hours=5)]


@pytest.mark.parametrize(
    ("grace_hours", "expected_calls"),
    [(1, []), (3, ["collect"])],
    ids=["later-than-grace-is-skipped", "within-grace-runs"],
)
def test_a_run_later_than_the_misfire_grace_time_is_skipped(
    background: list[BaseScheduler],
    caplog: pytest.LogCaptureFixture,
    grace_hours: int,
    expected_calls: list[str],
) -> None:
    calls: list[str] = []
    now = wall_clock() - timedelta(days=1, hours=2)  # daily: the only missed run was 2 h ago
    config = collect_only("every 1d", misfire_grace_time=grace_hours * 3600)
    scheduler = start_background(
        background, config, job_specs(config), lambda spec: calls.append(spec.id), now
    )
    _, done = on_events(scheduler, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)

    with caplog.at_level(logging.WARNING, logger="aggregator.service"):
        scheduler.start()
        wait(done, "the overdue job to run or be skipped")
        scheduler.shutdown(wait=True)

    assert calls == expected_calls
    skipped = [r.getMessage() for r in caplog.records if r.name == "aggregator.service"]
    if expected_calls:
        assert skipped == []
    else:
        assert len(skipped) == 1
        assert skipped[0].startswith("collect and match was due at ")
        assert "schedule.misfire_grace_time (3600 s)" in skipped[0]


# --- failures -------------------------------------------------------------------------------


def test_a_failing_job_is_logged_and_runs_again_at_its_next_time(
    background: list[BaseScheduler], caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    def run_job(spec: JobSpec) -> None:
        calls.append(spec.id)
        if len(calls) == 1:
            raise RuntimeError("boom")

    config = collect_only("every 1h")
    scheduler = start_background(
        background, config, job_specs(config), run_job, wall_clock() - timedelta(hours=1)
    )
    failed, failure = on_events(scheduler, EVENT_JOB_ERROR)
    _, success = on_events(scheduler, EVENT_JOB_EXECUTED)

    with caplog.at_level(logging.ERROR):
        scheduler.start()
        wait(failure, "the job to fail")
        assert scheduler.running
        job = scheduler.get_job("collect")
        assert job is not None and job.next_run_time > wall_clock()
        scheduler.modify_job("collect", next_run_time=wall_clock())  # its next time comes
        wait(success, "the job to run again")

    assert calls == ["collect", "collect"]
    assert len(failed) == 1
    ours = [r for r in caplog.records if r.name == "aggregator.service"]
    assert [r.getMessage() for r in ours] == [
        "collect and match failed with RuntimeError: boom; "
        "the scheduler carries on and runs it again at its next time"
    ]


def test_a_project_error_is_a_one_line_warning(
    background: list[BaseScheduler], caplog: pytest.LogCaptureFixture
) -> None:
    def run_job(spec: JobSpec) -> None:
        raise RunLockedError("another run is in progress (pid 7); this one did nothing")

    config = collect_only("every 1h")
    scheduler = start_background(
        background, config, job_specs(config), run_job, wall_clock() - timedelta(hours=1)
    )
    _, done = on_events(scheduler, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    with caplog.at_level(logging.WARNING):
        scheduler.start()
        wait(done, "the job to finish")

    assert [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records] == [
        (
            "WARNING",
            "collect and match failed: another run is in progress (pid 7); this one did nothing",
            None,
        )
    ]


# --- no overlap -----------------------------------------------------------------------------


def test_two_due_jobs_run_one_after_the_other(background: list[BaseScheduler]) -> None:
    order: list[str] = []
    threads: set[int] = set()
    first_running = threading.Event()
    release = threading.Event()

    def run_job(spec: JobSpec) -> None:
        threads.add(threading.get_ident())
        order.append(f"start {spec.id}")
        if not first_running.is_set():
            first_running.set()
            wait(release, "the test to release the first job")
        order.append(f"end {spec.id}")

    config = two_mentor_config()
    specs = [spec for spec in job_specs(config) if spec.id != "digest:sam"]
    same_time = [JobSpec(s.id, s.name, specs[0].schedule, "UTC", None) for s in specs]
    scheduler = start_background(
        background, config, same_time, run_job, wall_clock() - timedelta(hours=3)
    )
    _, both_submitted = on_events(scheduler, EVENT_JOB_SUBMITTED, count=2)
    executed, _ = on_events(scheduler, EVENT_JOB_EXECUTED)

    scheduler.start()
    try:
        wait(first_running, "the first job to start")
        wait(both_submitted, "the second job to be handed to the executor")
    finally:
        release.set()
    scheduler.shutdown(wait=True)

    first, second = (order[0].removeprefix("start "), order[2].removeprefix("start "))
    assert order == [f"start {first}", f"end {first}", f"start {second}", f"end {second}"]
    assert {first, second} == {"collect", "digest:maria"}
    assert len(threads) == 1
    assert len(executed) == 2


# --- stopping -------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_lets_the_running_job_finish_and_starts_no_other(
    caplog: pytest.LogCaptureFixture, signum: signal.Signals
) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    stop = threading.Event()
    ran: list[tuple[str, bool]] = []

    def run_job(spec: JobSpec) -> None:
        signal.pthread_kill(threading.main_thread().ident or 0, signum)
        stop.wait(SAFETY)  # a real job checks `stop` between its steps
        ran.append((spec.id, stop.is_set()))

    config = two_mentor_config()
    specs = [spec for spec in job_specs(config) if spec.id != "digest:sam"]
    same_time = [JobSpec(s.id, s.name, specs[0].schedule, "UTC", None) for s in specs]
    scheduler = build_scheduler(
        config, same_time, run_job, stop=stop, now=wall_clock() - timedelta(hours=3)
    )

    with caplog.at_level(logging.INFO, logger="aggregator.service"):
        run_until_stopped(scheduler, stop)

    assert len(ran) == 1 and ran[0][1] is True  # the step finished, having seen the stop
    other = ({"collect", "digest:maria"} - {ran[0][0]}).pop()
    other_name = "collect and match" if other == "collect" else "digest for Maria Okafor"
    messages = [r.getMessage() for r in caplog.records if r.name == "aggregator.service"]
    assert messages == [
        f"{signum.name} received: finishing the current step, then stopping",
        f"{other_name} not started: the scheduler is stopping",
        "scheduler stopped",
    ]
    assert not scheduler.running
    assert {s: signal.getsignal(s) for s in before} == before


def test_a_stop_requested_before_the_start_runs_nothing_and_returns() -> None:
    stop = threading.Event()
    stop.set()
    config = collect_only("every 1h")
    ran: list[str] = []
    scheduler = build_scheduler(
        config,
        job_specs(config),
        lambda spec: ran.append(spec.id),
        stop=stop,
        now=wall_clock() - timedelta(hours=1),  # the job is due at once
    )
    rescued = threading.Event()

    def rescue() -> None:
        rescued.set()
        scheduler.shutdown(wait=False)

    safety = threading.Timer(SAFETY, rescue)
    safety.start()
    try:
        run_until_stopped(scheduler, stop)
    finally:
        safety.cancel()

    assert not rescued.is_set(), "run_until_stopped did not return by itself"
    assert not scheduler.running
    assert ran == []


def test_the_scheduler_rereads_the_wall_clock_while_waiting() -> None:
    """A machine that slept must not delay jobs by the sleep: the wait is cut into short ones."""
    stop = threading.Event()
    config = collect_only("every 3h")  # nothing is due for three hours
    scheduler = build_scheduler(
        config, job_specs(config), lambda spec: None, stop=stop, now=wall_clock()
    )
    looks: list[str] = []

    class CountLooks(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage() == "Looking for jobs to run":
                looks.append(record.getMessage())
                if len(looks) == 5:
                    stop.set()

    apscheduler_log = logging.getLogger("apscheduler.scheduler")
    handler = CountLooks(logging.DEBUG)
    level = apscheduler_log.level
    apscheduler_log.addHandler(handler)
    apscheduler_log.setLevel(logging.DEBUG)
    safety = threading.Timer(SAFETY, stop.set)
    safety.start()
    try:
        run_until_stopped(scheduler, stop, wall_clock_check=0.01)
    finally:
        safety.cancel()
        apscheduler_log.removeHandler(handler)
        apscheduler_log.setLevel(level)

    assert len(looks) >= 5


CHILD = """
import logging, signal, sys, threading
from datetime import UTC, datetime, timedelta
from aggregator.core.config import AppConfig, ScheduleConfig
from aggregator.service import build_scheduler, job_specs, run_until_stopped

logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="log: %(message)s")
logging.getLogger("aggregator.service").setLevel(logging.INFO)
stop = threading.Event()

def stop_signals_blocked(thread):
    # Linux's view of the thread's signal mask: a bit per signal, signal n at bit n - 1.
    with open(f"/proc/self/task/{thread.native_id}/status") as status:
        mask = int(next(line for line in status if line.startswith("SigBlk:")).split()[1], 16)
    return all(mask >> (signum - 1) & 1 for signum in (signal.SIGTERM, signal.SIGINT))

def run_job(spec):
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    print(f"{len(others)} other threads block the stop signals:",
          all(stop_signals_blocked(t) for t in others), flush=True)
    print("step started", flush=True)
    sys.stdin.readline()  # the step goes on when the test says so
    print(f"step finished, stop requested: {stop.is_set()}", flush=True)

config = AppConfig(schedule=ScheduleConfig(collect="every 1h", jitter=0))
now = datetime.now(UTC) - timedelta(hours=1)
scheduler = build_scheduler(config, job_specs(config), run_job, stop=stop, now=now)
run_until_stopped(scheduler, stop)
print("exited cleanly", flush=True)
"""


def _block_stop_signals() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("parent", ["plain", "blocking"])
def test_a_signalled_process_finishes_its_step_and_exits_0(
    signum: signal.Signals, parent: str
) -> None:
    """Also when its parent started it with the stop signals blocked (a process inherits
    that): it unblocks them, or they would stay pending for good."""
    seen: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_block_stop_signals if parent == "blocking" else None,
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        output = child.stdout
        lines: queue.Queue[str] = queue.Queue()

        def read_all() -> None:
            for line in output:
                lines.put(line)

        reader = threading.Thread(target=read_all)

        def read_until(text: str) -> None:
            while not seen or text not in seen[-1]:
                try:
                    seen.append(lines.get(timeout=SAFETY).rstrip("\n"))
                except queue.Empty:
                    status = child.poll()
                    raise AssertionError(f"no {text!r} (exit status {status}): {seen}") from None

        reader.start()
        try:
            read_until("step started")
            child.send_signal(signum)
            read_until("received: finishing the current step")
            child.stdin.write("go on\n")
            child.stdin.flush()
            assert child.wait(timeout=SAFETY) == 0
        finally:
            if child.poll() is None:
                child.kill()
            reader.join()
    while not lines.empty():
        seen.append(lines.get().rstrip("\n"))

    assert seen == [
        # Else the kernel may hand the signal to a thread other than the main one, and Python
        # would run the handler only at the scheduler's next wake-up.
        "2 other threads block the stop signals: True",
        "step started",
        f"log: {signum.name} received: finishing the current step, then stopping",
        "step finished, stop requested: True",
        "log: scheduler stopped",
        "exited cleanly",
    ]


def stopped_child(
    script: str, signum: signal.Signals, then: Callable[[subprocess.Popen[str]], None]
) -> tuple[int, list[str]]:
    """Run ``script`` (a CHILD) until its step starts, send ``signum``, then do ``then`` to
    it: its exit status and the lines it wrote after it logged the stop."""
    with subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as child:  # fmt: skip
        assert child.stdin is not None and child.stdout is not None
        try:
            assert "block the stop signals" in child.stdout.readline()
            assert child.stdout.readline().strip() == "step started"
            child.send_signal(signum)
            assert "received: finishing the current step" in child.stdout.readline()
            then(child)
            code = child.wait(timeout=SAFETY)
        finally:
            if child.poll() is None:
                child.kill()
        return code, child.stdout.read().splitlines()


def _go_on(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None
    child.stdin.write("go on\n")  # the step finishes
    child.stdin.flush()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_second_signal_stops_at_once_mid_step(signum: signal.Signals) -> None:
    """Seen: with a feed hanging, `leads schedule` took a minute to stop after Ctrl-C, and a
    second Ctrl-C changed nothing. The second ends the process at once, as a kill would."""
    code, rest = stopped_child(CHILD, signum, lambda child: child.send_signal(signum))

    assert code == 128 + signum  # the step still waited on its input
    assert rest == [
        f"log: {signum.name} received again: stopping at once, mid-step (what it committed is "
        "kept; the next run does the rest)"
    ]


BROKEN_ECHO_CHILD = CHILD.replace(
    "run_until_stopped(scheduler, stop)",
    "def broken(name, at_once):\n"
    "    raise OSError(5, 'Input/output error')  # the terminal a hang-up closed\n"
    "run_until_stopped(scheduler, stop, on_signal=broken)",
)


def test_a_stop_whose_echo_fails_still_finishes_the_step_and_exits_0() -> None:
    """Seen: after a hang-up closed the terminal, the stop's own line raised EIO inside the
    signal handler, and `leads schedule` ended with exit 1 instead of "Stopped."."""
    assert BROKEN_ECHO_CHILD != CHILD
    code, rest = stopped_child(BROKEN_ECHO_CHILD, signal.SIGHUP, _go_on)

    assert code == 0, rest
    assert rest == ["step finished, stop requested: True", "log: scheduler stopped",
                    "exited cleanly"]  # fmt: skip


def test_a_job_run_on_the_main_thread_leaves_its_signals_alone() -> None:
    """Only worker threads block the stop signals: the main thread must go on taking them."""
    assert threading.current_thread() is threading.main_thread()
    _leave_stop_signals_to_the_main_thread()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    assert signal.SIGTERM not in blocked and signal.SIGINT not in blocked
