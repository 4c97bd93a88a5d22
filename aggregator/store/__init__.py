"""The store: the only code that speaks SQL.

SQLite (WAL mode) is the embedded default; PostgreSQL works through the same SQLAlchemy Core
statements given a ``postgresql://`` URL. The schema carries a version number and is migrated
forward on open (see ``_MIGRATIONS``).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Select,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from aggregator.core.errors import StoreError
from aggregator.core.identity import canonical_url, content_hash, fingerprint
from aggregator.core.models import (
    DEFAULT_REPOST_WINDOW_DAYS,
    Match,
    MenteeProgress,
    PendingLeads,
    Posting,
    Salary,
    SeenAt,
    SourceState,
    StoredMatch,
    StoredPosting,
    Verdict,
)

if TYPE_CHECKING:
    from aggregator.core import dedupe

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3
_BATCH = 500  # rows per IN (...) lookup; well under SQLite's variable limit


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

leads = Table(
    "leads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", Text, nullable=False),  # dedupe.Sighting.key: company|title|location
    Column("company_key", Text, nullable=False),
    Column("signature", LargeBinary),  # MinHash of the description, None when too short
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Index("ix_leads_key", "key"),
)

lead_bands = Table(
    "lead_bands",
    metadata,
    Column("band", BigInteger, nullable=False),
    Column("lead_id", Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False),
    Index("ix_lead_bands_band", "band"),
)

postings = Table(
    "postings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), nullable=False),
    Column("company_page", Boolean, nullable=False),  # from the company's own ATS or site
    Column("source", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("external_id", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("canonical_url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("company", Text, nullable=False),
    Column("location", Text, nullable=False),
    Column("remote", Boolean, nullable=False),
    Column("employment_type", String(40), nullable=False),
    Column("salary_min", Float),
    Column("salary_max", Float),
    Column("salary_currency", String(10)),
    Column("salary_period", String(20)),
    Column("salary_text", Text),
    Column("posted_at", UtcDateTime),
    Column("description_html", Text, nullable=False),
    Column("description_text", Text, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("source", "fingerprint", name="uq_postings_source_fingerprint"),
    Index("ix_postings_first_seen", "first_seen"),
    Index("ix_postings_canonical_url", "canonical_url"),
    Index("ix_postings_lead_id", "lead_id"),
)

source_states = Table(
    "source_state",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("config_url", Text),
    Column("url", Text),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_attempt", UtcDateTime),
    Column("last_success", UtcDateTime),
    Column("last_error", Text),
    Column("last_error_at", UtcDateTime),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("last_item_count", Integer, nullable=False, default=0),
)

matcher_models = Table(
    "matcher_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False),
    Column("corpus_size", Integer, nullable=False),
    Column("model", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

mentee_progress = Table(
    "mentee_progress",
    metadata,
    Column("mentee_id", String(200), primary_key=True),
    Column("profile_hash", String(64), nullable=False),
    Column("model_fingerprint", String(64), nullable=False),
    Column("scored_through", Integer, nullable=False),  # highest lead id scored
    Column("profile_vectors", LargeBinary),  # the matcher's vectors of the profile (schema 2)
    Column("updated_at", UtcDateTime, nullable=False),
)

matches = Table(
    "matches",
    metadata,
    Column("mentee_id", String(200), primary_key=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), primary_key=True),
    Column("score", Float, nullable=False),
    Column("why", JSON, nullable=False),
    Column("gaps", JSON, nullable=False),
    Column("scored_at", UtcDateTime, nullable=False),
    Index("ix_matches_lead_id", "lead_id"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("mentee_id", String(200), primary_key=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), primary_key=True),
    Column("verdict", String(20), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("mentor_id", String(200), primary_key=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), primary_key=True),
    Column("mentee_id", String(200), primary_key=True),
    Column("message_id", String(300), nullable=False),
    # False: the lead was pending but not among the mentee's best in that digest; it is not
    # news in the next one (the mentee's page lists it).
    Column("shown", Boolean, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=False),
    Index("ix_deliveries_message_id", "message_id"),
)

digest_runs = Table(
    "digest_runs",
    metadata,
    Column("mentor_id", String(200), primary_key=True),
    Column("last_run_at", UtcDateTime, nullable=False),  # the last digest run that did not fail
    Column("last_message_id", String(300)),  # None when there was nothing new to send
)  # schema 3

BRIEF_CHARS = 2_000  # of a description, where a summary is all that is shown
# A posting's columns with the descriptions cut down (see Store.representatives).
_BRIEF_POSTING = [
    *(c for c in postings.c if c.name not in ("description_html", "description_text")),
    literal("").label("description_html"),
    func.substr(postings.c.description_text, 1, BRIEF_CHARS).label("description_text"),
]

# Which sighting of a lead is shown: the company's own page, else the oldest.
_SHOWN_FIRST = (postings.c.company_page.desc(), postings.c.first_seen, postings.c.id)

# Migrations from version N-1 to N: changes to existing tables, as explicit DDL. New tables
# are not listed: after the migrations, create_all adds every table a database lacks (which
# also repairs early schema-1 databases made before the matching tables existed). A new
# database is created at the current schema directly and stamped.
def _to_schema_2(conn: Connection) -> None:
    """Profile vectors kept with matching progress (and the new deliveries table)."""
    _add_column(conn, mentee_progress.c.profile_vectors)


def _to_schema_3(conn: Connection) -> None:
    """Only a new table, digest_runs."""


def _add_column(conn: Connection, column: Column[Any]) -> None:
    """Add ``column`` to its table unless the table is missing (create_all makes it whole)."""
    found = inspect(conn)
    table = column.table.name
    if found.has_table(table) and column.name not in {c["name"] for c in found.get_columns(table)}:
        kind = column.type.compile(dialect=conn.dialect)
        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column.name} {kind}"))


_MIGRATIONS: dict[int, Any] = {2: _to_schema_2, 3: _to_schema_3}


def _make_parent_folder(database: str | None) -> None:
    """SQLite creates the file but not its folder; a fresh config should just work."""
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the database folder {folder}: {exc.strerror or exc} — "
                "check storage.url (a file may stand where the folder should be)"
            ) from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 module commits on its own before DDL; with its transaction handling off
    # and BEGIN emitted by _sqlite_begin, a migration is all or nothing (SQLAlchemy's
    # documented recipe for pysqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the web view) never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")


class Store:
    """Postings and source state, kept once and remembered between runs."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.engine: Engine = create_engine(url)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(
                f"cannot use storage.url {url!r}: {exc} — check storage.url in the config"
            ) from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
            _make_parent_folder(self.engine.url.database)
        self._migrate()

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    def _migrate(self) -> None:
        try:
            with self.engine.begin() as conn:
                version = self._schema_version(conn)
                if version is None:
                    metadata.create_all(conn)
                    conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))
                    return
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"the database at {self.url} has schema version {version}, newer than "
                        f"this mentor-leads understands ({SCHEMA_VERSION}); upgrade mentor-leads"
                    )
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    log.info("migrating the store to schema version %d", target)
                    _MIGRATIONS[target](conn)
                    conn.execute(update(schema_version).values(version=target))
                metadata.create_all(conn)  # tables added since the database's version
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot open the database at {self.url}: {getattr(exc, 'orig', None) or exc} "
                "— check storage.url and that its folder exists and is writable"
            ) from exc

    @staticmethod
    def _schema_version(conn: Connection) -> int | None:
        if not conn.dialect.has_table(conn, "schema_version"):
            return None
        return conn.execute(select(schema_version.c.version)).scalar_one_or_none()

    # -- source state -------------------------------------------------------------------

    def source_state(self, name: str) -> SourceState:
        """The remembered state of a source (an empty one for a source never collected)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(source_states).where(source_states.c.name == name)).first()
        return _state_from_row(row._mapping) if row else SourceState(name=name)

    def source_states(self) -> list[SourceState]:
        """The state of every source ever collected."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(source_states).order_by(source_states.c.name)).all()
        return [_state_from_row(r._mapping) for r in rows]

    def record_failure(self, state: SourceState, reason: str, now: datetime) -> SourceState:
        """Remember that a source failed; its postings and validators stay as they were."""
        failed = replace(
            state,
            last_attempt=now,
            last_error=reason,
            last_error_at=now,
            consecutive_failures=state.consecutive_failures + 1,
        )
        with self.engine.begin() as conn:
            _write_state(conn, failed)
        return failed

    def record_not_modified(self, states: Sequence[SourceState], now: datetime) -> None:
        """Remember successful 304s: nothing new, the sources are healthy (one transaction)."""
        with self.engine.begin() as conn:
            for state in states:
                fresh = replace(
                    state, last_attempt=now, last_success=now, last_error=None,
                    consecutive_failures=0,
                )  # fmt: skip
                _write_state(conn, fresh)

    # -- postings -----------------------------------------------------------------------

    def save_collected(
        self,
        state: SourceState,
        batch: Sequence[Posting],
        now: datetime,
        *,
        company_page: bool = False,
        repost_window: timedelta = timedelta(days=DEFAULT_REPOST_WINDOW_DAYS),
    ) -> tuple[int, int, int]:
        """Store a source's postings and its new state in one transaction.

        Returns counts of (new, updated, unchanged) postings. Doing both at once means a
        crash can never leave validators (ETag) saved for postings that were not. New postings
        join the lead (the same job seen elsewhere) they duplicate, or start a new one.
        """
        unique = {fingerprint(p): p for p in batch}
        with self.engine.begin() as conn:
            known = self._known(conn, state.name, list(unique))
            new_rows, changed, seen_ids = [], [], []
            for key, posting in unique.items():
                digest = content_hash(posting)
                if key not in known:
                    new_rows.append(_posting_row(posting, key, digest, now, company_page))
                    continue
                seen_ids.append(known[key][0])
                if known[key][1] != digest:
                    changed.append(
                        (known[key][0], _posting_row(posting, key, digest, now, company_page))
                    )
            if new_rows:
                batch = [unique[r["fingerprint"]] for r in new_rows]
                _assign_leads(conn, new_rows, batch, now, now - repost_window)
                conn.execute(insert(postings), new_rows)
            for row_id, row in changed:
                for column in ("first_seen", "company_page"):
                    del row[column]
                conn.execute(update(postings).where(postings.c.id == row_id).values(**row))
            _touch(conn, seen_ids, now)
            fresh = replace(
                state,
                last_attempt=now,
                last_success=now,
                last_error=None,
                consecutive_failures=0,
                last_item_count=len(unique),
            )
            _write_state(conn, fresh)
        return len(new_rows), len(changed), len(seen_ids) - len(changed)

    @staticmethod
    def _known(conn: Connection, source: str, keys: list[str]) -> dict[str, tuple[int, str]]:
        known: dict[str, tuple[int, str]] = {}
        for start in range(0, len(keys), _BATCH):
            rows = conn.execute(
                select(postings.c.fingerprint, postings.c.id, postings.c.content_hash).where(
                    postings.c.source == source,
                    postings.c.fingerprint.in_(keys[start : start + _BATCH]),
                )
            )
            known.update({r.fingerprint: (r.id, r.content_hash) for r in rows})
        return known

    def postings(
        self, *, since: datetime | None = None, source: str | None = None
    ) -> Iterator[StoredPosting]:
        """Stored postings, oldest first; ``since`` filters on when they were first seen."""
        query = select(postings).order_by(postings.c.first_seen, postings.c.id)
        if since is not None:
            query = query.where(postings.c.first_seen >= since)
        if source is not None:
            query = query.where(postings.c.source == source)
        with self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=_BATCH).execute(query):
                yield _stored_from_row(row._mapping)

    def lead_links(self, lead_ids: Sequence[int]) -> dict[int, list[str]]:
        """Every URL each lead was seen at: the company's own pages first, then oldest first."""
        return {
            lead: [seen.url for seen in places] for lead, places in self.seen_at(lead_ids).items()
        }

    def seen_at(self, lead_ids: Sequence[int]) -> dict[int, list[SeenAt]]:
        """Where each lead was seen (one entry per URL): company pages first, then oldest."""
        found: dict[int, list[SeenAt]] = {lead_id: [] for lead_id in lead_ids}
        with self.engine.connect() as conn:
            for start in range(0, len(lead_ids), _BATCH):
                query = (
                    select(
                        postings.c.lead_id,
                        postings.c.source,
                        postings.c.url,
                        postings.c.company_page,
                    )
                    .where(postings.c.lead_id.in_(lead_ids[start : start + _BATCH]))
                    .order_by(*_SHOWN_FIRST)
                )
                for lead_id, source, url, company_page in conn.execute(query):
                    _add_place(found[lead_id], source, url, company_page)
        return found

    # -- leads for matching ---------------------------------------------------------------

    def lead_postings(self, after_lead: int = 0) -> Iterator[StoredPosting]:
        """One posting per lead with id > ``after_lead``: its company page, else the oldest."""
        query = (
            select(postings)
            .where(postings.c.lead_id > after_lead)
            .order_by(postings.c.lead_id, *_SHOWN_FIRST)
        )
        last = None
        with self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=_BATCH).execute(query):
                if row.lead_id != last:
                    last = row.lead_id
                    yield _stored_from_row(row._mapping)

    def lead_count(self) -> tuple[int, int]:
        """How many leads there are, and the highest lead id."""
        with self.engine.connect() as conn:
            count, highest = conn.execute(select(func.count(), func.max(leads.c.id))).one()
        return int(count), int(highest or 0)

    def matcher_model(self) -> bytes | None:
        """The most recently fitted matcher model, as the matcher serialised it."""
        query = select(matcher_models.c.model).order_by(matcher_models.c.id.desc()).limit(1)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()

    def save_matcher_model(
        self, model: bytes, fingerprint: str, corpus_size: int, now: datetime
    ) -> None:
        """Keep a newly fitted matcher model (older ones are dropped)."""
        with self.engine.begin() as conn:
            conn.execute(delete(matcher_models))
            conn.execute(
                insert(matcher_models).values(
                    fingerprint=fingerprint, corpus_size=corpus_size, model=model, created_at=now
                )
            )

    def mentee_progress(self) -> dict[str, MenteeProgress]:
        """How far matching got for each mentee."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(mentee_progress)).all()
        return {
            r.mentee_id: MenteeProgress(
                r.mentee_id,
                r.profile_hash,
                r.model_fingerprint,
                r.scored_through,
                r.profile_vectors,
            )
            for r in rows
        }

    def save_matches(
        self,
        results: Sequence[tuple[MenteeProgress, Sequence[Match]]],
        now: datetime,
        *,
        replace_all: bool,
    ) -> None:
        """Store mentees' new matches and progress in one transaction.

        ``replace_all``: they were re-scored against every lead, so older matches go.
        """
        with self.engine.begin() as conn:
            if replace_all:
                for chunk in _chunks([progress.mentee for progress, _ in results]):
                    conn.execute(delete(matches).where(matches.c.mentee_id.in_(chunk)))
            rows = [
                {
                    "mentee_id": progress.mentee,
                    "lead_id": int(m.posting),
                    "score": m.score,
                    "why": list(m.why),
                    "gaps": list(m.gaps),
                    "scored_at": now,
                }
                for progress, found in results
                for m in found
            ]
            if rows:
                conn.execute(insert(matches), rows)
            _save_progress(conn, [progress for progress, _ in results], now)

    def matches(self, mentee: str | None = None) -> list[StoredMatch]:
        """Stored matches, best first per mentee, with each lead's representative posting."""
        query = select(matches).order_by(
            matches.c.mentee_id, matches.c.score.desc(), matches.c.lead_id
        )
        if mentee is not None:
            query = query.where(matches.c.mentee_id == mentee)
        return self._stored_matches(query)

    def _stored_matches(self, query: Select[Any]) -> list[StoredMatch]:
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        representative = self.representatives(sorted({r.lead_id for r in rows}))
        return [_stored_match(r, representative[r.lead_id]) for r in rows]

    def representatives(
        self, lead_ids: Sequence[int], *, brief: bool = False
    ) -> dict[int, StoredPosting]:
        """The posting shown for each lead: its company page, else the oldest sighting.

        ``brief``: without the HTML description and with the text cut to BRIEF_CHARS, enough
        for a summary (a digest reads hundreds of leads and shows a line of each).
        """
        return self._shown_and_seen(lead_ids, brief=brief)[0]

    def _shown_and_seen(
        self, lead_ids: Sequence[int], *, brief: bool
    ) -> tuple[dict[int, StoredPosting], dict[int, list[SeenAt]]]:
        """Each lead's shown posting and every place it was seen, in one query."""
        shown: dict[int, StoredPosting] = {}
        seen_at: dict[int, list[SeenAt]] = {lead_id: [] for lead_id in lead_ids}
        columns = _BRIEF_POSTING if brief else [postings]
        with self.engine.connect() as conn:
            for start in range(0, len(lead_ids), _BATCH):
                query = (
                    select(*columns)
                    .where(postings.c.lead_id.in_(lead_ids[start : start + _BATCH]))
                    .order_by(*_SHOWN_FIRST)
                )
                for row in conn.execute(query):
                    if row.lead_id not in shown:  # the first row is the one shown
                        shown[row.lead_id] = _stored_from_row(row._mapping)
                    _add_place(seen_at[row.lead_id], row.source, row.url, row.company_page)
        return shown, seen_at

    # -- feedback -----------------------------------------------------------------------

    def record_feedback(self, mentee: str, lead_id: int, verdict: Verdict, now: datetime) -> None:
        """Remember what a mentee said about a lead (the latest word counts)."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(feedback).where(
                    feedback.c.mentee_id == mentee, feedback.c.lead_id == lead_id
                )
            )
            conn.execute(
                insert(feedback).values(mentee_id=mentee, lead_id=lead_id, verdict=verdict, at=now)
            )

    def feedback(self) -> dict[str, dict[int, Verdict]]:
        """Every mentee's verdicts, by mentee id and lead id."""
        query = select(feedback.c.mentee_id, feedback.c.lead_id, feedback.c.verdict)
        said: dict[str, dict[int, Verdict]] = {}
        with self.engine.connect() as conn:
            for mentee, lead, verdict in conn.execute(query):
                said.setdefault(mentee, {})[lead] = Verdict(verdict)
        return said

    # -- digests ------------------------------------------------------------------------

    def pending_matches(
        self,
        mentor: str,
        mentees: Sequence[str],
        *,
        min_score: float,
        first_seen_after: datetime,
        per_mentee: int,
    ) -> PendingLeads:
        """Matches of these mentees not yet delivered to ``mentor``: the best ``per_mentee`` of
        each with their postings (brief, see :meth:`representatives`) and where they were
        seen, and the rest as (mentee, lead) pairs.

        A lead already delivered to the mentor (for any mentee) is never pending again, and
        a lead a mentee said is not for them is left out.
        """
        delivered = select(deliveries.c.lead_id).where(deliveries.c.mentor_id == mentor)
        refused = select(feedback.c.lead_id).where(
            feedback.c.mentee_id == matches.c.mentee_id,
            feedback.c.verdict == Verdict.NOT_FOR_ME.value,
        )
        query = (
            select(matches)
            .join(leads, leads.c.id == matches.c.lead_id)
            .where(
                matches.c.mentee_id.in_(list(mentees)),
                matches.c.score >= min_score,
                leads.c.first_seen > first_seen_after,
                matches.c.lead_id.not_in(delivered),
                matches.c.lead_id.not_in(refused),
            )
            .order_by(matches.c.mentee_id, matches.c.score.desc(), matches.c.lead_id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        best, others, taken = [], [], Counter[str]()
        for row in rows:
            if taken[row.mentee_id] < per_mentee:
                taken[row.mentee_id] += 1
                best.append(row)
            else:
                others.append((row.mentee_id, row.lead_id))
        shown, seen_at = self._shown_and_seen(sorted({row.lead_id for row in best}), brief=True)
        return PendingLeads(
            best=tuple(_stored_match(row, shown[row.lead_id]) for row in best),
            seen_at={lead: tuple(places) for lead, places in seen_at.items()},
            others=tuple(others),
        )

    def record_delivery(
        self,
        mentor: str,
        shown: Sequence[tuple[str, int]],
        message_id: str,
        now: datetime,
        *,
        passed_over: Sequence[tuple[str, int]] = (),
    ) -> None:
        """Mark (mentee, lead) pairs as delivered to ``mentor`` in message ``message_id``:
        ``shown`` in it, or ``passed_over`` for better ones (neither is pending again).

        Called only once the message is durable or accepted, in one transaction (with the
        mentor's digest run), so a crash leaves the leads pending rather than half-recorded.
        """
        rows = [
            {
                "mentor_id": mentor,
                "mentee_id": mentee,
                "lead_id": lead,
                "message_id": message_id,
                "shown": was_shown,
                "delivered_at": now,
            }
            for pairs, was_shown in ((shown, True), (passed_over, False))
            for mentee, lead in pairs
        ]
        with self.engine.begin() as conn:
            if rows:
                conn.execute(insert(deliveries), rows)
            _mark_digest_run(conn, mentor, message_id, now)

    def last_digest_runs(self) -> dict[str, datetime]:
        """When each mentor's digest last ran without failing (sent, or nothing new)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(digest_runs.c.mentor_id, digest_runs.c.last_run_at))
            return {mentor: at for mentor, at in rows}

    def record_digest_run(self, mentor: str, message_id: str | None, now: datetime) -> None:
        """Remember that ``mentor``'s digest ran now (so the next is due at the next time)."""
        with self.engine.begin() as conn:
            _mark_digest_run(conn, mentor, message_id, now)

    def delivered(self, mentor: str | None = None) -> list[tuple[str, str, int, str]]:
        """Leads shown in digests: (mentor, mentee, lead id, message id), oldest first."""
        query = (
            select(
                deliveries.c.mentor_id,
                deliveries.c.mentee_id,
                deliveries.c.lead_id,
                deliveries.c.message_id,
            )
            .where(deliveries.c.shown)
            .order_by(deliveries.c.delivered_at, deliveries.c.mentor_id, deliveries.c.lead_id)
        )
        if mentor is not None:
            query = query.where(deliveries.c.mentor_id == mentor)
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query)]  # type: ignore[misc]

    def posting_counts(self) -> dict[str, int]:
        """How many postings each source has in the store."""
        query = select(postings.c.source, func.count()).group_by(postings.c.source)
        with self.engine.connect() as conn:
            return {source: count for source, count in conn.execute(query).all()}


