"""``leads prep``: interview preparation for one mentee and one lead."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from aggregator.cli._common import (
    app,
    check_mentees,
    errors_handled,
    load,
    open_store,
    out,
    safe,
)


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
    # scikit-learn (through the matcher package) is imported only by the commands that need it.
    from aggregator.stages.prep import prep_for
    from digests.prep import prep_markdown, prep_record, prep_text

    with errors_handled():
        config = load()
        check_mentees(config, [mentee])
        with open_store(config) as store:
            sheet = prep_for(config, store, mentee, lead)
    if format is PrepFormat.json:
        sys.stdout.write(json.dumps(prep_record(sheet), ensure_ascii=False) + "\n")
        return
    if format is PrepFormat.markdown:
        rendered = prep_markdown(sheet)
    else:  # wrapped to a terminal's width; whole lines to a file or a pipe
        rendered = prep_text(sheet, width=out.width if out.is_terminal else None)
    out.print(safe(rendered), end="", soft_wrap=True)
