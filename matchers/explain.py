"""Why a posting matched (the terms that added most) and what it asks that the mentee lacks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp

WHY_TERMS = 5
GAP_SKILLS = 5
_CANDIDATES = 3 * WHY_TERMS
# Words about how or where a job is done, not what it is: a shared "developer remote" is no
# reason to forward a lead (the location filter has already judged where).
_NOT_A_REASON = frozenset(
    {"remote", "hybrid", "onsite", "anywhere", "worldwide", "fulltime", "parttime", "freelance"}
)


class Explainer:
    """Explains many (profile, posting) pairs at once with sparse element-wise products."""

    def __init__(self, terms: Sequence[str], name_of: Callable[[str], str]) -> None:
        self.terms = terms
        self.name_of = name_of
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
        skills_of: Sequence[np.ndarray],
        pairs: Sequence[tuple[int, int]],
        postings: sp.csr_matrix,
        posting_skills: sp.csr_matrix,
    ) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """(why, gaps) for each (profile row, posting row) pair, in the order given.

        ``why``: the profile's own terms that added most to the score (profile weight x
        posting weight), by display name, without repeating words. ``gaps``: the skills of
        the posting, weightiest first, that the profile (``skills_of``: skill columns each
        profile mentions) does not mention.
        """
        if not pairs:
            return []
        mine = np.fromiter((p for p, _ in pairs), np.int64, len(pairs))
        theirs = np.fromiter((q for _, q in pairs), np.int64, len(pairs))
        shared = postings[theirs].multiply(profiles[mine]).tocsr()
        shared.data[shared.data < 0] = 0  # a disliked posting's terms weigh against
        shared.eliminate_zeros()
        have = _flags(skills_of, profiles.shape[1])[mine]
        asked = posting_skills[theirs]
        lacking = (asked - asked.multiply(have)).tocsr()
        lacking.eliminate_zeros()
        why = self._why(shared)
        gaps = [tuple(map(self.name, columns[:GAP_SKILLS])) for columns in _ranked(lacking)]
        return list(zip(why, gaps, strict=True))

    def _why(self, shared: sp.csr_matrix) -> list[tuple[str, ...]]:
        out = []
        for columns in _ranked(shared):
            shown: list[str] = []
            covered: set[str] = set()
            for c in columns:
                words = self.words(c)
                if words & _NOT_A_REASON:
                    continue
                if not words <= covered:  # "machine" after "machine learning" adds nothing
                    covered |= words
                    shown.append(self.name(c))
                    if len(shown) == WHY_TERMS:
                        break
            out.append(tuple(shown))
        return out


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
