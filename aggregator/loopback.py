"""A small static web server on 127.0.0.1 for the offline demo: recorded feeds, served for real.

It answers conditional GETs (ETag and Last-Modified → 304) like a well-behaved feed host, so the
demo exercises the same code paths as a real run.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _ConditionalHandler(SimpleHTTPRequestHandler):
    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if path.is_file():
            etag = '"' + hashlib.sha256(path.read_bytes()).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(HTTPStatus.NOT_MODIFIED)
                self.send_header("ETag", etag)
                self.end_headers()
                return None
            self._etag = etag
        return super().send_head()

    def end_headers(self) -> None:
        etag = getattr(self, "_etag", None)
        if etag:
            self.send_header("ETag", etag)
        super().end_headers()

    def guess_type(self, path: Any) -> str:
        suffix = Path(str(path)).suffix
        return "application/rss+xml" if suffix in (".rss", ".xml") else super().guess_type(path)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the demo prints its own
        pass


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve ``root`` on a free port of 127.0.0.1; yields the base URL (ending in '/')."""
    handler = partial(_ConditionalHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="demo-feed-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
