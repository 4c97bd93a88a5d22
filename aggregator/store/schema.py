"""The tables of the store, as SQLAlchemy Core metadata (one definition for every backend).

A table added here is created on open by ``migrations.migrate``; a change to an existing
table also needs a migration step there. Text columns are unbounded (PostgreSQL enforces a
VARCHAR length SQLite ignores, and no length is checked where the text comes from) and
never hold NUL, which PostgreSQL refuses: the store drops it on the way in, on both
backends, so they hold the same text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import Text as SqlText
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.types import TypeEngine

# Marks (in Index.info) an index that is a hash index on PostgreSQL: one looked up only by
# equality, on keys that can pass a B-tree entry's limit (about 2,700 bytes: a long URL or
# title from a feed).
HASH_ON_POSTGRESQL = "hash_on_postgresql"
# The ids an Integer id column can hold on both databases (32 bits on PostgreSQL, 64 on
# SQLite): an id outside names no row, and the drivers fail on it rather than find none.
ROW_IDS = range(1, 2**31)


def without_nul(value: Any) -> Any:
    """``value`` (text, or lists and dicts holding text) with every NUL character dropped."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, list | tuple):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


class Text(TypeDecorator[str]):
    """Unbounded text without NUL characters, sorted by its bytes on every backend."""

    impl = SqlText
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # PostgreSQL sorts text by the database's locale (en_US puts "alpha" before "Beta" and
        # skips hyphens), SQLite by its bytes; collation "C" is the bytes on PostgreSQL too,
        # so listings and exports come out in one order on either.
        collation = "C" if dialect.name == "postgresql" else None
        return dialect.type_descriptor(SqlText(collation=collation))

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return without_nul(value)