def _stored_match(row: Any, posting: StoredPosting) -> StoredMatch:
    return StoredMatch(
        mentee=row.mentee_id,
        lead_id=row.lead_id,
        score=row.score,
        why=tuple(row.why),
        gaps=tuple(row.gaps),
        scored_at=row.scored_at,
        posting=posting,
    )


def _add_place(places: list[SeenAt], source: str, url: str, company_page: bool) -> None:
    """Add a place a lead was seen at, once per URL (rows come in the order shown)."""
    if url and all(seen.url != url for seen in places):
        places.append(SeenAt(source, url, bool(company_page)))


def _mark_digest_run(conn: Connection, mentor: str, message_id: str | None, now: datetime) -> None:
    conn.execute(delete(digest_runs).where(digest_runs.c.mentor_id == mentor))
    conn.execute(
        insert(digest_runs).values(mentor_id=mentor, last_run_at=now, last_message_id=message_id)
    )


def _save_progress(conn: Connection, progress: list[MenteeProgress], now: datetime) -> None:
    """Write mentees' progress. A row without new profile vectors keeps its stored ones: it
    is updated in place, since rewriting every mentee's vectors on each incremental run
    would cost more than the scoring."""
    rows = {
        p.mentee: {
            "profile_hash": p.profile_hash,
            "model_fingerprint": p.model_fingerprint,
            "scored_through": p.scored_through,
            "updated_at": now,
            "profile_vectors": p.profile_vectors,
        }
        for p in progress
    }
    unchanged = [m for m, row in rows.items() if row["profile_vectors"] is None]
    kept = _existing_progress(conn, unchanged)
    for chunk in _chunks([m for m in rows if m not in kept]):
        conn.execute(delete(mentee_progress).where(mentee_progress.c.mentee_id.in_(chunk)))
    replaced = [{"mentee_id": m, **row} for m, row in rows.items() if m not in kept]
    if replaced:
        conn.execute(insert(mentee_progress), replaced)
    if kept:
        values = ("profile_hash", "model_fingerprint", "scored_through", "updated_at")
        statement = (
            update(mentee_progress)
            .where(mentee_progress.c.mentee_id == bindparam("mentee"))
            .values({column: bindparam(column) for column in values})
        )
        conn.execute(
            statement,
            [{"mentee": m, **{c: rows[m][c] for c in values}} for m in sorted(kept)],
        )


