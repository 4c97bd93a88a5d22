"""RSS and Atom feeds: fetched with the shared Fetcher, read by sources/feed_reading.py (lxml,
feedparser for the rest) in the CPU pool."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from aggregator.core.config import SourceOptions
from aggregator.core.models import Posting, SourceState
from sources.base import CollectContext, Collected, ConfiguredSource, Parsed, fetch_and_parse

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)


class RssOptions(SourceOptions):
    """Settings of an RSS/Atom source."""

    url: str = Field(pattern=r"^https?://")
    company: str | None = None  # for a company's own careers feed, whose items name no company


class RssSource(ConfiguredSource):
    """Postings from an RSS 0.9x/1.0/2.0 or Atom feed."""

    Options: ClassVar[type[SourceOptions]] = RssOptions
    type: ClassVar[str] = "rss"
    options: RssOptions

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Conditional GET of the feed, then parse it off the event loop."""
        options = self.options
        return await fetch_and_parse(
            context,
            state,
            options.url,
            parse_feed_body,
            options.name,
            options.company,
            accept=FEED_ACCEPT,
            pass_content_type=True,
        )


def parse_feed_body(
    body: bytes, url: str, content_type: str, source: str, company: str | None = None
) -> Parsed:
    """The postings of a feed body, and the item left out where the body ends inside it; a
    body that is not a feed raises FeedFormatError.

    A module-level function so worker processes can run it. The reading is imported here,
    where a body is read: lxml, nh3 and the feed code are a twentieth of a second of start-up
    that a run of 304s never needs (nor the main process of one that parses in worker
    processes). Items without a title or link are counted where every source's are
    (aggregator.core.intake.storable).
    """
    from sources import feed_reading

    return feed_reading.read_feed_body(body, url, content_type, source, company)


def parse_feed(
    body: bytes, url: str, content_type: str, source: str, company: str | None = None
) -> list[Posting]:
    """The postings of a feed body alone (see parse_feed_body), for a caller that reports
    nothing of what was left out: detecting a feed, reading a recorded one."""
    return parse_feed_body(body, url, content_type, source, company).postings
