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

from aggregator.core.config import SourceOptions
from aggregator.core.models import Posting, SourceState
from sources.base import CollectContext, Collected, ConfiguredSource, fetch_and_parse
from sources.jsonapi import (
    JSON_ACCEPT,
    absolute_url,
    decode_json,
    each_posting,
    first_text,
    list_in,
    strings,
    with_query,
)
from sources.markup import description, employment_type, plain_label, unique
from sources.paytext import stated_pay
from sources.values import parse_date

REMOTIVE_API = "https://remotive.com/api/remote-jobs"


class RemotiveOptions(SourceOptions):
    """Settings of a Remotive source."""

    category: str | None = None  # a category slug, e.g. "software-dev"
    search: str | None = None  # words to search titles and descriptions for
    min_interval_hours: Annotated[float, Field(ge=0, le=168)] = 6.0


class RemotiveSource(ConfiguredSource):
    """Postings from Remotive's public API, fetched at most every ``min_interval_hours``."""

    Options: ClassVar[type[SourceOptions]] = RemotiveOptions
    type: ClassVar[str] = "remotive"
    options: RemotiveOptions

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
        return await fetch_and_parse(
            context, state, self.endpoint(), parse_remotive, self.options.name, accept=JSON_ACCEPT
        )


def parse_remotive(body: bytes, url: str, source: str) -> list[Posting]:
    """Postings from a Remotive API body; a body of another shape raises FeedFormatError."""
    jobs = list_in(decode_json(body, url), "jobs", url)
    return each_posting(jobs, lambda job: _posting(job, url, source), url)


def _posting(job: dict[str, Any], api_url: str, source: str) -> Posting:
    link = absolute_url(first_text(job, "url"), api_url)
    html, plain = description(first_text(job, "description"), link or api_url)
    tags = [first_text(job, "category"), *strings(job.get("tags"))]
    return Posting(
        source=source,
        external_id=first_text(job, "id"),
        url=link,
        title=plain_label(first_text(job, "title"), blank_placeholders=True),
        company=plain_label(first_text(job, "company_name"), blank_placeholders=True),
        # "USA only", "Europe, UK": who may apply, kept even though every job is remote.
        location=plain_label(
            first_text(job, "candidate_required_location"), blank_placeholders=True
        ),
        remote=True,
        employment_type=employment_type(first_text(job, "job_type")),
        salary=stated_pay(plain_label(first_text(job, "salary"))),
        posted_at=parse_date(first_text(job, "publication_date")),
        description_html=html,
        description_text=plain,
        tags=unique(map(plain_label, tags), ignore_case=True),
    )