def _existing_progress(conn: Connection, mentees: list[str]) -> set[str]:
    """Which of these mentees have a progress row."""
    found: set[str] = set()
    for chunk in _chunks(mentees):
        query = select(mentee_progress.c.mentee_id).where(mentee_progress.c.mentee_id.in_(chunk))
        found.update(conn.execute(query).scalars())
    return found


def _touch(conn: Connection, posting_ids: list[int], now: datetime) -> None:
    """Mark postings, and the leads they belong to, as seen now."""
    for start in range(0, len(posting_ids), _BATCH):
        ids = posting_ids[start : start + _BATCH]
        conn.execute(update(postings).where(postings.c.id.in_(ids)).values(last_seen=now))
        lead_ids = select(postings.c.lead_id).where(postings.c.id.in_(ids)).scalar_subquery()
        conn.execute(update(leads).where(leads.c.id.in_(lead_ids)).values(last_seen=now))


def _assign_leads(
    conn: Connection,
    rows: list[dict[str, Any]],
    batch: list[Posting],
    now: datetime,
    window_start: datetime,
) -> None:
    """Set ``lead_id`` on each new posting row: an existing lead it duplicates, or a new one.

    The batch's candidate leads are loaded with a few IN queries, the decisions are made in
    memory (aggregator.core.dedupe.LeadIndex), and new leads are inserted in one statement.
    """
    # Imported where used (here and below): dedupe needs numpy, and a run where every
    # source answers 304 should not pay for importing it.
    from aggregator.core import dedupe

    seen = dedupe.sightings(batch, [r["canonical_url"] for r in rows])
    index = _load_lead_index(conn, seen, window_start)
    created: list[dedupe.Sighting] = []
    joined: set[int] = set()
    for row, sighting in zip(rows, seen, strict=True):
        lead = index.find(sighting)
        if lead is None:
            created.append(sighting)
            lead = -len(created)  # a placeholder until the lead is inserted
            index.add(dedupe.KnownLead.new(lead, sighting))
        elif lead > 0:
            joined.add(lead)
        if sighting.url:
            index.by_url.setdefault(sighting.url, lead)
        row["lead_id"] = lead
    ids = _insert_leads(conn, created, now)
    for row in rows:
        if row["lead_id"] < 0:
            row["lead_id"] = ids[-row["lead_id"] - 1]
    for start in range(0, len(joined), _BATCH):
        chunk = sorted(joined)[start : start + _BATCH]
        conn.execute(update(leads).where(leads.c.id.in_(chunk)).values(last_seen=now))


