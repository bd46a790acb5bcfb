import itertools
import math

import numpy as np
import pytest

from recommender import metrics as m


def test_recall_normalised_by_min_k_and_relevant():
    assert m.recall_at_k([1, 2, 3, 4], {2, 9}, 2) == pytest.approx(0.5)
    assert m.recall_at_k([1, 2, 3], {1, 2, 3, 4, 5}, 3) == pytest.approx(1.0)
    assert m.recall_at_k([7, 8], set(), 2) == 0.0


def test_ndcg_hand_computed():
    # hits at ranks 1 and 3, two relevant items: (1 + 1/log2(4)) / (1 + 1/log2(3))
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert m.ndcg_at_k([5, 6, 7], {5, 7}, 3) == pytest.approx(expected)
    assert m.ndcg_at_k([5, 6, 7], {9}, 3) == 0.0


def test_mrr_and_hit_rate():
    assert m.mrr_at_k([4, 3, 2, 1], {2}) == pytest.approx(1 / 3)
    assert m.mrr_at_k([4, 3, 2, 1], {2}, k=2) == 0.0
    assert m.hit_rate_at_k([4, 3, 2], {2}, 3) == 1.0
    assert m.hit_rate_at_k([4, 3, 2], {2}, 2) == 0.0


def test_precision_f1():
    assert m.precision_at_k([1, 2, 3, 4], {1, 3}, 4) == pytest.approx(0.5)
    # p = 2/4, r = 2/2 -> f1 = 2/3
    assert m.f1_at_k([1, 2, 3, 4], {1, 3}, 4) == pytest.approx(2 / 3)


def test_auc_matches_pair_count():
    scores = np.array([0.9, 0.1, 0.5, 0.3, 0.5])
    relevant = {0, 2}
    exclude = {4}
    # pairs (pos, neg) over negatives {1, 3}: 0>1, 0>3, 2>1, 2>3 -> 1.0
    assert m.auc(scores, relevant, exclude=exclude) == pytest.approx(1.0)
    # with item 4 a negative, 2 ties it: (4 + 0.5 + 1) / 6
    assert m.auc(scores, relevant) == pytest.approx(5.5 / 6)


def test_top_k_orders_and_excludes():
    scores = np.array([0.1, 0.9, 0.5, 0.7])
    assert list(m.top_k(scores, 2)) == [1, 3]
    assert list(m.top_k(scores, 2, exclude=[1])) == [3, 2]
    batch = m.top_k(np.array([[1.0, 3.0, 2.0], [3.0, 1.0, 2.0]]), 2)
    assert batch.tolist() == [[1, 2], [0, 2]]


def test_top_k_takes_tied_scores_in_one_fixed_order():
    # A count baseline's scores tie in large groups. Which of the tied items made the cut
    # was numpy's partition's choice, and that differs between processors: the same run
    # gave one person's item-kNN HR@20 0.0967 on one machine and 0.1161 on another.
    scores = np.random.default_rng(0).integers(0, 4, size=5000).astype(np.float64)
    scores[4000], scores[4500] = 11.0, 10.0
    order = np.lexsort((m._scrambled(np.arange(scores.size)), -scores)).tolist()
    assert order[:2] == [4000, 4500]
    assert m.top_k(scores, 20).tolist() == order[:20]
    assert m.top_k(scores, 200).tolist() == order[:200]
    assert m.top_k(scores, 20, exclude=[4000]).tolist() == order[1:21]
    flipped = scores[::-1].copy()
    assert m.top_k(np.stack([scores, flipped]), 20).tolist() == [
        order[:20], np.lexsort((m._scrambled(np.arange(scores.size)), -flipped))[:20].tolist()]
    # Not the items' own order: they are numbered as first played, and an album's tracks
    # that tie would come out in the order they were heard.
    tied = order[2:200]
    assert tied != sorted(tied)


