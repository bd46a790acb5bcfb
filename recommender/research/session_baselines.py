"""Simple next-track baselines that neural session models must beat.

All are counts over the person's own sessions, updated incrementally by adding
the new sessions' counts (so ``update`` equals a refit on all sessions). Every
score adds the item's own popularity scaled into [0, 1e-3) to break ties, so
items a rule knows nothing about still come out in popularity order.

- :class:`SessionPopularity` — the person's own play counts.
- :class:`SameArtist` — tracks by the artist of the current track first, by popularity.
- :class:`SessionItemKNN` — co-occurrence in sessions, cosine with shrinkage, neighbours of
  the last item (the item-kNN of Hidasi et al. 2016).
- :class:`SequentialRules` — "b followed a within ``steps`` plays", weighted 1/gap
  (SR of Ludewig & Jannach 2018).
- :class:`SessionKNN` — sessions similar to the current one vote for their items
  (SKNN); with ``decay=True`` later prefix items weigh more (V-SKNN).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from recommender.models.session_base import (
    ItemSpace,
    SessionModel,
    catalog_arrays,
    catalog_from_arrays,
    check_sessions,
    load_npz,
    save_npz,
    sessions_from_arrays,
    sessions_to_arrays,
)


def _pad(vec: np.ndarray, n: int) -> np.ndarray:
    return vec if vec.shape[0] >= n else np.concatenate([vec, np.zeros(n - vec.shape[0], vec.dtype)])


def _square(m: sp.spmatrix, n: int) -> sp.csr_matrix:
    m = m.tocsr()
    m.resize((n, n))
    return m


class CountModel(SessionModel):
    """Shared state: play counts, the sessions seen, and save/load by replaying them."""

    def __init__(self, **params) -> None:
        super().__init__()
        self.params = params
        self.sessions: list[np.ndarray] = []
        self.pop = np.zeros(0)

    def fit(self, sessions: Sequence[Sequence[int]], catalog: ItemSpace) -> "CountModel":
        self.catalog, self.sessions, self.pop = catalog, [], np.zeros(catalog.n_items)
        self._reset()
        self._update(check_sessions(sessions, catalog.n_items))
        return self

    def extend_catalog(self, catalog: ItemSpace) -> None:
        super().extend_catalog(catalog)
        self.pop = _pad(self.pop, catalog.n_items)
        self._resize(catalog.n_items)

    def _update(self, sessions: list[np.ndarray]) -> None:
        for s in sessions:
            np.add.at(self.pop, s, 1.0)
        self.sessions.extend(sessions)
        self._add(sessions)

    def _reset(self) -> None:
        pass

    def _resize(self, n: int) -> None:
        pass

    def _add(self, sessions: list[np.ndarray]) -> None:
        pass

    def _tiebreak(self) -> np.ndarray:
        return 1e-3 * self.pop / (self.pop.max() + 1.0) if self.pop.size else self.pop

    def save(self, path: str | Path) -> None:
        arrays = {**catalog_arrays(self._require()), **sessions_to_arrays(self.sessions)}
        save_npz(path, arrays, {"class": type(self).__name__, "params": self.params})

    @classmethod
    def load(cls, path: str | Path) -> "CountModel":
        arrays, meta = load_npz(path)
        if meta.get("class") != cls.__name__:
            raise ValueError(f"{path} holds a {meta.get('class')}, not a {cls.__name__}")
        return cls(**meta["params"]).fit(sessions_from_arrays(arrays), catalog_from_arrays(arrays))


class SessionPopularity(CountModel):
    name = "pop"

    def score(self, prefix: Sequence[int]) -> np.ndarray:
        self._prefix(prefix)
        return self.pop.copy()


class SameArtist(CountModel):
    name = "same-artist"

    def score(self, prefix: Sequence[int]) -> np.ndarray:
        cat, prefix = self._require(), self._prefix(prefix)
        scores = self._tiebreak()
        if prefix.size and cat.item_artist[prefix[-1]] >= 0:
            scores = scores + (cat.item_artist == cat.item_artist[prefix[-1]])
        return scores


class SessionItemKNN(CountModel):
    """Cosine over session co-occurrence: ``c_ij / (sqrt(n_i n_j) + shrink)``."""

    name = "item-knn"

    def __init__(self, *, shrink: float = 20.0) -> None:
        super().__init__(shrink=shrink)

    def _reset(self) -> None:
        self.co = sp.csr_matrix((self.catalog.n_items, self.catalog.n_items))
        self.sess_count = np.zeros(self.catalog.n_items)

    def _resize(self, n: int) -> None:
        self.co, self.sess_count = _square(self.co, n), _pad(self.sess_count, n)

    def _add(self, sessions: list[np.ndarray]) -> None:
        rows, cols = [], []
        for s in sessions:
            u = np.unique(s)
            self.sess_count[u] += 1
            rows.append(np.repeat(u, u.size))
            cols.append(np.tile(u, u.size))
        if rows:
            n = self.catalog.n_items
            add = sp.csr_matrix((np.ones(sum(r.size for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
                                shape=(n, n))
            self.co = (self.co + add).tocsr()

    def score(self, prefix: Sequence[int]) -> np.ndarray:
        prefix, scores = self._prefix(prefix), self._tiebreak()
        if prefix.size:
            last = prefix[-1]
            row = self.co.getrow(last).toarray().ravel()
            row[last] = 0.0
            scores = scores + row / (np.sqrt(self.sess_count[last] * self.sess_count) + self.params["shrink"])
        return scores


class SequentialRules(CountModel):
    """Rule weight a→b = sum over sessions of 1/gap for b played ``gap <= steps`` plays after a."""

    name = "sr"

    def __init__(self, *, steps: int = 10) -> None:
        super().__init__(steps=steps)

    def _reset(self) -> None:
        self.rules = sp.csr_matrix((self.catalog.n_items, self.catalog.n_items))

    def _resize(self, n: int) -> None:
        self.rules = _square(self.rules, n)

    def _add(self, sessions: list[np.ndarray]) -> None:
        rows, cols, vals = [], [], []
        for s in sessions:
            for gap in range(1, min(self.params["steps"], len(s) - 1) + 1):
                rows.append(s[:-gap])
                cols.append(s[gap:])
                vals.append(np.full(len(s) - gap, 1.0 / gap))
        if rows:
            n = self.catalog.n_items
            add = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
            self.rules = (self.rules + add).tocsr()

    def score(self, prefix: Sequence[int]) -> np.ndarray:
        prefix, scores = self._prefix(prefix), self._tiebreak()
        if prefix.size:
            scores = scores + self.rules.getrow(prefix[-1]).toarray().ravel()
        return scores


class SessionKNN(CountModel):
    """SKNN (cosine over item sets) or, with ``decay``, V-SKNN (recent prefix items weigh 1/distance).

    Neighbours: among the ``sample`` most recent past sessions that share an item
    with the prefix, the ``k`` most similar vote for their items with their similarity.
    """

    def __init__(self, *, k: int = 100, sample: int = 500, decay: bool = False) -> None:
        super().__init__(k=k, sample=sample, decay=decay)
        self.name = "v-sknn" if decay else "sknn"
        self._matrix: sp.csr_matrix | None = None

    def _reset(self) -> None:
        self._matrix = None

    def _resize(self, n: int) -> None:
        self._matrix = None

    def _add(self, sessions: list[np.ndarray]) -> None:
        self._matrix = None

    def _sessions_matrix(self) -> sp.csr_matrix:
        if self._matrix is None or self._matrix.shape[1] != self.catalog.n_items:
            rows = np.concatenate([np.full(len(s), i) for i, s in enumerate(self.sessions)] or [np.zeros(0, int)])
            cols = np.concatenate(self.sessions or [np.zeros(0, int)])
            m = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(len(self.sessions), self.catalog.n_items))
            m.data[:] = 1.0  # duplicates summed by the constructor: back to a set
            self._matrix = m
            self._lengths = np.asarray(m.sum(axis=1)).ravel()
        return self._matrix

    def score(self, prefix: Sequence[int]) -> np.ndarray:
        prefix, scores = self._prefix(prefix), self._tiebreak()
        if not prefix.size or not self.sessions:
            return scores
        m = self._sessions_matrix()
        q = np.zeros(self.catalog.n_items)
        if self.params["decay"]:
            for dist, item in enumerate(prefix[::-1], start=1):
                q[item] = max(q[item], 1.0 / dist)
            sims = m @ q
        else:
            q[prefix] = 1.0
            sims = (m @ q) / np.sqrt(np.maximum(self._lengths, 1.0) * np.count_nonzero(q))
        cand = np.flatnonzero(sims > 0)
        cand = cand[-self.params["sample"]:]  # sessions are stored oldest first
        if cand.size > self.params["k"]:
            cand = cand[np.argsort(-sims[cand], kind="stable")[: self.params["k"]]]
        return scores + m[cand].T @ sims[cand]
