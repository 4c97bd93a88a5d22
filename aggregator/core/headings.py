"""Which lines of a posting's plain text are headings and which are list items: read by the
matcher (what a section is about) and by the digest (where a summary starts) alike."""

from __future__ import annotations

import re

BULLET = re.compile(r"^\s*(?:[\u2022\-*\u2013\u00b7\u25aa\u25cf\u25e6]|\d+[.)])\s*")
HEADING_WORDS = 9  # a longer line is text, however it ends


def is_heading(line: str) -> bool:
    """A short line that is no list item and ends in a colon or in no punctuation at all."""
    words = line.split()
    if not words or len(words) > HEADING_WORDS or BULLET.match(line):
        return False
    return line.endswith(":") or not line.rstrip().endswith((".", ",", ";", "!"))
