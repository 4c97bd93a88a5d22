"""Sparse-matrix helpers: counting features into rows, keeping the strongest terms of a row."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import repeat

import numpy as np
import scipy.sparse as sp


def count_matrix(
    feature_lists: Sequence[Sequence[str]], vocabulary: Mapping[str, int], n_features: int
) -> sp.csr_matrix:
    """Rows of feature counts, one per list; features outside ``vocabulary`` are ignored."""
    lengths = np.fromiter(map(len, feature_lists), np.int64, len(feature_lists))
    flat: list[str] = []
    for features in feature_lists:
        flat.extend(features)
    columns = np.fromiter(map(vocabulary.get, flat, repeat(-1)), np.int64, len(flat))
    rows = np.repeat(np.arange(len(feature_lists)), lengths)
    known = columns >= 0
    ones = np.ones(int(known.sum()), dtype=np.float32)
    # COO -> CSR sums the duplicates: that is the counting.
    matrix = sp.coo_matrix(
        (ones, (rows[known], columns[known])), shape=(len(feature_lists), n_features)
    ).tocsr()
    matrix.sort_indices()
    return matrix


def keep_strongest(matrix: sp.csr_matrix, limit: int) -> sp.csr_matrix:
    """The matrix with only the ``limit`` largest entries (by magnitude) of each row."""
    if limit <= 0 or np.diff(matrix.indptr).max(initial=0) <= limit:
        return matrix
    return select_entries(matrix, strongest(matrix, limit))


def strongest(matrix: sp.csr_matrix, limit: int) -> np.ndarray:
    """Flags over the stored entries: the ``limit`` largest (by magnitude) of each row, ties
    going to the lower column, so a row's choice never depends on the rows batched with it.

    Magnitude, because a disliked posting leaves negative weights that must survive.
    """
    matrix.sort_indices()
    n = matrix.shape[0]
    counts = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(n), counts)
    place = np.arange(matrix.nnz) - np.repeat(matrix.indptr[:-1], counts)
    width = max(int(counts.max(initial=0)), limit)
    size = np.abs(matrix.data)
    padded = np.full((n, width), -np.inf, dtype=size.dtype)
    padded[rows, place] = size
    # The limit-th largest value of each row: its value is the same however ties fall.
    threshold = np.partition(padded, width - limit, axis=1)[:, width - limit]
    above = size > threshold[rows]
    tied = size == threshold[rows]
    room = limit - np.bincount(rows[above], minlength=n)
    running = np.concatenate(([0], np.cumsum(tied)))
    tied_rank = running[1:] - np.repeat(running[matrix.indptr[:-1]], counts)  # 1, 2, ... per row
    return above | (tied & (tied_rank <= room[rows]))


def keep_columns(matrix: sp.csr_matrix, columns: np.ndarray) -> sp.csr_matrix:
    """The matrix with only the entries in the columns flagged in the boolean ``columns``."""
    return select_entries(matrix, columns[matrix.indices])


def select_entries(matrix: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """The matrix with only the stored entries flagged in ``keep`` (same shape)."""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))[keep]
    indptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=matrix.shape[0]), out=indptr[1:])
    return sp.csr_matrix(
        (matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape, copy=False
    )


def skill_columns_in(
    text: str,
    features: Callable[[str], list[str]],
    vocabulary: Mapping[str, int],
    is_skill: np.ndarray,
) -> set[int]:
    """The vocabulary columns of the skills ``text`` names, read by the analyzer ``features``."""
    return {vocabulary[f] for f in features(text) if f in vocabulary and is_skill[vocabulary[f]]}
