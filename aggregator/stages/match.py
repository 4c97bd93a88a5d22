"""The matching stage: score new leads for each mentee and store the matches.

Incremental: a mentee is scored against the leads added since their last run, or against
every lead when their profile or feedback changed, or when the TF-IDF model was refitted
because the corpus outgrew it (scores from different models are not comparable).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aggregator.core.config import AppConfig
from aggregator.core.models import MenteeProgress, StoredPosting, Verdict
from aggregator.stages.resumes import read_resume
from aggregator.store import Store
from matchers import (
    Feedback,
    Profile,
    TfidfMatcher,
    dump_matcher,
    feedback_from_verdicts,
    load_matcher,
    profile_from_mentee,
    profile_hash,
)

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)


@dataclass(slots=True)
class MatchReport:
    """What one matching run did."""

    leads: int = 0  # leads in the store
    refitted: bool = False  # the TF-IDF model was (re)fitted on the corpus
    rescored: list[str] = field(default_factory=list)  # mentees scored against every lead
    updated: list[str] = field(default_factory=list)  # mentees scored against new leads only
    new_leads_scored: int = 0
    matches_stored: int = 0
    profiles_reused: int = 0  # mentees whose stored profile vectors spared re-analysis
    wordless: int = 0  # leads scored that have no term of the model: skipped, never matched


def match(
    config: AppConfig,
    store: Store,
    now: Clock,
    *,
    only: Sequence[str] | None = None,
) -> MatchReport:
    """Score new leads for every mentee (all leads for a mentee whose profile changed)."""
    report = MatchReport()
    count, highest = store.lead_count()
    report.leads = count
    if count == 0:
        return report
    mentees = [m for m in config.mentees if only is None or m.id in only]
    matcher, read_to_fit = _matcher(store, count, now())
    report.refitted = read_to_fit is not None
    progress = store.mentee_progress()
    verdicts = store.feedback()
    feedback = _feedback(store, verdicts)
    pending: dict[int, list[tuple[Profile, str]]] = {}  # leads after this id → profiles
    remembered: set[str] = set()  # mentees whose stored profile vectors are reused
    for mentee in mentees:
        profile = profile_from_mentee(
            mentee, read_resume(Path(mentee.resume)) if mentee.resume else ""
        )
        state = _progress_hash(profile, verdicts.get(mentee.id, {}))
        previous = progress.get(mentee.id)
        if previous is None or (previous.profile_hash, previous.model_fingerprint) != (
            state,
            matcher.fingerprint,
        ):
            pending.setdefault(0, []).append((profile, state))
            report.rescored.append(mentee.id)
        elif previous.scored_through < highest:
            pending.setdefault(previous.scored_through, []).append((profile, state))
            report.updated.append(mentee.id)
            if previous.profile_vectors and matcher.remember_profile_vectors(
                profile, previous.profile_vectors
            ):
                remembered.add(mentee.id)
    report.profiles_reused = len(remembered)
    for after, group in sorted(pending.items()):
        # A refit read every lead already: scoring them all again reuses what was read.
        leads = read_to_fit if after == 0 and read_to_fit is not None else None
        scored, wordless = _score_group(
            config, store, matcher, group, feedback, after, highest, now(), remembered, leads
        )
        report.matches_stored += scored
        report.wordless = max(report.wordless, wordless)
        if after:
            report.new_leads_scored = max(report.new_leads_scored, highest - after)
    if report.wordless:
        log.info("match: %d leads have no words the model knows; skipped", report.wordless)
    return report


def _matcher(
    store: Store, corpus_size: int, now: datetime
) -> tuple[TfidfMatcher, list[StoredPosting] | None]:
    """The stored model, or a new one fitted on every lead when the corpus outgrew it (then
    also the leads it was fitted on)."""
    stored = store.matcher_model()
    matcher = load_matcher(stored) if stored else None
    if matcher is not None and not matcher.needs_refit(corpus_size):
        return matcher, None
    leads = list(store.lead_postings())
    fitted = TfidfMatcher().fit(s.posting for s in leads)
    store.save_matcher_model(dump_matcher(fitted), fitted.fingerprint, corpus_size, now)
    return fitted, leads


def _score_group(
    config: AppConfig,
    store: Store,
    matcher: TfidfMatcher,
    group: list[tuple[Profile, str]],
    feedback: dict[str, Feedback],
    after: int,
    highest: int,
    now: datetime,
    remembered: set[str],
    leads: list[StoredPosting] | None,
) -> tuple[int, int]:
    """Rank the leads after ``after`` for these profiles and store the matches (and the
    profile vectors the matcher computed, unless ``remembered`` from an earlier run); the
    matches stored and the word-less leads skipped."""
    found_leads = leads if leads is not None else store.lead_postings(after_lead=after)
    max_age = config.matching.max_age_days
    # The matcher ages dated postings itself; an undated one ages from when it was first seen.
    keyed = [(str(s.lead_id), s.posting) for s in found_leads if s.is_fresh(now, max_age)]
    index = matcher.index(keyed)
    found = matcher.rank_many(
        [p for p, _ in group],
        index,
        top=config.matching.keep,
        min_score=config.matching.min_score,
        now=now,
        max_age_days=max_age,
        feedback=feedback,
    )
    results = [
        (
            MenteeProgress(
                profile.id,
                state,
                matcher.fingerprint,
                highest,
                None
                if profile.id in remembered
                else matcher.profile_vectors(profile),
            ),
            found[profile.id],
        )
        for profile, state in group
    ]
    store.save_matches(results, now, replace_all=after == 0)
    return sum(len(matches) for _, matches in results), index.wordless


def _feedback(store: Store, verdicts: dict[str, dict[int, Verdict]]) -> dict[str, Feedback]:
    """Each mentee's verdicts as liked, disliked and hidden leads for the matcher."""
    postings = store.representatives(sorted({lead for said in verdicts.values() for lead in said}))
    return {
        mentee: feedback_from_verdicts(
            {str(lead): v for lead, v in said.items()},
            {str(lead): postings[lead].posting for lead in said},
        )
        for mentee, said in verdicts.items()
    }


def _progress_hash(profile: Profile, feedback: dict[int, Verdict]) -> str:
    """Changes when the profile or the mentee's feedback changes: both call for a re-score."""
    marks = ",".join(f"{lead}:{verdict}" for lead, verdict in sorted(feedback.items()))
    return hashlib.sha256(f"{profile_hash(profile)}|{marks}".encode()).hexdigest()[:32]
