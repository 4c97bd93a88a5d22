"""``leads events``: the networking events suggested to each mentee."""

from __future__ import annotations

from typing import Annotated

import typer

from aggregator.cli._common import (
    app,
    check_mentees,
    clock,
    errors_handled,
    heading_for,
    listing,
    load,
    open_store,
    out,
    print_listing,
    safe,
)
from aggregator.core.models import Mentee
from sources import SOURCE_TYPES


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
        check_mentees(config, [mentee] if mentee else None)
        chosen = [m for m in config.mentees if mentee is None or m.id == mentee]
        with open_store(config) as store:
            found = suggested_events(config, store, clock(), chosen)
    if not any(SOURCE_TYPES[source.type].events for source in config.sources):
        out.print(
            f"No events to suggest: no source in {config.path} lists events yet (add an `ical` "
            "or `events_rss` source: a calendar of meetups or talks near your mentees)."
        )
        return
    for each in chosen:
        table = listing(
            heading_for("Events", each),
            *("#", "when", "event", "where", "organiser", "fit"),
            one_line=("when",),
            numbers=("#", "fit"),
        )
        links = []
        for number, suggestion in enumerate(found.get(each.id, []), start=1):
            event = suggestion.event
            table.add_row(
                str(number),
                event.start.strftime("%Y-%m-%d %H:%M ") + safe(event.timezone).plain,
                safe(event.title),
                safe(suggestion.place),
                safe(event.organiser),
                f"{suggestion.score:.2f}",
            )
            links.append((str(number), [event.url]))
        print_listing(out, table, links, _no_events(each, config.events.horizon_days))


def _no_events(mentee: Mentee, days: int) -> str:
    """Why a mentee has no event suggested although calendars are configured."""
    near = f"near {', '.join(mentee.locations)} or online" if mentee.locations else "online"
    return f"No events for {mentee.id} in the next {days} days ({near}, on their topics)."
