"""``leads events``: the networking events suggested to each mentee."""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from aggregator.cli._common import (
    FittedListing,
    app,
    busy,
    check_mentees,
    clock,
    errors_handled,
    heading_for,
    labelled_notes,
    load,
    open_store,
    out,
    safe,
)
from aggregator.core.models import Event, Mentee
from aggregator.core.wording import counted
from sources import SOURCE_TYPES


@app.command()
def events(
    mentee: Annotated[str | None, typer.Option("--mentee", "-m", help="Only this mentee.")] = None,
) -> None:
    """List the upcoming networking events suggested to each mentee (near them or online,
    on their topics)."""
    with errors_handled():
        config = load()
        check_mentees(config, [mentee] if mentee else None)
        chosen = [m for m in config.mentees if mentee is None or m.id == mentee]
        with busy(f"suggesting events to {counted(len(chosen), 'mentee')}"):
            # scikit-learn (through the matcher package), imported only by the commands that
            # need it, is most of the wait.
            from aggregator.stages.events import suggested_events

            with open_store(config) as store:
                found = suggested_events(config, store, clock(), chosen)
    if not any(SOURCE_TYPES[source.type].events for source in config.sources):
        out.print(
            f"No events to suggest: no source in {config.path} lists events yet (add an `ical` "
            "or `events_rss` source: a calendar of meetups or talks near your mentees)."
        )
        return
    for each in chosen:
        table = FittedListing(
            heading_for("Events", each),
            *("#", "when", "event", "fit"),
            below=("where", "organiser"),
            one_line=("when",),
            numbers=("#", "fit"),
        )
        for number, suggestion in enumerate(found.get(each.id, []), start=1):
            event = suggestion.event
            where, organiser = safe(suggestion.place), safe(event.organiser)
            table.add_row(
                str(number),
                str(number),
                safe(_when(event)),
                safe(event.title),
                f"{suggestion.score:.2f}",
                below=[where, organiser],
                notes=[labelled_notes(("where", where), ("organiser", organiser))],
                links=[event.url],
            )
        table.print(out, _no_events(each, config.events.horizon_days))


def _when(event: Event) -> str:
    """When the event starts, in its own time zone by that zone's abbreviation ("2026-12-22
    18:00 CST"): the zone's full name took 16 of 80 columns, and the table cut event names."""
    start = event.start
    with suppress(ValueError, ZoneInfoNotFoundError):  # none, or no zone this system knows
        start = start.astimezone(ZoneInfo(event.timezone))
    return f"{start:%Y-%m-%d %H:%M} {start.tzname() or 'UTC'}"


def _no_events(mentee: Mentee, days: int) -> str:
    """Why a mentee has no event suggested although calendars are configured."""
    near = f"near {', '.join(mentee.locations)} or online" if mentee.locations else "online"
    return f"No events for {mentee.id} in the next {days} days ({near}, on their topics)."
