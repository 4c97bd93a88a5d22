"""Rows to models and back, and the helpers every part of the store shares."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Integer, Row, Select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from aggregator.core.models import Posting, Salary, SeenAt, StoredMatch, StoredPosting
from aggregator.store.schema import postings

if TYPE_CHECKING:
    from aggregator.core.intake import Prepared

BATCH = 500  # rows per IN (...) lookup; well under SQLite's variable limit


class _ByteLength(FunctionElement[int]):
    """A text's length in bytes. PostgreSQL reads it from the value's header without
    decompressing a long text, as length() would (measured: ordering 100,000 postings by
    length() took 1.6 times as long as without it)."""

    type = Integer()
    inherit_cache = True


@compiles(_ByteLength)
def _byte_length(element: _ByteLength, compiler: SQLCompiler, **kw: Any) -> str:
    return f"length(CAST({compiler.process(element.clauses, **kw)} AS BLOB))"


@compiles(_ByteLength, "postgresql")
def _byte_length_postgresql(element: _ByteLength, compiler: SQLCompiler, **kw: Any) -> str:
    return f"octet_length({compiler.process(element.clauses, **kw)})"


# Which sighting of a lead is shown (and matched): the company's own page, else the oldest.
# Sightings of one collection round share its start as first_seen, so between them the
# fuller description wins, then the source's name: never the order the round's sources
# happened to finish in (that made two runs of the same feeds match differently).
SHOWN_FIRST = (
    postings.c.company_page.desc(),
    postings.c.first_seen,
    _ByteLength(postings.c.description_text).desc(),
    postings.c.source,
    postings.c.id,
)


class StorePart:
    """What each part of the Store (postings, matching, deliveries) works on."""

    url: str
    engine: Engine


def streamed(engine: Engine, query: Select[Any]) -> Iterator[Row[Any]]:
    """The rows of ``query``, fetched BATCH at a time (through a server-side cursor on
    PostgreSQL). The cursor is closed as soon as the caller stops reading, before its
    connection goes back to the pool: callers may take the first rows and drop the rest."""
    with (
        engine.connect() as conn,
        conn.execution_options(yield_per=BATCH).execute(query) as result,
    ):
        yield from result


def chunks(values: list[Any]) -> Iterator[list[Any]]:
    """``values`` in slices of BATCH, for IN (...) lookups."""
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def posting_row(ready: Prepared, now: datetime) -> dict[str, Any]:
    """The postings row of a posting stored (new or changed) ``now``: what its source says
    of it. A new row adds when it was first seen and whether a company page named it
    (``new_posting_row``); a changed row keeps those."""
    posting = ready.posting
    salary = posting.salary or Salary()
    return {
        "source": posting.source,
        "fingerprint": ready.fingerprint,
        "external_id": posting.external_id,
        "url": posting.url,
        "canonical_url": ready.sighting.url,
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
        "closes_at": posting.closes_at,
        "description_html": posting.description_html,
        "description_text": posting.description_text,
        "tags": list(posting.tags),
        "content_hash": ready.content_hash,
        "last_seen": now,
        "updated_at": now,
    }


def new_posting_row(
    ready: Prepared, now: datetime, first_seen: datetime, company_page: bool
) -> dict[str, Any]:
    """The postings row of a posting stored for the first time ``now``."""
    return {**posting_row(ready, now), "first_seen": first_seen, "company_page": company_page}


def stored_posting(row: Any) -> StoredPosting:
    """The posting a postings row holds."""
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
        closes_at=row["closes_at"],
    )
    return StoredPosting(
        id=row["id"],
        posting=posting,
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        lead_id=row["lead_id"],
        company_page=bool(row["company_page"]),
    )


def stored_match(row: Any, posting: StoredPosting) -> StoredMatch:
    """The match a matches row holds, with the posting shown for its lead."""
    return StoredMatch(
        mentee=row.mentee_id,
        lead_id=row.lead_id,
        score=row.score,
        why=tuple(row.why),
        gaps=tuple(row.gaps),
        scored_at=row.scored_at,
        posting=posting,
    )


def add_place(places: list[SeenAt], source: str, url: str, company_page: bool) -> None:
    """Add a place a lead was seen at, once per URL (rows come in the order shown)."""
    if url and all(seen.url != url for seen in places):
        places.append(SeenAt(source, url, bool(company_page)))
