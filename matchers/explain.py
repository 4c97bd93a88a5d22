"""Why a posting matched and what it asks that the mentee lacks.

"Why it fits" names skills and role words the mentee has and the posting asks for (its
title and requirements, never its blurb, offer or EEO statement), those that added most to
the score first. "Brush up on" names skills the posting asks for that the mentee lacks,
only those it asks with some weight (not a skill named once in passing among many) and
firmly (stated as a requirement, not only named once among the duties or in the title: see
:mod:`matchers.asked`), and only from the role families of the mentee's own skills (a
designer is not sent to learn Kubernetes), never one a skill of theirs implies (WordPress
implies a CMS), never one the posting lists as an alternative to a skill they have (or
one it implies: a Python developer lacks no Java in "Java, C# or Python"), and only one
that other jobs like the mentee's ask for too (see ``GAP_PEERS``): a skill typical of the
work they are after, not one a single posting happens to name. A skill is a reason only
when its role family is a real part of what the posting asks, or the posting is of the
mentee's own field (``WHY_FIELD_SHARE``): "Employee onboarding" read from a software
engineer's posting is no reason to send it to an HR coordinator. Neither list
repeats itself or the other: a term whose words are contained in another's shown term is
left out (in "why", the longer one stays, whichever came first), and so is a gap another
gap of the lead implies (learning Google Ads is learning SEM).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

WHY_TERMS = 5
GAP_SKILLS = 5
# A gap is shown only when the posting asks for it with at least this weight (its share of
# the l2-normalised requirement terms): a skill named once in passing among many is no sure
# gap. Chosen on the tuning half of benchmarks/match_explain.py: gap precision 0.929 -> 0.976
# with mean gaps per lead 1.77 -> 1.52.
GAP_WEIGHT = 0.08
# A gap is shown only when at least GAP_PEERS_ASKING of the GAP_PEERS postings of the model's
# reference sample nearest the mentee's profile (copies of the posting itself left out) name
# it: "Adobe Illustrator" asked of a product manager, "Game design" of a technical writer, an
# "Investment banking" background of a financial analyst are skills jobs like theirs do not
# ask. Chosen on the tuning half of benchmarks/match_explain.py (``--choose-peers``), as the
# pair keeping most right gaps at gap precision >= 0.94 there (a margin over the 0.90
# target, as the choice is tuned): first (50, 2), then, once industries were no gaps
# (skills.yaml `backgrounds`) and a few words no skills, (50, 1); with the eighth judged
# round and its rules, (30, 1); with the ninth and its rules, (30, 2): 253 right of 268
# (0.944), 0.46 gaps per lead (choosing so, cross-validated by profile: 0.932, leaving one
# round out: 0.897). A reference sample smaller than GAP_PEERS says nothing of what is
# typical: no rule then.
GAP_PEERS = 30
GAP_PEERS_ASKING = 2
# A skill is a why-term only when the skills of its role family (the one of its families
# the posting asks most) hold at least WHY_FIELD_SHARE of the weight of all the skills the
# posting asks, or the posting is of the mentee's own field (their families hold at least
# WHY_OWN_FIELD of it): a field a posting of another one names in passing ("Accounting" in
# a software engineer's posting, "Scrum" in a backend engineer's) is not what it asks of
# the hire, but the data analysis a marketing posting asks of a marketer is. Chosen on the
# tuning half of benchmarks/match_explain.py (``--choose-field``), as the pair keeping most
# right why-terms at precision >= 0.96 there (a margin over the 0.95 target): (0.2, 0.6),
# why precision 0.946 -> 0.960 (20 wrong and 48 right terms fewer); choosing so,
# cross-validated by profile 0.959, leaving one judged round out 0.956. Role words are no
# skills and keep no field.
WHY_FIELD_SHARE = 0.2
WHY_OWN_FIELD = 0.6
_CANDIDATES = 4 * WHY_TERMS
# Words about how or where a job is done, not what it is: a shared "developer remote" is no
# reason to forward a lead (the location filter has already judged where).
_NOT_A_REASON = frozenset(
    {"remote", "hybrid", "onsite", "anywhere", "worldwide", "fulltime", "parttime", "freelance"}
)
# A family is the mentee's when it holds at least this share of the skills of their
# strongest family (near-ties: a machine-learning engineer is in software and data).
_FAMILY_SHARE = 0.75


@dataclass(frozen=True)
class Peers:
    """The reference postings nearest each pair's profile, and the terms each names: what
    tells a skill jobs like the mentee's ask for (see ``GAP_PEERS``)."""

    nearest: np.ndarray  # pairs x GAP_PEERS reference rows; a row past the last pads
    names: sp.csr_matrix  # (reference rows + 1) x terms, 1 where it names the term

    def asking(self, pairs: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """For each (pair, column), how many of the pair's nearest postings name the term."""
        rows = self.nearest[pairs]
        if not rows.size:  # scipy indexes a sparse matrix by two empty arrays as one cell
            return np.zeros(len(pairs), dtype=np.int64)
        found = self.names[rows.ravel(), np.repeat(columns, rows.shape[1])]
        return np.asarray(found).reshape(rows.shape).sum(axis=1)


class Explainer:
    """Explains many (profile, posting) pairs at once with sparse element-wise products.

    ``is_skill`` flags the skill columns; ``families`` gives each column a bit per role
    family its skill belongs to (0 for words that are no skill); ``implies`` is a terms x
    terms 0/1 matrix, 1 where the row's skill implies the column's (skills.yaml `broader:`);
    ``learnable`` flags the skills that may be gaps (all by default; not an industry,
    skills.yaml `backgrounds:`).
    """

    def __init__(
        self,
        terms: Sequence[str],
        name_of: Callable[[str], str],
        is_skill: np.ndarray,
        families: np.ndarray,
        implies: sp.csr_matrix,
        learnable: np.ndarray | None = None,
    ) -> None:
        self.terms = terms
        self.name_of = name_of
        self.is_skill = is_skill
        self.learnable = is_skill if learnable is None else is_skill & learnable
        self.families = families
        # terms x families: whether the term's skill belongs to each family (bit)
        self._in_family = _bit_columns(families, int(families.max()).bit_length()
                                       if len(families) else 0)
        self.implies = implies
        self._names: dict[int, str] = {}
        self._words: dict[int, frozenset[str]] = {}

    def name(self, column: int) -> str:
        """The display name of a term (looked up once per term)."""
        if column not in self._names:
            self._names[column] = self.name_of(self.terms[column])
        return self._names[column]

    def words(self, column: int) -> frozenset[str]:
        """The words of a term."""
        if column not in self._words:
            self._words[column] = frozenset(self.terms[column].split(" "))
        return self._words[column]

    def explain(
        self,
        profiles: sp.csr_matrix,
        own_terms: Sequence[np.ndarray],
        pairs: Sequence[tuple[int, int]],
        postings: sp.csr_matrix,
        asks: sp.csr_matrix,
        alternatives: sp.csr_matrix,
        firmly_asked: sp.csr_matrix,
        peers: Peers | None = None,
    ) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """(why, gaps) for each (profile row, posting row) pair, in the order given.

        ``profiles`` are the vectors scored with; ``own_terms`` the columns of each
        profile's own skills and role words (not those feedback brought in); ``asks`` the
        posting's title and requirement terms (see ``TfidfMatcher.index``); ``alternatives``
        has a row per pair: the posting's lists of alternative skills, each skill valued by
        the number of its list; ``firmly_asked`` a row per pair, 1 for each skill the
        posting firmly asks (see :mod:`matchers.asked`): only those can be gaps;
        ``peers`` the reference postings nearest each pair's profile (see ``GAP_PEERS``),
        None when there is no reference sample to tell.
        """
        if not pairs:
            return []
        mine = np.fromiter((p for p, _ in pairs), np.int64, len(pairs))
        theirs = np.fromiter((q for _, q in pairs), np.int64, len(pairs))
        have = _flags(own_terms, profiles.shape[1])[mine]
        asked = asks[theirs]
        asked_flags = asked.copy()
        asked_flags.data[:] = 1
        # Why: the profile's own terms the posting asks for, by what they added to the score.
        shared = postings[theirs].multiply(profiles[mine]).multiply(have).multiply(asked_flags)
        shared = shared.tocsr()
        shared.data[shared.data < 0] = 0  # a disliked posting's terms weigh against
        allowed = self._family_masks(own_terms)
        shares = self._field_shares(asked)
        own = _bit_columns(np.asarray(allowed, np.int64)[mine], shares.shape[1])
        self._drop_outside_field(shared, shares, (shares * own).max(axis=1, initial=0.0))
        known = have + have @ self.implies
        known.data[:] = 1
        known = known.maximum(_alternatives_met(known.tocsr(), alternatives))
        lacking = (asked - asked.multiply(known)).multiply(firmly_asked).tocsr()
        lacking.data[~self.learnable[lacking.indices] | (lacking.data < GAP_WEIGHT)] = 0
        lacking.eliminate_zeros()
        if peers is not None:
            rows = np.repeat(np.arange(lacking.shape[0]), np.diff(lacking.indptr))
            lacking.data[peers.asking(rows, lacking.indices) < GAP_PEERS_ASKING] = 0
            lacking.eliminate_zeros()
        out = []
        for row, (why_columns, gap_columns) in enumerate(
            zip(_ranked(shared), _ranked(lacking), strict=True)
        ):
            why = self._why(why_columns)
            mask = allowed[int(mine[row])]
            gaps = self._gaps([c for c in gap_columns if self.families[c] & mask], why)
            out.append((tuple(map(self.name, why)), tuple(map(self.name, gaps))))
        return out

    def _field_shares(self, asked: sp.csr_matrix) -> np.ndarray:
        """Per pair and role family, the share of the weight of the skills the posting asks
        that the family's skills hold."""
        by_family = np.asarray(asked @ self._in_family)
        total = np.asarray(asked @ (self.families != 0).astype(np.float32)).ravel()
        return by_family / np.maximum(total, np.finfo(np.float32).tiny)[:, None]

    def _drop_outside_field(self, matrix: sp.csr_matrix, shares: np.ndarray,
                            own_field: np.ndarray) -> None:
        """Drop, in place, the skills of each pair row whose families hold less than
        ``WHY_FIELD_SHARE`` of what the posting asks (``shares``, from ``_field_shares``),
        unless the mentee's own families hold ``WHY_OWN_FIELD`` of it (``own_field``)."""
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        share = (shares[rows] * self._in_family[matrix.indices]).max(axis=1, initial=0.0)
        outside = (share < WHY_FIELD_SHARE) & (own_field[rows] < WHY_OWN_FIELD)
        matrix.data[(self.families[matrix.indices] != 0) & outside] = 0
        matrix.eliminate_zeros()

    def _family_masks(self, own_terms: Sequence[np.ndarray]) -> list[int]:
        """Each profile's role families as a bit mask: those near its strongest."""
        return [_strongest_families(self.families[columns]) for columns in own_terms]

    def _why(self, columns: Sequence[int]) -> list[int]:
        shown: list[int] = []
        covered: set[str] = set()
        for c in columns:
            words = self.words(c)
            if words & _NOT_A_REASON or words <= covered:
                continue  # "machine" after "machine learning" adds nothing
            if not self.is_skill[c] and words & covered:
                continue  # "python developer" after "Python"
            # "Investment banking" says what a "Banking" shown before it says, and more
            shown = [other for other in shown if not self.words(other) < words]
            covered |= words
            shown.append(c)
            if len(shown) == WHY_TERMS:
                break
        return shown

    def _gaps(self, columns: Sequence[int], why: Sequence[int]) -> list[int]:
        shown: list[int] = []
        implied = self._implied(columns)
        for c in columns:
            words = self.words(c)
            if c in implied or any(_near(words, self.words(other)) for other in (*why, *shown)):
                continue
            shown.append(c)
            if len(shown) == GAP_SKILLS:
                break
        return shown

    def _implied(self, columns: Sequence[int]) -> set[int]:
        """The columns another of ``columns`` implies."""
        if len(columns) < 2:
            return set()
        among = self.implies[columns][:, columns].tocoo()
        return {columns[j] for i, j in zip(among.row, among.col, strict=True) if i != j}


def _near(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two terms are near-duplicates: one's words contain the other's."""
    return a <= b or b <= a


def _bit_columns(values: np.ndarray, width: int) -> np.ndarray:
    """A 0/1 float matrix: a row per value, a column per bit of ``width``."""
    return ((values[:, None] >> np.arange(width)) & 1).astype(np.float32)


def _strongest_families(bits: np.ndarray) -> int:
    """The families (bits) holding at least ``_FAMILY_SHARE`` of the strongest one's skills."""
    bits = bits[bits != 0]
    if not len(bits):
        return 0
    width = int(bits.max()).bit_length()
    counts = np.array([np.count_nonzero(bits & (1 << b)) for b in range(width)])
    chosen = np.flatnonzero(counts >= _FAMILY_SHARE * counts.max())
    return int(sum(1 << int(b) for b in chosen))


def _alternatives_met(known: sp.csr_matrix, alternatives: sp.csr_matrix) -> sp.csr_matrix:
    """Per row, 1 for every skill of a list of alternatives holding a known skill."""
    met = alternatives.multiply(known).tocsr()
    rows, columns = [], []
    for row in np.flatnonzero(np.diff(met.indptr)):
        lists = met.data[met.indptr[row] : met.indptr[row + 1]]
        span = slice(alternatives.indptr[row], alternatives.indptr[row + 1])
        chosen = np.isin(alternatives.data[span], lists)
        columns.append(alternatives.indices[span][chosen])
        rows.append(np.full(int(chosen.sum()), row))
    if not rows:
        return sp.csr_matrix(known.shape, dtype=np.float32)
    taken = np.concatenate(columns)
    return sp.csr_matrix((np.ones(len(taken), np.float32), (np.concatenate(rows), taken)),
                         shape=known.shape)


def _flags(columns_of: Sequence[np.ndarray], width: int) -> sp.csr_matrix:
    """A 0/1 matrix with a row per entry of ``columns_of``, 1 in the listed columns."""
    lengths = np.fromiter(map(len, columns_of), np.int64, len(columns_of))
    indptr = np.concatenate(([0], np.cumsum(lengths)))
    indices = np.concatenate([*columns_of, np.zeros(0, np.int64)])
    return sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr),
                         shape=(len(columns_of), width))


