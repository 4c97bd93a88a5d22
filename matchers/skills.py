"""The skills vocabulary: canonical skills, their synonyms, and how job text spells them.

The table ships as data in ``matchers/data/skills.yaml`` (its header says how to extend
it). Loading validates it: a synonym claimed by two skills, or longer than three words
once stop words are gone, is a mistake in the table and raises :class:`SkillTableError`.
Reading the package's own data file is the only thing here that touches the disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

from matchers.tokens import JOINERS, Tokenizer, tokenize, words

MAX_PHRASE_WORDS = 3


class SkillTableError(ValueError):
    """The skills table contradicts itself; the message names the entry to fix."""


@dataclass(frozen=True)
class SkillTable:
    """Canonical skills and the token sequences that stand for them.

    A skill's *key* is its display name run through the tokenizer and joined with spaces
    (``"Ruby on Rails"`` -> ``"ruby rails"``); keys are the features the matcher scores with.
    One-word synonyms of one-word skills replace the word in the token stream (``k8s`` ->
    ``kubernetes``); one-word synonyms of longer skills stay and add the skill's key
    (``ml`` adds ``machine learning``), so neighbouring words still pair up as written.
    """

    display: Mapping[str, str]  # key -> display name
    phrases: Mapping[tuple[str, ...], str]  # synonym tokens -> key
    implied: Mapping[str, str]  # one token -> the longer skill key it stands for
    names: Mapping[str, str]  # a whole skills-list item ("go") -> key
    areas: Mapping[str, str]  # key -> the area heading it is listed under
    families: Mapping[str, frozenset[str]]  # role family -> the areas of its skills
    broader: Mapping[str, frozenset[str]]  # key -> keys of the skills anyone with it has
    backgrounds: frozenset[str]  # keys of industries: shown in "why", never as a gap
    tokens: Tokenizer  # the tokenizer job text and profiles are read with
    digest: str  # hash of the table's text: a fitted model is only valid with the same table

    def name_of(self, key: str) -> str:
        """Display name of a feature: the skill's name, or the words themselves."""
        return self.display.get(key, key)

    def families_of(self, key: str) -> frozenset[str]:
        """The role families a skill belongs to (none for a word that is not a skill)."""
        area = self.areas.get(key)
        return frozenset(f for f, areas in self.families.items() if area in areas)


@cache
def default_table() -> SkillTable:
    """The table shipped with the package (loaded once per process)."""
    text = resources.files("matchers").joinpath("data/skills.yaml").read_text(encoding="utf-8")
    return parse_table(text)


def parse_table(text: str) -> SkillTable:
    """Build and validate a skill table from the YAML text of ``skills.yaml``."""
    data: Any = YAML(typ="safe").load(text)
    entries = _entries(data)
    keep = _joined_tokens(text)
    variants, joins = _variants(data.get("variants") or {})
    display = _display_keys(entries, keep, variants, joins)
    expand = dict(variants)
    implied: dict[str, str] = {}
    for tokens, key in _phrases(entries, display, keep, variants, joins).items():
        if len(tokens) == 1 and tokens[0] != key:
            if tokens[0] in variants:
                raise SkillTableError(f"{tokens[0]!r} is both a variant and a skill synonym")
            if " " in key:
                implied[tokens[0]] = key
            else:
                expand[tokens[0]] = (key,)
    # Job text is tokenised with the replacements, so the synonyms must be too: "postgres
    # dba" is matched as "postgresql dba" once "postgres" stands for that.
    phrases = _phrases(entries, display, keep, expand, joins)
    names = _names(data.get("names") or {}, display)
    by_name = {name: key for key, name in display.items()}
    areas = {by_name[name]: area for area, name, _ in entries}
    families = _families(data.get("families") or {}, set(areas.values()))
    broader = _broader(data.get("broader") or {}, by_name)
    backgrounds = frozenset(_skill_keys("backgrounds", data.get("backgrounds") or [], by_name))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    tokenizer = Tokenizer(keep, expand, joins)
    return SkillTable(display, phrases, implied, names, areas, families, broader, backgrounds,
                      tokenizer, digest)


def _entries(data: Any) -> list[tuple[str, str, list[str]]]:
    """(area, display name, synonyms) of every skill."""
    areas = data.get("skills") if isinstance(data, dict) else None
    if not isinstance(areas, dict):
        raise SkillTableError("the table needs a `skills:` mapping of areas to entries")
    entries: list[tuple[str, str, list[str]]] = []
    for area, skills in areas.items():
        if not isinstance(skills, dict):
            raise SkillTableError(f"area {area!r} must map skill names to synonym lists")
        for name, synonyms in skills.items():
            if not isinstance(synonyms, list):
                raise SkillTableError(f"{name!r} in {area!r} needs a list of synonyms ([] if none)")
            entries.append((str(area), str(name), [str(s) for s in synonyms]))
    return entries


