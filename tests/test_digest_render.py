"""The mentor's digest email: parts, headers, every lead with its links, and inert posting text."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from digestkit import (
    HOSTILE_COMPANY,
    HOSTILE_DESCRIPTION,
    HOSTILE_TITLE,
    JOBS,
    NOW,
    SENDER,
    email_contact,
    make_digest,
    make_lead,
    make_mentee,
    make_mentor,
    make_posting,
)
from lxml.html import HtmlElement

from aggregator.core.errors import ConfigError
from aggregator.core.models import (
    Digest,
    DigestLead,
    LeadStatus,
    MenteeDigest,
    Salary,
    SeenAt,
    StatusChange,
)
from digests.links import link_label, safe_url
from digests.render import digest_subject, fit_label, format_salary, lead_view, render_digest

MAILTO_IN_TEXT = re.compile(r"mailto:\S+")


@dataclass(frozen=True)
class Rendered:
    """A digest email as a mail client sees it after a round trip through bytes."""

    message: EmailMessage
    text: str
    html: str

    @property
    def tree(self) -> HtmlElement:
        """The HTML part parsed as a browser would."""
        return lxml.html.document_fromstring(self.html)

    @property
    def html_text(self) -> str:
        """The HTML part's visible text."""
        return " ".join(self.tree.text_content().split())

    def cards(self) -> list[HtmlElement]:
        """The lead cards, in the order shown."""
        return self.tree.find_class("card")


def rendered(digest: Digest) -> Rendered:
    """Render ``digest`` and parse the bytes back."""
    raw = render_digest(digest).as_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    text_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    assert text_part is not None and html_part is not None
    return Rendered(message, text_part.get_content(), html_part.get_content())


def mailto_parts(href: str) -> tuple[str, str, str]:
    """(address, subject, body) of a mailto URL; fails unless it has exactly those fields."""
    url = urlsplit(href)
    assert url.scheme == "mailto"
    fields = parse_qs(url.query, keep_blank_values=True, strict_parsing=True)
    assert sorted(fields) == ["body", "subject"]
    assert len(fields["subject"]) == len(fields["body"]) == 1
    return url.path.replace("%40", "@").replace("%2B", "+"), fields["subject"][0], fields["body"][0]


def links(element: HtmlElement) -> list[tuple[str, str]]:
    """(visible text, href) of every link under ``element``."""
    return [(" ".join(a.text_content().split()), a.get("href")) for a in element.iter("a")]


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_multipart_alternative_with_text_then_html() -> None:
    out = rendered(make_digest())

    assert out.message.get_content_type() == "multipart/alternative"
    parts = list(out.message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in parts)


def test_headers() -> None:
    digest = make_digest()
    message = rendered(digest).message

    assert message["From"] == SENDER
    (to,) = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Jordan Reyes", "jordan.reyes@example.com")
    assert message["Subject"] == "6 new leads for Sam and Alex — week of 23 Nov"
    assert parsedate_to_datetime(message["Date"]) == NOW
    assert message["Message-ID"] == digest.message_id
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"


@pytest.mark.parametrize(
    ("mentees", "leads", "subject"),
    [
        (1, 1, "1 new lead for Sam — week of 23 Nov"),
        (2, 3, "6 new leads for Sam and Alex — week of 23 Nov"),
        (3, 2, "6 new leads for Sam, Alex and Priya — week of 23 Nov"),
        (4, 1, "4 new leads for Sam, Alex, Priya and Zoë — week of 23 Nov"),
        (12, 1, "12 new leads for Sam Okafor, Alex Chen, Priya Raman and 9 others — week of 23 Nov"),  # noqa: E501
        (2, 0, "No new leads this week"),
    ],
)
def test_subject_forms(mentees: int, leads: int, subject: str) -> None:
    digest = make_digest(mentees=mentees, leads_per_mentee=leads)

    assert digest_subject(digest) == subject
    # A long subject is folded; the stdlib's unfolding can leave a doubled space.
    assert " ".join(rendered(digest).message["Subject"].split()) == subject


def test_subject_names_only_the_mentees_with_leads() -> None:
    digest = make_digest(mentees=3)
    alex = digest.sections[1]
    sections = (digest.sections[0], replace(alex, leads=()), digest.sections[2])
    digest = replace(digest, sections=sections)

    assert digest_subject(digest) == "6 new leads for Sam and Priya — week of 23 Nov"


