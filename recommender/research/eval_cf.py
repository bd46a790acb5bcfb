"""Strong-generalisation evaluation of the collaborative models (``evaluate cf``).

    python -m recommender.evaluate cf --dataset hetrec|msd [--quick] [--json PATH]

Protocol (Liang et al. 2018, "VAE for CF"; fixed seeds):

1. Filter: items with >= 2 users, then users with >= 5 items.
2. Shuffle users (seed 0); 15 % are validation users, 15 % test users, the rest
   train. Items no train user has are dropped (no model can learn them).
3. Each held-out user's items are split 80/20 at random (seed 1): models fold in
   the 80 % without refitting, and rank all items except those; the 20 % are the
   targets.
4. Every model is fitted on the train users once per grid point; the grid point with
   the best validation NDCG@100 is reported once on the test users.

Metrics come from :mod:`recommender.metrics`: Recall@20/@50 (normalised by
min(K, |targets|)), NDCG@100, MRR over the full ranking, precision and F1 at 20 (hits / K
and their harmonic mean with recall, as much of the literature reports them), AUC, and catalogue coverage of the top-20 lists.
The ranking metrics are their means over every order of a model's tied scores (popularity's
counts tie often), not those of one tie-break; AUC counts a tie one half; coverage is the
expected number of distinct items in the top-20 lists over the catalogue's size, each list's
ties in an order of its own (:func:`recommender.metrics.expected_coverage_at_k`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import scipy.sparse as sp

from recommender import metrics as M
from recommender.research.splits import HeldOut, strong_split


def evaluate_scores(scores: np.ndarray, heldout: HeldOut, *, with_auc: bool = True) -> dict:
    """Mean metrics of scores [shape=(n_users, n_items)] with fold-in items excluded."""
    s = np.array(scores, dtype=np.float64)
    fold, target = heldout.fold, heldout.target
    r, c = fold.nonzero()
    s[r, c] = -np.inf
    rows = {k: [] for k in ("recall@20", "recall@50", "ndcg@100", "mrr", "precision@20", "f1@20", "auc")}
    for u in range(s.shape[0]):
        rel = set(target.indices[target.indptr[u]:target.indptr[u + 1]].tolist())
        excl = fold.indices[fold.indptr[u]:fold.indptr[u + 1]]
        row = s[u]
        rows["recall@20"].append(M.expected_recall_at_k(row, rel, 20, exclude=excl))
        rows["recall@50"].append(M.expected_recall_at_k(row, rel, 50, exclude=excl))
        rows["ndcg@100"].append(M.expected_ndcg_at_k(row, rel, 100, exclude=excl))
        rows["mrr"].append(M.expected_mrr_at_k(row, rel, exclude=excl))
        rows["precision@20"].append(M.expected_precision_at_k(row, rel, 20, exclude=excl))
        rows["f1@20"].append(M.expected_f1_at_k(row, rel, 20, exclude=excl))
        if with_auc:
            rows["auc"].append(M.auc(scores[u], rel, exclude=excl))
    out = {k: float(np.nanmean(v)) for k, v in rows.items() if v}
    out["coverage@20"] = M.expected_coverage_at_k(s, 20) / s.shape[1]
    out["users"] = int(s.shape[0])
    return out


def candidates(quick: bool = False) -> dict[str, list]:
    """Model name -> list of (constructor, params) grid points tuned on validation."""
    from recommender.models.autorec import IAutoRec, UAutoRec
    from recommender.models.wmf import WMF
    from recommender.research.cf_baselines import EASE, ItemKNN, Popularity

    grid = {
        "Popularity": [(Popularity, {})],
        "ItemKNN (cosine)": [(ItemKNN, {"neighbours": n}) for n in (50, 200)],
        "EASE": [(EASE, {"l2": l}) for l in (25.0, 50.0, 150.0, 500.0)],
        "WMF (ALS)": [(WMF, {"factors": f, "regularization": reg, "alpha": a, "eps": e})
                      for f in (64, 128) for reg in (1.0, 10.0) for a in (2.0, 10.0) for e in (1.0, 100.0)],
        "U-AutoRec": [(UAutoRec, {"hidden": 256, "loss": "multinomial", "epochs": 60, "lr": lr})
                      for lr in (1e-3, 5e-3)],
        "I-AutoRec": [(IAutoRec, {"hidden": 128, "fold_l2": l, "epochs": 40}) for l in (1.0, 10.0)],
    }
    if quick:
        grid = {k: v[:1] for k, v in grid.items()}
    return grid


def run(counts: sp.csr_matrix, *, quick: bool = False, log=print) -> list[dict]:
    """Tune on validation, report on test; one dict per model (chosen params, metrics, fit s)."""
    split = strong_split(counts)
    log(f"train {split.train.shape[0]} users x {split.train.shape[1]} items "
        f"({split.train.nnz} plays); validation {split.val.fold.shape[0]}, test {split.test.fold.shape[0]} users")
    results = []
    for name, grid in candidates(quick).items():
        best = None
        for cls, params in grid:
            t0 = time.perf_counter()
            model = cls(**params).fit(split.train)
            fit_s = time.perf_counter() - t0
            val = evaluate_scores(model.score(split.val.fold), split.val, with_auc=False)
            log(f"  {name} {params}: val NDCG@100 {val['ndcg@100']:.4f} ({fit_s:.1f} s)")
            if best is None or val["ndcg@100"] > best[1]["ndcg@100"]:
                best = (model, val, params, fit_s)
        model, val, params, fit_s = best
        t0 = time.perf_counter()
        scores = model.score(split.test.fold)
        score_s = time.perf_counter() - t0
        test = evaluate_scores(scores, split.test)
        results.append({"model": name, "params": params, "fit_s": fit_s, "score_s": score_s,
                        "val_ndcg@100": val["ndcg@100"], **test})
    return results


COLUMNS = ["recall@20", "recall@50", "ndcg@100", "mrr", "precision@20", "f1@20", "auc", "coverage@20"]


def format_table(results: list[dict], title: str) -> str:
    head = "| model | " + " | ".join(COLUMNS) + " | fit s | chosen params |"
    lines = [f"**{title}**", "", head, "|" + "---|" * (len(COLUMNS) + 3)]
    for r in results:
        cells = " | ".join(f"{r[c]:.4f}" for c in COLUMNS)
        lines.append(f"| {r['model']} | {cells} | {r['fit_s']:.1f} | {r['params']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m recommender.evaluate cf", description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", choices=("hetrec", "msd"), required=True)
    ap.add_argument("--quick", action="store_true", help="one grid point per model (smoke run)")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-artist table (hetrec)")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--data-root", type=Path, default=None, help="default: ../shared/data")
    args = ap.parse_args(argv)
    from recommender.research import datasets as data

    root = args.data_root
    het_root = root / "hetrec2011-lastfm-2k" if root else None
    msd_root = root / "msd_taste_sample" if root else None
    ds = (data.load_hetrec(het_root) if args.dataset == "hetrec" else data.load_msd(msd_root)).filtered()
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    results = run(ds.counts, quick=args.quick, log=log)
    out = {"dataset": args.dataset, "strong": results}
    print(format_table(results, f"{args.dataset}: strong generalisation, test users"))
    if args.dataset == "hetrec" and not args.no_cold:
        from recommender.models.wmf import WMF_PARAMS
        from recommender.research.eval_cold import cold_artist_eval, format_cold

        cold = cold_artist_eval(wmf_params=WMF_PARAMS["hetrec"], root=het_root, log=log)
        out["cold"] = cold
        print()
        print(format_cold(cold))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2)
    return 0
