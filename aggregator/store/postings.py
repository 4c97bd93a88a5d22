"""Sources' state and their postings: what was collected, when, and where each lead was seen."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from aggregator.core.models import (
    DEFAULT_REPOST_WINDOW_DAYS,
    Posting,
    SeenAt,
    SourceState,
    StoredPosting,
)
from aggregator.store.engine import analyze_if_never, refused
from aggregator.store.leads import assign_leads, touch
from aggregator.store.leases import one_at_a_time
from aggregator.store.rows import (
    BATCH,
    SHOWN_FIRST,
    StorePart,
    add_place,
    chunks,
    new_posting_row,
    posting_row,
    stored_posting,
    streamed,
)
from aggregator.store.schema import lead_bands, leads, postings, source_states

if TYPE_CHECKING:
    from aggregator.core.intake import Prepared


# The statements a save runs for every source, built once: one built for each call costs more
# to build (and to find again in SQLAlchemy's cache of compiled statements) than SQLite takes
# to run it. Their IN (...) lists are given when they run (expanding bind parameters).
_KNOWN_POSTINGS = select(postings.c.fingerprint, postings.c.id, postings.c.content_hash).where(
    postings.c.source == bindparam("source"),
    postings.c.fingerprint.in_(bindparam("fingerprints", expanding=True)),
)
_STORED_STATES = select(source_states.c.name).where(
    source_states.c.name.in_(bindparam("names", expanding=True))
)


class PostingsStore(StorePart):
    """Sources' state and postings (a part of Store)."""

    # -- source state -------------------------------------------------------------------

    def source_state(self, name: str) -> SourceState:
        """The remembered state of a source (an empty one for a source never collected)."""
        return self.states_of([name])[name]

    def states_of(self, names: Sequence[str]) -> dict[str, SourceState]:
        """The remembered state of each of ``names`` (an empty one for a source never
        collected), read in one query per BATCH names: a collector asks for the sources it
        has just claimed together, not one at a time."""
        found: dict[str, SourceState] = {}
        with self.engine.connect() as conn:
            for part in chunks(list(names)):
                rows = conn.execute(select(source_states).where(source_states.c.name.in_(part)))
                found.update((row.name, _state_from_row(row._mapping)) for row in rows)
        return {name: found.get(name) or SourceState(name=name) for name in names}

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
            _write_states(conn, [failed])
        return failed

    def record_not_modified(self, states: Sequence[SourceState], now: datetime) -> None:
        """Remember successful 304s: nothing new, the sources are healthy (one transaction)."""
        fresh = [
            replace(
                state, last_attempt=now, last_success=now, last_error=None,
                consecutive_failures=0,
            )
            for state in states
        ]
        with self.engine.begin() as conn:
            _write_states(conn, fresh)

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
        """Store a source's postings and its new state in one transaction (see
        :meth:`save_prepared`, which this prepares them for); (new, updated, unchanged)."""
        from aggregator.core.intake import prepared

        return self.save_prepared(
            state, prepared(batch), now, company_page=company_page, repost_window=repost_window
        )

    def save_prepared(
        self,
        state: SourceState,
        batch: Sequence[Prepared],
        now: datetime,
        *,
        company_page: bool = False,
        repost_window: timedelta = timedelta(days=DEFAULT_REPOST_WINDOW_DAYS),
        first_seen: datetime | None = None,
    ) -> tuple[int, int, int]:
        """Store a source's postings, prepared by ``aggregator.core.intake.prepared`` (the
        collect stage does that in its worker processes), and its new state in one transaction.

        Returns counts of (new, updated, unchanged) postings. Doing both at once means a
        crash can never leave validators (ETag) saved for postings that were not. New postings
        join the lead (the same job seen elsewhere) they duplicate, or start a new one; they
        and their new leads are first seen at ``first_seen`` (the collection round's start;
        by default ``now``).
        """
        first_seen = first_seen or now
        unique = {p.fingerprint: p for p in batch}
        # Collectors in other processes store at the same time: one at a time, or two could
        # each start a new lead for the same job, and lead ids could commit out of order
        # (matching takes every lead above the highest it scored).
        with refused("the source's postings"), one_at_a_time(self.engine, "store-postings") as conn:
            known = self._known(conn, state.name, list(unique))
            new_rows, new, changed, seen_ids = [], [], [], []
            for key, ready in unique.items():
                if key not in known:
                    new_rows.append(new_posting_row(ready, now, first_seen, company_page))
                    new.append(ready.sighting)
                    continue
                seen_ids.append(known[key][0])
                if known[key][1] != ready.content_hash:
                    changed.append((known[key][0], posting_row(ready, now)))
            if new_rows:
                assign_leads(conn, new_rows, new, now, now - repost_window, first_seen)
                conn.execute(insert(postings), new_rows)
            for row_id, row in changed:
                conn.execute(update(postings).where(postings.c.id == row_id).values(**row))
            touch(conn, seen_ids, now)
            fresh = replace(
                state,
                last_attempt=now,
                last_success=now,
                last_error=None,
                consecutive_failures=0,
                last_item_count=len(unique),
            )
            _write_states(conn, [fresh])
        if new_rows:
            analyze_if_never(self.engine, [postings, leads, lead_bands])
        return len(new_rows), len(changed), len(seen_ids) - len(changed)

    @staticmethod
    def _known(conn: Connection, source: str, keys: list[str]) -> dict[str, tuple[int, str]]:
        known: dict[str, tuple[int, str]] = {}
        for part in chunks(keys):
            rows = conn.execute(_KNOWN_POSTINGS, {"source": source, "fingerprints": part})
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
        for row in streamed(self.engine, query):
            yield stored_posting(row._mapping)

    def lead_links(self, lead_ids: Sequence[int]) -> dict[int, list[str]]:
        """Every URL each lead was seen at: the company's own pages first, then oldest first."""
        return {
            lead: [seen.url for seen in places] for lead, places in self.seen_at(lead_ids).items()
        }

    def seen_at(self, lead_ids: Sequence[int]) -> dict[int, list[SeenAt]]:
        """Where each lead was seen (one entry per URL): company pages first, then oldest."""
        found: dict[int, list[SeenAt]] = {lead_id: [] for lead_id in lead_ids}
        with self.engine.connect() as conn:
            for start in range(0, len(lead_ids), BATCH):
                query = (
                    select(
                        postings.c.lead_id,
                        postings.c.source,
                        postings.c.url,
                        postings.c.company_page,
                    )
                    .where(postings.c.lead_id.in_(lead_ids[start : start + BATCH]))
                    .order_by(*SHOWN_FIRST)
                )
                for lead_id, source, url, company_page in conn.execute(query):
                    add_place(found[lead_id], source, url, company_page)
        return found

    def posting_counts(self) -> dict[str, int]:
        """How many postings each source has in the store."""
        query = select(postings.c.source, func.count()).group_by(postings.c.source)
        with self.engine.connect() as conn:
            return {source: count for source, count in conn.execute(query).all()}


def _write_states(conn: Connection, states: Sequence[SourceState]) -> None:
    """Sources' states, however many, in three statements at most: which are stored, one
    executemany UPDATE for those, one INSERT for the rest (an UPDATE a source made up some
    4 % of an all-304 run of 200 feeds)."""
    names = [state.name for state in states]
    stored: set[str] = set()
    for part in chunks(names):
        stored.update(conn.execute(_STORED_STATES, {"names": part}).scalars())
    known = [{"known_name": s.name, **_state_values(s)} for s in states if s.name in stored]
    if known:
        by_name = source_states.c.name == bindparam("known_name")
        conn.execute(update(source_states).where(by_name), known)
    new = [{"name": s.name, **_state_values(s)} for s in states if s.name not in stored]
    if new:
        conn.execute(insert(source_states), new)


def _state_values(state: SourceState) -> dict[str, Any]:
    """The source_states columns of ``state``, but its name."""
    return {
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


def _state_from_row(row: Any) -> SourceState:
    return SourceState(**dict(row))
