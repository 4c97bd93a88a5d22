"""``leads match``, ``leads matches``, ``leads rank`` and ``leads feedback``: scoring leads for
mentees and showing the result.

scikit-learn and SciPy take most of a second to import; they are imported inside the commands
that match, so that the others (collect above all, which cron runs often) do not pay for them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer

from aggregator.cli._common import (
    FittedListing,
    MatchFormat,
    State,
    app,
    busy,
    check_mentees,
    clock,
    err,
    errors_handled,
    heading_for,
    iso,
    load,
    open_store,
    out,
    safe,
    writing,
)
from aggregator.core.config import MAX_AGE_LIMIT_DAYS, MatchingConfig, load_mentees
from aggregator.core.errors import ConfigError, UsageError
from aggregator.core.models import LeadStatus, MenteeProfile, Posting, Verdict
from aggregator.core.wording import counted

if TYPE_CHECKING:
    from aggregator.stages.match import MatchReport


@app.command()
def match(
    mentee: Annotated[
        list[str] | None, typer.Option("--mentee", "-m", help="Only this mentee (repeatable).")
    ] = None,
) -> None:
    """Score new leads for each mentee and store the matches (a changed profile: all leads)."""
    with errors_handled():
        config = load()
        check_mentees(config, mentee)
        with writing(config), open_store(config) as store, busy("matching leads to mentees"):
            report = _matching().match(config, store, clock, only=mentee)
    out.print(match_summary(report))


def match_summary(report: MatchReport) -> str:
    """What a matching run did, in a sentence."""
    if report.leads == 0:
        return "No leads stored yet: run `leads collect` first."
    if not report.rescored and not report.updated:
        return "Nothing new to score."
    done = []
    if report.rescored:
        everyone = counted(len(report.rescored), "mentee")
        done.append(f"{everyone} against all {counted(report.leads, 'lead')}")
    if report.updated:
        leads = [counted(report.new_leads_scored, "new lead")] if report.new_leads_scored else []
        if report.changed_leads_scored:  # a closed job reopened, a sighting added
            leads.append(counted(report.changed_leads_scored, "changed lead"))
        done.append(f"{len(report.updated)} against {' and '.join(leads)}")
    refit = " (model refitted)" if report.refitted else ""
    stored = counted(report.matches_stored, "match", "matches")
    return f"Scored {' and '.join(done)}{refit}; stored {stored}."


# scikit-learn and SciPy take most of a second to import; commands that do not match
# (collect above all, which cron runs often) should not pay for them.
def _matching() -> ModuleType:
    from aggregator.stages import match as match_stage

    return match_stage


def _matching_offline() -> ModuleType:
    from aggregator.stages import rank as rank_stage

    return rank_stage


@app.command()
def matches(
    mentee: Annotated[str | None, typer.Option("--mentee", "-m", help="Only this mentee.")] = None,
    format: Annotated[MatchFormat, typer.Option("--format", "-f", help="Output format.")] = (
        MatchFormat.table
    ),
) -> None:
    """List stored matches, best first per mentee."""
    with errors_handled():
        config = load()
        check_mentees(config, [mentee] if mentee else None)
        with open_store(config) as store:
            found = store.matches(mentee)
            statuses = store.lead_statuses([mentee] if mentee else None)
    if format is MatchFormat.jsonl:
        for m in found:
            status = statuses.get(m.mentee, {}).get(m.lead_id)
            record = {
                "mentee": m.mentee,
                "lead": m.lead_id,
                "score": m.score,
                "why": list(m.why),
                "gaps": list(m.gaps),
                "title": m.posting.posting.title,
                "company": m.posting.posting.company,
                "url": m.posting.posting.url,
                "scored_at": iso(m.scored_at),
                "status": status.value if status else None,  # the mentee's latest word
                "closes_at": iso(m.posting.closes_at),  # when applications close, if known
            }
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    by_mentee: dict[str, list[tuple[str, Posting, float, tuple[str, ...], tuple[str, ...]]]] = {}
    marks: dict[str, dict[str, str]] = {}
    now = clock()
    for m in found:
        by_mentee.setdefault(m.mentee, []).append(
            (str(m.lead_id), m.posting.posting, m.score, m.why, m.gaps)
        )
        # Still listed, as the operator's record, but no lead to pass on.
        if statuses.get(m.mentee, {}).get(m.lead_id) is LeadStatus.NOT_FOR_ME:
            marks.setdefault(m.mentee, {})[str(m.lead_id)] = "(not for them)"
        elif m.posting.is_closed(now):
            marks.setdefault(m.mentee, {})[str(m.lead_id)] = "(closed)"
    for each in config.mentees:
        if mentee is None or each.id == mentee:
            print_ranking(each, by_mentee.get(each.id, []), marks=marks.get(each.id, {}), empty=(
                f"No matches for {each.id} yet: `leads match` scores the stored postings "
                "against each mentee (`leads run` collects, matches and sends)."
            ))  # fmt: skip


def print_ranking(
    mentee: MenteeProfile,
    rows: list[tuple[str, Posting, float, tuple[str, ...], tuple[str, ...]]],
    *,
    empty: str,
    marks: Mapping[str, str] | None = None,
) -> None:
    """One mentee's ranked leads: score, posting, why it matched and what to brush up on,
    then each lead's link by its rank (``empty``: what to say when there is none; ``marks``:
    a word before the title of a lead, by its key: "(closed)", "(not for them)"). Where
    the table with its why and brush-up columns would not fit a row a line, those two go
    below it, under each lead's link (seen at 80 columns: four to nine lines a lead)."""
    table = FittedListing(
        heading_for("Leads", mentee),
        *("#", "score", "lead", "title", "company", "location"),
        below=("why", "brush up on"),
        one_line=("lead",),
        numbers=("#", "score"),
    )
    for rank, (key, posting, score, why, gaps) in enumerate(rows, start=1):
        table.add_row(
            str(rank),
            str(rank),
            f"{score:.2f}",
            safe(key),
            safe(" ".join(filter(None, ((marks or {}).get(key), posting.title)))),  # kept if cut
            safe(posting.company),
            safe(" ".join(filter(None, (posting.location, "(remote)" if posting.remote else "")))),
            below=[safe(", ".join(why)), safe(", ".join(gaps))],
            notes=[
                f"{label}: {', '.join(terms)}"
                for label, terms in (("why", why), ("brush up on", gaps))
                if terms
            ],
            links=[posting.url],
        )
    table.print(out, empty)