def _ranked(matrix: sp.csr_matrix) -> list[list[int]]:
    """Each row's columns, largest value first (ties: lower column), the first few only."""
    counts = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), counts)
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    place = np.arange(len(order)) - np.repeat(matrix.indptr[:-1], counts)
    head = place < _CANDIDATES
    columns = matrix.indices[order][head].tolist()
    ends = np.cumsum(np.minimum(counts, _CANDIDATES)).tolist()
    out, start = [], 0
    for end in ends:
        out.append(columns[start:end])
        start = end
    return out


def in_own_words(terms: Sequence[str], roles: Sequence[str], title: str = "") -> tuple[str, ...]:
    """Why-terms as list items in the mentee's own words: a role word (which the matcher
    shows in lower case) as their target roles write it, begun with a capital like the skills
    beside it ("Marketing manager", "HR business partner"; a two-letter first word in lower
    case is an acronym: "hr generalist" reads "HR generalist"). A role word that is part of
    a target role the posting's ``title`` holds whole is that role: the matcher's word pairs
    would show "Technical account" of a "Technical Account Manager"; a role word that then
    says no more than one shown before it is left out. Skills keep their names, and a word
    the roles do not hold stays as it is."""
    shown: list[str] = []
    for term in terms:
        if not term.islower():
            shown.append(term)
            continue
        item = _as_written(term, tuple(roles), title.lower())
        if not any(_words(item) <= _words(other) for other in shown):
            shown.append(item)
    return tuple(shown)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.lower().split())


@lru_cache(maxsize=4096)
def _as_written(term: str, roles: tuple[str, ...], title: str) -> str:
    """A lower-case term as ``roles`` write it (the whole role, if ``title`` holds it), as a
    list item; the term if they do not."""
    words = r"\s+".join(re.escape(word) for word in term.split())
    for role in roles:
        found = re.search(rf"(?<!\w){words}(?!\w)", role, re.IGNORECASE)
        if found is None:
            continue
        whole = r"\s+".join(re.escape(word) for word in role.lower().split())
        if re.search(rf"(?<!\w){whole}(?!\w)", title):
            return _as_list_item(" ".join(role.split()))
        return _as_list_item(found[0])
    return term


def _as_list_item(text: str) -> str:
    """``text`` begun with a capital, or its two-letter first word upper-cased."""
    first, _, rest = text.partition(" ")
    first = first.upper() if len(first) == 2 and first.islower() else first[0].upper() + first[1:]
    return f"{first} {rest}" if rest else first
