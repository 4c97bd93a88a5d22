"""Places a posting or a mentee names: metro areas and their towns, the words that make a
job remote, and the regions a remote job may be limited to (``data/places.yaml``). Read by
the matcher's location filter and events, and by dedupe (one company's openings for two
regions that do not overlap are two leads).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

_NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class Places:
    """Metro areas, the words that make a location remote, and the regions remote jobs are
    limited to (``data/places.yaml``)."""

    metros: dict[str, tuple[str, ...]]
    remote_words: tuple[str, ...]
    within: dict[str, frozenset[str]] = field(default_factory=dict)  # metro -> its regions
    regions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # region -> its names
    unlimited_words: tuple[str, ...] = ()

    def aliases(self, place: str) -> tuple[str, ...]:
        """The normalised names that count as ``place``: itself, and its metro's towns."""
        return self._metro(place) or (self._name(place),)

    def _name(self, place: str) -> str:
        return normalise_place(place.split(",")[0]) or normalise_place(place)

    def _metro(self, place: str) -> tuple[str, ...]:
        name = self._name(place)
        for metro, towns in self.metros.items():
            if name == metro or name in towns:
                return (metro, *towns)
        return ()

    def limited_to(self, location: str) -> frozenset[str]:
        """The regions a (normalised) location limits a job to; empty when not limited."""
        if contains(location, self.unlimited_words):
            return frozenset()
        return frozenset(r for r, names in self.regions.items() if contains(location, names))

    def regions_of(self, place: str) -> frozenset[str] | None:
        """The regions a mentee's place lies in; None for a place the table does not know."""
        metro = self._metro(place)
        return self.within.get(metro[0]) if metro else None

    def zones(self, wanted: Sequence[str]) -> frozenset[str] | None:
        """Every region the mentee's places lie in; None when that cannot be judged (they name
        only ``remote``, or a place the table does not know)."""
        places = [p for p in wanted if normalise_place(p) not in self.remote_words]
        found: set[str] = set()
        for place in places:
            regions = self.regions_of(place)
            if regions is None:
                return None
            found |= regions
        return frozenset(found) if places else None

    def overlapping(self, first: str, second: str) -> bool:
        """Whether two (normalised) locations can name the same job: unless each limits it
        to regions and no place lies in both ("Americas Only" / "Oceania Only"; "USA Only"
        and "North America Only" overlap in Chicago)."""
        limits, others = self.limited_to(first), self.limited_to(second)
        if not limits or not others or limits & others:
            return True
        return any(limits & regions and others & regions for regions in self.within.values())

    def stated_place(self, text: str) -> str | None:
        """The one place ``text`` (a title, a URL's slug) says a job is in: "… in Lisbon",
        ".../content-moderation-with-finnish-in-lisbon-pt", named as the table names it, else
        None. Only names of four letters or more: "in la" and "in us" are words as often."""
        padded = f" {normalise_place(text)} "
        found = {
            place
            for place in self._named_places()
            if len(place) >= _SHORTEST_STATED and f" in {place} " in padded
        }
        # "in Asia Pacific" names Asia Pacific, not Asia too.
        whole = {name for name in found if not any(contains(other, [name]) for other in found
                                                   if other != name)}  # fmt: skip
        return _display(whole.pop()) if len(whole) == 1 else None

    def _named_places(self) -> tuple[str, ...]:
        towns = (town for towns in self.metros.values() for town in towns)
        names = (name for names in self.regions.values() for name in names)
        return (*self.metros, *towns, *names)

    def reachable(self, wanted: Sequence[str], location: str) -> bool:
        """Whether a remote job at ``location`` can be done from the mentee's places: yes unless
        it is limited to regions that none of their places lies in."""
        return reaches(self.zones(wanted), self.limited_to(location))


_SHORTEST_STATED = 4
_ACRONYMS = frozenset({"emea", "apac", "latam"})  # the table's lower-case names shown upper


def _display(name: str) -> str:
    return name.upper() if name in _ACRONYMS else name.title()


def reaches(zones: frozenset[str] | None, limits: frozenset[str]) -> bool:
    """Whether a mentee in ``zones`` (None: unknown) may take a job limited to ``limits``."""
    return not limits or zones is None or bool(zones & limits)


@cache
def default_places() -> Places:
    """The places table shipped with the package (read once per process)."""
    from ruamel.yaml import YAML  # read once, and only by the commands that need it

    data_file = resources.files("aggregator.core").joinpath("data/places.yaml")
    text = data_file.read_text(encoding="utf-8")
    data: Any = YAML(typ="safe").load(text)
    metros = {
        normalise_place(str(name)): tuple(normalise_place(str(t)) for t in towns or ())
        for name, towns in data["metros"].items()
    }
    def names(words: Any) -> tuple[str, ...]:
        return tuple(normalise_place(str(w)) for w in words or ())

    return Places(
        metros,
        names(data["remote"]),
        within={normalise_place(str(m)): frozenset(names(r)) for m, r in data["within"].items()},
        regions={normalise_place(str(r)): names(n) for r, n in data["regions"].items()},
        unlimited_words=names(data["unlimited"]),
    )


def normalise_place(text: str) -> str:
    """Lowercase words separated by single spaces: "Chicago, IL" -> "chicago il"."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def contains(location: str, phrases: Sequence[str]) -> bool:
    padded = f" {location} "
    return any(f" {phrase} " in padded for phrase in phrases if phrase)
