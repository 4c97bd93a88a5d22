"""Hacker News "Ask HN: Who is hiring?" threads, read through the Algolia HN API.

The monthly threads are stories by the user ``whoishiring``; each top-level comment is one
company's post, whose first line (``Company | Role | Location | REMOTE | …``) is read by
:mod:`sources.hn_header`. Replies sit below top-level comments and are never posts.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, ClassVar

from pydantic import Field

from aggregator.core.config import SourceOptions
from aggregator.core.errors import FeedFormatError
from aggregator.core.models import Posting, SourceState
from sources.base import CollectContext, Collected, ConfiguredSource
from sources.hn_header import parse_header
from sources.jsonapi import JSON_ACCEPT, decode_json, each_posting, first_text, list_in, with_query
from sources.markup import description
from sources.values import parse_date

log = logging.getLogger(__name__)

ALGOLIA_HN_API = "https://hn.algolia.com/api/v1"
HN_ITEM_URL = "https://news.ycombinator.com/item?id={id}"
_THREAD_TITLE = "who is hiring"


class HnWhoIsHiringOptions(SourceOptions):
    """Settings of a Who-is-hiring source; ``url`` overrides the Algolia API base."""

    months: Annotated[int, Field(ge=1, le=12)] = 1  # how many of the latest monthly threads


class HnWhoIsHiringSource(ConfiguredSource):
    """Job posts from the latest monthly "Who is hiring?" threads on Hacker News."""

    Options: ClassVar[type[SourceOptions]] = HnWhoIsHiringOptions
    type: ClassVar[str] = "hn_whoishiring"
    options: HnWhoIsHiringOptions

    def api_base(self) -> str:
        """The Algolia HN API root, without a trailing slash."""
        return (self.options.url or ALGOLIA_HN_API).rstrip("/")

    def search_url(self) -> str:
        """The search for the user whoishiring's latest stories titled "Who is hiring"."""
        return with_query(
            f"{self.api_base()}/search_by_date",
            {
                "tags": "story,author_whoishiring",
                "query": "Who is hiring",
                "restrictSearchableAttributes": "title",
                # whoishiring posts three stories a month; only one is "Who is hiring?"
                "hitsPerPage": max(10, 4 * self.options.months),
            },
        )

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Find the latest threads, then read each thread's top-level comments in a worker."""
        found = await context.fetcher.get(self.search_url(), accept=JSON_ACCEPT)
        threads = await context.pool.run(latest_threads, found.body, found.url, self.options.months)
        postings: list[Posting] = []
        for thread in threads:
            result = await context.fetcher.get(
                f"{self.api_base()}/items/{thread}", accept=JSON_ACCEPT
            )
            postings.extend(
                await context.pool.run(parse_thread, result.body, result.url, self.options.name)
            )
        return Collected(postings=postings)


def latest_threads(body: bytes, url: str, months: int) -> list[str]:
    """Ids of the ``months`` newest "Who is hiring?" stories in an Algolia search response."""
    hits = list_in(decode_json(body, url), "hits", url)
    threads = [
        hit
        for hit in hits
        if _THREAD_TITLE in first_text(hit, "title").lower()
        and first_text(hit, "objectID").isdigit()
    ]
    if not threads:
        raise FeedFormatError(
            f"{url}: no 'Ask HN: Who is hiring?' story by whoishiring in the search results; "
            "check the API URL, or whether Algolia changed its search parameters"
        )
    threads.sort(key=lambda hit: _number(hit.get("created_at_i")), reverse=True)
    return [first_text(hit, "objectID") for hit in threads[:months]]


def parse_thread(body: bytes, url: str, source: str) -> list[Posting]:
    """Postings from an Algolia ``items/{id}`` response: one per top-level job comment."""
    comments = list_in(decode_json(body, url), "children", url, what="comments")
    postings = each_posting(comments, lambda comment: _posting(comment, source), url)
    log.info("%s: %d of %d top-level comments are job posts", url, len(postings), len(comments))
    return postings


def _posting(comment: dict[str, Any], source: str) -> Posting | None:
    body, comment_id = first_text(comment, "text"), first_text(comment, "id")
    if not body or not comment_id or not first_text(comment, "author") or comment.get("deleted"):
        return None  # deleted or flagged comments come back without author or text
    header = parse_header(body)
    if header is None:
        return None
    html, plain = description(body, "https://news.ycombinator.com/")
    return Posting(
        source=source,
        external_id=comment_id,
        url=HN_ITEM_URL.format(id=comment_id),
        title=header.title,
        company=header.company,
        location=header.location,
        remote=header.remote,
        employment_type=header.employment_type,
        salary=header.salary,
        posted_at=parse_date(comment.get("created_at_i"))
        or parse_date(first_text(comment, "created_at")),
        description_html=html,
        description_text=plain,
    )


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
