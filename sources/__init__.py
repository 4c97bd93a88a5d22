"""Source types, by the ``type:`` name used in config.yaml: one module each, found by its name.

A source module is named after its type (``type: greenhouse`` is ``sources/greenhouse.py``) and
defines the source class, whose ``type`` is that name. Nothing else registers it: the registry
imports the module when a configured source needs it, so a run collecting feeds does not pay
for the board parsers (or their libraries).

Adding a source:

- a job board on an ATS: one module declaring a :class:`sources.ats.BoardOptions` subclass (the
  slug setting, where users find it, the API endpoint) and a :class:`sources.ats.BoardSource`
  subclass (``type``, ``Options``, the careers-page ``url_patterns`` that ``leads add-source``
  recognises, and its ``parser``, or its own ``collect`` for a paged API). Boards are company
  pages; the slug and ``url:`` override work alike for all (tests/test_sources_ats.py);
- any other source: one module with a :class:`sources.base.ConfiguredSource` subclass setting
  ``Options``, ``type`` (``company_page = True`` for a company's own careers site, ``events =
  True`` for a source of networking events) and ``collect``;
- then its tests (a golden file from a recorded response under tests/fixtures/, with its origin
  in tests/fixtures/SOURCES.md), an example in config.yaml and a row in the README.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from types import ModuleType
from typing import cast

from aggregator.core.config import SourceOptions
from sources.base import CollectContext, Collected, ConfiguredSource, Source


class SourceRegistry(MutableMapping[str, type[Source]]):
    """Source classes by ``type:`` name, each found in its module on first use."""

    def __init__(self, package: str, modules: Iterable[str]) -> None:
        self._package = package
        self._modules = set(modules)  # every module of the package; the helpers define no source
        self._classes: dict[str, type[Source] | None] = {}  # None: a module that is no source

    def _load(self, name: object) -> type[Source] | None:
        if not isinstance(name, str) or name not in self._modules:
            return None
        if name not in self._classes:
            module = importlib.import_module(f"{self._package}.{name}")
            self._classes[name] = _source_class(module, name)
        return self._classes[name]

    def __getitem__(self, name: str) -> type[Source]:
        found = self._load(name)
        if found is None:
            raise KeyError(name)
        return found

    def __setitem__(self, name: str, kind: type[Source]) -> None:
        self._modules.add(name)
        self._classes[name] = kind

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._modules.discard(name)
        self._classes.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return self._load(name) is not None

    def __iter__(self) -> Iterator[str]:
        """Every source type, in name order (this imports every source module)."""
        return iter(sorted(name for name in self._modules if self._load(name) is not None))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _source_class(module: ModuleType, name: str) -> type[Source] | None:
    """The class ``module`` defines whose ``type`` is ``name``, if there is one."""
    for value in vars(module).values():
        if (
            inspect.isclass(value)
            and issubclass(value, ConfiguredSource)
            and value.__module__ == module.__name__
            and getattr(value, "type", None) == name
        ):
            return cast("type[Source]", value)  # a ConfiguredSource with its collect
    return None


SOURCE_TYPES = SourceRegistry(
    __name__, (m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
)


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


def option_models() -> Mapping[str, type[SourceOptions]]:
    """The options model of every source type, for config validation (imported on use)."""
    return _OptionModels()


def build_source(options: SourceOptions) -> Source:
    """The source object for one validated config entry."""
    return SOURCE_TYPES[options.type](options)  # type: ignore[call-arg]


__all__ = [
    "SOURCE_TYPES",
    "CollectContext",
    "Collected",
    "Source",
    "build_source",
    "option_models",
]
