"""The mentee's page as people use it, in Debian's Chromium: on a phone, by keyboard only and
through a screen reader's view (the accessibility tree). The app runs in process on a loopback
port with the clock fixed, over a real SQLite store: Sam has a dozen leads, Priya over 200,
Alex none yet.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from digestkit import JOBS, NOW
from playwright import sync_api
from test_web_browser import CHROMIUM, CHROMIUM_ARGS
from webkit import FORMULA_TITLE, HOSTILE_TITLE, save_matches, seed, write_config

from aggregator.core.config import load_config
from aggregator.stages.advice import StoredAdvice
from aggregator.store import Store
from sources import option_models
from web.app import create_app
from web.links import Links
from web.tokens import Holder, Keyring

KEY = Keyring(bytes(range(32)))
PHONE = {"width": 375, "height": 740}
LAPTOP = {"width": 1280, "height": 800}


@dataclass
class Site:
    links: dict[str, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("people")
    listening = socket.create_server(("127.0.0.1", 0))  # connections queue from here on
    base = f"http://127.0.0.1:{listening.getsockname()[1]}"
    config = load_config(write_config(folder, base), option_models())
    store = Store(config.database_url)
    leads = seed(store, extra=200)
    few = [leads[job.title] for job in JOBS] + [leads[HOSTILE_TITLE], leads[FORMULA_TITLE]]
    save_matches(store, {"sam-lee": few, "alex-kim": [], "priya-nair": sorted(leads.values())})
    issued = Links(config, store, KEY)
    links = {m: issued.url(Holder.MENTEE, m, NOW) for m in ("sam-lee", "alex-kim", "priya-nair")}
    links["maria"] = issued.url(Holder.MENTOR, "maria", NOW)
    app = create_app(config, store, KEY, lambda: NOW, StoredAdvice(config, store))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        yield Site(links)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.close()
        store.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def _tab(browser: Any, viewport: dict[str, int]) -> Any:
    """A page in a fresh context (no cookies from another test)."""
    return browser.new_context(viewport=viewport).new_page()


def _focused(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => { const e = document.activeElement;
        return {tag: e.tagName, text: e.innerText, role: e.getAttribute('role'),
                label: e.getAttribute('aria-label') || '',
                card: (e.closest('article') || {}).id || ''}; }"""
    )


def _role(job: Any) -> str:
    return f"{job.title} at {job.company}"


def test_not_for_me_keeps_the_mentees_place_and_offers_the_undo(site: Site, browser: Any) -> None:
    # Seen: pressing Not for me reloaded the page at its top, focus on nothing (the lead's
    # #lead-N was gone), and the undo only behind "Also hidden" and Filter.
    page = _tab(browser, PHONE)
    page.goto(site.links["sam-lee"])
    job = JOBS[3]
    card = page.locator("article.lead", has_text=job.title)
    card.get_by_role("button", name="Not for me").focus()
    with page.expect_navigation():
        page.keyboard.press("Space")
    focused = _focused(page)
    assert focused["role"] == "status" and _role(job) in focused["text"]
    assert "Not for me" in focused["text"]
    assert page.evaluate("scrollY") > 0, "not thrown to the top of the page"
    assert page.locator("article.lead", has_text=job.title).count() == 0, "hidden"
    page.keyboard.press("Tab")
    assert _focused(page)["label"] == f"Undo Not for me: {_role(job)}"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    focused = _focused(page)
    assert focused["role"] == "status" and "No status yet" in focused["text"]
    assert focused["card"] == "", "the saved note sits in the lead's card, not the card"
    assert page.locator("article.lead", has_text=job.title).count() == 1
    page.reload()
    assert page.locator("[role=status]").count() == 0, "the note is said once"
    page.context.close()


def test_a_status_change_is_said_on_the_lead_and_focus_stays_there(
    site: Site, browser: Any
) -> None:
    # Seen: after Interested, focus was on the page's body and nothing said what was saved.
    page = _tab(browser, LAPTOP)
    page.goto(site.links["sam-lee"])
    job = JOBS[2]
    page.get_by_role("button", name=f"Interested: {_role(job)}", exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    note = page.locator("article.lead", has_text=job.title).get_by_role("status")
    assert note.inner_text() == "Saved. Status: Interested"
    assert _focused(page)["text"] == "Saved. Status: Interested"
    page.keyboard.press("Tab")
    assert _focused(page)["label"] == f"Interested: {_role(job)}", "next: the lead's buttons"
    page.context.close()


def test_buttons_and_links_say_which_lead_they_act_on(site: Site, browser: Any) -> None:
    # Seen: the accessibility tree held twelve buttons named "Interested", twelve links named
    # "Ask my mentor", and articles without a name.
    page = _tab(browser, LAPTOP)
    page.goto(site.links["sam-lee"])
    job = JOBS[0]
    for name in (f"Interested: {_role(job)}", f"Applied: {_role(job)}",
                 f"Not for me: {_role(job)}"):  # fmt: skip
        assert page.get_by_role("button", name=name, exact=True).count() == 1, name
    for name in (f"Interview prep sheet for {_role(job)}", f"Ask my mentor about {_role(job)}"):
        assert page.get_by_role("link", name=name, exact=True).count() == 1, name
    assert page.get_by_role("article", name=_role(job), exact=True).count() == 1
    assert page.evaluate("document.documentElement.lang") == "en"
    page.context.close()


def test_a_mentee_with_no_leads_yet_is_told_so(site: Site, browser: Any) -> None:
    # Seen: "No leads match these filters." under a form of filters, with nothing to filter.
    page = _tab(browser, PHONE)
    page.goto(site.links["alex-kim"])
    assert page.locator(".empty").inner_text().startswith("No leads yet.")
    assert "Maria hears of it" in page.locator(".empty").inner_text()
    assert page.get_by_role("search").count() == 0
    page.context.close()


def _short_targets(page: Any) -> list[str]:
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll(
                '.lead .title a, .prepare a, .ask a, .tools a, .pages a, summary, .back a')]
              .filter(e => e.getBoundingClientRect().height < 44).map(e => e.innerText)"""
        )
    )


def test_on_a_phone_standalone_links_are_44_pixels_tall(site: Site, browser: Any) -> None:
    # Seen: Ask my mentor, the prep sheet link, Full description, Download as CSV and the job's
    # title link were 16 to 21 pixels tall; the page's Next link with 200 leads too.
    page = _tab(browser, PHONE)
    page.goto(site.links["priya-nair"])
    assert page.get_by_role("navigation", name="Pages").is_visible()
    assert _short_targets(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with page.expect_navigation():
        page.get_by_role("link", name="interview prep sheet").first.click()
    assert _short_targets(page) == []
    page.context.close()


def test_the_mentors_table_never_splits_a_status_name_on_a_phone(site: Site, browser: Any) -> None:
    # Seen: at 375 pixels the headings read "Intereste / d", "Applie / d" and "Offe / r".
    page = _tab(browser, PHONE)
    page.goto(site.links["maria"])
    lines = page.evaluate(
        """() => [...document.querySelectorAll('.glance th')]
          .filter(th => !th.textContent.includes(' '))
          .map(th => { const r = document.createRange(); r.selectNodeContents(th);
                       return [th.textContent, r.getClientRects().length]; })"""
    )
    assert lines and all(count == 1 for _, count in lines), lines
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.close()
