"""Offline ranking for ``leads rank``: postings and mentees from files, no database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from aggregator.core.models import Match, MenteeProfile, Posting
from aggregator.stages.resumes import read_resume
from matchers import TfidfMatcher, profile_from_mentee


def rank_offline(
    mentees: Sequence[MenteeProfile],
    postings: Sequence[tuple[str, Posting]],
    *,
    top: int,
    min_score: float,
    now: datetime,
    max_age_days: int | None,
) -> dict[str, list[Match]]:
    """Fit on the postings and rank them for every mentee, best first."""
    profiles = [
        profile_from_mentee(m, read_resume(Path(m.resume)) if m.resume else "") for m in mentees
    ]
    matcher = TfidfMatcher().fit(p for _, p in postings)
    return matcher.rank_many(
        profiles, postings, top=top, min_score=min_score, now=now, max_age_days=max_age_days
    )
