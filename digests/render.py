"""The mentor's digest email: a Digest in, a multipart EmailMessage (plain text + HTML) out.

Rendering is pure: no clock, no randomness and no I/O beyond reading the packaged templates,
so the same Digest always gives the same bytes (the sender can recognise a resend).

Everything a template shows is prepared here as plain view objects (``LeadView`` and friends):
text is flattened to one line, URLs are kept only when they are http(s), and mailto links are
percent-encoded per RFC 6068. Templates then only lay things out, with autoescaping on for
HTML, so text from a posting can never become markup or a link of its own.
"""

from __future__ import annotations

import binascii
import hashlib
import re
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from aggregator.core.errors import ConfigError
from aggregator.core.headings import is_heading
from aggregator.core.intake import pay_amount
from aggregator.core.models import (
    Contact,
    Digest,
    DigestLead,
    EventSuggestion,
    LeadStatus,
    Mentee,
    MenteeDigest,
    Mentor,
    PrepSheet,
    Salary,
    SeenAt,
    StatusChange,
)
from digests.links import link_label, safe_url
from digests.prep import prep_lines

TEMPLATES = Path(__file__).parent / "templates"
STRONG_FIT = 0.45
GOOD_FIT = 0.30
SUMMARY_CHARS = 220
NOTHING_NEW = "No new leads this week"
# A mentee's statuses that say they want the role: only then may an introduction say so.
ASKED_FOR_STATUSES = frozenset({"interested", "applied", "interviewing", "offer"})

EVENTS_SHOWN = 3  # events per mentee in a digest
PREP_LINK_TEXT = (
    "To prepare for the interview (what they will likely ask, what to brush up on, "
    "questions to ask them)"
)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "INR": "₹"}
_PERIODS = {
    "year": "a year", "month": "a month", "week": "a week", "day": "a day", "hour": "an hour",
}  # fmt: skip
_LAST_SECOND = time(23, 59, 59)  # of a stated closing day: see _closing_day
RANGE_DASH = "\u2013"  # en dash, as in "$120,000\u2013150,000"
# A link target is used only when it literally starts with http(s)://host and holds no control
# characters (which browsers strip, turning "java\tscript:" into a script link).
_MAILTO_ADDRESS_SAFE = "@+"  # RFC 6068 allows these in an addr-spec as they are
KEPT_CHARS = 2_000  # the longest text this module's caches keep (a digest's brief one)


class _KeptWhenShort:
    """A function of a text whose results are kept (``kept``, an LRU cache) for texts of up
    to KEPT_CHARS: a run meets the same short ones again, and posting text has no bound (a
    hostile feed's runs to megabytes, kept for as long as `leads serve` runs)."""

    def __init__(self, function: Callable[[str], str], size: int) -> None:
        self.function = function
        self.kept = lru_cache(maxsize=size)(function)

    def __call__(self, text: str) -> str:
        return self.kept(text) if len(text) <= KEPT_CHARS else self.function(text)


def _kept_when_short(size: int) -> Callable[[Callable[[str], str]], _KeptWhenShort]:
    return lambda function: _KeptWhenShort(function, size)
# Each byte of UTF-8 as quote(safe="") writes it: unreserved ASCII as is, the rest as %XX.
_PERCENT_ENCODED_BYTES = tuple(
    chr(byte) if chr(byte).isascii() and (chr(byte).isalnum() or chr(byte) in "_.-~")
    else f"%{byte:02X}"
    for byte in range(256)
)


@dataclass(frozen=True, slots=True)
class Sighting:
    """One place the lead was seen, as a digest lists it."""

    label: str  # the site's host name, else the source's name
    url: str | None  # None when the link is not http(s)
    company_page: bool


@dataclass(frozen=True, slots=True)
class Connection:
    """Someone the mentor knows at the company, and how to reach them."""

    line: str  # "You know Jane Doe (Engineering Manager) at Acme"
    first_name: str
    intro_href: str | None  # a prefilled mailto asking for an introduction
    profile_href: str | None  # their http(s) profile, when there is no email


