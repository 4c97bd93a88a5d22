"""Remote OK (remoteok.com): a remote-jobs board whose API is one JSON list.

The list's first element is a legal notice, not a job, and is always skipped. Remote OK serves
text that was UTF-8 decoded as Latin-1 and encoded again ("Youâ€™ll", "ZÃ³calo"), so every
text field is repaired before use.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, ClassVar

from aggregator.core.config import SourceOptions
from aggregator.core.models import Posting, Salary, SourceState
from sources.base import CollectContext, Collected, ConfiguredSource, Parsed, fetch_and_parse
from sources.jsonapi import (
    JSON_ACCEPT,
    absolute_url,
    decode_json,
    each_posting,
    expect_list,
    first_text,
    records,
    strings,
    with_query,
)
from sources.markup import description, employment_type, plain_label, unique
from sources.values import parse_date, repair_text, salary

log = logging.getLogger(__name__)

REMOTEOK_API = "https://remoteok.com/api"
# Remote OK has no job-type field; some jobs carry one of these as a tag.
_TYPE_TAGS = frozenset(
    {"full time", "full-time", "part time", "part-time", "contract", "contractor", "freelance",
     "internship", "intern", "temporary"}
)  # fmt: skip
_SKIPPED_WHY = "without id, title or company"
_YEARLY_FROM = 1000  # Remote OK states yearly USD pay; a "30" can only be an hourly rate


class RemoteOkOptions(SourceOptions):
    """Settings of a Remote OK source."""

    tags: tuple[str, ...] = ()  # e.g. ["python", "devops"]: jobs with any of these tags


class RemoteOkSource(ConfiguredSource):
    """Postings from Remote OK's public API."""

    Options: ClassVar[type[SourceOptions]] = RemoteOkOptions
    type: ClassVar[str] = "remoteok"
    options: RemoteOkOptions

    def endpoint(self) -> str:
        """The API URL with this source's tags."""
        tags = ",".join(tag.strip() for tag in self.options.tags if tag.strip())
        return with_query(self.options.url or REMOTEOK_API, {"tags": tags or None})

    async def collect(self, context: CollectContext, state: SourceState) -> Collected:
        """Conditional GET of the job list, then parse it in a worker."""
        return await fetch_and_parse(
            context, state, self.endpoint(), parse_remoteok, self.options.name, accept=JSON_ACCEPT
        )


def parse_remoteok(body: bytes, url: str, source: str) -> Parsed:
    """Postings from a Remote OK API body (legal notice first); other shapes raise.

    Jobs without an id, and jobs with neither a position nor a company (the API has carried
    such a decoy), are skipped and counted.
    """
    elements = expect_list(decode_json(body, url), "the response", url)
    # Element 0 is the legal notice, whatever keys it has this month.
    jobs = records(elements[1:], "jobs", url)
    with_id = [job for job in jobs if first_text(job, "id")]
    postings = each_posting(with_id, lambda job: _posting(job, url, source), url)
    postings = [posting for posting in postings if posting.title or posting.company]
    skipped = Parsed(postings, len(jobs) - len(postings), _SKIPPED_WHY)
    if skipped.skipped:
        log.info("%s: %s", url, skipped.note())
    return skipped


def _posting(job: dict[str, Any], api_url: str, source: str) -> Posting:
    link = absolute_url(first_text(job, "url", "apply_url"), api_url)
    html, plain = description(repair_text(first_text(job, "description")), link or api_url)
    tags = [plain_label(repair_text(tag)) for tag in strings(job.get("tags"))]
    return Posting(
        source=source,
        external_id=first_text(job, "id"),
        url=link,
        title=_label(job, "position"),
        company=_label(job, "company"),
        location=_label(job, "location"),
        remote=True,
        employment_type=employment_type(next((t for t in tags if t.lower() in _TYPE_TAGS), "")),
        salary=_salary(job),
        posted_at=_posted_at(job),
        description_html=html,
        description_text=plain,
        tags=unique(tags, ignore_case=True),
    )


def _label(job: dict[str, Any], key: str) -> str:
    # Remote OK double-encodes text as mojibake; repaired before it becomes a label.
    return plain_label(repair_text(first_text(job, key)), blank_placeholders=True)


def _salary(job: dict[str, Any]) -> Salary | None:
    low, high = job.get("salary_min"), job.get("salary_max")
    numbers = [n for n in (low, high) if isinstance(n, int | float) and not isinstance(n, bool)]
    period = "year" if numbers and max(numbers) >= _YEARLY_FROM else None
    return salary(low, high, "USD", period)


def _posted_at(job: dict[str, Any]) -> datetime | None:
    return parse_date(job.get("epoch")) or parse_date(first_text(job, "date"))
