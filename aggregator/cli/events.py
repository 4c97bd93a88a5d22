"""``leads events``: the networking events suggested to each mentee."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from aggregator.cli._common import app, clock, errors_handled, load, open_store, out, safe
from aggregator.core.errors import ConfigError


@app.command()
def events(
    mentee: Annotated[str | None, typer.Option("--mentee", "-m", help="Only this mentee.")] = None,
) -> None:
    """List the upcoming networking events suggested to each mentee (near them or online,
    on their topics)."""
    # scikit-learn (through the matcher package) is imported only by the commands that need it.
    from aggregator.stages.events import suggested_events

    with errors_handled():
        config = load()
        chosen = [m for m in config.mentees if mentee is None or m.id == mentee]
        if mentee is not None and not chosen:
            raise ConfigError(
                f"no mentee with id {mentee}",
                file=str(config.path),
                fix="mentee ids are listed under `mentees:` (an id defaults to a slug of the name)",
            )
        with open_store(config) as store:
            found = suggested_events(config, store, clock(), chosen)
    for each in chosen:
        table = Table(title=f"Events for {each.id}", title_justify="left")
        for column in ("when", "event", "where", "organiser", "link", "fit"):
            table.add_column(column, overflow="fold")
        for suggestion in found.get(each.id, []):
            event = suggestion.event
            table.add_row(
                event.start.strftime("%Y-%m-%d %H:%M ") + safe(event.timezone).plain,
                safe(event.title),
                safe(f"{event.venue or event.city} ({suggestion.where})".strip()),
                safe(event.organiser),
                safe(event.url),
                f"{suggestion.score:.2f}",
            )
        out.print(table)
