"""Cold start: regress collaborative item factors from content (van den Oord et al. 2013).

Content is a 50-tag vector in the MSD musicnn tagger's vocabulary
(:data:`recommender.models.priors.VOCABULARY`). In training it is the count of
Last.fm users who put each tag on an artist (HetRec); in the app it is the tagger's
predicted tag probabilities for a local track. Both are made scale-free by
:func:`tag_features` (square root, then L2 normalisation per row), so counts and
probabilities land in the same space. The regressor is ridge regression to the
WMF item factors, closed form, saved as ``.npz`` (no pickle).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from recommender.models.base import ModelInputError, atomic_save_npz


def tag_features(tag_matrix: np.ndarray) -> np.ndarray:
    """Scale-free tag features [shape=(n, 50)]: sqrt, then unit L2 norm per row.

    Parameters
    ----------
    tag_matrix : np.ndarray [shape=(n, n_tags)]
        Non-negative tag counts or probabilities. All-zero rows stay zero.
    """
    t = np.asarray(tag_matrix, dtype=np.float64)
    if t.ndim != 2:
        raise ModelInputError(f"tag_matrix must be 2-D [n, n_tags], got shape {t.shape}")
    if t.size and (not np.isfinite(t).all() or t.min() < 0):
        raise ModelInputError("tag values must be finite and non-negative")
    t = np.sqrt(t)
    norm = np.linalg.norm(t, axis=1, keepdims=True)
    return np.divide(t, norm, out=np.zeros_like(t), where=norm > 0)


class TagToFactor:
    """Ridge regression from :func:`tag_features` to item factors [shape=(n, f)]."""

    def __init__(self, vocabulary, *, l2: float = 1.0) -> None:
        self.vocabulary = tuple(vocabulary)
        self.l2 = float(l2)
        self.weights: np.ndarray | None = None  # [n_tags, f]
        self.bias: np.ndarray | None = None     # [f]

    @property
    def dim(self) -> int:
        if self.weights is None:
            raise ModelInputError("TagToFactor is not fitted")
        return int(self.weights.shape[1])

    def _check(self, tag_matrix) -> np.ndarray:
        t = np.atleast_2d(np.asarray(tag_matrix, dtype=np.float64))
        if t.shape[1] != len(self.vocabulary):
            raise ModelInputError(f"expected {len(self.vocabulary)} tag columns, got {t.shape[1]}")
        return tag_features(t)

    def fit(self, tag_matrix: np.ndarray, factors: np.ndarray, *,
            sample_weight: np.ndarray | None = None) -> "TagToFactor":
        """Fit on items with content ``tag_matrix`` [n, 50] and factors [n, f]."""
        x = self._check(tag_matrix)
        y = np.asarray(factors, dtype=np.float64)
        if y.ndim != 2 or y.shape[0] != x.shape[0]:
            raise ModelInputError(f"factors must be [{x.shape[0]}, f], got {y.shape}")
        w = np.ones(len(x)) if sample_weight is None else np.asarray(sample_weight, np.float64)
        mx = (w[:, None] * x).sum(0) / w.sum()
        my = (w[:, None] * y).sum(0) / w.sum()
        xc, yc = x - mx, y - my
        a = (xc * w[:, None]).T @ xc + self.l2 * np.eye(x.shape[1])
        self.weights = np.linalg.solve(a, (xc * w[:, None]).T @ yc)
        self.bias = my - mx @ self.weights
        return self

    def predict_factors(self, tag_matrix: np.ndarray) -> np.ndarray:
        """Predicted factors [shape=(n, f)] float32 for tags [shape=(n, 50)] in vocabulary order."""
        if self.weights is None:
            raise ModelInputError("TagToFactor is not fitted")
        return (self._check(tag_matrix) @ self.weights + self.bias).astype(np.float32)

    def save(self, path: str | Path) -> Path:
        meta = json.dumps({"kind": "tag_to_factor", "l2": self.l2, "features": "sqrt_l2"})
        return atomic_save_npz(path, _meta=np.array(meta), vocabulary=np.array(self.vocabulary),
                               weights=self.weights.astype(np.float32), bias=self.bias.astype(np.float32))

    @classmethod
    def load(cls, path: str | Path) -> "TagToFactor":
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["_meta"]))
            if meta.get("kind") != "tag_to_factor":
                raise ModelInputError(f"{path} is not a tag-to-factor regressor")
            m = cls([str(v) for v in z["vocabulary"]], l2=meta["l2"])
            m.weights, m.bias = z["weights"].astype(np.float64), z["bias"].astype(np.float64)
        return m


def vocabulary_tag_matrix(artist_ids: np.ndarray, tag_artist_ids: np.ndarray, tag_names: np.ndarray,
                          tag_counts, vocabulary) -> np.ndarray:
    """HetRec tag counts re-indexed to ``artist_ids`` x ``vocabulary`` [shape=(n, len(vocab))].

    ``tag_artist_ids``, ``tag_names``, ``tag_counts`` are what
    :func:`recommender.data.load_hetrec_tags` returns; tags match case-insensitively.
    """
    col = {n: j for j, n in enumerate(tag_names.tolist())}
    cols = [col.get(v.lower(), -1) for v in vocabulary]
    dense = np.zeros((len(tag_artist_ids), len(vocabulary)), dtype=np.float32)
    tc = tag_counts.tocsc()
    for j, c in enumerate(cols):
        if c >= 0:
            dense[:, j] = tc[:, c].toarray().ravel()
    row = {int(a): i for i, a in enumerate(tag_artist_ids.tolist())}
    out = np.zeros((len(artist_ids), len(vocabulary)), dtype=np.float32)
    for i, a in enumerate(np.asarray(artist_ids).tolist()):
        r = row.get(int(a))
        if r is not None:
            out[i] = dense[r]
    return out