def test_mentees_sharing_a_first_name_are_told_apart() -> None:
    digest = make_digest(mentees=2)
    other_sam = replace(digest.sections[1], mentee=make_mentee(1, name="Sam Ortiz"))
    digest = replace(digest, sections=(digest.sections[0], other_sam))

    assert digest_subject(digest).startswith("6 new leads for Sam Okafor and Sam Ortiz —")


@pytest.mark.parametrize(
    ("composed_at", "timezone", "week"),
    [
        (datetime(2026, 11, 22, 23, 30, tzinfo=UTC), "Asia/Tokyo", "23 Nov"),  # Monday there
        (datetime(2026, 11, 22, 23, 30, tzinfo=UTC), "Europe/London", "16 Nov"),  # still Sunday
        (datetime(2026, 11, 23, 3, 0, tzinfo=UTC), "America/Los_Angeles", "16 Nov"),
        (datetime(2026, 11, 29, 12, 0, tzinfo=UTC), "UTC", "23 Nov"),
    ],
)
def test_week_of_is_the_monday_in_the_mentors_timezone(
    composed_at: datetime, timezone: str, week: str
) -> None:
    digest = make_digest(now=composed_at, mentor=make_mentor(timezone=timezone))

    assert digest_subject(digest).endswith(f"— week of {week}")
    assert f"Week of {week}" in rendered(digest).text


def test_every_lead_is_in_both_parts() -> None:
    digest = make_digest(mentees=2, leads_per_mentee=4)
    out = rendered(digest)
    text, html_text = flat(out.text), out.html_text

    assert len(out.cards()) == 8
    for section in digest.sections:
        assert f"{section.mentee.name}: 4 new leads" in text
        assert f"{section.mentee.name}: 4 new leads" in html_text
        for lead in section.leads:
            posting = lead.match.posting.posting
            terms = [posting.title, posting.company, "Why it fits: " + ", ".join(lead.match.why)]
            if lead.match.gaps:
                terms.append("Brush up on: " + ", ".join(lead.match.gaps))
            for term in terms:
                assert term in text
                assert term in html_text


def test_lead_facts_are_formatted_for_the_mentor() -> None:
    out = rendered(make_digest(mentees=1, leads_per_mentee=3))
    first = flat(out.cards()[0].text_content())

    assert "London, UK · Remote · £85,000\u2013105,000 a year · posted 22 Nov" in first
    assert "Strong fit" in first
    assert "London, UK · Remote · £85,000\u2013105,000 a year · posted 22 Nov" in out.text
    assert "Competitive salary + equity" in out.text  # the posting's wording, no made-up numbers


def test_best_leads_come_first() -> None:
    digest = make_digest(mentees=1, leads_per_mentee=3)
    section = digest.sections[0]
    digest = replace(digest, sections=(replace(section, leads=section.leads[::-1]),))
    titles = [lead.match.posting.posting.title for lead in section.leads]

    shown = [flat(card.find_class("title")[0].text_content()) for card in rendered(digest).cards()]

    assert shown == titles


def test_forward_links_prefill_a_note_to_the_mentee() -> None:
    digest = make_digest(mentees=2, leads_per_mentee=3)
    out = rendered(digest)
    cards = iter(out.cards())

    for section in digest.sections:
        first_name = section.mentee.name.split()[0]
        for lead in section.leads:
            posting = lead.match.posting.posting
            forward = [href for label, href in links(next(cards)) if label.startswith("Forward")]
            assert len(forward) == 1
            address, subject, body = mailto_parts(forward[0])
            assert address == section.mentee.email
            assert subject == f"Job lead: {posting.title} at {posting.company}"
            lines = body.split("\r\n")
            assert lines[0] == f"Hi {first_name},"
            assert posting.url in lines  # the company's own page where there is one
            assert lines[-1] == "Jordan"
            assert "\n" not in body.replace("\r\n", "")
            if lead.match.gaps:
                assert f"interview: {', '.join(lead.match.gaps)}" in body
            assert f"Forward to {first_name} [" in out.text
            assert f"] {forward[0]}\n" in out.text


def test_text_and_html_carry_the_same_mailto_links() -> None:
    out = rendered(make_digest(mentees=2, leads_per_mentee=3))

    html_mailtos = [href for _, href in links(out.tree) if href.startswith("mailto:")]
    assert len(html_mailtos) == 6 + 2  # a forward per lead, an intro per emailed contact
    assert html_mailtos == MAILTO_IN_TEXT.findall(out.text)


