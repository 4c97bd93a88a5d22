"""What the web view gives the mentor's digest: a link to each mentee's page (and, in the
forward email, to each lead's prep sheet there), the mentee's status on each lead, and a
"Since last time" line of what they marked."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from digestkit import JOBS, NOW
from starlette.types import ASGIApp
from webkit import copied, seeded, seeded_folder

from aggregator.core.config import AppConfig
from aggregator.core.models import Contact, LeadStatus, StatusChange, Verdict
from aggregator.stages.advice import StoredAdvice
from aggregator.stages.digest import DigestStatus, compose, deliver, delivered_pairs
from aggregator.store import Store
from digests.render import PREP_LINK_TEXT, digest_view, render_digest, since_last_time
from web.app import create_app
from web.links import Links
from web.tokens import Holder, load_keyring

LATER = NOW + timedelta(hours=1)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, module_database: str) -> Path:
    return seeded_folder(tmp_path_factory, "https://leads.example.org", module_database)


@pytest.fixture
def site(template: Path, tmp_path: Path, database_copy: str) -> Iterator[tuple[AppConfig, Store]]:
    config, store = copied(template, tmp_path, database_copy)
    yield config, store
    store.close()


def lead_of(store: Store, title: str) -> int:
    return next(s.lead_id for s in store.lead_postings() if s.posting.title == title)


def text_of(config: AppConfig, store: Store, at: object = NOW) -> str:
    digest = compose(config, store, config.mentors[0], at).digest  # type: ignore[arg-type]
    part = render_digest(digest).get_body(preferencelist=("plain",))
    assert part is not None
    return " ".join(part.get_content().split())


def test_each_mentee_gets_a_link_to_their_page(site: tuple[AppConfig, Store]) -> None:
    config, store = site
    digest = compose(config, store, config.mentors[0], NOW).digest
    urls = {section.mentee.id: section.page_url for section in digest.sections}
    links = Links(config, store)
    assert urls == {
        mentee: links.url(Holder.MENTEE, mentee, NOW) for mentee in ("sam-lee", "alex-kim")
    }
    assert all(url and url.startswith("https://leads.example.org/m/") for url in urls.values())
    text = text_of(config, store)
    assert f"See all of Sam's leads: {urls['sam-lee']}" in text
    leads = [lead for section in digest.sections for lead in section.leads]
    assert leads and all(lead.prep is None for lead in leads), "no sheet made: the page has it"


def test_without_a_base_url_there_is_no_link(tmp_path: Path) -> None:
    config, store = seeded(tmp_path)
    config = config.model_copy(update={"web": config.web.model_copy(update={"base_url": None})})
    digest = compose(config, store, config.mentors[0], NOW).digest
    assert [section.page_url for section in digest.sections] == [None, None]
    assert all(lead.prep is not None for section in digest.sections for lead in section.leads)
    assert not (tmp_path / "web.key").exists(), "no key is made when no link is"
    store.close()


def test_leads_carry_the_mentees_status(site: tuple[AppConfig, Store]) -> None:
    config, store = site
    lead = lead_of(store, JOBS[0].title)
    store.record_feedback("sam-lee", lead, Verdict.INTERESTED, NOW)
    digest = compose(config, store, config.mentors[0], NOW).digest
    statuses = {
        (section.mentee.id, found.match.lead_id): found.mentee_status
        for section in digest.sections
        for found in section.leads
    }
    assert statuses[("sam-lee", lead)] == "interested"
    assert {status for key, status in statuses.items() if key != ("sam-lee", lead)} == {None}


def test_since_last_time_tells_what_changed_since_the_last_digest(
    site: tuple[AppConfig, Store],
) -> None:
    config, store = site
    first, second, third, hidden = (lead_of(store, JOBS[i].title) for i in (0, 1, 4, 5))
    store.record_feedback("sam-lee", first, Verdict.INTERESTED, NOW)
    store.record_feedback("sam-lee", hidden, Verdict.NOT_FOR_ME, NOW)
    text = text_of(config, store)
    assert (
        f"Since last time, Sam is interested in {JOBS[0].title} at {JOBS[0].company} and "
        f"passed on {JOBS[5].title} at {JOBS[5].company}." in text
    )
    digest = compose(config, store, config.mentors[0], NOW).digest
    store.record_delivery("maria", delivered_pairs(digest), digest.message_id, NOW)
    assert "Since last time" not in text_of(config, store, LATER)
    store.record_feedback("sam-lee", second, Verdict.APPLIED, LATER)
    store.record_feedback("sam-lee", third, Verdict.APPLIED, LATER)
    store.record_status("sam-lee", third, LeadStatus.INTERVIEWING, LATER)
    store.record_status("sam-lee", first, LeadStatus.CLOSED, LATER)
    text = text_of(config, store, LATER)
    assert (
        f"Since last time, Sam applied to {JOBS[1].title} at {JOBS[1].company} and is "
        f"interviewing for {JOBS[4].title} at {JOBS[4].company}." in text
    )


def test_an_offer_is_news_the_mentor_hears_of(site: tuple[AppConfig, Store]) -> None:
    """Seen on the web view: Sam went Applied, Interviewing, then Offer, and the "Since last
    time" line vanished (an offer was no news), so the mentor never heard the best of it."""
    config, store = site
    lead = lead_of(store, JOBS[1].title)
    store.record_feedback("sam-lee", lead, Verdict.APPLIED, NOW)
    store.record_status("sam-lee", lead, LeadStatus.INTERVIEWING, NOW)
    store.record_status("sam-lee", lead, LeadStatus.OFFER, NOW)
    assert f"Since last time, Sam got an offer for {JOBS[1].title} at {JOBS[1].company}." in (
        text_of(config, store)
    )


