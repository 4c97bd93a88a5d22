"""``leads demo``: the whole pipeline, offline, on recorded real feeds.

Collect (bundled feeds served from 127.0.0.1) → dedupe → store → match → digest (to the
outbox folder, as .eml files).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aggregator.core.config import AppConfig, load_config
from aggregator.core.models import RunReport, StoredMatch
from aggregator.loopback import serve_directory
from aggregator.stages import collect as collect_stage
from aggregator.stages import digest as digest_stage
from aggregator.stages import match as match_stage
from aggregator.stages.digest import DigestReport
from aggregator.stages.match import MatchReport
from aggregator.store import Store
from sources import option_models

DEMO_DATA = Path(__file__).with_name("demo_data")
_BASE_URL_MARK = "__BASE_URL__"
TOP_SHOWN = 3


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo did, for the CLI to tell."""

    config: AppConfig
    report: RunReport
    stored: int
    matched: MatchReport
    best: dict[str, list[StoredMatch]]  # the top matches per mentee id
    digests: DigestReport


def write_demo_config(output: Path, base_url: str) -> Path:
    """The demo's config.yaml in ``output``, its sources pointing at the loopback server."""
    output.mkdir(parents=True, exist_ok=True)
    for folder in ("network", "resumes"):  # the config names files in them
        shutil.copytree(DEMO_DATA / folder, output / folder, dirs_exist_ok=True)
    template = (DEMO_DATA / "config.yaml").read_text(encoding="utf-8")
    path = output / "config.yaml"
    path.write_text(template.replace(_BASE_URL_MARK, base_url), encoding="utf-8")
    return path


def run_demo(output: Path, now: Callable[[], datetime]) -> DemoResult:
    """Serve the bundled feeds on 127.0.0.1, collect them into ``output``/leads.db, match."""
    with serve_directory(DEMO_DATA) as base_url:
        config = load_config(write_demo_config(output, base_url), option_models())
        store = Store(config.database_url)
        try:
            report = collect_stage.collect(config, store, now)
            stored = sum(store.posting_counts().values())
            matched = match_stage.match(config, store, now)
            best: dict[str, list[StoredMatch]] = {}
            for found in store.matches():
                best.setdefault(found.mentee, []).append(found)
            digests = digest_stage.deliver(config, store, now)
        finally:
            store.close()
    top = {mentee: found[:TOP_SHOWN] for mentee, found in best.items()}
    return DemoResult(config, report, stored, matched, top, digests)
