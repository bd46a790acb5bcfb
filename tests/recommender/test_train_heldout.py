"""Held-out metrics that weigh the local models: play-order splits, no candidate leak."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

import recommender.fitting as fitting
from recommender.data import session_matrix
from recommender.heldout import fold_recall, play_order, play_rows
from recommender.train import train_local
from tests.recommender.test_rank import library, playlog
from tests.recommender.test_train import jazz_sessions


def _spy_scores(seen):
    def score(row):
        seen.append(sorted(row.indices.tolist()))
        return np.zeros((1, row.shape[1]))
    return score


def test_held_out_session_splits_in_play_order_not_track_id_order():
    # One session playing (by time) tracks 1030, 1002, 1020, 1001: ids out of order.
    cat = library(plays=playlog([(t, "finished") for t in (1030, 1002, 1020, 1001)], session_len=4))
    rows = play_rows(cat)
    sm = session_matrix(rows, item_ids=cat.track_ids)
    counts, order = sm.plays.tocsr()[:-1], play_order(rows, sm)[:-1]
    seen = []
    fold_recall(_spy_scores(seen), counts, order=order)
    assert seen == [sorted(cat.rows([1030, 1002]).tolist())]      # the first two played


def test_without_play_order_the_split_is_random_but_reproducible():
    test = sp.csr_matrix(np.ones((30, 12), np.float32))
    a, b = [], []
    fold_recall(_spy_scores(a), test)
    fold_recall(_spy_scores(b), test)
    assert a == b                                                   # fixed seed
    assert any(half != list(range(6)) for half in a)                # not column order


def test_items_outside_the_candidate_columns_count_as_misses():
    test = sp.csr_matrix(np.ones((1, 4), np.float32))
    order = sp.csr_matrix(np.array([[1, 2, 3, 4]], np.float32))
    cols = np.array([0, 1, 2])
    seen = []

    def oracle(row):                    # folds in columns 0, 1; ranks column 2 first
        seen.append(row.indices.tolist())
        return np.array([[0.0, 0.0, 1.0]])

    assert fold_recall(oracle, test, order=order, cols=cols) == 0.5   # 3 is held out, unreachable
    assert seen == [[0, 1]]


def test_held_out_autorec_columns_come_from_training_sessions_only(tmp_path, monkeypatch):
    # 10 jazz sessions, then 2 sessions of hiphop tracks never played before.
    base = jazz_sessions(10, per=8)
    new = [(1000 + 3 * 40 + i, "finished") for i in range(18)]
    events = [(int(t), str(e)) for t, e in zip(base.track_id, base.ended)] + new
    cat = library(plays=playlog(events, session_len=9))
    fitted = []
    real = fitting.fit_autorec

    def record(counts, **kw):
        fitted.append(counts.shape[1])
        return real(counts, **kw)

    monkeypatch.setattr(fitting, "fit_autorec", record)
    result = train_local(tmp_path, cat, session_model=False)
    n_sess = result.metrics["n_sessions"]
    split = int(n_sess * 0.8)
    first = cat.plays.session_id < np.unique(cat.plays.session_id)[split]
    trained_on = {t for t, e, f in zip(cat.plays.track_id, cat.plays.ended, first) if f and e == "finished"}
    assert fitted[0] == len(trained_on)                 # held-out fit: training tracks only
    assert fitted[1] > fitted[0]                        # the shipped fit sees every played track
    assert 0.0 <= result.metrics["autorec_recall@20"] <= 1.0
