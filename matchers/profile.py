"""What the matcher knows about a mentee: a :class:`Profile`, built from a Mentee and résumé text.

The matcher never reads files; the caller reads the résumé (``aggregator.stages.resumes``) and
passes its text in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields

from aggregator.core.models import MenteeProfile, Posting, Verdict

SENIORITIES = ("entry", "junior", "mid", "senior")


@dataclass(frozen=True, slots=True)
class Profile:
    """A mentee as the matcher sees them; every field here can change a score."""

    id: str
    skills: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()  # target job titles
    about: str = ""
    resume: str = ""  # the résumé's text, not its path
    locations: tuple[str, ...] = ()  # places and/or "remote"; empty = anywhere
    seniority: str | None = None  # entry | junior | mid | senior
    exclude_companies: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    min_score: float | None = None

    def __post_init__(self) -> None:
        if self.seniority is not None and self.seniority not in SENIORITIES:
            raise ValueError(f"seniority must be one of {', '.join(SENIORITIES)}")


@dataclass(frozen=True, slots=True)
class Feedback:
    """A mentee's reactions to earlier leads.

    ``liked`` postings pull similar ones up; ``disliked`` ones push similar ones down and are
    never shown again; ``hidden`` are the caller's posting keys never to show (already sent,
    dismissed).
    """

    liked: tuple[Posting, ...] = ()
    disliked: tuple[Posting, ...] = ()
    hidden: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(
        cls,
        liked: Collection[Posting] = (),
        disliked: Collection[Posting] = (),
        hidden: Collection[str] = (),
    ) -> Feedback:
        """Feedback from any collections."""
        return cls(tuple(liked), tuple(disliked), frozenset(hidden))


def feedback_from_verdicts(
    verdicts: Mapping[str, Verdict], postings: Mapping[str, Posting]
) -> Feedback:
    """A mentee's verdicts (posting key -> verdict) as the matcher's feedback: postings
    marked interested or applied are liked; not-for-me ones are disliked and hidden.
    ``postings`` holds (at least) the posting of every key in ``verdicts``.

    ``leads match`` and ``leads rank --feedback`` both read feedback through this.
    """
    liked = [postings[key] for key, v in verdicts.items() if v is not Verdict.NOT_FOR_ME]
    disliked = [postings[key] for key, v in verdicts.items() if v is Verdict.NOT_FOR_ME]
    hidden = [key for key, v in verdicts.items() if v is Verdict.NOT_FOR_ME]
    return Feedback.of(liked, disliked, hidden)


def profile_from_mentee(mentee: MenteeProfile, resume_text: str = "") -> Profile:
    """The profile of ``mentee``; ``resume_text`` is the text of its ``resume`` file."""
    return Profile(
        id=mentee.id,
        skills=mentee.skills,
        roles=mentee.roles,
        about=mentee.about,
        resume=resume_text,
        locations=mentee.locations,
        seniority=mentee.seniority,
        exclude_companies=mentee.exclude.companies,
        exclude_keywords=mentee.exclude.keywords,
        min_score=mentee.min_score,
    )


def profile_hash(profile: Profile) -> str:
    """A stable hash of everything in ``profile`` that affects its matches.

    Store it with the matches: when it changes, re-score the mentee against all postings;
    while it stays, only new postings need scoring. (Feedback and the fitted model are
    separate inputs: see ``Feedback`` and ``TfidfMatcher.fingerprint``.)
    """
    # Field by field rather than dataclasses.asdict, which deep-copies (slow for 10k résumés);
    # the JSON is the same, so stored hashes stay valid.
    fields_ = {f.name: getattr(profile, f.name) for f in fields(profile)}
    text = json.dumps(fields_, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
