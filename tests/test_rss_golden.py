"""Golden tests of the RSS/Atom parser on recorded feeds, plus the behaviours that matter most.

Each case parses a file under tests/fixtures/rss/ and compares every Posting field with
tests/fixtures/golden/<name>.json (see tests/golden.py). After an intended change, regenerate
them and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_rss_golden.py
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from golden import assert_matches_golden
from sourcekit import assert_safe

from aggregator.core.intake import storable
from aggregator.core.models import Posting
from sources.rss import parse_feed

FIXTURES = Path(__file__).parent / "fixtures"
RSS = FIXTURES / "rss"


@dataclasses.dataclass(frozen=True)
class Case:
    golden: str  # tests/fixtures/golden/<golden>.json
    path: str  # under tests/fixtures/rss/
    url: str  # where the feed was served from
    content_type: str = "application/rss+xml"
    company: str | None = None


CASES = [
    Case(
        "weworkremotely_opencruit_2026-02",
        "weworkremotely_opencruit_2026-02.xml",
        "https://weworkremotely.com/remote-jobs.rss",
    ),
    Case(
        "wwr_2022-11_remote-devops-sysadmin-jobs",
        "wwr_2022-11/remote-devops-sysadmin-jobs.rss",
        "https://weworkremotely.com/categories/remote-devops-sysadmin-jobs.rss",
    ),
    Case(
        "weworkremotely_programming_legacy_categories2",
        "weworkremotely_programming_legacy_categories2.rss",
        "https://weworkremotely.com/categories/2/jobs.rss",
    ),
    Case(
        "recruityard_rss_2025-07",
        "recruityard_rss_2025-07.xml",
        "https://www.recruityard.com/rss.xml",
    ),
    Case(
        "atom_careers_sample",
        "atom_careers_sample.xml",
        "https://careers.example.org/jobs.atom",
        content_type="application/atom+xml",
        company="Example Co",
    ),
]
BY_NAME = {case.golden: case for case in CASES}


@cache
def postings(name: str) -> tuple[Posting, ...]:
    """The parsed postings of one case (parsed once per test session)."""
    case = BY_NAME[name]
    body = (RSS / case.path).read_bytes()
    return tuple(parse_feed(body, case.url, case.content_type, "test-source", case.company))


@pytest.mark.parametrize("name", [case.golden for case in CASES])
def test_matches_golden(name: str) -> None:
    assert_matches_golden(postings(name), name)


# --- We Work Remotely ------------------------------------------------------------------------


def test_wwr_splits_company_from_title_and_reads_its_extensions() -> None:
    first, *_, last = postings("weworkremotely_opencruit_2026-02")
    assert first.company == "Summedd"
    assert first.title == "Full Stack Engineer with AI Coding expertise for SaaS Platform"
    assert first.location.startswith("Anywhere in the World")
    assert first.remote is True
    assert first.employment_type == "full_time"
    assert first.tags == ("Full-Stack Programming",)
    assert first.posted_at == datetime(2026, 2, 22, 4, 18, 34, tzinfo=UTC)
    assert first.external_id == first.url
    assert first.url == (
        "https://weworkremotely.com/remote-jobs/"
        "summedd-full-stack-engineer-with-ai-coding-expertise-for-saas-platform"
    )
    assert (last.company, last.title) == ("WEX", "Product Marketing Manager - Corporate Payments")
    assert last.location == "Maine"
    assert last.tags[0] == "Sales and Marketing"


def test_wwr_skills_list_becomes_separate_tags() -> None:
    marketing = postings("weworkremotely_opencruit_2026-02")[2]
    assert marketing.company == "Ottimate"
    # "..., Ecommerce Web Development, and Ecommerce Management": no "and ..." tag
    assert marketing.tags[-2:] == ("Ecommerce Web Development", "Ecommerce Management")
    assert "Monitoring and Analytics" in marketing.tags
    assert not any(tag.startswith("and ") for tag in marketing.tags)


def test_wwr_title_with_several_colons_splits_on_the_first() -> None:
    body = (RSS / "wwr_2022-11" / "all-other-remote-jobs.rss").read_bytes()
    url = "https://weworkremotely.com/categories/all-other-remote-jobs.rss"
    found = [
        p for p in parse_feed(body, url, "application/rss+xml", "wwr") if p.company == "Proxify AB"
    ]
    assert "Senior Data Engineer: Long-term job - 100% remote" in {p.title for p in found}


def test_wwr_category_feed() -> None:
    found = postings("wwr_2022-11_remote-devops-sysadmin-jobs")
    assert len(found) == 30
    assert all(p.company and p.remote and p.posted_at for p in found)
    assert {p.tags[0] for p in found} == {"DevOps and Sysadmin"}
    assert {p.employment_type for p in found} == {"full_time", "contract"}
    assert (found[0].company, found[0].title) == ("Clevertech", "Senior DevOps Engineer")
    assert found[1].location == "USA Only"


def test_legacy_wwr_feed_without_category_or_region() -> None:
    found = postings("weworkremotely_programming_legacy_categories2")
    assert len(found) == 25
    assert (found[0].company, found[0].title) == ("Kaleo Software", "Senior Software Engineer")
    assert all(p.location == "" and p.tags == () and p.employment_type == "" for p in found)
    assert all(p.remote for p in found)  # every We Work Remotely job is remote
    assert found[0].posted_at == datetime(2014, 11, 17, 5, 45, 32, tzinfo=UTC)


# --- Recruityard: CDATA, no dates, no guids ----------------------------------------------------


def test_recruityard_cdata_feed_without_dates() -> None:
    found = postings("recruityard_rss_2025-07")
    assert len(found) == 88
    first = found[0]
    assert first.title == "Sales Advisor with Czech"
    assert (
        first.url == "https://recruityard.com/find-jobs-all/sales-advisor-with-czech-in-lisbon-pt"
    )
    assert first.company == ""  # not We Work Remotely: no "Company: Title" convention
    assert all(p.posted_at is None for p in found)
    assert all(p.external_id == "" for p in found)
    assert all(p.url.startswith("https://recruityard.com/") for p in found)
    assert "<![CDATA[" not in "".join(p.title + p.description_html for p in found)


def test_remote_in_portuguese_titles_counts_as_remote() -> None:
    by_title = {p.title: p for p in postings("recruityard_rss_2025-07")}
    assert by_title["Apoio ao Cliente com Francês - Remoto"].remote is True
    assert by_title["Interpreter with Ukrainian - Remote"].remote is True
    assert by_title["Sales Advisor with Czech"].remote is False


# --- Atom --------------------------------------------------------------------------------------


def test_atom_relative_links_resolve_against_xml_base() -> None:
    backend, intern, support = postings("atom_careers_sample")
    assert backend.url == "https://careers.example.org/jobs/1042-junior-backend-developer"
    assert intern.url == "https://careers.example.org/jobs/1043-data-analyst-intern"
    assert support.url == "https://careers.example.org/jobs/1039-customer-support-specialist"
    hrefs = re.findall(r'href="([^"]*)"', backend.description_html + support.description_html)
    assert hrefs == [
        "https://careers.example.org/jobs/benefits",  # entry xml:base="jobs/"
        "https://careers.example.org/about/team",
        "https://careers.example.org/jobs/apply?job=1042",
        "https://careers.example.org/life-in-lisbon",  # feed xml:base only
    ]


def test_atom_dates_are_utc_and_a_missing_date_is_none() -> None:
    backend, intern, support = postings("atom_careers_sample")
    assert backend.posted_at == datetime(2025, 9, 10, 7, 0, tzinfo=UTC)  # 09:00+02:00
    assert intern.posted_at is None
    assert support.posted_at == datetime(2025, 8, 28, 16, 45, tzinfo=UTC)


def test_atom_labels_and_text_content() -> None:
    backend, intern, support = postings("atom_careers_sample")
    assert backend.title == "Junior Backend Developer (Python & PostgreSQL)"
    assert support.title == "Urgent: Customer Support Specialist (Portuguese & Spanish)"
    assert {p.company for p in (backend, intern, support)} == {"Example Co"}
    assert backend.tags == ("Engineering", "Python")  # the label, not the term "python"
    assert intern.remote is True
    # type="text": "&" is text, kept as text; the line break survives
    assert intern.description_html == (
        "Six-month paid internship in our data team.<br>"
        "SQL &amp; a little Python; we teach the rest."
    )
    assert intern.description_text.splitlines()[1] == "SQL & a little Python; we teach the rest."


def test_atom_content_is_sanitised_and_the_harmless_text_survives() -> None:
    backend = postings("atom_careers_sample")[0]
    assert_safe(backend)
    html, text = backend.description_html, backend.description_text
    for gone in ("document.cookie", "tracker.example.net", "video.example.net", "A day in the"):
        assert gone not in html and gone not in text
    assert "<strong>junior backend developer</strong>" in html
    assert ">meet the team</a>" in html
    assert ">Apply in one click</a>" in html  # the link text stays, its javascript: href goes
    assert "Salary: €32,000\u2013€38,000 a year." in text
    assert "\n• Write tests, and review code together with a senior mentor\n• Take part" in text


def test_crazy_description_is_sanitised() -> None:
    body = FIXTURES / "malformed/feedparser/wellformed_sanitize_item_description_crazy.xml"
    recorded = body.read_bytes()
    url = "http://crazy.example.com/rss"
    # The recorded item has neither title nor link, so it is no lead; give it both.
    read = parse_feed(recorded, url, "application/rss+xml", "crazy")
    assert storable(read, datetime(2026, 12, 1, tzinfo=UTC)) == ([], 1)
    titled = recorded.replace(
        b"<item>", b"<item><title>Crazy</title><link>http://crazy.example.com/1</link>", 1
    )
    (posting,) = parse_feed(titled, url, "application/rss+xml", "crazy")
    assert_safe(posting)
    for gone in ("executeMe", "alert(", "am_i_javascript", "notRealAttribute"):
        assert gone not in posting.description_html
    assert "<h1>Did The Javascript Execute?</h1>" in posting.description_html
    assert "I will execute here, too, if you mouse over me" in posting.description_text


@pytest.mark.parametrize("name", [case.golden for case in CASES])
def test_every_description_is_sanitised(name: str) -> None:
    for posting in postings(name):
        assert_safe(posting)


# --- Clean labels and readable text ------------------------------------------------------------

_DIRTY_LABEL = re.compile(r"&[#\w]+;|[<>]|^\s|\s$|\s{2,}|\n")


@pytest.mark.parametrize("name", [case.golden for case in CASES])
def test_titles_companies_and_locations_are_clean(name: str) -> None:
    for posting in postings(name):
        for field in ("title", "company", "location", "url"):
            value = getattr(posting, field)
            assert not _DIRTY_LABEL.search(value), f"{field} {value!r} in {posting.url}"
        assert posting.title, posting.url
        assert posting.url.startswith(("https://", "http://")), posting.url
        for tag in posting.tags:
            assert tag and not _DIRTY_LABEL.search(tag), f"tag {tag!r} in {posting.url}"


def test_description_text_keeps_paragraphs_and_bullets() -> None:
    text = postings("recruityard_rss_2025-07")[0].description_text
    assert "\n\nYour responsibilities:\n\n• Daily communication" in text
    assert "• -" not in text  # the dash typed inside the <li> is not doubled up
    assert "help them achieve their objectives.\n• Planning actions" in text
    wwr = postings("weworkremotely_opencruit_2026-02")[0].description_text
    assert wwr.startswith("Headquarters: New York\nURL: http://summed.com\n\nFull Stack Engineer")
    assert "\n• Write clean, tested, and well-documented code\n• Participate" in wwr
    assert "&nbsp;" not in wwr and "\xa0" not in wwr
