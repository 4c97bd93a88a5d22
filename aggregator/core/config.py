"""Loading config.yaml strictly: unknown keys, wrong types and dangling references stop the run.

Every error names the file, the line, the key path (``sources[3].url``) and a fix.
``${NAME}`` in any string is replaced by the environment variable NAME (``${NAME:-default}``
gives a fallback) and ``${file:PATH}`` by the text of that file (a systemd credential or a
container secret; PATH relative to the config's folder), so secrets stay out of the file.
"""

from __future__ import annotations

import difflib
import io
import ipaddress
import os
import re
import stat
import types
import typing
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

from aggregator.core.errors import ConfigError
from aggregator.core.models import (
    DEFAULT_REPOST_WINDOW_DAYS,
    EmailAddress,
    Mentee,
    MenteeProfile,
    Mentor,
)
from aggregator.core.schedule_expressions import check_timezone, parse_schedule

DEFAULT_CONFIG_NAME = "config.yaml"
CONFIG_ENV_VAR = "LEADS_CONFIG"
USER_AGENT = "mentor-leads/0.1 (+https://github.com/mentor-leads/mentor-leads)"

_STRICT = ConfigDict(extra="forbid", frozen=True)
PositiveInt = Annotated[int, Field(ge=1)]
MAX_NODES = 100_000  # values any config may hold once its aliases are expanded, ...
MAX_EXPANSION = 10  # ... plus this many per container actually written
MAX_DEPTH = 100  # levels of nesting (a config has about five)
_DEEP_TEXT = 10_000  # characters: below this no text nests deep enough to crash libyaml
# ${NAME}, ${NAME:-default} or ${file:PATH}, replaced in one pass (no reference inside another).
_REFERENCE = re.compile(
    r"\$\{(?:file:(?P<file>[^}]+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?)\}"
)
MAX_SECRET_BYTES = 65_536  # a ${file:…} secret longer than this is a mistake

Loc = tuple[str | int, ...]


class StorageConfig(BaseModel):
    """Where postings and state are kept."""

    model_config = _STRICT
    url: str = "sqlite:///leads.db"
    pool_size: PositiveInt = 5  # connections each process keeps open to the database
    # seconds a statement may run on PostgreSQL before the server cancels it; None: no limit
    statement_timeout: Annotated[float, Field(gt=0)] | None = None
    # How long a collector's claim on a source (and a sender's on a digest) lasts unless its
    # process, while alive, renews it; a killed process's claims pass to another after this.
    lease_seconds: Annotated[float, Field(ge=0.5, le=60)] = 30


class HttpConfig(BaseModel):
    """How sources are fetched."""

    model_config = _STRICT
    timeout: Annotated[float, Field(gt=0)] = 20.0  # seconds for one request, body included
    concurrency: PositiveInt = 64  # requests in flight over all hosts
    per_host: PositiveInt = 4  # requests in flight to one host
    user_agent: str = USER_AGENT
    max_bytes: PositiveInt = 10_000_000  # per response, compressed and decompressed
    retries: Annotated[int, Field(ge=0, le=10)] = 2  # extra attempts on 429/5xx/network errors
    max_redirects: Annotated[int, Field(ge=0, le=20)] = 5
    max_retry_wait: Annotated[float, Field(ge=0)] = 60.0  # longest Retry-After honoured in a run
    # seconds for all requests of one source in a run: attempts, redirects and pages included
    source_deadline: Annotated[float, Field(gt=0)] = 120.0
    max_items: PositiveInt = 2_000  # postings stored per source per run; the rest are reported


class SmtpConfig(BaseModel):
    """An SMTP server to send digests through."""

    model_config = _STRICT
    host: str
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: str | None = None
    from_: str = Field(alias="from")
    timeout: Annotated[float, Field(gt=0)] = 30.0

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> SmtpConfig:
        if self.security == "none" and self.username and not is_loopback_host(self.host):
            raise ValueError(
                f"security: none would send the password for {self.username!r} in clear to "
                f"{self.host} — use security: starttls (port 587) or ssl (port 465); a login "
                "without encryption is allowed only to a loopback host (localhost, 127.0.0.1, ::1)"
            )
        return self


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine without DNS: localhost or a loopback address."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class DeliveryConfig(BaseModel):
    """How digests leave the machine."""

    model_config = _STRICT
    method: Literal["file", "smtp"] = "file"
    outbox: str = "outbox"  # directory for .eml files, relative to the config file
    smtp: SmtpConfig | None = None
    # The From address of digests sent as files (SMTP uses smtp.from).
    sender: str = "mentor-leads <leads@localhost>"

    @model_validator(mode="after")
    def _smtp_settings_given(self) -> DeliveryConfig:
        if self.method == "smtp" and self.smtp is None:
            raise ValueError(
                "method is smtp but there is no `smtp:` section — add delivery.smtp "
                "with at least `host` and `from`, or use method: file"
            )
        return self

    @property
    def from_address(self) -> str:
        """The From address of digests."""
        return self.smtp.from_ if self.method == "smtp" and self.smtp else self.sender


