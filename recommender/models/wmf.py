"""Weighted matrix factorisation for implicit feedback (Hu, Koren & Volinsky 2008).

Preference ``p = [r > 0]``, confidence ``c = 1 + alpha * log(1 + r / eps)``
(:func:`recommender.data.confidence`), fitted by alternating least squares from the
``implicit`` library. implicit reads the stored value of each entry as the whole
confidence ``c`` (its own ``alpha`` is left at 1), so we hand it ``c`` directly.
New rows (a held-out user, the person's session) are folded in without refitting:
one least-squares solve per row against the fixed item factors
(``AlternatingLeastSquares.recalculate_user``).
"""

from __future__ import annotations

import os

import numpy as np
import scipy.sparse as sp

from recommender.data import confidence
from recommender.models.base import CFModel

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


# Chosen on validation users by `python -m recommender.evaluate cf` (see recommender/README.md).
# HetRec: 64 factors scored within 0.002 validation NDCG@100 of 128 at half the size.
WMF_PARAMS = {
    "hetrec": {"factors": 64, "regularization": 10.0, "alpha": 2.0, "eps": 100.0},
    "msd": {"factors": 128, "regularization": 10.0, "alpha": 10.0, "eps": 1.0},
}


class WMF(CFModel):
    """ALS matrix factorisation. Params: factors, regularization, alpha, eps, iterations, seed."""

    kind = "wmf"

    def __init__(self, *, factors: int = 64, regularization: float = 1.0, alpha: float = 2.0,
                 eps: float = 1.0, iterations: int = 15, seed: int = 0) -> None:
        super().__init__(factors=factors, regularization=regularization, alpha=alpha, eps=eps,
                         iterations=iterations, seed=seed)
        self.item_factors: np.ndarray | None = None
        self.user_factors: np.ndarray | None = None
        self._als = None

    def _new_als(self):
        from implicit.cpu.als import AlternatingLeastSquares

        p = self.params
        return AlternatingLeastSquares(factors=p["factors"], regularization=p["regularization"],
                                       alpha=1.0, iterations=p["iterations"], random_state=p["seed"],
                                       num_threads=1, calculate_training_loss=False)

    def conf(self, x: sp.csr_matrix) -> sp.csr_matrix:
        """Confidence matrix of play counts with this model's alpha and eps."""
        c = confidence(x, alpha=self.params["alpha"], eps=self.params["eps"])
        c.eliminate_zeros()
        return c

    def _fit(self, x: sp.csr_matrix) -> None:
        als = self._new_als()
        als.fit(self.conf(x), show_progress=False)
        self._als = als
        self.item_factors = np.asarray(als.item_factors, dtype=np.float32)
        self.user_factors = np.asarray(als.user_factors, dtype=np.float32)

    def fold_in(self, rows) -> np.ndarray:
        """User factors [shape=(n_rows, factors)] for new rows of play counts."""
        from recommender.models.base import check_rows

        x = check_rows(rows, self.n_items, name="rows")
        if self._als is None:
            self._als = self._new_als()
            self._als.item_factors = self.item_factors
        c = self.conf(x)
        return np.asarray(self._als.recalculate_user(np.arange(x.shape[0]), c), dtype=np.float32)

    def _score(self, rows: sp.csr_matrix) -> np.ndarray:
        return self.fold_in(rows) @ self.item_factors.T

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"item_factors": self.item_factors}

    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.item_factors = arrays["item_factors"].astype(np.float32)
        self._als = None
