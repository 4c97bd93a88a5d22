"""The digest stage: each mentor's pending leads → one email → delivered → recorded.

A digest shows each mentee's best pending leads; the other pending ones are passed over
(recorded with it, not news next time: the mentee's page lists every lead).

Exactly once: a (mentor, lead) pair is recorded as delivered only after the sender returned,
that is after the SMTP server accepted the message or the outbox file was fsynced, and in one
transaction with the message id. A crash before that leaves the leads pending; the next run
composes the same digest with the same Message-ID (it is derived from the leads), so a resend
is recognisable, and an outbox file is simply replaced.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from aggregator.core.config import AppConfig
from aggregator.core.errors import ConfigError, DeliveryError
from aggregator.core.models import (
    Digest,
    DigestLead,
    LeadStatus,
    Mentee,
    MenteeDigest,
    Mentor,
    PrepSheet,
    StatusChange,
    StoredMatch,
)
from aggregator.core.private_files import make_private_folder, safe_file_name, write_private_text
from aggregator.core.schedule_expressions import parse_schedule
from aggregator.stages.events import suggested_events
from aggregator.store import Store
from aggregator.store.leases import Heartbeat, Lease, new_holder
from digests.network import NetworkIndex, network_of
from digests.render import digest_subject, render_digest
from digests.senders import Sender, open_sender
from matchers.prep import prepare
from matchers.profile import profile_from_mentee

log = logging.getLogger(__name__)
# Marks the warning of a digest not delivered: `leads digest` and `leads run` print it themselves.
FAILED_DIGEST = "failed_digest"

Clock = Callable[[], datetime]

# A lead first seen longer ago than this is no longer news; it is left out of digests.
DIGEST_LOOKBACK = timedelta(days=30)


class DigestStatus(StrEnum):
    """How one mentor's digest ended."""

    SENT = "sent"
    NOTHING_NEW = "nothing_new"  # no pending leads, no news, and send_empty is off
    DRY_RUN = "dry_run"  # composed and shown, not sent, nothing recorded
    FAILED = "failed"
    ELSEWHERE = "elsewhere"  # another process is sending it (it holds the mentor's claim)


@dataclass(frozen=True, slots=True)
class LeadLine:
    """One lead of a digest, as a summary lists it."""

    title: str
    company: str
    score: float


@dataclass(frozen=True, slots=True)
class DigestSummary:
    """What a digest said, in brief: kept per mentor instead of the whole digest, so a run
    for hundreds of mentors holds a few lines each, not every posting."""

    subject: str
    recipient: str
    message_id: str
    sections: tuple[tuple[str, tuple[LeadLine, ...]], ...]  # (mentee name, leads)

    @classmethod
    def of(cls, digest: Digest) -> DigestSummary:
        """The summary of a composed digest."""
        sections = tuple(
            (
                section.mentee.name,
                tuple(
                    LeadLine(
                        lead.match.posting.posting.title,
                        lead.match.posting.posting.company,
                        lead.match.score,
                    )
                    for lead in section.leads
                ),
            )
            for section in digest.sections
        )
        return cls(digest_subject(digest), str(digest.mentor.email), digest.message_id, sections)


@dataclass(frozen=True, slots=True)
class DigestOutcome:
    """What happened to one mentor's digest this run."""

    mentor: str
    status: DigestStatus
    summary: DigestSummary | None = None
    error: str | None = None
    permanent: bool = False  # the failure will not go away by itself (e.g. a 5xx recipient)


@dataclass(slots=True)
class DigestReport:
    """Every mentor's outcome, and where messages went."""

    destination: str = ""
    outcomes: list[DigestOutcome] = field(default_factory=list)

    @property
    def failures(self) -> list[DigestOutcome]:
        """The mentors whose digest could not be delivered."""
        return [o for o in self.outcomes if o.status is DigestStatus.FAILED]

    @property
    def ok(self) -> bool:
        """True when no delivery failed."""
        return not self.failures


@dataclass(frozen=True, slots=True)
class Composition:
    """A mentor's digest, and the pending leads it passes over for better ones."""

    digest: Digest
    passed_over: tuple[tuple[str, int], ...]  # (mentee, lead) pairs


