"""Golden files: recorded input → every Posting field we expect, reviewable as JSON.

Each source test compares its postings with tests/fixtures/golden/<name>.json. Descriptions up
to 1000 characters are stored in full; longer ones as their sha256, length and first 200
characters, so the golden files stay reviewable yet still catch any change.

After an intended change, regenerate them and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from aggregator.core.models import Posting

GOLDEN_DIR = Path(__file__).parent / "fixtures" / "golden"
FULL_TEXT_LIMIT = 1000


def _description(value: str) -> str | dict[str, Any]:
    if len(value) <= FULL_TEXT_LIMIT:
        return value
    return {
        "sha256": hashlib.sha256(value.encode()).hexdigest(),
        "chars": len(value),
        "starts_with": value[:200],
    }


def golden_record(posting: Posting) -> dict[str, Any]:
    """A posting as JSON-ready data: dates as ISO strings, long descriptions as digests."""
    record = dataclasses.asdict(posting)
    record["posted_at"] = posting.posted_at.isoformat() if posting.posted_at else None
    record["closes_at"] = posting.closes_at.isoformat() if posting.closes_at else None
    record["tags"] = list(posting.tags)
    record["description_html"] = _description(posting.description_html)
    record["description_text"] = _description(posting.description_text)
    return record


def _differences(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> list[str]:
    found = []
    if len(actual) != len(expected):
        found.append(f"{len(actual)} postings, golden has {len(expected)}")
    for index, (got, want) in enumerate(zip(actual, expected, strict=False)):
        for key in sorted(set(got) | set(want)):
            if got.get(key) != want.get(key):
                found.append(f"posting {index} {key}: {got.get(key)!r} != golden {want.get(key)!r}")
    return found


def assert_matches_golden(postings: Sequence[Posting], name: str) -> None:
    """Compare postings with tests/fixtures/golden/NAME.json, field by field.

    With ``UPDATE_GOLDEN=1`` the file is rewritten instead and the test is skipped.
    """
    actual = [golden_record(posting) for posting in postings]
    path = GOLDEN_DIR / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        pytest.skip(f"rewrote {path.relative_to(GOLDEN_DIR.parent.parent.parent)}; review the diff")
    assert path.exists(), f"no {path}; create it with UPDATE_GOLDEN=1"
    expected = json.loads(path.read_text(encoding="utf-8"))
    differences = _differences(actual, expected)
    assert not differences, (
        f"{len(differences)} differences from {path.name} (UPDATE_GOLDEN=1 to accept):\n"
        + "\n".join(differences[:20])
    )
