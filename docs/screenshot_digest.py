"""Render one demo digest in headless Chromium to a PNG, for the README.

Usage::

    .venv/bin/python docs/screenshot_digest.py docs/digest.png [--mentor maria]
        [--width 700] [--height 1440]

It runs the offline demo (``leads demo``: bundled feeds from a loopback server, matched,
digests written to an outbox) into a temporary folder with a fixed clock, so the picture is the
same every time; takes the mentor's digest from the outbox, and screenshots its HTML part with
Chromium (``$CHROMIUM``, else ``/usr/bin/chromium``; on Debian ``apt-get install chromium``).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import email
import os
import subprocess
import tempfile
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

from aggregator.demo import run_demo

# Monday 07:00 in Berlin: when the demo mentor Maria's weekly digest is due.
DEMO_NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach Google's services;
# a fresh profile keeps the picture independent of whoever ran Chromium before.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
CHROMIUM_TIMEOUT = 120  # seconds; a first start on a cold machine is slow
# Tall enough for the heading and Sam's first three leads (one with a contact who can
# introduce, one with a profile link) and ending in the gap below the third card; re-check
# the picture after the templates change.
DEFAULT_SIZE = (700, 1440)


def demo_digest(workdir: Path, mentor_id: str) -> EmailMessage:
    """The demo's digest for ``mentor_id``, as the outbox holds it."""
    result = run_demo(workdir / "demo", lambda: DEMO_NOW)
    mentor = next((m for m in result.config.mentors if m.id == mentor_id), None)
    if mentor is None:
        known = ", ".join(m.id for m in result.config.mentors)
        raise SystemExit(f"no mentor {mentor_id!r} in the demo; choose one of: {known}")
    outbox = result.config.directory / result.config.delivery.outbox
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if any(a.addr_spec == mentor.email for a in message["To"].addresses):
            return message
    raise SystemExit(f"the demo wrote no digest for {mentor_id!r} to {outbox}")


def html_part(message: EmailMessage) -> str:
    """The digest's HTML alternative."""
    body = message.get_body(preferencelist=("html",))
    if body is None:
        raise SystemExit(f"digest {message['Message-ID']} has no text/html part")
    content: str = body.get_content()  # a text/* part decodes to str
    return content


def chromium() -> str:
    """The Chromium executable: ``$CHROMIUM``, else ``/usr/bin/chromium``."""
    path = os.environ.get("CHROMIUM", DEFAULT_CHROMIUM)
    if not Path(path).is_file():
        raise SystemExit(
            f"Chromium not found at {path}; install it (`apt-get install chromium`) "
            "or set CHROMIUM to its path"
        )
    return path


def screenshot(browser: str, page: Path | str, png: Path, width: int, height: int) -> None:
    """Screenshot ``page`` (a local HTML file, or a URL) into ``png`` at ``width`` by
    ``height`` pixels."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--screenshot={png.resolve()}",
            page.resolve().as_uri() if isinstance(page, Path) else page,
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT, check=False
        )
    if done.returncode != 0 or not png.is_file():
        raise SystemExit(f"Chromium failed (exit {done.returncode}):\n{done.stderr.strip()}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the PNG to write and the picture's size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("png", type=Path, help="where to write the screenshot")
    parser.add_argument("--mentor", default="maria", help="whose digest (a demo mentor id)")
    width, height = DEFAULT_SIZE
    parser.add_argument("--width", type=int, default=width, help="window width in pixels")
    parser.add_argument("--height", type=int, default=height, help="window height in pixels")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the demo, take the mentor's digest and screenshot it."""
    args = parse_args(argv)
    browser = chromium()  # before the demo, so a missing browser fails in a second
    with tempfile.TemporaryDirectory(prefix="digest-screenshot-") as temp:
        workdir = Path(temp)
        page = workdir / "digest.html"
        page.write_text(html_part(demo_digest(workdir, args.mentor)), encoding="utf-8")
        args.png.parent.mkdir(parents=True, exist_ok=True)
        screenshot(browser, page, args.png, args.width, args.height)
    print(f"wrote {args.png} ({args.png.stat().st_size:,} bytes, {args.width}x{args.height})")


if __name__ == "__main__":
    main()
