"""One contract test run over every collaborative model on synthetic data (STYLE.md 7)."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.models.autorec import IAutoRec, UAutoRec
from recommender.models.base import ModelInputError
from recommender.models.wmf import WMF
from recommender.research.cf_baselines import EASE, ItemKNN, Popularity

N_USERS, N_ITEMS, N_GROUPS = 150, 60, 3
GROUP = N_ITEMS // N_GROUPS

MODELS = {
    "wmf": lambda: WMF(factors=8, regularization=0.1, iterations=10),
    "autorec_u": lambda: UAutoRec(hidden=16, epochs=40, batch=32, lr=1e-2),
    "autorec_i": lambda: IAutoRec(hidden=16, epochs=40, batch=32, lr=1e-2),
    "ease": lambda: EASE(l2=10.0),
    "item_knn": lambda: ItemKNN(neighbours=20),
    "popularity": lambda: Popularity(),
}


def planted(seed=0, n_users=N_USERS):
    """Users in three taste groups: each plays half its group's items, rarely others."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n_users, N_ITEMS), dtype=np.float32)
    group = np.arange(n_users) % N_GROUPS
    for u, g in enumerate(group):
        items = g * GROUP + rng.choice(GROUP, size=GROUP // 2, replace=False)
        x[u, items] = rng.integers(1, 20, size=len(items))
        noise = rng.choice(N_ITEMS, size=1)
        x[u, noise] = 1
    return sp.csr_matrix(x), group


@pytest.fixture(scope="module")
def data():
    train, _ = planted(0)
    test, group = planted(1, n_users=30)
    return train, test, group


@pytest.fixture(scope="module", params=sorted(MODELS))
def fitted(request, data):
    import torch

    torch.manual_seed(0)
    return request.param, MODELS[request.param]().fit(data[0])


def test_score_shape_and_finite(fitted, data):
    _, model = fitted
    s = model.score(data[1])
    assert s.shape == (data[1].shape[0], N_ITEMS) and s.dtype == np.float32
    assert np.isfinite(s).all()


def test_recommend_excludes_seen_items(fitted, data):
    _, model = fitted
    test = data[1]
    rec = model.recommend(test, 10)
    assert rec.shape == (test.shape[0], 10)
    for u in range(test.shape[0]):
        seen = set(test[u].indices.tolist())
        assert not seen & set(rec[u].tolist())
    keep = model.recommend(test, 5, exclude_seen=False)
    assert keep.shape == (test.shape[0], 5)


def test_learns_the_planted_groups(fitted, data):
    name, model = fitted
    test, group = data[1], data[2]
    rec = model.recommend(test, 5)
    in_group = (rec // GROUP) == group[:, None]
    if name == "popularity":
        # not personalised: the same scores for everyone, so it cannot follow the groups
        s = model.score(test)
        assert (s == s[0]).all() and in_group.mean() < 0.6
    else:
        assert in_group.mean() > 0.8, f"{name}: only {in_group.mean():.2f} of top-5 in the user's group"


def test_save_load_round_trip(fitted, data, tmp_path):
    name, model = fitted
    path = model.save(tmp_path / f"{name}.npz")
    again = type(model).load(path)
    assert again.params == model.params
    np.testing.assert_allclose(again.score(data[1]), model.score(data[1]), rtol=1e-4, atol=1e-4)
    with np.load(path, allow_pickle=False) as z:  # loadable without pickle
        assert "_meta" in z.files
    other = Popularity if name != "popularity" else EASE
    with pytest.raises(ModelInputError):
        other.load(path)


def test_bad_input_is_a_named_error(fitted, data):
    _, model = fitted
    with pytest.raises(ModelInputError):
        model.score(sp.csr_matrix((2, N_ITEMS + 1), dtype=np.float32))
    neg = sp.csr_matrix(np.full((1, N_ITEMS), -1.0, dtype=np.float32))
    with pytest.raises(ModelInputError):
        model.score(neg)
    with pytest.warns(UserWarning):
        s = model.score(data[1][:2].toarray())
    assert s.shape == (2, N_ITEMS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_unfitted_model_refuses(name):
    model = MODELS[name]()
    with pytest.raises(ModelInputError):
        model.score(sp.csr_matrix((1, N_ITEMS), dtype=np.float32))
    with pytest.raises(ModelInputError):
        model.fit(sp.csr_matrix((3, N_ITEMS), dtype=np.float32))  # empty


def test_popularity_ranks_by_user_count(data):
    train = data[0]
    model = Popularity().fit(train)
    users_per_item = (train.toarray() > 0).sum(0)
    np.testing.assert_array_equal(model.score(train[:1])[0], users_per_item)


def test_wmf_fold_in_matches_training_factors(data):
    """Folding in a training row reproduces (approximately) its user factor from ALS."""
    train = data[0]
    model = WMF(factors=8, regularization=0.1, iterations=15).fit(train)
    folded = model.fold_in(train[:10])
    cos = (folded * model.user_factors[:10]).sum(1) / (
        np.linalg.norm(folded, axis=1) * np.linalg.norm(model.user_factors[:10], axis=1))
    assert cos.min() > 0.95
