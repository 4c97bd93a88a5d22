"""The web view's share of the store: mentees' statuses on leads and the private links.

A status is kept as a history of events (the latest counts): the mentor's digest tells what
changed since the last one. Interested / Applied / Not for me are also the matcher's
feedback; ``record_feedback`` (deliveries) writes both in one transaction, so a verdict typed
with `leads feedback` and one pressed on the page are the same thing.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import BindParameter, Connection, Engine, bindparam, delete, func, insert, select

from aggregator.core.models import LeadStatus, SeenAt, StatusChange, StoredMatch
from aggregator.store.events import EVENTS_VERSION
from aggregator.store.leases import one_at_a_time
from aggregator.store.matching import BRIEF_POSTING, TEXT_POSTING, shown_and_seen
from aggregator.store.rows import StorePart, stored_match
from aggregator.store.schema import (
    access_links,
    deliveries,
    digest_runs,
    feedback,
    lead_statuses,
    matches,
    postings,
)

# What a mentor's "Since last time" line tells about: the steps toward a job, and the leads a
# mentee passed on (what the mentor sent that did not fit). Closed is the job's state, no news.
NEWS_STATUSES = (
    LeadStatus.INTERESTED,
    LeadStatus.APPLIED,
    LeadStatus.INTERVIEWING,
    LeadStatus.OFFER,
    LeadStatus.NOT_FOR_ME,
)


class StatusesStore(StorePart):
    """Mentees' statuses on leads and the private links of the web view (a part of Store)."""

    # -- statuses -----------------------------------------------------------------------

    def record_status(
        self, mentee: str, lead_id: int, status: LeadStatus | None, now: datetime
    ) -> None:
        """Remember a status that is not a verdict (Interviewing, Offer, Closed), or None: the
        mentee took their word back (their verdict is forgotten too, so the matcher forgets)."""
        with changing_status(self.engine, mentee, lead_id, status) as conn:
            if conn is None:
                return
            if status is None:
                conn.execute(
                    delete(feedback).where(
                        feedback.c.mentee_id == mentee, feedback.c.lead_id == lead_id
                    )
                )
            append_status(conn, mentee, lead_id, status, now)

    def lead_statuses(
        self, mentees: Sequence[str] | None = None
    ) -> dict[str, dict[int, LeadStatus]]:
        """Each mentee's latest status per lead (leads without one are left out)."""
        query = select(lead_statuses.c.mentee_id, lead_statuses.c.lead_id, lead_statuses.c.status)
        if mentees is not None:
            query = query.where(lead_statuses.c.mentee_id.in_(list(mentees)))
        latest: dict[str, dict[int, LeadStatus | None]] = {}
        with self.engine.connect() as conn:
            for mentee, lead, status in conn.execute(query.order_by(lead_statuses.c.id)):
                latest.setdefault(mentee, {})[lead] = LeadStatus(status) if status else None
        found = {
            mentee: {lead: status for lead, status in said.items() if status is not None}
            for mentee, said in latest.items()
        }
        return {mentee: said for mentee, said in found.items() if said}

    def status_news(self, mentor: str, mentees: Sequence[str]) -> dict[str, list[StatusChange]]:
        """What each mentee marked (interested, applied, interviewing, an offer, not for me)
        since the mentor's last digest (every such status before the first), oldest first.

        Since the mentor's last digest run that did not fail: one that sent news recorded no
        delivered lead when it carried none, and one that had nothing to send had no news
        either (news alone is sent). A database from before digest runs were recorded reads
        the last delivered lead's time."""
        last_run = select(digest_runs.c.last_run_at).where(digest_runs.c.mentor_id == mentor)
        last_delivered = select(func.max(deliveries.c.delivered_at)).where(
            deliveries.c.mentor_id == mentor
        )
        last_sent = select(
            func.coalesce(last_run.scalar_subquery(), last_delivered.scalar_subquery())
        )
        query = (
            select(lead_statuses)
            .where(lead_statuses.c.mentee_id.in_(list(mentees)))
            .order_by(lead_statuses.c.id)
        )
        with self.engine.connect() as conn:
            since = conn.execute(last_sent).scalar_one_or_none()
            if since is not None:
                query = query.where(lead_statuses.c.at > since)
            rows = conn.execute(query).all()
        current = self.lead_statuses(mentees)
        news: dict[tuple[str, int], tuple[LeadStatus, datetime]] = {}
        for row in rows:
            status = LeadStatus(row.status) if row.status else None
            still = current.get(row.mentee_id, {}).get(row.lead_id) is status
            if status in NEWS_STATUSES and still:  # not taken back or moved on since
                news[row.mentee_id, row.lead_id] = (status, row.at)
        shown, _ = shown_and_seen(self.engine, sorted({lead for _, lead in news}), BRIEF_POSTING)
        found: dict[str, list[StatusChange]] = {}
        for (mentee, lead), (status, at) in news.items():
            posting = shown[lead].posting
            found.setdefault(mentee, []).append(
                StatusChange(lead, status, posting.title, posting.company, at)
            )
        return found

    def mentee_matches(self, mentee: str) -> tuple[list[StoredMatch], dict[int, list[SeenAt]]]:
        """A mentee's matches (descriptions as text, whole: the page shows and searches them)
        and where each lead was seen, for their page."""
        query = (
            select(matches)
            .where(matches.c.mentee_id == mentee)
            .order_by(matches.c.score.desc(), matches.c.lead_id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        shown, seen_at = shown_and_seen(self.engine, [r.lead_id for r in rows], TEXT_POSTING)
        return [stored_match(r, shown[r.lead_id]) for r in rows], seen_at

    def page_version(self, mentee: str) -> tuple[object, ...]:
        """A fingerprint of everything the mentee's page shows: their matches, the postings of
        those leads, their statuses and the stored events. It changes whenever one of them
        does (a match run, a collect, a button press, `leads feedback`), and costs one
        statement of index lookups, so the web view keeps a rendered page exactly until then."""
        with self.engine.connect() as conn:
            return tuple(conn.execute(_PAGE_VERSION, {"mentee": mentee}).one())

    # -- private links ------------------------------------------------------------------

    def link_generation(self, holder: str, subject: str) -> int | None:
        """The generation of a mentee's or mentor's current link (None: never issued)."""
        query = select(access_links.c.generation).where(
            access_links.c.holder == holder, access_links.c.subject == subject
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()

    def save_link(
        self, holder: str, subject: str, generation: int, token_hash: str, now: datetime
    ) -> None:
        """Keep the hash of a newly issued link; the holder's previous link stops working."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(access_links).where(
                    access_links.c.holder == holder, access_links.c.subject == subject
                )
            )
            conn.execute(
                insert(access_links).values(
                    holder=holder,
                    subject=subject,
                    generation=generation,
                    token_hash=token_hash,
                    issued_at=now,
                )
            )

    def link_holder(self, token_hash: str) -> tuple[str, str] | None:
        """(holder, subject) of the link with this hash, or None for no current link."""
        with self.engine.connect() as conn:
            row = conn.execute(_LINK_HOLDER, {"token_hash": token_hash}).first()
        # The index lookup found the row; the comparison that decides is constant-time.
        if row is None or not hmac.compare_digest(row.token_hash, token_hash):
            return None
        return row.holder, row.subject


# The web view asks these on every request: built once (SQLAlchemy's construction of a
# statement costs more than SQLite's answer to it).
_MENTEE: BindParameter[str] = bindparam("mentee")
_PAGE_VERSION = (
    select(
        func.count(),
        func.sum(matches.c.score),
        func.max(matches.c.scored_at),
        func.max(postings.c.id),
        func.max(postings.c.updated_at),
        select(func.max(lead_statuses.c.id))
        .where(lead_statuses.c.mentee_id == _MENTEE)
        .scalar_subquery(),
        *EVENTS_VERSION.selected_columns,
    )
    .select_from(matches.outerjoin(postings, postings.c.lead_id == matches.c.lead_id))
    .where(matches.c.mentee_id == _MENTEE)
)
_LINK_HOLDER = select(
    access_links.c.holder, access_links.c.subject, access_links.c.token_hash
).where(access_links.c.token_hash == bindparam("token_hash"))


@contextmanager
def changing_status(
    engine: Engine, mentee: str, lead_id: int, status: LeadStatus | str | None
) -> Iterator[Connection | None]:
    """A transaction to give a mentee's lead ``status``, one at a time per mentee and lead;
    None when the lead has that status already: a press sent twice (a double click, or two
    tabs) is one, and neither the second event nor a clash of two verdicts is stored."""
    value = LeadStatus(status).value if status is not None else None
    with one_at_a_time(engine, f"status:{mentee}:{lead_id}") as conn:
        latest = conn.execute(
            select(lead_statuses.c.status)
            .where(lead_statuses.c.mentee_id == mentee, lead_statuses.c.lead_id == lead_id)
            .order_by(lead_statuses.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        yield None if latest == value else conn


def append_status(
    conn: Connection, mentee: str, lead_id: int, status: LeadStatus | str | None, now: datetime
) -> None:
    """Add a status event (in the caller's transaction)."""
    value = LeadStatus(status).value if status is not None else None
    conn.execute(
        insert(lead_statuses).values(mentee_id=mentee, lead_id=lead_id, status=value, at=now)
    )