@app.command()
def rank(
    postings_file: Annotated[
        Path, typer.Option("--postings", help="Postings, one JSON object per line.")
    ],
    mentees_file: Annotated[Path, typer.Option("--mentees", help="A YAML file with `mentees:`.")],
    top: Annotated[int, typer.Option("--top", min=1, help="Leads per mentee.")] = 10,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score", min=0, max=1, help="Lowest score shown (default: config, or 0.1)."
        ),
    ] = None,
    max_age: Annotated[
        int | None,
        typer.Option(
            "--max-age",
            min=1,
            max=MAX_AGE_LIMIT_DAYS,
            help="Ignore postings older than DAYS (default: config, or 45).",
        ),
    ] = None,
    any_age: Annotated[
        bool, typer.Option("--any-age", help="Rank postings of any age (a dataset's, say).")
    ] = False,
    format: Annotated[MatchFormat, typer.Option("--format", "-f", help="Output format.")] = (
        MatchFormat.table
    ),
    feedback_file: Annotated[
        Path | None,
        typer.Option(
            "--feedback",
            help='Verdicts, one JSON object per line: {"mentee": id, "posting": id, '
            '"verdict": "interested"|"applied"|"not_for_me"}; applied as `leads match` does.',
        ),
    ] = None,
) -> None:
    """Rank postings from a file for mentees from a file, with no database."""
    from aggregator.postings_file import read_postings_jsonl

    offline = _matching_offline()
    with errors_handled():
        if any_age and max_age is not None:
            raise UsageError("--max-age and --any-age contradict each other", fix="give one")
        configured = _configured_matching()
        floor = min_score if min_score is not None else configured.min_score
        age_limit = None if any_age else max_age or configured.max_age_days
        keyed = read_postings_jsonl(postings_file)
        mentees = _mentees_to_rank(mentees_file)
        verdicts = (
            offline.read_feedback_jsonl(feedback_file, mentees, keyed) if feedback_file else None
        )
        if not keyed:
            # A quiet day's `leads postings --format jsonl` is empty: nothing to rank, no error
            # (scripts go on), but no "nothing scores 0.1 for sam" either.
            err.print(safe(f"{postings_file} holds no postings: nothing to rank."))
            return
        now = clock()
        found = offline.rank_offline(
            mentees,
            keyed,
            top=top,
            min_score=floor,
            now=now,
            max_age_days=age_limit,
            verdicts=verdicts,
        )
        too_old = offline.too_old(keyed, now, age_limit)
    if too_old:
        err.print(safe(
            f"{counted(too_old, 'posting')} of {len(keyed)} posted more than "
            f"{counted(age_limit or 0, 'day')} ago not ranked (--max-age DAYS or --any-age "
            "ranks them)."
        ))  # fmt: skip
    postings_by_key = dict(keyed)
    for mentee in mentees:
        ranked = found[mentee.id]
        if format is MatchFormat.jsonl:
            for position, m in enumerate(ranked, start=1):
                record = {
                    "mentee": m.mentee,
                    "posting": m.posting,
                    "rank": position,
                    "score": m.score,
                    "why": list(m.why),
                    "gaps": list(m.gaps),
                }
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            rows = [(m.posting, postings_by_key[m.posting], m.score, m.why, m.gaps) for m in ranked]
            empty = f"No posting scores {floor:g} (the lowest shown) or more for {mentee.id}."
            print_ranking(mentee, rows, empty=empty)