class NumberedLinks:
    """A card whose links the plain-text part lists as numbered references under it, so
    that no line runs longer than 78 columns but a link's own."""

    __slots__ = ()

    @property
    def references(self) -> tuple[str, ...]:
        """Every link of the card, in the order the plain-text part numbers them."""
        raise NotImplementedError

    def cite(self, url: str) -> str:
        """'[2]': the reference number of one of the card's links in the plain-text part."""
        return f"[{self.references.index(url) + 1}]"


@dataclass(frozen=True, slots=True)
class LeadView(NumberedLinks):
    """A lead ready for a template: every field display text, every URL safe to link."""

    title: str
    company: str
    where: str  # "Berlin, Germany · Remote"
    salary: str | None
    posted: str  # "posted 21 Nov"
    closes: str | None  # "closes 17 Dec", "closed 4 Nov"; None: no date known
    fit: str
    fit_class: str  # strong, good or look: the CSS class suffix of the fit badge
    why: tuple[str, ...]
    gaps: tuple[str, ...]
    summary: str
    url: str | None  # the company's own page when known, else the first safe sighting
    seen_at: tuple[Sighting, ...]
    forward_href: str | None  # a prefilled mailto to the mentee; None in the mentee's own view
    connections: tuple[Connection, ...]

    @property
    def references(self) -> tuple[str, ...]:
        """Every link of the lead, in the order the plain-text part numbers them."""
        urls = [place.url for place in self.seen_at if place.url]
        urls += [self.forward_href] if self.forward_href else []
        urls += [c.intro_href or c.profile_href or "" for c in self.connections]
        return tuple(dict.fromkeys(url for url in urls if url))

    @property
    def seen_at_text(self) -> str:
        """'boards.greenhouse.io (company page) [1], weworkremotely.com [2]'."""
        return ", ".join(
            place.label
            + (" (company page)" if place.company_page else "")
            + (f" {self.cite(place.url)}" if place.url else "")
            for place in self.seen_at
        )


@dataclass(frozen=True, slots=True)
class EventView(NumberedLinks):
    """A suggested networking event ready for a template."""

    title: str
    when: str  # "Thu 21 Feb, 15:00 (Europe/Berlin)"
    where: str  # "Haus 5 - machBar, Potsdam (27 km from Berlin)" or "Online"
    organiser: str
    url: str | None
    forward_href: str

    @property
    def references(self) -> tuple[str, ...]:
        """The event's page, then the Forward email."""
        return tuple(dict.fromkeys(url for url in (self.url, self.forward_href) if url))


@dataclass(frozen=True, slots=True)
class SectionView:
    """One mentee's part of the digest."""

    name: str  # the name the digest calls the mentee by (first name unless ambiguous)
    full_name: str
    leads: tuple[LeadView, ...]
    page_url: str | None
    events: tuple[EventView, ...] = ()
    since_last: str | None = None  # "Since last time, Sam is interested in …"
    # Leads of that news at a company where the mentor knows someone: their introductions.
    followed: tuple[LeadView, ...] = ()

    @property
    def events_title(self) -> str:
        """'Events near Sam this month'."""
        return f"Events near {self.name} this month"

    @property
    def followed_title(self) -> str:
        """'Someone you know could introduce Sam': over the leads the mentee just marked."""
        return f"Someone you know could introduce {self.name}"

    @property
    def title(self) -> str:
        """'Sam Okafor: 3 new leads'."""
        return f"{self.full_name}: {_count_leads(len(self.leads))}"


@dataclass(frozen=True, slots=True)
class DigestView:
    """The whole digest as the templates see it."""

    subject: str
    heading: str
    week: str
    mentee_names: str  # "Sam and Alex"
    sections: tuple[SectionView, ...]

    @property
    def empty(self) -> bool:
        """True when no section has a lead."""
        return not any(section.leads for section in self.sections)

    @property
    def shows_fit(self) -> bool:
        """True when some lead card (a new lead's or a followed one's) shows its fit label."""
        return any(section.leads or section.followed for section in self.sections)


def fit_label(score: float) -> str:
    """The words a digest uses for a match score: 'Strong fit', 'Good fit' or 'Worth a look'."""
    if score >= STRONG_FIT:
        return "Strong fit"
    if score >= GOOD_FIT:
        return "Good fit"
    return "Worth a look"


def digest_subject(digest: Digest) -> str:
    """'5 new leads for Sam and Alex — week of 23 Nov', 'No new leads this week, but news
    from Sam', or 'No new leads this week'."""
    if not digest.lead_count:
        return _news_headline(digest) or NOTHING_NEW
    return f"{_headline(digest)} — week of {_day_month(_week_start(digest))}"


