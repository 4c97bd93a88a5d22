"""``leads demo``: the whole pipeline offline, on bundled recorded feeds and boards."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aggregator.cli._common import (
    EXIT_FAILURES,
    app,
    busy,
    clock,
    errors_handled,
    out,
    report_failures,
    safe,
)
from aggregator.cli.collect import summary_table
from aggregator.cli.digest import print_digest_outcome
from aggregator.cli.matching import print_ranking

# -- demo ------------------------------------------------------------------------------


@app.command()
def demo(
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Folder for the demo's config, database and outbox."),
    ] = Path("demo-output"),
) -> None:
    """Run the whole pipeline offline: bundled recorded feeds and boards → matches → digests."""
    # The demo matches: see _matching() on import cost.
    from aggregator.demo import RECORDED_BETWEEN, run_demo
    from digests.render import event_card

    with errors_handled(), busy("starting the demo") as say:
        result = run_demo(output, clock, on_step=say)
    report = result.report
    out.print(summary_table(report, result.event_sources))
    out.print(
        f"Collected {result.new(events=False)} new postings from "
        f"{len(report.sources) - len(result.event_sources)} recorded feeds and job boards "
        f"({result.stored} stored in all) and {result.new(events=True)} networking events "
        f"from a calendar written for the demo, and matched them to "
        f"{len(result.config.mentees)} mentees ({result.matched.matches_stored} matches stored)."
    )
    out.print(
        f"The recordings were captured between {RECORDED_BETWEEN}; the demo serves each with its "
        "dates moved forward, as if captured yesterday, so jobs keep their ages and only those "
        f"posted within {result.config.matching.max_age_days} days count as new. A job whose "
        "applications have closed is no lead: a closing date a feed gives moves with the rest, "
        "one a posting's text states does not (the text is shown as recorded)."
    )
    mentees = {m.id: m for m in result.config.mentees}
    for mentee, found in result.best.items():
        rows = [(str(m.lead_id), m.posting.posting, m.score, m.why, m.gaps) for m in found]
        name = mentees[mentee].name
        print_ranking(mentees[mentee], rows, empty=f"No lead for {name} in the recorded data.")
        for suggestion in result.events.get(mentee, []):
            card = event_card(suggestion)  # as the digest and the web page show it
            out.print(safe(f"Event near {name}: {card.title} — {card.when}, {card.where}"))
    for outcome in result.digests.outcomes:  # a person reads the demo: lines fit the width
        print_digest_outcome(outcome, result.digests.destination, wrap=True)
    # Paths and links whole on their lines, however narrow the output: a link folded in two
    # can be neither clicked nor copied.
    written = sorted(result.config.outbox_dir.glob("*.eml"))
    for line in (
        f"  config:   {result.config.path}",
        f"  database: {result.config.database_url}",
        f"  digests:  {result.config.outbox_dir} (open the .eml files in a mail program)",
        *(f"            {digest.name}" for digest in written),
        "  web view: each mentee's private page of leads:",
        *(f"            {mentee}: {url}" for mentee, url in result.links.items()),
    ):
        out.print(safe(line), soft_wrap=True)
    out.print(
        f"            start it with `leads --config {result.config.path} serve` "
        "(then open a link above; Ctrl-C stops it)"
    )
    out.print(
        f"Next: `leads --config {result.config.path} matches` lists every match; "
        "`… events` the networking events suggested to each mentee; "
        "`… postings` and `… sources` show what was collected; "
        "`… digest --dry-run --preview DIR` shows what the next digest would hold. "
        "The recorded feeds were served only while the demo ran: `… collect` cannot reach "
        "them now, and `leads demo` again collects afresh."
    )
    report_failures(report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILURES)
