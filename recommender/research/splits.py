"""How the evaluations divide data into what models learn from and what they are asked.

- Collaborative models (:mod:`.eval_cf`, :mod:`.eval_cold`, :mod:`.pretrain`): users
  split into train / validation / test, each held-out user's items into fold-in and
  targets (:func:`strong_split`, :func:`user_split`, :func:`fold_split`).
- Next-track models (:mod:`.protocol`): one person's log cut in time
  (:func:`make_split`); sessions that end before the cut train, later plays are queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from recommender.research.logs import ListeningLog
from segue_common.listening import split_sessions


@dataclass(frozen=True)
class HeldOut:
    """Held-out users: ``fold`` (known 80 %) and ``target`` (hidden 20 %) [shape=(n, n_items)]."""

    fold: sp.csr_matrix
    target: sp.csr_matrix


@dataclass(frozen=True)
class CFSplit:
    train: sp.csr_matrix
    val: HeldOut
    test: HeldOut
    items: np.ndarray  # column indices of the input matrix kept


def fold_split(x: sp.csr_matrix, *, frac: float = 0.8, seed: int = 1) -> HeldOut:
    """Split each row's items into fold-in (``frac``) and target (the rest, at least 1)."""
    rng = np.random.default_rng(seed)
    x = sp.csr_matrix(x)
    keep_fold = np.zeros(x.nnz, dtype=bool)
    for u in range(x.shape[0]):
        lo, hi = x.indptr[u], x.indptr[u + 1]
        n = hi - lo
        n_fold = min(int(round(frac * n)), n - 1)
        keep_fold[lo + rng.permutation(n)[:n_fold]] = True
    fold, target = x.copy(), x.copy()
    fold.data = np.where(keep_fold, fold.data, 0).astype(np.float32)
    target.data = np.where(keep_fold, 0, target.data).astype(np.float32)
    fold.eliminate_zeros()
    target.eliminate_zeros()
    return HeldOut(fold, target)


def user_split(n_users: int, *, heldout_frac: float = 0.15, seed: int = 0):
    """``(validation, test, train)`` user rows, each sorted: the users of every evaluation here."""
    users = np.random.default_rng(seed).permutation(n_users)
    n_h = max(1, int(round(heldout_frac * len(users))))
    return np.sort(users[:n_h]), np.sort(users[n_h:2 * n_h]), np.sort(users[2 * n_h:])


def strong_split(counts: sp.csr_matrix, *, heldout_frac: float = 0.15, seed: int = 0,
                 fold_frac: float = 0.8) -> CFSplit:
    """Users split into train / validation / test (strong generalisation).

    Users are shuffled (``seed``); ``heldout_frac`` of them validate, as many test,
    the rest train. Items no train user has are dropped (no model can learn them).
    Each held-out user's items are split ``fold_frac`` / rest at random: models fold
    in the first part without refitting and are scored on the rest.
    """
    val_u, test_u, train_u = user_split(counts.shape[0], heldout_frac=heldout_frac, seed=seed)
    train = counts[train_u]
    items = np.flatnonzero(np.diff(train.tocsc().indptr) > 0)
    train = sp.csr_matrix(train[:, items], dtype=np.float32)

    def held(u):
        h = sp.csr_matrix(counts[u][:, items], dtype=np.float32)
        h = h[np.diff(h.indptr) >= 2]  # need one to fold in and one to predict
        return fold_split(h, frac=fold_frac, seed=seed + 1)

    return CFSplit(train, held(val_u), held(test_u), items)


@dataclass
class SessionSplit:
    train: list[np.ndarray]
    test: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (items, is_query, n_known_before) per session
    n_known_at_fit: int
    n_queries: int
    n_cold: int
    updates: list[np.ndarray] = field(default_factory=list)  # what each test session teaches once over
    positions: list[np.ndarray] = field(default_factory=list)  # log position of each test item (aligned with test)
    n_skips: int = 0                                          # skips in the test period (never targets)


def make_split(log: ListeningLog, *, cut: float, repeats: bool, gap_s: float,
               t_end: float | None = None, train_repeats: bool | None = None) -> SessionSplit:
    """Sessions ending before time ``cut`` train; queries are plays at or after ``cut``.

    ``t_end`` drops plays at or after it (to carve a validation split out of training data).
    ``train_repeats`` (default: same as ``repeats``) keeps replays in what the models
    learn from (training and update sessions) even when the queries are deduplicated.

    Skips (``log.skipped``) cut nothing: sessions are split over every play, as the app
    numbers them. They are never targets and never in what the models learn from or in
    the prefixes they are given; a model that reads the log itself (the app's ranker)
    finds them through ``positions``. A session of skips only is neither trained on nor asked.
    """
    train_repeats = repeats if train_repeats is None else train_repeats
    train, test, updates, positions, n_queries, n_cold, n_skips = [], [], [], [], 0, 0, 0
    known = np.maximum.accumulate(log.items) + 1  # items known once play p has happened
    skipped = log.skipped if log.skipped is not None else np.zeros(len(log), bool)
    for pos in split_sessions(log.times, gap_s=gap_s):
        if t_end is not None:
            pos = pos[log.times[pos] < t_end]
            if not pos.size:
                continue
        last_time = log.times[pos[-1]]
        if last_time >= cut:
            n_skips += int((skipped[pos] & (log.times[pos] >= cut)).sum())
        pos = pos[~skipped[pos]]
        if not pos.size:
            continue
        learn = log.items[pos]
        if not repeats:
            _, first = np.unique(log.items[pos], return_index=True)
            pos = pos[np.sort(first)]
        items = log.items[pos]
        learn = learn if train_repeats else items
        if last_time < cut:
            train.append(learn)
            continue
        updates.append(learn)
        is_query = log.times[pos] >= cut
        is_query[0] = False
        n_known = np.where(pos > 0, known[np.maximum(pos - 1, 0)], 0)
        test.append((items, is_query, n_known))
        positions.append(pos)
        n_queries += int(is_query.sum())
        n_cold += int((items >= n_known)[is_query].sum())
    before = log.items[log.times < cut]
    return SessionSplit(train, test, int(before.max()) + 1 if before.size else 0, n_queries, n_cold, updates,
                        positions, n_skips)
