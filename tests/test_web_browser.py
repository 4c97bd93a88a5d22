"""The web view in a real browser: Debian's Chromium (driven by Playwright, never a browser
download) against `leads serve` started as a real process on a free loopback port.

A mentee opens their link and sees their leads; Not for me hides one, and a reload shows it
stays hidden; Interested reaches `leads matches --format jsonl` and the mentor's next digest;
a hostile posting runs nothing and loads nothing; a second mentee's link shows only their
leads; a wrong token is a 404; the page is one column on a phone.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from digestkit import JOBS
from playwright import sync_api
from webkit import ALEX_JOBS, HOSTILE_TITLE, SAM_JOBS, seeded

from aggregator.core.models import NEXT_STEPS_QUESTION

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 60  # seconds for `leads serve` to say it listens (a loaded CI machine)


if not CHROMIUM.exists():
    pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (tests/setup-ci.sh)")


@dataclass
class Served:
    """`leads serve` over a seeded config, and the mentees' links from `leads links`."""

    folder: Path
    base: str
    links: dict[str, str]

    def leads(self, *args: str) -> str:
        """Run a `leads` command on the served config; its stdout."""
        done = subprocess.run(
            [sys.executable, "-m", "aggregator", "--config", str(self.folder / "config.yaml"),
             *args],
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("served")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    seeded(folder, base)[1].close()
    server = subprocess.Popen(
        [sys.executable, "-m", "aggregator", "--config", str(folder / "config.yaml"),
         "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert server.stdout is not None
        first = server.stdout.readline()  # printed once the socket listens
        assert first.startswith(f"Serving the web view on {base}"), first
        state = Served(folder, base, {})
        for line in state.leads("links", "--format", "jsonl").splitlines():
            record = json.loads(line)
            state.links[record["mentee"]] = record["url"]
        yield state
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh user-data-dir
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield context
        context.close()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    tab = browser_context.new_page()
    yield tab
    tab.close()


def _card(page: Any, title: str) -> Any:
    return page.locator("article.lead", has_text=title)


def test_a_mentee_opens_their_link_and_sees_their_leads(served: Served, page: Any) -> None:
    response = page.goto(served.links["sam-lee"])
    assert response.status == 200
    assert page.locator("h1").inner_text() == "Sam Lee's leads"
    for index in SAM_JOBS:
        assert _card(page, JOBS[index].title).count() == 1
    first = _card(page, JOBS[0].title)
    places = first.locator(".seen a").all_inner_texts()
    assert places[0] == "boards.greenhouse.io", "the company page first"
    assert "weworkremotely.com" in places


def test_not_for_me_hides_a_lead_even_after_a_reload(served: Served, page: Any) -> None:
    page.goto(served.links["sam-lee"])
    title = JOBS[4].title
    with page.expect_navigation():
        _card(page, title).get_by_role("button", name="Not for me").click()
    assert _card(page, title).count() == 0
    page.reload()
    assert _card(page, title).count() == 0
    page.get_by_label("Also hidden").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    card = _card(page, title)
    assert card.locator(".status strong").inner_text() == "Not for me"
    with page.expect_navigation():
        card.get_by_role("button", name="Undo Not for me").click()
    assert _card(page, title).locator(".status strong").inner_text() == "No status yet"


def test_interested_reaches_matches_and_the_mentors_next_digest(
    served: Served, page: Any, tmp_path: Path
) -> None:
    page.goto(served.links["sam-lee"])
    title = JOBS[5].title
    with page.expect_navigation():
        _card(page, title).get_by_role("button", name="Interested").click()
    page.reload()
    assert _card(page, title).locator(".status strong").inner_text() == "Interested"
    rows = [json.loads(line) for line in served.leads("matches", "--format", "jsonl").splitlines()]
    marked = [row for row in rows if row["mentee"] == "sam-lee" and row["title"] == title]
    assert [row["status"] for row in marked] == ["interested"]
    assert all(row["status"] is None for row in rows if row["mentee"] == "alex-kim")
    served.leads("digest", "--mentor", "maria", "--dry-run", "--preview", str(tmp_path))
    text = (tmp_path / "maria.txt").read_text(encoding="utf-8")
    assert f"Since last time, Sam is interested in {title} at {JOBS[5].company}" in " ".join(
        text.split()
    )


def _watched(page: Any) -> tuple[list[str], list[str]]:
    """The dialogs the page will open and the URLs it will request, as they happen."""
    dialogs: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    return dialogs, requests


def test_a_hostile_posting_runs_nothing_and_loads_nothing(served: Served, page: Any) -> None:
    dialogs, requests = _watched(page)
    page.goto(served.links["sam-lee"])
    card = _card(page, "Staff Engineer")
    assert card.locator(".title").inner_text() == HOSTILE_TITLE
    card.locator("summary").click()  # show the description too
    assert "onerror" in card.locator(".description").inner_text()
    assert page.locator("main script, main img, main iframe, main svg, main style").count() == 0
    page.mouse.move(10, 10)
    assert dialogs == []
    assert requests and all(url.startswith(served.base + "/") for url in requests), requests


def test_a_second_mentees_link_shows_only_their_leads(served: Served, page: Any) -> None:
    page.goto(served.links["alex-kim"])
    titles = page.locator("article.lead .title").all_inner_texts()
    assert sorted(titles) == sorted(JOBS[index].title for index in ALEX_JOBS)
    assert page.locator("h1").inner_text() == "Alex Kim's leads"


def test_a_wrong_token_is_a_plain_404(served: Served, page: Any) -> None:
    response = page.goto(f"{served.base}/m/{'x' * 43}")
    assert response.status == 404
    assert page.locator("body").inner_text() == "Not found."


def test_on_a_phone_the_leads_are_one_column(served: Served, page: Any) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(served.links["sam-lee"])
    boxes = [card.bounding_box() for card in page.locator("article.lead").all()]
    assert len({round(box["x"]) for box in boxes}) == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"


def test_on_a_small_phone_the_first_lead_starts_on_the_first_screen(
    served: Served, page: Any
) -> None:
    # Seen: at 390 pixels the filters, stacked one to a row, filled the first screen, and an
    # applied lead's six status buttons took a screen of their own.
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(served.links["sam-lee"])
    title = page.locator("article.lead .title").first.bounding_box()
    assert title["y"] + title["height"] <= 667, "the first lead is seen without scrolling"
    buttons = page.locator("article.lead").first.locator(".actions button").all()
    columns = {round(button.bounding_box()["x"]) for button in buttons}
    assert len(buttons) >= 3 and len(columns) == 2, "the status buttons go two a row"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_mentors_page_starts_each_card_with_its_mentee(served: Served, page: Any) -> None:
    # Seen: each mentee's card on the mentor's page opened with 50 blank pixels (the digest's
    # section-heading margin) above the mentee's name.
    lines = served.leads("links", "--mentors", "--format", "jsonl").splitlines()
    url = next(json.loads(line)["url"] for line in lines if json.loads(line)["mentor"] == "maria")
    page.goto(url)
    cards = page.locator("section.card").all()
    assert [card.locator("h2").inner_text() for card in cards] == ["Sam Lee", "Alex Kim"]
    for card in cards:
        gap = card.locator("h2").bounding_box()["y"] - card.bounding_box()["y"]
        assert gap <= 24, "the name sits at the card's top, within its padding"


def test_a_lead_opens_its_interview_prep_sheet(served: Served, page: Any) -> None:
    violations: list[str] = []
    # The browser asks for /favicon.ico on its first visit to the server, whichever test
    # that is (-n 2 shares the tests out), and logs the 404: not the page's doing.
    page.on("console", lambda message: None if message.location.get("url", "").endswith(
        "/favicon.ico") else violations.append(message.text))  # fmt: skip
    page.goto(served.links["sam-lee"])
    card = _card(page, JOBS[0].title)
    with page.expect_navigation():
        card.get_by_role("link", name="interview prep sheet").click()
    assert page.locator("h1").inner_text() == (
        f"Interview prep: {JOBS[0].title} at {JOBS[0].company}"
    )
    headings = page.locator("h2").all_inner_texts()
    assert headings == ["What they will likely ask", "What to brush up on", "Questions to ask them"]
    assert page.locator("section.prep").nth(0).locator("li").count() >= 4
    assert page.locator("section.prep").last.locator(".question").last.inner_text() == (
        NEXT_STEPS_QUESTION
    )
    with page.expect_navigation():
        page.get_by_role("link", name="Back to the lead").click()
    assert page.url.endswith(f"#{card.get_attribute('id')}")
    assert violations == [], "nothing broke the Content-Security-Policy"


def test_a_hostile_postings_prep_sheet_runs_nothing(served: Served, page: Any) -> None:
    dialogs, requests = _watched(page)
    page.goto(served.links["sam-lee"])
    with page.expect_navigation():
        _card(page, "Staff Engineer").get_by_role("link", name="interview prep sheet").click()
    assert page.locator("h1").inner_text().startswith(f"Interview prep: {HOSTILE_TITLE}")
    assert page.locator("main script, main img, main iframe, main svg, main style").count() == 0
    page.mouse.move(10, 10)
    assert dialogs == []
    assert all(url.startswith(served.base + "/") for url in requests), requests


def test_a_link_rotated_by_another_process_stops_working_at_once(
    served: Served, page: Any
) -> None:
    old = served.links["priya-nair"]
    assert page.goto(old).status == 200
    rotated = json.loads(served.leads("links", "--rotate", "priya-nair", "--format", "jsonl"))
    assert page.goto(old).status == 404
    assert page.goto(rotated["url"]).status == 200
