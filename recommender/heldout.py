"""Held-out measurements the trainer takes of each model, on the person's own sessions.

The latest sessions are held out; a model trained without them folds in the first
half of each (in play order) and is scored on the rest (:func:`fold_recall`), or is
asked for each next track (:func:`next_track_hr`). The ranker weighs each local model
by its lift over popularity on these (``recommender.local_models.model_weights``).

Both count a hit by its mean over every order of the model's tied scores
(:mod:`recommender.metrics`' ``expected_*``), not by one tie-break: popularity's counts
tie a lot, and a tie-break's pick among them would move the baseline, and so the
weights, with nothing but the order the tracks happen to be numbered in.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.catalog import Catalog
from recommender.metrics import expected_hit_rate_at_k, expected_recall_at_k


def play_rows(cat: Catalog) -> list[dict]:
    p = cat.plays
    return [{"track_id": int(p.track_id[i]), "session_id": int(p.session_id[i]),
             "started_at": float(p.started_at[i]), "ms_heard": float(p.ms_heard[i]),
             "track_ms": float(p.track_ms[i]) or None, "ended": str(p.ended[i])} for i in range(len(p))]


def listened_sessions(cat: Catalog, *, with_ids: bool = False):
    """Sessions (oldest first) as arrays of catalogue rows of the plays listened to;
    with ``with_ids``, ``(session ids, sessions)``."""
    p = cat.plays
    rows = cat.rows(p.track_id)
    keep = (rows >= 0) & (p.feedback() > 0)
    out, order = [], {}
    for sid, r in zip(p.session_id[keep], rows[keep]):
        if sid not in order:
            order[sid] = len(out)
            out.append([])
        out[order[sid]].append(int(r))
    sessions = [np.asarray(s, np.int64) for s in out]
    return (list(order), sessions) if with_ids else sessions


def play_order(rows: list[dict], sm) -> sp.csr_matrix:
    """[shape=sm.plays.shape] 1 + position of each track's first play in its session (0 = none).

    Rows and columns match ``sm`` (from :func:`recommender.data.session_matrix` over the
    same ``rows``), so slicing it like the counts keeps play order for held-out splits.
    """
    srow = {str(sid): i for i, sid in enumerate(sm.session_ids)}
    col = {int(t): j for j, t in enumerate(sm.item_ids)}
    first: dict[tuple[int, int], int] = {}
    seen = [0] * len(srow)
    for p in sorted(rows, key=lambda p: float(p["started_at"])):        # as session_matrix
        r, j = srow.get(str(p["session_id"])), col.get(int(p["track_id"]))
        if r is None or j is None:
            continue
        seen[r] += 1
        first.setdefault((r, j), seen[r])
    if not first:
        return sp.csr_matrix(sm.plays.shape, dtype=np.float32)
    (r, c), v = zip(*first.keys()), list(first.values())
    return sp.csr_matrix((np.asarray(v, np.float32), (r, c)), shape=sm.plays.shape)


def fold_recall(score_fn, test: sp.csr_matrix, k: int = 20, *, order: sp.csr_matrix | None = None,
                 cols: np.ndarray | None = None, seed: int = 0) -> float:
    """Fold in the first half of each test session, recall@k on the other half.

    Parameters
    ----------
    score_fn : ``fn(csr row [shape=(1, m)]) -> scores [shape=(1, m)]``, m = len(cols) or n
    test : sp.csr_matrix [shape=(s, n)] held-out sessions
    order : sp.csr_matrix [shape=(s, n)] from :func:`play_order`: "first half" is the
        earliest plays; without it each session's items are shuffled (fixed ``seed``)
    cols : the columns the model scores (a candidate subset); held-out items outside
        them stay relevant and count as misses

    Each session's recall is its mean over every order of the tied scores. Items scored
    non-finite (outside ``cols``, or so by the model) are never recommended: misses.
    """
    rng = np.random.default_rng(seed)
    n = test.shape[1]
    to_sub = None
    if cols is not None:
        to_sub = np.full(n, -1, np.int64)
        to_sub[cols] = np.arange(len(cols))
    recalls = []
    for u in range(test.shape[0]):
        items = test.indices[test.indptr[u]:test.indptr[u + 1]]
        if len(items) < 4:
            continue
        if order is not None:
            orow = order.getrow(u)
            when = dict(zip(orow.indices.tolist(), orow.data.tolist()))
            items = items[np.argsort([when.get(int(i), np.inf) for i in items], kind="stable")]
        else:
            items = rng.permutation(items)
        half, rest = items[: len(items) // 2], items[len(items) // 2:]
        if to_sub is None:
            fold, m = half, n
        else:
            fold, m = to_sub[half][to_sub[half] >= 0], len(cols)
        row = sp.csr_matrix((np.ones(len(fold), np.float32), (np.zeros(len(fold)), fold)), shape=(1, m))
        s = np.asarray(score_fn(row), np.float64).ravel()
        if to_sub is None:
            targets = rest
        else:
            # Ranked among the candidate columns alone, the only ones offered: spread over
            # the whole catalogue, each session paid for masking every track outside them
            # (10-40 times the time of the same sessions without ``cols``). A held-out item
            # outside them is a miss that still counts in recall's divisor.
            targets = to_sub[rest][to_sub[rest] >= 0]
        # The folded-in items are known already, and items without a finite score are not
        # offered at all: neither takes a place in the list.
        gone = np.union1d(fold, np.flatnonzero(~np.isfinite(s)))
        found = expected_recall_at_k(s, targets.tolist(), k, exclude=gone) * min(k, len(targets))
        recalls.append(found / min(k, len(rest)))
    return float(np.mean(recalls)) if recalls else float("nan")


def next_track_hr(model, sessions: list[np.ndarray], k: int = 20) -> float:
    """HR@k of each next track given the session before it (``model.score(prefix)``),
    each query's hit its chance over every order of the tied scores."""
    hits = []
    for s in sessions:
        for i in range(1, len(s)):
            scores = model.score(s[:i])
            hits.append(expected_hit_rate_at_k(np.asarray(scores, np.float64), [int(s[i])], k))
    return float(np.mean(hits)) if hits else float("nan")


class StaticScores:
    """A "model" that gives the same scores whatever came before (popularity)."""

    def __init__(self, scores):
        self.scores = scores

    def score(self, prefix):
        return self.scores
