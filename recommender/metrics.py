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

The ``expected_*`` functions take a score vector instead of a ranked list and give the
metric's expectation over every order of the tied scores, all equally likely, computed
exactly from how many candidates score above each relevant item and how many the same.
A model's number then does not hang on which of its tied items a tie-break puts first:
count-based baselines tie a lot, and one person's item-kNN HR@20 went from 0.097 to 0.120
with the order alone. Excluded items come after every other, as in :func:`top_k`.
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


def tie_counts(scores: np.ndarray, relevant: Iterable[int], *,
               exclude: Iterable[int] = ()) -> tuple[np.ndarray, np.ndarray]:
    """For each relevant item that may be ranked: how many candidates score strictly above
    it, and how many score the same, itself included (its tie).

    ``scores`` [shape=(n_items,)]; relevant items outside it or excluded are left out (a miss
    in every order). NaN scores come after every other score, as in :func:`top_k`.
    """
    s = np.asarray(scores, dtype=np.float64)
    rel = np.unique(np.fromiter((int(r) for r in relevant), dtype=np.int64))
    rel = rel[(rel >= 0) & (rel < s.shape[0])]
    ex = np.fromiter((int(e) for e in exclude), dtype=np.int64)
    ex = ex[(ex >= 0) & (ex < s.shape[0])]
    if ex.size:
        cand = np.ones(s.shape[0], dtype=bool)
        cand[ex] = False
        rel, c = rel[cand[rel]], s[cand]
    else:
        c = s
    t = s[rel]
    nan = np.isnan(c)
    if rel.size <= 8:
        # A few targets: one pass over the scores each, cheaper than sorting them.
        above = np.array([(c > x).sum() for x in t], dtype=np.int64)
        tied = np.array([(c == x).sum() for x in t], dtype=np.int64)
    else:
        valid = np.sort(c[~nan])
        lo, hi = np.searchsorted(valid, t, "left"), np.searchsorted(valid, t, "right")
        above, tied = (valid.size - hi).astype(np.int64), (hi - lo).astype(np.int64)
    t_nan = np.isnan(t)
    above[t_nan], tied[t_nan] = int((~nan).sum()), int(nan.sum())
    return above, tied


def _gain_sums(gain, above: np.ndarray, tied: np.ndarray, k: int | None) -> np.ndarray:
    """Mean over the ranks above+1 .. above+tied (each equally likely) of ``gain(rank)``
    where the rank is within K, 0 beyond it; ``gain`` maps an array of ranks to gains."""
    if above.size == 0:
        return np.zeros(0)
    last = above + tied if k is None else np.minimum(above + tied, k)
    first = above if k is None else np.minimum(above, k)
    cum = np.concatenate([[0.0], np.cumsum(gain(np.arange(1, int(last.max()) + 1)))])
    return (cum[last] - cum[first]) / tied


def _expected_hits(scores, relevant, k: int, exclude) -> tuple[float, int]:
    """Expected number of relevant items in the top K, and how many relevant items there are."""
    _check_k(k)
    relevant = set(relevant)
    above, tied = tie_counts(scores, relevant, exclude=exclude)
    return float(np.clip((k - above) / np.maximum(tied, 1), 0.0, 1.0).sum()), len(relevant)


def expected_recall_at_k(scores, relevant: Iterable[int], k: int, *, exclude: Iterable[int] = ()) -> float:
    """:func:`recall_at_k` averaged over every order of the tied scores."""
    hits, n = _expected_hits(scores, relevant, k, exclude)
    return hits / min(k, n) if n else 0.0


def expected_precision_at_k(scores, relevant: Iterable[int], k: int, *, exclude: Iterable[int] = ()) -> float:
    """:func:`precision_at_k` averaged over every order of the tied scores."""
    return _expected_hits(scores, relevant, k, exclude)[0] / k


def expected_f1_at_k(scores, relevant: Iterable[int], k: int, *, exclude: Iterable[int] = ()) -> float:
    """:func:`f1_at_k` averaged over every order of the tied scores: F1 at K is
    2 * hits / (K + |relevant|), so its mean is that of the hits."""
    hits, n = _expected_hits(scores, relevant, k, exclude)
    return 2 * hits / (k + n) if n else 0.0


def expected_ndcg_at_k(scores, relevant: Iterable[int], k: int, *, exclude: Iterable[int] = ()) -> float:
    """:func:`ndcg_at_k` averaged over every order of the tied scores: each relevant item's
    discount averaged over the places its tie may give it (the DCG is their sum)."""
    _check_k(k)
    relevant = set(relevant)
    if not relevant:
        return 0.0
    above, tied = tie_counts(scores, relevant, exclude=exclude)
    dcg = float(_gain_sums(lambda r: 1.0 / np.log2(r + 1), above, tied, k).sum())
    idcg = float((1.0 / np.log2(np.arange(2, min(k, len(relevant)) + 2))).sum())
    return dcg / idcg


def _first_hit(scores, relevant, k: int | None, exclude) -> tuple[float, float]:
    """Chance that a relevant item is in the top K, and the expected reciprocal rank of the
    first one (0 beyond K), over every order of the tied scores.

    Only the highest tie holding a relevant item matters: every relevant item below it comes
    after it in any order. With h relevant among the m tied, the first of them lands j-th in
    the tie with chance C(m-j, h-1) / C(m, h)."""
    above, tied = tie_counts(scores, relevant, exclude=exclude)
    if above.size == 0:
        return 0.0, 0.0
    a = int(above.min())
    m, h = int(tied[above == a][0]), int((above == a).sum())
    last = m - h + 1 if k is None else min(m - h + 1, k - a)
    if last <= 0:
        return 0.0, 0.0
    j = np.arange(1, last + 1)
    # C(m-j-1, h-1) / C(m-j, h-1) = (m-j-h+1) / (m-j): a running product, no large binomials.
    ratio = (m - j[:-1] - h + 1) / (m - j[:-1])
    p = (h / m) * np.concatenate([[1.0], np.cumprod(ratio)])
    return float(min(p.sum(), 1.0)), float((p / (a + j)).sum())