def test_news_alone_makes_a_digest_and_is_sent_once(site: tuple[AppConfig, Store]) -> None:
    """Seen after the demo: Dana marked a lead Interested with `leads feedback`, and the
    mentor's next digest run said "nothing new" (a digest went out only with new leads), so
    the mentor heard of it only whenever new leads came, and a digest sent empty on purpose
    (send_empty) told the same news again each time (nothing was recorded as delivered)."""
    config, store = site
    outbox = Path(config.path).parent / config.delivery.outbox
    maria = config.mentors[0].id

    def run(at: object) -> DigestStatus:
        report = deliver(config, store, lambda: at)  # type: ignore[arg-type, return-value]
        return next(o.status for o in report.outcomes if o.mentor == maria)

    assert run(NOW) is DigestStatus.SENT
    assert run(LATER) is DigestStatus.NOTHING_NEW
    marked = LATER + timedelta(minutes=30)
    store.record_feedback("sam-lee", lead_of(store, JOBS[0].title), Verdict.INTERESTED, marked)
    before = set(outbox.iterdir())
    assert run(LATER + timedelta(hours=1)) is DigestStatus.SENT
    (sent,) = set(outbox.iterdir()) - before
    message = message_from_bytes(sent.read_bytes(), policy=policy.default)
    assert message["Subject"] == "No new leads this week, but news from Sam"
    body = message.get_body(("plain",))
    assert body is not None
    text = " ".join(body.get_content().split())
    assert f"Since last time, Sam is interested in {JOBS[0].title} at {JOBS[0].company}." in text
    assert "Fit labels" not in text, "no fit label to explain"
    earlier = message_from_bytes(min(before).read_bytes(), policy=policy.default)
    with_leads = earlier.get_body(("plain",))
    assert with_leads is not None and "2 new leads" in earlier["Subject"]
    assert "Fit labels are estimates" in " ".join(with_leads.get_content().split())
    assert run(LATER + timedelta(hours=2)) is DigestStatus.NOTHING_NEW, "told once"


def test_news_of_a_lead_where_the_mentor_knows_someone_offers_the_introduction(
    site: tuple[AppConfig, Store],
) -> None:
    """The moment a mentee says they are interested is when an introduction helps most; the
    "Since last time" line alone offered none, though the mentor knows someone there."""
    config, store = site
    jane = Contact(name="Jane Doe", company=JOBS[0].company, email="jane@example.org",
                   position="Head of Engineering")  # fmt: skip
    maria = config.mentors[0].model_copy(update={"network": (jane,)})
    config = config.model_copy(update={"mentors": [maria, *config.mentors[1:]]})
    first = compose(config, store, maria, NOW).digest
    store.record_delivery(maria.id, delivered_pairs(first), first.message_id, NOW)
    for job in (JOBS[0], JOBS[1]):  # Jane works at the first's company, nobody at the second's
        store.record_feedback("sam-lee", lead_of(store, job.title), Verdict.INTERESTED, LATER)

    digest = compose(config, store, maria, LATER + timedelta(minutes=5)).digest
    (section,) = [s for s in digest.sections if s.mentee.id == "sam-lee"]
    assert [lead.match.posting.posting.title for lead in section.followed] == [JOBS[0].title]
    message = render_digest(digest)
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    text = " ".join(part.get_content().split())
    assert "Someone you know could introduce Sam" in text
    assert (f"You know Jane Doe (Head of Engineering) at {JOBS[0].company} — ask Jane to "
            "introduce Sam") in text  # fmt: skip
    intro = next(u for u in re.findall(r"mailto:\S+", text) if u.startswith("mailto:jane@"))
    body = parse_qs(urlsplit(intro).query)["body"][0]
    assert f"Sam is interested in this role at {JOBS[0].company}" in body
    html = message.get_body(preferencelist=("html",))
    assert html is not None and "Ask Jane to introduce Sam" in html.get_content()
    (shown,) = [v for v in digest_view(digest).sections if v.followed]
    assert shown.followed[0].forward_href is None, "no Forward: the mentee has it, and said so"
    # Its card shows a fit label, so the footer explains them even with no new lead.
    alone = replace(digest, sections=(replace(section, leads=()),))
    alone_part = render_digest(alone).get_body(preferencelist=("plain",))
    assert alone_part is not None
    alone_text = " ".join(alone_part.get_content().split())
    assert "Someone you know could introduce Sam" in alone_text
    assert "Fit labels are estimates" in alone_text