def _mean_over_tie_orders(metric, scores, relevant, k, exclude=()):
    """The metric of every ranking an order of the tied items gives (excluded items last),
    averaged: the brute force the expected metrics must equal. Each tie's orders are taken
    apart from the others', all equally likely."""
    items = [i for i in range(len(scores)) if i not in set(exclude)]
    ties = [[i for i in items if scores[i] == v] for v in sorted(set(scores[items].tolist()), reverse=True)]
    values = [metric([i for tie in orders for i in tie] + list(exclude), relevant, k)
              for orders in itertools.product(*(itertools.permutations(tie) for tie in ties))]
    return sum(values) / len(values)


def test_expected_metrics_equal_the_mean_over_every_order_of_the_ties():
    # Scores of 0, 1, 2 tie in large groups, as a count baseline's do; the targets sit in
    # ties that straddle the cut, lie above it, below it, or share a tie with each other.
    rng = np.random.default_rng(3)
    pairs = [(m.expected_recall_at_k, m.recall_at_k), (m.expected_hit_rate_at_k, m.hit_rate_at_k),
             (m.expected_mrr_at_k, m.mrr_at_k), (m.expected_ndcg_at_k, m.ndcg_at_k),
             (m.expected_precision_at_k, m.precision_at_k), (m.expected_f1_at_k, m.f1_at_k)]
    cases = 0
    for _ in range(16):
        scores = rng.integers(0, 3, size=7).astype(np.float64)
        relevant = set(rng.choice(7, size=rng.integers(1, 4), replace=False).tolist())
        exclude = [int(i) for i in rng.choice([i for i in range(7) if i not in relevant], size=rng.integers(0, 2))]
        for k in (1, 2, 3, 5, 7):
            for expected, plain in pairs:
                want = _mean_over_tie_orders(plain, scores, relevant, k, exclude)
                assert expected(scores, relevant, k, exclude=exclude) == pytest.approx(want, abs=1e-12), \
                    (expected.__name__, scores.tolist(), relevant, exclude, k)
                cases += 1
        # Over the whole ranking, and a relevant item the scores do not reach (a miss in every order).
        assert m.expected_mrr_at_k(scores, relevant) == pytest.approx(
            _mean_over_tie_orders(lambda r, rel, k: m.mrr_at_k(r, rel), scores, relevant, None))
        assert m.expected_recall_at_k(scores, relevant | {99}, 3) == pytest.approx(
            _mean_over_tie_orders(m.recall_at_k, scores, relevant | {99}, 3))
    assert cases == 16 * 5 * len(pairs)


def test_expected_metrics_without_ties_are_the_plain_ones():
    scores = np.array([0.3, 0.9, -np.inf, 0.5, 0.1, np.nan, 0.7])
    ranked = [1, 6, 3, 0, 4, 2, 5]
    for rel in ({3}, {0, 6}, {2}, {5}, {4, 5, 1}):
        for k in (1, 3, 7):
            assert m.expected_recall_at_k(scores, rel, k) == pytest.approx(m.recall_at_k(ranked, rel, k))
            assert m.expected_hit_rate_at_k(scores, rel, k) == pytest.approx(m.hit_rate_at_k(ranked, rel, k))
            assert m.expected_mrr_at_k(scores, rel, k) == pytest.approx(m.mrr_at_k(ranked, rel, k))
            assert m.expected_ndcg_at_k(scores, rel, k) == pytest.approx(m.ndcg_at_k(ranked, rel, k))


def test_expected_hit_rate_of_one_target_in_a_large_tie():
    # 30 items above the target and 1,000 tied with it: 20 of those make the top 50.
    scores = np.zeros(5000)
    scores[:30] = 2.0
    scores[30:1030] = 1.0
    assert m.expected_hit_rate_at_k(scores, [500], 50) == pytest.approx(20 / 1000)
    assert m.expected_mrr_at_k(scores, [500], 50) == pytest.approx(sum(1 / r for r in range(31, 51)) / 1000)
    assert m.expected_hit_rate_at_k(scores, [500], 20) == 0.0
    # Many targets in one tie take the sorted path: each is in the top 50 with chance 20 / 1000.
    assert m.expected_recall_at_k(scores, range(100, 150), 50) == pytest.approx(50 * 20 / 1000 / 50)


