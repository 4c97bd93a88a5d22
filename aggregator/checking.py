"""`leads check`: is the setup ready? The store, delivery, mentors' networks, mentees'
résumés, the web key, the log file and every source.

A check changes nothing: sources are fetched and parsed but no posting is stored, and the
stored validators are sent, so an unchanged feed answers 304 as it would in a run (its item
count then comes from the last run). SMTP is logged in to and left without sending.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from ssl import SSLContext

from aggregator.core import eventloop
from aggregator.core.config import AppConfig
from aggregator.core.errors import (
    ConfigError,
    DeliveryError,
    FetchError,
    SourceError,
    StoreError,
    UsageError,
)
from aggregator.core.fetching import Fetcher
from aggregator.core.models import FetchStatus, SourceState
from aggregator.core.wording import counted
from aggregator.core.workers import CpuPool
from aggregator.stages.collect import state_for_run
from aggregator.stages.resumes import read_resume
from aggregator.store import SCHEMA_VERSION, Store
from aggregator.store.engine import shown_url, sqlite_file
from digests.network import network_of
from digests.senders import SmtpSender
from sources import CollectContext, Source, build_source
from sources.base import collect_in_time
from web.tokens import load_keyring

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class PartCheck:
    """One part of the setup other than a source: the store, delivery, a mentor's network."""

    part: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class SourceCheck:
    """What fetching one source once showed."""

    name: str
    type: str
    status: FetchStatus
    detail: str  # one line: what the fetch gave, or why it failed
    reachable: bool | None = None  # None: not fetched (disabled, or skipped by the source)
    items: int | None = None  # postings or events it returned (for a 304: at the last run)

    @property
    def ok(self) -> bool:
        """True unless the source failed."""
        return self.status is not FetchStatus.FAILED


@dataclass(slots=True)
class CheckReport:
    """Everything `leads check` found."""

    parts: list[PartCheck] = field(default_factory=list)
    sources: list[SourceCheck] = field(default_factory=list)
    # Enabled sources that failed their last runs in a row (SourceState.failing): flagged
    # whatever this one fetch shows, since an outage that long needs a person.
    failing: list[SourceState] = field(default_factory=list)

    @property
    def failures(self) -> list[PartCheck | SourceCheck]:
        """The parts and sources that failed."""
        return [p for p in self.parts if not p.ok] + [s for s in self.sources if not s.ok]

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures


def check_setup(
    config: AppConfig, now: Clock, *, ssl_context: SSLContext | None = None
) -> CheckReport:
    """Check the store, delivery, mentors' network files and every source of a loaded config.

    ``ssl_context`` is what SMTP trusts (default: the system's certificate authorities).
    """
    report = CheckReport(parts=[_config_summary(config)])
    store_part, states = _check_store(config)
    report.parts.append(store_part)
    delivery, sources = eventloop.run(_check_concurrently(config, states, now, ssl_context))
    report.parts.append(delivery)
    report.parts.extend(check_networks(config))
    report.parts.extend(check_resumes(config))
    report.parts.extend(check_web_key(config))
    report.parts.extend(check_log_file(config))
    report.sources = sources
    enabled = {o.name for o in config.enabled_sources()}
    report.failing = [s for s in states.values() if s.failing and s.name in enabled]
    return report


async def _check_concurrently(
    config: AppConfig,
    states: Mapping[str, SourceState],
    now: Clock,
    ssl_context: SSLContext | None,
) -> tuple[PartCheck, list[SourceCheck]]:
    """Delivery (blocking smtplib, in a thread) while the sources are fetched."""
    delivery = asyncio.to_thread(check_delivery, config, ssl_context)
    return await asyncio.gather(delivery, check_sources(config, states, now))