def test_connect_offers_an_introduction_through_a_contact_with_email() -> None:
    digest = make_digest(mentees=1, leads_per_mentee=1)
    posting = digest.sections[0].leads[0].match.posting.posting
    out = rendered(digest)

    line = f"You know Jane Doe (Engineering Manager) at {posting.company}"
    assert line in out.html_text
    assert line in out.text
    intro = [href for label, href in links(out.tree) if label == "Ask Jane to introduce Sam"]
    assert len(intro) == 1
    address, subject, body = mailto_parts(intro[0])
    assert address == "jane.doe@example.com"
    assert subject == f"Introduction: Sam Okafor for {posting.title} at {posting.company}"
    assert body.startswith("Hi Jane,\r\n")
    assert posting.url in body.split("\r\n")
    # Nobody asked Sam yet: the mentor asks for a chat and says it is their own idea.
    assert "Sam is interested" not in body
    assert "think Sam could be a good fit" in body
    assert "open to a short chat with Sam" in body
    assert f"{line} — ask Jane to introduce Sam [" in flat(out.text)
    assert f"] {intro[0]}\n" in out.text


def test_connect_links_a_profile_when_the_contact_has_no_email() -> None:
    digest = make_digest(mentees=1, leads_per_mentee=2)
    company = digest.sections[0].leads[1].match.posting.posting.company
    out = rendered(digest)
    second = out.cards()[1]

    line = f"You know Tomás Ortega (Staff Engineer) at {company}"
    assert line in flat(second.text_content())
    assert line in out.text
    profile = "https://www.linkedin.com/in/tomas-ortega-example"
    assert ("Tomás's profile", profile) in links(second)
    assert not [href for _, href in links(second) if href.startswith("mailto:tomas")]
    assert f"{line} — Tomás's profile [" in flat(out.text)
    assert f"] {profile}\n" in out.text


def test_no_connect_line_without_contacts() -> None:
    out = rendered(make_digest(mentees=2, leads_per_mentee=3, with_contacts=False))

    assert "You know" not in out.html_text
    assert "You know" not in out.text
    assert not out.tree.find_class("connect")
    assert all(label.startswith("Forward") for label, href in links(out.tree) if "mailto:" in href)


def test_the_company_page_is_listed_first() -> None:
    mentee = make_mentee(0)
    job = JOBS[0]
    assert job.company_url and job.board
    board = SeenAt(*job.board)
    company = SeenAt("kestrel-careers", job.company_url, company_page=True)
    posting = make_posting(job, posted_at=NOW)
    lead = make_lead(posting, mentee=mentee, score=0.4, lead_id=1, seen_at=(board, company))
    out = rendered(single_lead_digest(lead))

    card = out.cards()[0]
    seen = [href for _, href in links(card.find_class("seen")[0])]
    assert seen == [job.company_url, job.board[1]]
    assert card.find_class("title")[0].find("a").get("href") == job.company_url
    assert "(company page)" in card.find_class("seen")[0].text_content()
    assert out.text.index(job.company_url) < out.text.index(job.board[1])
    assert out.text.index("boards.greenhouse.io (company page)") < out.text.index(job.board[1])


def test_see_all_links_to_the_mentees_page_when_there_is_one() -> None:
    with_pages = rendered(make_digest(mentees=2))
    without = rendered(make_digest(mentees=2, page_urls=False))

    assert ("See all of Sam's leads", "https://leads.example.org/mentees/sam-okafor") in links(
        with_pages.tree
    )
    alex_page = "https://leads.example.org/mentees/alex-chen"
    assert f"See all of Alex's leads:\n{alex_page}\n" in with_pages.text
    assert "See all of" not in without.html_text
    assert "See all of" not in without.text


def test_hostile_posting_text_stays_text() -> None:
    digest = make_digest(mentees=1, leads_per_mentee=3, hostile=True)
    section = replace(digest.sections[0], page_url="javascript:alert(11)")
    out = rendered(replace(digest, sections=(section,)))
    tree = out.tree

    elements = [element for element in tree.iter() if isinstance(element.tag, str)]
    assert not [e.tag for e in elements if e.tag in {"script", "img", "svg", "iframe", "object"}]
    assert not [(e.tag, name) for e in elements for name in e.attrib if name.startswith("on")]
    hrefs = [e.get("href") for e in elements if e.get("href") is not None]
    assert hrefs, "the digest still has its links"
    assert {urlsplit(href).scheme for href in hrefs} <= {"http", "https", "mailto"}
    assert not [e.tag for e in elements if e.get("src") is not None]
    for raw in (HOSTILE_TITLE, HOSTILE_COMPANY, flat(HOSTILE_DESCRIPTION)):
        assert raw in out.html_text
        assert raw in out.text
    assert "javascript:" not in " ".join(hrefs)
    assert "See all of" not in out.html_text


