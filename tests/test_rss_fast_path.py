"""The lxml fast path for plain RSS 2.0 gives exactly what feedparser gives, or steps aside."""

from __future__ import annotations

from pathlib import Path

import pytest

from sources import rss

RSS = Path(__file__).parent / "fixtures" / "rss"
PLAIN_FEEDS = sorted(
    [
        *RSS.glob("wwr_2022-11/*.rss"),
        RSS / "weworkremotely_opencruit_2026-02.xml",
        RSS / "weworkremotely_programming_legacy_categories2.rss",
        RSS / "recruityard_rss_2025-07.xml",
    ]
)
URL = "https://weworkremotely.com/categories/remote-jobs.rss"


@pytest.mark.parametrize("feed", PLAIN_FEEDS, ids=lambda p: p.name)
def test_fast_path_equals_feedparser(feed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = feed.read_bytes()
    assert rss.plain_rss_items(body, URL) is not None  # this feed takes the fast path
    fast = rss.parse_feed(body, URL, "application/rss+xml", "wwr")
    monkeypatch.setattr(rss, "plain_rss_items", lambda body, url: None)
    assert rss.parse_feed(body, URL, "application/rss+xml", "wwr") == fast


@pytest.mark.parametrize(
    "feed",
    [
        RSS / "atom_careers_sample.xml",  # Atom
        Path(__file__).parent
        / "fixtures"
        / "malformed"
        / "feedparser"
        / "wellformed_rss_entity_in_doctype.xml",
        Path(__file__).parent
        / "fixtures"
        / "malformed"
        / "feedparser"
        / "illformed_aaa_illformed.xml",
    ],
    ids=lambda p: p.name,
)
def test_unusual_feeds_go_to_feedparser(feed: Path) -> None:
    assert rss.plain_rss_items(feed.read_bytes(), URL) is None


def test_unknown_elements_and_unreadable_dates_go_to_feedparser() -> None:
    item = "<item><title>t</title><link>https://e.org/1</link>{extra}</item>"
    feed = (
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>{}</channel></rss>'
    )
    plain = feed.format(item.format(extra="<pubDate>Sun, 22 Feb 2026 04:18:34 +0000</pubDate>"))
    assert rss.plain_rss_items(plain.encode(), URL) is not None
    for extra in ("<dc:date>2026-02-22</dc:date>", "<pubDate>yesterday</pubDate>"):
        odd = feed.format(item.format(extra=extra))
        assert rss.plain_rss_items(odd.encode(), URL) is None
