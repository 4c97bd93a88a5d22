"""The mentee web view as an ASGI app: private pages of matched leads, status buttons, export.

Every page sits behind a private link (``/m/<token>`` for a mentee, ``/mentor/<token>`` for a
mentor); an unknown, revoked or malformed token gets the same plain 404 as a page that does
not exist. Writes are POSTs carrying a form token derived from the link; every response
carries a strict Content-Security-Policy (no script at all) and sends no Referer, so a
private link never reaches an employer's site.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aggregator.core.config import AppConfig
from aggregator.core.models import EventSuggestion, LeadStatus, Mentee, Mentor, PrepSheet
from aggregator.core.spreadsheet import neutralised
from aggregator.store import Store
from aggregator.store.engine import one_line
from digests.render import TEMPLATES as DIGEST_TEMPLATES
from digests.render import EventView
from web.pages import (
    PREP_HEADINGS,
    Filters,
    LeadRow,
    event_rows,
    lead_rows,
    leads_page,
    mentee_glance,
    mentor_zone,
    next_closing,
    page_of,
    prep_view,
    pressed,
)
from web.tokens import Holder, Keyring, looks_like_token, token_hash

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
HERE = Path(__file__).parent
MAX_FORM_BYTES = 4_096
PAGES_KEPT = 64  # rendered pages kept per mentee (distinct filters) while its data is unchanged
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        b"base-uri 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
PRIVATE = {"cache-control": "no-store"}
CSV_COLUMNS = (
    "lead", "title", "company", "where", "salary", "posted", "fit", "score", "status",
    "why", "brush_up", "url", "seen_at", "closes",  # closes last: added later
    "posted_at", "closes_at",  # ISO 8601, to sort by: "posted" and "closes" are words
)  # fmt: skip
_STATIC_TYPES = {".css": "text/css; charset=utf-8"}
# A status change tells the page it returns to which lead it was, in a cookie read once:
# the page then says what was saved, on that lead (focus lands there through #lead-<id>),
# and a lead just marked Not for me stays in its place with its undo. No script needed.
DONE_COOKIE = "done"
DONE_SECONDS = 60


def template_environment() -> Environment:
    """The web templates, with the digest's lead macros beside them; autoescaped HTML."""
    return Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(HERE / "templates"), FileSystemLoader(DIGEST_TEMPLATES)]
        ),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def static_files() -> dict[str, bytes]:
    """The only things served without a token: the stylesheets (the digest's and the page's)."""
    return {
        "digest.css": (DIGEST_TEMPLATES / "digest.css").read_bytes(),
        "web.css": (HERE / "static" / "web.css").read_bytes(),
    }


class Advice(Protocol):
    """What the pages show that the matchers work out. `leads serve` wires it in
    (``aggregator.stages.advice``): the web view imports only the core, the store and the
    digest's renderers."""

    def prep(self, mentee: Mentee, lead: int) -> PrepSheet:
        """The mentee's interview prep sheet for one of their leads."""
        ...

    def events(self, mentee: Mentee, now: datetime) -> Sequence[EventSuggestion]:
        """The networking events suggested to the mentee from ``now`` on, best fit first."""
        ...


@dataclass(slots=True)
class Prepared:
    """A mentee's page data as of one version of the store, and the pages rendered from it,
    by (path, filters)."""

    key: tuple[object, ...]  # the store's page_version and the day it was read on
    rows: list[LeadRow]
    events: list[EventView]
    marker: int | None  # the store's change marker when ``key`` was last found current
    # When the next of its jobs closes: the page must then drop or mark it, day or no day.
    closes_next: datetime | None
    pages: dict[tuple[str, str], str] = field(default_factory=dict)

    def outlived(self, now: datetime) -> bool:
        """Whether one of its jobs has closed since it was made."""
        return self.closes_next is not None and now >= self.closes_next


