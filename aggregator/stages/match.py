"""The matching stage: score new leads for each mentee and store the matches.

Incremental: a mentee is scored against the leads added since their last run, or against
every lead when their profile or feedback changed, or when the TF-IDF model was refitted
because the corpus outgrew it (scores from different models are not comparable). Leads
scored before that gained or changed a sighting since are scored again, but for the
mentees who have them already: a job that had closed then may be open now (its board
renewed the listing, or the company's own page lists it).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

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
    # (and changed ones: see the module)
    new_leads_scored: int = 0
    changed_leads_scored: int = 0
    matches_stored: int = 0
    profiles_reused: int = 0  # mentees whose stored profile vectors spared re-analysis
    wordless: int = 0  # leads scored that have no term of the model: skipped, never matched


class Scope(NamedTuple):
    """The leads a group of mentees is scored against: every lead after ``after``, and
    ``again``, leads up to it that changed since the group was scored."""

    after: int
    again: tuple[int, ...] = ()


class Through(NamedTuple):
    """How far a run reads the store: the highest lead id, and the latest posting change."""

    lead: int
    change: datetime | None


def match(
    config: AppConfig,
    store: Store,
    now: Clock,
    *,
    only: Sequence[str] | None = None,
) -> MatchReport:
    """Score new leads for every mentee (all leads for a mentee whose profile changed)."""
    report = MatchReport()
    latest_change = store.latest_change()  # first: a change made after is seen next run
    count, highest = store.lead_count()
    report.leads = count
    if count == 0:
        return report
    mentees = [m for m in config.mentees if only is None or m.id in only]
    matcher, read_to_fit = _matcher(store, count, now())
    report.refitted = read_to_fit is not None
    progress = store.mentee_progress()
    # Of this run's mentees: one no longer configured keeps an old date, asking for every
    # change since.
    changed = _changed_leads(store, [progress[m.id] for m in mentees if m.id in progress])
    verdicts = store.feedback()
    feedback = _feedback(store, verdicts)
    pending: dict[Scope, list[tuple[Profile, str]]] = {}  # leads to score → profiles
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
            pending.setdefault(Scope(0), []).append((profile, state))
            report.rescored.append(mentee.id)
            continue
        scope = Scope(previous.scored_through, _changed_since(changed, previous))
        if scope.after >= highest and not scope.again:
            continue  # nothing new or changed since the mentee was scored
        pending.setdefault(scope, []).append((profile, state))
        report.updated.append(mentee.id)
        if previous.profile_vectors and matcher.remember_profile_vectors(
            profile, previous.profile_vectors
        ):
            remembered.add(mentee.id)
    report.profiles_reused = len(remembered)
    for scope, group in sorted(pending.items()):
        # A refit read every lead already: scoring them all again reuses what was read.
        leads = read_to_fit if scope.after == 0 and read_to_fit is not None else None
        scored, wordless = _score_group(
            config, store, matcher, group, feedback, scope, Through(highest, latest_change),
            now(), remembered, leads,
        )  # fmt: skip
        report.matches_stored += scored
        report.wordless = max(report.wordless, wordless)
        if scope.after:
            report.new_leads_scored = max(report.new_leads_scored, highest - scope.after)
            report.changed_leads_scored = max(report.changed_leads_scored, len(scope.again))
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
    scope: Scope,
    through: Through,
    now: datetime,
    remembered: set[str],
    leads: list[StoredPosting] | None,
) -> tuple[int, int]:
    """Rank the leads in ``scope`` for these profiles and store the matches (and the
    profile vectors the matcher computed, unless ``remembered`` from an earlier run); the
    matches stored and the word-less leads skipped."""
    found_leads = leads if leads is not None else store.lead_postings(after_lead=scope.after)
    if scope.again:
        found_leads = [*found_leads, *store.representatives(scope.again).values()]
    max_age = config.matching.max_age_days
    # The matcher ages dated postings itself; an undated one ages from when it was first seen.
    keyed = [(str(s.lead_id), s.posting) for s in found_leads if s.is_fresh(now, max_age)]
    index = matcher.index(keyed)
    # A mentee's stored match of a lead scored again stays as it is: the ranking makes room
    # for those, which are then left out.
    kept = store.matched_pairs(scope.again) if scope.again else set()
    keep = config.matching.keep
    found = matcher.rank_many(
        [p for p, _ in group],
        index,
        top=keep + max(Counter(mentee for mentee, _ in kept).values(), default=0),
        min_score=config.matching.min_score,
        now=now,
        max_age_days=max_age,
        feedback=feedback,
    )
    found = {
        mentee: [m for m in ranked if (mentee, int(m.posting)) not in kept][:keep]
        for mentee, ranked in found.items()
    }
    results = [
        (
            MenteeProgress(
                profile.id,
                state,
                matcher.fingerprint,
                through.lead,
                None
                if profile.id in remembered
                else matcher.profile_vectors(profile),
                through.change,
            ),
            found[profile.id],
        )
        for profile, state in group
    ]
    stored = store.save_matches(results, now, replace_all=scope.after == 0)
    return stored, index.wordless


def _changed_leads(store: Store, progress: Iterable[MenteeProgress]) -> dict[int, datetime]:
    """The leads that gained or changed a sighting since the earliest of these mentees was
    scored, and when. By the postings' own times, not the clock of this run: a collector's
    clock ahead of the matcher's would otherwise have every lead scored again each run."""
    since = min((p.changes_through for p in progress if p.changes_through), default=None)
    return store.changed_leads(since) if since is not None else {}


def _changed_since(changed: Mapping[int, datetime], progress: MenteeProgress) -> tuple[int, ...]:
    """The leads a mentee was scored against that changed after they were (of ``changed``)."""
    since = progress.changes_through
    if since is None:
        return ()
    return tuple(sorted(
        lead for lead, at in changed.items() if lead <= progress.scored_through and at > since
    ))


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
