"""Skills a posting lists as alternatives: a mentee with one of them lacks none of them.

"Experience with Java, C#, Python or JavaScript", "SQL/MySQL", "one of R, SAS or Python",
"one common language (Perl, Python, Shell)", "a CRM such as Salesforce or HubSpot", "(e.g.
Java, Go)": the posting asks for one of the listed skills, so a Python developer has no
Java or C# to brush up on. A clause holds a list of alternatives when its items are joined
by "or" (or "and/or"), or when a cue ("one of", "one or more", "2 or more", "any", "such
as", "e.g.", "for example", "including", "like", "one <thing> (") opens it;
every two words joined by a slash are alternatives too, and slashed words opening an item
share the words after them ("UX/UI writing" is UX writing or UI writing), as a word an "or"
joins to a longer item shares its last words ("project and/or program management" is
project management or program management). Examples are alternatives to what they are
examples of: "CRM systems (e.g. Salesforce)" asks for no Salesforce of a mentee who knows
CRM. The items of a list are its short comma-separated parts (a long part ends the list; of
the part just before, only the last words count, as "experience with Java" names Java).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from matchers.vectors import skill_columns_in

# A clause ends at a line break, a semicolon or the full stop of a sentence (not the dots
# of "e.g." or "Node.js").
_CLAUSE_END = re.compile(r";|(?<!\be\.g)(?<!\bi\.e)\.(?:\s|$)")
_OPENING_CUE = re.compile(
    r"\b(?:one of|(?:one|two|three|\d+) or more(?: of)?|any(?: of)?|such as|e\.g\.?,?|eg\.?,?"
    r"|for example|for instance|including(?: but not limited to)?:?|like"
    # "scripting skills in one common language (Perl, Python, Shell)"
    r"|one (?:[\w+#-]+ ){0,2}[\w+#-]+(?=\s+\())\s+"
)
# The cues that open examples of what comes before them (not "one of", "any", "2 or more").
_EXAMPLE_CUE = re.compile(r"such as|e\.?g|for example|for instance|including|like")
# Substrings of every cue: a clause with none of them needs no regex (indexing many
# postings reads every clause; tests/test_match_explanations.py checks they agree).
_OPENING_CUE_WORDS = ("one ", "or more", "any", "such as", "e.g", "eg", "for ex", "for in",
                      "includ", "like")
_OR = re.compile(r"\b(?:and/)?or\b")
_PART_SEPARATOR = re.compile(r",|\(|\)|:")
_ITEM_SEPARATOR = re.compile(r"\s*(?:\band/or\b|\bor\b|\band\b|&)\s*")
_SLASH = re.compile(r"\s*/\s*")
# Slashed words opening an item, then the words they share: "ux/ui writing experience".
_SLASHED_HEAD = re.compile(r"((?:[\w#+.-]+\s*/\s*)+[\w#+.-]+)\s+(\w.*)")
# From the start of a word only: trying every character of a word is quadratic.
_SLASHED = re.compile(r"(?<![\w#+.-])[\w#+.-]+(?:\s*/\s*[\w#+.-]+)+")
_ITEM_WORDS = 4  # a longer comma-separated part is a clause of its own, not an item
_LEAD_WORDS = 3  # of the part before a list, the words that can name its first item


def alternative_lists(text: str) -> list[list[str]]:
    """The lists of alternatives in ``text``, each as the texts of its items."""
    lists = []
    for clause in _clauses(text.lower()):
        if "/" in clause:
            lists.extend(_slashed(clause))
        cue = _opening_cue(clause)
        if cue is not None:
            lists.append(_example_of(clause[: cue.start()], cue)
                         + _items(_short_run(_parts(clause[cue.end():]))))
        if "or" in clause and _OR.search(clause):
            lists.extend(_items(run) for run in _runs_with_or(_parts(clause)))
    return [items for items in lists if len(items) > 1]


def _clauses(text: str) -> list[str]:
    return [clause for line in text.splitlines()
            for clause in (_CLAUSE_END.split(line) if "." in line or ";" in line else (line,))]


def _opening_cue(clause: str) -> re.Match[str] | None:
    if not any(word in clause for word in _OPENING_CUE_WORDS):
        return None
    return _OPENING_CUE.search(clause)


def alternatives_matrix(
    texts: Sequence[str],
    features: Callable[[str], list[str]],
    vocabulary: Mapping[str, int],
    is_skill: np.ndarray,
) -> sp.csr_matrix:
    """Texts x terms: the skills each text lists as alternatives, valued by the number
    (1, 2, ...) of their list in the text; lists sharing a skill are one."""
    rows: list[int] = []
    columns: list[int] = []
    values: list[int] = []
    for row, text in enumerate(texts):
        group_of: dict[int, int] = {}
        for number, items in enumerate(alternative_lists(text), start=1):
            skills = set().union(
                *(skill_columns_in(item, features, vocabulary, is_skill) for item in items)
            )
            if len(skills) < 2:
                continue
            joined = {group_of[c] for c in skills if c in group_of}
            for column, group in list(group_of.items()):
                if group in joined:
                    group_of[column] = number
            group_of.update(dict.fromkeys(skills, number))
        rows.extend([row] * len(group_of))
        columns.extend(group_of)
        values.extend(group_of.values())
    return sp.csr_matrix(
        (np.array(values, np.float32), (np.array(rows, np.int64), np.array(columns, np.int64))),
        shape=(len(texts), len(vocabulary)),
    )


def _example_of(before: str, cue: re.Match[str]) -> list[str]:
    """What examples are examples of: the last words before "such as", "e.g." and the like
    ("CRM systems (e.g. Salesforce)": a mentee who knows CRM systems lacks no Salesforce)."""
    if not _EXAMPLE_CUE.match(cue.group()):
        return []
    parts = _parts(before)
    return [" ".join(parts[-1].split()[-_LEAD_WORDS:])] if parts else []


def _slashed(clause: str) -> list[list[str]]:
    return [m.group().split("/") for m in _SLASHED.finditer(clause)]


def _parts(clause: str) -> list[str]:
    return [p.strip() for p in _PART_SEPARATOR.split(clause) if p.strip()]


def _short_run(parts: Sequence[str]) -> list[str]:
    """The parts up to the first long one (which still counts when it opens the list)."""
    run: list[str] = []
    for part in parts:
        if run and len(part.split()) > _ITEM_WORDS:
            break
        run.append(part)
    return run


def _runs_with_or(parts: Sequence[str]) -> list[list[str]]:
    """Runs of short parts holding an "or"; a long part ends a run (the words around its
    first "or" still belong to it: "java or any other language") and opens the next with
    its last words."""
    runs: list[list[str]] = []
    current: list[str] = []
    for part in parts:
        if len(part.split()) <= _ITEM_WORDS:
            current.append(part)
            continue
        joiners = list(_OR.finditer(part))
        runs.append(current + [_around(part, j) for j in joiners[:1]])
        runs.extend([_around(part, j)] for j in joiners[1:])
        current = [" ".join(part.split()[-_LEAD_WORDS:])]
    runs.append(current)
    return [run for run in runs if any(_OR.search(p) for p in run)]


def _around(part: str, joiner: re.Match[str]) -> str:
    """The words either side of an "or" inside a long part ("experience in python and/or
    go ...")."""
    before = part[: joiner.start()].split()[-_LEAD_WORDS:]
    after = part[joiner.end() :].split()[:_ITEM_WORDS]
    return " ".join([*before, joiner.group(), *after])


def _items(parts: Sequence[str]) -> list[str]:
    return [item for part in parts for piece in _with_elided_heads(part)
            for item in _unslashed(piece)]


def _with_elided_heads(part: str) -> list[str]:
    """The items of a part, and for an item an "or" joins to a longer one, its last word
    with the other's last words ("project and/or program management": project management
    too)."""
    pieces = _ITEM_SEPARATOR.split(part)
    out = [p for p in pieces if p]
    for first, joiner, second in zip(
            pieces, _ITEM_SEPARATOR.findall(part), pieces[1:], strict=False):
        tail = second.split()[1:]
        if first and tail and _OR.search(joiner):
            out.append(" ".join([first.split()[-1], *tail]))
    return out


def _unslashed(piece: str) -> list[str]:
    """The alternatives of a slashed item: "ux/ui writing" -> "ux writing", "ui writing"."""
    if "/" not in piece:
        return [piece]
    head = _SLASHED_HEAD.fullmatch(piece)
    if head is None:
        return [item for item in _SLASH.split(piece) if item]
    return [f"{word} {head.group(2)}" for word in _SLASH.split(head.group(1))]