def _config_summary(config: AppConfig) -> PartCheck:
    """The config's counts, and what a run of it would not do yet (a config `leads init`
    wrote has no source, and may have no mentee): not a failure, but `leads run` would
    quietly do nothing."""
    enabled = len(config.enabled_sources())
    detail = (
        f"{config.path}: {counted(len(config.sources), 'source')} ({enabled} enabled), "
        f"{counted(len(config.mentors), 'mentor')}, {counted(len(config.mentees), 'mentee')}"
    )
    if not enabled:
        detail += "; nothing to collect yet: add a source with `leads add-source URL`"
    if not config.mentees:
        detail += "; nothing to match or send yet: add mentees under `mentees:`"
    return PartCheck("config", True, detail)


def _check_store(config: AppConfig) -> tuple[PartCheck, dict[str, SourceState]]:
    """Open the store (a SQLite file not yet there is left uncreated); its counts, and the
    source states for conditional GETs."""
    url = config.database_url
    shown = shown_url(url)
    missing = _missing_sqlite_file(url)
    if missing is not None:
        if not missing.parent.is_dir():
            problem = f"folder {missing.parent} missing — create it, or change storage.url"
            return PartCheck("store", False, f"{shown}: {problem}"), {}
        return PartCheck("store", True, f"{shown}: not created yet (the first run creates it)"), {}
    try:
        store = Store.of(config)
    except StoreError as exc:
        return PartCheck("store", False, str(exc)), {}
    try:
        postings = sum(store.posting_counts().values())
        leads, _ = store.lead_count()
        states = {s.name: s for s in store.source_states()}
    finally:
        store.close()
    detail = f"{shown}: schema {SCHEMA_VERSION}, {postings} postings, {leads} leads"
    return PartCheck("store", True, detail), states


def _missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL when it does not exist yet (a check must not create it)."""
    path = sqlite_file(url)
    return None if path is None or path.exists() else path


def check_delivery(config: AppConfig, ssl_context: SSLContext | None = None) -> PartCheck:
    """SMTP: log in (no message is sent); file delivery: the outbox can be written."""
    smtp = config.delivery.smtp
    if config.delivery.method == "file" or smtp is None:
        return check_outbox(config.outbox_dir)
    try:
        SmtpSender(smtp, ssl_context=ssl_context).verify()
    except DeliveryError as exc:
        return PartCheck("delivery", False, str(exc))
    done = "login ok" if smtp.username else "connection ok (no username: no login)"
    return PartCheck("delivery", True, f"SMTP {smtp.host}:{smtp.port} {done}")


def check_outbox(directory: Path) -> PartCheck:
    """The outbox folder (or the folder it will be created in) takes a file."""
    problem = folder_problem(directory)
    if problem:
        detail = f"outbox {directory}: {problem} — make delivery.outbox a writable folder"
        return PartCheck("delivery", False, detail)
    later = "" if directory.is_dir() else " (created with the first digest)"
    return PartCheck("delivery", True, f"outbox {directory} writable{later}")


def folder_problem(folder: Path) -> str | None:
    """Why files cannot be written in ``folder`` (created when missing), or None when they can.

    Tried with a temporary file that is gone at once, so a check leaves nothing behind."""
    existing = next(p for p in (folder, *folder.parents) if p.exists() or p.is_symlink())
    if not existing.is_dir():
        return f"{existing} is not a folder"
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        return f"cannot write in {existing} ({exc.strerror or exc})"
    return None


def refuse_unusable_folder(folder: Path, flag: str) -> None:
    """A UsageError naming the command-line ``flag`` when no file can be written in
    ``folder`` (a file stands there, or this user may not write there)."""
    problem = folder_problem(folder)
    if problem is not None:
        raise UsageError(
            f"{flag} {folder}: {problem}",
            fix=f"give {flag} a folder this user can write (a missing one is created)",
        )


def check_log_file(config: AppConfig) -> list[PartCheck]:
    """`logging.file`, when set, can be appended to (or created); nothing is written to it."""
    path = config.log_file
    if path is None:
        return []
    problem = folder_problem(path.parent)
    # (A folder at the path itself is refused when the config is loaded.)
    if problem is None and path.exists() and not os.access(path, os.W_OK):
        problem = "this user cannot write to it"
    if problem:
        detail = f"{path}: {problem} — make logging.file a file this user can write"
        return [PartCheck("log file", False, detail)]
    return [PartCheck("log file", True, f"{path} writable")]


def check_web_key(config: AppConfig) -> list[PartCheck]:
    """The key private links are made from can be read, when it exists (the first `leads
    links` or digest creates it; a check must not)."""
    path = config.web_secret_path
    if not (path.exists() or path.is_symlink()):
        return []
    try:
        load_keyring(path)
    except ConfigError as exc:  # it names no file of its own: the key is the setting
        return [PartCheck("web key", False, f"web.secret_file: {exc.reason} — {exc.fix}")]
    return [PartCheck("web key", True, f"{path} readable")]


def check_resumes(config: AppConfig) -> list[PartCheck]:
    """Each mentee's résumé file gives text to match on, as `leads match` will read it."""
    parts = []
    for mentee in config.mentees:
        if not mentee.resume:
            continue
        part = f"résumé of {mentee.id}"
        try:
            words = len(read_resume(Path(mentee.resume)).split())
        except ConfigError as exc:
            parts.append(PartCheck(part, False, str(exc)))
            continue
        parts.append(PartCheck(part, True, f"{mentee.resume}: {counted(words, 'word')}"))
    return parts