def test_no_introduction_is_offered_for_a_lead_passed_on_or_won(
    site: tuple[AppConfig, Store],
) -> None:
    config, store = site
    jane = Contact(name="Jane Doe", company=JOBS[0].company, email="jane@example.org")
    kim = Contact(name="Kim Li", company=JOBS[1].company, email="kim@example.org")
    maria = config.mentors[0].model_copy(update={"network": (jane, kim)})
    config = config.model_copy(update={"mentors": [maria, *config.mentors[1:]]})
    first = compose(config, store, maria, NOW).digest
    store.record_delivery(maria.id, delivered_pairs(first), first.message_id, NOW)
    store.record_feedback("sam-lee", lead_of(store, JOBS[0].title), Verdict.NOT_FOR_ME, LATER)
    store.record_feedback("sam-lee", lead_of(store, JOBS[1].title), Verdict.APPLIED, LATER)
    store.record_status("sam-lee", lead_of(store, JOBS[1].title), LeadStatus.OFFER, LATER)

    digest = compose(config, store, maria, LATER + timedelta(minutes=5)).digest
    (section,) = [s for s in digest.sections if s.mentee.id == "sam-lee"]
    assert [change.status for change in section.news] == [
        LeadStatus.NOT_FOR_ME, LeadStatus.OFFER,
    ]
    assert section.followed == ()


def test_the_since_last_time_line_is_short() -> None:
    def change(index: int, status: LeadStatus) -> StatusChange:
        return StatusChange(index, status, f"Role {index}", "Acme", NOW)

    news = [change(i, LeadStatus.INTERESTED) for i in range(5)] + [change(9, LeadStatus.APPLIED)]
    assert since_last_time("Sam", news) == (
        "Since last time, Sam is interested in Role 0 at Acme, Role 1 at Acme, Role 2 at Acme "
        "and 2 more and applied to Role 9 at Acme."
    )
    assert since_last_time("Sam", []) is None


def test_a_company_ending_in_a_full_stop_ends_the_line_once() -> None:
    """Seen in a demo digest: "Dana is interested in Content Marketing Manager at Vercom S.A.."."""
    news = [StatusChange(1, LeadStatus.INTERESTED, "Content Marketing Manager", "Vercom S.A.", NOW)]
    assert since_last_time("Dana", news) == (
        "Since last time, Dana is interested in Content Marketing Manager at Vercom S.A."
    )


def test_the_forward_email_links_to_the_leads_prep_sheet_on_the_page_which_has_it(
    site: tuple[AppConfig, Store],
) -> None:
    config, store = site
    lead = lead_of(store, JOBS[0].title)
    view = digest_view(compose(config, store, config.mentors[0], NOW).digest)
    sam = next(section for section in view.sections if section.full_name == "Sam Lee")
    card = next(card for card in sam.leads if card.title == JOBS[0].title)
    assert card.forward_href is not None
    body = parse_qs(urlsplit(card.forward_href).query)["body"][0]
    assert "What they will likely ask:" not in body, "the page has the sheet"
    link = re.search(rf"{re.escape(PREP_LINK_TEXT)}: (\S+)", body)
    assert link is not None
    assert link.group(1) == f"{sam.page_url}/leads/{lead}/prep"

    app = create_app(config, store, load_keyring(config.web_secret_path), lambda: NOW,
                     StoredAdvice(config, store))  # fmt: skip
    page = asyncio.run(_get(app, urlsplit(link.group(1)).path))
    assert page.status_code == 200
    assert f"Interview prep: {JOBS[0].title} at {JOBS[0].company}" in page.text
    assert "From the posting:" in page.text


async def _get(app: ASGIApp, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.get(path)
