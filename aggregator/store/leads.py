"""Lead assignment: which lead (the same job seen elsewhere) each new posting joins.

The decisions are aggregator.core.dedupe's; this module loads the candidate leads a batch
could join and writes the leads it starts.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Connection,
    Integer,
    bindparam,
    func,
    insert,
    literal,
    select,
    update,
)

from aggregator.store.engine import is_postgresql
from aggregator.store.rows import chunks
from aggregator.store.schema import lead_bands, leads, postings

if TYPE_CHECKING:
    from aggregator.core import dedupe


# The statements of every save, built once (see aggregator.store.postings): their IN (...)
# lists and times are given when they run.
_SEEN_POSTINGS = (
    update(postings)
    .where(postings.c.id.in_(bindparam("ids", expanding=True)))
    .values(last_seen=bindparam("now"))
)
_LEADS_OF_SEEN_POSTINGS = (
    update(leads)
    .where(
        leads.c.id.in_(
            select(postings.c.lead_id)
            .where(postings.c.id.in_(bindparam("ids", expanding=True)))
            .scalar_subquery()
        )
    )
    .values(last_seen=bindparam("now"))
)
_SEEN_LEADS = (
    update(leads)
    .where(leads.c.id.in_(bindparam("ids", expanding=True)))
    .values(last_seen=bindparam("now"))
)
# What a lead the batch may join is known by (its dates are not needed).
_KNOWN = (leads.c.id, leads.c.key, leads.c.company_key, leads.c.signature)
# The leads seen at these URLs, with what tells whether a posting at one is the same job.
_LEADS_OF_URLS = (
    select(postings.c.canonical_url, *_KNOWN)
    .join(leads, leads.c.id == postings.c.lead_id)
    .where(postings.c.canonical_url.in_(bindparam("urls", expanding=True)))
)
_RECENT = leads.c.last_seen >= bindparam("window_start")
_RECENT_LEADS_OF_KEYS = (
    select(*_KNOWN)
    .where(leads.c.key.in_(bindparam("keys", expanding=True)), _RECENT)
    .order_by(leads.c.last_seen)
)


def touch(conn: Connection, posting_ids: list[int], now: datetime) -> None:
    """Mark postings, and the leads they belong to, as seen now."""
    for ids in chunks(posting_ids):
        conn.execute(_SEEN_POSTINGS, {"ids": ids, "now": now})
        conn.execute(_LEADS_OF_SEEN_POSTINGS, {"ids": ids, "now": now})


def assign_leads(
    conn: Connection,
    rows: list[dict[str, Any]],
    seen: list[dedupe.Sighting],
    now: datetime,
    window_start: datetime,
    first_seen: datetime,
) -> None:
    """Set ``lead_id`` on each new posting row (``seen``: their sightings, in order): an
    existing lead it duplicates (seen again ``now``), or a new one (first seen at
    ``first_seen``).

    The batch's candidate leads are loaded with a few IN queries, the decisions are made in
    memory (aggregator.core.dedupe.LeadIndex), and new leads are inserted in one statement.
    """
    # Imported where used (here and below): dedupe needs numpy, and a run where every
    # source answers 304 should not pay for importing it.
    from aggregator.core import dedupe

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
    ids = _insert_leads(conn, created, first_seen, now)
    for row in rows:
        if row["lead_id"] < 0:
            row["lead_id"] = ids[-row["lead_id"] - 1]
    for chunk in chunks(sorted(joined)):
        conn.execute(_SEEN_LEADS, {"ids": chunk, "now": now})


def _load_lead_index(
    conn: Connection, seen: list[dedupe.Sighting], window_start: datetime
) -> dedupe.LeadIndex:
    """The stored leads any of these sightings could join."""
    from aggregator.core import dedupe

    index = dedupe.LeadIndex()
    urls = sorted({s.url for s in seen if s.url})
    for chunk in chunks(urls):
        for linked in conn.execute(_LEADS_OF_URLS, {"urls": chunk}):
            index.add_linked(linked.canonical_url, _known_lead(linked))
    keys = sorted({s.key for s in seen if s.key})
    banded: set[int] = set()  # leads made findable by key and bands (not those by URL alone)
    for chunk in chunks(keys):
        found = conn.execute(_RECENT_LEADS_OF_KEYS, {"keys": chunk, "window_start": window_start})
        for row in found:
            banded.add(row.id)
            index.add(_known_lead(row))
    # A sighting its URL or key places never has its description compared (LeadIndex.find),
    # so only the others' bands are looked up: a repost is placed without loading its twins.
    bands = sorted(
        {band for s in seen if s.company and not index.placed(s) for band in s.bands}
    )
    query = _RECENT_LEADS_OF_BANDS_POSTGRESQL if is_postgresql(conn) else _RECENT_LEADS_OF_BANDS
    for chunk in chunks(bands):
        for row in conn.execute(query, {"bands": chunk, "window_start": window_start}):
            if row.id not in banded:
                banded.add(row.id)
                index.add(_known_lead(row))
    return index


# The recent leads with any of these bands, each once. PostgreSQL takes a semi-join (DISTINCT
# over the joined rows sorts their signatures, a third of the query's time); SQLite runs that
# one as a scan of the leads, and the DISTINCT join in a tenth of it.
_RECENT_LEADS_OF_BANDS_POSTGRESQL = select(*_KNOWN).where(
    leads.c.id.in_(
        select(lead_bands.c.lead_id).where(
            lead_bands.c.band.in_(bindparam("bands", expanding=True))
        )
    ),
    _RECENT,
)
_RECENT_LEADS_OF_BANDS = (
    select(*_KNOWN)
    .join(lead_bands, lead_bands.c.lead_id == leads.c.id)
    .where(lead_bands.c.band.in_(bindparam("bands", expanding=True)), _RECENT)
    .distinct()
)


def _known_lead(row: Any) -> dedupe.KnownLead:
    return _lead_from(row.id, row.key, row.company_key, row.signature)


# Batch after batch loads the same leads again (every repost of a job); spelling out their
# titles and banding their signatures is most of the cost, and depends on the row alone.
@functools.lru_cache(maxsize=4096)
def _lead_from(
    lead_id: int, key: str, company_key: str, signature: bytes | None
) -> dedupe.KnownLead:
    from aggregator.core import dedupe

    found = dedupe.from_bytes(signature) if signature is not None else None
    return dedupe.KnownLead.stored(lead_id, key, company_key, found)


def _insert_leads(
    conn: Connection, created: list[dedupe.Sighting], first_seen: datetime, now: datetime
) -> list[int]:
    """Insert new leads (and their LSH bands), first seen at ``first_seen`` and last ``now``;
    their ids, in order."""
    from aggregator.core import dedupe

    if not created:
        return []
    values = [
        {
            "key": s.key,
            "company_key": s.company,
            "signature": dedupe.to_bytes(s.signature) if s.signature is not None else None,
            "first_seen": first_seen,
            "last_seen": now,
        }
        for s in created
    ]
    query = insert(leads).returning(leads.c.id, sort_by_parameter_order=True)
    ids = [int(i) for i in conn.execute(query, values).scalars().all()]
    bands = [
        (band, lead_id) for lead_id, s in zip(ids, created, strict=True) for band in s.bands
    ]
    if bands:
        _insert_bands(conn, bands)
    return ids


def _insert_bands(conn: Connection, bands: list[tuple[int, int]]) -> None:
    """Insert (band, lead id) pairs. PostgreSQL takes them as two arrays in one statement:
    as pages of VALUES rows (about 30 a lead) they took several times as long as on SQLite,
    binding and parsing two parameters a row."""
    if not is_postgresql(conn):
        conn.execute(insert(lead_bands), [{"band": b, "lead_id": i} for b, i in bands])
        return
    pairs = (
        func.unnest(
            literal([b for b, _ in bands], ARRAY(BigInteger)),
            literal([i for _, i in bands], ARRAY(Integer)),
        )
        .table_valued("band", "lead_id")
        .render_derived()
    )
    columns = ["band", "lead_id"]
    conn.execute(insert(lead_bands).from_select(columns, select(pairs.c.band, pairs.c.lead_id)))
