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
    # stated_place's patterns, by (remote, slug): made once, on first use.
    _stated: dict[tuple[bool, bool], re.Pattern[str]] = field(
        default_factory=dict, compare=False, repr=False
    )

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

    def stated_place(self, text: str, *, remote: bool, slug: bool = False) -> str | None:
        """Where ``text`` (a title; with ``slug``, a link's last path segment) says a job is:
        "Sales Manager in New York", ".../content-moderation-with-finnish-in-lisbon-pt". The
        place must end the text (or, in a title, its part before a comma, bracket or dash),
        be one of the table's metros or towns (named as its metro, as the location filter and
        dedupe know it), or, for a remote job, a region (it limits where the job may be done
        from), and be the only one named so; else None. A country or continent is no place
        for an office job: "in Portugal" would hide it from a mentee in Lisbon."""
        pattern = self._stated.get((remote, slug))
        if pattern is None:
            pattern = self._stated[remote, slug] = _stated_pattern(self, remote, slug)
        named = [(self._metro_of(m["place"]), m["end"] is not None) for m in pattern.finditer(text)]
        places = {place for place, _ in named}
        # "in Lisbon or in Madrid": two places, neither sure.
        if len(places) != 1 or not any(at_end for _, at_end in named):
            return None
        return _display(places.pop())

    def _metro_of(self, written: str) -> str:
        name = normalise_place(written)
        metro = self._metro(name)
        return metro[0] if metro else name

    def reachable(self, wanted: Sequence[str], location: str) -> bool:
        """Whether a remote job at ``location`` can be done from the mentee's places: yes unless
        it is limited to regions that none of their places lies in."""
        return reaches(self.zones(wanted), self.limited_to(location))


_SHORTEST_STATED = 4  # "in la", "in us": as often words as places
# After a place a title may go on past a comma, a bracket or a dash ("… in Lisbon (Hybrid)");
# a link's slug may end in a country code and a number ("…-in-lisbon-pt", "…-in-sofia-bg-2").
_TITLE_END = r"(?=\s*(?:$|[,(|/:;!.\u2013\u2014]|-\s))"
_SLUG_END = r"(?=(?:-[a-z]{2})?(?:-\d+)?$)"
_ACRONYMS = frozenset({"usa", "emea", "apac", "latam", "gta", "dc", "sf", "la", "uk", "us", "eu"})
_SMALL_WORDS = frozenset({"of", "and", "the"})  # "United States of America"


def _stated_pattern(places: Places, remote: bool, slug: bool) -> re.Pattern[str]:
    """"in <place>" for every name of ``places`` that may place such a job, longest first;
    the group ``end`` matches (empty) where the place ends the text as a place must."""
    towns = (town for towns in places.metros.values() for town in towns)
    regions = (name for names in places.regions.values() for name in names) if remote else ()
    names = sorted(
        {n for n in (*places.metros, *towns, *regions) if len(n) >= _SHORTEST_STATED},
        key=len,
        reverse=True,
    )
    alternatives = "|".join(r"[\W_]+".join(map(re.escape, name.split())) for name in names)
    end = _SLUG_END if slug else _TITLE_END
    return re.compile(rf"\bin[\W_]+(?P<place>{alternatives})\b(?P<end>{end})?", re.IGNORECASE)


def _display(name: str) -> str:
    """A place the table names in lower case as a location reads: "New York", "Washington DC"."""
    return " ".join(
        word.upper() if word in _ACRONYMS else word if word in _SMALL_WORDS else word.capitalize()
        for word in name.split()
    )


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
