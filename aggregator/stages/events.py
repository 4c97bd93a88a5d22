"""Which stored networking events to suggest to each mentee now (for `leads events` and the
digest): the store and the config wired to ``matchers.events``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path

from aggregator.core.config import AppConfig
from aggregator.core.models import EventSuggestion, Mentee
from aggregator.stages.resumes import read_resume
from aggregator.store import Store
from matchers.events import EventSettings, fit_event_matcher, suggest_events
from matchers.profile import profile_from_mentee

# Stored postings the topic model learns its vocabulary from besides the events themselves.
FIT_POSTINGS = 2_000


def event_settings(config: AppConfig) -> EventSettings:
    """The ``events:`` settings as the matcher takes them."""
    chosen = config.events
    return EventSettings(
        horizon_days=chosen.horizon_days,
        per_mentee=chosen.per_mentee,
        min_score=chosen.min_score,
        radius_km=chosen.radius_km,
    )


def suggested_events(
    config: AppConfig, store: Store, now: datetime, mentees: Sequence[Mentee] | None = None
) -> dict[str, list[EventSuggestion]]:
    """Each mentee's suggested events (``mentees``: all configured ones), best fit first."""
    settings = event_settings(config)
    chosen = config.mentees if mentees is None else mentees
    upcoming = store.upcoming_events(now, now + timedelta(days=settings.horizon_days))
    if not upcoming or not chosen:
        return {mentee.id: [] for mentee in chosen}
    postings = [stored.posting for stored in islice(store.lead_postings(), FIT_POSTINGS)]
    matcher = fit_event_matcher(upcoming, postings)
    profiles = [
        profile_from_mentee(m, read_resume(Path(m.resume)) if m.resume else "") for m in chosen
    ]
    return suggest_events(matcher, profiles, upcoming, now, settings)
