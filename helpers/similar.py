"""Similar-item queries that never build the n x n similarity matrix."""

from __future__ import annotations

import numpy as np


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length as float32 (all-zero rows stay zero), so dot products are cosines."""
    values = np.asarray(vectors, dtype=np.float32)
    if values.ndim != 2:
        raise ValueError(f"vectors must be 2-D (items x features), got shape {values.shape}")
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    return np.divide(values, norms, out=np.zeros_like(values), where=norms > 0)


def top_k_similar(unit_vectors: np.ndarray, query: int, k: int, exclude_query: bool = True) -> np.ndarray:
    """Row indices of the k rows most cosine-similar to row `query`, best first, ties in row order."""
    n = len(unit_vectors)
    if not 0 <= query < n:
        raise ValueError(f"query must be a row index in [0, {n}), got {query}")
    if not 1 <= k < n:
        raise ValueError(f"k must be between 1 and {n - 1}, got {k}")
    scores = unit_vectors @ unit_vectors[query]          # one matrix-vector product: n floats
    if exclude_query:
        scores[query] = -np.inf
    kth = np.partition(scores, n - k)[n - k]              # the k-th best score
    candidates = np.flatnonzero(scores >= kth)            # every row that ties with it, too
    order = np.lexsort((candidates, -scores[candidates]))  # best score first, then lower row index
    return candidates[order[:k]]
