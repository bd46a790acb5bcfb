"""The strong-generalisation harness: split, metrics, and popularity checked independently."""

import math
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.research import datasets as data
from recommender.metrics import expected_coverage_at_k
from recommender.research.cf_baselines import Popularity
from recommender.research.eval_cf import evaluate_scores, format_table, run
from recommender.research.splits import HeldOut, fold_split, strong_split


def random_counts(n_users=200, n_items=80, density=0.1, seed=0):
    rng = np.random.default_rng(seed)
    x = sp.random(n_users, n_items, density=density, random_state=seed, format="csr", dtype=np.float32)
    x.data = rng.integers(1, 30, size=x.nnz).astype(np.float32)
    # a popularity skew, so popularity is a meaningful baseline
    x = sp.csr_matrix(x.multiply(rng.random(n_items) < np.linspace(1.0, 0.3, n_items)))
    x.eliminate_zeros()
    return x[np.diff(x.indptr) >= 3]


def test_strong_split_partitions_users_and_items():
    x = random_counts()
    s = strong_split(x, heldout_frac=0.15, seed=0)
    n_h = round(0.15 * x.shape[0])
    assert s.train.shape[0] == x.shape[0] - 2 * n_h
    assert s.val.fold.shape[0] <= n_h and s.test.fold.shape[0] <= n_h
    for h in (s.val, s.test):
        assert (np.diff(h.fold.indptr) >= 1).all() and (np.diff(h.target.indptr) >= 1).all()
        assert h.fold.multiply(h.target).nnz == 0  # fold-in and targets never overlap
    assert (np.diff(s.train.tocsc().indptr) > 0).all()  # every kept item has a train user
    again = strong_split(x, heldout_frac=0.15, seed=0)
    assert (again.test.target != s.test.target).nnz == 0  # fixed seeds


def test_fold_split_is_80_20_per_user():
    x = sp.csr_matrix(np.ones((3, 10), dtype=np.float32))
    h = fold_split(x, frac=0.8, seed=1)
    assert np.diff(h.fold.indptr).tolist() == [8, 8, 8]
    assert np.diff(h.target.indptr).tolist() == [2, 2, 2]
    assert ((h.fold + h.target).toarray() == 1).all()


def test_evaluate_scores_hand_made():
    fold = sp.csr_matrix(np.array([[1, 0, 0, 0, 0], [0, 0, 0, 0, 1]], dtype=np.float32))
    target = sp.csr_matrix(np.array([[0, 0, 1, 0, 0], [1, 1, 0, 0, 0]], dtype=np.float32))
    scores = np.array([[9.0, 1.0, 5.0, 3.0, 0.0],     # item 0 is fold-in: ranking 2,3,1,4 -> hit at 1
                       [0.0, 2.0, 1.0, 3.0, 9.0]])    # ranking 3,1,2,0 -> hits at 2 and 4
    res = evaluate_scores(scores, HeldOut(fold, target))
    assert res["mrr"] == pytest.approx((1 + 1 / 2) / 2)
    ndcg_u1 = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert res["ndcg@100"] == pytest.approx((1 + ndcg_u1) / 2)
    assert res["recall@20"] == pytest.approx(1.0)
    assert res["precision@20"] == pytest.approx((1 / 20 + 2 / 20) / 2)
    # AUC user 0: target 2 above negatives {1,3,4} -> 1; user 1: targets {0,1} vs {2,3}: 1 of 4 pairs
    assert res["auc"] == pytest.approx((1.0 + 0.25) / 2)
    assert res["coverage@20"] == pytest.approx(1.0)  # every item appears in some list (4 of 5 each)


def independent_popularity(train, held: HeldOut, k_recall=20, k_ndcg=100):
    """Popularity recall@20 and NDCG@100 from first principles, no shared code. Items of
    equal popularity tie: a target among t of them, behind a more popular, takes each
    of the places a+1 .. a+t with chance 1 / t."""
    pop = Counter()
    for u in range(train.shape[0]):
        pop.update(train.indices[train.indptr[u]:train.indptr[u + 1]].tolist())
    recalls, ndcgs = [], []
    for u in range(held.fold.shape[0]):
        known = set(held.fold.indices[held.fold.indptr[u]:held.fold.indptr[u + 1]].tolist())
        rel = set(held.target.indices[held.target.indptr[u]:held.target.indptr[u + 1]].tolist())
        ranked = np.array([pop[i] for i in range(train.shape[1]) if i not in known])
        hits = dcg = 0.0
        for i in rel:
            above, tied = int((ranked > pop[i]).sum()), int((ranked == pop[i]).sum())
            places = range(above + 1, above + tied + 1)
            hits += sum(r <= k_recall for r in places) / tied
            dcg += sum(1 / math.log2(r + 1) for r in places if r <= k_ndcg) / tied
        recalls.append(hits / min(k_recall, len(rel)))
        ndcgs.append(dcg / sum(1 / math.log2(r + 2) for r in range(min(k_ndcg, len(rel)))))
    return float(np.mean(recalls)), float(np.mean(ndcgs))


