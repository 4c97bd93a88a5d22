"""``leads …``: the command-line interface, the only part of mentor-leads that prints.

Each command group lives in its own module and registers its commands on the shared ``app``
(``_common``) when imported; importing them all here makes ``leads`` whole.
"""

from __future__ import annotations

import gc

from aggregator.cli import (
    collect,
    database,
    demo,
    digest,
    events,
    matching,
    prep,
    run,
    setup,
    web,
)
from aggregator.cli._common import app

__all__ = [
    "app", "collect", "database", "demo", "digest", "events", "main", "matching", "prep", "run",
    "setup", "web",
]


def main() -> None:
    """Entry point of the ``leads`` console script."""
    # What is imported by now lives as long as the process: keep it out of the collector's
    # scans, which also spares the full collection at exit (a fifth of a second of a cron
    # run that finds nothing new).
    gc.freeze()
    app()