def _families(families: Mapping[Any, Any], areas: set[str]) -> dict[str, frozenset[str]]:
    """Role families as sets of areas; every area must exist and belong to a family."""
    out: dict[str, frozenset[str]] = {}
    for family, members in families.items():
        unknown = sorted(set(map(str, members)) - areas)
        if unknown:
            raise SkillTableError(f"family {family!r} lists {unknown[0]!r}, which is no area")
        out[str(family)] = frozenset(map(str, members))
    homeless = sorted(areas - set().union(*out.values()))
    if homeless:
        raise SkillTableError(f"area {homeless[0]!r} belongs to no family under `families:`")
    return out


def _broader(broader: Mapping[Any, Any], by_name: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Each skill's broader skills, by key; every name must be a skill of the table."""
    out: dict[str, frozenset[str]] = {}
    for name, wider in broader.items():
        key, *wide = _skill_keys("broader", [name, *(wider or ())], by_name)
        out[key] = frozenset(wide)
    return out


def _skill_keys(section: str, names: Iterable[Any], by_name: Mapping[str, str]) -> list[str]:
    """The keys of skills named in ``section`` (``by_name``: display name -> key); every name
    must be a skill of the table."""
    named = [str(name) for name in names]
    unknown = [n for n in named if n not in by_name]
    if unknown:
        raise SkillTableError(f"`{section}:` names {unknown[0]!r}, which is not a skill")
    return [by_name[n] for n in named]


def _joined_tokens(text: str) -> set[str]:
    """Every token of the table that contains - . / &: these stay whole in job text."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return {token for token in words(body) if JOINERS.search(token)}


def _variants(spellings: Mapping[Any, Any]) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """One-word spellings to replace, and spaced spellings to join, for each variant word."""
    expand: dict[str, tuple[str, ...]] = {}
    joins: dict[str, str] = {}
    for word, others in spellings.items():
        for other in others:
            spelled = " ".join(str(other).lower().split())
            if " " in spelled:
                joins[spelled] = str(word)
            else:
                expand[spelled] = (str(word),)
    return expand, joins


def _display_keys(
    entries: list[tuple[str, str, list[str]]],
    keep: set[str],
    variants: Mapping[str, tuple[str, ...]],
    joins: Mapping[str, str],
) -> dict[str, str]:
    display: dict[str, str] = {}
    for _, name, _ in entries:
        key = " ".join(_phrase(name, name, keep, variants, joins))
        if key in display:
            raise SkillTableError(
                f"{name!r} and {display[key]!r} are the same skill once tokenised"
            )
        display[key] = name
    return display


def _phrases(
    entries: list[tuple[str, str, list[str]]],
    display: Mapping[str, str],
    keep: set[str],
    expand: Mapping[str, tuple[str, ...]],
    joins: Mapping[str, str],
) -> dict[tuple[str, ...], str]:
    by_name = {name: key for key, name in display.items()}
    phrases: dict[tuple[str, ...], str] = {}
    for _, name, synonyms in entries:
        key = by_name[name]
        for synonym in (name, *synonyms):
            tokens = _phrase(synonym, name, keep, expand, joins)
            owner = phrases.setdefault(tokens, key)
            if owner != key:
                raise SkillTableError(
                    f"synonym {synonym!r} of {name!r} is already a synonym of {display[owner]!r}"
                )
    return phrases


def _phrase(
    synonym: str,
    name: str,
    keep: set[str],
    expand: Mapping[str, tuple[str, ...]],
    joins: Mapping[str, str],
) -> tuple[str, ...]:
    tokens = tuple(tokenize(synonym, keep, expand, joins))
    if not tokens:
        raise SkillTableError(f"synonym {synonym!r} of {name!r} has only stop words or numbers")
    if len(tokens) > MAX_PHRASE_WORDS:
        raise SkillTableError(
            f"synonym {synonym!r} of {name!r} is {len(tokens)} words without stop words; "
            f"at most {MAX_PHRASE_WORDS} are matched"
        )
    return tokens


def _names(names: Mapping[Any, Any], display: Mapping[str, str]) -> dict[str, str]:
    by_display = {shown.lower(): key for key, shown in display.items()}
    resolved: dict[str, str] = {}
    for short, shown in names.items():
        key = by_display.get(str(shown).lower())
        if key is None:
            raise SkillTableError(f"name {short!r} points to {shown!r}, which is not a skill")
        resolved[str(short).lower()] = key
    return resolved

