"""Digests' share of the store: pending leads, deliveries, digest runs and mentees' feedback."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Select, delete, exists, insert, or_, select

from aggregator.core.models import PendingLeads, Verdict
from aggregator.store.leases import release_digest_in
from aggregator.store.matching import BRIEF_POSTING, shown_and_seen
from aggregator.store.rows import StorePart, stored_match
from aggregator.store.schema import deliveries, digest_runs, feedback, leads, matches, postings
from aggregator.store.statuses import append_status, changing_status


class DeliveriesStore(StorePart):
    """Feedback, pending leads, deliveries and digest runs (a part of Store)."""

    # -- feedback -----------------------------------------------------------------------

    def record_feedback(self, mentee: str, lead_id: int, verdict: Verdict, now: datetime) -> None:
        """Remember what a mentee said about a lead (the latest word counts); it is also their
        status on the lead (the web view shows it, the mentor's digest tells it)."""
        with changing_status(self.engine, mentee, lead_id, verdict.value) as conn:
            if conn is None:
                return
            conn.execute(
                delete(feedback).where(
                    feedback.c.mentee_id == mentee, feedback.c.lead_id == lead_id
                )
            )
            conn.execute(
                insert(feedback).values(mentee_id=mentee, lead_id=lead_id, verdict=verdict, at=now)
            )
            append_status(conn, mentee, lead_id, verdict.value, now)

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
        posted_after: datetime | None = None,
        open_at: datetime | None = None,
    ) -> PendingLeads:
        """Matches of these mentees not yet delivered to ``mentor``: the best ``per_mentee`` of
        each with their postings (brief, see :meth:`representatives`) and where they were
        seen, and the rest as (mentee, lead) pairs.

        A lead already delivered to the mentor (for any mentee) is never pending again, and
        a lead a mentee said is not for them is left out; so is one that a board says was
        posted before ``posted_after``, however recently it was first seen here, and one
        whose applications had closed by ``open_at`` (every sighting names a date, and the
        latest has passed: see ``lead_closes_at``).
        """
        delivered = select(deliveries.c.lead_id).where(deliveries.c.mentor_id == mentor)
        refused = select(feedback.c.lead_id).where(
            feedback.c.mentee_id == matches.c.mentee_id,
            feedback.c.verdict == Verdict.NOT_FOR_ME.value,
        )
        conditions = [
            matches.c.mentee_id.in_(list(mentees)),
            matches.c.score >= min_score,
            leads.c.first_seen > first_seen_after,
            matches.c.lead_id.not_in(delivered),
            matches.c.lead_id.not_in(refused),
        ]
        if posted_after is not None:
            conditions.append(~exists(sightings_of(matches.c.lead_id).where(
                postings.c.posted_at < posted_after)))
        if open_at is not None:
            conditions.append(is_open(matches.c.lead_id, open_at))
        query = (
            select(matches)
            .join(leads, leads.c.id == matches.c.lead_id)
            .where(*conditions)
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
        shown, seen_at = shown_and_seen(
            self.engine, sorted({row.lead_id for row in best}), BRIEF_POSTING
        )
        return PendingLeads(
            best=tuple(stored_match(row, shown[row.lead_id]) for row in best),
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
        holder: str | None = None,
    ) -> None:
        """Mark (mentee, lead) pairs as delivered to ``mentor`` in message ``message_id``:
        ``shown`` in it, or ``passed_over`` for better ones (neither is pending again).

        Called only once the message is durable or accepted, in one transaction (with the
        mentor's digest run, and releasing ``holder``'s claim on the digest), so a crash
        leaves the leads pending rather than half-recorded, and no other sender can take
        the digest between the send and the record.
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
            release_digest_in(conn, mentor, holder)

    def last_digest_runs(self) -> dict[str, datetime]:
        """When each mentor's digest last ran without failing (sent, or nothing new)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(digest_runs.c.mentor_id, digest_runs.c.last_run_at))
            return {mentor: at for mentor, at in rows}

    def last_digest_run(self, mentor: str) -> datetime | None:
        """When ``mentor``'s digest last ran without failing; None if it never has.

        One row, not every mentor's: a sender asks it of each mentor it claims.
        """
        query = select(digest_runs.c.last_run_at).where(digest_runs.c.mentor_id == mentor)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()

    def record_digest_run(
        self, mentor: str, message_id: str | None, now: datetime, holder: str | None = None
    ) -> None:
        """Remember that ``mentor``'s digest ran now (so the next is due at the next time),
        releasing ``holder``'s claim on it."""
        with self.engine.begin() as conn:
            _mark_digest_run(conn, mentor, message_id, now)
            release_digest_in(conn, mentor, holder)

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


def _mark_digest_run(conn: Connection, mentor: str, message_id: str | None, now: datetime) -> None:
    conn.execute(delete(digest_runs).where(digest_runs.c.mentor_id == mentor))
    conn.execute(
        insert(digest_runs).values(mentor_id=mentor, last_run_at=now, last_message_id=message_id)
    )


def is_open(lead_id: ColumnElement[int], now: datetime) -> ColumnElement[bool]:
    """Whether applications to the lead are open ``now``: a sighting of it names no closing
    date or a later one (``lead_closes_at`` in SQL)."""
    return exists(sightings_of(lead_id).where(
        or_(postings.c.closes_at.is_(None), postings.c.closes_at > now)
    ))


def sightings_of(lead_id: ColumnElement[int]) -> Select[tuple[int]]:
    """The postings of a lead, correlated: asked of each candidate lead through the
    postings' lead index rather than of every posting."""
    return select(postings.c.id).where(postings.c.lead_id == lead_id)
