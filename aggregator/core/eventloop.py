"""The event loop every async part of a run shares: uvloop where it is installed.

A cron ``leads collect`` that finds nothing new is a few hundred conditional GETs, and much of
its CPU is the event loop's own bookkeeping around each one; uvloop (already installed for
the web server, except on Windows) does that bookkeeping in C. Where it is missing, asyncio's
own loop does the same work, only slower.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's loop maker if uvloop can be imported, else asyncio's default one."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the loop :func:`loop_factory` makes."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
