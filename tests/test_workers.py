"""The parse pool: worker processes for many sources, immune to the stop signals."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

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
