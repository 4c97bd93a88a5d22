"""Matching's share of the store: leads to score, the fitted model, matches and progress."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)

from aggregator.core.models import (
    Match,
    MenteeProgress,
    SeenAt,
    StoredMatch,
    StoredPosting,
    Verdict,
    lead_closes_at,
)
from aggregator.store.rows import (
    BATCH,
    SHOWN_FIRST,
    StorePart,
    add_place,
    chunks,
    stored_match,
    stored_posting,
    streamed,
)
from aggregator.store.schema import (
    ROW_IDS,
    feedback,
    leads,
    matcher_models,
    matches,
    mentee_progress,
    postings,
)

BRIEF_CHARS = 2_000  # of a description, where a summary is all that is shown
_NOT_DESCRIBED = [
    c for c in postings.c if c.name not in ("description_html", "description_text")
]
# How much of a posting's description to read (see shown_and_seen): all of it; its text only,
# whole (a mentee's page shows it and searches it); its text cut down, enough for a summary
# (a digest reads hundreds of leads and shows a line of each).
WHOLE_POSTING = [postings]
TEXT_POSTING = [*_NOT_DESCRIBED, literal("").label("description_html"), postings.c.description_text]
BRIEF_POSTING = [
    *_NOT_DESCRIBED,
    literal("").label("description_html"),
    func.substr(postings.c.description_text, 1, BRIEF_CHARS).label("description_text"),
]


class MatchingStore(StorePart):
    """Leads, the matcher model, matches and mentees' progress (a part of Store)."""

    def lead_postings(self, after_lead: int = 0) -> Iterator[StoredPosting]:
        """One posting per lead with id > ``after_lead``: its company page, else the oldest."""
        query = (
            select(postings)
            .where(postings.c.lead_id > after_lead)
            .order_by(postings.c.lead_id, *SHOWN_FIRST)
        )
        shown: StoredPosting | None = None
        sightings: list[datetime | None] = []
        for row in streamed(self.engine, query):
            if shown is not None and row.lead_id != shown.lead_id:
                yield replace(shown, closes_at=lead_closes_at(sightings))
                shown, sightings = None, []
            if shown is None:  # the first row of a lead is the one shown
                shown = stored_posting(row._mapping)
            sightings.append(row.closes_at)
        if shown is not None:
            yield replace(shown, closes_at=lead_closes_at(sightings))

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
                r.changes_through,
            )
            for r in rows
        }

    def latest_change(self) -> datetime | None:
        """When a posting was last stored or changed (None: no postings)."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(postings.c.updated_at))).scalar_one_or_none()

    def changed_leads(self, since: datetime) -> dict[int, datetime]:
        """The leads a sighting was added to or changed in after ``since``, and when the
        latest was. Read from the (updated_at, lead_id) index alone: grouped in SQL, SQLite
        would walk every posting in lead order instead."""
        query = select(postings.c.lead_id, postings.c.updated_at).where(
            postings.c.updated_at > since
        )
        latest: dict[int, datetime] = {}
        with self.engine.connect() as conn:
            for lead, at in conn.execute(query):
                latest[lead] = max(at, latest.get(lead, at))
        return latest

    def matched_pairs(self, lead_ids: Sequence[int]) -> set[tuple[str, int]]:
        """The (mentee, lead) pairs with a stored match, of these leads."""
        found: set[tuple[str, int]] = set()
        with self.engine.connect() as conn:
            for part in chunks(list(lead_ids)):
                query = select(matches.c.mentee_id, matches.c.lead_id).where(
                    matches.c.lead_id.in_(part)
                )
                found.update((mentee, lead) for mentee, lead in conn.execute(query))
        return found

    def save_matches(
        self,
        results: Sequence[tuple[MenteeProgress, Sequence[Match]]],
        now: datetime,
        *,
        replace_all: bool,
    ) -> int:
        """Store mentees' new matches and progress in one transaction; the matches stored.

        ``replace_all``: they were re-scored against every lead, so older matches go, but
        for the leads a mentee gave their word on. One marked not for them keeps its match:
        the matcher hides it from its results, and their page keeps it under "Also hidden",
        to take the mark back. One they liked (interested, applied) keeps the match it was
        shown with while the matcher still finds it: scored again with itself in the
        profile, it came out a "Strong fit" at 1.00 because the mentee liked it; no longer
        found (the mentee now excludes its company), it goes, as any other.
        """
        with self.engine.begin() as conn:
            kept: set[tuple[str, int]] = set()
            if replace_all:
                found = {(p.mentee, int(m.posting)) for p, matched in results for m in matched}
                for chunk in chunks([progress.mentee for progress, _ in results]):
                    kept |= _replace_matches_of(conn, chunk, found)
            rows = [
                {
                    "mentee_id": progress.mentee,
                    "lead_id": int(m.posting),
                    "score": m.score,
                    "why": list(m.why),
                    "gaps": list(m.gaps),
                    "scored_at": now,
                }
                for progress, matched in results
                for m in matched
                if (progress.mentee, int(m.posting)) not in kept
            ]
            if rows:
                conn.execute(insert(matches), rows)
            _save_progress(conn, [progress for progress, _ in results], now)
        return len(rows)

    def matches(self, mentee: str | None = None) -> list[StoredMatch]:
        """Stored matches, best first per mentee, with each lead's representative posting."""
        query = select(matches).order_by(
            matches.c.mentee_id, matches.c.score.desc(), matches.c.lead_id
        )
        if mentee is not None:
            query = query.where(matches.c.mentee_id == mentee)
        return self._stored_matches(query)

    def match(self, mentee: str, lead_id: int) -> StoredMatch | None:
        """The stored match of one mentee and one lead, with the lead's posting in full."""
        if lead_id not in ROW_IDS:
            return None
        query = select(matches).where(matches.c.mentee_id == mentee, matches.c.lead_id == lead_id)
        found = self._stored_matches(query)
        return found[0] if found else None

    def _stored_matches(self, query: Select[Any]) -> list[StoredMatch]:
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        representative = self.representatives(sorted({r.lead_id for r in rows}))
        return [stored_match(r, representative[r.lead_id]) for r in rows]

    def representatives(
        self, lead_ids: Sequence[int], *, brief: bool = False
    ) -> dict[int, StoredPosting]:
        """The posting shown for each lead: its company page, else the oldest sighting.

        ``brief``: without the HTML description and with the text cut to BRIEF_CHARS, enough
        for a summary (a digest reads hundreds of leads and shows a line of each). An id no
        lead can have (``leads feedback sam 99999999999999999999``) has none.
        """
        ids = [lead_id for lead_id in lead_ids if lead_id in ROW_IDS]
        return shown_and_seen(self.engine, ids, BRIEF_POSTING if brief else WHOLE_POSTING)[0]


