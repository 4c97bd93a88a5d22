"""Source types, by the ``type:`` name used in config.yaml.

Adding a source = one module here, an entry in SOURCE_TYPES, an example in config.yaml, a row in
the README and a golden test.
"""

from __future__ import annotations

from aggregator.config import SourceOptions
from sources.arbeitnow import ArbeitnowSource
from sources.ashby import AshbySource
from sources.base import CollectContext, Collected, Source
from sources.greenhouse import GreenhouseSource
from sources.himalayas import HimalayasSource
from sources.hn_whoishiring import HnWhoIsHiringSource
from sources.jobicy import JobicySource
from sources.jsonld import JsonLdSource
from sources.lever import LeverSource
from sources.recruitee import RecruiteeSource
from sources.remoteok import RemoteOkSource
from sources.remotive import RemotiveSource
from sources.rss import RssSource
from sources.smartrecruiters import SmartRecruitersSource
from sources.workable import WorkableSource

SOURCE_TYPES: dict[str, type[Source]] = {
    RssSource.type: RssSource,
    GreenhouseSource.type: GreenhouseSource,
    LeverSource.type: LeverSource,
    AshbySource.type: AshbySource,
    WorkableSource.type: WorkableSource,
    RecruiteeSource.type: RecruiteeSource,
    SmartRecruitersSource.type: SmartRecruitersSource,
    JsonLdSource.type: JsonLdSource,
    RemotiveSource.type: RemotiveSource,
    RemoteOkSource.type: RemoteOkSource,
    ArbeitnowSource.type: ArbeitnowSource,
    HimalayasSource.type: HimalayasSource,
    JobicySource.type: JobicySource,
    HnWhoIsHiringSource.type: HnWhoIsHiringSource,
}


# Source types that read a company's own ATS or careers site: their links are shown first.
COMPANY_PAGE_TYPES = frozenset(
    {"greenhouse", "lever", "ashby", "workable", "recruitee", "smartrecruiters", "jsonld"}
)


def option_models() -> dict[str, type[SourceOptions]]:
    """The options model of every source type, for config validation."""
    return {name: kind.Options for name, kind in SOURCE_TYPES.items()}


def build_source(options: SourceOptions) -> Source:
    """The source object for one validated config entry."""
    return SOURCE_TYPES[options.type](options)  # type: ignore[call-arg]


__all__ = [
    "COMPANY_PAGE_TYPES",
    "SOURCE_TYPES",
    "CollectContext",
    "Collected",
    "Source",
    "build_source",
    "option_models",
]