def compose(
    config: AppConfig,
    store: Store,
    mentor: Mentor,
    now: datetime,
    mentees: Sequence[Mentee] | None = None,
) -> Composition:
    """The digest ``mentor`` would get now: each mentee's best leads not yet delivered.

    ``mentees`` are the mentor's (looked up in the config when not given).
    """
    if mentees is None:
        mentees = config.mentees_of(mentor)
    settings = mentor.digest
    # Never offer an old job as new: not one first seen long ago, nor one a board dates
    # older than the age limit (though first seen here today), nor one that has closed.
    max_age = config.matching.max_age_days
    max_age_limit = None if max_age is None else timedelta(days=max_age)
    lookback = min(DIGEST_LOOKBACK, max_age_limit or DIGEST_LOOKBACK)
    pending = store.pending_matches(
        mentor.id,
        [m.id for m in mentees],
        min_score=settings.min_score if settings.min_score is not None else 0.0,
        first_seen_after=now - lookback,
        per_mentee=settings.max_leads_per_mentee,
        posted_after=None if max_age_limit is None else now - max_age_limit,
        open_at=now,
    )
    chosen: dict[str, list[StoredMatch]] = {}
    for found in pending.best:
        chosen.setdefault(found.mentee, []).append(found)
    places = pending.seen_at
    network = NetworkIndex(network_of(mentor, config.directory))
    # Events ride along with a mentee's leads; they never make a digest on their own.
    events = suggested_events(config, store, now, [m for m in mentees if chosen.get(m.id)])
    ids = [m.id for m in mentees]
    statuses = store.lead_statuses(ids)
    news = store.status_news(mentor.id, ids)
    pages = _page_urls(config, store, mentees, now)
    sections = tuple(
        MenteeDigest(
            mentee=mentee,
            leads=tuple(
                DigestLead(
                    match=found,
                    seen_at=tuple(places[found.lead_id]),
                    contacts=network.contacts_at(found.posting.posting.company),
                    # With a page, the forward email links to the lead's sheet there.
                    prep=None if mentee.id in pages else prep_sheet(found, mentee),
                    mentee_status=_status(statuses, mentee.id, found.lead_id),
                )
                for found in chosen.get(mentee.id, [])
            ),
            events=tuple(events.get(mentee.id, ())),
            page_url=pages.get(mentee.id),
            news=tuple(news.get(mentee.id, ())),
            followed=_followed(
                store, network, mentee.id, news.get(mentee.id, ()), chosen.get(mentee.id, [])
            ),
        )
        for mentee in mentees
        if chosen.get(mentee.id) or news.get(mentee.id) or settings.send_empty
    )
    digest = Digest(
        mentor=mentor,
        sections=sections,
        sender=config.delivery.from_address,
        composed_at=now,
        message_id=message_id(mentor, sections, config.delivery.from_address, now),
    )
    return Composition(digest, pending.others)


# The news after which an introduction through someone at the company still helps.
_PURSUED = frozenset({LeadStatus.INTERESTED, LeadStatus.APPLIED, LeadStatus.INTERVIEWING})


def _followed(
    store: Store,
    network: NetworkIndex,
    mentee: str,
    news: Sequence[StatusChange],
    shown: Sequence[StoredMatch],
) -> tuple[DigestLead, ...]:
    """The leads of a mentee's news that someone in the mentor's network works at (and that
    the digest does not show as new already), each with those contacts: while the mentee is
    pursuing them, not once they got an offer or passed on them."""
    followed = []
    shown_ids = {found.lead_id for found in shown}
    for change in news:
        contacts = network.contacts_at(change.company)
        if not contacts or change.lead_id in shown_ids or change.status not in _PURSUED:
            continue
        found = store.match(mentee, change.lead_id)
        if found is not None:
            status = change.status.value
            followed.append(DigestLead(found, (), contacts=contacts, mentee_status=status))
    return tuple(followed)


def prep_sheet(found: StoredMatch, mentee: Mentee) -> PrepSheet:
    """Interview prep for a mentee's lead, with the match's gaps as what to brush up on."""
    posting = found.posting.posting
    return prepare(posting, profile_from_mentee(mentee), found.lead_id, gaps=found.gaps)


def _status(statuses: dict[str, dict[int, LeadStatus]], mentee: str, lead: int) -> str | None:
    status = statuses.get(mentee, {}).get(lead)
    return status.value if status is not None else None


def _page_urls(
    config: AppConfig, store: Store, mentees: Sequence[Mentee], now: datetime
) -> dict[str, str]:
    """Each mentee's private page, when the web view has a public address (web.base_url)."""
    if not config.web_base_url:
        return {}
    from web.links import Links  # the web key is read only when there are links to make
    from web.tokens import Holder

    links = Links(config, store)
    return {mentee.id: links.url(Holder.MENTEE, mentee.id, now) for mentee in mentees}


def message_id(
    mentor: Mentor, sections: Sequence[MenteeDigest], sender: str, composed_at: datetime
) -> str:
    """A Message-ID that is the same whenever the same leads (and the same news of the
    mentees' marks, if any) go to the same mentor. A digest with neither (`send_empty`)
    is told apart by the minute it was composed: else every "No new leads" would share one
    id, which mail services drop as a repeat and the outbox files as one."""
    leads = ",".join(
        f"{section.mentee.id}:{lead.match.lead_id}"
        for section in sections
        for lead in section.leads
    )
    news = ",".join(
        f"{section.mentee.id}:{change.lead_id}:{change.status.value}:{change.at.isoformat()}"
        for section in sections
        for change in section.news
    )
    said = f"{mentor.id}|{leads}" + (f"|{news}" if news else "")
    if not leads and not news:
        said += f"|{composed_at.astimezone(UTC).isoformat(timespec='minutes')}"
    digest = hashlib.sha256(said.encode()).hexdigest()[:24]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "mentor-leads.invalid"
    return f"<digest.{digest}@{domain}>"


