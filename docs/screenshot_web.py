"""Render a demo mentee's web page in headless Chromium to a PNG, for the README.

Usage::

    .venv/bin/python docs/screenshot_web.py docs/web.png [--mentee sam-lee]
        [--width 800] [--height 1400]

It runs the offline demo into a temporary folder with a fixed clock (as
``screenshot_digest.py`` does), marks the mentee's best lead Applied and the next Interested,
serves the web view on a free loopback port (uvicorn, in this process) and screenshots the
mentee's private page with Chromium (``$CHROMIUM``, else ``/usr/bin/chromium``).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
from pathlib import Path

import uvicorn
from screenshot_digest import DEMO_NOW, chromium, screenshot

from aggregator.core.models import Verdict
from aggregator.demo import run_demo
from aggregator.stages.advice import StoredAdvice
from aggregator.store import Store
from web.app import create_app
from web.links import Links
from web.tokens import Holder, load_keyring

DEFAULT_SIZE = (800, 1400)


def serve(app: object) -> tuple[uvicorn.Server, int]:
    """Start ``app`` on a free loopback port in a thread; the server and its port."""
    listening = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))  # type: ignore[arg-type]
    threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True).start()
    return server, int(listening.getsockname()[1])


def main(argv: list[str] | None = None) -> None:
    """Run the demo, mark two statuses, serve the page and screenshot it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("png", type=Path, help="where to write the screenshot")
    parser.add_argument("--mentee", default="sam-lee", help="whose page (a demo mentee id)")
    width, height = DEFAULT_SIZE
    parser.add_argument("--width", type=int, default=width, help="window width in pixels")
    parser.add_argument("--height", type=int, default=height, help="window height in pixels")
    args = parser.parse_args(argv)
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="web-screenshot-") as temp:
        config = run_demo(Path(temp) / "demo", lambda: DEMO_NOW).config
        store = Store(config.database_url)
        best = store.matches(args.mentee)
        store.record_feedback(args.mentee, best[0].lead_id, Verdict.APPLIED, DEMO_NOW)
        store.record_feedback(args.mentee, best[1].lead_id, Verdict.INTERESTED, DEMO_NOW)
        keyring = load_keyring(config.web_secret_path)
        advice = StoredAdvice(config, store)
        server, port = serve(create_app(config, store, keyring, lambda: DEMO_NOW, advice))
        path = Links(config, store, keyring).url(Holder.MENTEE, args.mentee, DEMO_NOW)
        url = f"http://127.0.0.1:{port}/m/{path.rsplit('/', 1)[1]}"
        args.png.parent.mkdir(parents=True, exist_ok=True)
        try:
            screenshot(browser, url, args.png, args.width, args.height)
        finally:
            server.should_exit = True
            store.close()
    print(f"wrote {args.png} ({args.png.stat().st_size:,} bytes, {args.width}x{args.height})")


if __name__ == "__main__":
    main()
