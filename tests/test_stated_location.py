"""Where a posting without a location says its job is: "… in Lisbon" in its title or link."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from ruamel.yaml import YAML

import aggregator
from aggregator.core.intake import admitted
from aggregator.core.models import Posting
from aggregator.core.places import default_places
from matchers.filters import location_fits
from sources.rss import parse_feed

RECRUITYARD = Path(__file__).parent / "fixtures" / "rss" / "recruityard_rss_2025-07.xml"


def recruityard() -> list[Posting]:
    """The recorded feed's items as collect stores them (the demo collects the same feed)."""
    body = RECRUITYARD.read_bytes()
    url = "https://www.recruityard.com/feed.xml"
    return [admitted(p) for p in parse_feed(body, url, "application/rss+xml", "recruityard")]


def test_a_board_giving_no_location_is_placed_by_its_links() -> None:
    # Seen in the demo: Dana (New York, remote) was matched to eight "… with <language>" jobs
    # in Lisbon and Sofia: the feed gives no location, so the region filter let them through.
    # Their links say where: ".../content-moderation-with-finnish-in-lisbon-pt".
    postings = recruityard()
    dana = YAML().load(Path(aggregator.__file__).parent / "demo_data" / "config.yaml")
    (locations,) = (m["locations"] for m in dana["mentees"] if m["name"] == "Dana Brooks")

    placed = Counter((p.location, p.remote) for p in postings)
    fitting = [p for p in postings if location_fits(locations, p)]

    assert placed == {("Lisbon", False): 33, ("", False): 17, ("Greece", True): 14,
                      ("Portugal", True): 13, ("Sofia", False): 5, ("", True): 3,
                      ("Madrid", False): 2, ("Bulgaria", True): 1}  # fmt: skip
    assert len(postings) == 88 and len(fitting) == 20  # all 88 fitted before
    assert not [p for p in fitting if p.location]  # only those that say nowhere where
    lisbon = [p for p in postings if location_fits(["Lisbon", "remote"], p)]
    assert len(lisbon) == 66  # Lisbon's, Portugal's remote ones, and the unplaced 20


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Sales Manager in New York", "New York"),
        ("Account Executive in Brooklyn", "Brooklyn"),  # a town of its metro, as written
        ("client-support-with-portuguese-remote-in-greece-gr", "Greece"),
        ("Head of Partnerships in EMEA", "EMEA"),
        ("Account Executive in Asia Pacific", "Asia Pacific"),  # not Asia as well
        ("Software Engineer in Test", None),  # no place
        ("in-house counsel", None),
        ("Marketing in LA", None),  # two letters: "in la" is as often Spanish or Italian
        ("Customer Support in Lisbon or in Madrid", None),  # two places: neither is sure
        ("Designer based in Lisbon", "Lisbon"),
        ("Lisbon Designer", None),  # a place without "in" may be a client's or a team's
    ],
)
def test_a_place_is_read_only_after_in(text: str, place: str | None) -> None:
    assert default_places().stated_place(text) == place


def test_a_location_the_source_gives_is_kept() -> None:
    posting = Posting(source="x", external_id="1", url="https://jobs.example/sales-in-lisbon",
                      title="Sales in Madrid", company="Acme", location="Berlin, Germany",
                      remote=False, description_html="<p>Sell.</p>")  # fmt: skip

    assert admitted(posting).location == "Berlin, Germany"
    assert admitted(replace(posting, location="")).location == "Madrid"  # title before link