def delivered_pairs(digest: Digest) -> list[tuple[str, int]]:
    """The (mentee, lead) pairs a digest carries."""
    return [
        (section.mentee.id, lead.match.lead_id)
        for section in digest.sections
        for lead in section.leads
    ]


def is_due(mentor: Mentor, last_run: datetime | None, now: datetime) -> bool:
    """Whether the mentor's schedule has a time after their last digest run, up to ``now``
    (a mentor who never had a digest is due at once)."""
    if last_run is None:
        return True
    schedule = parse_schedule(mentor.digest.schedule)
    (following,) = schedule.next_fire_times(last_run, 1, mentor.timezone)
    if schedule.cron is not None and _repeated_wall_time(
        following, last_run, ZoneInfo(mentor.timezone)
    ):
        # The hour a fall-back repeats: "daily 02:30" was met at the first 02:30 already
        # (an interval counts hours, not wall times: "every 1h" is due in both).
        (following,) = schedule.next_fire_times(following, 1, mentor.timezone)
    return following <= now


def _repeated_wall_time(moment: datetime, last_run: datetime, zone: ZoneInfo) -> bool:
    """Whether ``moment`` is the second of a wall time a fall-back repeats, whose first came
    at or before ``last_run``."""
    local = moment.astimezone(zone)
    return local.fold == 1 and local.replace(fold=0).astimezone(UTC) <= last_run


def deliver(
    config: AppConfig,
    store: Store,
    now: Clock,
    *,
    mentor: str | None = None,
    due_only: bool = False,
    dry_run: bool = False,
    preview: Path | None = None,
    sender_factory: Callable[[], Sender] | None = None,
) -> DigestReport:
    """Compose and send every mentor's digest (or one mentor's); record what was delivered.

    ``due_only`` keeps to the mentors whose digest schedule says it is time; ``dry_run``
    composes without sending or recording; ``preview`` also writes each digest's HTML and
    text to that folder.
    """
    mentors = [m for m in config.mentors if mentor is None or m.id == mentor]
    if due_only:
        last = store.last_digest_runs()
        mentors = [m for m in mentors if is_due(m, last.get(m.id), now())]
    report = DigestReport()
    if not mentors:
        return report
    mentees = config.mentees_by_mentor()
    claims = _Claims(store, Lease(new_holder(), config.storage.lease_seconds, now), due_only)
    with _sender(config, dry_run, sender_factory) as sender, claims.kept(sender is not None):
        report.destination = sender.describe() if sender else "nowhere (dry run)"
        # One message is on the wire while the next is composed: the SMTP server's time
        # overlaps our rendering. Deliveries are still recorded one by one, by this thread,
        # each only after its own message was accepted.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-send") as wire:
            sending: _Sending | None = None
            for each in mentors:
                refused = claims.take(each) if sender is not None else None
                ready = refused or _prepare(
                    config, store, each, mentees.get(each.id, ()), now(), preview
                )
                if sending is not None:
                    report.outcomes.append(sending.finish(store, claims.holder))
                    sending = None
                if isinstance(ready, DigestOutcome):
                    if ready.status is DigestStatus.NOTHING_NEW and sender is not None:
                        store.record_digest_run(each.id, None, now(), claims.holder)
                    report.outcomes.append(ready)
                elif sender is None:
                    report.outcomes.append(
                        DigestOutcome(each.id, DigestStatus.DRY_RUN, ready.summary)
                    )
                else:
                    sending = _Sending(ready, wire.submit(sender.send, ready.message))
            if sending is not None:
                report.outcomes.append(sending.finish(store, claims.holder))
    return report