def _headline(digest: Digest) -> str:
    """'5 new leads for Sam and Alex', 'No new leads this week, but news from Sam', or 'No
    new leads this week for Sam and Alex'."""
    if not digest.lead_count:
        return _news_headline(digest) or (
            f"{NOTHING_NEW} for {_join_names([s.mentee for s in digest.sections])}"
        )
    with_leads = [section.mentee for section in digest.sections if section.leads]
    return f"{_count_leads(digest.lead_count)} for {_join_names(with_leads)}"


def _news_headline(digest: Digest) -> str | None:
    """'No new leads this week, but news from Sam': a digest that carries only what the
    mentees marked says so (None without news)."""
    with_news = [section.mentee for section in digest.sections if section.news]
    return f"{NOTHING_NEW}, but news from {_join_names(with_news)}" if with_news else None


def render_digest(digest: Digest) -> EmailMessage:
    """The digest email: headers, a plain-text part and an HTML part with CSS inlined."""
    view = digest_view(digest)
    environment = template_environment()
    text = environment.get_template("digest.txt.j2").render(digest=view)
    html = _inliner().inline(environment.get_template("digest.html.j2").render(digest=view))
    return _message(digest, view.subject, text, html)


@cache
def template_environment() -> Environment:
    """The Jinja environment over the packaged templates; HTML templates are autoescaped."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["wrap"] = wrap_text
    return environment


TEXT_WIDTH = 78  # RFC 5322's recommended line length for the plain-text part
TEXT_INDENT = "   "


# What textwrap treats otherwise than words between single spaces: whitespace it turns into
# spaces, runs of its whitespace, and a "word" of other white space (U+3000, a no-break
# space alone), which it drops at a line's edge (and whitespace at either end: _words_apart).
_UNWRAPPED_SPACE = re.compile(r"[\t\n\x0b\x0c\r]|  |(?:^| )[^\S ]+(?: |$)")


def wrap_text(text: str, first: str = TEXT_INDENT, rest: str = TEXT_INDENT) -> str:
    """`text` filled to TEXT_WIDTH columns under the lead's indent, broken only at spaces.

    Long words (a URL in a summary) are never split, so a link stays whole and clickable.
    """
    if _words_apart(text):
        if len(first) + len(text) <= TEXT_WIDTH:
            return first + text  # as textwrap gives it: most lines fit
        return _fill_words(text.split(" "), first, rest)
    return textwrap.fill(
        text,
        width=TEXT_WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _words_apart(text: str) -> bool:
    """Whether ``text`` is words between single spaces, to textwrap: no whitespace it would
    replace or collapse, none (any, to str.strip) at either end."""
    return bool(text) and not (
        text[0].isspace() or text[-1].isspace() or _UNWRAPPED_SPACE.search(text)
    )


def _fill_words(words: list[str], first: str, rest: str) -> str:
    """Words that single spaces separated, filled greedily as textwrap.fill fills them (no
    word broken; one longer than the line stands alone), at a fraction of its cost."""
    lines = [first + words[0]]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) <= TEXT_WIDTH:
            lines[-1] += " " + word
        else:
            lines.append(rest + word)
    return "\n".join(lines)


@cache
def _inliner() -> css_inline.CSSInliner:
    # @media rules cannot live in style attributes; keep_at_rules leaves them in a <style>.
    return css_inline.CSSInliner(
        keep_at_rules=True, minify_css=True, load_remote_stylesheets=False
    )


def digest_view(digest: Digest) -> DigestView:
    """Everything the digest templates show, computed from the Digest."""
    zone = _mentor_zone(digest.mentor)
    mentees = [section.mentee for section in digest.sections]
    names = _display_names(mentees)
    sections = tuple(
        _section_view(section, names[index], digest.mentor, zone, digest.composed_at)
        for index, section in enumerate(digest.sections)
    )
    return DigestView(
        subject=digest_subject(digest),
        heading=_headline(digest),
        week=f"Week of {_day_month(_week_start(digest))}",
        mentee_names=_join_names(mentees),
        sections=sections,
    )


def _section_view(
    section: MenteeDigest, name: str, mentor: Mentor, zone: tzinfo, now: datetime
) -> SectionView:
    best_first = sorted(section.leads, key=lambda lead: -lead.match.score)
    return SectionView(
        name=name,
        full_name=_one_line(section.mentee.name),
        leads=tuple(
            lead_view(lead, zone, now, section.mentee, mentor, section.page_url)
            for lead in best_first
        ),
        page_url=safe_url(section.page_url),
        events=tuple(
            event_view(s, section.mentee, mentor) for s in section.events[:EVENTS_SHOWN]
        ),
        since_last=since_last_time(name, section.news),
        followed=tuple(  # no Forward: the mentee has the lead, and said so
            replace(
                lead_view(lead, zone, now, section.mentee, mentor, section.page_url),
                forward_href=None,
            )
            for lead in section.followed
        ),
    )


def event_card(suggestion: EventSuggestion) -> EventView:
    """A suggested event ready to show, without a Forward link (the mentee's own page)."""
    event = suggestion.event
    return EventView(
        title=_one_line(event.title) or "Untitled event",
        when=_event_time(event.start, event.timezone),
        where="Online" if event.online else _one_line(suggestion.place),
        organiser=_one_line(event.organiser),
        url=safe_url(event.url),
        forward_href="",
    )


def event_view(suggestion: EventSuggestion, mentee: Mentee, mentor: Mentor) -> EventView:
    """A suggested event ready to show, with a Forward link that tells the mentee about it."""
    view = event_card(suggestion)
    lines = [
        f"Hi {_first_name(mentee.name)},",
        "",
        "This event could be a good place to meet people in your field:",
        "",
        view.title,
        f"{view.when} · {view.where}",
        view.url or "",
        "",
        "Shall we talk about how to make the most of it?",
        "",
        _first_name(mentor.name),
    ]
    href = mailto(mentee.email, f"Event: {view.title}", _drop_blank_runs(lines))
    return replace(view, forward_href=href)


def _event_time(start: datetime, zone: str) -> str:
    """'Thu 21 Feb, 15:00 (Europe/Berlin)': in the event's own time zone."""
    return f"{day_text(start.date())}, {start:%H:%M} ({_one_line(zone) or 'UTC'})"


def day_text(day: date) -> str:
    """'Thu 21 Feb' (the same in every locale)."""
    return f"{_WEEKDAYS[day.weekday()]} {_day_month(day)}"


# How the "Since last time" line words each status, in the order of a job search.
_NEWS_WORDS = {
    LeadStatus.INTERESTED: "is interested in",
    LeadStatus.APPLIED: "applied to",
    LeadStatus.INTERVIEWING: "is interviewing for",
    LeadStatus.OFFER: "got an offer for",
    LeadStatus.NOT_FOR_ME: "passed on",
}
NEWS_ROLES_SHOWN = 3  # roles named per status before "and N more"


def since_last_time(name: str, news: Sequence[StatusChange]) -> str | None:
    """'Since last time, Sam is interested in X at Y, applied to Z at W, got an offer for V at
    U and passed on T at S.' (None when there is nothing to tell)."""
    clauses = []
    for status, words in _NEWS_WORDS.items():
        roles = [_change_role(change) for change in news if change.status is status]
        if len(roles) > NEWS_ROLES_SHOWN:
            roles = [*roles[:NEWS_ROLES_SHOWN], f"{len(roles) - NEWS_ROLES_SHOWN} more"]
        if roles:
            clauses.append(f"{words} {_join_words(roles)}")
    if not clauses:
        return None
    told = f"Since last time, {name} {_join_words(clauses)}"
    # A company's own full stop ends the sentence: "at Vercom S.A." takes no second one.
    return told if told.endswith((".", "!", "?")) else f"{told}."


def _change_role(change: StatusChange) -> str:
    title = _one_line(change.title) or "Untitled role"
    company = _one_line(change.company)
    return f"{title} at {company}" if company else title


def lead_view(
    lead: DigestLead,
    zone: tzinfo,
    now: datetime,
    mentee: Mentee | None = None,
    mentor: Mentor | None = None,
    page_url: str | None = None,
) -> LeadView:
    """A lead ready to show; with a mentee and mentor it carries Forward and Connect links
    (the forward email links to the lead's interview prep sheet on ``page_url``, the
    mentee's page, or carries the sheet when there is no page)."""
    posting = lead.match.posting.posting
    seen_at = _sightings(lead)
    today = _local_day(now, zone)
    view = LeadView(
        title=_one_line(posting.title) or "Untitled role",
        company=_one_line(posting.company),
        where=_where(posting.location, posting.remote),
        salary=format_salary(posting.salary),
        posted=_posted(lead, zone, today),
        closes=_closes(lead, zone, now),
        fit=fit_label(lead.match.score),
        fit_class=_fit_class(lead.match.score),
        why=_terms(lead.match.why),
        gaps=_terms(lead.match.gaps),
        summary=_summary(posting.description_text),
        url=next((sighting.url for sighting in seen_at if sighting.url), None),
        seen_at=seen_at,
        forward_href=None,
        connections=(),
    )
    if mentee is None or mentor is None:
        return view
    prep = _prep_lines(lead, page_url)
    return replace(
        view,
        forward_href=_forward_href(view, mentee, mentor, prep),
        connections=tuple(
            _connection(contact, view, mentee, mentor, lead.mentee_status)
            for contact in lead.contacts
        ),
    )


def _prep_lines(lead: DigestLead, page_url: str | None) -> list[str]:
    """The forward email's interview prep: a line and the link to the lead's prep sheet on
    the mentee's page, else (no web view) the sheet itself.

    The page's sheet is the fuller one (it quotes the posting text behind each question),
    and a mailto link holding a whole sheet runs to several thousand characters, past what
    some mail programs open whole."""
    page = safe_url(page_url)
    if page is not None:
        link = f"{page.split('#', 1)[0].rstrip('/')}/leads/{lead.match.lead_id}/prep"
        return [f"{PREP_LINK_TEXT}: {link}"]
    return [] if lead.prep is None else _sheet_lines(lead.prep)


def _sheet_lines(sheet: PrepSheet) -> list[str]:
    # The title repeats the role just named.
    return ["To prepare for the interview:", "", *prep_lines(sheet, sources=False)[2:]]


def format_salary(salary: Salary | None) -> str | None:
    """'$120,000\u2013150,000 a year'; the posting's own wording when the numbers are missing.

    Amounts that cannot be pay (infinite, negative, absurd: see core.intake) count as missing,
    so a bad stored value never stops a digest.
    """
    if salary is None:
        return None
    low, high = pay_amount(salary.minimum), pay_amount(salary.maximum)
    if low is None and high is None:
        return _one_line(salary.text or "") or None
    symbol, code = _currency(salary.currency)
    if low is not None and high is not None and low != high:
        amount = f"{symbol}{_amount(low)}{RANGE_DASH}{_amount(high)}"
    elif low is not None and high is not None:
        amount = f"{symbol}{_amount(low)}"
    elif low is not None:
        amount = f"from {symbol}{_amount(low)}"
    else:
        amount = f"up to {symbol}{_amount(high or 0)}"
    return " ".join(part for part in (amount, code, _period(salary.period)) if part)


def _period(period: str | None) -> str:
    if not period:
        return ""
    return _PERIODS.get(period.lower(), f"per {_one_line(period)}")


def _currency(code: str | None) -> tuple[str, str]:
    """The symbol to put before the amount, or the code to put after it."""
    if not code:
        return "", ""
    upper = _one_line(code).upper()
    symbol = _CURRENCY_SYMBOLS.get(upper)
    return (symbol, "") if symbol else ("", upper)


def _amount(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _where(location: str, remote: bool) -> str:
    place = _one_line(location)
    if remote and "remote" not in place.lower():
        return f"{place} · Remote" if place else "Remote"
    return place


def _posted(lead: DigestLead, zone: tzinfo, today: date) -> str:
    posted_at = lead.match.posting.posting.posted_at
    if posted_at is not None:
        return f"posted {_date_text(posted_at, zone, today)}"
    return f"first seen {_date_text(lead.match.posting.first_seen, zone, today)}"


def _closes(lead: DigestLead, zone: tzinfo, now: datetime) -> str | None:
    """When applications close, by the mentor's calendar; a closed lead shows only on a
    mentee's page, among the leads they track."""
    closes_at = lead.match.posting.closes_at
    if closes_at is None:
        return None
    when = _day_text(_closing_day(closes_at, zone), _local_day(now, zone))
    return f"closed {when}" if lead.match.posting.is_closed(now) else f"closes {when}"


def _closing_day(closes_at: datetime, zone: tzinfo) -> date:
    """The day applications close, by the calendar of ``zone``; but a day a board stated
    without a time or zone (kept as its last second in UTC) is that day anywhere: east of
    UTC its last second falls on the next day, a day the board never gave."""
    if closes_at.utcoffset() == timedelta(0) and closes_at.time() == _LAST_SECOND:
        return closes_at.date()
    return _local_day(closes_at, zone)


def _date_text(moment: datetime, zone: tzinfo, today: date) -> str:
    return _day_text(_local_day(moment, zone), today)


def _day_text(day: date, today: date) -> str:
    return _day_month(day) if day.year == today.year else f"{_day_month(day)} {day.year}"


def _local_day(moment: datetime, zone: tzinfo) -> date:
    """The day ``moment`` falls on in ``zone``; in UTC for a board's "0001-01-01T00:00Z"
    seen from west of UTC (or year 9999 from the east), which no date can hold there."""
    try:
        return moment.astimezone(zone).date()
    except OverflowError:
        return moment.date()


def _day_month(day: date) -> str:
    # Month names from a table, not strftime, so the output does not depend on the locale.
    return f"{day.day} {_MONTHS[day.month - 1]}"


def _week_start(digest: Digest) -> date:
    local = digest.composed_at.astimezone(_mentor_zone(digest.mentor)).date()
    return local - timedelta(days=local.weekday())


def _mentor_zone(mentor: Mentor) -> tzinfo:
    try:
        return ZoneInfo(mentor.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"unknown timezone {mentor.timezone!r}",
            key=f"mentors[{mentor.id}].timezone",
            fix="use an IANA name such as Europe/Berlin or America/New_York",
        ) from exc


def _fit_class(score: float) -> str:
    return {"Strong fit": "strong", "Good fit": "good"}.get(fit_label(score), "look")


def _terms(terms: Iterable[str]) -> tuple[str, ...]:
    return tuple(term for term in (_one_line(term) for term in terms) if term)


# Lines some boards put before the description proper (We Work Remotely: "Headquarters:
# Berlin", "URL: https://…"): about the company, not the job, so not its summary.
_PREAMBLE_LINE = re.compile(r"^(?:headquarters|hq|url|website|company url)\s*:.*$", re.I)


_LEADING_BULLET = re.compile(r"^[\u2022*\u00b7\u25aa\u25cf\u25e6-]\s+")  # not "**Bold**"
# Short lines that are no heading: a fact ("Time zone: CET +/-2h", "Job: Full-time") or a
# sentence leading into a list ("We come together with one common thread:").
_NOT_A_HEADING = re.compile(r"^[^:]{1,40}:\s*\S|^(?:we|you|i|our|your)\b", re.I)


def _heads(line: str) -> bool:
    return is_heading(line) and not _NOT_A_HEADING.match(line)


@_kept_when_short(8_192)
def _summary(text: str) -> str:
    """The opening of the description, from its first sentence: flattened to one line, the
    headings before it ("Who we are", "The Opportunity", "Description:", the title again)
    would run into it ("Who we are MindsDB helps companies…").

    Kept for the short texts a run shows again (a digest's brief descriptions, one lead for
    several mentees or mentors)."""
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line and not _PREAMBLE_LINE.match(line)]
    first = next((i for i, line in enumerate(lines) if not _heads(line)), 0)
    flat = _LEADING_BULLET.sub("", _one_line("\n".join(lines[first:]) or text))
    if len(flat) <= SUMMARY_CHARS:
        return flat
    cut = flat[:SUMMARY_CHARS].rsplit(" ", 1)[0]
    return f"{cut.rstrip(',;:.')}…"


def _sightings(lead: DigestLead) -> tuple[Sighting, ...]:
    stored = lead.match.posting
    places = lead.seen_at or (
        SeenAt(stored.posting.source, stored.posting.url, stored.company_page),
    )
    # sorted() is stable: the company's own page first, the rest in the order given.
    ordered = sorted(places, key=lambda place: not place.company_page)
    return tuple(_sighting(place) for place in ordered)


def _sighting(place: SeenAt) -> Sighting:
    url = safe_url(place.url)
    label = link_label(url) or _one_line(place.source)
    return Sighting(label=label, url=url, company_page=place.company_page)


def _forward_href(view: LeadView, mentee: Mentee, mentor: Mentor, prep: Sequence[str]) -> str:
    subject = f"Job lead: {_role(view)}"
    lines = [
        f"Hi {_first_name(mentee.name)},",
        "",
        "This one made me think of you:",
        "",
        _role(view),
        " · ".join(part for part in (view.where, view.salary, view.closes) if part),
        view.url or "",
        "",
    ]
    if view.why:
        lines.append(f"Why it fits: {', '.join(view.why)}")
    if view.gaps:
        lines.append(f"Worth brushing up on before an interview: {', '.join(view.gaps)}")
    if prep:
        lines += ["", *prep]
    lines += ["", "Let me know if you apply, I'm happy to help you prepare.", ""]
    lines.append(_first_name(mentor.name))
    return mailto(mentee.email, subject, _drop_blank_runs(lines))


def _connection(
    contact: Contact, view: LeadView, mentee: Mentee, mentor: Mentor, status: str | None
) -> Connection:
    name = _one_line(contact.name)
    position = _one_line(contact.position)
    who = f"{name} ({position})" if position else name
    line = f"You know {who} at {_one_line(contact.company)}"
    intro = _intro_href(contact, view, mentee, mentor, status) if contact.email else None
    profile = None if contact.email else safe_url(contact.url)
    return Connection(line, _first_name(name), intro, profile)


def _intro_href(
    contact: Contact, view: LeadView, mentee: Mentee, mentor: Mentor, status: str | None
) -> str:
    mentee_name = _one_line(mentee.name)
    first = _first_name(mentee_name)
    company = view.company or "your company"
    # Say the mentee is interested only when they said so; otherwise it is the mentor's idea.
    if status in ASKED_FOR_STATUSES:
        opening = f"{first} is interested in this role at {company}:"
        ask = (
            f"Would you be open to introducing {first} to the hiring team, "
            "or to a short chat about the role?"
        )
    else:
        opening = f"I came across this role at {company} and think {first} could be a good fit:"
        ask = (
            f"Would you be open to a short chat with {first} about the role and the team? "
            "I haven't asked them yet, and wanted to check with you first."
        )
    lines = [
        f"Hi {_first_name(contact.name)},",
        "",
        " ".join(
            (f"I hope you're well. I mentor {mentee_name}.", mentee_introduction(mentee, view.why))
        ).strip(),
        "",
        opening,
        "",
        _role(view),
        view.url or "",
        "",
        ask,
        "",
        "Thank you,",
        _first_name(mentor.name),
    ]
    subject = f"Introduction: {mentee_name} for {_role(view)}"
    return mailto(str(contact.email), subject, _drop_blank_runs(lines))


ABOUT_CHARS = 200  # the most of a mentee's `about` an introduction quotes


def mentee_introduction(mentee: Mentee, asked_for: Sequence[str] = ()) -> str:
    """One or two sentences that introduce the mentee: target roles, strongest skills, about.

    The strongest skills are those the lead asks for first (`asked_for`: its why-terms), then
    the profile's own order.
    """
    first = _first_name(_one_line(mentee.name))
    roles = [_one_line(role) for role in mentee.roles if _one_line(role)]
    skills = _strongest_skills(mentee, asked_for)
    looking = f"{first} is looking for {_join_words(roles[:2])} roles" if roles else ""
    if looking and skills:
        first_sentence = f"{looking} and brings {_join_words(skills)}."
    elif looking:
        first_sentence = f"{looking}."
    elif skills:
        first_sentence = f"{first} brings {_join_words(skills)}."
    else:
        first_sentence = ""
    about = _first_sentence(_one_line(mentee.about))
    return " ".join(part for part in (first_sentence, about) if part)


def _strongest_skills(mentee: Mentee, asked_for: Sequence[str], count: int = 3) -> list[str]:
    own = {_one_line(skill).casefold(): _one_line(skill) for skill in mentee.skills}
    ordered = [own[term.casefold()] for term in asked_for if term.casefold() in own]
    ordered += [skill for skill in own.values() if skill not in ordered]
    return [skill for skill in ordered if skill][:count]


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(?:\s|$)", text)
    sentence = match.group(1) if match else text
    if len(sentence) <= ABOUT_CHARS:
        return sentence if not sentence or sentence[-1] in ".!?" else f"{sentence}."
    return f"{sentence[:ABOUT_CHARS].rsplit(' ', 1)[0].rstrip(',;:.')}…"


def _join_words(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def mailto(address: str, subject: str, lines: Sequence[str]) -> str:
    """A mailto: URL per RFC 6068; every character that could end a field is percent-encoded."""
    body = "%0D%0A".join(map(_percent_encoded, lines))  # RFC 6068: line breaks are %0D%0A
    return (
        f"mailto:{quote(address, safe=_MAILTO_ADDRESS_SAFE)}"
        f"?subject={_percent_encoded(subject)}&body={body}"
    )


@_kept_when_short(16_384)
def _percent_encoded(text: str) -> str:
    """``quote(text, safe="")``, about twice as fast, and kept for the lines a digest repeats.

    A digest without a web view carries each lead's prep sheet in its Forward link, so one
    of 500 mentors' digests percent-encodes some 200 KB; most lines (a posting's questions,
    the next-steps one, the sign-off) recur across mentees and mentors.
    """
    return "".join(map(_PERCENT_ENCODED_BYTES.__getitem__, text.encode()))


def _drop_blank_runs(lines: Sequence[str]) -> list[str]:
    """The lines without the blank ones left behind by missing fields."""
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return kept


def _role(view: LeadView) -> str:
    return f"{view.title} at {view.company}" if view.company else view.title


def _one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed: posting text never spans lines or headers."""
    return " ".join(text.split())


def _first_name(name: str) -> str:
    words = name.split()
    return words[0] if words else name


def _display_names(mentees: Sequence[Mentee]) -> list[str]:
    """First names, except where two mentees share one: then their full names."""
    firsts = [_first_name(mentee.name) for mentee in mentees]
    return [
        first if firsts.count(first) == 1 else _one_line(mentee.name)
        for first, mentee in zip(firsts, mentees, strict=True)
    ]


NAMES_SHOWN = 3  # mentees named in a subject before "and N others"


def _join_names(mentees: Sequence[Mentee]) -> str:
    """'Sam', 'Sam and Alex', 'Sam, Alex and Priya', 'Sam, Alex, Priya and 9 others'."""
    names = _display_names(mentees)
    if len(names) > NAMES_SHOWN + 1:
        names = [*names[:NAMES_SHOWN], f"{len(names) - NAMES_SHOWN} others"]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _count_leads(count: int) -> str:
    return f"{count} new lead" if count == 1 else f"{count} new leads"


def _message(digest: Digest, subject: str, text: str, html: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = digest.sender
    mentor = digest.mentor
    message["To"] = Address(display_name=_one_line(mentor.name), addr_spec=mentor.email)
    message["Subject"] = subject
    message["Date"] = format_datetime(digest.composed_at)
    message["Message-ID"] = digest.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message["X-Auto-Response-Suppress"] = "All"  # the same for Exchange
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = "multipart/alternative"
    message.attach(_quoted_printable(text, "plain"))
    message.attach(_quoted_printable(html, "html"))
    message.set_boundary(_boundary(digest.message_id))
    return message


def _quoted_printable(content: str, subtype: str) -> EmailMessage:
    """A text part in quoted-printable: 7-bit clean for any relay and readable in raw form.

    Encoded with binascii (C) rather than set_content's pure-Python encoder, which cost more
    than everything else in a digest (12 ms against 3 ms for a 100-lead one).
    """
    part = EmailMessage()
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(binascii.b2a_qp(content.encode("utf-8"), istext=True).decode("ascii"))
    return part


def _boundary(message_id: str) -> str:
    """A boundary fixed by the Message-ID, itself fixed by the leads and news the digest
    carries (the default one is random, so the same digest's bytes would differ).

    "=_" can never occur in quoted-printable bodies, so the boundary cannot collide with
    them; it need not be drawn from the content (hashing a 100-lead digest's 800 KB cost
    more than writing its headers).
    """
    return f"=_leads_{hashlib.sha256(message_id.encode()).hexdigest()[:32]}"
