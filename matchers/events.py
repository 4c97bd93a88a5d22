"""Which networking events to suggest to a mentee (pure: no I/O beyond package data).

An event is suggested when

* it starts after ``now`` and within ``horizon_days``;
* it is online, or in person near one of the mentee's places: its city or venue names the
  place or a town of its metro area (``aggregator/core/data/places.yaml``, as the location
  filter reads it), or its coordinates lie within ``radius_km`` of the metro's centre
  (``data/metro_centres.yaml``);
* its topic fits the mentee's roles and skills: the TF-IDF matcher scores the event's title and
  description as it scores a posting, and the score reaches ``min_score``.

Each mentee gets at most ``per_mentee`` events, best fit first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

from aggregator.core.models import Event, EventSuggestion, Posting
from aggregator.core.places import Places, default_places, normalise_place
from matchers.profile import Profile
from matchers.tfidf import TfidfMatcher

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True, slots=True)
class EventSettings:
    """How events are chosen (``events:`` in config.yaml)."""

    horizon_days: int = 30
    per_mentee: int = 3
    min_score: float = 0.05
    radius_km: float = 50.0


def event_posting(key: str, event: Event) -> Posting:
    """An event as the matcher reads a posting: its title and description (no place: where it
    is is judged here, not by the location filter)."""
    return Posting(
        source=event.source, external_id=key, url=event.url, title=event.title,
        description_text=event.description,
    )  # fmt: skip


def fit_event_matcher(events: Sequence[Event], postings: Sequence[Posting]) -> TfidfMatcher:
    """The TF-IDF matcher fitted on postings and events together, so event words have weight."""
    pseudo = [event_posting(str(i), e) for i, e in enumerate(events)]
    return TfidfMatcher().fit([*postings, *pseudo])


def suggest_events(
    matcher: TfidfMatcher,
    profiles: Sequence[Profile],
    events: Sequence[Event],
    now: datetime,
    settings: EventSettings | None = None,
    places: Places | None = None,
) -> dict[str, list[EventSuggestion]]:
    """Each profile's suggested events, best fit first (every profile has a key)."""
    settings = settings or EventSettings()
    places = places or default_places()
    end = now + timedelta(days=settings.horizon_days)
    upcoming = [e for e in events if now <= e.start < end]
    found: dict[str, list[EventSuggestion]] = {}
    for profile in profiles:
        near = {str(i): (e, w) for i, e in enumerate(upcoming)
                if (w := where_for(profile, e, places, settings.radius_km)) is not None}
        keyed = [(key, event_posting(key, event)) for key, (event, _) in near.items()]
        ranked = matcher.rank(profile, keyed, top=None, min_score=settings.min_score)
        found[profile.id] = _distinct(
            [EventSuggestion(profile.id, *near[m.posting][:1], m.score, near[m.posting][1])
             for m in ranked] if keyed else [],
            settings.per_mentee,
        )
    return found


def _distinct(ranked: list[EventSuggestion], limit: int) -> list[EventSuggestion]:
    """The best events, each series once (its next occurrence): a weekly meetup is one
    suggestion, not three."""
    ranked.sort(key=lambda s: (-s.score, s.event.start))
    chosen: dict[str, EventSuggestion] = {}
    for suggestion in ranked:
        series = normalise_place(suggestion.event.title)
        if series not in chosen:
            chosen[series] = suggestion
            if len(chosen) == limit:
                break
    return list(chosen.values())


def where_for(profile: Profile, event: Event, places: Places, radius_km: float) -> str | None:
    """Where the event is for this mentee ("online", "Berlin", "26 km from Berlin"), or None
    when it is in person and not near any of their places."""
    if event.online:
        return "online"
    at = normalise_place(f"{event.city} {event.venue}")
    wanted = [p for p in profile.locations if normalise_place(p) not in places.remote_words]
    for place in wanted:
        if at and any(f" {alias} " in f" {at} " for alias in places.aliases(place)):
            return _display(place)
    if event.latitude is None or event.longitude is None:
        return None
    for place in wanted:
        centre = metro_centre(place, places)
        if centre is not None:
            km = distance_km(centre, (event.latitude, event.longitude))
            if km <= radius_km:
                return f"{km:.0f} km from {_display(place)}"
    return None


def metro_centre(place: str, places: Places) -> tuple[float, float] | None:
    """The centre of the metro area ``place`` belongs to, when the table knows it."""
    metro = places.aliases(place)[0]
    return _centres().get(metro)


def distance_km(one: tuple[float, float], other: tuple[float, float]) -> float:
    """Great-circle distance in kilometres (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*one, *other))
    a = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@cache
def _centres() -> dict[str, tuple[float, float]]:
    path = resources.files("matchers").joinpath("data/metro_centres.yaml")
    data: Any = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return {normalise_place(str(k)): (float(v[0]), float(v[1])) for k, v in data.items()}


def _display(place: str) -> str:
    return " ".join(place.split(",")[0].split())
