"""Links shown to people: only plain http(s) URLs, labelled with the host a browser opens.

A browser reads a URL by the WHATWG URL Standard, Python's ``urlsplit`` by RFC 3986, and the
two disagree on exactly the URLs an attacker would write: for
``https://evil.example\\@jobs.greenhouse.io/apply`` a browser treats the backslash as ``/``
and opens evil.example, while ``urlsplit`` reads ``evil.example\\`` as a user name and names
jobs.greenhouse.io. So a URL is shown only when the readings cannot differ: its authority
(what follows ``//`` up to the first ``/``, ``\\``, ``?`` or ``#``, as WHATWG cuts it) is
a bare host with an optional port (no user info or percent-escape), and the whole URL has
no backslash, space, control or invisible format character. Shared by the digest, the
web view and the terminal's listings.
"""

from __future__ import annotations

import re

# WHATWG cuts the authority of an http(s) URL at any of / \ ? #.
_AUTHORITY = re.compile(r"https?://([^/\\?#]*)", re.IGNORECASE)
# A registered name (letters of any script, digits, dots, hyphens) or a bracketed IPv6
# address, then an optional port. Nothing else: no '@' (user info), '%' (an escaped host a
# browser decodes), '\\' or other punctuation.
_PLAIN_AUTHORITY = re.compile(
    r"(?P<host>(?=[.-]*[^\W_])(?:[^\W_]|[.-])+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)
# Controls (C0, DEL, C1), every kind of space, and the invisible format characters a
# browser strips or a reader cannot see (zero-width, bidi controls).
# Backslashes too: WHATWG reads them as '/', RFC 3986 readers (mail clients, Python) do not.
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\s\\\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def safe_url(url: str | None) -> str | None:
    """``url`` (stripped) when it is an http(s) link every reader opens at the same host;
    else None."""
    if not url:
        return None
    candidate = url.strip()
    if _UNSAFE.search(candidate):
        return None
    return candidate if _host(candidate) is not None else None


def link_label(url: str | None) -> str | None:
    """The host a browser opens for a :func:`safe_url` link (lower case, without ``www.``),
    or None when the URL is not safe to show."""
    candidate = safe_url(url)
    host = _host(candidate) if candidate else None
    return host.lower().removeprefix("www.") if host else None


def _host(url: str) -> str | None:
    """The host of an http(s) URL whose authority is a plain host (and port), else None."""
    authority = _AUTHORITY.match(url)
    plain = _PLAIN_AUTHORITY.fullmatch(authority.group(1)) if authority else None
    return plain.group("host") if plain else None
