"""The session GRU scored with numpy (what the window does) against the torch model it came from."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.models.session_base import ItemSpace, SessionModelError
from recommender.models.session_rnn import SessionGRU
from recommender.models.session_serving import GRUScorer


def _sessions(rng, n_items, n=60):
    return [rng.integers(0, n_items, size=rng.integers(2, 9)) for _ in range(n)]


def test_numpy_scores_equal_the_torch_model(tmp_path):
    rng = np.random.default_rng(3)
    n_items = 50
    side = rng.normal(size=(n_items, 6)).astype(np.float32)
    mask = rng.random(n_items) > 0.3
    space = ItemSpace(n_items, np.arange(n_items) % 7, 7, side, mask)
    gru = SessionGRU(dim=16, epochs=2, batch_size=16, threads=1, dropout=0.1).fit(_sessions(rng, 40), space.head(40))
    gru.update(_sessions(rng, n_items, 10), space)          # grown tables, as after an update
    gru.export_serving(tmp_path / "gru.npz")
    scorer = GRUScorer.load(tmp_path / "gru.npz")
    assert scorer.n_items == n_items
    for prefix in ([], [3], [3, 41, 7], [3, 41, 7, 7, 12], [49, 0]):
        want, got = gru.score(prefix), scorer.score(prefix)
        assert got.shape == want.shape == (n_items,)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
        if prefix:
            assert np.argsort(-got)[:5].tolist() == np.argsort(-want)[:5].tolist()
    # continuing a cached prefix gives the same as reading it from the start
    fresh = GRUScorer.load(tmp_path / "gru.npz")
    np.testing.assert_allclose(scorer.score([3, 41, 7, 9]), fresh.score([3, 41, 7, 9]), rtol=1e-6)


def test_bad_serving_files_are_refused(tmp_path):
    from recommender.models.session_base import save_npz

    save_npz(tmp_path / "other.npz", {"x": np.zeros(3)}, {"class": "SessionKNN"})
    with pytest.raises(SessionModelError, match="does not hold"):
        GRUScorer.load(tmp_path / "other.npz")
    arrays = {"items": np.zeros((4, 3)), "w_ih": np.zeros((9, 3)), "w_hh": np.zeros((9, 3)),
              "b_ih": np.zeros(9), "b_hh": np.zeros(9), "out_w": np.zeros((3, 3)), "out_b": np.zeros(3),
              "pop": np.zeros(5)}
    with pytest.raises(SessionModelError, match="wrong shapes"):
        GRUScorer(arrays)
    arrays["pop"] = np.ones(4)
    with pytest.raises(SessionModelError, match="outside"):
        GRUScorer(arrays).score([4])
