"""``leads demo``: the whole pipeline, offline, on recorded real feeds.

Collect (bundled feeds served from 127.0.0.1) → dedupe → store → match → digest (to the
outbox folder, as .eml files), with networking events from a calendar written for the demo.

The recordings were captured between November 2022 and August 2026. Served as they are,
every job in them would be months or years old, and a digest that called them new would be a
lie; so the demo serves a copy of each recording with all its dates moved forward by the same
amount, as if it was captured the day before the demo runs. Jobs keep their ages relative to
each other, so one that was already stale when recorded is still stale (and not offered).
A calendar is moved by whole weeks, so that it reads as published (its DTSTAMP) about a day
before the demo and its events keep their weekday and time: they lie in the weeks ahead.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

from aggregator.checking import refuse_unusable_folder
from aggregator.core.config import AppConfig, load_config
from aggregator.core.errors import UsageError
from aggregator.core.models import EventSuggestion, RunReport, StoredMatch
from aggregator.loopback import serve_directory
from aggregator.stages import collect as collect_stage
from aggregator.stages import digest as digest_stage
from aggregator.stages import match as match_stage
from aggregator.stages.digest import DigestReport
from aggregator.stages.events import suggested_events
from aggregator.stages.match import MatchReport
from aggregator.store import Store
from aggregator.store.engine import empty_sqlite_database
from sources import build_source, option_models
from web.links import Links
from web.tokens import Holder

DEMO_DATA = Path(__file__).with_name("demo_data")
CONFIG_NAME = "config.yaml"
DATABASE_NAME = "leads.db"  # storage.url of demo_data/config.yaml
# The first line of the config the demo writes: how a later demo knows the folder as its own
# and may start it afresh. A mark in the file, unlike a time, survives copies and backups; a
# person who deletes it keeps a later demo from replacing the file and its database.
DEMO_MARK = ("# `leads demo` run again here starts afresh, replacing this file and leads.db: "
             "delete this line to keep them.")
# The database and what SQLite keeps beside it.
_BASE_URL_MARK = "__BASE_URL__"
TOP_SHOWN = 3
RECORDINGS = ("feeds", "boards", "events")
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
# iCalendar: when the calendar was published, the properties that hold a time of an event
# (a time zone's own definitions, inside VTIMEZONE, are left as they are), and their values.
_ICAL_STAMP = re.compile(rb"^DTSTAMP:(\d{8}T\d{6}Z?)\r?$", re.MULTILINE)
_ICAL_TIMED = re.compile(
    rb"(?:DTSTART|DTEND|DTSTAMP|DUE|RECURRENCE-ID|EXDATE|RDATE|CREATED|LAST-MODIFIED|RRULE)[;:]"
)
_ICAL_VALUE = re.compile(rb"(?<=[:,=])\d{8}(?:T\d{6}Z?)?(?=[,;\r\n]|$)")


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
    event_sources: frozenset[str]  # the names of the sources of networking events
    events: dict[str, list[EventSuggestion]]  # the events suggested to each mentee, by id

    def new(self, events: bool) -> int:
        """What the demo collected that was new: events, or postings."""
        return sum(outcome.new for outcome in self.report.sources
                   if (outcome.name in self.event_sources) == events)


def write_demo_config(output: Path, base_url: str) -> Path:
    """The demo's config.yaml in ``output``, its sources pointing at the loopback server."""
    output.mkdir(parents=True, exist_ok=True)
    for folder in ("network", "resumes"):  # the config names files in them
        shutil.copytree(DEMO_DATA / folder, output / folder, dirs_exist_ok=True)
    template = (DEMO_DATA / "config.yaml").read_text(encoding="utf-8")
    path = output / CONFIG_NAME
    text = f"{DEMO_MARK}\n{template.replace(_BASE_URL_MARK, base_url)}"
    path.write_text(text, encoding="utf-8")
    return path


def claim_output(output: Path) -> None:
    """A UsageError unless the demo may write into ``output``: a folder that is new, holds no
    config or database, or holds the demo's own (from an earlier `leads demo`)."""
    refuse_unusable_folder(output, "--output")
    if written_by_demo(output / CONFIG_NAME):
        return
    found = [name for name in (CONFIG_NAME, DATABASE_NAME) if (output / name).exists()]
    if found:
        raise UsageError(
            f"--output {output} holds a {' and a '.join(found)} that `leads demo` did not write",
            fix="pick an empty or new folder with --output (the demo would replace that "
            "config and add its recorded postings to that database)",
        )


