"""The data every part of mentor-leads speaks: postings, people, source state and run reports.

This module imports nothing from the project, so every package can depend on it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.networks import validate_email

# A job seen again within this many days is the same lead (see aggregator.core.dedupe).
DEFAULT_REPOST_WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class Salary:
    """A pay range as the posting states it; any part may be unknown."""

    minimum: float | None = None
    maximum: float | None = None
    currency: str | None = None
    period: str | None = None  # "year", "month", "hour", ...
    text: str | None = None  # the wording in the posting, when there was one


@dataclass(frozen=True, slots=True)
class Posting:
    """One job posting as one source published it, normalised."""

    source: str  # the configured source name
    external_id: str  # the source's own id (RSS guid, board job id); "" when it has none
    url: str
    title: str
    company: str = ""
    location: str = ""
    remote: bool = False
    employment_type: str = ""  # full_time, part_time, contract, internship, temporary, ""
    salary: Salary | None = None
    posted_at: datetime | None = None  # timezone-aware UTC
    description_html: str = ""  # sanitised: safe to show as HTML
    description_text: str = ""
    tags: tuple[str, ...] = ()
    # When applications close (timezone-aware UTC): the source's expiry (RSS expires_at,
    # schema.org validThrough, a board's deadline field) or a closing date the text states.
    closes_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredPosting:
    """A posting as the store holds it: with its row id and when it was first and last seen."""

    id: int
    posting: Posting
    first_seen: datetime
    last_seen: datetime
    lead_id: int  # the job this posting is one sighting of (shared across sources)
    company_page: bool = False  # seen on the company's own ATS or careers site
    # When applications to the job close, by all its sightings (see ``lead_closes_at``); the
    # store sets it for the posting it shows for a lead.
    closes_at: datetime | None = None

    @property
    def listed_at(self) -> datetime:
        """When the job was posted; for a posting without a date, when it was first seen."""
        return self.posting.posted_at or self.first_seen

    def is_fresh(self, now: datetime, max_age_days: int | None) -> bool:
        """Whether the job is still a lead ``now``: at most ``max_age_days`` old (any age
        when there is no limit) and not closed (``is_closed``)."""
        if self.is_closed(now):
            return False
        return max_age_days is None or now - self.listed_at <= timedelta(days=max_age_days)

    def is_closed(self, now: datetime) -> bool:
        """Whether applications to the job had closed by ``now``."""
        return closed_by(self.closes_at, now)


def closed_by(closes_at: datetime | None, now: datetime) -> bool:
    """Whether applications closing at ``closes_at`` (None: no date known) had closed by
    ``now``: a job closing at this very moment takes no more."""
    return closes_at is not None and closes_at <= now


def lead_closes_at(sightings: Iterable[datetime | None]) -> datetime | None:
    """When applications to a job close, from when each of its sightings says they do: the
    latest, and None (open, as far as anyone knows) when one sighting names no date. A board
    listing that expires says nothing of the same job on a page that still lists it."""
    dates = list(sightings)
    if not dates or any(date is None for date in dates):
        return None
    return max(date for date in dates if date is not None)


@dataclass(frozen=True, slots=True)
class Match:
    """Why a posting suits a mentee: the score, the terms behind it and the skills to brush up."""

    mentee: str  # mentee id
    posting: str  # the caller's key for the posting (store row id, or a JSONL `id`)
    score: float  # 0..1
    why: tuple[str, ...] = ()  # the terms that contributed most
    gaps: tuple[str, ...] = ()  # skills the posting asks for that the mentee's profile lacks


@dataclass(frozen=True, slots=True)
class Event:
    """One occurrence of a networking event as a calendar or events feed published it.

    A recurring event is one Event per occurrence (``external_id`` holds the calendar UID and
    the start); times are timezone-aware, ``timezone`` the IANA name they were given in.
    """

    source: str  # the configured source name
    external_id: str
    title: str
    start: datetime
    end: datetime | None = None
    timezone: str = ""
    venue: str = ""
    city: str = ""
    online: bool = False
    organiser: str = ""
    url: str = ""
    description: str = ""  # plain text, sanitised: no markup survives
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class EventSuggestion:
    """An event suggested to a mentee: how well its topic fits, and where it is for them."""

    mentee: str
    event: Event
    score: float
    where: str  # "online", "Berlin", "26 km from Berlin"

    @property
    def place(self) -> str:
        """The venue and city, then where that is for the mentee, unless they say it already
        (not "Spreeufer Coworking, Berlin (Berlin)" nor "Online (Zoom) (online)"). Raw text
        from the calendar: whoever shows it makes it safe."""
        venue, city = self.event.venue.strip(), self.event.city.strip()
        named = venue if city.casefold() in venue.casefold() else ", ".join(
            part for part in (venue, city) if part)
        if not named:
            return self.where
        if self.where.casefold() in named.casefold():
            return named
        return f"{named} ({self.where})"


@dataclass(frozen=True, slots=True)
class Cited:
    """Something a prep sheet says, and the posting text it comes from ("" when none)."""

    text: str
    source: str


NEXT_STEPS_QUESTION = "What are the next steps, and when should I expect to hear back?"


@dataclass(frozen=True, slots=True)
class PrepSheet:
    """Interview preparation for one mentee and one lead.

    ``asked``: questions the interviewers will likely ask, each citing the posting text it
    comes from; ``brush_up``: the mentee's gaps, each with where the posting asks for it;
    ``to_ask``: questions for the mentee to ask them, the next-steps question last;
    ``generic``: how many of ``asked`` are general questions filling in for missing detail.
    """

    mentee: str
    lead: int | str
    title: str
    company: str
    asked: tuple[Cited, ...]
    brush_up: tuple[Cited, ...]
    to_ask: tuple[str, ...]
    generic: int = 0


class Verdict(StrEnum):
    """What a mentee said about a lead."""

    INTERESTED = "interested"
    APPLIED = "applied"
    NOT_FOR_ME = "not_for_me"


class LeadStatus(StrEnum):
    """Where a mentee is with a lead: their verdict (the matcher learns from the first three),
    then the later stages of an application."""

    INTERESTED = "interested"
    APPLIED = "applied"
    NOT_FOR_ME = "not_for_me"
    INTERVIEWING = "interviewing"
    OFFER = "offer"
    CLOSED = "closed"

    @property
    def verdict(self) -> Verdict | None:
        """The matcher's feedback this status gives (None for the later stages)."""
        return Verdict(self.value) if self.value in {v.value for v in Verdict} else None

    @property
    def label(self) -> str:
        """The words a page shows: 'Not for me', 'Interviewing'."""
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A status a mentee gave a lead, for the mentor's "Since last time" line."""

    lead_id: int
    status: LeadStatus
    title: str
    company: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StoredMatch:
    """A stored match with the lead's representative posting, for listings and digests."""

    mentee: str
    lead_id: int
    score: float
    why: tuple[str, ...]
    gaps: tuple[str, ...]
    scored_at: datetime
    posting: StoredPosting


