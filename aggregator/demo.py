"""``leads demo``: the whole pipeline, offline, on recorded real feeds.

Collect (bundled feeds served from 127.0.0.1) → dedupe → store → match → digest (to the
outbox folder, as .eml files).

The recordings were captured between November 2022 and August 2026. Served as they are,
every job in them would be months or years old, and a digest that called them new would be a
lie; so the demo serves a copy of each recording with all its dates moved forward by the same
amount, as if it was captured the day before the demo runs. Jobs keep their ages relative to
each other, so one that was already stale when recorded is still stale (and not offered).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
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
from web.links import Links
from web.tokens import Holder

DEMO_DATA = Path(__file__).with_name("demo_data")
_BASE_URL_MARK = "__BASE_URL__"
TOP_SHOWN = 3
RECORDINGS = ("feeds", "boards")
RECORDED_BETWEEN = "Nov 2022 and Aug 2026"  # the capture dates in demo_data/SOURCES.md
CAPTURED_BEFORE = timedelta(days=1)  # how long before the demo a recording seems captured

# The date forms the recordings use: RSS's RFC 822 dates, ISO 8601 in the board APIs, and
# Lever's milliseconds since the epoch.
_RFC822 = re.compile(
    rb"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d "
    rb"(?:[+-]\d{4}|GMT|UT|Z)"
)
_ISO8601 = re.compile(
    rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)?"
)
_EXPIRY = re.compile(rb"expir|valid", re.IGNORECASE)  # a field name just before an expiry date
_EPOCH_MS = re.compile(rb'(?<="createdAt": )\d{13}\b|(?<="createdAt":)\d{13}\b')


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo did, for the CLI to tell."""

    config: AppConfig
    report: RunReport
    stored: int
    matched: MatchReport
    best: dict[str, list[StoredMatch]]  # the top matches per mentee id
    digests: DigestReport
    links: dict[str, str]  # each mentee's private link to their web page, by mentee id


def write_demo_config(output: Path, base_url: str) -> Path:
    """The demo's config.yaml in ``output``, its sources pointing at the loopback server."""
    output.mkdir(parents=True, exist_ok=True)
    for folder in ("network", "resumes"):  # the config names files in them
        shutil.copytree(DEMO_DATA / folder, output / folder, dirs_exist_ok=True)
    template = (DEMO_DATA / "config.yaml").read_text(encoding="utf-8")
    path = output / "config.yaml"
    path.write_text(template.replace(_BASE_URL_MARK, base_url), encoding="utf-8")
    return path


def run_demo(
    output: Path,
    now: Callable[[], datetime],
    on_step: Callable[[str], object] = lambda step: None,
) -> DemoResult:
    """Serve the bundled feeds on 127.0.0.1, collect them into ``output``/leads.db, match.

    ``on_step`` hears what is being done ("collecting …"), for a progress display."""
    # One instant for the whole demo: the recordings' ages are fixed against it.
    moment = now()
    served = output / "recordings"
    for folder in RECORDINGS:
        for recording in sorted((DEMO_DATA / folder).iterdir()):
            target = served / folder / recording.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(as_captured_before(recording.read_bytes(), moment))
    with serve_directory(served) as base_url:
        config = load_config(write_demo_config(output, base_url), option_models())
        store = Store.of(config)
        try:
            on_step(f"collecting {len(config.sources)} recorded feeds and job boards")
            report = collect_stage.collect(config, store, lambda: moment)
            stored = sum(store.posting_counts().values())
            on_step(f"matching {stored} postings to {len(config.mentees)} mentees")
            matched = match_stage.match(config, store, lambda: moment)
            best: dict[str, list[StoredMatch]] = {}
            for found in store.matches():
                best.setdefault(found.mentee, []).append(found)
            on_step("writing the digests")
            digests = digest_stage.deliver(config, store, lambda: moment)
            issuer = Links(config, store)
            links = {m.id: issuer.url(Holder.MENTEE, m.id, moment) for m in config.mentees}
        finally:
            store.close()
    top = {mentee: found[:TOP_SHOWN] for mentee, found in best.items()}
    return DemoResult(config, report, stored, matched, top, digests, links)


def as_captured_before(recording: bytes, now: datetime) -> bytes:
    """The recording with every date moved forward by the same whole number of seconds, so
    that its newest date falls ``CAPTURED_BEFORE`` before ``now`` (a recording without dates,
    or one already that recent, is returned as it is)."""
    dates = list(_dates(recording))
    if not dates:
        return recording
    seconds = int((now - CAPTURED_BEFORE - max(dates)).total_seconds())
    if seconds <= 0:
        return recording
    shift = timedelta(seconds=seconds)
    recording = _RFC822.sub(lambda m: _shift_rfc822(m.group(), shift), recording)
    recording = _ISO8601.sub(lambda m: _shift_iso(m.group(), shift), recording)
    return _EPOCH_MS.sub(lambda m: str(int(m.group()) + seconds * 1000).encode(), recording)


def _dates(recording: bytes) -> Iterator[datetime]:
    """Every posting date in the recording (expiry dates, which lie ahead, are passed over)."""
    for pattern, read in ((_RFC822, _read_rfc822), (_ISO8601, _read_iso), (_EPOCH_MS, _read_ms)):
        for found in pattern.finditer(recording):
            if not _EXPIRY.search(recording, max(0, found.start() - 40), found.start()):
                yield read(found.group())


def _read_rfc822(text: bytes) -> datetime:
    return _aware(parsedate_to_datetime(text.decode()))


def _read_iso(text: bytes) -> datetime:
    return _aware(datetime.fromisoformat(text.decode()))


def _read_ms(text: bytes) -> datetime:
    return datetime.fromtimestamp(int(text) / 1000, UTC)


def _aware(moment: datetime) -> datetime:
    # A date without an offset is read as UTC, as the sources read it.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _shift_rfc822(text: bytes, shift: timedelta) -> bytes:
    return format_datetime(_read_rfc822(text) + shift).encode()


def _shift_iso(text: bytes, shift: timedelta) -> bytes:
    # Only the date and time change: the fraction of a second and the offset keep their form.
    moment = datetime.fromisoformat(text.decode()) + shift
    return moment.strftime("%Y-%m-%dT%H:%M:%S").encode() + text[19:]