def shown_and_seen(
    engine: Engine, lead_ids: Sequence[int], columns: Sequence[Any]
) -> tuple[dict[int, StoredPosting], dict[int, list[SeenAt]]]:
    """Each lead's shown posting and every place it was seen, in one query; ``columns``:
    WHOLE_POSTING, TEXT_POSTING or BRIEF_POSTING."""
    shown: dict[int, StoredPosting] = {}
    seen_at: dict[int, list[SeenAt]] = {lead_id: [] for lead_id in lead_ids}
    sightings: dict[int, list[datetime | None]] = {lead_id: [] for lead_id in lead_ids}
    with engine.connect() as conn:
        for start in range(0, len(lead_ids), BATCH):
            query = (
                select(*columns)
                .where(postings.c.lead_id.in_(lead_ids[start : start + BATCH]))
                .order_by(*SHOWN_FIRST)
            )
            for row in conn.execute(query):
                if row.lead_id not in shown:  # the first row is the one shown
                    shown[row.lead_id] = stored_posting(row._mapping)
                add_place(seen_at[row.lead_id], row.source, row.url, row.company_page)
                sightings[row.lead_id].append(row.closes_at)
    closing = {lead: replace(found, closes_at=lead_closes_at(sightings[lead]))
               for lead, found in shown.items()}
    return closing, seen_at


def _replace_matches_of(
    conn: Connection, mentees: Sequence[str], found: set[tuple[str, int]]
) -> set[tuple[str, int]]:
    """Delete these mentees' matches but those of leads they gave a verdict on: marked not
    for them, or liked and ``found`` again by the matcher; the (mentee, lead) pairs kept."""
    judged = select(feedback.c.lead_id).where(feedback.c.mentee_id == matches.c.mentee_id)
    conn.execute(
        delete(matches).where(matches.c.mentee_id.in_(mentees), matches.c.lead_id.not_in(judged))
    )
    left = (
        select(matches.c.mentee_id, matches.c.lead_id, feedback.c.verdict)
        .join(feedback, (feedback.c.mentee_id == matches.c.mentee_id)
              & (feedback.c.lead_id == matches.c.lead_id))
        .where(matches.c.mentee_id.in_(mentees))
    )  # fmt: skip
    kept: set[tuple[str, int]] = set()
    gone: dict[str, list[int]] = {}
    for mentee, lead, verdict in conn.execute(left):
        if verdict == Verdict.NOT_FOR_ME.value or (mentee, lead) in found:
            kept.add((mentee, lead))
        else:
            gone.setdefault(mentee, []).append(lead)
    for mentee, leads_gone in gone.items():
        conn.execute(delete(matches).where(matches.c.mentee_id == mentee,
                                           matches.c.lead_id.in_(leads_gone)))  # fmt: skip
    return kept


def _save_progress(conn: Connection, progress: list[MenteeProgress], now: datetime) -> None:
    """Write mentees' progress. A row without new profile vectors keeps its stored ones: it
    is updated in place, since rewriting every mentee's vectors on each incremental run
    would cost more than the scoring."""
    rows = {
        p.mentee: {
            "profile_hash": p.profile_hash,
            "model_fingerprint": p.model_fingerprint,
            "scored_through": p.scored_through,
            "changes_through": p.changes_through,
            "updated_at": now,
            "profile_vectors": p.profile_vectors,
        }
        for p in progress
    }
    unchanged = [m for m, row in rows.items() if row["profile_vectors"] is None]
    kept = _existing_progress(conn, unchanged)
    for chunk in chunks([m for m in rows if m not in kept]):
        conn.execute(delete(mentee_progress).where(mentee_progress.c.mentee_id.in_(chunk)))
    replaced = [{"mentee_id": m, **row} for m, row in rows.items() if m not in kept]
    if replaced:
        conn.execute(insert(mentee_progress), replaced)
    if kept:
        values = (
            "profile_hash", "model_fingerprint", "scored_through", "changes_through", "updated_at"
        )
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
    for chunk in chunks(mentees):
        query = select(mentee_progress.c.mentee_id).where(mentee_progress.c.mentee_id.in_(chunk))
        found.update(conn.execute(query).scalars())
    return found
