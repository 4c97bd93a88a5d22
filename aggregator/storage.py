"""The store: the only code that speaks SQL.

SQLite (WAL mode) is the embedded default; PostgreSQL works through the same SQLAlchemy Core
statements given a ``postgresql://`` URL. The schema carries a version number and is migrated
forward on open (see ``_MIGRATIONS``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from aggregator import dedupe
from aggregator.dedupe import DEFAULT_REPOST_WINDOW_DAYS
from aggregator.errors import StoreError
from aggregator.identity import canonical_url, content_hash, fingerprint
from aggregator.models import Posting, Salary, SourceState, StoredPosting

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
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
    Column("key", Text, nullable=False),  # dedupe.lead_key; "" when the company is unknown
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

# Migrations from version N-1 to N, as explicit DDL on the version before. A new database is
# created at the current schema directly and stamped, so migration 1 is never needed.
_MIGRATIONS: dict[int, Any] = {}


def _make_parent_folder(database: str | None) -> None:
    """SQLite creates the file but not its folder; a fresh config should just work."""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the web view) never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


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

    def record_not_modified(self, state: SourceState, now: datetime) -> SourceState:
        """Remember a successful 304: nothing new, the source is healthy."""
        fresh = replace(
            state, last_attempt=now, last_success=now, last_error=None, consecutive_failures=0
        )
        with self.engine.begin() as conn:
            _write_state(conn, fresh)
        return fresh

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
                resolver = _LeadResolver(conn, now, now - repost_window)
                for row, posting in zip(
                    new_rows, [unique[r["fingerprint"]] for r in new_rows], strict=True
                ):
                    row["lead_id"] = resolver.lead_for(row, posting)
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
        links: dict[int, list[str]] = {lead_id: [] for lead_id in lead_ids}
        with self.engine.connect() as conn:
            for start in range(0, len(lead_ids), _BATCH):
                query = (
                    select(postings.c.lead_id, postings.c.url)
                    .where(postings.c.lead_id.in_(lead_ids[start : start + _BATCH]))
                    .order_by(postings.c.company_page.desc(), postings.c.first_seen, postings.c.id)
                )
                for lead_id, url in conn.execute(query):
                    if url and url not in links[lead_id]:
                        links[lead_id].append(url)
        return links

    def posting_counts(self) -> dict[str, int]:
        """How many postings each source has in the store."""
        query = select(postings.c.source, func.count()).group_by(postings.c.source)
        with self.engine.connect() as conn:
            return {source: count for source, count in conn.execute(query).all()}


def _touch(conn: Connection, posting_ids: list[int], now: datetime) -> None:
    """Mark postings, and the leads they belong to, as seen now."""
    for start in range(0, len(posting_ids), _BATCH):
        ids = posting_ids[start : start + _BATCH]
        conn.execute(update(postings).where(postings.c.id.in_(ids)).values(last_seen=now))
        lead_ids = select(postings.c.lead_id).where(postings.c.id.in_(ids)).scalar_subquery()
        conn.execute(update(leads).where(leads.c.id.in_(lead_ids)).values(last_seen=now))


class _LeadResolver:
    """Finds the lead each new posting belongs to (see aggregator.dedupe), creating leads.

    Lookups are by index only: the canonical URL, the lead key, and the LSH bands of the
    description's MinHash, each checked against leads of the same company seen since
    ``window_start``.
    """

    def __init__(self, conn: Connection, now: datetime, window_start: datetime) -> None:
        self.conn = conn
        self.now = now
        self.window_start = window_start
        self.touched: set[int] = set()
        self.batch_urls: dict[str, int] = {}  # new postings of this batch are not inserted yet

    def lead_for(self, row: dict[str, Any], posting: Posting) -> int:
        """The id of the lead ``posting`` joins (touched to now), or of a new lead."""
        key = dedupe.lead_key(posting)
        sig = dedupe.signature(posting.description_text)
        found = (
            self._by_url(row["canonical_url"])
            or self._by_key(key)
            or self._by_description(dedupe.company_key(posting.company), sig)
        )
        if found is None:
            found = self._new_lead(key, dedupe.company_key(posting.company), sig)
        if row["canonical_url"]:
            self.batch_urls.setdefault(row["canonical_url"], found)
        if found not in self.touched:
            self.conn.execute(update(leads).where(leads.c.id == found).values(last_seen=self.now))
            self.touched.add(found)
        return found

    def _by_url(self, url: str) -> int | None:
        if not url:
            return None
        if url in self.batch_urls:
            return self.batch_urls[url]
        query = select(postings.c.lead_id).where(postings.c.canonical_url == url).limit(1)
        return self.conn.execute(query).scalar_one_or_none()

    def _by_key(self, key: str) -> int | None:
        if not key:
            return None
        query = (
            select(leads.c.id)
            .where(leads.c.key == key, leads.c.last_seen >= self.window_start)
            .order_by(leads.c.last_seen.desc())
            .limit(1)
        )
        return self.conn.execute(query).scalar_one_or_none()

    def _by_description(self, company: str, sig: dedupe.Signature | None) -> int | None:
        if not company or sig is None:
            return None
        query = (
            select(leads.c.id, leads.c.signature)
            .join(lead_bands, lead_bands.c.lead_id == leads.c.id)
            .where(
                lead_bands.c.band.in_(dedupe.band_hashes(sig)),
                leads.c.company_key == company,
                leads.c.last_seen >= self.window_start,
            )
            .distinct()
        )
        best, best_score = None, dedupe.NEAR_DUPLICATE_THRESHOLD
        for lead_id, stored in self.conn.execute(query):
            score = dedupe.similarity(sig, dedupe.from_bytes(stored))
            if score >= best_score:
                best, best_score = lead_id, score
        return best

    def _new_lead(self, key: str, company: str, sig: dedupe.Signature | None) -> int:
        values = {
            "key": key,
            "company_key": company,
            "signature": dedupe.to_bytes(sig) if sig is not None else None,
            "first_seen": self.now,
            "last_seen": self.now,
        }
        query = insert(leads).values(**values).returning(leads.c.id)
        lead_id = int(self.conn.execute(query).scalar_one())
        if sig is not None:
            bands = [{"band": band, "lead_id": lead_id} for band in dedupe.band_hashes(sig)]
            self.conn.execute(insert(lead_bands), bands)
        self.touched.add(lead_id)
        return lead_id


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
