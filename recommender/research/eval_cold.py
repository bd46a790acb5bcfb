"""Cold-artist evaluation of the tag -> WMF factor regressor (cold start).

Protocol (HetRec Last.fm 2K, fixed seeds), run by ``evaluate cf --dataset hetrec``:

1. The filtered HetRec matrix (items >= 2 users, users >= 5 items); each artist's
   content is its 50-tag vector (how many *train* users gave it each tag of the
   musicnn vocabulary; test users' tags are left out so their answers cannot leak).
   10 % of the artists with at least one such tag (seed 2) become *cold*: every
   interaction with them is removed from training.
2. Users are split as in :func:`recommender.research.eval_cf.strong_split` (seed 0): WMF is
   fitted on the train users' warm artists; the regressor learns tags -> WMF factor on
   the warm artists (ridge lambda picked on 10 % of the warm artists held out).
3. Each test user with at least one cold artist is folded in from all their warm
   artists; the cold artists are ranked for them and their own cold artists are the
   targets (Recall@20/@50, NDCG@100 among cold artists only).

Compared with: *tag popularity* (non-personalised: each tag's mean listener count over
warm artists, weighted by the artist's tag features), *user tag profile* (cosine of
the user's summed warm-artist tag features with the artist's), random order, and
*WMF, artists warm* (the same users with the cold artists' interactions kept in
training: the ceiling a perfect regressor would approach).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from recommender import metrics as M


def _rank_metrics(scores: np.ndarray, targets: list[set]) -> dict:
    """Means over every order of the tied scores, not those of one tie-break (artists with
    the same tags score the same)."""
    scores = np.asarray(scores, np.float64)
    out = {"recall@20": [], "recall@50": [], "ndcg@100": []}
    for u, rel in enumerate(targets):
        out["recall@20"].append(M.expected_recall_at_k(scores[u], rel, 20))
        out["recall@50"].append(M.expected_recall_at_k(scores[u], rel, 50))
        out["ndcg@100"].append(M.expected_ndcg_at_k(scores[u], rel, 100))
    return {k: float(np.mean(v)) for k, v in out.items()}


def cold_artist_eval(*, cold_frac: float = 0.1, seed: int = 2, wmf_params: dict | None = None,
                     root=None, log=print) -> dict:
    """Run the protocol above; returns ``{"rows": [...], "n_cold": .., "n_users": .., ...}``."""
    from recommender.models.content_to_cf import (
        TagToFactor,
        tag_features,
        vocabulary_tag_matrix,
    )
    from recommender.models.priors import VOCABULARY
    from recommender.models.wmf import WMF
    from recommender.research import datasets as data
    from recommender.research.splits import user_split

    ds = data.load_hetrec(root).filtered()
    x = ds.counts
    _, test_u, train_u = user_split(x.shape[0])     # the users of the main table
    # Artist content = tags from the train users only (the test users' own tags on the
    # artists they listen to would leak their answers into the cold artists' content).
    tags = vocabulary_tag_matrix(ds.item_ids, *data.load_hetrec_tags(root, users=ds.user_ids[train_u]),
                                 VOCABULARY)
    rng = np.random.default_rng(seed)
    tagged = np.flatnonzero(tags.sum(1) > 0)
    cold = np.sort(rng.choice(tagged, size=int(round(cold_frac * len(tagged))), replace=False))
    warm = np.setdiff1d(np.arange(x.shape[1]), cold)
    xt, xs = x[train_u], x[test_u]
    has_cold = np.diff(xs[:, cold].tocsr().indptr) > 0
    has_warm = np.diff(xs[:, warm].tocsr().indptr) > 0
    xs = xs[has_cold & has_warm]
    targets = [set(np.flatnonzero(r.toarray().ravel()).tolist()) for r in xs[:, cold]]
    params = wmf_params or {"factors": 64, "regularization": 1.0, "alpha": 2.0, "eps": 1.0}

    t0 = time.perf_counter()
    wmf = WMF(**params).fit(sp.csr_matrix(xt[:, warm]))
    fit_s = time.perf_counter() - t0
    users_f = wmf.fold_in(sp.csr_matrix(xs[:, warm]))

    # ridge lambda picked on held-out warm artists (factor regression error)
    wt = np.flatnonzero(tags[warm].sum(1) > 0)
    if len(wt) < 10 or len(cold) == 0:
        raise ValueError(f"too few tagged artists for a cold-start evaluation ({len(wt)} warm, "
                         f"{len(cold)} cold) with the train users' tags")
    perm = np.random.default_rng(seed + 1).permutation(wt)
    n_val = len(perm) // 10
    val_i, fit_i = perm[:n_val], perm[n_val:]
    y = wmf.item_factors
    errs = {}
    for l2 in (0.01, 0.1, 1.0, 10.0):
        reg = TagToFactor(VOCABULARY, l2=l2).fit(tags[warm][fit_i], y[fit_i])
        errs[l2] = float(np.mean((reg.predict_factors(tags[warm][val_i]) - y[val_i]) ** 2))
    l2 = min(errs, key=errs.get)
    reg = TagToFactor(VOCABULARY, l2=l2).fit(tags[warm][wt], y[wt])
    log(f"  cold artists: {len(cold)}, test users with one: {len(targets)}, ridge lambda {l2} ({errs})")

    feats_cold = tag_features(tags[cold])
    feats_warm = tag_features(tags[warm])
    listeners = np.diff(xt[:, warm].tocsc().indptr).astype(np.float64)
    tag_pop = (feats_warm.T @ listeners) / np.maximum(feats_warm.sum(0), 1e-9)
    profile = sp.csr_matrix(xs[:, warm] > 0, dtype=np.float64) @ feats_warm
    profile /= np.maximum(np.linalg.norm(profile, axis=1, keepdims=True), 1e-9)

    full = WMF(**params).fit(sp.csr_matrix(xt))
    full_scores = (full.fold_in(_zero_cols(xs, cold))
                   @ full.item_factors[cold].T)
    n = len(targets)
    rows = [
        ("Random order", rng.random((n, len(cold)))),
        ("Tag popularity", np.tile(feats_cold @ tag_pop, (n, 1))),
        ("User tag profile (cosine)", profile @ feats_cold.T),
        ("Tag->WMF factor regressor", users_f @ reg.predict_factors(tags[cold]).T),
        ("WMF with the artists warm (ceiling)", full_scores),
    ]
    return {"rows": [{"model": name, **_rank_metrics(s, targets)} for name, s in rows],
            "n_cold": int(len(cold)), "n_users": int(n), "ridge_l2": l2, "wmf_fit_s": fit_s,
            "wmf_params": params}


def _zero_cols(x: sp.csr_matrix, cols: np.ndarray) -> sp.csr_matrix:
    """``x`` with the given columns emptied (the user's cold artists are targets, not input)."""
    x = sp.csr_matrix(x, dtype=np.float32, copy=True)
    mask = np.isin(x.indices, cols)
    x.data[mask] = 0
    x.eliminate_zeros()
    return x


def format_cold(res: dict) -> str:
    lines = [f"**hetrec: cold artists ({res['n_cold']} artists never seen in training, "
             f"{res['n_users']} test users), ranked among cold artists only**", "",
             "| model | recall@20 | recall@50 | ndcg@100 |", "|---|---|---|---|"]
    for r in res["rows"]:
        lines.append(f"| {r['model']} | {r['recall@20']:.4f} | {r['recall@50']:.4f} | {r['ndcg@100']:.4f} |")
    return "\n".join(lines)