def check_networks(config: AppConfig) -> list[PartCheck]:
    """Each mentor's LinkedIn export can be read (inline contact lists need no check)."""
    parts = []
    for mentor in config.mentors:
        if not isinstance(mentor.network, str):
            continue
        part = f"network of {mentor.id}"
        try:
            contacts = network_of(mentor, config.directory)
        except ConfigError as exc:
            parts.append(PartCheck(part, False, str(exc)))
            continue
        parts.append(PartCheck(part, True, f"{mentor.network}: {len(contacts)} contacts"))
    return parts


async def check_sources(
    config: AppConfig, states: Mapping[str, SourceState], now: Clock
) -> list[SourceCheck]:
    """Fetch and parse every enabled source once, concurrently; store nothing."""
    enabled = config.enabled_sources()
    pool = CpuPool(jobs=len(enabled))
    try:
        async with Fetcher(config.http) as fetcher:
            context = CollectContext(fetcher=fetcher, pool=pool, now=now)
            checked = await asyncio.gather(
                *(_check_source(build_source(o), context, states.get(o.name)) for o in enabled)
            )
    finally:
        pool.close()
    by_name = {c.name: c for c in checked}
    return [
        by_name.get(o.name)
        or SourceCheck(o.name, o.type, FetchStatus.SKIPPED, "disabled (enabled: false)")
        for o in config.sources
    ]


async def _check_source(
    source: Source, context: CollectContext, stored: SourceState | None
) -> SourceCheck:
    options = source.options
    state = state_for_run(stored or SourceState(name=options.name), options)

    def failed(reason: str, reachable: bool | None) -> SourceCheck:
        return SourceCheck(options.name, options.type, FetchStatus.FAILED, reason, reachable)

    try:
        collected = await collect_in_time(source, context, state)
    except FetchError as exc:
        return failed(str(exc), reachable=False)
    except SourceError as exc:  # fetched, but not what this source type reads
        return failed(str(exc), reachable=True)
    except Exception as exc:  # a bug in one source's code must not hide the other results
        log.exception("unexpected error in source %s", options.name)
        reason = f"internal error ({type(exc).__name__}: {exc}); please report it with the log"
        return failed(reason, reachable=None)
    moved = f"; moved permanently to {collected.moved_to}" if collected.moved_to else ""
    if collected.skipped:
        detail = f"skipped: {collected.skipped}"
        return SourceCheck(options.name, options.type, FetchStatus.SKIPPED, detail)
    if collected.not_modified:
        detail = f"not modified since the last run (304){moved}"
        status, items = FetchStatus.NOT_MODIFIED, state.last_item_count
    else:
        note = f"; {collected.note}" if collected.note else ""
        found = len(collected.postings) + len(collected.events)  # a source gives one kind
        detail, status, items = f"fetched{moved}{note}", FetchStatus.OK, found
    return SourceCheck(options.name, options.type, status, detail, True, items)
