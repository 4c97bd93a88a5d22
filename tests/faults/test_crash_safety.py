"""SIGKILLed `leads run` / `leads digest` processes, then a run to completion: every digest
delivered once, the database intact (tests/faults/crashes.py). A reduced count here; the full
loop (at least 30 kills) is `benchmarks/faults.py --crashes`."""

from __future__ import annotations

import random
from pathlib import Path

from test_run import feed_server, mail_sink

from faults.crashes import CrashFigures, crash_round

SEED = 11
KILLS = 3


def test_killed_anywhere_every_digest_is_delivered_once(tmp_path: Path) -> None:
    figures = CrashFigures()
    rng = random.Random(SEED)
    with feed_server() as feeds, mail_sink() as (sink, port):
        crash_round(tmp_path, feeds, sink, port, rng, KILLS, figures)
    assert sum(figures.kills.values()) == KILLS, figures
    assert figures.duplicate_deliveries == 0
    assert figures.digests == 10