def test_expected_metrics_with_nan_inf_excluded_targets_and_many_targets():
    # NaN ranks below -inf, and an excluded item is never ranked, even when it is relevant
    # (it still counts as relevant, as in the plain metrics). More than eight targets take
    # the sorted path, which must leave NaN out as the one-pass path does.
    nan, inf = np.nan, np.inf
    scores = np.array([2, 2, nan, 1, -inf, 1, nan, 2, -inf, 1, 0, 0, 1, 2], dtype=np.float64)
    exclude = [1, 10]
    groups = [[0, 7, 13], [3, 5, 9, 12], [11], [4, 8], [2, 6]]   # the candidates' ties, best first
    rankings = [[i for tie in orders for i in tie]
                for orders in itertools.product(*(itertools.permutations(tie) for tie in groups))]
    pairs = [(m.expected_recall_at_k, m.recall_at_k), (m.expected_hit_rate_at_k, m.hit_rate_at_k),
             (m.expected_mrr_at_k, m.mrr_at_k), (m.expected_ndcg_at_k, m.ndcg_at_k),
             (m.expected_precision_at_k, m.precision_at_k), (m.expected_f1_at_k, m.f1_at_k)]
    for relevant in ({0, 1, 2, 3, 4, 6, 8, 9, 11, 13}, {1, 6, 8}, {2, 6}, {1, 10}):
        for k in (1, 3, 6, 9, 12, 14):
            for expected, plain in pairs:
                want = sum(plain(r, relevant, k) for r in rankings) / len(rankings)
                assert expected(scores, relevant, k, exclude=exclude) == pytest.approx(want, abs=1e-12), \
                    (expected.__name__, relevant, k)
        assert m.expected_mrr_at_k(scores, relevant, exclude=exclude) == pytest.approx(
            sum(m.mrr_at_k(r, relevant) for r in rankings) / len(rankings), abs=1e-12)


def test_bad_cutoff_raises():
    with pytest.raises(m.MetricInputError):
        m.recall_at_k([1], {1}, 0)


@pytest.mark.parametrize("fn", [m.recall_at_k, m.hit_rate_at_k, m.precision_at_k, m.f1_at_k,
                                m.ndcg_at_k, m.mrr_at_k])
@pytest.mark.parametrize("k", [0, -1])
def test_every_cutoff_metric_rejects_non_positive_k(fn, k):
    with pytest.raises(m.MetricInputError):
        fn([1, 2], {1}, k)


def _every_ranking(row):
    """Every ranking an order of ``row``'s tied scores gives (NaN after -inf), one per order."""
    finite = sorted({float(v) for v in row if not np.isnan(v)}, reverse=True)
    ties = [[i for i, v in enumerate(row) if v == x] for x in finite] + [np.flatnonzero(np.isnan(row)).tolist()]
    return [[i for tie in orders for i in tie]
            for orders in itertools.product(*(itertools.permutations(tie) for tie in ties))]


def test_top_k_chances_and_coverage_equal_the_mean_over_every_order_of_the_ties():
    # Small rows of counts with NaN, -inf and +inf among them, K from one place to more than
    # the row holds; coverage takes each row's ties in an order of its own.
    rng = np.random.default_rng(7)
    values = np.array([np.nan, -np.inf, np.inf, 0.0, 1.0, 2.0])
    for _ in range(40):
        n = int(rng.integers(1, 6))
        rows = values[rng.choice(len(values), size=(2, n), p=[0.15, 0.15, 0.05, 0.25, 0.25, 0.15])]
        rankings = [_every_ranking(row) for row in rows]
        for k in range(1, n + 3):
            want = np.array([[np.mean([i in r[:k] for r in rs]) for i in range(n)] for rs in rankings])
            np.testing.assert_allclose(m.top_k_chances(rows, k), want, rtol=0, atol=1e-12, err_msg=f"{rows} {k}")
            np.testing.assert_allclose(m.top_k_chances(rows[0], k), want[0], rtol=0, atol=1e-12)
            covered = [len(set(a[:k]) | set(b[:k])) for a in rankings[0] for b in rankings[1]]
            assert m.expected_coverage_at_k(rows, k) == pytest.approx(np.mean(covered), abs=1e-12), (rows, k)
