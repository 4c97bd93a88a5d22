"""Postings from a JSONL file, for ``leads rank``: one JSON object per line.

Each line needs ``id``, ``title``, ``company``, ``location``, ``url`` and a description
(``description``, HTML or plain text; ``description_html`` or ``description_text`` also do).
``remote``, ``posted_at`` (ISO 8601), ``tags`` and ``employment_type`` are read when present,
so the output of ``leads postings --format jsonl`` can be ranked as it is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aggregator.core.errors import ConfigError
from aggregator.core.models import Posting
from sources.markup import (
    employment_type,
    html_to_text,
    looks_remote,
    plain_label,
    sanitize_html,
)
from sources.values import parse_date

REQUIRED = ("id", "title", "company", "location", "url")
DESCRIPTIONS = ("description", "description_html", "description_text")


def read_postings_jsonl(path: Path) -> list[tuple[str, Posting]]:
    """``(id, Posting)`` pairs from a JSONL file; a bad line is an error naming its number."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read the postings file ({exc})", file=str(path)) from exc
    postings = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            postings.append(_posting(line, path, number))
    return postings


def _posting(line: str, path: Path, number: int) -> tuple[str, Posting]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"not valid JSON ({exc.msg})", file=str(path), line=number, fix="one object per line"
        ) from exc
    if not isinstance(record, dict):
        raise ConfigError("each line must be a JSON object", file=str(path), line=number)
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
    )