def test_hostile_text_cannot_add_mailto_fields_or_recipients() -> None:
    digest = make_digest(mentees=1, leads_per_mentee=3, hostile=True)
    out = rendered(digest)
    mailtos = [href for _, href in links(out.tree) if href.startswith("mailto:")]

    assert len(mailtos) == 4  # three forwards and the intro on the mailto-breaking lead
    for href in mailtos:
        address, subject, _ = mailto_parts(href)  # exactly one subject and one body each
        assert address in {"sam.okafor@example.com", "jane.doe@example.com"}
        assert "\r" not in subject and "\n" not in subject
    breaking = [mailto_parts(href)[1] for href in mailtos if "pwned" in href]
    assert "Job lead: Engineer&body=pwned Bcc: evil@example.com?cc=evil@example.com at " \
        "Smith & Sons%0D%0ABcc:evil@example.com" in breaking


def test_rendering_is_deterministic() -> None:
    first = render_digest(make_digest(hostile=True)).as_bytes()
    second = render_digest(make_digest(hostile=True)).as_bytes()

    assert first == second


def test_no_images_or_remote_resources() -> None:
    tree = rendered(make_digest(mentees=3)).tree

    assert not list(tree.iter("img", "link", "iframe", "object", "embed", "picture", "source"))
    styles = " ".join(e.get("style", "") for e in tree.iter() if isinstance(e.tag, str))
    assert "url(" not in styles
    assert "url(" not in " ".join(style.text_content() for style in tree.iter("style"))


def test_non_ascii_names_survive() -> None:
    digest = make_digest(mentees=5, leads_per_mentee=1, mentor=make_mentor(name="Zoë Lefèvre"))
    raw = render_digest(digest).as_bytes()
    out = rendered(digest)

    raw.decode("ascii")  # every header and part is encoded for 7-bit transport
    (to,) = out.message["To"].addresses
    assert to.display_name == "Zoë Lefèvre"
    assert out.message["Subject"] == (
        "5 new leads for Sam, Alex, Priya and 2 others — week of 23 Nov"
    )
    for part in (out.text, out.html_text):
        assert "Zoë Müller: 1 new lead" in part
        assert "José García: 1 new lead" in part
    forwards = [href for label, href in links(out.tree) if label == "Forward to José"]
    _, _, body = mailto_parts(forwards[0])
    assert body.startswith("Hi José,\r\n")
    assert body.endswith("\r\nZoë")


def test_css_is_inlined_and_only_media_queries_stay_in_a_style_element() -> None:
    tree = rendered(make_digest()).tree

    assert "font-family" in tree.body.get("style", "")
    buttons = [a for a in tree.iter("a") if "button" in a.get("class", "").split()]
    assert buttons
    for button in buttons:
        style = button.get("style", "")
        assert "padding:12px 20px" in style or "padding:10px 18px" in style
        assert "display:inline-block" in style
    for card in tree.find_class("card"):
        assert "max-width" not in card.get("style", "")
        assert "border" in card.get("style", "")
    (container,) = tree.find_class("container")
    assert "max-width:640px" in container.get("style", "")
    (style,) = tree.iter("style")
    assert style.text_content().strip().startswith("@media (max-width: 480px)")


def test_an_empty_digest_says_there_is_nothing_new() -> None:
    out = rendered(make_digest(mentees=2, leads_per_mentee=0))

    assert out.message["Subject"] == "No new leads this week"
    for part in (flat(out.text), out.html_text):
        assert "No new leads this week for Sam and Alex" in part
        assert "Nothing new matched this week." in part
    assert not out.cards()
    assert "mailto:" not in out.text
    assert ("See all of Sam's leads", "https://leads.example.org/mentees/sam-okafor") in links(
        out.tree
    )


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (0.59, "Strong fit"),
        (0.45, "Strong fit"),
        (0.4499, "Good fit"),
        (0.30, "Good fit"),
        (0.2999, "Worth a look"),
        (0.11, "Worth a look"),
    ],
)
def test_fit_label(score: float, label: str) -> None:
    assert fit_label(score) == label