def written_by_demo(config: Path) -> bool:
    """Whether ``config`` is a config the demo wrote: it starts with :data:`DEMO_MARK`."""
    if not config.is_file():
        return False
    try:
        with config.open(encoding="utf-8") as text:
            first = text.readline()
    except (OSError, UnicodeDecodeError):
        return False
    return first.rstrip("\r\n") == DEMO_MARK


def run_demo(
    output: Path,
    now: Callable[[], datetime],
    on_step: Callable[[str], object] = lambda step: None,
) -> DemoResult:
    """Serve the bundled feeds on 127.0.0.1, collect them into ``output``/leads.db, match.

    ``on_step`` hears what is being done ("collecting …"), for a progress display."""
    claim_output(output)
    # An earlier demo's database is emptied, so every run collects, matches and writes the
    # same digests, as the README's quickstart says (the web key stays: links keep working).
    # Emptied in place, not deleted: a `leads serve` still running on it shows the new one.
    empty_sqlite_database(output / DATABASE_NAME)
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
        event_sources = frozenset(s.name for s in config.sources if build_source(s).events)
        try:
            on_step(f"collecting {len(config.sources) - len(event_sources)} recorded feeds and "
                    "job boards, and a calendar")
            report = collect_stage.collect(config, store, lambda: moment)
            stored = sum(store.posting_counts().values())
            on_step(f"matching {stored} postings to {len(config.mentees)} mentees")
            matched = match_stage.match(config, store, lambda: moment)
            best: dict[str, list[StoredMatch]] = {}
            for found in store.matches():
                best.setdefault(found.mentee, []).append(found)
            events = suggested_events(config, store, moment, list(config.mentees))
            on_step("writing the digests")
            digests = digest_stage.deliver(config, store, lambda: moment)
            issuer = Links(config, store)
            links = {m.id: issuer.url(Holder.MENTEE, m.id, moment) for m in config.mentees}
        finally:
            store.close()
    top = {mentee: found[:TOP_SHOWN] for mentee, found in best.items()}
    return DemoResult(
        config, report, stored, matched, top, digests, links, event_sources, events
    )


def as_captured_before(recording: bytes, now: datetime) -> bytes:
    """The recording with every date moved forward by the same whole number of seconds, so
    that its newest date falls ``CAPTURED_BEFORE`` before ``now`` (a recording without dates,
    or one already that recent, is returned as it is); a calendar as
    :func:`_calendar_published_before` moves it."""
    if recording.lstrip().startswith(b"BEGIN:VCALENDAR"):
        return _calendar_published_before(recording, now)
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


def _calendar_published_before(calendar: bytes, now: datetime) -> bytes:
    """The calendar with every event time moved forward by the same whole number of weeks:
    the number that brings its newest DTSTAMP nearest to ``CAPTURED_BEFORE`` before ``now``."""
    stamps = [_read_ical(found) for found in _ICAL_STAMP.findall(calendar)]
    if not stamps:
        return calendar
    weeks = round((now - CAPTURED_BEFORE - max(stamps)) / timedelta(weeks=1))
    if weeks <= 0:
        return calendar
    shift = timedelta(weeks=weeks)
    lines, in_zone = [], False
    for line in calendar.splitlines(keepends=True):
        if line.startswith((b"BEGIN:VTIMEZONE", b"END:VTIMEZONE")):
            in_zone = line.startswith(b"BEGIN")
        elif not in_zone and _ICAL_TIMED.match(line):
            line = _ICAL_VALUE.sub(lambda m: _shift_ical(m.group(), shift), line)
        lines.append(line)
    return b"".join(lines)


def _read_ical(text: bytes) -> datetime:
    return _aware(datetime.strptime(text.decode()[:15], "%Y%m%dT%H%M%S"))


def _shift_ical(text: bytes, shift: timedelta) -> bytes:
    # A date, or a date and time, keeps its form (and its "Z", if it had one).
    if len(text) == 8:
        return (datetime.strptime(text.decode(), "%Y%m%d") + shift).strftime("%Y%m%d").encode()
    return (_read_ical(text) + shift).strftime("%Y%m%dT%H%M%S").encode() + text[15:]


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
