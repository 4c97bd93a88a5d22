"""Whom a mentor knows at a posting's company: their LinkedIn connections, indexed by company.

A mentor's ``network`` is either an inline list of contacts or the path of a LinkedIn
"Connections.csv" export. :class:`NetworkIndex` answers "who works at <company>?" for the
company names postings carry, which rarely match LinkedIn's spelling exactly:

1. names are reduced to a key (:func:`company_key`): "Acme, Inc." and "ACME" are both "acme";
2. brands of one group count as one company (``data/company_aliases.yaml``): a YouTube
   posting finds the mentor's friend at Google;
3. last, a strict fuzzy match forgives small spelling differences ("Acme Technology" and
   "Acme Technologies") but never a different name: the first word must be the same, short
   names must match exactly, and each other word must keep its first three letters, so
   "Apex Analytics" is not "Acme Analytics", nor "Metabase" Meta.

A wrong "you know someone there" sends a mentor to ask the wrong person, so every rule errs
on the side of a miss.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache, lru_cache
from importlib import resources
from operator import itemgetter
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rapidfuzz import fuzz, process
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from aggregator.core.errors import ConfigError
from aggregator.core.models import Contact, Mentor

logger = logging.getLogger(__name__)

EXPORT_FIX = (
    "export it from LinkedIn: Settings → Data privacy → Get a copy of your data → Connections"
)
# Header cells of a LinkedIn export (compared case-insensitively); older exports lack URL.
_FIELDS = ("first name", "last name", "url", "email address", "company", "position")
_REQUIRED = frozenset(("first name", "last name", "company"))

# Legal forms and group words dropped from the end of a name ("Acme Holdings Ltd" -> "acme").
# "and" is here for what "& Co." leaves behind.
_SUFFIXES = frozenset(
    (
        *("inc", "incorporated", "llc", "llp", "ltd", "limited", "plc", "pty", "pvt", "private"),
        *("corp", "corporation", "co", "company", "gmbh", "mbh", "ag", "kg", "se", "sa", "sas"),
        *("sarl", "spa", "srl", "bv", "nv", "oy", "ab", "sp", "z", "oo", "com", "and"),
        *("group", "holding", "holdings"),
    )
)
_FORMERLY = re.compile(r"[,;\-\u2013\u2014]?\s*\b(?:formerly|previously|fka|f/k/a)\b.*$")
_PARENTHESES = re.compile(r"\([^()]*\)")
_INITIALS = re.compile(r"\b[^\W_](?:\.[^\W_])+\b\.?")  # "s.a." -> "sa", "o.o." -> "oo"
_APOSTROPHES = re.compile(r"['\u2019`]")
_WORD = re.compile(r"[^\W_]+")
# Accents of Latin letters ("é" -> "e"); other scripts' marks (Japanese dakuten) change the letter.
_ACCENTS = re.compile("[\u0300-\u036f]")

# Fuzzy matching only for keys this long: a short name differs from another by a letter or two.
MIN_FUZZY_LENGTH = 8
# rapidfuzz ratio (0-100) a candidate must reach; "acme lab" vs "acme labs" scores 94.
FUZZY_CUTOFF = 90
_SAME_START = 3  # letters every word of a fuzzy match must share with its counterpart


@lru_cache(maxsize=65_536)
def company_key(name: str) -> str:
    """The comparable form of a company name: 'The Acme Group, Inc. (formerly Foo)' -> 'acme'."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    text = unicodedata.normalize("NFC", _ACCENTS.sub("", folded))
    outside = _PARENTHESES.sub(" ", text)
    text = outside if outside.strip() else text  # "(Stealth)" is the whole name
    text = _FORMERLY.sub("", text) or text
    text = _APOSTROPHES.sub("", text.replace("&", " and "))
    text = _INITIALS.sub(lambda m: m.group().replace(".", ""), text)
    words = _WORD.findall(text)
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words.pop()
    return " ".join(words)


def _compact(key: str) -> str:
    """A key without spaces, so 'Data Dog' finds 'Datadog'."""
    return key.replace(" ", "")


@cache
def default_aliases() -> dict[str, str]:
    """The alias table shipped with the package (read once per process)."""
    text = resources.files("digests").joinpath("data/company_aliases.yaml").read_text("utf-8")
    return parse_aliases(text, "digests/data/company_aliases.yaml")


def parse_aliases(text: str, source: str) -> dict[str, str]:
    """Map the compact key of every name in an alias YAML to the compact key of its group."""
    try:
        data: Any = YAML(typ="safe").load(text)
    except YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=source) from exc
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of group names to lists of names", file=source)
    aliases: dict[str, str] = {}
    for group, names in data.items():
        if not isinstance(names, list):
            raise ConfigError("needs a list of names ([] if none)", file=source, key=str(group))
        canonical = _compact(company_key(str(group)))
        for name in (str(group), *map(str, names)):
            key = _compact(company_key(name))
            if aliases.setdefault(key, canonical) != canonical:
                raise ConfigError(
                    f"{name!r} is listed under two groups",
                    file=source,
                    key=str(group),
                    fix="keep each name in one group",
                )
    return aliases


