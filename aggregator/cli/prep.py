"""``leads prep``: interview preparation for one mentee and one lead."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from aggregator.cli._common import (
    app,
    busy,
    check_mentees,
    clock,
    err,
    errors_handled,
    load,
    open_store,
    out,
    print_wrapped,
    safe,
)
from aggregator.store import Store


class PrepFormat(StrEnum):
    """Formats of a prep sheet."""

    text = "text"
    markdown = "markdown"
    json = "json"


@app.command()
def prep(
    mentee: Annotated[str, typer.Argument(help="The mentee's id.")],
    lead: Annotated[int, typer.Argument(help="The lead's id (as `leads matches` lists it).")],
    format: Annotated[PrepFormat, typer.Option("--format", "-f", help="Output format.")] = (
        PrepFormat.text
    ),
) -> None:
    """Prepare MENTEE for an interview for LEAD: likely questions, what to brush up on, what
    to ask them."""
    with errors_handled():
        config = load()
        check_mentees(config, [mentee])
        with busy(f"preparing {mentee} for lead {lead}"):
            # scikit-learn (through the matcher package), imported only by the commands that
            # need it, is most of the wait.
            from aggregator.stages.prep import prep_for
            from digests.prep import prep_markdown, prep_record, prep_text

            with open_store(config) as store:
                sheet = prep_for(config, store, mentee, lead)
                notes = _notes(store, mentee, lead)
    for note in notes:  # on stderr: the sheet on stdout stays what its format says
        print_wrapped(err, safe(note, style="yellow"))
    if format is PrepFormat.json:
        sys.stdout.write(json.dumps(prep_record(sheet), ensure_ascii=False) + "\n")
        return
    if format is PrepFormat.markdown:
        rendered = prep_markdown(sheet)
    else:  # wrapped to a terminal's width; whole lines to a file or a pipe
        rendered = prep_text(sheet, width=out.width if out.is_terminal else None)
    out.print(safe(rendered), end="", soft_wrap=True)


def _notes(store: Store, mentee: str, lead: int) -> list[str]:
    """What to know before using the sheet: that the job's applications have closed, that
    the lead is none of the mentee's matches (seen: neither was said)."""
    notes = []
    shown = store.representatives([lead], brief=True)[lead]
    if shown.closes_at is not None and shown.is_closed(clock()):
        notes.append(
            f"Applications to this job closed on {shown.closes_at:%Y-%m-%d}: the sheet is "
            "still useful for an interview."
        )
    if store.match(mentee, lead) is None:
        notes.append(
            f"Lead {lead} is not matched to {mentee}: the sheet is still made, what to brush up "
            f"on worked out from their profile (`leads matches --mentee {mentee}` lists their "
            "matches)."
        )
    return notes
