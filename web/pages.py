"""What the web pages show, prepared from the store: a mentee's leads with their statuses,
the filters that narrow them, and the mentor's glance at every mentee.

The templates get plain view objects; every lead is a ``digests.render.LeadView`` (the
digest's own card), so text from a posting is display text and every link is http(s).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aggregator.core.models import (
    DigestLead,
    Event,
    EventSuggestion,
    LeadStatus,
    Mentee,
    Mentor,
    PrepSheet,
    SeenAt,
    StoredMatch,
)
from digests.prep import ASKED_HEADING, BRUSH_UP_HEADING, TO_ASK_HEADING, prep_record, prep_title
from digests.render import (
    EventView,
    LeadView,
    day_text,
    event_card,
    lead_view,
    mailto,
)

PER_PAGE = 50
FIELD_CHARS = 200  # a filter value longer than this is cut (nobody types more)
# The stages after Applied, offered only for leads already marked Applied (or later).
LATER_STAGES = (LeadStatus.INTERVIEWING, LeadStatus.OFFER, LeadStatus.CLOSED)
VERDICTS = (LeadStatus.INTERESTED, LeadStatus.APPLIED, LeadStatus.NOT_FOR_ME)
UNDO = "none"  # the form value that takes a mentee's word back
NEW = "new"  # the status filter for leads without a status
NEWEST = "newest"  # the order that puts the newest lead first (the default: best fit first)


@dataclass(frozen=True, slots=True)
class Choice:
    """A status button: the value it posts and its label."""

    value: str
    label: str
    current: bool = False


@dataclass(frozen=True, slots=True)
class LeadRow:
    """One lead of a mentee's page."""

    lead_id: int
    score: float
    card: LeadView
    status: LeadStatus | None
    remote: bool
    location: str
    description: str  # plain text, shown as text
    ask_href: str  # a mailto to the mentor about this lead
    newest: float  # when it was posted (or first seen), as a timestamp, for sorting
    posted_at: datetime | None  # when the board says it was posted, if it says
    closes_at: datetime | None  # when applications close, if known
    closed: bool  # applications had closed when the page was made
    haystack: str  # what the text search looks in, lowercased

    @property
    def listed(self) -> bool:
        """Whether the page lists the lead: a closed one only while the mentee tracks it."""
        return not self.closed or self.status is not None

    @property
    def status_label(self) -> str:
        """'Interested', or 'No status yet'."""
        return self.status.label if self.status else "No status yet"

    @property
    def choices(self) -> tuple[Choice, ...]:
        """The buttons for this lead: the verdicts, the later stages once applied, and a way
        back to no status (a mark pressed by mistake was there for good but Not for me's)."""
        offered = list(VERDICTS)
        if self.status is LeadStatus.APPLIED or self.status in LATER_STAGES:
            offered += LATER_STAGES
        buttons = [Choice(s.value, s.label, s is self.status) for s in offered]
        if self.status is LeadStatus.NOT_FOR_ME:
            buttons.append(Choice(UNDO, "Undo Not for me"))
        elif self.status is not None:
            buttons.append(Choice(UNDO, "Clear status"))
        return tuple(buttons)


def pressed(status: LeadStatus | None, wanted: str) -> tuple[bool, LeadStatus | None]:
    """(may it be set now, the status a button press sets; None: undo)."""
    if wanted == UNDO:
        return True, None
    try:
        chosen = LeadStatus(wanted)
    except ValueError:
        return False, None
    applied = status is LeadStatus.APPLIED or status in LATER_STAGES
    return (applied or chosen not in LATER_STAGES), chosen


