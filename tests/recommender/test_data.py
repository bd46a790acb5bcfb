"""Plays -> session matrices and the confidence of implicit feedback."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommender import data


def test_confidence_hand_computed_dense_and_sparse():
    r = np.array([[0.0, 1.0, 9.0]])
    c = data.confidence(r, alpha=2.0, eps=1.0)
    assert c.tolist()[0] == pytest.approx([1.0, 1 + 2 * math.log(2), 1 + 2 * math.log(10)], rel=1e-6)
    cs = data.confidence(sp.csr_matrix(r), alpha=2.0, eps=0.5)
    assert cs.nnz == 2  # implicit zeros stay zero for ALS
    assert cs.toarray()[0, 2] == pytest.approx(1 + 2 * math.log(1 + 18), rel=1e-6)


def test_confidence_rejects_bad_input():
    with pytest.raises(data.DataError):
        data.confidence(np.array([-1.0]))
    with pytest.raises(data.DataError):
        data.confidence(np.array([1.0]), eps=0.0)


@pytest.mark.parametrize("ms, track_ms, ended, expected", [
    (200_000, 200_000, "finished", (1.0, False)),
    (10_000, 200_000, "skipped", (0.0, True)),        # early: < 30 s
    (60_000, 200_000, "skipped", (0.0, True)),        # early: < 50 %
    (150_000, 200_000, "skipped", (0.75, False)),     # late skip counts what was heard
    (60_000, 200_000, "stopped", (0.0, False)),       # stopping is not a skip
    (5_000, 200_000, "error", (0.0, False)),          # errors never count as skips
])
def test_play_weight(ms, track_ms, ended, expected):
    r, skip = data.play_weight(ms, track_ms, ended)
    assert r == pytest.approx(expected[0])
    assert skip is expected[1]


def _track_rows(n):
    return [{"path": f"/music/{i}.flac", "size": 1000, "mtime_ns": 1, "title": f"T{i}",
             "artist": f"A{i % 2}", "duration": 200.0}
            for i in range(n)]


def test_session_matrix_from_real_store(store):
    store.upsert_tracks(_track_rows(4))
    ids = [t["id"] for t in store.tracks()]
    t0 = 1_700_000_000.0
    # session 1: two finished plays of ids[0], a late skip of ids[1], an early skip of ids[2]
    for k, (tid, ms, ended) in enumerate([(ids[0], 200_000, "finished"), (ids[0], 200_000, "finished"),
                                          (ids[1], 150_000, "skipped"), (ids[2], 5_000, "skipped")]):
        p = store.start_play(tid, track_ms=200_000, now=t0 + 60 * k)
        store.end_play(p, ended, ms, now=t0 + 60 * k + 30)
    # two hours later: a new session with ids[3] finished
    p = store.start_play(ids[3], track_ms=200_000, now=t0 + 7200)
    store.end_play(p, "finished", 200_000, now=t0 + 7400)

    m = data.session_matrix(store.plays(), item_ids=ids)
    assert m.plays.shape == (3, 4) and m.person_row == 2
    dense = m.plays.toarray()
    assert dense[0].tolist() == pytest.approx([2.0, 0.75, 0.0, 0.0])
    assert dense[1].tolist() == pytest.approx([0.0, 0.0, 0.0, 1.0])
    assert dense[2].tolist() == pytest.approx([2.0, 0.75, 0.0, 1.0])  # the person aggregates sessions
    assert m.skips.toarray()[:, 2].tolist() == [1.0, 0.0, 1.0]
    conf = m.confidence(alpha=1.0, eps=1.0).toarray()
    assert conf[2, 0] == pytest.approx(1 + math.log(3)) and conf[2, 2] == 0.0


def test_session_matrix_splits_on_idle_gap_without_session_ids():
    rows = [{"track_id": 7, "started_at": 0.0, "ms_heard": 1, "track_ms": 1, "ended": "finished"},
            {"track_id": 8, "started_at": 600.0, "ms_heard": 1, "track_ms": 1, "ended": "finished"},
            {"track_id": 7, "started_at": 600.0 + 31 * 60, "ms_heard": 1, "track_ms": 1, "ended": "finished"}]
    m = data.session_matrix(rows)
    assert m.item_ids.tolist() == [7, 8]
    assert m.plays.toarray().tolist() == [[1, 1], [1, 0], [2, 1]]