class DedupeConfig(BaseModel):
    """How the same job seen twice is recognised."""

    model_config = _STRICT
    # A job reposted (same company and title, or the same description) within this many days
    # of last being seen is the same lead, so mentees are not told about it again.
    repost_window_days: Annotated[int, Field(ge=0, le=3650)] = DEFAULT_REPOST_WINDOW_DAYS


DEFAULT_MAX_AGE_DAYS = 45
# A century: more is no limit at all, and past year 1 no date can be counted back (a traceback).
MAX_AGE_LIMIT_DAYS = 36_500


class MatchingConfig(BaseModel):
    """How postings are matched to mentees."""

    model_config = _STRICT
    min_score: Annotated[float, Field(ge=0, le=1)] = 0.1  # a mentee's own min_score wins
    keep: Annotated[int, Field(ge=1, le=10_000)] = 20  # matches stored per mentee per run
    # Older postings are never offered as new (an undated one ages from when it was first
    # seen); null lifts the limit.
    max_age_days: Annotated[int, Field(ge=1, le=MAX_AGE_LIMIT_DAYS)] | None = DEFAULT_MAX_AGE_DAYS


class EventsConfig(BaseModel):
    """Which networking events (from `ical` and `events_rss` sources) are suggested."""

    model_config = _STRICT
    horizon_days: Annotated[int, Field(ge=1, le=366)] = 30  # only events starting this soon
    per_mentee: Annotated[int, Field(ge=1, le=3)] = 3  # at most this many per mentee
    min_score: Annotated[float, Field(ge=0, le=1)] = 0.05  # how well the topic must fit
    radius_km: Annotated[float, Field(gt=0, le=500)] = 50  # "near" for events with coordinates


class ScheduleConfig(BaseModel):
    """When `leads schedule` (and the lines `leads cron` prints) collect and match."""

    model_config = _STRICT
    collect: str = "every 3h"  # a cron expression or a readable form (schedule_expressions)
    jitter: Annotated[int, Field(ge=0, le=3600)] = 300  # seconds of random delay per collection
    timezone: str = "UTC"  # the zone `collect` is read in (mentors' digests use their own)
    # A job that missed its time (the machine slept) still runs if it is at most this late;
    # missed runs are coalesced into one.
    misfire_grace_time: Annotated[int, Field(ge=1)] = 6 * 3600


class LoggingConfig(BaseModel):
    """Where unattended runs log."""

    model_config = _STRICT
    file: str | None = None  # a rotating log file, relative to the config file; None: stderr
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_bytes: PositiveInt = 5_000_000  # rotate when the file reaches this size
    backups: Annotated[int, Field(ge=0, le=100)] = 5  # rotated files kept