@pytest.mark.parametrize(
    ("salary", "shown"),
    [
        (Salary(120000, 150000, "USD", "year"), "$120,000\u2013150,000 a year"),
        (Salary(32000, None, "GBP", "year"), "from £32,000 a year"),
        (Salary(None, 70000, "usd", "year"), "up to $70,000 a year"),
        (Salary(100000, 100000, "EUR", None), "€100,000"),
        (Salary(85, 95.5, "EUR", "hour"), "€85\u201395.50 an hour"),
        (Salary(750000, 900000, "NOK", "year"), "750,000\u2013900,000 NOK a year"),
        (Salary(5000, 6000, None, "fortnight"), "5,000\u20136,000 per fortnight"),
        (Salary(text="€60k"), "€60k"),
        (Salary(text="  Competitive\n+ equity "), "Competitive + equity"),
        (Salary(currency="USD", period="year"), None),
        (None, None),
    ],
)
def test_salary(salary: Salary | None, shown: str | None) -> None:
    assert format_salary(salary) == shown


@pytest.mark.parametrize(
    ("posted_at", "timezone", "shown"),
    [
        (datetime(2026, 11, 20, 23, 30, tzinfo=UTC), "Asia/Tokyo", "posted 21 Nov"),
        (datetime(2026, 11, 20, 23, 30, tzinfo=UTC), "Europe/London", "posted 20 Nov"),
        (datetime(2025, 12, 30, 9, 0, tzinfo=UTC), "Europe/London", "posted 30 Dec 2025"),
        (None, "America/New_York", "first seen 21 Nov"),
    ],
)
def test_dates_are_shown_in_the_mentors_timezone(
    posted_at: datetime | None, timezone: str, shown: str
) -> None:
    mentee = make_mentee(0)
    posting = make_posting(JOBS[1], posted_at=posted_at)
    first_seen = datetime(2026, 11, 22, 2, tzinfo=UTC)  # 21 Nov, 21:00 in New York
    lead = make_lead(posting, mentee=mentee, score=0.3, lead_id=1, first_seen=first_seen)
    out = rendered(single_lead_digest(lead, timezone=timezone))

    assert shown in flat(out.cards()[0].find_class("meta")[0].text_content())
    assert shown in out.text


def test_a_lead_without_a_safe_link_is_shown_without_one() -> None:
    mentee = make_mentee(0)
    posting = replace(make_posting(JOBS[0], posted_at=NOW), url="ftp://example.com/job")
    lead = make_lead(
        posting, mentee=mentee, score=0.5, lead_id=1, contacts=(email_contact(posting.company),)
    )
    out = rendered(single_lead_digest(lead))

    card = out.cards()[0]
    assert card.find_class("title")[0].find("a") is None
    assert all(href.startswith("mailto:") for _, href in links(card))
    for _, href in links(card):
        assert "ftp%3A" not in href
    assert "ftp://" not in out.text


def test_an_unknown_timezone_is_a_config_error() -> None:
    digest = make_digest(mentor=make_mentor(timezone="Mars/Olympus_Mons"))

    with pytest.raises(ConfigError, match=r"Mars/Olympus_Mons.*IANA"):
        render_digest(digest)


def single_lead_digest(lead: DigestLead, timezone: str = "Europe/London") -> Digest:
    """A digest for Sam with just ``lead``."""
    return replace(
        make_digest(mentees=1, leads_per_mentee=0, mentor=make_mentor(timezone=timezone)),
        sections=(MenteeDigest(make_mentee(0), (lead,)),),
    )


def test_a_boards_company_preamble_is_not_the_summary() -> None:
    """We Work Remotely opens each description with the company's headquarters and site."""
    digest = make_digest(mentees=1, leads_per_mentee=1)
    lead = digest.sections[0].leads[0]
    posting = replace(
        lead.match.posting.posting,
        description_text=(
            "Headquarters: Berlin/Chicago\nURL: https://remotemore.example/?utm_source=x\n\n"
            "RemoteMore is helping a large tech company hire Python developers."
        ),
    )
    stored = replace(lead.match.posting, posting=posting)
    moved = replace(lead, match=replace(lead.match, posting=stored))
    section = replace(digest.sections[0], leads=(moved,))
    out = rendered(replace(digest, sections=(section,)))
    for part in (out.text, out.html_text):
        assert "RemoteMore is helping a large tech company hire Python developers." in part
        assert "Headquarters" not in part and "utm_source" not in part


