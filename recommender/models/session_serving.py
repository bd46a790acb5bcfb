"""Scoring with a trained session GRU in plain numpy, so the window never loads torch.

Training (:class:`recommender.models.session_rnn.SessionGRU`, torch) writes
``session_gru.npz`` next to its ``.pt`` with :meth:`SessionGRU.export_serving`:
the item vectors already summed (id + artist + projected side features), the
GRU cell's weights and the output layer. :class:`GRUScorer` runs the same
forward pass with numpy and gives the scores ``SessionGRU.score`` gives, to
float32 rounding (a test compares the two).

The GRU cell, as torch defines it (gate rows in the order reset, update, new)::

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    h' = (1 - z) * n + z * h
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from recommender.models.session_base import SessionModelError, load_npz, save_npz

#: the arrays a serving file holds, and the record that says what it is
ARRAYS = ("items", "w_ih", "w_hh", "b_ih", "b_hh", "out_w", "out_b", "pop")
KIND = "SessionGRU/serving"


def save_serving(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """Write the serving arrays (float32, ``pop`` float64) atomically."""
    missing = [k for k in ARRAYS if k not in arrays]
    if missing:
        raise SessionModelError(f"serving arrays missing: {missing}")
    out = {k: np.asarray(arrays[k], np.float64 if k == "pop" else np.float32) for k in ARRAYS}
    save_npz(path, out, {"class": KIND, "dim": int(out["items"].shape[1])})


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))          # no overflow warning for large |x|


class GRUScorer:
    """A trained session GRU, for scoring only (numpy, float32)."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.items = np.ascontiguousarray(arrays["items"], np.float32)      # [n_items, d]
        self.w_ih = np.asarray(arrays["w_ih"], np.float32)                 # [3d, d]
        self.w_hh = np.asarray(arrays["w_hh"], np.float32)                 # [3d, d]
        self.b_ih = np.asarray(arrays["b_ih"], np.float32)                 # [3d]
        self.b_hh = np.asarray(arrays["b_hh"], np.float32)                 # [3d]
        self.out_w = np.asarray(arrays["out_w"], np.float32)               # [d, d]
        self.out_b = np.asarray(arrays["out_b"], np.float32)               # [d]
        self.pop = np.asarray(arrays["pop"], np.float64)                   # [n_items]
        d = self.items.shape[1]
        shapes = {"w_ih": (3 * d, d), "w_hh": (3 * d, d), "b_ih": (3 * d,), "b_hh": (3 * d,),
                  "out_w": (d, d), "out_b": (d,), "pop": (self.items.shape[0],)}
        wrong = {k: getattr(self, k).shape for k, s in shapes.items() if getattr(self, k).shape != s}
        if wrong:
            raise SessionModelError(f"serving arrays have the wrong shapes for dim {d}: {wrong}")
        self.dim = d
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def n_items(self) -> int:
        return int(self.items.shape[0])

    @classmethod
    def load(cls, path: str | Path) -> "GRUScorer":
        arrays, meta = load_npz(path)
        if meta.get("class") != KIND:
            raise SessionModelError(f"{path} does not hold a session GRU for serving")
        return cls(arrays)

    def step(self, h: np.ndarray, item: int) -> np.ndarray:
        """The state [d] after reading ``item`` in state ``h`` [d]."""
        d = self.dim
        gi = self.w_ih @ self.items[item] + self.b_ih
        gh = self.w_hh @ h + self.b_hh
        r = _sigmoid(gi[:d] + gh[:d])
        z = _sigmoid(gi[d:2 * d] + gh[d:2 * d])
        n = np.tanh(gi[2 * d:] + r * gh[2 * d:])
        return ((1.0 - z) * n + z * h).astype(np.float32)

    def score(self, prefix: Sequence[int]) -> np.ndarray:
        """Scores [n_items] (float64) for the next item after ``prefix``; popularity when empty."""
        prefix = np.asarray(prefix, np.int64).reshape(-1)
        if prefix.size and (prefix.min() < 0 or prefix.max() >= self.n_items):
            raise SessionModelError(f"prefix holds an item id outside [0, {self.n_items})")
        if not prefix.size:
            return self.pop / (self.pop.max() + 1.0) if self.pop.size else self.pop.copy()
        h, done = np.zeros(self.dim, np.float32), 0
        if self._cache is not None:         # Up next asks again with one more track: continue
            cached, hc = self._cache
            if cached.size <= prefix.size and np.array_equal(prefix[: cached.size], cached):
                h, done = hc, cached.size
        for item in prefix[done:]:
            h = self.step(h, int(item))
        self._cache = (prefix.copy(), h)
        out = self.out_w @ h + self.out_b
        return (self.items @ out).astype(np.float64)
