"""The STAN/VSTAN session kNN baseline: order in the session, age of the neighbour, place in it."""

from __future__ import annotations

import numpy as np

from recommender.models.session_base import ItemSpace
from recommender.research.session_baselines import STAN


def _fit(sessions, n=12, **kw):
    kw = {"idf": False, **kw}
    return STAN(**kw).fit([np.asarray(s) for s in sessions], ItemSpace.plain(n))


def test_recent_neighbour_sessions_count_more():
    # Item 0 was followed by 1 long ago and by 2 lately.
    model = _fit([[0, 1]] + [[5, 6]] * 20 + [[0, 2]], lambda_snh=5.0)
    s = model.score([0])
    assert s[2] > s[1] > s[7]
    # Without time decay the two are level (up to the popularity tie-break).
    flat = _fit([[0, 1]] + [[5, 6]] * 20 + [[0, 2]], lambda_snh=1e9).score([0])
    assert abs(flat[2] - flat[1]) < 1e-3


def test_the_latest_track_of_the_session_counts_most():
    model = _fit([[0, 3], [1, 4]], lambda_spw=1.0)
    s = model.score([0, 1])                     # 1 is the latest: its neighbour's 4 leads
    assert s[4] > s[3]
    assert model.score([1, 0])[3] > model.score([1, 0])[4]


def test_tracks_near_the_shared_one_in_a_neighbour_count_most():
    model = _fit([[0, 1, 2, 3, 4, 5, 6]], lambda_inh=1.0)
    s = model.score([0])
    assert s[1] > s[2] > s[4] > s[6] > s[8]


def test_only_the_k_nearest_neighbours_vote():
    model = _fit([[0, 1, 9], [0, 2], [0, 1, 10]], k=1, lambda_snh=1e9)
    s = model.score([0, 1])                     # the session sharing both tracks is nearest... two of them
    assert max(s[9], s[10]) > 0.5 and min(s[9], s[10]) < 1e-3 and s[2] < 1e-3


def test_update_equals_a_refit():
    a, b = [[0, 1, 2], [2, 3]], [[3, 4], [0, 4, 5]]
    updated = _fit(a).update([np.asarray(s) for s in b], ItemSpace.plain(12))
    np.testing.assert_allclose(updated.score([0, 4]), _fit(a + b).score([0, 4]))