@dataclass
class Site:
    """The pages, over one config, store and key."""

    config: AppConfig
    store: Store
    keyring: Keyring
    now: Clock
    advice: Advice
    templates: Environment = field(default_factory=template_environment)
    static: dict[str, bytes] = field(default_factory=static_files)
    _prepared: dict[str, Prepared] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    # Mentee links found current, by token hash: (the store's change marker then, mentee).
    _links: dict[str, tuple[int, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.mentees = {mentee.id: mentee for mentee in self.config.mentees}
        self.mentors = {mentor.id: mentor for mentor in self.config.mentors}
        self.mentor_of = {
            mentee.id: mentor
            for mentor in self.config.mentors
            for mentee in self.config.mentees_of(mentor)
        }

    # -- who is asking --------------------------------------------------------------------

    def holder(self, request: Request, kind: Holder) -> tuple[str, str]:
        """(subject id, token hash) of the request's private link; 404 for any bad link.

        The store is asked (one index lookup) unless nothing at all was written to it since
        the link was last found (see ``_ready_page``): a link rotated by `leads links
        --rotate`, in another process, stops working at once."""
        token = request.path_params["token"]
        if looks_like_token(token):
            hashed = token_hash(token)
            marker = self.store.change_marker()  # before asking: a later write moves it
            found = self.store.link_holder(hashed)
            if found is not None and found[0] == kind.value:
                if marker is not None and kind is Holder.MENTEE:
                    self._links[hashed] = (marker, found[1])  # only links found: no guesses
                return found[1], hashed
        raise HTTPException(404)

    def mentee(self, request: Request) -> tuple[Mentee, str]:
        """The mentee whose link this is (404 when there is none, or they left the config)."""
        subject, hashed = self.holder(request, Holder.MENTEE)
        if subject not in self.mentees:
            raise HTTPException(404)
        return self.mentees[subject], hashed

    # -- a mentee's leads -----------------------------------------------------------------

    def prepared(self, mentee: Mentee) -> Prepared:
        """Every lead of the mentee with its status, best fit first, their events, and
        the pages rendered from them so far: kept until the store's data for the page
        changes (``Store.page_version``: one statement of index lookups) or the day does."""
        mentor = self.mentor_of.get(mentee.id)
        now = self.now()
        today = now.astimezone(mentor_zone(mentor)).date()
        marker = self.store.change_marker()  # before the version: a later write moves it
        key = (*self.store.page_version(mentee.id), today)
        cached = self._prepared.get(mentee.id)
        if cached is not None and cached.key == key and not cached.outlived(now):
            cached.marker = marker
            return cached
        # One request reads the store for a mentee at a time; the others wait for its page
        # rather than read the same rows again.
        with self._locks.setdefault(mentee.id, threading.Lock()):
            cached = self._prepared.get(mentee.id)
            if cached is not None and cached.key == key and not cached.outlived(now):
                cached.marker = marker
                return cached  # made by the request this one waited for
            # The version is read before the data: a change in between makes the next
            # request read again, never keeps a page older than its key.
            matches, seen_at = self.store.mentee_matches(mentee.id)
            statuses = self.store.lead_statuses([mentee.id]).get(mentee.id, {})
            rows = lead_rows(matches, seen_at, statuses, mentee, mentor, now)
            events = event_rows(self.advice.events(mentee, now), mentor_zone(mentor), now)
            fresh = Prepared(key, rows, events, marker, next_closing(matches, now))
            self._prepared[mentee.id] = fresh
            return fresh

    def rows(self, mentee: Mentee) -> list[LeadRow]:
        """Every lead of the mentee with its status, best fit first."""
        return self.prepared(mentee).rows

    async def leads(self, request: Request) -> Response:
        """GET /m/<token>: the mentee's leads, filtered."""
        # A page already rendered is answered here while nothing was written to the store;
        # anything that reads the store or renders runs in a worker thread, so the event
        # loop is never held up by it.
        ready = None if DONE_COOKIE in request.cookies else self._ready_page(request)
        return ready if ready is not None else await run_in_threadpool(self._leads, request)

    def _ready_page(self, request: Request) -> Response | None:
        """The page as rendered before, when its link and its data were checked at the
        store's current change marker (no commit by anyone since) and the day is the same;
        else None. On SQLite the marker costs microseconds and no query; PostgreSQL has none,
        so there every request asks the store."""
        marker = self.store.change_marker()
        token = request.path_params["token"]
        if marker is None or not looks_like_token(token):
            return None
        seen = self._links.get(token_hash(token))
        if seen is None or seen[0] != marker:
            return None
        mentee = seen[1]
        prepared = self._prepared.get(mentee)
        if prepared is None or prepared.marker != marker:
            return None
        now = self.now()
        today = now.astimezone(mentor_zone(self.mentor_of.get(mentee))).date()
        if prepared.key[-1] != today or prepared.outlived(now):
            return None
        html = prepared.pages.get((request.url.path, Filters.parse(request.query_params).query()))
        return HTMLResponse(html, headers=PRIVATE) if html is not None else None

    def _leads(self, request: Request) -> Response:
        mentee, hashed = self.mentee(request)
        filters = Filters.parse(request.query_params)
        prepared = self.prepared(mentee)
        key = (request.url.path, filters.query())
        done = _done_lead(request.cookies.get(DONE_COOKIE, ""), key[1])
        html = prepared.pages.get(key) if done is None else None
        if html is None:
            html = self.templates.get_template("leads.html.j2").render(
                page=leads_page(prepared.rows, filters, mentee, done),
                events=prepared.events,
                base=request.url.path,
                csrf=self.keyring.csrf(hashed),
                statuses=list(LeadStatus),
                mentor_name=_first_name(self.mentor_of.get(mentee.id)),
            )
            if done is None and len(prepared.pages) < PAGES_KEPT:
                prepared.pages[key] = html  # a page saying what was just saved is shown once
        response = HTMLResponse(html, headers=PRIVATE)
        if DONE_COOKIE in request.cookies:
            response.delete_cookie(DONE_COOKIE, path=request.url.path)
        return response

    def prep_page(self, request: Request) -> Response:
        """GET /m/<token>/leads/<id>/prep: the interview prep sheet of one of the mentee's
        leads, made now (never for every lead of a page)."""
        mentee, _ = self.mentee(request)
        lead = _lead_id(request.path_params["lead"])
        rows = self.rows(mentee)
        row = next((row for row in rows if row.lead_id == lead), None)
        if row is None:  # not this mentee's lead (or no lead at all)
            raise HTTPException(404)
        base = request.url.path.rsplit("/leads/", 1)[0]
        back = _back_to(rows, row, Filters.parse(request.query_params)).query()
        html = self.templates.get_template("prep.html.j2").render(
            sheet=prep_view(self.advice.prep(mentee, lead)),
            card=row.card,
            headings=PREP_HEADINGS,
            back=f"{base}{'?' + back if back else ''}#lead-{lead}",
        )
        return HTMLResponse(html, headers=PRIVATE)

    def leads_csv(self, request: Request) -> Response:
        """GET /m/<token>/leads.csv: every lead the page lists, with its status, safe to open in
        a spreadsheet."""
        mentee, _ = self.mentee(request)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for row in self.rows(mentee):
            if row.listed:  # as the page: a closed job only while the mentee tracks it
                writer.writerow(neutralised(_csv_record(row)))
        headers = {**PRIVATE, "content-disposition": 'attachment; filename="leads.csv"'}
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)

    async def set_status(self, request: Request) -> Response:
        """POST /m/<token>/leads/<id>/status: a button press; then back to the page."""
        mentee, hashed = await run_in_threadpool(self.mentee, request)
        lead = _lead_id(request.path_params["lead"])
        rows = await run_in_threadpool(self.rows, mentee)
        current = next((row for row in rows if row.lead_id == lead), None)
        if current is None:  # not this mentee's lead (or no lead at all)
            raise HTTPException(404)
        form = await _form(request)
        if not self.keyring.csrf_matches(hashed, form.get("csrf", "")):
            raise HTTPException(403, "The form is out of date: reload the page and try again.")
        ok, chosen = pressed(current.status, form.get("status", ""))
        if not ok:
            raise HTTPException(400, "That status cannot be set on this lead.")
        if chosen is not current.status:  # the same press twice (a double click) is one
            if form.get("was", _status_value(current.status)) != _status_value(current.status):
                # Pressed on a page older than the lead's status: it would undo a later word.
                raise HTTPException(409, (
                    "This lead's status changed in another tab or window since this page was "
                    f"loaded (it is now {_status_label(current.status)}): reload the page "
                    "and choose again."
                ))  # fmt: skip
            await run_in_threadpool(self._record, mentee, lead, chosen)
        back = Filters.parse(dict(parse_qsl(form.get("back", "")))).query()
        base = request.url.path.rsplit("/leads/", 1)[0]
        target = f"{base}{'?' + back if back else ''}"
        response = RedirectResponse(f"{target}#lead-{lead}", status_code=303, headers=PRIVATE)
        response.set_cookie(
            DONE_COOKIE, _done_value(lead, back), max_age=DONE_SECONDS, path=base, httponly=True,
            secure=request.url.scheme == "https", samesite="strict",
        )  # fmt: skip
        return response

    def _record(self, mentee: Mentee, lead: int, status: LeadStatus | None) -> None:
        verdict = status.verdict if status is not None else None
        if verdict is not None:  # the matcher learns from it, exactly as `leads feedback`
            self.store.record_feedback(mentee.id, lead, verdict, self.now())
        else:
            self.store.record_status(mentee.id, lead, status, self.now())
        log.info("%s marked lead %d as %s", mentee.id, lead, status or "no status")

    # -- the mentor's glance --------------------------------------------------------------

    def mentor_page(self, request: Request) -> Response:
        """GET /mentor/<token>: each of the mentor's mentees, their leads' statuses."""
        subject, _ = self.holder(request, Holder.MENTOR)
        mentor = self.mentors.get(subject)
        if mentor is None:
            raise HTTPException(404)
        html = self.templates.get_template("mentor.html.j2").render(
            mentor=mentor, mentees=self._glances(mentor)
        )
        return HTMLResponse(html, headers=PRIVATE)

    def _glances(self, mentor: Mentor) -> list[object]:
        mentees = self.config.mentees_of(mentor)
        statuses = self.store.lead_statuses([m.id for m in mentees])
        now = self.now()
        glances: list[object] = []
        for mentee in mentees:
            matches, seen_at = self.store.mentee_matches(mentee.id)
            rows = lead_rows(matches, seen_at, statuses.get(mentee.id, {}), mentee, mentor, now)
            glances.append(mentee_glance(mentee, rows))
        return glances

    def asset(self, request: Request) -> Response:
        """GET /static/<name>: a stylesheet."""
        name = request.path_params["name"]
        if name not in self.static:
            raise HTTPException(404)
        media = _STATIC_TYPES[Path(name).suffix]
        return Response(
            self.static[name], media_type=media, headers={"cache-control": "public, max-age=3600"}
        )


def create_app(
    config: AppConfig, store: Store, keyring: Keyring, now: Clock, advice: Advice
) -> ASGIApp:
    """The web app over ``config`` and ``store``; links are checked with ``keyring``; prep
    sheets and events come from ``advice``."""
    site = Site(config, store, keyring, now, advice)
    app = Starlette(
        routes=[
            Route("/m/{token}", site.leads, methods=["GET"]),
            Route("/m/{token}/leads.csv", site.leads_csv, methods=["GET"]),
            Route("/m/{token}/leads/{lead}/status", site.set_status, methods=["POST"]),
            Route("/m/{token}/leads/{lead}/prep", site.prep_page, methods=["GET"]),
            Route("/mentor/{token}", site.mentor_page, methods=["GET"]),
            Route("/static/{name}", site.asset, methods=["GET"]),
        ],
        exception_handlers={HTTPException: _plain_error, DBAPIError: _database_failed},
    )
    return SecurityHeaders(app)


async def _database_failed(request: Request, exc: Exception) -> Response:
    """The database could not answer (locked past its wait, a server gone): a line saying
    to try again, not a bare 500; the log gets the cause without the path, which holds the
    visitor's private token."""
    log.warning("the database failed a %s request: %s", request.method, one_line(exc))
    return PlainTextResponse(
        "Your leads cannot be read or saved just now: please try again in a minute.",
        status_code=503,
        headers={"Retry-After": "60", **PRIVATE},
    )


async def _plain_error(request: Request, exc: Exception) -> Response:
    """Errors as short plain text; a 404 says only that (never whether a mentee exists)."""
    assert isinstance(exc, HTTPException)
    detail = "Not found." if exc.status_code == 404 else exc.detail
    return PlainTextResponse(detail, status_code=exc.status_code, headers=exc.headers)


class SecurityHeaders:
    """Adds the security headers to every response, errors and static files included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def _first_name(mentor: Mentor | None) -> str:
    return mentor.name.split()[0] if mentor and mentor.name.strip() else ""


def _done_value(lead: int, query: str) -> str:
    """The done cookie: the lead, and the page (its filters) the change returns to."""
    return f"{lead}_{hashlib.sha256(query.encode()).hexdigest()[:16]}"


def _done_lead(text: str, query: str) -> int | None:
    """The lead the done cookie names, when it was set for the page of ``query``; else None."""
    lead = text.split("_", 1)[0]
    if not (lead.isascii() and lead.isdigit() and len(lead) < 12):
        return None
    return int(lead) if text == _done_value(int(lead), query) else None


def _back_to(rows: Sequence[LeadRow], row: LeadRow, filters: Filters) -> Filters:
    """The page a prep sheet leads back to: the filters it was opened from, if the lead
    passes them; else the plain page, with "Also hidden" for a lead marked Not for me (a
    digest's link, or a lead since filtered out); at the page number that lists the lead, so
    it is there to return to."""
    if not filters.keeps(row):
        filters = Filters(hidden=row.status is LeadStatus.NOT_FOR_ME, order=filters.order)
    return replace(filters, page=page_of(rows, filters, row.lead_id))


def _status_value(status: LeadStatus | None) -> str:
    """A status as the page's forms carry it ("was"): its value, "" for none."""
    return status.value if status is not None else ""


def _status_label(status: LeadStatus | None) -> str:
    return status.label if status is not None else "without a status"


def _lead_id(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) < 12):
        raise HTTPException(404)
    return int(text)


async def _form(request: Request) -> dict[str, str]:
    """A small urlencoded form (the only kind the pages send); 4xx for anything else."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, "Send the form as application/x-www-form-urlencoded.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "The form is too large.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(400, "The form could not be read.") from exc
    return dict(pairs)


def _csv_record(row: LeadRow) -> list[str]:
    card = row.card
    return [
        str(row.lead_id), card.title, card.company, card.where, card.salary or "",
        card.posted, card.fit, f"{row.score:.3f}", row.status.value if row.status else "",
        ", ".join(card.why), ", ".join(card.gaps), card.url or "",
        " ".join(place.url or place.label for place in card.seen_at), card.closes or "",
        _iso(row.posted_at), _iso(row.closes_at),
    ]  # fmt: skip


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""
