"""Remotive (remotive.com): a remote-jobs board with one public JSON endpoint.

Remotive asks API users to fetch "a couple of times a day (max. 4)", so this source skips the
request while its last successful fetch is younger than ``min_interval_hours``. The body is an
object with ``00-warning``/``0-legal-notice`` keys and a ``jobs`` list; recorded bodies start with
a UTF-8 byte-order mark.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, ClassVar

from pydantic import Field

from aggregator.config import SourceOptions
from aggregator.models import Posting, SourceState
from sources.base import CollectContext, Collected
from sources.boardkit import absolute_url, label, member, records, strings, text, unique, with_query
from sources.jsonapi import JSON_ACCEPT, decode_json
from sources.markup import employment_type, html_to_text, plain_label, sanitize_html
from sources.paytext import stated_pay
from sources.values import parse_date

REMOTIVE_API = "https://remotive.com/api/remote-jobs"


class RemotiveOptions(SourceOptions):
    """Settings of a Remotive source."""

    category: str | None = None  # a category slug, e.g. "software-dev"
    search: str | None = None  # words to search titles and descriptions for
    min_interval_hours: Annotated[float, Field(ge=0, le=168)] = 6.0


class RemotiveSource:
    """Postings from Remotive's public API, fetched at most every ``min_interval_hours``."""

    Options: ClassVar[type[SourceOptions]] = RemotiveOptions
    type: ClassVar[str] = "remotive"

    def __init__(self, options: SourceOptions) -> None:
        assert isinstance(options, RemotiveOptions)
        self.options: RemotiveOptions = options

    def endpoint(self) -> str:
        """The API URL with this source's filters."""
        return with_query(
            self.options.url or REMOTIVE_API,
            {"category": self.options.category, "search": self.options.search},
        )

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Fetch the jobs unless the last successful fetch is recent enough; parse in a worker."""
        interval = timedelta(hours=self.options.min_interval_hours)
        if state.last_success is not None and context.now() - state.last_success < interval:
            return Collected(
                postings=[],
                skipped=f"fetched less than {self.options.min_interval_hours:g} h ago "
                "(min_interval_hours; Remotive asks for few requests a day)",
            )
        result = await context.fetcher.get(
            state.url or self.endpoint(),
            etag=state.etag,
            last_modified=state.last_modified,
            accept=JSON_ACCEPT,
        )
        if result.not_modified:
            return Collected(postings=[], not_modified=True)
        postings = await context.pool.run(
            parse_remotive, result.body, result.url, self.options.name
        )
        return Collected(
            postings=postings,
            etag=result.etag,
            last_modified=result.last_modified,
            moved_to=result.moved_to,
        )


def parse_remotive(body: bytes, url: str, source: str) -> list[Posting]:
    """Postings from a Remotive API body; a body of another shape raises FeedFormatError."""
    jobs = records(member(decode_json(body, url), "jobs", "the response", url), "jobs", url)
    return [_posting(job, url, source) for job in jobs]


def _posting(job: dict[str, Any], api_url: str, source: str) -> Posting:
    link = absolute_url(text(job, "url"), api_url)
    description = sanitize_html(text(job, "description"), base_url=link or api_url)
    return Posting(
        source=source,
        external_id=text(job, "id"),
        url=link,
        title=label(text(job, "title")),
        company=label(text(job, "company_name")),
        # "USA only", "Europe, UK": who may apply, kept even though every job is remote.
        location=label(text(job, "candidate_required_location")),
        remote=True,
        employment_type=employment_type(text(job, "job_type")),
        salary=stated_pay(plain_label(text(job, "salary"))),
        posted_at=parse_date(text(job, "publication_date")),
        description_html=description,
        description_text=html_to_text(description),
        tags=unique([plain_label(t) for t in [text(job, "category"), *strings(job.get("tags"))]]),
    )
