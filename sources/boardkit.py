"""Small helpers the job-board API sources share: loose field access, URLs and record lists.

Board APIs send ``null`` where a string belongs, numbers where ids are strings, a string where a
list belongs; these helpers turn all of that into plain ``str``/``list[str]`` values so a mapping
function never raises KeyError or TypeError on a stranger's record.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from sources.jsonapi import expect_dict, expect_list
from sources.markup import plain_label

log = logging.getLogger(__name__)


def text(record: Mapping[str, Any], *keys: str) -> str:
    """The first non-empty string (or number) under ``keys``, as ``str``; "" when none is."""
    for key in keys:
        value = record.get(key)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, str | int | float) and str(value).strip():
            return str(value).strip()
    return ""


# What boards put in a field that has nothing to say.
_PLACEHOLDERS = frozenset({"n/a", "na", "none", "null", "undefined", "unknown", "-", "--", "tbd"})


def label(value: str) -> str:
    """A one-line label (see markup.plain_label); placeholders such as "N/A" become ""."""
    plain = plain_label(value)
    return "" if plain.lower() in _PLACEHOLDERS else plain


def strings(value: Any) -> list[str]:
    """A list of non-empty strings from a list, a single string or nothing."""
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if not isinstance(value, list | tuple):
        return []
    return [
        str(item).strip() for item in value if isinstance(item, str | int) and str(item).strip()
    ]


def unique(labels: list[str]) -> tuple[str, ...]:
    """Non-empty labels in first-seen order, duplicates (ignoring case) dropped."""
    seen: dict[str, str] = {}
    for label in labels:
        if label and label.lower() not in seen:
            seen[label.lower()] = label
    return tuple(seen.values())


def records(value: Any, what: str, url: str) -> list[dict[str, Any]]:
    """The objects of a JSON list; other members (strings, nulls) are skipped and logged."""
    items = expect_list(value, what, url)
    found = [item for item in items if isinstance(item, dict)]
    if len(found) < len(items):
        log.info("%s: skipped %d %s that are not objects", url, len(items) - len(found), what)
    return found


def member(data: Any, key: str, what: str, url: str) -> Any:
    """``data[key]`` of a JSON object; a clear FeedFormatError when ``data`` is no object."""
    return expect_dict(data, what, url).get(key)


def with_query(url: str, params: Mapping[str, str | int | None]) -> str:
    """``url`` with ``params`` added to its query (replacing same-named ones; None is left out)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({key: str(value) for key, value in params.items() if value is not None})
    return urlunsplit(parts._replace(query=urlencode(query)))


def absolute_url(link: str, base: str) -> str:
    """``link`` resolved against ``base``, with the host in lower case; "" for non-web links."""
    if not link:
        return ""
    resolved = urlsplit(urljoin(base, link.strip()))
    if resolved.scheme not in ("http", "https") or not resolved.netloc:
        return ""
    return urlunsplit(resolved._replace(netloc=resolved.netloc.lower()))
