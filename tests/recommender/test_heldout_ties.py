"""The trainer's held-out numbers do not hang on how items are numbered: a model's tied
scores count by their mean over every order of the ties."""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp

from recommender import fitting
from recommender.heldout import StaticScores, fold_recall, next_track_hr


def _sessions(n_sess=40, n_items=60, seed=0):
    """Sessions [shape=(n_sess, n_items)] of 4-12 distinct tracks each, a few tracks much
    more played than the rest (so popularity's counts tie among the rare ones), and the
    play order of each session's tracks."""
    rng = np.random.default_rng(seed)
    weight = 1.0 / np.arange(1, n_items + 1)
    rows, cols, when = [], [], []
    for r in range(n_sess):
        items = rng.choice(n_items, size=int(rng.integers(4, 13)), replace=False, p=weight / weight.sum())
        rows += [r] * len(items)
        cols += items.tolist()
        when += list(range(1, len(items) + 1))
    counts = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_sess, n_items))
    order = sp.csr_matrix((np.asarray(when, np.float32), (rows, cols)), shape=(n_sess, n_items))
    return counts, order


def _renumbered(src, score_fn):
    """``score_fn`` asked about items renumbered so that new item j is old item ``src[j]``."""
    pos = np.argsort(src)

    def score(row):
        return np.asarray(score_fn(sp.csr_matrix(row)[:, pos]), np.float64)[..., src]
    return score


def test_fold_recall_and_next_track_hr_do_not_depend_on_item_numbering():
    counts, order = _sessions()
    train, test, test_order = counts[:30], counts[30:], order[30:]
    pop = np.asarray(train.sum(0), np.float64)
    wmf = fitting.fit_wmf(train, np.zeros((counts.shape[1], 8), np.float32), iterations=3)
    cols = np.flatnonzero(pop.ravel() > 0)
    sessions = [test.indices[test.indptr[u]:test.indptr[u + 1]][np.argsort(test_order[u].data)]
                for u in range(test.shape[0])]
    pop_sub = pop[:, cols]

    def numbers(src):
        pos = np.argsort(src)               # old item i is new item pos[i]
        t, o = test[:, src], test_order[:, src]
        p = pop.ravel()[src]
        new_cols = np.sort(pos[cols])
        sub_src = np.searchsorted(cols, src[new_cols])          # new candidate -> old candidate
        return (fold_recall(_renumbered(src, lambda row: pop), t, order=o),
                fold_recall(_renumbered(src, wmf.score), t, order=o),
                fold_recall(_renumbered(sub_src, lambda row: pop_sub), t, order=o, cols=new_cols),
                next_track_hr(StaticScores(p), [pos[s] for s in sessions]))

    n = counts.shape[1]
    base = numbers(np.arange(n))
    for seed in range(3):
        again = numbers(np.random.default_rng(seed).permutation(n))
        np.testing.assert_allclose(again, base, rtol=0, atol=1e-12)


def test_hand_worked_ties():
    # One held-out session played 0, 1, 2, 3: folds in 0 and 1; 2 and 3 are the targets.
    test = sp.csr_matrix(np.array([[1, 1, 1, 1, 0, 0]], np.float32))
    order = sp.csr_matrix(np.array([[1, 2, 3, 4, 0, 0]], np.float32))
    flat = np.array([[9.0, 9.0, 1.0, 1.0, 1.0, 1.0]])
    # Candidates 2..5 all tie for the two places: each target is in with chance 2/4, so one
    # hit is expected of the two possible.
    assert fold_recall(lambda row: flat, test, k=2, order=order) == 0.5
    # Scoring only columns 0..4, the tie is of 2, 3, 4: each target in with chance 2/3.
    cols = np.arange(5)
    assert abs(fold_recall(lambda row: flat[:, :5], test, k=2, order=order, cols=cols) - 2 / 3) < 1e-12
    # Next track: track 0 first, then 2 ties with 1, 3 and 4 for the one place left.
    assert next_track_hr(StaticScores(np.array([3.0, 1, 1, 1, 1, 0])), [np.array([0, 2])], k=2) == 0.25


def test_a_model_that_knows_nothing_scores_the_random_order_expectation():
    counts, order = _sessions(n_sess=12, n_items=50, seed=3)
    n, k = counts.shape[1], 20
    expected = []
    for u in range(counts.shape[0]):
        size = counts.indptr[u + 1] - counts.indptr[u]
        half, rest = size // 2, size - size // 2
        # Each target is one of the n - half candidates, k of which are shown.
        expected.append(rest * min(k, n - half) / (n - half) / min(k, rest))
    got = fold_recall(lambda row: np.zeros((1, n)), counts, k=k, order=order)
    assert abs(got - np.mean(expected)) < 1e-12
    sessions = [np.arange(i, i + 6) for i in range(0, 40, 6)]
    assert abs(next_track_hr(StaticScores(np.ones(n)), sessions, k=k) - k / n) < 1e-12


def test_fold_recall_leaves_the_scores_it_is_given_alone():
    # Popularity is one vector given for every session: a session's folded-in tracks are
    # not to be taken from the candidates of the sessions after it.
    counts, order = _sessions(seed=5)
    pop = np.asarray(counts[:30].sum(0), np.float64)
    before = pop.copy()
    shared = fold_recall(lambda row: pop, counts[30:], order=order[30:])
    fresh = fold_recall(lambda row: before.copy(), counts[30:], order=order[30:])
    np.testing.assert_array_equal(pop, before)
    assert shared == fresh


def test_fold_recall_is_the_mean_over_every_order_of_the_ties():
    # One session of 4-6 of 6 tracks; scores of counts with NaN, -inf and +inf, over every
    # column or a candidate subset; K from one place to more than there are candidates. The
    # list holds the finite-scored candidates not folded in, best first, ties in any order.
    rng = np.random.default_rng(11)
    values = np.array([np.nan, -np.inf, np.inf, 0.0, 1.0, 2.0])
    n = 6
    for trial in range(40):
        size = int(rng.integers(4, n + 1))
        items = rng.choice(n, size=size, replace=False)
        one = np.zeros(size, int)
        test = sp.csr_matrix((np.ones(size, np.float32), (one, items)), shape=(1, n))
        order = sp.csr_matrix((np.arange(1, size + 1, dtype=np.float32), (one, items)), shape=(1, n))
        half, rest = set(items[: size // 2].tolist()), set(items[size // 2:].tolist())
        cols = np.sort(rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False)) if trial % 2 else None
        sub = values[rng.choice(len(values), size=n if cols is None else len(cols), p=[.1, .1, .05, .3, .3, .15])]
        full = np.full(n, -np.inf)
        full[np.arange(n) if cols is None else cols] = sub
        offered = [i for i in range(n) if i not in half and np.isfinite(full[i])]
        ties = [[i for i in offered if full[i] == v] for v in sorted({full[i] for i in offered}, reverse=True)]
        lists = [[i for tie in o for i in tie] for o in itertools.product(*(itertools.permutations(t) for t in ties))]
        for k in (1, 2, 3, 7):
            want = np.mean([len(rest & set(ranked[:k])) / min(k, len(rest)) for ranked in lists])
            got = fold_recall(lambda row: sub, test, k=k, order=order, cols=cols)
            assert abs(got - want) < 1e-12, (sub.tolist(), cols, sorted(half), sorted(rest), k)
