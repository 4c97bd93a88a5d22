"""Interview prep for one mentee and one stored lead: the store and the config wired to
``matchers.prep`` (for ``leads prep``)."""

from __future__ import annotations

from pathlib import Path

from aggregator.core.config import AppConfig
from aggregator.core.errors import ConfigError, NotFoundError
from aggregator.core.models import PrepSheet
from aggregator.stages.resumes import read_resume
from aggregator.store import Store
from matchers.prep import prepare
from matchers.profile import profile_from_mentee


def prep_for(config: AppConfig, store: Store, mentee_id: str, lead_id: int) -> PrepSheet:
    """The prep sheet of a configured mentee for a stored lead; the gaps are the stored
    match's when the lead was matched to the mentee, else worked out from the profile."""
    mentee = next((m for m in config.mentees if m.id == mentee_id), None)
    if mentee is None:
        raise ConfigError(
            f"no mentee with id {mentee_id}",
            file=str(config.path),
            fix="mentee ids are listed under `mentees:` (an id defaults to a slug of the name)",
        )
    match = store.match(mentee.id, lead_id)
    if match is not None:
        stored = match.posting
    else:
        found = store.representatives([lead_id])
        if lead_id not in found:
            raise NotFoundError(
                f"no lead {lead_id} in the database — `leads matches --mentee {mentee.id}` "
                "lists the mentee's leads with their ids"
            )
        stored = found[lead_id]
    resume = read_resume(Path(mentee.resume)) if mentee.resume else ""
    profile = profile_from_mentee(mentee, resume)
    gaps = match.gaps if match is not None else None
    return prepare(stored.posting, profile, lead_id, gaps=gaps)
