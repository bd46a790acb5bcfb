import math

import numpy as np
import pytest

from recommender.research.eval_cold import _rank_metrics


def test_cold_table_counts_tied_artists_as_the_mean_over_their_orders():
    # Artists with the same tags score the same: 10 above, then 30 tied (index order would
    # put artist 39 last of them, outside the top 20, and artist 10 first, inside it).
    scores = np.zeros((2, 60))
    scores[:, :10] = 2.0
    scores[:, 10:40] = 1.0
    out = _rank_metrics(scores, [{39}, {10}])
    # Ranks 11 to 40 equally likely; 10 of them within 20 and 30 within 50.
    assert out["recall@20"] == pytest.approx(10 / 30)
    assert out["recall@50"] == pytest.approx(1.0)
    assert out["ndcg@100"] == pytest.approx(sum(1 / math.log2(r + 1) for r in range(11, 41)) / 30)