class NulFreeJSON(TypeDecorator[Any]):
    """JSON whose strings hold no NUL characters."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return without_nul(value)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend: ``timestamptz`` on PostgreSQL, naive UTC
    on SQLite (which keeps no zone of its own)."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(DateTime(timezone=dialect.name != "sqlite"))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@compiles(CreateIndex, "postgresql")
def _create_index_on_postgresql(create: CreateIndex, compiler: DDLCompiler, **kw: Any) -> str:
    """PostgreSQL's CREATE INDEX, USING hash for an index marked HASH_ON_POSTGRESQL.

    Marked in ``info``, not by ``postgresql_using``: that argument loads the PostgreSQL
    dialect when the schema is defined, a twentieth of every SQLite command's start-up.
    """
    index = create.element
    if index.info.get(HASH_ON_POSTGRESQL):
        index.dialect_options["postgresql"]["using"] = "hash"
    return compiler.visit_create_index(create, **kw)


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
    Index("ix_leads_key", "key", info={HASH_ON_POSTGRESQL: True}),
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
    Column("source", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("canonical_url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("company", Text, nullable=False),
    Column("location", Text, nullable=False),
    Column("remote", Boolean, nullable=False),
    Column("employment_type", Text, nullable=False),
    Column("salary_min", Float),
    Column("salary_max", Float),
    Column("salary_currency", Text),
    Column("salary_period", Text),
    Column("salary_text", Text),
    Column("posted_at", UtcDateTime),
    Column("closes_at", UtcDateTime),  # when applications close, as this sighting says
    Column("description_html", Text, nullable=False),
    Column("description_text", Text, nullable=False),
    Column("tags", NulFreeJSON, nullable=False),
    Column("content_hash", Text, nullable=False),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("source", "fingerprint", name="uq_postings_source_fingerprint"),
    Index("ix_postings_first_seen", "first_seen"),
    Index("ix_postings_canonical_url", "canonical_url", info={HASH_ON_POSTGRESQL: True}),
    Index("ix_postings_lead_id", "lead_id"),
)
# Which leads gained or changed a sighting since matching last ran (schema 8): a job that
# had closed when it was scored may be open again. Read from the index alone.
postings_updated = Index("ix_postings_updated_at", postings.c.updated_at, postings.c.lead_id)

source_states = Table(
    "source_state",
    metadata,
    Column("name", Text, primary_key=True),
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
    Column("fingerprint", Text, nullable=False),
    Column("corpus_size", Integer, nullable=False),
    Column("model", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

mentee_progress = Table(
    "mentee_progress",
    metadata,
    Column("mentee_id", Text, primary_key=True),
    Column("profile_hash", Text, nullable=False),
    Column("model_fingerprint", Text, nullable=False),
    Column("scored_through", Integer, nullable=False),  # highest lead id scored
    Column("profile_vectors", LargeBinary),  # the matcher's vectors of the profile (schema 2)
    Column("updated_at", UtcDateTime, nullable=False),
    # The latest postings.updated_at when the mentee was scored: later ones are changes to
    # score again (schema 8; None before).
    Column("changes_through", UtcDateTime),
)

matches = Table(
    "matches",
    metadata,
    Column("mentee_id", Text, primary_key=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), primary_key=True),
    Column("score", Float, nullable=False),
    Column("why", NulFreeJSON, nullable=False),
    Column("gaps", NulFreeJSON, nullable=False),
    Column("scored_at", UtcDateTime, nullable=False),
    Index("ix_matches_lead_id", "lead_id"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("mentee_id", Text, primary_key=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), primary_key=True),
    Column("verdict", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("mentor_id", Text, primary_key=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), primary_key=True),
    Column("mentee_id", Text, primary_key=True),
    Column("message_id", Text, nullable=False),
    # False: the lead was pending but not among the mentee's best in that digest; it is not
    # news in the next one (the mentee's page lists it).
    Column("shown", Boolean, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=False),
    Index("ix_deliveries_message_id", "message_id"),
)

digest_runs = Table(
    "digest_runs",
    metadata,
    Column("mentor_id", Text, primary_key=True),
    Column("last_run_at", UtcDateTime, nullable=False),  # the last digest run that did not fail
    Column("last_message_id", Text),  # None when there was nothing new to send
)  # schema 3

# Networking events from events sources (ical, events_rss), kept apart from postings: each
# collection replaces a source's events (a calendar is read whole each time).
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime),
    Column("timezone", Text, nullable=False),
    Column("venue", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("online", Boolean, nullable=False),
    Column("organiser", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("collected_at", UtcDateTime, nullable=False),
    UniqueConstraint("source", "external_id", name="uq_events_source_external_id"),
    Index("ix_events_starts_at", "starts_at"),
)  # schema 4
# A mentee's statuses on leads, as events (the latest counts; None: taken back). Schema 5.
lead_statuses = Table(
    "lead_statuses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mentee_id", Text, nullable=False),
    Column("lead_id", Integer, ForeignKey("leads.id"), nullable=False),
    Column("status", Text),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_lead_statuses_mentee_lead", "mentee_id", "lead_id"),
)

# The current private link of each mentee and mentor: only a hash of its token (schema 5).
access_links = Table(
    "access_links",
    metadata,
    Column("holder", Text, primary_key=True),  # "mentee" or "mentor"
    Column("subject", Text, primary_key=True),  # their id
    Column("generation", Integer, nullable=False),  # bumped by `leads links --rotate`
    Column("token_hash", Text, nullable=False, unique=True),
    Column("issued_at", UtcDateTime, nullable=False),
)

# Several collectors on one database (schema 6). A collection round is shared by every
# collector that starts while it is open; a source is fetched once per round by whoever
# holds its lease. A lease names its holder and runs out at expires_at unless the holder,
# while alive, renews it: a killed collector's sources go to another within the lease.
collect_rounds = Table(
    "collect_rounds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),  # None while sources of the round are still to fetch
)

source_leases = Table(
    "source_leases",
    metadata,
    Column("source", Text, primary_key=True),
    Column("round_id", Integer),  # the round that claimed it last
    Column("holder", Text),  # "host:pid:token" of the collector
    Column("expires_at", UtcDateTime),  # None: not leased (free, or done)
    Column("done_at", UtcDateTime),  # when its round's fetch was stored
)

# Who is sending a mentor's digest now: claimed before composing, released in the
# transaction that records the delivery (schema 6).
digest_claims = Table(
    "digest_claims",
    metadata,
    Column("mentor_id", Text, primary_key=True),
    Column("holder", Text),
    Column("expires_at", UtcDateTime),
)

# The last start of each `leads schedule` job by any scheduler on this database (schema 6):
# a job another host already ran for this fire time is skipped.
job_runs = Table(
    "job_runs",
    metadata,
    Column("job_id", Text, primary_key=True),
    Column("holder", Text, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
)