@dataclass(frozen=True, slots=True)
class Filters:
    """What a mentee narrowed their page to (from the query string; bad values are ignored)."""

    status: str = ""  # "": every lead not hidden; NEW; or a LeadStatus value
    where: str = ""  # "", "remote" or "onsite"
    location: str = ""
    q: str = ""
    hidden: bool = False  # also show leads marked Not for me
    order: str = ""  # "": best fit first; NEWEST: newest first
    page: int = 1

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Filters:
        """Filters from request parameters; anything unexpected falls back to the default."""
        status = params.get("status", "")
        if status not in {NEW, *(s.value for s in LeadStatus)}:
            status = ""
        where = params.get("where", "")
        page = params.get("page", "1")
        return cls(
            status=status,
            where=where if where in ("remote", "onsite") else "",
            location=" ".join(params.get("location", "")[:FIELD_CHARS].split()),
            q=" ".join(params.get("q", "")[:FIELD_CHARS].split()),
            hidden=params.get("hidden") == "1",
            order=NEWEST if params.get("order") == NEWEST else "",
            page=max(1, int(page)) if page.isascii() and page.isdigit() and len(page) < 6 else 1,
        )

    def query(self, **changes: object) -> str:
        """The query string of these filters (with ``changes``), defaults left out."""
        values = {
            "q": self.q,
            "status": self.status,
            "where": self.where,
            "location": self.location,
            "hidden": "1" if self.hidden else "",
            "order": self.order,
            "page": "" if self.page == 1 else str(self.page),
        }
        values.update({key: str(value) for key, value in changes.items()})
        return urlencode({key: value for key, value in values.items() if value})

    @property
    def shows_hidden(self) -> bool:
        """Whether leads marked Not for me can be shown: "Also hidden", or that status asked."""
        return self.hidden or self.status == LeadStatus.NOT_FOR_ME.value

    @property
    def narrows(self) -> bool:
        """Whether these filters leave out leads the plain page lists (the order and "Also
        hidden" do not)."""
        return bool(self.status or self.where or self.location or self.q)

    def keeps(self, row: LeadRow) -> bool:
        """Whether a lead passes these filters."""
        hidden = row.status is LeadStatus.NOT_FOR_ME
        if self.status == NEW:
            wanted = row.status is None
        elif self.status:
            wanted = row.status is not None and row.status.value == self.status
        else:
            wanted = not hidden or self.hidden
        if not wanted or (self.where == "remote" and not row.remote):
            return False
        if self.where == "onsite" and row.remote:
            return False
        if self.location and self.location.lower() not in row.location:
            return False
        return all(word in row.haystack for word in self.q.lower().split())


@dataclass(frozen=True, slots=True)
class LeadsPage:
    """A mentee's page: one page of the leads that pass the filters."""

    name: str
    filters: Filters
    rows: tuple[LeadRow, ...]
    shown: int  # leads that pass the filters, on every page
    total: int  # every lead of the mentee
    hidden: int  # of those, the ones marked Not for me
    counts: tuple[tuple[str, int], ...]  # ("Interested", 3), … for the statuses in use
    pages: int
    # The lead whose status the mentee just changed (see ``leads_page``), and whether it
    # still passes the filters (else it shows as a one-line note in its place).
    done: int | None = None
    done_kept: bool = True

    @property
    def listed_unfiltered(self) -> int:
        """The leads the page lists with no filter but "Also hidden" when these filters show
        hidden leads (the "M" of "N of M leads match", and what "Show all" shows)."""
        return self.total if self.filters.shows_hidden else self.total - self.hidden

    @property
    def summary(self) -> str:
        """'120 leads · 3 interested · 1 applied'."""
        parts = [f"{self.total} lead{'' if self.total == 1 else 's'}"]
        parts += [f"{count} {_status_words(label, count)}" for label, count in self.counts]
        return " · ".join(parts)


def _status_words(label: str, count: int) -> str:
    """'interested', 'not for me'; the one noun among the statuses counted: '2 offers'."""
    words = label.lower()
    return f"{words}s" if label == LeadStatus.OFFER.label and count != 1 else words


def lead_rows(
    matches: Sequence[StoredMatch],
    seen_at: Mapping[int, Sequence[SeenAt]],
    statuses: Mapping[int, LeadStatus],
    mentee: Mentee,
    mentor: Mentor | None,
    now: datetime,
) -> list[LeadRow]:
    """Every lead of a mentee, best fit first (the newest first among equal scores), those
    whose applications had closed by ``now`` too: the page lists them only while the
    mentee tracks them (``LeadRow.listed``), but their prep sheets and buttons still work
    (interviews come after the closing date; a mentee who applied may say so late).

    By score, not by fit label and then date: most leads are "Worth a look", and dated by
    their newest sighting within it, a board's weak undated leads seen yesterday went above
    a better lead posted a week ago."""
    zone = mentor_zone(mentor)
    rows = [
        _row(found, seen_at.get(found.lead_id, ()), statuses.get(found.lead_id), mentee, mentor,
             zone, now)
        for found in matches
    ]  # fmt: skip
    rows.sort(key=lambda row: (-row.score, -row.newest, row.lead_id))
    return rows


