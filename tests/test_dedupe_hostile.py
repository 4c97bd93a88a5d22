"""No lead is lost to deduplication: different jobs that look alike stay apart.

A false merge drops a lead: two jobs become one and the mentee never sees the second. Each
case is collected as the pipeline does (boards and a company's Greenhouse page served on
127.0.0.1, a real SQLite store); each was one lead before its fix, but for the last two,
which guard what held.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from aggregator.core.config import AppConfig, HttpConfig, SourceOptions
from aggregator.core.models import FetchStatus
from aggregator.stages.collect import collect
from aggregator.store import Store
from sources.greenhouse import GreenhouseOptions
from sources.remotive import RemotiveOptions

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# One company's description template: every opening below shares it word for word.
TEMPLATE = (
    "Acme builds payment software for small shops across Europe. In this role you will design, "
    "build and run services that move money safely, work with product managers and designers, "
    "review code, mentor colleagues and keep our systems reliable. You have experience with "
    "Python or Go, relational databases and cloud infrastructure, and you write clear "
    "documentation. We offer flexible hours, a learning budget and thirty days of holiday."
)
Job = dict[str, Any]


def board_job(n: int, title: str, **fields: str) -> Job:
    """A job as a Remotive-shaped board sends it (Acme in Berlin, the template text)."""
    job = {
        "id": n,
        "url": f"https://board.example/jobs/{n}",
        "title": title,
        "company_name": "Acme",
        "candidate_required_location": "Berlin",
        "description": f"<p>{TEMPLATE}</p>",
        "publication_date": "2026-11-01T00:00:00",
    }
    return {**job, **fields}


def greenhouse_job(n: int, title: str) -> Job:
    """A job as Acme's own Greenhouse board sends it (content HTML-escaped, as the API does)."""
    return {
        "id": n,
        "absolute_url": f"https://acme.example/careers/{n}",
        "title": title,
        "location": {"name": "Berlin"},
        "content": html.escape(f"<p>{TEMPLATE}</p>"),
        "updated_at": "2026-11-01T00:00:00Z",
        "company_name": "Acme",
    }


def collect_round(
    httpserver: HTTPServer,
    store: Store,
    boards: dict[str, list[Job]],
    greenhouse: list[Job] | None = None,
    when: datetime = T0,
) -> None:
    """One collection round: each board, and Acme's Greenhouse page when given."""
    httpserver.clear()
    sources: list[SourceOptions] = []
    for name, jobs in boards.items():
        httpserver.expect_request(f"/{name}").respond_with_json({"jobs": jobs})
        url = httpserver.url_for(f"/{name}")
        sources.append(RemotiveOptions(name=name, type="remotive", url=url, min_interval_hours=0))
    if greenhouse is not None:
        httpserver.expect_request("/v1/boards/acme/jobs").respond_with_json({"jobs": greenhouse})
        url = httpserver.url_for("/v1/boards/acme/jobs") + "?content=true"
        sources.append(GreenhouseOptions(name="acme", type="greenhouse", url=url))
    config = AppConfig(sources=tuple(sources), http=HttpConfig(timeout=5, retries=0))
    report = collect(config, store, lambda: when)
    assert [o.status for o in report.sources] == [FetchStatus.OK] * len(sources)


def lead_of(store: Store) -> dict[str, int]:
    """Each stored posting's lead, by its link."""
    return {s.posting.url: s.lead_id for s in store.postings()}


def leads_of(store: Store, urls: Sequence[str]) -> list[int]:
    """The leads of the postings at ``urls``, in order."""
    found = lead_of(store)
    return [found[url] for url in urls]


