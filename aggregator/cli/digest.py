"""``leads digest``: email each mentor the best new leads for their mentees."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from aggregator.cli._common import (
    EXIT_FAILURES,
    app,
    busy,
    clock,
    console_log_without,
    err,
    errors_handled,
    load,
    open_store,
    out,
    print_wrapped,
    refuse_unknown,
    safe,
    writing,
)

if TYPE_CHECKING:
    from rich.console import Console

    from aggregator.stages.digest import DigestOutcome


@app.command()
def digest(
    mentor: Annotated[str | None, typer.Option("--mentor", "-m", help="Only this mentor.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent; send and record nothing.")
    ] = False,
    preview: Annotated[
        Path | None,
        typer.Option("--preview", help="Also write each digest's HTML and text to this folder."),
    ] = None,
) -> None:
    """Email each mentor the best new leads for their mentees (SMTP, or .eml files)."""
    from aggregator.checking import refuse_unusable_folder
    from aggregator.stages import (
        digest as digest_stage,  # Jinja2 and rapidfuzz are only needed here
    )

    with errors_handled():
        if preview is not None:  # said once, before any work, not as a failure per mentor
            refuse_unusable_folder(preview, "--preview")
        config = load()
        ids = [m.id for m in config.mentors]
        fix = f"mentor ids are listed under `mentors:` in {config.path}"
        refuse_unknown("mentor with id", [mentor] if mentor else [], ids, fix=fix)
        lock = nullcontext() if dry_run else writing(config)  # a dry run writes nothing
        doing = (
            "composing digests (dry run: nothing is sent)"
            if dry_run
            else "composing and sending digests"
        )
        printed = console_log_without(digest_stage.FAILED_DIGEST)  # each outcome below
        with lock, open_store(config) as store, busy(doing), printed:
            report = digest_stage.deliver(
                config, store, clock, mentor=mentor, dry_run=dry_run, preview=preview
            )
    for outcome in report.outcomes:
        print_digest_outcome(outcome, report.destination, wrap=out.is_terminal)
    if preview is not None:
        rendered = [
            o
            for o in report.outcomes
            if o.summary is not None and o.status is not digest_stage.DigestStatus.NOTHING_NEW
        ]
        failed = any(o.status is digest_stage.DigestStatus.FAILED for o in report.outcomes)
        out.print(
            safe(f"Previews written to {preview.resolve()}")
            if rendered
            else "No previews written: "
            + ("see the failures above." if failed else "no mentor has a digest to send."),
            soft_wrap=True,
        )
    if not report.ok:
        raise typer.Exit(EXIT_FAILURES)


def print_digest_outcome(outcome: DigestOutcome, destination: str, *, wrap: bool) -> None:
    """One mentor's line (and, for a dry run, the leads the digest would carry). ``wrap``:
    each line wrapped at spaces to the width, its later lines indented under its first (for
    a person); else whole, however long (a script reads a line a mentor)."""
    from aggregator.stages.digest import DigestStatus
    from digests.render import fit_label

    def say(line: Text, indent: int = 2, console: Console = out) -> None:
        if wrap:
            print_wrapped(console, line, indent)
        else:
            console.print(line, soft_wrap=True)

    summary = outcome.summary
    if outcome.status is DigestStatus.ELSEWHERE:
        say(safe(f"{outcome.mentor}: sent by {outcome.error} (not sent twice)"))
        return
    if outcome.status is DigestStatus.FAILED or summary is None:
        say(safe(f"{outcome.mentor}: not delivered: {outcome.error}", style="red"), console=err)
        return
    if outcome.status is DigestStatus.NOTHING_NEW:
        say(Text(f"{outcome.mentor}: nothing new"))
        return
    line = Text(f"{outcome.mentor}: ")
    line.append(safe(summary.subject))
    line.append(f" → {summary.recipient}")
    if outcome.status is DigestStatus.SENT:
        line.append(f" ({destination})", style="dim")
    else:
        line.append(" (dry run: not sent)", style="dim")
    say(line)
    if outcome.status is not DigestStatus.DRY_RUN:
        return
    for mentee, leads in summary.sections:
        # A mentee's section without leads carries their news (or is sent empty).
        heading = Text(f"  {mentee}:", style="bold")
        say(heading.append(" no new leads", style="dim") if not leads else heading, indent=4)
        for lead in leads:
            row = Text("    ")
            row.append(safe(f"{lead.title} — {lead.company}"))
            row.append(f"  ({fit_label(lead.score)}, {lead.score:.2f})", style="dim")
            say(row, indent=6)