def expected_hit_rate_at_k(scores, relevant: Iterable[int], k: int, *, exclude: Iterable[int] = ()) -> float:
    """:func:`hit_rate_at_k` averaged over every order of the tied scores."""
    _check_k(k)
    return _first_hit(scores, relevant, k, exclude)[0]


def expected_mrr_at_k(scores, relevant: Iterable[int], k: int | None = None, *,
                      exclude: Iterable[int] = ()) -> float:
    """:func:`mrr_at_k` averaged over every order of the tied scores."""
    if k is not None:
        _check_k(k)
    return _first_hit(scores, relevant, k, exclude)[1]


def top_k_chances(scores: np.ndarray, k: int) -> np.ndarray:
    """[shape=scores.shape] Each item's chance of a place in its row's top K over every
    order of the row's tied scores: 1 above the K-th score, 0 below it, and of the items
    tied with it, the places left shared evenly. NaN comes after every other score.

    ``scores`` [shape=(n_items,)] or [shape=(n_queries, n_items)].
    """
    _check_k(k)
    s = np.asarray(scores, dtype=np.float64)
    rows = s.reshape(-1, s.shape[-1]) if s.ndim else s.reshape(1, 1)
    out = np.zeros(rows.shape, dtype=np.float64)
    for i, row in enumerate(rows):
        nan = np.isnan(row)
        valid = row[~nan]
        if valid.size <= k:
            # Every scored item makes the list; the places left go to the NaNs, evenly.
            out[i, ~nan] = 1.0
            if nan.any():
                out[i, nan] = min(k - valid.size, int(nan.sum())) / nan.sum()
            continue
        kth = np.partition(valid, valid.size - k)[valid.size - k]
        above, tied = row > kth, row == kth
        out[i, above] = 1.0
        out[i, tied] = (k - above.sum()) / tied.sum()
    return out.reshape(s.shape)


def expected_coverage_at_k(scores: np.ndarray, k: int) -> float:
    """How many distinct items the top-K lists of ``scores`` [shape=(n_queries, n_items)]
    hold between them, averaged over every order of each row's tied scores (each row's ties
    in an order of its own, all equally likely, as the ``expected_*`` metrics take them).

    An item is in none of the lists with the product over rows of its chance to miss each.
    """
    chances = top_k_chances(np.atleast_2d(scores), k)
    return float((1.0 - np.prod(1.0 - chances, axis=0)).sum())


def top_k(scores: np.ndarray, k: int, *, exclude: Iterable[int] = ()) -> np.ndarray:
    """Indices of the K highest scores, best first; an excluded index only where fewer than K
    are left (it is scored ``-inf``, and comes after every other).

    ``scores`` [shape=(n_items,)] or [shape=(n_queries, n_items)] (then ``exclude``
    must be empty: mask excluded items with ``-inf`` yourself).
    """
    _check_k(k)
    scores = np.array(scores, dtype=np.float64, copy=True)
    ex = list(exclude)
    if ex:
        scores[..., ex] = -np.inf
    k = min(k, scores.shape[-1])
    if scores.ndim == 1:
        return _top_k_row(scores, k)
    rows = scores.reshape(-1, scores.shape[-1])
    out = np.empty((rows.shape[0], k), dtype=np.intp)
    for i, row in enumerate(rows):
        out[i] = _top_k_row(row, k)
    return out.reshape(*scores.shape[:-1], k)


def _top_k_row(scores: np.ndarray, k: int) -> np.ndarray:
    """``top_k`` of one row: equal scores in the order :func:`_scrambled` gives their indices.

    ``argpartition`` alone leaves which of several equal scores make the cut, and in what
    order, to numpy's build and the processor (its AVX-512 code picks others than its
    AVX2 code), so a baseline whose scores tie often measured differently on another
    machine. Every score above the K-th is taken, and of those equal to it the ones first in
    that scrambled order; only those are sorted.
    """
    if k == 0:
        return np.empty(0, dtype=np.intp)
    kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
    tied = np.isnan(scores) if np.isnan(kth) else scores == kth
    above = np.flatnonzero(~np.isnan(scores) if np.isnan(kth) else scores > kth)
    ties = np.flatnonzero(tied)
    need = k - above.size
    if ties.size > need:
        # Only the tied scores that make the cut are sorted: a row that ties everywhere (no
        # plays yet, a count baseline's zeros) would otherwise sort the whole catalogue on
        # every call. The scrambled keys of distinct indices are distinct, so which ones
        # make the cut is the partition's to say on no machine.
        ties = ties[np.argpartition(_scrambled(ties), need - 1)[:need]]
    cand = np.concatenate([above, ties])
    return cand[np.lexsort((_scrambled(cand), -scores[cand]))]


def _scrambled(index: np.ndarray) -> np.ndarray:
    """A fixed order of indices that says nothing of the indices' own order (splitmix64's
    mixing), the same on every machine. Not the indices' order itself: items are numbered
    as they were first played, so that order would rank an album's tracks that tie as
    they were played, a sequence a tied baseline had not learnt (item-kNN's MRR@20 over
    the 21 people 0.092 -> 0.100 with it)."""
    z = index.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))
