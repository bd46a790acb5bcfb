"""The tag -> factor regressor (cold start) and its tag features."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.models.base import ModelInputError
from recommender.models.content_to_cf import (
    TagToFactor,
    tag_features,
    vocabulary_tag_matrix,
)
from recommender.models.priors import VOCABULARY


def test_vocabulary_is_the_musicnn_msd_order():
    assert len(VOCABULARY) == 50 and len(set(VOCABULARY)) == 50
    assert VOCABULARY[:3] == ("rock", "pop", "alternative") and VOCABULARY[-1] == "happy"
    assert VOCABULARY.index("Hip-Hop") == 33


def test_tag_features_are_scale_free():
    t = np.array([[4.0, 1.0, 0.0], [0.4, 0.1, 0.0], [0.0, 0.0, 0.0]])
    f = tag_features(t)
    np.testing.assert_allclose(f[0], f[1])  # counts and probabilities with the same shape agree
    np.testing.assert_allclose(f[0], [2 / np.sqrt(5), 1 / np.sqrt(5), 0.0])
    assert (f[2] == 0).all()
    with pytest.raises(ModelInputError):
        tag_features(np.array([[-1.0, 0.0]]))
    with pytest.raises(ModelInputError):
        tag_features(np.ones(3))


def test_regressor_recovers_a_linear_map_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    tags = rng.gamma(0.5, size=(400, 50))
    true_w = rng.normal(size=(50, 8))
    factors = tag_features(tags) @ true_w + 0.3
    reg = TagToFactor(VOCABULARY, l2=1e-3).fit(tags[:300], factors[:300])
    pred = reg.predict_factors(tags[300:])
    assert pred.shape == (100, 8) and pred.dtype == np.float32
    assert np.abs(pred - factors[300:]).max() < 0.05
    again = TagToFactor.load(reg.save(tmp_path / "reg.npz"))
    assert again.vocabulary == VOCABULARY
    np.testing.assert_allclose(again.predict_factors(tags[300:]), pred, atol=1e-5)


def test_regressor_rejects_wrong_width_and_unfitted():
    reg = TagToFactor(VOCABULARY)
    with pytest.raises(ModelInputError):
        reg.predict_factors(np.zeros((1, 50)))
    reg.fit(np.eye(50), np.ones((50, 4)))
    with pytest.raises(ModelInputError):
        reg.predict_factors(np.zeros((1, 49)))
    with pytest.raises(ModelInputError):
        TagToFactor(VOCABULARY).fit(np.eye(50), np.ones((49, 4)))


def test_vocabulary_tag_matrix_aligns_artists_and_tags():
    tag_artists = np.array([10, 20])
    names = np.array(["hip-hop", "rock", "zydeco"])
    counts = sp.csr_matrix(np.array([[3, 0, 1], [0, 2, 0]], dtype=np.float32))
    out = vocabulary_tag_matrix(np.array([20, 30, 10]), tag_artists, names, counts, VOCABULARY)
    assert out.shape == (3, 50)
    assert out[0, VOCABULARY.index("rock")] == 2 and out[0].sum() == 2
    assert out[1].sum() == 0  # artist without tags
    assert out[2, VOCABULARY.index("Hip-Hop")] == 3 and out[2].sum() == 3  # case-insensitive, zydeco dropped