def check_popularity(counts):
    s = strong_split(counts)
    model = Popularity().fit(s.train)
    res = evaluate_scores(model.score(s.test.fold), s.test, with_auc=False)
    rec, ndcg = independent_popularity(s.train, s.test)
    assert res["recall@20"] == pytest.approx(rec, abs=1e-9)
    assert res["ndcg@100"] == pytest.approx(ndcg, abs=1e-9)


def test_popularity_matches_independent_computation_synthetic():
    check_popularity(random_counts())


@pytest.mark.slow
@pytest.mark.skipif(not (data.DEFAULT_DATA_ROOT / "hetrec2011-lastfm-2k").exists(), reason="shared data absent")
def test_popularity_matches_independent_computation_hetrec():
    check_popularity(data.load_hetrec().filtered().counts)


def test_quick_run_reports_every_model_and_beats_popularity():
    rng = np.random.default_rng(0)
    dense = np.zeros((300, 60), dtype=np.float32)
    for u in range(300):  # three taste groups of 20 items
        g = u % 3
        dense[u, g * 20 + rng.choice(20, size=10, replace=False)] = rng.integers(1, 20, size=10)
    x = sp.csr_matrix(dense)
    results = run(x, quick=True, log=lambda m: None)
    names = [r["model"] for r in results]
    assert names[0] == "Popularity" and {"EASE", "WMF (ALS)", "U-AutoRec", "I-AutoRec"} <= set(names)
    by = {r["model"]: r for r in results}
    for name in ("EASE", "WMF (ALS)", "U-AutoRec", "ItemKNN (cosine)"):
        assert by[name]["ndcg@100"] > 1.5 * by["Popularity"]["ndcg@100"], name
    table = format_table(results, "t")
    assert table.count("\n| ") == len(results) + 1


@pytest.mark.parametrize("dataset", ["hetrec", "msd"])
def test_command_prints_the_table_and_writes_json(dataset, tmp_path, capsys):
    import json

    from tests.recommender.research.test_pretrain import write_synthetic_data

    from recommender.research.eval_cf import main

    write_synthetic_data(tmp_path / "data", n_users=120)
    out = tmp_path / "res.json"
    assert main(["--dataset", dataset, "--quick", "--data-root", str(tmp_path / "data"), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"**{dataset}: strong generalisation" in printed and "| WMF (ALS) |" in printed
    res = json.loads(out.read_text())
    assert len(res["strong"]) == 6 and ("cold" in res) == (dataset == "hetrec")
    if dataset == "hetrec":
        assert "Tag->WMF factor regressor" in printed


def test_coverage_counts_every_order_of_the_ties():
    # Two people, four items, K=2: item 0 is in both lists; the second place goes to one
    # of items 1, 2, 3 for each, so each is in some list with chance 1 - (2/3)^2 = 5/9.
    flat = np.array([[1.0, 0, 0, 0], [1.0, 0, 0, 0]])
    assert abs(expected_coverage_at_k(flat, 2) - (1 + 3 * 5 / 9)) < 1e-12
    # The same in evaluate cf's top 20 of 22 items: 19 sure, the last place to one of 3.
    none = sp.csr_matrix((2, 22), dtype=np.float32)
    scores = np.tile(np.r_[np.ones(19), np.zeros(3)], (2, 1))
    got = evaluate_scores(scores, HeldOut(none, none), with_auc=False)["coverage@20"]
    assert abs(got - (19 + 3 * 5 / 9) / 22) < 1e-12

    rng = np.random.default_rng(0)
    fold = sp.csr_matrix((rng.random((30, 100)) < 0.1).astype(np.float32))
    target = sp.csr_matrix((rng.random((30, 100)) < 0.05).astype(np.float32))
    scores = rng.integers(0, 4, size=(30, 100)).astype(np.float64)     # counts: ties everywhere
    base = evaluate_scores(scores, HeldOut(fold, target), with_auc=False)["coverage@20"]
    for seed in range(3):
        src = np.random.default_rng(seed + 1).permutation(100)
        got = evaluate_scores(scores[:, src], HeldOut(fold[:, src], target[:, src]), with_auc=False)
        assert abs(got["coverage@20"] - base) < 1e-12
