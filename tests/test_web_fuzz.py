"""Fuzzing the web view's routes with Hypothesis: whatever a visitor sends (a forged or mangled
token, any lead id, any query, any form, a wrong method), the answer is never a 500, and what
they typed never comes back as markup.

Deterministic like tests/test_fuzz.py: derandomized, a bounded number of examples, no example
database. The app is the real one over a real seeded SQLite store; requests go through httpx's
ASGITransport (as in tests/test_web.py), so each example is a complete request and response.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from digestkit import JOBS, NOW
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import ASGIApp
from webkit import seeded

from aggregator.core.models import LeadStatus
from aggregator.stages.advice import StoredAdvice
from web.app import create_app
from web.links import Links
from web.tokens import Holder, Keyring

FUZZ = settings(
    derandomize=True,
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KEY = Keyring(bytes(range(32)))
MARKUP = "<script>alert(1)</script>"
# Characters that mangle paths, forms and HTML, and text that would become markup if echoed.
NASTY = st.sampled_from(
    ["", "..", "%", "%00", "\x00", "\n", "'", '"', "<", ">", "&", "/", "?", "#", "\\", "é",
     "\u202e", "9" * 40, "-1", "0", "1e9", " ", MARKUP]
)  # fmt: skip
TEXT = st.text(max_size=30) | NASTY


def mostly(
    likely: st.SearchStrategy[str], other: st.SearchStrategy[str] = TEXT
) -> st.SearchStrategy[str]:
    """``likely`` three times in four, else ``other``."""
    return st.integers(0, 3).flatmap(lambda n: other if n == 3 else likely)


class Client:
    """Requests to the app, each a complete exchange (the fuzz test is not a coroutine)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One request, redirects not followed."""
        return asyncio.run(self._request(method, path, **options))

    async def _request(self, method: str, path: str, **options: Any) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as c:
            return await c.request(method, path, **options)


@dataclass(frozen=True)
class Site:
    """The app's client, and the real tokens, lead ids and form token a visitor could have."""

    client: Client
    mentee_token: str
    mentor_token: str
    leads: tuple[int, ...]
    csrf: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    config, store = seeded(tmp_path_factory.mktemp("fuzz"))
    links = Links(config, store, KEY)
    app = create_app(config, store, KEY, lambda: NOW, StoredAdvice(config, store))
    mentee = urlsplit(links.url(Holder.MENTEE, "sam-lee", NOW)).path.rsplit("/", 1)[1]
    mentor = urlsplit(links.url(Holder.MENTOR, "maria", NOW)).path.rsplit("/", 1)[1]
    leads = tuple(s.lead_id for s in store.lead_postings() if s.posting.title == JOBS[0].title)
    client = Client(app)
    page = client.request("GET", f"/m/{mentee}")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and found
    yield Site(client, mentee, mentor, leads, found.group(1))
    store.close()


def segment(value: str) -> str:
    """A path segment as a browser would send it."""
    return quote(value, safe="")


@st.composite
def requests(draw: st.DrawFn, site: Site) -> tuple[str, str, dict[str, str], dict[str, str]]:
    """A method, a path on one of the app's routes (or none), a query and a form.

    Mostly real tokens, lead ids and methods, so most requests get past the 404 and the 405
    and reach the code that reads the rest.
    """
    token = draw(mostly(st.just(site.mentee_token)))
    mentor = draw(mostly(st.just(site.mentor_token)))
    lead = draw(mostly(st.sampled_from([str(lead) for lead in site.leads])))
    mentee_page = f"/m/{segment(token)}"
    path = draw(
        st.sampled_from(
            [
                mentee_page,
                f"{mentee_page}/leads.csv",
                f"{mentee_page}/leads/{segment(lead)}/status",
                f"{mentee_page}/leads/{segment(lead)}/status",
                f"{mentee_page}/leads/{segment(lead)}/prep",
                f"/mentor/{segment(mentor)}",
                f"/static/{segment(draw(TEXT))}",
                f"/{segment(draw(TEXT))}",
            ]
        )
    )
    method = "POST" if path.endswith("/status") else "GET"
    method = draw(mostly(st.just(method), st.sampled_from(["GET", "POST", "HEAD", "PUT"])))
    query = draw(st.dictionaries(st.sampled_from(["status", "q", "sort", "show", "page"]) | TEXT,
                                 TEXT, max_size=3))  # fmt: skip
    form = {
        "csrf": draw(mostly(st.just(site.csrf))),
        "status": draw(mostly(st.sampled_from([status.value for status in LeadStatus]))),
        "back": draw(TEXT),
        **draw(st.dictionaries(TEXT, TEXT, max_size=2)),
    }
    return method, path, query, form


@FUZZ
@given(data=st.data())
def test_no_request_gets_a_server_error_or_its_markup_echoed(
    site: Site, data: st.DataObject
) -> None:
    method, path, query, form = data.draw(requests(site))
    response = site.client.request(
        method, path, params=query, data=form if method == "POST" else None
    )
    assert response.status_code < 500, (method, path, query, form, response.text[:300])
    if response.headers.get("content-type", "").startswith("text/html"):
        assert MARKUP not in response.text, (method, path, query, form)
        assert "default-src" in response.headers["content-security-policy"]


def test_the_fuzzer_reaches_the_real_pages(site: Site) -> None:
    """The strategies' real tokens open real pages, so the fuzz explores past the 404s."""
    status = f"/m/{site.mentee_token}/leads/{site.leads[0]}/status"
    pages = [f"/m/{site.mentee_token}", f"/mentor/{site.mentor_token}",
             f"/m/{site.mentee_token}/leads/{site.leads[0]}/prep"]  # fmt: skip
    assert [site.client.request("GET", page).status_code for page in pages] == [200, 200, 200]
    pressed = site.client.request("POST", status, data={"csrf": site.csrf, "status": "interested"})
    assert pressed.status_code == 303
    forged = site.client.request("POST", status, data={"csrf": "forged", "status": "applied"})
    assert forged.status_code == 403
