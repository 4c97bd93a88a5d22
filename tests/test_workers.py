"""The parse pool: worker processes for many sources, immune to the stop signals."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from aggregator.core.processes import process_alive
from aggregator.core.workers import PROCESS_POOL_THRESHOLD, CpuPool


def stop_signal_handlers() -> tuple[int, object, object]:
    return os.getpid(), signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="on one core the pool is a thread")
def test_worker_processes_leave_sigint_and_sigterm_to_the_main_process() -> None:
    pool = CpuPool(jobs=PROCESS_POOL_THRESHOLD)
    try:
        pid, on_interrupt, on_terminate = asyncio.run(pool.run(stop_signal_handlers))
    finally:
        pool.close()
    assert pid != os.getpid()  # it ran in a worker process
    assert on_interrupt == on_terminate == signal.SIG_IGN


def test_few_sources_are_parsed_in_a_thread_of_this_process() -> None:
    pool = CpuPool(jobs=PROCESS_POOL_THRESHOLD - 1)
    try:
        pid, _, _ = asyncio.run(pool.run(stop_signal_handlers))
    finally:
        pool.close()
    assert pid == os.getpid()


def test_a_pool_that_parses_nothing_starts_no_process() -> None:
    pool = CpuPool(jobs=PROCESS_POOL_THRESHOLD * 4)
    pool.close()
    assert pool._executor is None  # a run of 304s parses nothing: no worker, no fork server


# The main process of a run, as a script: it starts the pool's workers, names them, then
# waits to be killed. (__main__ guarded: the fork server imports it.)
KILLED_RUN = textwrap.dedent(
    """\
    import asyncio, os, sys
    from aggregator.core.workers import PROCESS_POOL_THRESHOLD, CpuPool

    async def run(pool):
        await pool.run(os.getpid)
        print(" ".join(map(str, pool._executor._processes)), flush=True)
        sys.stdin.read()

    if __name__ == "__main__":
        asyncio.run(run(CpuPool(jobs=PROCESS_POOL_THRESHOLD)))
    """
)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="on one core the pool is a thread")
def test_workers_end_with_a_main_process_that_was_killed(tmp_path: Path) -> None:
    """Seen: `leads run` killed mid-collect (SIGKILL, or `timeout` signalling it alone) left
    its workers, deaf to SIGTERM, waiting for work for ever: three processes and 137 MB more
    with each killed run."""
    script = tmp_path / "run.py"
    script.write_text(KILLED_RUN, encoding="utf-8")
    with subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as main:  # fmt: skip
        assert main.stdout is not None
        workers = [int(pid) for pid in main.stdout.readline().split()]
        assert workers and all(process_alive(pid) for pid in workers)
        main.kill()
    deadline = time.monotonic() + 60  # a safety net: they go within a second or so
    while any(process_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(process_alive(pid) for pid in workers)