def _load_lead_index(
    conn: Connection, seen: list[dedupe.Sighting], window_start: datetime
) -> dedupe.LeadIndex:
    """The stored leads any of these sightings could join."""
    from aggregator.core import dedupe

    index = dedupe.LeadIndex()
    urls = sorted({s.url for s in seen if s.url})
    for chunk in _chunks(urls):
        query = select(postings.c.canonical_url, postings.c.lead_id).where(
            postings.c.canonical_url.in_(chunk)
        )
        index.by_url.update((url, lead) for url, lead in conn.execute(query))
    recent = leads.c.last_seen >= window_start
    keys = sorted({s.key for s in seen if s.key})
    for chunk in _chunks(keys):
        query = select(leads).where(leads.c.key.in_(chunk), recent).order_by(leads.c.last_seen)
        for row in conn.execute(query):
            index.add(_known_lead(row))
    bands = sorted({band for s in seen if s.company for band in s.bands})
    for chunk in _chunks(bands):
        query = (
            select(leads)
            .join(lead_bands, lead_bands.c.lead_id == leads.c.id)
            .where(lead_bands.c.band.in_(chunk), recent)
            .distinct()
        )
        for row in conn.execute(query):
            if row.id not in index.leads:
                index.add(_known_lead(row))
    return index


