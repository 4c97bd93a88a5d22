"""Source types, by the ``type:`` name used in config.yaml.

Adding a source = one module here, an entry in SOURCE_TYPES, an example in config.yaml, a row in
the README and a golden test.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping

from aggregator.core.config import SourceOptions
from sources.base import CollectContext, Collected, Source

# type → "module:Class". Modules are imported when a configured source needs them: a run
# collecting feeds does not pay for the board parsers (or their libraries).
_REGISTERED = {
    "rss": "sources.rss:RssSource",
    "greenhouse": "sources.greenhouse:GreenhouseSource",
    "lever": "sources.lever:LeverSource",
    "ashby": "sources.ashby:AshbySource",
    "workable": "sources.workable:WorkableSource",
    "recruitee": "sources.recruitee:RecruiteeSource",
    "smartrecruiters": "sources.smartrecruiters:SmartRecruitersSource",
    "jsonld": "sources.jsonld:JsonLdSource",
    "remotive": "sources.remotive:RemotiveSource",
    "remoteok": "sources.remoteok:RemoteOkSource",
    "arbeitnow": "sources.arbeitnow:ArbeitnowSource",
    "himalayas": "sources.himalayas:HimalayasSource",
    "jobicy": "sources.jobicy:JobicySource",
    "hn_whoishiring": "sources.hn_whoishiring:HnWhoIsHiringSource",
    "ical": "sources.ical:IcalSource",
    "events_rss": "sources.events_rss:EventsRssSource",
}
# Source types whose haul is networking events, not postings.
EVENT_TYPES = frozenset({"ical", "events_rss"})


class SourceRegistry(MutableMapping[str, type[Source]]):
    """Source classes by ``type:`` name, each module imported on first use."""

    def __init__(self, registered: Mapping[str, str]) -> None:
        self._paths = dict(registered)
        self._classes: dict[str, type[Source]] = {}

    def __getitem__(self, name: str) -> type[Source]:
        if name not in self._classes:
            module, _, attribute = self._paths[name].partition(":")
            self._classes[name] = getattr(importlib.import_module(module), attribute)
        return self._classes[name]

    def __setitem__(self, name: str, kind: type[Source]) -> None:
        self._paths.setdefault(name, "")
        self._classes[name] = kind

    def __delitem__(self, name: str) -> None:
        del self._paths[name]
        self._classes.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._paths

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


SOURCE_TYPES = SourceRegistry(_REGISTERED)


class _OptionModels(Mapping[str, type[SourceOptions]]):
    """Each source type's options model, importing only the types asked for."""

    def __getitem__(self, name: str) -> type[SourceOptions]:
        return SOURCE_TYPES[name].Options

    def __contains__(self, name: object) -> bool:
        return name in SOURCE_TYPES

    def __iter__(self) -> Iterator[str]:
        return iter(SOURCE_TYPES)

    def __len__(self) -> int:
        return len(SOURCE_TYPES)


# Source types that read a company's own ATS or careers site: their links are shown first.
COMPANY_PAGE_TYPES = frozenset(
    {"greenhouse", "lever", "ashby", "workable", "recruitee", "smartrecruiters", "jsonld"}
)


def option_models() -> Mapping[str, type[SourceOptions]]:
    """The options model of every source type, for config validation (imported on use)."""
    return _OptionModels()


def build_source(options: SourceOptions) -> Source:
    """The source object for one validated config entry."""
    return SOURCE_TYPES[options.type](options)  # type: ignore[call-arg]


__all__ = [
    "COMPANY_PAGE_TYPES",
    "EVENT_TYPES",
    "SOURCE_TYPES",
    "CollectContext",
    "Collected",
    "Source",
    "build_source",
    "option_models",
]
