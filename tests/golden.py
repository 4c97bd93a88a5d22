"""Golden files: recorded input → the Posting fields we expect, reviewable as JSON.

Descriptions are kept as their first 300 characters plus a hash of the whole, so a golden file
reads well in review yet still catches any change. ``UPDATE_GOLDEN=1 pytest …`` rewrites them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aggregator.models import Posting

GOLDEN_DIR = Path(__file__).parent / "fixtures" / "golden"


def golden_record(posting: Posting) -> dict[str, Any]:
    """A posting as a golden-file record."""
    record = asdict(posting)
    record["posted_at"] = posting.posted_at.isoformat() if posting.posted_at else None
    record["tags"] = list(posting.tags)
    for field in ("description_html", "description_text"):
        full = record.pop(field)
        record[f"{field}_start"] = full[:300]
        record[f"{field}_sha256"] = hashlib.sha256(full.encode()).hexdigest()[:16]
    return record


def assert_matches_golden(postings: Sequence[Posting], name: str) -> None:
    """Compare postings with tests/fixtures/golden/NAME.json (or rewrite it when updating)."""
    path = GOLDEN_DIR / f"{name}.json"
    actual = [golden_record(p) for p in postings]
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1 and review it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert len(actual) == len(expected), (
        f"{name}: {len(actual)} postings, golden has {len(expected)}"
    )
    for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
        assert got == want, f"{name}: posting {index} differs from the golden file"