def next_closing(matches: Sequence[StoredMatch], now: datetime) -> datetime | None:
    """The moment the first of these jobs still open at ``now`` closes, if any does."""
    return min(
        (
            found.posting.closes_at
            for found in matches
            if found.posting.closes_at is not None and found.posting.closes_at > now
        ),
        default=None,
    )


def leads_page(
    rows: Sequence[LeadRow], filters: Filters, mentee: Mentee, done: int | None = None
) -> LeadsPage:
    """The page of ``rows`` that ``filters`` ask for. ``done``: the lead whose status was just
    changed; it keeps its place even when it no longer passes the filters (marked Not for
    me), so the page can say so there and offer the undo, rather than drop the mentee at the
    top of a list the lead has left."""
    listed = [row for row in rows if row.listed]
    passing = {row.lead_id for row in listed if filters.keeps(row)}
    kept = _in_order([row for row in rows if row.lead_id in passing or row.lead_id == done],
                     filters)  # fmt: skip
    pages = max(1, -(-len(kept) // PER_PAGE))
    page = min(filters.page, pages)
    start = (page - 1) * PER_PAGE
    counts = {status: 0 for status in LeadStatus}
    for row in rows:
        if row.status is not None:
            counts[row.status] += 1
    return LeadsPage(
        name=mentee.name,
        filters=replace(filters, page=page),
        rows=tuple(kept[start : start + PER_PAGE]),
        shown=len(passing),
        total=len(listed),
        hidden=sum(row.status is LeadStatus.NOT_FOR_ME for row in listed),
        counts=tuple((status.label, count) for status, count in counts.items() if count),
        pages=pages,
        done=done if any(row.lead_id == done for row in kept) else None,
        done_kept=done in passing,
    )


def page_of(rows: Sequence[LeadRow], filters: Filters, lead: int) -> int:
    """The page that lists ``lead`` under ``filters`` (1 when none does)."""
    kept = _in_order([row for row in rows if row.listed and filters.keeps(row)], filters)
    place = next((i for i, row in enumerate(kept) if row.lead_id == lead), 0)
    return place // PER_PAGE + 1


def _in_order(rows: list[LeadRow], filters: Filters) -> list[LeadRow]:
    """``rows`` (best first) in the order ``filters`` ask for."""
    if filters.order == NEWEST:  # stable: the best first among leads of the same moment
        rows.sort(key=lambda row: -row.newest)
    return rows


def _row(
    found: StoredMatch,
    places: Sequence[SeenAt],
    status: LeadStatus | None,
    mentee: Mentee,
    mentor: Mentor | None,
    zone: tzinfo,
    now: datetime,
) -> LeadRow:
    card = lead_view(DigestLead(found, tuple(places)), zone, now)
    posting = found.posting.posting
    moment: datetime = posting.posted_at or found.posting.first_seen
    text = " ".join(posting.description_text.split())
    return LeadRow(
        lead_id=found.lead_id,
        score=found.score,
        card=card,
        status=status,
        remote=posting.remote,
        location=card.where.lower(),
        description=text,
        ask_href=ask_mentor_href(card, mentee, mentor),
        newest=moment.timestamp(),
        posted_at=posting.posted_at,
        closes_at=found.posting.closes_at,
        closed=found.posting.is_closed(now),
        haystack=" ".join(
            [card.title, card.company, card.where, *card.why, *card.gaps, text]
        ).lower(),
    )


def ask_mentor_href(card: LeadView, mentee: Mentee, mentor: Mentor | None) -> str:
    """A mailto to the mentor, prefilled with the lead, for a question about it."""
    role = f"{card.title} at {card.company}" if card.company else card.title
    greeting = f"Hi {mentor.name.split()[0]}," if mentor else "Hi,"
    lines = [greeting, "", "I have a question about this lead:", "", role]
    lines += [line for line in (card.where, card.url or "") if line]
    lines += ["", "", mentee.name.split()[0]]
    return mailto(str(mentor.email) if mentor else "", f"Question about: {role}", lines)


def mentor_zone(mentor: Mentor | None) -> tzinfo:
    """The zone dates are shown in: the mentor's (the digest's), else UTC."""
    try:
        return ZoneInfo(mentor.timezone if mentor else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


PREP_HEADINGS = {"asked": ASKED_HEADING, "brush_up": BRUSH_UP_HEADING, "to_ask": TO_ASK_HEADING}


@dataclass(frozen=True, slots=True)
class PrepView:
    """An interview prep sheet ready for the page: every string one line of display text."""

    title: str  # "Interview prep: Data Analyst at Acme"
    asked: tuple[tuple[str, str], ...]  # (question, the posting text it comes from)
    brush_up: tuple[tuple[str, str], ...]  # (skill, the posting text that asks for it)
    to_ask: tuple[str, ...]  # the next-steps question last


def prep_view(sheet: PrepSheet) -> PrepView:
    """The sheet as the prep page shows it (the same text as `leads prep`)."""
    record = prep_record(sheet)
    return PrepView(
        title=prep_title(sheet),
        asked=tuple((item["question"], item["from"]) for item in record["asked"]),
        brush_up=tuple((item["skill"], item["from"]) for item in record["brush_up"]),
        to_ask=tuple(record["to_ask"]),
    )


def event_rows(
    suggestions: Sequence[EventSuggestion], zone: tzinfo, now: datetime
) -> list[EventView]:
    """The mentee's suggested events as their page lists them, soonest first."""
    ordered = sorted(suggestions, key=lambda s: s.event.start)
    return [replace(event_card(s), when=event_when(s.event, zone, now)) for s in ordered]


def event_when(event: Event, zone: tzinfo, now: datetime) -> str:
    """'Tomorrow, Thu 4 Dec, 18:30 Berlin time': how far off from the mentee's today, and
    the time on the clock where the event is. An online event from another zone also says
    the time in the page's zone: '… 12:00 New York time (18:00 Berlin time)'."""
    start = event.start  # in the event's own zone
    days = (start.date() - now.astimezone(start.tzinfo).date()).days
    said = "Today" if days <= 0 else "Tomorrow" if days == 1 else f"In {days} days"
    text = f"{said}, {day_text(start.date())}, {start:%H:%M} {_zone_words(start.tzinfo)}"
    here = start.astimezone(zone)
    if event.online and here.utcoffset() != start.utcoffset():
        shown = here.strftime("%H:%M") if here.date() == start.date() else (
            f"{day_text(here.date())}, {here:%H:%M}"
        )
        text += f" ({shown} {_zone_words(zone)})"
    return text


def _zone_words(zone: tzinfo | None) -> str:
    """Europe/Berlin → 'Berlin time', America/New_York → 'New York time'; else 'UTC'."""
    name = str(getattr(zone, "key", ""))  # a ZoneInfo's IANA name
    place = name.rsplit("/", 1)[-1].replace("_", " ").strip()
    return f"{place} time" if "/" in name and place else "UTC"


@dataclass(frozen=True, slots=True)
class MenteeGlance:
    """One mentee on the mentor's page: their leads' statuses at a glance."""

    name: str
    total: int
    counts: tuple[tuple[str, int], ...]  # every status, in the order of a search
    marked: tuple[tuple[str, str], ...]  # (status label, "Title at Company"), newest first


def mentee_glance(mentee: Mentee, rows: Sequence[LeadRow]) -> MenteeGlance:
    """What the mentor's page shows of a mentee, from their page's rows (``lead_rows``): as
    many leads as their page lists (a closed job only while they track it)."""
    counts = {status: 0 for status in LeadStatus}
    marked = []
    for row in rows:
        if row.status is None:
            continue
        counts[row.status] += 1
        role, company = row.card.title, row.card.company
        marked.append((row.status.label, f"{role} at {company}" if company else role))
    marked.sort(key=lambda pair: [s.label for s in LeadStatus].index(pair[0]))
    return MenteeGlance(
        name=mentee.name,
        total=sum(row.listed for row in rows),
        counts=tuple((status.label, count) for status, count in counts.items()),
        marked=tuple(marked),
    )
