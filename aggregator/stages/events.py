"""Which stored networking events to suggest to each mentee now (for `leads events` and the
digest): the store and the config wired to ``matchers.events``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path

from aggregator.core.config import AppConfig
from aggregator.core.models import Event, EventSuggestion, Mentee
from aggregator.stages.resumes import read_resume
from aggregator.store import Store
from matchers.events import EventSettings, fit_event_matcher, suggest_events
from matchers.profile import profile_from_mentee
from matchers.tfidf import TfidfMatcher

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
    chosen = config.mentees if mentees is None else mentees
    if not chosen:
        return {}
    return suggest_upcoming(config, upcoming_events(config, store, now), chosen, now)


@dataclass(frozen=True, slots=True)
class Upcoming:
    """The events within the horizon, and the topic model fitted on them (None: no events)."""

    events: list[Event]
    matcher: TfidfMatcher | None


def upcoming_events(config: AppConfig, store: Store, now: datetime) -> Upcoming:
    """The stored events within ``events.horizon_days`` of ``now`` from the configured, enabled
    sources, and their topic model (fitted on them and some stored postings: the costly part,
    worth keeping)."""
    horizon = timedelta(days=config.events.horizon_days)
    # A calendar taken out of the config (or disabled) keeps its stored events until they
    # pass: they are not its to suggest any more.
    listed = {source.name for source in config.enabled_sources()}
    upcoming = [e for e in store.upcoming_events(now, now + horizon) if e.source in listed]
    if not upcoming:
        return Upcoming([], None)
    postings = [stored.posting for stored in islice(store.lead_postings(), FIT_POSTINGS)]
    return Upcoming(upcoming, fit_event_matcher(upcoming, postings))


def suggest_upcoming(
    config: AppConfig, upcoming: Upcoming, mentees: Sequence[Mentee], now: datetime
) -> dict[str, list[EventSuggestion]]:
    """Each of ``mentees``' suggestions among ``upcoming``, best fit first."""
    if upcoming.matcher is None:
        return {mentee.id: [] for mentee in mentees}
    profiles = [
        profile_from_mentee(m, read_resume(Path(m.resume)) if m.resume else "") for m in mentees
    ]
    return suggest_events(
        upcoming.matcher, profiles, upcoming.events, now, event_settings(config)
    )
