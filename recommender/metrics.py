"""Ranking metrics, computed per query from a ranked list of item ids.

Each function takes ``ranked`` (item ids, best first; only the first K are
read) and ``relevant`` (the held-out items) and returns a float for one user or
one next-item prediction; average them over queries. Definitions follow the
usual top-N recommendation literature:

- ``recall_at_k``: hits in the top K / min(K, |relevant|) (the normalisation of
  Liang et al. 2018, so a perfect ranking scores 1.0 even when |relevant| > K).
  With one relevant item this is HitRate@K.
- ``ndcg_at_k``: DCG of the top K with binary gains, over the ideal DCG.
- ``mrr_at_k``: 1 / rank of the first relevant item within the top K, else 0.
- ``precision_at_k``, ``f1_at_k``: as much of the literature reports them (hits / K,
  and their harmonic mean with plain recall hits / |relevant|).
- ``auc``: probability that a relevant item is scored above an irrelevant one,
  from a full score vector.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np


class MetricInputError(ValueError):
    """Raised for a cutoff or input the metrics cannot use."""


def _check_k(k: int) -> None:
    if k <= 0:
        raise MetricInputError(f"cutoff K must be positive, got {k}")


def _hits(ranked: Sequence[int], relevant: set, k: int) -> np.ndarray:
    return np.fromiter((item in relevant for item in list(ranked)[:k]), dtype=bool)


def recall_at_k(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    _check_k(k)
    relevant = set(relevant)
    if not relevant:
        return 0.0
    return float(_hits(ranked, relevant, k).sum() / min(k, len(relevant)))


def hit_rate_at_k(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    """1.0 if any relevant item is in the top K."""
    _check_k(k)
    return float(_hits(ranked, set(relevant), k).any())


def precision_at_k(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    _check_k(k)
    return float(_hits(ranked, set(relevant), k).sum() / k)


def f1_at_k(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    _check_k(k)
    relevant = set(relevant)
    if not relevant:
        return 0.0
    hits = _hits(ranked, relevant, k).sum()
    p, r = hits / k, hits / len(relevant)
    return float(0.0 if hits == 0 else 2 * p * r / (p + r))


def ndcg_at_k(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    _check_k(k)
    relevant = set(relevant)
    if not relevant:
        return 0.0
    hits = _hits(ranked, relevant, k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float((hits * discounts[: len(hits)]).sum())
    idcg = float(discounts[: min(k, len(relevant))].sum())
    return dcg / idcg


def mrr_at_k(ranked: Sequence[int], relevant: Iterable[int], k: int | None = None) -> float:
    if k is not None:
        _check_k(k)
    relevant = set(relevant)
    top = list(ranked) if k is None else list(ranked)[:k]
    for rank, item in enumerate(top, start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def auc(scores: np.ndarray, relevant: Iterable[int], *, exclude: Iterable[int] = ()) -> float:
    """Area under the ROC curve of one query's scores [shape=(n_items,)].

    ``exclude`` items (e.g. the fold-in items already known) are left out of the negatives.
    Ties count one half.
    """
    scores = np.asarray(scores, dtype=np.float64)
    pos = np.zeros(scores.shape[0], dtype=bool)
    pos[list(relevant)] = True
    mask = np.ones_like(pos)
    mask[list(exclude)] = False
    s, p = scores[mask], pos[mask]
    n_pos, n_neg = int(p.sum()), int((~p).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(s)
    return float((ranks[p].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def top_k(scores: np.ndarray, k: int, *, exclude: Iterable[int] = ()) -> np.ndarray:
    """Indices of the K highest scores, best first, never an excluded index.

    ``scores`` [shape=(n_items,)] or [shape=(n_queries, n_items)] (then ``exclude``
    must be empty: mask excluded items with ``-inf`` yourself).
    """
    _check_k(k)
    scores = np.array(scores, dtype=np.float64, copy=True)
    ex = list(exclude)
    if ex:
        scores[..., ex] = -np.inf
    k = min(k, scores.shape[-1])
    part = np.argpartition(-scores, k - 1, axis=-1)[..., :k]
    order = np.take_along_axis(scores, part, axis=-1)
    return np.take_along_axis(part, np.argsort(-order, axis=-1, kind="stable"), axis=-1)