@dataclass(frozen=True, slots=True)
class SeenAt:
    """One place a lead was seen: a source's page for the posting."""

    source: str
    url: str
    company_page: bool = False


@dataclass(frozen=True, slots=True)
class MenteeProgress:
    """How far matching got for a mentee, to score only what is new next time."""

    mentee: str
    profile_hash: str
    model_fingerprint: str
    scored_through: int  # the highest lead id scored
    # The matcher's vectors of this profile under that model (opaque bytes), so the next
    # incremental run need not re-analyse the profile; None: keep what is stored.
    profile_vectors: bytes | None = None
    # The latest change to a posting (its updated_at) when the mentee was scored; a lead
    # changed later is scored again. None: not known (stored before schema 8).
    changes_through: datetime | None = None


class FetchStatus(StrEnum):
    """How a source's collection ended."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    SKIPPED = "skipped"  # the source chose not to fetch this run (a minimum interval)
    FAILED = "failed"


FAILING_RUNS = 5  # failed runs in a row after which a source is flagged as failing


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store remembers about a source between runs."""

    name: str
    config_url: str | None = None  # the URL in the config when this state was recorded
    url: str | None = None  # where to fetch now (a permanent redirect moves it)
    etag: str | None = None
    last_modified: str | None = None
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    last_item_count: int = 0

    @property
    def failing(self) -> bool:
        """Whether the source failed its last FAILING_RUNS runs in a row: no longer a passing
        outage, so `leads sources` and `leads check` flag it."""
        return self.consecutive_failures >= FAILING_RUNS

    def failing_note(self) -> str:
        """One line on a failing source: how long, its last error, and what to do."""
        since = (
            f"last success {self.last_success:%Y-%m-%d %H:%M} UTC"
            if self.last_success
            else "never succeeded"
        )
        return (
            f"source {self.name} has failed the last {self.consecutive_failures} runs in a row "
            f"({since}): {self.last_error or 'no error recorded'} — fix its settings or set "
            "`enabled: false`"
        )


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    """What collecting one source did in one run."""

    name: str
    status: FetchStatus
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    error: str | None = None
    moved_to: str | None = None  # set when a permanent redirect changed the stored URL
    note: str | None = None  # items the source skipped: "3 items without title or link skipped"
    beyond_limit: int = 0  # postings over http.max_items, not stored this run

    @property
    def items(self) -> int:
        """Postings the source returned this run."""
        return self.new + self.updated + self.unchanged


@dataclass(slots=True)
class RunReport:
    """The result of one run, for the CLI to show and for cron to judge by."""

    started_at: datetime
    finished_at: datetime | None = None
    sources: list[SourceOutcome] = field(default_factory=list)

    @property
    def failures(self) -> list[SourceOutcome]:
        """The sources that failed."""
        return [s for s in self.sources if s.status is FetchStatus.FAILED]

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures

    def total(self, kind: Literal["new", "updated", "unchanged"]) -> int:
        """Sum of one counter over all sources."""
        return sum(getattr(s, kind) for s in self.sources)


