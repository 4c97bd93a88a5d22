"""Running CPU-heavy parsing off the event loop, on every core when there is enough to parse."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from contextvars import ContextVar
from typing import Any, TypeVar

from aggregator.core.processes import process_alive

T = TypeVar("T")

# Below this many sources, starting worker processes costs more than it saves.
PROCESS_POOL_THRESHOLD = 8
# Imported once by the fork server, before it forks the workers: what parsing needs, and
# dedupe (numpy, 0.15 s) for preparing postings for the store, else imported by every worker.
PRELOAD = ("__main__", "sources", "feedparser", "lxml.etree", "aggregator.core.dedupe")


# How often a worker looks whether the process it works for is still there.
OWNER_CHECK_SECONDS = 1.0


def start_worker(owner: int) -> None:
    """In a worker: leave SIGINT and SIGTERM to the main process, and end with it.

    Ctrl-C, and systemd stopping the service, signal every process of the group; the main
    process finishes its step (and then stops the workers), so a worker must not die under
    a parse it was given. But a main process that is killed (SIGKILL, or cron's `timeout`
    signalling it alone) stops no one: its workers, deaf to SIGTERM, would wait for work
    for ever, 40 MB each. So a worker watches its ``owner`` and exits once it is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(owner,), name="owner-watch", daemon=True).start()


def _end_with(owner: int) -> None:
    while process_alive(owner):
        time.sleep(OWNER_CHECK_SECONDS)
    os._exit(0)  # nothing of the worker's is half written: its results go back by pipe


class ReadingTime:
    """How long one source's bodies have been read (parsed) so far, in seconds: set as
    ``READING`` around a source's collect, so a deadline it misses can say whether the
    server or the reading took the time."""

    def __init__(self) -> None:
        self._spent = 0.0
        self._since = 0.0
        self._reading = 0  # reads under way: a source may parse pages side by side

    def so_far(self) -> float:
        """Seconds during which something was read, a read still under way included."""
        running = time.monotonic() - self._since if self._reading else 0.0
        return self._spent + running

    def start(self) -> None:
        if not self._reading:
            self._since = time.monotonic()
        self._reading += 1

    def stop(self) -> None:
        self._reading -= 1
        if not self._reading:
            self._spent += time.monotonic() - self._since


# The reading time of the source whose collect is running in this task (None outside one).
READING: ContextVar[ReadingTime | None] = ContextVar("reading_time", default=None)


class CpuPool:
    """Runs parse functions in worker processes (many sources) or a thread (few)."""

    def __init__(self, jobs: int, preload: tuple[str, ...] = PRELOAD) -> None:
        cores = os.cpu_count() or 1
        self._preload = preload
        self._workers = min(cores, jobs) if jobs >= PROCESS_POOL_THRESHOLD and cores > 1 else 0
        self._executor: Executor | None = None

    def _processes(self) -> Executor:
        # Started on the first parse, not before: a run where every feed answers 304 parses
        # nothing and should not pay for starting processes.
        if self._executor is None:
            # forkserver, not fork: forking a process with an event loop and threads is unsafe.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(list(self._preload))
            self._executor = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=context,
                initializer=start_worker,
                initargs=(os.getpid(),),
            )
        return self._executor

    @property
    def in_processes(self) -> bool:
        """True when functions run in worker processes, beside this one (not in a thread)."""
        return bool(self._workers)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` without blocking the event loop (timed in ``READING``)."""
        reading = READING.get()
        if reading is not None:
            reading.start()
        try:
            if not self._workers:
                return await asyncio.to_thread(function, *args)
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._processes(), function, *args)
        finally:
            if reading is not None:
                reading.stop()

    def close(self) -> None:
        """Stop the worker processes."""
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None