def _known_lead(row: Any) -> dedupe.KnownLead:
    from aggregator.core import dedupe

    signature = dedupe.from_bytes(row.signature) if row.signature is not None else None
    return dedupe.KnownLead.stored(row.id, row.key, row.company_key, signature)


def _insert_leads(conn: Connection, created: list[dedupe.Sighting], now: datetime) -> list[int]:
    """Insert new leads (and their LSH bands); their ids, in order."""
    from aggregator.core import dedupe

    if not created:
        return []
    values = [
        {
            "key": s.key,
            "company_key": s.company,
            "signature": dedupe.to_bytes(s.signature) if s.signature is not None else None,
            "first_seen": now,
            "last_seen": now,
        }
        for s in created
    ]
    query = insert(leads).returning(leads.c.id, sort_by_parameter_order=True)
    ids = [int(i) for i in conn.execute(query, values).scalars().all()]
    bands = [
        {"band": band, "lead_id": lead_id}
        for lead_id, s in zip(ids, created, strict=True)
        for band in s.bands
    ]
    if bands:
        conn.execute(insert(lead_bands), bands)
    return ids


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _BATCH):
        yield values[start : start + _BATCH]


def _write_state(conn: Connection, state: SourceState) -> None:
    values = {
        "config_url": state.config_url,
        "url": state.url,
        "etag": state.etag,
        "last_modified": state.last_modified,
        "last_attempt": state.last_attempt,
        "last_success": state.last_success,
        "last_error": state.last_error,
        "last_error_at": state.last_error_at,
        "consecutive_failures": state.consecutive_failures,
        "last_item_count": state.last_item_count,
    }
    done = conn.execute(
        update(source_states).where(source_states.c.name == state.name).values(**values)
    )
    if done.rowcount == 0:
        conn.execute(insert(source_states).values(name=state.name, **values))


