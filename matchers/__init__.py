"""Pure scoring of postings against mentee profiles (no I/O).

The public surface::

    profile = profile_from_mentee(mentee, resume_text)        # Profile
    matcher = TfidfMatcher().fit(postings)                    # or load_matcher(stored_bytes)
    matches = matcher.rank(profile, [(key, posting), ...], top=20, min_score=0.1, now=now)
    by_mentee = matcher.rank_many(profiles, keyed_postings, feedback={mentee_id: Feedback(...)})
    feedback_from_verdicts({key: Verdict.INTERESTED}, {key: posting})  # verdicts -> Feedback
    stored_bytes = dump_matcher(matcher)                      # keep in the database
    profile_hash(profile)                                     # re-score when this changes

The skills vocabulary is data: ``matchers/data/skills.yaml`` (its header says how to extend it).
"""

from matchers.filters import passes
from matchers.profile import (
    Feedback,
    Profile,
    feedback_from_verdicts,
    profile_from_mentee,
    profile_hash,
)
from matchers.skills import SkillTable, SkillTableError, default_table
from matchers.text import Analyzer
from matchers.tfidf import (
    REFIT_GROWTH,
    PostingIndex,
    Settings,
    TfidfMatcher,
    dump_matcher,
    load_matcher,
)

__all__ = [
    "REFIT_GROWTH",
    "Analyzer",
    "Feedback",
    "PostingIndex",
    "Profile",
    "Settings",
    "SkillTable",
    "SkillTableError",
    "TfidfMatcher",
    "default_table",
    "dump_matcher",
    "feedback_from_verdicts",
    "load_matcher",
    "passes",
    "profile_from_mentee",
    "profile_hash",
]