def _by_name(contact: Contact) -> tuple[str, str, str, str]:
    return (contact.name.casefold(), contact.name, contact.position, contact.url)


class NetworkIndex:
    """A mentor's contacts by company, looked up with the rules in this module's docstring."""

    def __init__(
        self, contacts: Iterable[Contact], aliases: Mapping[str, str] | None = None
    ) -> None:
        self._aliases = default_aliases() if aliases is None else aliases
        grouped: dict[str, list[Contact]] = defaultdict(list)
        spellings: dict[str, str] = {}  # each company key seen -> its canonical key
        for contact in contacts:
            key = company_key(contact.company)
            if key:  # a company named only in punctuation cannot be looked up
                spellings[key] = self._canonical(key)
                grouped[spellings[key]].append(contact)
        self._contacts = {key: tuple(sorted(found, key=_by_name)) for key, found in grouped.items()}
        # Fuzzy candidates share the first word of the name, which keeps the lists short.
        self._by_first_word: dict[str, list[str]] = defaultdict(list)
        for key in sorted(spellings):
            self._by_first_word[key.split(" ", 1)[0]].append(key)
        self._spellings = spellings

    def _canonical(self, key: str) -> str:
        compact = _compact(key)
        return self._aliases.get(compact, compact)

    def contacts_at(self, company: str) -> tuple[Contact, ...]:
        """The contacts who work at ``company`` (or its group), ordered by name."""
        key = company_key(company)
        if not key:
            return ()
        found = self._contacts.get(self._canonical(key))
        if found is None:
            spelling = self._closest(key)
            found = self._contacts[self._spellings[spelling]] if spelling else ()
        return found

    def _closest(self, key: str) -> str | None:
        """The contacts' company key that differs from ``key`` only in spelling, if any."""
        if len(key) < MIN_FUZZY_LENGTH:
            return None
        words = key.split(" ")
        candidates = [
            c for c in self._by_first_word.get(words[0], ()) if _same_words(words, c.split(" "))
        ]
        best = process.extractOne(
            key, candidates, scorer=fuzz.ratio, processor=None, score_cutoff=FUZZY_CUTOFF
        )
        return best[0] if best else None


def _same_words(words: Sequence[str], other: Sequence[str]) -> bool:
    """Whether two names have as many words, each starting alike (the first one identical)."""
    return (
        len(words) == len(other)
        and words[0] == other[0]
        and all(a[:_SAME_START] == b[:_SAME_START] for a, b in zip(words, other, strict=True))
    )


def network_of(mentor: Mentor, base_dir: Path) -> tuple[Contact, ...]:
    """The mentor's contacts: the inline list, or the CSV export at a path relative to base_dir."""
    if isinstance(mentor.network, str):
        return load_connections(base_dir / Path(mentor.network).expanduser())
    return mentor.network


def load_connections(path: Path) -> tuple[Contact, ...]:
    """The contacts in a LinkedIn Connections.csv export; rows without a company are skipped."""
    rows = csv.reader(io.StringIO(_read_export(path), newline=""), strict=True)
    try:
        columns = _header(rows, path)
        contacts = tuple(_contacts(rows, columns))
    except csv.Error as exc:
        raise ConfigError(
            f"broken CSV ({exc})", file=str(path), line=rows.line_num, fix=EXPORT_FIX
        ) from exc
    logger.info("%s: %d contacts with a company", path, len(contacts))
    return contacts


def _read_export(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # Excel adds a BOM when it saves
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})",
            file=str(path),
            fix=f"save it as 'CSV UTF-8', or {EXPORT_FIX}",
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"cannot read the LinkedIn connections export ({exc.strerror or exc})",
            file=str(path),
            fix=f"check the mentor's `network` path, or {EXPORT_FIX}",
        ) from exc


def _header(rows: Iterator[list[str]], path: Path) -> tuple[int, ...]:
    """Skip the 'Notes:' preamble; the column of each of _FIELDS (one past the last if absent)."""
    for row in rows:
        cells = [cell.strip().casefold() for cell in row]
        if _REQUIRED.issubset(cells):
            return tuple(cells.index(name) if name in cells else len(cells) for name in _FIELDS)
    raise ConfigError(
        "no header row with First Name, Last Name and Company columns: "
        "not a LinkedIn Connections.csv",
        file=str(path),
        fix=EXPORT_FIX,
    )


def _contacts(rows: Iterable[list[str]], columns: tuple[int, ...]) -> Iterator[Contact]:
    pick = itemgetter(*columns)
    width = max(columns) + 1
    for row in rows:
        if len(row) < width:  # short rows and absent columns read as empty
            row.extend([""] * (width - len(row)))
        first, last, url, email, company, position = map(str.strip, pick(row))
        name = f"{first} {last}".strip()
        if company and name:  # nobody to introduce at no company
            yield _contact(name, company, email, position, url)


def _contact(name: str, company: str, email: str, position: str, url: str) -> Contact:
    fields = {"name": name, "company": company, "position": position, "url": url}
    if email:
        try:
            return Contact(**fields, email=email)
        except ValidationError:
            logger.debug("ignoring the invalid email address of %s", name)
    return Contact(**fields)