class WebConfig(BaseModel):
    """The mentees' web view (`leads serve`) and the links that lead to it."""

    model_config = _STRICT
    # Where `leads serve` is reached from outside, e.g. https://leads.example.org; links in
    # digests and `leads links` start with it. None: digests carry no links to the web view.
    base_url: Annotated[str, Field(pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")] | None = None
    # The key private links are derived from (created on first use, readable only by its
    # owner; relative to the config file). The database holds only hashes of the links.
    secret_file: str = "web.key"


# A source's name: it appears in commands (`--source NAME`), logs and file names.
SOURCE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class SourceOptions(BaseModel):
    """Settings every source has; each source type extends this with its own."""

    model_config = _STRICT
    name: Annotated[str, Field(min_length=1, pattern=SOURCE_NAME)]
    type: str
    url: str | None = None
    enabled: bool = True


class AppConfig(BaseModel):
    """The whole configuration, validated."""

    model_config = _STRICT
    path: Path = Path(DEFAULT_CONFIG_NAME)
    storage: StorageConfig = StorageConfig()
    http: HttpConfig = HttpConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    dedupe: DedupeConfig = DedupeConfig()
    matching: MatchingConfig = MatchingConfig()
    events: EventsConfig = EventsConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    logging: LoggingConfig = LoggingConfig()
    web: WebConfig = WebConfig()
    sources: tuple[SourceOptions, ...] = ()
    mentors: tuple[Mentor, ...] = ()
    mentees: tuple[Mentee, ...] = ()

    @property
    def directory(self) -> Path:
        """The folder relative paths in the config are resolved against."""
        return self.path.parent

    @property
    def database_url(self) -> str:
        """The storage URL with a relative SQLite path made relative to the config file."""
        return resolve_sqlite_url(self.storage.url, self.directory)

    @property
    def outbox_dir(self) -> Path:
        """The folder .eml digests are written to."""
        return self.directory / self.delivery.outbox

    @property
    def log_file(self) -> Path | None:
        """The rotating log file, when one is configured."""
        return self.directory / self.logging.file if self.logging.file else None

    @property
    def web_secret_path(self) -> Path:
        """The file holding the key private links are derived from."""
        return self.directory / self.web.secret_file

    @property
    def web_base_url(self) -> str | None:
        """web.base_url without a trailing slash, when set."""
        return self.web.base_url.rstrip("/") if self.web.base_url else None

    def mentees_of(self, mentor: Mentor) -> tuple[Mentee, ...]:
        """The mentees who name this mentor (by id or email)."""
        return self.mentees_by_mentor().get(mentor.id, ())

    def mentees_by_mentor(self) -> dict[str, tuple[Mentee, ...]]:
        """Every mentor's mentees, by mentor id (build it once when asking for many)."""
        by_key = {m.id: m.id for m in self.mentors} | {
            str(m.email).lower(): m.id for m in self.mentors
        }
        found: dict[str, list[Mentee]] = {}
        for mentee in self.mentees:
            mentor = by_key.get(mentee.mentor) or by_key.get(mentee.mentor.lower())
            if mentor is not None:
                found.setdefault(mentor, []).append(mentee)
        return {mentor: tuple(mentees) for mentor, mentees in found.items()}

    def enabled_sources(self) -> list[SourceOptions]:
        """The sources to collect."""
        return [s for s in self.sources if s.enabled]


def resolve_sqlite_url(url: str, base: Path) -> str:
    """``sqlite:///leads.db`` means leads.db beside the config, not in the working directory."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == "sqlite:///:memory:":
        return url
    path = Path(url.removeprefix(prefix))
    return url if path.is_absolute() else prefix + str((base / path).resolve())


def config_path(explicit: str | Path | None) -> Path:
    """The config file to use: --config, else $LEADS_CONFIG, else ./config.yaml."""
    return Path(explicit or os.environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_NAME)


def load_config(path: Path, source_types: Mapping[str, type[SourceOptions]]) -> AppConfig:
    """Read, check and return the configuration at ``path``.

    ``source_types`` maps each source ``type:`` to the options model that validates it; it is
    passed in so this module does not depend on the sources package.
    """
    document, tree = _read_data(path)
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise ConfigError(
            "the file must be a mapping of sections",
            file=str(path),
            fix="start with keys such as `sources:`, `mentors:` and `mentees:`",
        )
    data = _resolve_env(document, (), path, tree)
    sources = _validate_sources(data.pop("sources", None) or [], source_types, path, tree)
    try:
        config = AppConfig.model_validate({**data, "path": path.resolve(), "sources": ()})
    except ValidationError as exc:
        raise validation_to_config_error(exc, path, tree, (), AppConfig) from exc
    mentees = resolve_resumes(config.mentees, path, tree, ("mentees",))
    mentors = _check_mentors(config.mentors, path, tree)
    _check_schedule(config.schedule, path, tree)
    _check_storage(config.storage, path, tree)
    _check_log_file(config, path, tree)
    config = config.model_copy(
        update={"sources": tuple(sources), "mentees": mentees, "mentors": mentors}
    )
    _check_references(config, path, tree)
    return config


AnyMentee = TypeVar("AnyMentee", bound=MenteeProfile)


class _StandaloneMentee(MenteeProfile):
    """A mentee of a standalone file: an offline ranking needs no email and no mentor, but a
    file shared with the config may carry them."""

    email: EmailAddress | None = None
    mentor: str | None = None


class _MenteesFile(BaseModel):
    model_config = _STRICT
    mentees: tuple[_StandaloneMentee, ...]


def load_mentees(path: Path) -> tuple[MenteeProfile, ...]:
    """Mentees from a standalone ``{mentees: [...]}`` file, checked like the config's, except
    that ``email`` and ``mentor`` may be left out."""
    document, tree = _read_data(path)
    data = _resolve_env(document if document is not None else {}, (), path, tree)
    try:
        mentees = _MenteesFile.model_validate(data).mentees
    except ValidationError as exc:
        raise validation_to_config_error(exc, path, tree, (), _MenteesFile) from exc
    _check_unique("mentees", [m.id for m in mentees], path, tree)
    return resolve_resumes(mentees, path, tree, ("mentees",))


def resolve_resumes(
    mentees: tuple[AnyMentee, ...], path: Path, tree: Any, prefix: Loc
) -> tuple[AnyMentee, ...]:
    """Résumé paths made absolute (relative to the YAML file); a missing file is an error."""
    resolved = []
    for index, mentee in enumerate(mentees):
        if mentee.resume:
            resume = (path.parent / mentee.resume).resolve()
            if not resume.is_file():
                loc: Loc = (*prefix, index, "resume")
                raise _error_at(
                    path,
                    tree,
                    loc,
                    f"résumé file not found: {resume}",
                    fix="give a path relative to this YAML file, to a .txt, .md, .pdf or .docx",
                )
            mentee = mentee.model_copy(update={"resume": str(resume)})
        resolved.append(mentee)
    return tuple(resolved)


def _check_mentors(mentors: tuple[Mentor, ...], path: Path, tree: Any) -> tuple[Mentor, ...]:
    """Timezones and schedules are valid; network files exist (their paths made absolute)."""
    checked = []
    for index, mentor in enumerate(mentors):
        try:
            check_timezone(mentor.timezone)
        except ValueError as exc:
            raise _error_at(path, tree, ("mentors", index, "timezone"), str(exc)) from exc
        try:
            parse_schedule(mentor.digest.schedule)
        except ValueError as exc:
            loc: Loc = ("mentors", index, "digest", "schedule")
            raise _error_at(path, tree, loc, str(exc)) from exc
        if isinstance(mentor.network, str):
            network = (path.parent / mentor.network).resolve()
            if not network.is_file():
                raise _error_at(
                    path,
                    tree,
                    ("mentors", index, "network"),
                    f"network file not found: {network}",
                    fix="give the path (relative to this file) of a LinkedIn Connections.csv, "
                    "or list contacts inline as {name, email, company, position}",
                )
            mentor = mentor.model_copy(update={"network": str(network)})
        checked.append(mentor)
    return tuple(checked)


def _check_schedule(schedule: ScheduleConfig, path: Path, tree: Any) -> None:
    """The collection schedule and its timezone can be used."""
    for key, check in (("collect", parse_schedule), ("timezone", check_timezone)):
        try:
            check(getattr(schedule, key))
        except ValueError as exc:
            raise _error_at(path, tree, ("schedule", key), str(exc)) from exc


def _check_storage(storage: StorageConfig, path: Path, tree: Any) -> None:
    """The URL can be read, and the database outlives the process: an in-memory SQLite one
    would keep nothing between runs, and not even within one (each worker thread would see
    an empty database of its own)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(storage.url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is no number
        raise _error_at(
            path,
            tree,
            ("storage", "url"),
            "cannot be read as a database URL (not shown: it may hold a password)",
            fix="write it as sqlite:///leads.db or postgresql+psycopg://user:password@host:5432/"
            "name, with each '@', ':' or '/' of the password as %40, %3A, %2F",
        ) from exc
    if is_in_memory_sqlite(storage.url):
        raise _error_at(
            path,
            tree,
            ("storage", "url"),
            f"{storage.url!r} is an in-memory SQLite database, which keeps nothing after the run",
            fix="give a database file, e.g. sqlite:///leads.db (relative to this file)",
        )


def is_in_memory_sqlite(url: str) -> bool:
    """Whether ``url`` names a SQLite database that lives only in memory."""
    # Imported here: the collector's worker processes import this module, never load a config.
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return False  # not a URL at all: opening the store says so
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    return (
        database in ("", ":memory:")
        or database.startswith("file::memory:")
        or parsed.query.get("mode") == "memory"
    )


def _check_log_file(config: AppConfig, path: Path, tree: Any) -> None:
    """`logging.file` names a file: a folder there would fail every unattended run."""
    log_file = config.log_file
    if log_file is not None and log_file.is_dir():
        raise _error_at(
            path,
            tree,
            ("logging", "file"),
            f"{log_file} is a folder",
            fix="give the path of a log file, e.g. leads.log or logs/leads.log",
        )


class LazyLines:
    """The line numbers of a YAML text, parsed only when an error needs one.

    A config is read with the fast (C) safe loader; the round-trip parse that knows where
    each key is costs ten times as much and is only worth it for a message.
    """

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def tree(self) -> Any:
        """The round-trip tree, with a line for every key and item."""
        return YAML(typ="rt").load(self.text)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file keeping line numbers; syntax errors name the line."""
    return _bounded(_parse(_read_text(path), path, "rt"), path)


def _read_data(path: Path) -> tuple[Any, LazyLines]:
    """A YAML file's data (fast), and its line numbers for error messages (when asked)."""
    text = _read_text(path)
    lines = LazyLines(text)
    _check_depth(text, path)
    try:
        return _bounded(YAML(typ="safe").load(text), path), lines
    except YAMLError:
        # libyaml's grammar is YAML 1.1's and refuses some YAML 1.2 the round-trip parser
        # accepts (`{at: 07:00}`): that parser has the last word, and names the line.
        lines.tree = _bounded(_parse(text, path, "rt"), path)
        return lines.tree, lines


def _check_depth(text: str, path: Path) -> None:
    """Refuse nesting deeper than MAX_DEPTH before the C loader sees it: its composer
    recurses in C and crashes the process at some ten thousand levels. A text shorter than
    ``_DEEP_TEXT`` cannot nest that deep; a longer one is scanned (iteratively) first."""
    if len(text) < _DEEP_TEXT:
        return
    depth = 0
    try:
        for event in YAML(typ="safe").parse(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(path)
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except YAMLError:
        return  # a syntax error: the loaders below name its line


def _too_deep(path: Path) -> ConfigError:
    return ConfigError(
        f"the file nests more than {MAX_DEPTH} levels deep",
        file=str(path),
        fix="a config needs a handful of levels: check the brackets and indentation",
    )


def _bounded(document: Any, path: Path) -> Any:
    """``document``, unless its aliases expand it past reason (a "billion laughs" alias
    bomb: 500 bytes that every later step would copy into billions of nodes) or make it
    contain itself.

    The loaders share an aliased node rather than copy it, so this walk visits each
    distinct node once and adds up the size every reader of the data would see.
    """
    sizes: dict[int, int] = {}

    def size(node: Any, open_nodes: set[int]) -> int:
        if not isinstance(node, Mapping | list):
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if len(open_nodes) >= MAX_DEPTH:
            raise _too_deep(path)
        if key in open_nodes:
            raise ConfigError(
                "an alias refers to a node that contains it (a recursive structure)",
                file=str(path),
                fix="write the repeated part out, or alias only finished nodes",
            )
        open_nodes.add(key)
        children = [*node.keys(), *node.values()] if isinstance(node, Mapping) else node
        sizes[key] = 1 + sum(size(child, open_nodes) for child in children)
        open_nodes.discard(key)
        return sizes[key]

    expanded = size(document, set())
    if expanded > MAX_EXPANSION * (len(sizes) + 1) + MAX_NODES:
        raise ConfigError(
            f"aliases expand this file to {expanded:,} values from {len(sizes):,} written "
            "(an alias bomb?)",
            file=str(path),
            fix="write repeated parts out, or alias them fewer times",
        )
    return document


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ConfigError(
            "file not found",
            file=str(path),
            fix="pass --config PATH, set $LEADS_CONFIG, or copy the example config.yaml here",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file ({exc})", file=str(path)) from exc


def _parse(text: str, path: Path, kind: str) -> Any:
    """YAML text → data (``kind``: "safe", or "rt" to keep lines); errors name the line."""
    try:
        return YAML(typ=kind).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(
            f"invalid YAML: {exc.problem or exc.context}",
            file=str(path),
            line=line,
            fix="check the indentation and quoting on that line",
        ) from exc
    except YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=str(path)) from exc
    except RecursionError as exc:  # the round-trip constructor recurses per level
        raise _too_deep(path) from exc


def _resolve_env(node: Any, loc: Loc, path: Path, tree: Any) -> Any:
    """A plain copy of ``node`` with ``${NAME}`` references replaced from the environment."""
    if isinstance(node, Mapping):
        return {str(k): _resolve_env(v, (*loc, str(k)), path, tree) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_env(v, (*loc, i), path, tree) for i, v in enumerate(node)]
    if isinstance(node, str):
        return _REFERENCE.sub(lambda m: _reference_value(m, loc, path, tree), str(node))
    return node


def _reference_value(match: re.Match[str], loc: Loc, path: Path, tree: Any) -> str:
    if match.group("file") is not None:
        return _file_value(match.group("file"), loc, path, tree)
    name, default = match.group("name"), match.group("default")
    value = os.environ.get(name, default)
    if value is None:
        raise _error_at(
            path,
            tree,
            loc,
            f"environment variable {name} is not set",
            fix=f"export {name}=… before running, or write ${{{name}:-default}}",
        )
    return value


def _file_value(name: str, loc: Loc, path: Path, tree: Any) -> str:
    """The text of the secret file ``name`` (relative to the config's folder), without its
    final line break: how systemd credentials and container secrets hand passwords over."""
    secret = path.parent / name
    try:
        with secret.open("rb") as handle:
            data = handle.read(MAX_SECRET_BYTES + 1)
        if len(data) > MAX_SECRET_BYTES:
            raise ValueError(f"longer than {MAX_SECRET_BYTES} bytes")
        return data.decode("utf-8").removesuffix("\n").removesuffix("\r")
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise _error_at(
            path,
            tree,
            loc,
            f"cannot read the secret file {str(secret)!r} ({reason})",
            fix="check the path and that this user may read the file (mode 0600 or 0400)",
        ) from exc


def _validate_sources(
    entries: Any, source_types: Mapping[str, type[SourceOptions]], path: Path, tree: Any
) -> list[SourceOptions]:
    if not isinstance(entries, list):
        raise ConfigError(
            "must be a list of sources",
            file=str(path),
            key="sources",
            line=line_of(tree, ("sources",)),
            fix="write each source as `- name: …` on its own line",
        )
    sources: list[SourceOptions] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        loc: Loc = ("sources", index)
        options_type = _source_type(entry, loc, source_types, path, tree)
        try:
            options = options_type.model_validate(entry)
        except ValidationError as exc:
            raise validation_to_config_error(exc, path, tree, loc, options_type) from exc
        if options.name in seen:
            raise _error_at(
                path,
                tree,
                (*loc, "name"),
                f"duplicate source name {options.name!r} (also sources[{seen[options.name]}])",
                fix="give every source a unique name",
            )
        seen[options.name] = index
        sources.append(options)
    return sources


def _source_type(
    entry: Any, loc: Loc, source_types: Mapping[str, type[SourceOptions]], path: Path, tree: Any
) -> type[SourceOptions]:
    # Listing the known types may import every source module: only on the way to an error.
    if not isinstance(entry, Mapping) or "type" not in entry:
        raise _error_at(
            path,
            tree,
            loc,
            "a source needs a `type`",
            fix=f"add `type:` with one of: {', '.join(sorted(source_types))}",
        )
    kind = entry["type"]
    if kind not in source_types:
        hint = difflib.get_close_matches(str(kind), list(source_types), n=1)
        raise _error_at(
            path,
            tree,
            (*loc, "type"),
            f"unknown source type {kind!r}",
            fix=(f"did you mean {hint[0]!r}? " if hint else "")
            + f"known types: {', '.join(sorted(source_types))}",
        )
    return source_types[kind]


def _check_references(config: AppConfig, path: Path, tree: Any) -> None:
    """Ids are unique and every mentee names a configured mentor."""
    _check_unique("mentors", [m.id for m in config.mentors], path, tree)
    _check_unique("mentees", [m.id for m in config.mentees], path, tree)
    _check_mentor_keys(config.mentors, path, tree)
    mentor_keys = {m.id for m in config.mentors} | {str(m.email).lower() for m in config.mentors}
    for index, mentee in enumerate(config.mentees):
        if mentee.mentor.lower() not in mentor_keys and mentee.mentor not in mentor_keys:
            loc: Loc = ("mentees", index, "mentor")
            raise _error_at(
                path,
                tree,
                loc,
                f"no mentor with id or email {mentee.mentor!r}",
                fix="use the `id` or `email` of an entry under `mentors:`",
            )


def _check_mentor_keys(mentors: Sequence[Mentor], path: Path, tree: Any) -> None:
    """A mentee's `mentor:` names a mentor by id or email, so no two mentors may share an
    email, nor a mentor's id be another's email: the mentee would silently go to one."""
    emails: dict[str, int] = {}
    for index, mentor in enumerate(mentors):
        email = str(mentor.email).lower()
        if email in emails:
            raise _error_at(
                path, tree, ("mentors", index, "email"),
                f"{mentor.email} is also the email of mentor {mentors[emails[email]].id!r}",
                fix="give each mentor an email of their own",
            )  # fmt: skip
        emails[email] = index
    for index, mentor in enumerate(mentors):
        other = emails.get(mentor.id.lower(), index)
        if other != index:
            raise _error_at(
                path, tree, ("mentors", index, "id"),
                f"{mentor.id!r} is the email of mentor {mentors[other].id!r}",
                fix="choose an id that is no other mentor's email",
            )  # fmt: skip


def _check_unique(section: str, ids: list[str], path: Path, tree: Any) -> None:
    seen: set[str] = set()
    for index, ident in enumerate(ids):
        if ident in seen:
            loc: Loc = (section, index)
            raise _error_at(
                path,
                tree,
                loc,
                f"duplicate id {ident!r}",
                fix="give every entry a unique `id` (mentees default to a slug of the name)",
            )
        seen.add(ident)


# Keys whose values an error message must not repeat.
_SECRET_KEY = re.compile(r"password|passwd|secret|token|api_?key", re.IGNORECASE)


def validation_to_config_error(
    exc: ValidationError, path: Path, tree: Any, prefix: Loc, model: type[BaseModel]
) -> ConfigError:
    """Turn pydantic's complaint into a message that names the key and the fix.

    An unknown key comes first: a misspelt key usually also causes a "missing" error, and the
    misspelling is what the user has to fix. Of a value that may take several shapes (a
    mentor's network: a file name or a list of contacts), the complaint of the shape that
    was read furthest is the one that fits what was written, and the shapes' names are no keys.
    """
    error = min(exc.errors(), key=lambda e: (e["type"] != "extra_forbidden", -len(e["loc"])))
    loc = _written(tree, (*prefix, *error["loc"]))
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[len(prefix) :])
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        reason = f"unknown key {loc[-1]!r}"
        fix = (
            (f"did you mean {hint[0]!r}? " if hint else "") + "allowed keys: " + ", ".join(allowed)
        )
        return ConfigError(
            reason, file=str(path), key=format_loc(loc), line=line_of(tree, loc), fix=fix
        )
    if kind == "missing":
        return _error_at(
            path,
            tree,
            loc,
            "required key is missing",
            fix=f"add `{loc[-1]}:` here",
            line_at=loc[:-1],
        )
    if kind == "value_error":  # our own validators already say what to do
        return _error_at(
            path,
            tree,
            loc,
            str(error["msg"]).removeprefix("Value error, "),
        )
    got = error.get("input")
    secret = _SECRET_KEY.search(str(loc[-1])) is not None if loc else False
    shown = "" if secret or isinstance(got, Mapping | list) else f" (got {got!r})"
    return _error_at(
        path,
        tree,
        loc,
        f"{error['msg']}{shown}",
        fix="correct the value",
    )


def _written(tree: Any, loc: Loc) -> Loc:
    """``loc`` without the names pydantic gives the members of a union ("constrained-str",
    "tuple[Contact, ...]"): only the keys and indexes of the YAML ``tree`` (and a last key
    that is missing from it)."""
    kept: list[str | int] = []
    node = tree.tree if isinstance(tree, LazyLines) else tree
    for at, part in enumerate(loc):
        in_mapping = isinstance(node, Mapping) and part in node
        if in_mapping or (isinstance(node, list) and isinstance(part, int) and part < len(node)):
            node = node[part]
        elif at < len(loc) - 1 or not isinstance(node, Mapping):
            continue  # a union member's name, not a key of the file
        kept.append(part)
    return tuple(kept)


def _allowed_keys(root: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the model at ``loc`` accepts, to suggest the one that was meant."""
    model: type[BaseModel] | None = root
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        model = _model_in(field.annotation) if field else None
    if model is None:
        return []
    return sorted((f.alias or name) for name, f in model.model_fields.items() if name != "path")


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The BaseModel inside an annotation such as ``tuple[Mentee, ...]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _error_at(
    path: Path,
    tree: Any,
    loc: Loc,
    message: str,
    *,
    fix: str | None = None,
    line_at: Loc | None = None,
) -> ConfigError:
    """An error about the key at ``loc``, with its line (or that of ``line_at``)."""
    line = line_of(tree, loc if line_at is None else line_at)
    return ConfigError(message, file=str(path), key=format_loc(loc), line=line, fix=fix)


def format_loc(loc: Loc) -> str:
    """``('sources', 3, 'url')`` -> ``sources[3].url``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def line_of(tree: Any, loc: Loc) -> int | None:
    """The 1-based line of ``loc`` in the ruamel tree (or LazyLines), or of its nearest
    ancestor that exists."""
    line: int | None = None
    node = tree.tree if isinstance(tree, LazyLines) else tree
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(part, int) and isinstance(node, list) and part < len(node):
                line = lc.item(part)[0] + 1 if lc else line
                node = node[part]
            elif isinstance(part, str) and isinstance(node, Mapping) and part in node:
                line = lc.key(part)[0] + 1 if lc else line
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
    return line


def unique_source_name(config: AppConfig, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``… when a source of that name exists."""
    taken = {s.name for s in config.sources}
    name, n = wanted, 2
    while name in taken:
        name, n = f"{wanted}-{n}", n + 1
    return name


def source_entry_yaml(entry: Mapping[str, Any]) -> str:
    """A source entry as the YAML list item that would be appended to ``sources:``."""
    stream = io.StringIO()
    YAML(typ="rt").dump([dict(entry)], stream)
    return stream.getvalue()


def append_source(
    path: Path, entry: Mapping[str, Any], source_types: Mapping[str, type[SourceOptions]]
) -> None:
    """Append a source to the config file, keeping its comments and layout.

    The edited file is validated before it replaces the original, so a bad entry never
    leaves a broken config behind.
    """
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    tree = read_yaml(path)
    if tree is None:
        tree = CommentedMap()
    sources = tree.get("sources")
    if sources is None:
        tree["sources"] = sources = CommentedSeq()
    added = CommentedMap(entry)
    if sources:
        _move_trailing_comment(sources[-1], added)
    sources.append(added)
    draft = path.with_name(f".{path.name}.new")
    with _open_like(draft, path) as handle:
        yaml.dump(tree, handle)
    try:
        load_config(draft, source_types)
    except ConfigError:
        draft.unlink()
        raise
    os.replace(draft, path)


def _open_like(draft: Path, original: Path) -> typing.TextIO:
    """``draft`` opened for writing with the mode and owner of ``original``: a 0600 config
    that holds a password must not come back 0644 after a rewrite."""
    status = original.stat()
    draft.unlink(missing_ok=True)
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, stat.S_IMODE(status.st_mode))
        if (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
            os.fchown(fd, status.st_uid, status.st_gid)
    except OSError as exc:
        os.close(fd)
        draft.unlink()
        raise ConfigError(
            f"cannot give the rewritten file the original's mode and owner ({exc.strerror})",
            file=str(original),
            fix="run as the file's owner (or root), or add the source by editing the file",
        ) from exc
    return os.fdopen(fd, "w", encoding="utf-8")


def _move_trailing_comment(previous: Any, added: CommentedMap) -> None:
    """Comments after the last source belong to what follows, so they move below the new one.

    ruamel.yaml keeps such a comment on the last scalar of the entry: on its last key, or on
    the last item when that key holds a list (a jsonld source's ``urls``).
    """
    found = _trailing_comment(previous)
    if found is None:
        return
    holder, position, token = found
    del holder.ca.items[position]
    last_key = list(added.keys())[-1]
    if isinstance(added[last_key], list):
        items = added[last_key] = CommentedSeq(added[last_key])
        items.ca.items[len(items) - 1] = [token, None, None, None]
    else:
        added.ca.items[last_key] = [None, None, token, None]


def _trailing_comment(entry: Any) -> tuple[CommentedMap | CommentedSeq, Any, Any] | None:
    """Where the comment after ``entry`` is kept (mapping or list, key or index), and it."""
    if not isinstance(entry, CommentedMap) or not entry:
        return None
    last_key = list(entry.keys())[-1]
    value = entry[last_key]
    if isinstance(value, CommentedSeq) and value:
        item = value.ca.items.get(len(value) - 1)
        return (value, len(value) - 1, item[0]) if item and item[0] is not None else None
    item = entry.ca.items.get(last_key)
    return (entry, last_key, item[2]) if item and item[2] is not None else None