@pytest.mark.parametrize(
    ("description", "opening"),
    [
        # Seen in the demo digest: headings run into the first sentence once flattened.
        ("Who we are\nMindsDB helps companies use machine learning.", "MindsDB helps companies"),
        ("\U0001f449 The Basics\nLemonpie is a podcast PR company.", "Lemonpie is a podcast"),
        ("UX Product Designer - (80% - 100%)\nDescription:\nHi! We're amazee.io.", "Hi! We're"),
        ("TL;DR\n\u2022 We're a small analytics company\n\u2022 You'll be our first hire",
         "We're a small analytics company \u2022 You'll"),
        # Short lines that are no heading stay: facts, and a sentence leading into a list.
        ("Time zone: CET +/-2h\nJob: Full-time\nWe build maps.", "Time zone: CET +/-2h Job:"),
        ("We come together with one common thread:\nA desire to help.", "We come together"),
        ("Python\nDjango", "Python Django"),  # nothing but short lines: all of them
    ],
)
def test_a_summary_starts_at_the_descriptions_first_sentence(
    description: str, opening: str
) -> None:
    lead = make_digest(mentees=1, leads_per_mentee=1).sections[0].leads[0]
    posting = replace(lead.match.posting.posting, description_text=description)
    moved = replace(lead, match=replace(lead.match, posting=replace(lead.match.posting,
                                                                    posting=posting)))  # fmt: skip
    summary = lead_view(moved, UTC, NOW).summary
    assert summary.startswith(opening), summary


@pytest.mark.parametrize("status", ["interested", "applied"])
def test_an_introduction_says_the_mentee_is_interested_only_when_they_said_so(
    status: str,
) -> None:
    digest = make_digest(mentees=1, leads_per_mentee=1)
    section = digest.sections[0]
    marked = replace(section.leads[0], mentee_status=status)
    out = rendered(replace(digest, sections=(replace(section, leads=(marked,)),)))

    intro = [href for label, href in links(out.tree) if label == "Ask Jane to introduce Sam"]
    _, _, body = mailto_parts(intro[0])
    assert "Sam is interested in this role at" in body
    assert "introducing Sam to the hiring team" in body
    assert "could be a good fit" not in body


def test_an_introduction_presents_the_mentee_from_their_profile() -> None:
    digest = make_digest(mentees=1, leads_per_mentee=1)
    section = digest.sections[0]
    mentee = section.mentee.model_copy(
        update={
            "roles": ("Marketing coordinator", "Communications associate"),
            "skills": ("Copywriting", "Event planning", "SQL", "Media relations"),
            "about": "Two years running campaigns for a non-profit. Fluent in Spanish.",
        }
    )
    lead = section.leads[0]
    asks_for = replace(lead, match=replace(lead.match, why=("SQL", "analytics")))
    out = rendered(
        replace(digest, sections=(replace(section, mentee=mentee, leads=(asks_for,)),))
    )

    intro = [href for label, href in links(out.tree) if label == "Ask Jane to introduce Sam"]
    _, _, body = mailto_parts(intro[0])
    assert (
        "I mentor Sam Okafor. Sam is looking for Marketing coordinator and Communications "
        "associate roles and brings SQL, Copywriting and Event planning. Two years running "
        "campaigns for a non-profit."
    ) in body
    assert "Fluent in Spanish" not in body  # one or two sentences, not the whole profile


def test_forward_comes_before_the_introduction() -> None:
    out = rendered(make_digest(mentees=1, leads_per_mentee=1))

    labels = [label for label, _ in links(out.cards()[0])]
    assert labels.index("Forward to Sam") < labels.index("Ask Jane to introduce Sam")
    text = flat(out.text)
    assert text.index("Forward to Sam") < text.index("ask Jane to introduce Sam")


