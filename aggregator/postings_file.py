"""Postings from a JSONL file, for ``leads rank``: one JSON object per line.

Each line needs ``id``, ``title``, ``company``, ``location``, ``url`` and a description
(``description``, HTML or plain text; ``description_html`` or ``description_text`` also do).
``remote``, ``posted_at`` and ``closes_at`` (ISO 8601), ``tags`` and ``employment_type`` are
read when present, so the output of ``leads postings --format jsonl`` can be ranked as it is.
A date that cannot be read is unknown, as it is from a source ("closes_at": "soon" is a job
open as far as anyone knows); a bare closing date closes at the end of that day.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aggregator.core.errors import ConfigError
from aggregator.core.jsonl import jsonl_objects
from aggregator.core.models import Posting
from sources.markup import (
    employment_type,
    html_to_text,
    looks_remote,
    plain_label,
    sanitize_html,
)
from sources.values import closing_date, parse_date

REQUIRED = ("id", "title", "company", "location", "url")
DESCRIPTIONS = ("description", "description_html", "description_text")


def read_postings_jsonl(path: Path) -> list[tuple[str, Posting]]:
    """``(id, Posting)`` pairs from a JSONL file; a bad line is an error naming its number."""
    return [_posting(record, path, number) for number, record in jsonl_objects(path, "postings")]


def _posting(record: dict[str, Any], path: Path, number: int) -> tuple[str, Posting]:
    missing = [key for key in REQUIRED if key not in record]
    if not any(key in record for key in DESCRIPTIONS):
        missing.append("description")
    if missing:
        raise ConfigError(
            f"missing {', '.join(missing)}",
            file=str(path),
            line=number,
            fix=f"every line needs {', '.join(REQUIRED)} and description",
        )
    if not isinstance(record.get("tags") or [], list):
        raise ConfigError(
            "tags must be a list", file=str(path), line=number, fix='write ["python", "sql"]'
        )
    return str(record["id"]), _from_record(record)


def _from_record(record: dict[str, Any]) -> Posting:
    description = str(next((record[k] for k in DESCRIPTIONS if record.get(k)), ""))
    html = sanitize_html(description) if "<" in description else ""
    location = plain_label(str(record["location"] or ""))
    title = plain_label(str(record["title"] or ""))
    remote = record.get("remote")
    return Posting(
        source=str(record.get("source") or "file"),
        external_id=str(record["id"]),
        url=str(record["url"] or ""),
        title=title,
        company=plain_label(str(record["company"] or "")),
        location=location,
        remote=bool(remote) if remote is not None else looks_remote(location, title),
        employment_type=employment_type(str(record.get("employment_type") or "")),
        posted_at=parse_date(record.get("posted_at")),
        description_html=html,
        description_text=html_to_text(html) if html else description.strip(),
        tags=tuple(str(t) for t in record.get("tags") or ()),
        closes_at=closing_date(record.get("closes_at")),
    )
