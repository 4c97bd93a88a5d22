"""``leads serve`` and ``leads links``: the mentees' web view and the private links to it."""

from __future__ import annotations

import errno
import json
import socket
import sys
from typing import Annotated

import typer

from aggregator.cli._common import (
    MatchFormat,
    app,
    clock,
    errors_handled,
    load,
    open_store,
    out,
    refuse_unknown,
    safe,
)
from aggregator.core.config import AppConfig
from aggregator.core.errors import UsageError
from aggregator.store import Store
from web.tokens import Holder

# -- serve -----------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0: any free).")
    ] = 8080,
) -> None:
    """Serve the mentees' web view: each mentee's leads behind their private link."""
    import uvicorn  # the web stack is only needed here

    from aggregator.stages.advice import StoredAdvice
    from web.app import create_app
    from web.tokens import load_keyring

    with errors_handled():
        config = load()
        keyring = load_keyring(config.web_secret_path)
        listening = _listen(host, port)
        store = Store.of(config)
    bound_host, bound_port = listening.getsockname()[:2]
    # The socket listens before this line is printed, so a client that reads it can connect.
    out.print(f"Serving the web view on http://{_url_host(bound_host)}:{bound_port} (Ctrl-C stops)")
    out.print("Private links: `leads links` (mentees), `leads links --mentors` (mentors).")
    sys.stdout.flush()
    # No access log: every request line holds a private link.
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config, store, keyring, clock, StoredAdvice(config, store)),
            log_level="warning",
            access_log=False,
            server_header=False,
            lifespan="off",
        )
    )
    try:
        server.run(sockets=[listening])
    finally:
        store.close()


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port``; a clear error naming the option to change."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}", fix=_listen_fix(exc)
        ) from exc


def _listen_fix(exc: OSError) -> str:
    """What to change when listening failed: the host when it names no address of this
    machine (it does not resolve, or is another machine's), else the port."""
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return "choose another --host: an address of this machine (0.0.0.0: all of them)"
    if exc.errno == errno.EACCES:
        return "choose a --port above 1023, or run with the privilege to listen on it"
    return "choose another --port, or stop the program using it"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


# -- links -----------------------------------------------------------------------------


@app.command()
def links(
    mentee: Annotated[
        str | None, typer.Option("--mentee", "-m", help="Only this mentee (an id).")
    ] = None,
    format: Annotated[MatchFormat, typer.Option("--format", "-f", help="Output format.")] = (
        MatchFormat.table
    ),
    rotate: Annotated[
        str | None,
        typer.Option(
            "--rotate",
            metavar="ID",
            help="Revoke this mentee's link (with --mentors, this mentor's) and issue a new one.",
        ),
    ] = None,
    mentors: Annotated[
        bool, typer.Option("--mentors", help="The mentors' links: their mentees at a glance.")
    ] = False,
) -> None:
    """Print each mentee's private link to their leads (web.base_url + /m/<token>); a link
    is created on first use."""
    from web.links import Links  # reads the web key: only when links are asked for

    holder = Holder.MENTOR if mentors else Holder.MENTEE
    with errors_handled():
        config = load()
        wanted = _wanted(config, holder, rotate or mentee)
        with open_store(config) as store:
            issuer, now = Links(config, store), clock()
            urls = [
                (subject, name, issuer.url(holder, subject, now, rotate=rotate is not None))
                for subject, name in wanted
            ]
    if format is MatchFormat.jsonl:
        for subject, _, url in urls:
            sys.stdout.write(json.dumps({holder.value: subject, "url": url}) + "\n")
        return
    # Plain aligned columns rather than a drawn table: a link must never be wrapped or cut.
    rows = [
        (holder.value, "name", "link"),
        *((safe(s).plain, safe(n).plain, u) for s, n, u in urls),
    ]
    widths = [max(len(row[column]) for row in rows) for column in (0, 1)]
    for subject, name, url in rows:
        sys.stdout.write(f"{subject.ljust(widths[0])}  {name.ljust(widths[1])}  {url}\n")
    if not config.web_base_url:
        out.print("web.base_url is not set: the links point at `leads serve` on this machine.")


def _wanted(config: AppConfig, holder: Holder, subject: str | None) -> list[tuple[str, str]]:
    """(id, name) of the mentees or mentors asked for; a usage error for an unknown id."""
    people = config.mentors if holder is Holder.MENTOR else config.mentees
    found = [(p.id, p.name) for p in people if subject is None or p.id == subject]
    if subject is not None:
        listing = "leads links --mentors" if holder is Holder.MENTOR else "leads links"
        ids = [p.id for p in people]
        refuse_unknown(f"{holder.value} with id", [subject], ids, fix=f"`{listing}` lists the ids")
    return found
