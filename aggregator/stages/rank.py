"""Offline ranking for ``leads rank``: postings, mentees and feedback from files, no database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from aggregator.core.errors import ConfigError
from aggregator.core.intake import dated_as_of
from aggregator.core.jsonl import jsonl_objects
from aggregator.core.models import Match, MenteeProfile, Posting, Verdict, closed_by
from aggregator.stages.resumes import read_resume
from matchers import TfidfMatcher, feedback_from_verdicts, profile_from_mentee
from matchers.filters import age_fits

Verdicts = dict[str, dict[str, Verdict]]  # mentee id -> posting id -> verdict


def rank_offline(
    mentees: Sequence[MenteeProfile],
    postings: Sequence[tuple[str, Posting]],
    *,
    top: int,
    min_score: float,
    now: datetime,
    max_age_days: int | None,
    verdicts: Mapping[str, Mapping[str, Verdict]] | None = None,
) -> dict[str, list[Match]]:
    """Fit on the postings and rank those still open ``now`` for every mentee, best first.
    Their dates are believed as ``leads collect`` believes a source's (a closing date in
    1970 or 9999 is unknown: see ``dated_as_of``).

    ``verdicts`` (from :func:`read_feedback_jsonl`) move each mentee's ranking exactly as
    the same verdicts do in ``leads match``: liked postings pull similar ones up, postings
    marked not for me push similar ones down and are not shown.
    """
    profiles = [
        profile_from_mentee(m, read_resume(Path(m.resume)) if m.resume else "") for m in mentees
    ]
    postings = [(key, dated_as_of(posting, now)) for key, posting in postings]
    by_key = dict(postings)
    feedback = {
        mentee: feedback_from_verdicts(said, by_key) for mentee, said in (verdicts or {}).items()
    }
    matcher = TfidfMatcher().fit(p for _, p in postings)
    # A closed posting is no lead, though a verdict on it still says what the mentee wants.
    still_open = [(key, p) for key, p in postings if not closed_by(p.closes_at, now)]
    return matcher.rank_many(
        profiles, still_open, top=top, min_score=min_score, now=now, max_age_days=max_age_days,
        feedback=feedback,
    )


def too_old(
    postings: Sequence[tuple[str, Posting]], now: datetime, max_age_days: int | None
) -> int:
    """How many of the postings ``rank_offline`` leaves out for their age alone (not those
    closed too): said to the user, as an old dataset ranked with the default limit would
    otherwise rank nothing, unexplained."""
    dated = [dated_as_of(p, now) for _, p in postings]
    still_open = [p for p in dated if not closed_by(p.closes_at, now)]
    return sum(not age_fits(p, now, max_age_days) for p in still_open)


def read_feedback_jsonl(
    path: Path, mentees: Sequence[MenteeProfile], postings: Sequence[tuple[str, Posting]]
) -> Verdicts:
    """Verdicts from a JSONL file of ``{"mentee": id, "posting": id, "verdict": ...}`` lines
    (verdict: interested, applied or not_for_me); a later line about the same pair wins.
    A line naming an unknown mentee or posting, or a bad verdict, is an error naming it."""
    known_mentees = {m.id for m in mentees}
    known_postings = {key for key, _ in postings}
    verdicts: Verdicts = {}
    for number, record in jsonl_objects(path, "feedback"):
        _check_keys(record, path, number)
        mentee, posting = str(record["mentee"]), str(record["posting"])
        if mentee not in known_mentees:
            raise ConfigError(f"unknown mentee {mentee!r}", file=str(path), line=number,
                              fix="use an id from the mentees file")
        if posting not in known_postings:
            raise ConfigError(f"unknown posting {posting!r}", file=str(path), line=number,
                              fix="use an id from the postings file")
        verdicts.setdefault(mentee, {})[posting] = _verdict(record["verdict"], path, number)
    return verdicts


def _check_keys(record: dict[str, Any], path: Path, number: int) -> None:
    missing = [key for key in ("mentee", "posting", "verdict") if key not in record]
    if missing:
        raise ConfigError(f"missing {', '.join(missing)}", file=str(path), line=number,
                          fix='lines look like {"mentee": ..., "posting": ..., "verdict": ...}')


def _verdict(value: object, path: Path, number: int) -> Verdict:
    try:
        return Verdict(str(value))
    except ValueError as exc:
        choices = ", ".join(v.value for v in Verdict)
        raise ConfigError(f"unknown verdict {value!r}", file=str(path), line=number,
                          fix=f"use one of {choices}") from exc