@pytest.mark.parametrize(
    "other", ["Senior Software Engineer", "Software Engineer II", "Software Engineer Intern"]
)
def test_one_template_for_two_levels_is_two_leads(
    httpserver: HTTPServer, store: Store, other: str
) -> None:
    # Aha! on We Work Remotely: "Product Success Manager" and "Sr. Product Success Manager",
    # word for word the same text, were one lead.
    jobs = [board_job(1, "Software Engineer"), board_job(2, other)]
    copy = board_job(3, other.replace("Senior", "Sr.") + " (Remote)")
    collect_round(httpserver, store, {"board": jobs, "other-board": [copy]})
    plain, level, copied = leads_of(store, [j["url"] for j in [*jobs, copy]])
    assert plain != level
    assert copied == level, "the same opening, written differently, is still one lead"


def test_one_title_in_two_cities_is_two_leads(httpserver: HTTPServer, store: Store) -> None:
    berlin = board_job(1, "Backend Engineer")
    london = board_job(2, "Backend Engineer", candidate_required_location="London")
    fuller = board_job(3, "Backend Engineer", candidate_required_location="Berlin, Germany")
    remote = board_job(4, "Backend Engineer - Berlin", candidate_required_location="Remote")
    collect_round(httpserver, store, {"board": [berlin, london], "other": [fuller, remote]})
    in_berlin, in_london, *copies = leads_of(
        store, [j["url"] for j in (berlin, london, fuller, remote)]
    )
    assert in_berlin != in_london
    assert copies == [in_berlin, in_berlin], "Berlin written more fully, or not at all"


def test_jobs_linked_to_one_careers_page_stay_apart(httpserver: HTTPServer, store: Store) -> None:
    # Boards link a company's jobs to its careers page; the link then names no job.
    careers = "https://acme.example/careers"
    analyst = board_job(1, "Data Analyst", url=careers + "?utm_source=board")
    manager = board_job(2, "Office Manager", url=careers, description="<p>Run the office.</p>")
    again = board_job(3, "Data Analyst", url=careers)
    collect_round(httpserver, store, {"board": [analyst], "other": [manager, again]})
    rows = {(s.posting.source, s.posting.title): s.lead_id for s in store.postings()}
    assert rows[("board", "Data Analyst")] != rows[("other", "Office Manager")]
    assert rows[("board", "Data Analyst")] == rows[("other", "Data Analyst")]


@pytest.mark.parametrize(
    ("first", "second"),
    [("バックエンドエンジニア", "デザイナー"), ("Разработчик Python", "Тестировщик Python"),
     ("C# Developer", "C Developer")],
)  # fmt: skip
def test_titles_that_differ_outside_ascii_letters_are_two_leads(
    httpserver: HTTPServer, store: Store, first: str, second: str
) -> None:
    # Names were reduced to their ASCII letters: every Japanese title at one company and
    # place was one lead, and "C#" was "C".
    jobs = [
        board_job(1, first, description="<p>Eins.</p>"),
        board_job(2, second, description="<p>Zwei.</p>"),
    ]
    collect_round(httpserver, store, {"board": jobs})
    assert len(set(lead_of(store).values())) == 2


def test_a_zero_width_space_hides_no_copy(httpserver: HTTPServer, store: Store) -> None:
    genuine = board_job(1, "Backend Engineer")
    hidden = board_job(2, "Back\u200bend Engineer", url="https://elsewhere.example/2")
    collect_round(httpserver, store, {"board": [genuine], "other": [hidden]})
    assert len(set(lead_of(store).values())) == 1


def test_a_copy_on_a_board_never_shows_instead_of_the_companys_page(
    httpserver: HTTPServer, store: Store
) -> None:
    # A copy of Acme's job with another link (a scam, or a board's own apply page), seen
    # first, joins Acme's lead; Acme's own page is what the lead shows and links first.
    copy = board_job(9, "Software Engineer", url="https://apply-now.example/9")
    own = greenhouse_job(1, "Software Engineer")
    collect_round(httpserver, store, {"board": [copy]})
    collect_round(httpserver, store, {"board": [copy]}, [own], T0 + timedelta(hours=1))
    (lead,) = set(lead_of(store).values())
    assert store.representatives([lead])[lead].posting.url == own["absolute_url"]
    assert store.lead_links([lead])[lead] == [own["absolute_url"], copy["url"]]
