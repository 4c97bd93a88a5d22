"""The recorded feeds as the tests that replay them years later need them: still listed.

The We Work Remotely recordings are from November 2022 and name when each listing expires
(``<expires_at>``, a month after it was posted). Tests of collecting, matching and sending
that replay them at today's date lift the age limit (``matching.max_age_days: null``); they
read the feeds without the expiry dates for the same reason, or every job would have closed
in 2022. tests/test_source_closing.py and tests/test_closed_leads.py test the expiry itself.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from functools import cache
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
_LISTING_EXPIRY = re.compile(rb"\s*<expires_at>[^<]*</expires_at>")
_FEEDS = "rss"  # the fixtures' folder of RSS recordings: the only ones that name an expiry


def still_listed(recording: bytes) -> bytes:
    """``recording`` without its listings' expiry dates."""
    return _LISTING_EXPIRY.sub(b"", recording)


@cache
def still_listed_fixtures() -> Path:
    """A folder holding tests/fixtures with every RSS recording ``still_listed`` (the rest
    linked), made once per test process."""
    folder = Path(tempfile.mkdtemp(prefix="fixtures-still-listed-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for entry in FIXTURES.iterdir():
        if entry.name != _FEEDS:
            (folder / entry.name).symlink_to(entry)
    shutil.copytree(FIXTURES / _FEEDS, folder / _FEEDS)
    for path in (folder / _FEEDS).rglob("*"):
        if path.is_file():
            path.write_bytes(still_listed(path.read_bytes()))
    return folder
