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
- :class:`STAN` — session kNN aware of order and time (STAN / VSTAN): recent prefix
  items, recent sessions and items near the shared one in a neighbour count most.
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


class STAN(CountModel):
    """Sequence and time aware neighbourhood (STAN, Garg et al. 2019; the VSTAN refinements
    of Ludewig et al. 2021: a sample of recent sessions and IDF-weighted votes).

    - the current session's items weigh ``exp((p - l) / lambda_spw)`` by position ``p`` of
      ``l`` (recent ones most);
    - a past session's similarity is the weighted overlap over ``sqrt(l * |n|)``, times
      ``exp(-age / lambda_snh)``, the age counted in sessions (the protocol hands sessions
      in time order without clocks; in one person's log a session is a step of time);
    - among the ``sample`` most recent sessions that share an item, the ``k`` most similar
      vote for their items, each vote weighted ``exp(-|p_i - p_s| / lambda_inh)`` by the
      distance in that session to the latest item it shares with the current one, and
      (``idf``) by the item's inverse session frequency.
    """

    name = "stan"

    def __init__(self, *, k: int = 100, sample: int = 1000, lambda_spw: float = 2.0,
                 lambda_snh: float = 200.0, lambda_inh: float = 2.0, idf: bool = True) -> None:
        super().__init__(k=k, sample=sample, lambda_spw=lambda_spw, lambda_snh=lambda_snh,
                         lambda_inh=lambda_inh, idf=idf)
        self._pos: sp.csr_matrix | None = None

    def _reset(self) -> None:
        self._pos = None

    def _resize(self, n: int) -> None:
        self._pos = None

    def _add(self, sessions: list[np.ndarray]) -> None:
        self._pos = None

    def _positions(self) -> sp.csr_matrix:
        """Sessions x items, 1 + the last position of the item in the session (0 = absent)."""
        if self._pos is None or self._pos.shape[1] != self.catalog.n_items:
            rows, cols, vals = [], [], []
            for i, s in enumerate(self.sessions):
                last = {int(item): p for p, item in enumerate(s, start=1)}
                rows.append(np.full(len(last), i))
                cols.append(np.fromiter(last.keys(), np.int64, len(last)))
                vals.append(np.fromiter(last.values(), np.float64, len(last)))
            n_s, n = len(self.sessions), self.catalog.n_items
            cat = (lambda parts: np.concatenate(parts) if parts else np.zeros(0))
            self._pos = sp.csr_matrix((cat(vals), (cat(rows).astype(np.int64), cat(cols).astype(np.int64))),
                                      shape=(n_s, n))
            self._lengths = np.asarray([len(s) for s in self.sessions], np.float64)
            df = np.asarray((self._pos > 0).sum(0)).ravel()
            self._idf = np.log((n_s + 1.0) / (df + 1.0)) + 1.0
        return self._pos

    def score(self, prefix: Sequence[int]) -> np.ndarray:
        prefix, scores = self._prefix(prefix), self._tiebreak()
        if not prefix.size or not self.sessions:
            return scores
        p = self.params
        pos = self._positions()
        n_s, length = pos.shape[0], prefix.size
        weight: dict[int, float] = {}
        for k, item in enumerate(prefix, start=1):          # the latest occurrence counts
            weight[int(item)] = float(np.exp((k - length) / p["lambda_spw"]))
        items = np.fromiter(weight.keys(), np.int64, len(weight))
        q = np.zeros(self.catalog.n_items)
        q[items] = np.fromiter(weight.values(), np.float64, len(weight))
        binary = pos.copy()
        binary.data = np.ones_like(binary.data)
        overlap = binary @ q
        cand = np.flatnonzero(overlap > 0)[-p["sample"]:]     # sessions are stored oldest first
        if not cand.size:
            return scores
        sims = overlap[cand] / np.sqrt(length * np.maximum(self._lengths[cand], 1.0))
        sims *= np.exp(-(n_s - 1 - cand) / p["lambda_snh"])
        if cand.size > p["k"]:
            top = np.argsort(-sims, kind="stable")[: p["k"]]
            cand, sims = cand[top], sims[top]
        nb = pos[cand]
        # The latest prefix item each neighbour shares, and its position there.
        latest = prefix[::-1]
        shared = nb[:, latest].toarray()                          # [k, l] positions, 0 = absent
        first = np.argmax(shared > 0, axis=1)
        anchor = shared[np.arange(len(cand)), first]
        row = np.repeat(np.arange(len(cand)), np.diff(nb.indptr))
        gap = np.abs(nb.data - anchor[row])
        votes = np.where(gap > 0, sims[row] * np.exp(-gap / p["lambda_inh"]), 0.0)   # not the shared track itself
        if p["idf"]:
            votes = votes * self._idf[nb.indices]
        out = np.zeros(self.catalog.n_items)
        np.add.at(out, nb.indices, votes)
        return scores + out / max(float(out.max()), 1e-300)   # the largest vote is 1, above any tie-break