def _state_from_row(row: Any) -> SourceState:
    return SourceState(**dict(row))


def _posting_row(
    posting: Posting, key: str, digest: str, now: datetime, company_page: bool
) -> dict[str, Any]:
    salary = posting.salary or Salary()
    return {
        "company_page": company_page,
        "source": posting.source,
        "fingerprint": key,
        "external_id": posting.external_id,
        "url": posting.url,
        "canonical_url": canonical_url(posting.url) if posting.url else "",
        "title": posting.title,
        "company": posting.company,
        "location": posting.location,
        "remote": posting.remote,
        "employment_type": posting.employment_type,
        "salary_min": salary.minimum,
        "salary_max": salary.maximum,
        "salary_currency": salary.currency,
        "salary_period": salary.period,
        "salary_text": salary.text,
        "posted_at": posting.posted_at,
        "description_html": posting.description_html,
        "description_text": posting.description_text,
        "tags": list(posting.tags),
        "content_hash": digest,
        "first_seen": now,
        "last_seen": now,
        "updated_at": now,
    }


def _stored_from_row(row: Any) -> StoredPosting:
    has_salary = any(
        row[c] is not None
        for c in ("salary_min", "salary_max", "salary_currency", "salary_period", "salary_text")
    )
    tags = row["tags"]
    posting = Posting(
        source=row["source"],
        external_id=row["external_id"],
        url=row["url"],
        title=row["title"],
        company=row["company"],
        location=row["location"],
        remote=bool(row["remote"]),
        employment_type=row["employment_type"],
        salary=Salary(
            minimum=row["salary_min"],
            maximum=row["salary_max"],
            currency=row["salary_currency"],
            period=row["salary_period"],
            text=row["salary_text"],
        )
        if has_salary
        else None,
        posted_at=row["posted_at"],
        description_html=row["description_html"],
        description_text=row["description_text"],
        tags=tuple(json.loads(tags) if isinstance(tags, str) else tags),
    )
    return StoredPosting(
        id=row["id"],
        posting=posting,
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        lead_id=row["lead_id"],
        company_page=bool(row["company_page"]),
    )