def test_the_plain_text_part_reads_as_text() -> None:
    digest = make_digest(mentees=2, leads_per_mentee=3)
    # The "Since last time" line too (seen at 85 characters, unwrapped).
    news = (StatusChange(1, LeadStatus.INTERESTED, "Senior Community Strategist (Client "
                         "Facing, Remote)", "Soar Communications", NOW),)  # fmt: skip
    digest = replace(digest, sections=(replace(digest.sections[0], news=news),
                                       *digest.sections[1:]))  # fmt: skip
    out = rendered(digest)
    assert "Since last time, Sam is interested in Senior Community" in flat(out.text)

    reference = re.compile(r"^ {3}\[\d+\] (?:https?|mailto):\S+$")
    own_line_url = re.compile(r"^https?://\S+$")
    long_lines = [line for line in out.text.splitlines() if len(line) > 78]
    assert long_lines, "the digest should carry long mailto links to check"
    assert [
        line for line in long_lines if not (reference.match(line) or own_line_url.match(line))
    ] == []
    # Every link of the HTML part is cited in the text as "[n] URL" under its lead.
    cited = [line.split("] ", 1)[1] for line in out.text.splitlines() if reference.match(line)]
    pages = {section.page_url for section in digest.sections}
    assert set(cited) == {href for _, href in links(out.tree)} - pages
    assert "mailto:" not in "".join(
        line for line in out.text.splitlines() if not reference.match(line)
    )


@pytest.mark.parametrize(
    "url",
    [
        # A browser reads '\' as '/' and opens evil.example; urlsplit named greenhouse.
        "https://evil.example\\@jobs.greenhouse.io/apply",
        "https://jobs.greenhouse.io@evil.example/apply",  # user info: never in a job link
        "https://user:pw@jobs.greenhouse.io/apply",
        "https:\\\\evil.example/apply",
        "https:/\\evil.example/apply",
        "https://evil%2Eexample/apply",  # a browser decodes the host
        "https://jobs.greenhouse.io/apply now",
        "https://jobs.greenhouse.io/\x07apply",
        "https://jobs.greenhouse.io/a\u202egpj.exe",
        "https://jobs.greenhouse.io:99999999/",
        "https://./",
        "https://",
        "javascript:alert(1)//https://jobs.greenhouse.io/",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_a_url_a_browser_could_read_differently_is_not_linked(url: str) -> None:
    assert safe_url(url) is None and link_label(url) is None
    mentee = make_mentee(0)
    posting = replace(make_posting(JOBS[0], posted_at=NOW), url=url)
    out = rendered(single_lead_digest(make_lead(posting, mentee=mentee, score=0.5, lead_id=1)))
    hrefs = [href for _, href in links(out.cards()[0]) if not href.startswith("mailto:")]
    assert hrefs == []
    assert "greenhouse.io" not in out.cards()[0].find_class("seen")[0].text_content()


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("https://www.Jobs.Example.com/a/b?c=d@e#f", "jobs.example.com"),
        ("http://jobs.example.com:8080/x", "jobs.example.com"),
        ("https://[2001:db8::1]:8443/x", "[2001:db8::1]"),
        ("https://bücher.example/stellen", "bücher.example"),
        ("  https://jobs.example.com/x  ", "jobs.example.com"),
    ],
)
def test_a_plain_url_is_linked_under_the_host_a_browser_opens(url: str, label: str) -> None:
    assert safe_url(url) == url.strip()
    assert link_label(url) == label


def test_a_date_no_time_zone_west_of_utc_can_hold_is_shown_as_utc_has_it() -> None:
    # A board's "0001-01-01T00:00:00Z" read in Chicago is a day before year 1: the digest
    # raised OverflowError instead of showing the lead.
    ancient = datetime(1, 1, 1, tzinfo=UTC)
    lead = make_lead(make_posting(JOBS[0], posted_at=ancient), mentee=make_mentee(0),
                     score=0.5, lead_id=1)

    view = lead_view(lead, ZoneInfo("America/Chicago"), NOW)

    assert view.posted == "posted 1 Jan 1"


def test_the_same_digest_renders_to_the_same_bytes_and_its_boundary_is_in_no_body() -> None:
    digest = make_digest(mentees=2, leads_per_mentee=3)
    first, again = render_digest(digest).as_bytes(), render_digest(digest).as_bytes()
    other = render_digest(make_digest(mentees=1, leads_per_mentee=2)).as_bytes()

    assert first == again  # a digest sent again after a crash is the same message
    message = email.message_from_bytes(first, policy=email.policy.default)
    boundary = message.get_boundary()
    assert boundary is not None and boundary.startswith("=_leads_")
    assert email.message_from_bytes(other, policy=email.policy.default).get_boundary() != boundary
    bodies = [part.get_payload() for part in message.iter_parts()]
    assert len(bodies) == 2 and not any(boundary in body or "=_" in body for body in bodies)