def slugify(text: str) -> str:
    """A lowercase ASCII identifier made from a name: 'Zoë Adams' -> 'zoe-adams'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
NonEmpty = Annotated[str, Field(min_length=1)]
# pydantic's EmailStr (checked and normalised by email-validator), but email-validator is
# imported when the first address is checked, not when the models are defined: a tenth of
# a second of start-up that a `leads collect` of a config without people spared.
EmailAddress = Annotated[str, AfterValidator(lambda value: validate_email(value)[1])]


class Contact(BaseModel):
    """Someone in a mentor's network who can introduce a mentee at their company."""

    model_config = _STRICT

    name: NonEmpty
    company: NonEmpty
    # LinkedIn exports leave it empty unless the contact shares it
    email: EmailAddress | None = None
    position: str = ""
    url: str = ""  # a profile link


DEFAULT_DIGEST_SCHEDULE = "weekly mon 07:00"


class DigestSettings(BaseModel):
    """When a mentor's digest goes out and what it holds."""

    model_config = _STRICT

    schedule: NonEmpty = DEFAULT_DIGEST_SCHEDULE  # cron expression or e.g. `daily 08:00`
    max_leads_per_mentee: Annotated[int, Field(ge=1, le=50)] = 5
    min_score: Annotated[float, Field(ge=0, le=1)] | None = None  # else matching.min_score
    send_empty: bool = False  # send a short "nothing new" email when there are no leads


class Mentor(BaseModel):
    """Someone who reads digests and passes leads on."""

    model_config = _STRICT

    id: NonEmpty
    name: NonEmpty
    email: EmailAddress
    timezone: str = "UTC"  # an IANA name such as Europe/Berlin; digests follow it
    digest: DigestSettings = DigestSettings()
    # The mentor's contacts: a LinkedIn Connections.csv (path relative to the config file)
    # or an inline list.
    network: str | tuple[Contact, ...] = ()


class Exclusions(BaseModel):
    """Companies and words a mentee never wants to see."""

    model_config = _STRICT

    companies: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


class MenteeProfile(BaseModel):
    """What matching knows of a mentee: skills and wishes (enough for an offline ranking)."""

    model_config = _STRICT

    id: str = ""  # defaults to a slug of the name
    name: NonEmpty
    skills: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    resume: str | None = None  # path, relative to the file that names it
    about: str = ""
    locations: tuple[str, ...] = ()
    seniority: Literal["entry", "junior", "mid", "senior"] | None = None
    exclude: Exclusions = Exclusions()
    min_score: Annotated[float, Field(ge=0, le=1)] | None = None

    @model_validator(mode="after")
    def _default_id(self) -> Self:
        if not self.id:
            object.__setattr__(self, "id", slugify(self.name))
        return self


class Mentee(MenteeProfile):
    """Someone whose skills and wishes postings are matched against, and whose mentor gets
    the digest."""

    email: EmailAddress
    mentor: NonEmpty  # a mentor's id or email


@dataclass(frozen=True, slots=True)
class PendingLeads:
    """What a mentor's next digest can hold: each mentee's best pending matches (postings
    brief), where each of those leads was seen, and the other pending (mentee, lead) pairs."""

    best: tuple[StoredMatch, ...]  # best first per mentee
    seen_at: dict[int, tuple[SeenAt, ...]]  # by lead id, the company's own page first
    others: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class DigestLead:
    """A lead as a digest shows it: the match, where it was seen, whom the mentor knows there."""

    match: StoredMatch
    seen_at: tuple[SeenAt, ...]  # the company's own page first
    contacts: tuple[Contact, ...] = ()  # people in the mentor's network at the company
    prep: PrepSheet | None = None  # interview prep for the forward email (None: on the page)
    mentee_status: str | None = None  # the mentee's latest word on the lead ("interested", …)


@dataclass(frozen=True, slots=True)
class MenteeDigest:
    """One mentee's part of a digest."""

    mentee: Mentee
    leads: tuple[DigestLead, ...]
    page_url: str | None = None  # the mentee's page of all leads, when the web view is set up
    events: tuple[EventSuggestion, ...] = ()  # networking events near them this month
    # What the mentee marked interested, applied to or is interviewing for since the mentor's
    # last digest (from the web view or `leads feedback`), oldest first.
    news: tuple[StatusChange, ...] = ()
    # Those of the news's leads, not among ``leads``, at a company where the mentor knows
    # someone: the moment to offer the introduction.
    followed: tuple[DigestLead, ...] = ()


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything one email to one mentor says, ready to render."""

    mentor: Mentor
    sections: tuple[MenteeDigest, ...]  # mentees with new leads (all mentees when sending empty)
    sender: str  # the From address
    composed_at: datetime  # timezone-aware; shown in the mentor's timezone
    message_id: str  # stable for the same leads, so a resend after a crash is recognisable

    @property
    def lead_count(self) -> int:
        """How many leads the digest carries (a lead shown for two mentees counts twice)."""
        return sum(len(section.leads) for section in self.sections)

    @property
    def has_news(self) -> bool:
        """Whether a mentee marked a lead since the mentor's last digest."""
        return any(section.news for section in self.sections)