class _Claims:
    """The mentors whose digests this sender has claimed: no two processes send the same
    digest (the claim is released in the transaction that records the delivery)."""

    def __init__(self, store: Store, lease: Lease, due_only: bool) -> None:
        self.store = store
        self.lease = lease
        self.due_only = due_only
        self.holder = lease.holder
        self.taken: list[str] = []

    @contextmanager
    def kept(self, sending: bool) -> Iterator[None]:
        """Renew the claims while the block runs; release the unrecorded ones after it."""
        if not sending:
            yield
            return
        try:
            with Heartbeat(self.store, self.lease):
                yield
        finally:
            for mentor in self.taken:  # those recorded were released with the record
                self.store.release_digest(mentor, self.holder)

    def take(self, mentor: Mentor) -> DigestOutcome | None:
        """Claim ``mentor``'s digest: None when claimed (compose it), else the outcome."""
        holder = self.store.claim_digest(mentor.id, self.lease)
        if holder is not None:
            log.info("digest for %s: being sent by %s; left to it", mentor.id, holder)
            return DigestOutcome(mentor.id, DigestStatus.ELSEWHERE, error=holder)
        self.taken.append(mentor.id)
        # Another sender may have sent it between our schedule check and the claim.
        last = self.store.last_digest_run(mentor.id)
        if self.due_only and not is_due(mentor, last, self.lease.now()):
            log.info("digest for %s: sent by another process just now", mentor.id)
            return DigestOutcome(mentor.id, DigestStatus.ELSEWHERE, error="another process")
        return None


@dataclass(frozen=True, slots=True)
class _Ready:
    """A rendered digest waiting to be sent."""

    mentor: Mentor
    composition: Composition
    summary: DigestSummary
    message: EmailMessage
    now: datetime


@dataclass(frozen=True, slots=True)
class _Sending:
    """A digest handed to the sending thread."""

    ready: _Ready
    sent: Future[None]

    def finish(self, store: Store, holder: str) -> DigestOutcome:
        """Wait for the send; record the delivery only once the message was accepted (and
        release ``holder``'s claim on the digest with it)."""
        ready, mentor = self.ready, self.ready.mentor
        try:
            self.sent.result()
        except DeliveryError as exc:
            log.warning("digest for %s not delivered: %s", mentor.id, exc,
                        extra={FAILED_DIGEST: mentor.id})  # fmt: skip
            return DigestOutcome(
                mentor.id,
                DigestStatus.FAILED,
                ready.summary,
                error=str(exc),
                permanent=exc.permanent,
            )
        except Exception as exc:  # not recorded: the leads stay pending for the next run
            return _internal_error(mentor, exc)
        digest = ready.composition.digest
        store.record_delivery(
            mentor.id,
            delivered_pairs(digest),
            digest.message_id,
            ready.now,
            passed_over=ready.composition.passed_over,
            holder=holder,
        )
        return DigestOutcome(mentor.id, DigestStatus.SENT, ready.summary)


def _prepare(
    config: AppConfig,
    store: Store,
    mentor: Mentor,
    mentees: Sequence[Mentee],
    now: datetime,
    preview: Path | None,
) -> _Ready | DigestOutcome:
    """One mentor's rendered digest, or the outcome when there is nothing to send."""
    try:
        composition = compose(config, store, mentor, now, mentees)
        digest = composition.digest
        summary = DigestSummary.of(digest)
        # What a mentee marked is news for their mentor on its own: an introduction is
        # most worth making when the mentee has just said they are interested.
        if not digest.lead_count and not digest.has_news and not mentor.digest.send_empty:
            return DigestOutcome(mentor.id, DigestStatus.NOTHING_NEW, summary)
        message = render_digest(digest)
        if preview is not None:
            write_preview(message, preview, mentor.id)
    except ConfigError as exc:
        return DigestOutcome(mentor.id, DigestStatus.FAILED, error=str(exc), permanent=True)
    except Exception as exc:  # a bug met with one mentor's leads must not stop the others
        return _internal_error(mentor, exc)
    return _Ready(mentor, composition, summary, message, now)


def _internal_error(mentor: Mentor, exc: Exception) -> DigestOutcome:
    log.exception("unexpected error in the digest for %s", mentor.id)
    return DigestOutcome(
        mentor.id,
        DigestStatus.FAILED,
        error=f"internal error ({type(exc).__name__}: {exc}); please report it with the log",
    )


def write_preview(message: EmailMessage, folder: Path, name: str) -> list[Path]:
    """Write a message's HTML and text parts to ``folder`` as NAME.html and NAME.txt.

    The files are 0600 (a digest names mentees), and NAME is made a plain file name: it is a
    mentor id from the config, and ``../x`` must not write outside ``folder``.
    """
    make_private_folder(folder)
    written = []
    for subtype, suffix in (("html", ".html"), ("plain", ".txt")):
        part = message.get_body(preferencelist=(subtype,))
        if part is not None and part.get_content_subtype() == subtype:
            path = folder / f"{safe_file_name(name)}{suffix}"
            write_private_text(path, part.get_content())
            written.append(path)
    return written


@contextmanager
def _sender(
    config: AppConfig, dry_run: bool, factory: Callable[[], Sender] | None
) -> Iterator[Sender | None]:
    """The run's one sender (one SMTP connection for all mentors), or none for a dry run."""
    if dry_run:
        yield None
        return
    sender = factory() if factory else open_sender(config.delivery, config.outbox_dir)
    try:
        yield sender
    finally:
        sender.close()
