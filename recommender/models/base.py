"""The contract every collaborative model keeps, so one test can check them all.

``fit(counts)`` learns from a user x item matrix of non-negative play counts
[shape=(n_users, n_items)] (each model applies its own transform: confidence,
binarisation). ``score(rows)`` scores *new* rows of the same item space without
refitting (fold-in: a held-out user, the person's current session);
``recommend(rows, k)`` ranks from those scores, leaving out what a row already has.
``save(path)`` writes one ``.npz`` atomically; ``load(path)`` reads it back with
``allow_pickle=False``. Hyper-parameters live in :attr:`params` and are saved with
the weights.
"""

from __future__ import annotations

import abc
import json
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.metrics import top_k
from segue_common import atomic


class ModelInputError(ValueError):
    """Raised for input a model cannot use (wrong shape, negative counts, unfitted model)."""


def check_rows(x, n_items: int | None = None, *, name: str = "counts") -> sp.csr_matrix:
    """Validate a user x item matrix and return it as float32 CSR.

    Dense input and other dtypes are converted with a warning (as implicit does);
    negative values, NaNs or a wrong number of columns raise :class:`ModelInputError`.
    """
    if not sp.issparse(x):
        warnings.warn(f"{name} is dense; converting to CSR", stacklevel=3)
        x = sp.csr_matrix(np.atleast_2d(np.asarray(x, dtype=np.float32)))
    if not isinstance(x, sp.csr_matrix) or x.dtype != np.float32:
        if x.format != "csr":
            warnings.warn(f"{name} is {x.format.upper()}, not CSR; converting", stacklevel=3)
        x = sp.csr_matrix(x, dtype=np.float32)
    if x.ndim != 2:
        raise ModelInputError(f"{name} must be 2-D, got shape {x.shape}")
    if n_items is not None and x.shape[1] != n_items:
        raise ModelInputError(f"{name} has {x.shape[1]} item columns, the model has {n_items}")
    if x.nnz and (not np.isfinite(x.data).all() or x.data.min() < 0):
        raise ModelInputError(f"{name} must hold finite, non-negative play counts")
    return x


def binarize(x: sp.csr_matrix) -> sp.csr_matrix:
    """1 where a count is stored and positive."""
    b = x.copy()
    b.data = (b.data > 0).astype(np.float32)
    b.eliminate_zeros()
    return b


def atomic_save_npz(path: str | Path, *, compress: bool = False, **arrays) -> Path:
    """Write ``arrays`` to ``path`` (.npz) atomically."""
    with atomic.atomic_open(path) as fh:
        (np.savez_compressed if compress else np.savez)(fh, **arrays)
    return Path(path)


class CFModel(abc.ABC):
    """Base class: subclasses implement ``_fit``, ``_score``, ``_arrays``, ``_from_arrays``."""

    kind: str = "base"

    def __init__(self, **params) -> None:
        self.params = dict(params)
        self.n_items: int | None = None

    # -- the contract -------------------------------------------------------------
    def fit(self, counts) -> "CFModel":
        """Learn from play counts [shape=(n_users, n_items)]; returns self."""
        x = check_rows(counts)
        if x.nnz == 0:
            raise ModelInputError("cannot fit on an empty matrix")
        self.n_items = x.shape[1]
        self._fit(x)
        return self

    def score(self, rows) -> np.ndarray:
        """Scores [shape=(n_rows, n_items)] for new rows of counts, without refitting."""
        if self.n_items is None:
            raise ModelInputError(f"{type(self).__name__} is not fitted")
        return np.asarray(self._score(check_rows(rows, self.n_items, name="rows")), dtype=np.float32)

    def recommend(self, rows, k: int = 10, *, exclude_seen: bool = True) -> np.ndarray:
        """Top-``k`` item indices [shape=(n_rows, k)], best first; seen items left out."""
        x = check_rows(rows, self.n_items, name="rows")
        s = self.score(x).astype(np.float64)
        if exclude_seen:
            r, c = x.nonzero()
            s[r, c] = -np.inf
        return top_k(s, k)

    def save(self, path: str | Path) -> Path:
        """Write weights + params to one ``.npz`` atomically."""
        if self.n_items is None:
            raise ModelInputError("cannot save an unfitted model")
        meta = json.dumps({"kind": self.kind, "params": self.params, "n_items": self.n_items})
        return atomic_save_npz(path, _meta=np.array(meta), **self._arrays())

    @classmethod
    def load(cls, path: str | Path) -> "CFModel":
        """Read a model saved by :meth:`save` (``allow_pickle=False``)."""
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["_meta"]))
            if meta["kind"] != cls.kind:
                raise ModelInputError(f"{path} holds a {meta['kind']!r} model, not {cls.kind!r}")
            model = cls(**meta["params"])
            model.n_items = int(meta["n_items"])
            model._from_arrays({k: z[k] for k in z.files if k != "_meta"})
        return model

    # -- for subclasses -----------------------------------------------------------
    @abc.abstractmethod
    def _fit(self, x: sp.csr_matrix) -> None: ...

    @abc.abstractmethod
    def _score(self, rows: sp.csr_matrix) -> np.ndarray: ...

    @abc.abstractmethod
    def _arrays(self) -> dict[str, np.ndarray]: ...

    @abc.abstractmethod
    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None: ...
