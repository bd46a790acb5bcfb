"""Simple baselines run in the same harness as the learned models.

- :class:`Popularity`: items ranked by how many training users have them.
- :class:`EASE`: Steck 2019, the closed-form item-item linear autoencoder
  ``B = I - P / diag(P)`` with ``P = (X^T X + lambda I)^-1`` on binarised X.
- :class:`ItemKNN`: cosine similarity between item columns, the ``neighbours``
  largest per item kept; a row's score is the sum of similarities to its items.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.models.base import CFModel, binarize


def _spd_inverse(g: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix via Cholesky (about 2x faster than LU)."""
    from scipy.linalg import lapack

    c, info = lapack.dpotrf(g, lower=False)
    if info == 0:
        inv, info = lapack.dpotri(c, lower=False)
        if info == 0:
            return np.triu(inv) + np.triu(inv, 1).T
    return np.linalg.inv(g)


class Popularity(CFModel):
    """Non-personalised: score = number of training users with the item."""

    kind = "popularity"

    def __init__(self) -> None:
        super().__init__()
        self.counts: np.ndarray | None = None

    def _fit(self, x: sp.csr_matrix) -> None:
        self.counts = np.asarray(binarize(x).sum(axis=0), dtype=np.float32).ravel()

    def _score(self, rows: sp.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.counts, (rows.shape[0], self.n_items)).copy()

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts}

    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.counts = arrays["counts"]


class EASE(CFModel):
    """Embarrassingly shallow autoencoder. Param: l2 (lambda), tuned on validation."""

    kind = "ease"

    def __init__(self, *, l2: float = 200.0) -> None:
        super().__init__(l2=l2)
        self.b: np.ndarray | None = None

    def _fit(self, x: sp.csr_matrix) -> None:
        xb = binarize(x)
        g = (xb.T @ xb).toarray().astype(np.float64)
        g[np.diag_indices_from(g)] += self.params["l2"]
        p = _spd_inverse(g)
        b = -p / np.diag(p)
        b[np.diag_indices_from(b)] = 0.0
        self.b = b.astype(np.float32)

    def _score(self, rows: sp.csr_matrix) -> np.ndarray:
        return np.asarray(binarize(rows) @ self.b)

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"b": self.b}

    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.b = arrays["b"]


class ItemKNN(CFModel):
    """Item-item cosine kNN. Params: neighbours (kept per item), shrink (added to the norm product)."""

    kind = "item_knn"

    def __init__(self, *, neighbours: int = 100, shrink: float = 0.0) -> None:
        super().__init__(neighbours=neighbours, shrink=shrink)
        self.sim: sp.csr_matrix | None = None

    def _fit(self, x: sp.csr_matrix) -> None:
        xb = binarize(x).tocsc()
        norms = np.sqrt(np.asarray(xb.multiply(xb).sum(axis=0)).ravel())
        co = (xb.T @ xb).toarray().astype(np.float32)
        denom = np.outer(norms, norms) + self.params["shrink"]
        sim = np.divide(co, denom, out=np.zeros_like(co), where=denom > 0)
        np.fill_diagonal(sim, 0.0)
        k = min(self.params["neighbours"], sim.shape[1] - 1)
        if k < sim.shape[1] - 1:
            # keep the k most similar items of each column (item j's neighbours)
            cut = np.partition(sim, -k, axis=0)[-k]
            sim[sim < cut[None, :]] = 0.0
        self.sim = sp.csr_matrix(sim)

    def _score(self, rows: sp.csr_matrix) -> np.ndarray:
        return np.asarray((binarize(rows) @ self.sim).toarray())

    def _arrays(self) -> dict[str, np.ndarray]:
        s = self.sim
        return {"data": s.data, "indices": s.indices, "indptr": s.indptr, "shape": np.array(s.shape)}

    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.sim = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]),
                                 shape=tuple(arrays["shape"]))