def _mentees_to_rank(path: Path) -> tuple[MenteeProfile, ...]:
    """The mentees of the file ``leads rank`` was given; a ConfigError when it lists none,
    as when its `mentees:` is empty or missing (ranking for no one would print nothing)."""
    mentees = load_mentees(path)
    if not mentees:
        raise ConfigError(
            "no mentees to rank", file=str(path), key="mentees", fix="list at least one mentee"
        )
    return mentees


def _configured_matching() -> MatchingConfig:
    """The matching settings of the config when there is one, else the defaults."""
    return load().matching if State.config.exists() else MatchingConfig()


@app.command()
def feedback(
    mentee: Annotated[str, typer.Argument(help="The mentee's id.")],
    lead: Annotated[int, typer.Argument(help="The lead's id (see `leads matches`).")],
    verdict: Annotated[Verdict, typer.Argument(help="What the mentee said.")],
) -> None:
    """Record a mentee's word on a lead; the next `leads match` takes it into account."""
    with errors_handled():
        config = load()
        check_mentees(config, [mentee])
        with writing(config), open_store(config) as store:
            shown = store.representatives([lead], brief=True).get(lead)
            if shown is None:
                raise UsageError(f"no lead with id {lead}", fix="`leads matches` lists lead ids")
            store.record_feedback(mentee, lead, verdict, clock())
    posting = shown.posting
    role = f"{posting.title} at {posting.company}" if posting.company else posting.title
    said = _VERDICT_WORDS[verdict].format(who=mentee, role=f"{role} (lead {lead})")
    out.print(safe(f"Recorded: {said}; the next `leads match` takes it into account."))


# How `leads feedback` confirms each verdict ("sam-lee is interested in Data Analyst at
# Acme (lead 7)"), where it said "sam-lee says not_for_me to lead 7".
_VERDICT_WORDS = {
    Verdict.INTERESTED: "{who} is interested in {role}",
    Verdict.APPLIED: "{who} applied to {role}",
    Verdict.NOT_FOR_ME: "{who} marked {role} not for them",
}
