"""How a posting is recognised again: canonical URLs, per-source fingerprints and content hashes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import astuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aggregator.core.models import Posting

# Query parameters that say how someone arrived, not which job it is.
_TRACKING_PARAMS = frozenset(
    {
        "ref",
        "referrer",
        "source",
        "src",
        "gclid",
        "fbclid",
        "mc_cid",
        "mc_eid",
        "gh_src",
        "lever-source",
    }
)


def canonical_url(url: str) -> str:
    """The URL with tracking parameters, fragments, default ports and case noise removed."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and (scheme, parts.port) not in {("http", 80), ("https", 443)}:
        host = f"{host}:{parts.port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in _TRACKING_PARAMS
    ]
    path = parts.path if parts.path not in ("", "/") else "/"
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


def fingerprint(posting: Posting) -> str:
    """A stable key for the posting within its source: external id, else URL, else content."""
    if posting.external_id:
        basis = "id:" + posting.external_id
    elif posting.url:
        basis = "url:" + canonical_url(posting.url)
    else:
        basis = "text:" + "\x1f".join(
            (posting.company.lower(), posting.title.lower(), posting.description_text)
        )
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def content_hash(posting: Posting) -> str:
    """A hash of everything a reader would see; it changes when the posting is edited."""
    salary = astuple(posting.salary) if posting.salary else None
    posted = posting.posted_at.isoformat() if posting.posted_at else None
    fields = (
        posting.external_id, posting.url, posting.title, posting.company, posting.location,
        posting.remote, posting.employment_type, salary, posted, posting.description_html,
        posting.description_text, posting.tags,
    )  # fmt: skip
    # When applications close is shown too; added only when known, so the hashes of postings
    # stored before it was read stay as they were unless a closing date is new.
    closes = (posting.closes_at.isoformat(),) if posting.closes_at else ()
    return hashlib.sha256(json.dumps((*fields, *closes)).encode()).hexdigest()[:32]
