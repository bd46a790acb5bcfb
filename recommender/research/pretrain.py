"""Build the shipped collaborative priors into ``models/priors`` (read by :mod:`recommender.models.priors`).

    python -m recommender.research.pretrain [--data-root ../shared/data] [--out models/priors]

Files (each ``.npz`` with a ``.json`` manifest: source data and terms, command,
parameters, held-out metrics measured in the same run, sha256):

- ``hetrec_artists``: WMF artist factors from HetRec Last.fm 2K, keyed by
  ``normalize_name(artist)``.
- ``tag_regressor``: 50-tag (musicnn vocabulary) -> HetRec artist factor ridge map.
- ``msd_songs``: WMF song factors from the MSD Taste Profile sample, keyed by
  ``match_key(artist, title)`` (songs whose metadata the sample carries).
- ``msd_artists``: the mean MSD song factor of each artist (same space as the songs).
- ``msd_to_artist_space``: a ridge map from the MSD space to the HetRec artist space,
  fitted on artists found in both (quality on held-out shared artists in its manifest).

Factors are stored as float16 and keys compressed, which keeps the folder ~2 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from recommender.models.base import atomic_save_npz
from recommender.models.wmf import WMF_PARAMS
from segue_common import atomic

HETREC_SOURCE = {"dataset": "HetRec 2011 Last.fm 2K (GroupLens)", "files": ["user_artists.dat", "artists.dat",
                 "user_taggedartists.dat", "tags.dat"], "terms": "non-commercial research use (HetRec 2011 readme.txt)"}
MSD_SOURCE = {"dataset": "Million Song Dataset, Echo Nest Taste Profile (10,000-song subset sample)",
              "files": ["taste_profile_head.txt", "taste_profile_sample_with_songs.csv"],
              "terms": "MSD / Echo Nest Taste Profile terms (research use)"}


def _manifest(out: Path, name: str, path: Path, manifest: dict) -> dict:
    """Write ``<name>.json`` for the file at ``path`` (size, sha256, command + ``manifest``)."""
    manifest = {"file": path.name, "bytes": path.stat().st_size,
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "command": "python -m recommender.research.pretrain", **manifest}
    atomic.write_text(out / f"{name}.json", json.dumps(manifest, indent=2) + "\n")
    return manifest


def _write(out: Path, name: str, arrays: dict, manifest: dict) -> dict:
    return _manifest(out, name, atomic_save_npz(out / f"{name}.npz", compress=True, **arrays), manifest)


def fit_space_map(keys: np.ndarray, factors: np.ndarray, target, *, l2: float = 1.0,
                  seed: int = 3) -> tuple[np.ndarray, dict]:
    """Ridge map [f_src + 1, f_dst] from source factors to ``target`` (a FactorTable) on shared keys.

    Quality is measured on 20 % of the shared keys held out from the fit (mean cosine of
    mapped vs. true factor, and how often the true artist is the nearest of all target
    artists to the mapped vector within the top 10); the returned map is refitted on all.
    """
    tf, found = target.lookup(keys.tolist())
    x, y = factors[found].astype(np.float64), tf[found].astype(np.float64)
    n = len(x)
    if n < 10:
        return np.zeros((factors.shape[1] + 1, target.dim)), {"shared_artists": int(n)}

    def ridge(xa, ya):
        xa = np.hstack([xa, np.ones((len(xa), 1))])
        return np.linalg.solve(xa.T @ xa + l2 * np.eye(xa.shape[1]), xa.T @ ya)

    perm = np.random.default_rng(seed).permutation(n)
    te, tr = perm[: n // 5], perm[n // 5:]
    w = ridge(x[tr], y[tr])
    pred = np.hstack([x[te], np.ones((len(te), 1))]) @ w
    cos = (pred * y[te]).sum(1) / (np.linalg.norm(pred, axis=1) * np.linalg.norm(y[te], axis=1) + 1e-12)
    allf = target.factors.astype(np.float64)
    alln = allf / (np.linalg.norm(allf, axis=1, keepdims=True) + 1e-12)
    sims = (pred / (np.linalg.norm(pred, axis=1, keepdims=True) + 1e-12)) @ alln.T
    true_idx = np.array([target._index[k] for k in np.asarray(keys)[found][te]])
    rank = (sims > sims[np.arange(len(te)), true_idx][:, None]).sum(1)
    metrics = {"shared_artists": int(n), "heldout_artists": int(len(te)),
               "heldout_mean_cosine": round(float(cos.mean()), 4),
               "heldout_true_artist_in_top10": round(float((rank < 10).mean()), 4),
               "target_artists": len(target)}
    return ridge(x, y), metrics


def _dedupe(keys: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Indices keeping, for each non-empty key, the item with the largest weight; sorted by key."""
    order = np.lexsort((-weight, keys))
    k = keys[order]
    first = np.ones(len(k), dtype=bool)
    first[1:] = k[1:] != k[:-1]
    keep = order[first & (k != "")]
    return keep[np.argsort(keys[keep], kind="stable")]


def _heldout(counts, params: dict) -> dict:
    """Test-user metrics of WMF with ``params`` under the eval_cf protocol."""
    from recommender.models.wmf import WMF
    from recommender.research.eval_cf import evaluate_scores
    from recommender.research.splits import strong_split

    split = strong_split(counts)
    model = WMF(**params).fit(split.train)
    res = evaluate_scores(model.score(split.test.fold), split.test)
    return {"protocol": "strong generalisation, recommender/eval_cf.py (15% test users, 80/20 fold-in); "
                        "these params fitted on the train users only, the shipped factors refitted on all users",
            **{k: round(v, 4) for k, v in res.items()}}


def build(data_root: Path | None, out: Path, *, log=print, cold_eval: bool = True) -> dict:
    """Train and write every prior; returns ``{name: manifest}``."""
    from recommender.models.content_to_cf import TagToFactor, vocabulary_tag_matrix
    from recommender.models.priors import VOCABULARY
    from recommender.models.wmf import WMF
    from recommender.research import datasets as data

    out.mkdir(parents=True, exist_ok=True)
    manifests = {}
    het_root = data_root / "hetrec2011-lastfm-2k" if data_root else None
    msd_root = data_root / "msd_taste_sample" if data_root else None

    # HetRec artists + tag regressor
    het = data.load_hetrec(het_root).filtered()
    t0 = time.perf_counter()
    wmf = WMF(**WMF_PARAMS["hetrec"]).fit(het.counts)
    fit_s = time.perf_counter() - t0
    listeners = np.diff(het.counts.tocsc().indptr).astype(np.float64)
    keep = _dedupe(het.item_keys, listeners)
    f = wmf.item_factors
    metrics = _heldout(het.counts, WMF_PARAMS["hetrec"])
    log(f"hetrec: {het.counts.shape} fit {fit_s:.1f} s, held-out {metrics}")
    manifests["hetrec_artists"] = _write(out, "hetrec_artists", {
        "keys": het.item_keys[keep], "names": het.item_names[keep], "factors": f[keep].astype(np.float16)},
        {"source": HETREC_SOURCE, "model": "WMF (implicit ALS), c = 1 + alpha*log(1 + r/eps)",
         "params": WMF_PARAMS["hetrec"], "keys": "segue_common.normalize.normalize_name(artist)",
         "shape": list(f[keep].shape), "train": {"users": het.counts.shape[0], "fit_s": round(fit_s, 2)},
         "metrics": metrics})

    tags = vocabulary_tag_matrix(het.item_ids, *data.load_hetrec_tags(het_root), VOCABULARY)
    tagged = tags.sum(1) > 0
    reg = TagToFactor(VOCABULARY, l2=1.0).fit(tags[tagged], f[tagged])
    reg_path = reg.save(out / "tag_regressor.npz")
    cold = {}
    if cold_eval:
        from recommender.research.eval_cold import cold_artist_eval

        cold = cold_artist_eval(root=het_root, wmf_params=WMF_PARAMS["hetrec"], log=log)
    manifests["tag_regressor"] = _manifest(out, "tag_regressor", reg_path, {
        "source": HETREC_SOURCE, "model": "ridge regression, sqrt + L2-normalised tag vector -> WMF artist factor",
        "vocabulary": list(VOCABULARY), "params": {"l2": reg.l2}, "train": {"artists": int(tagged.sum())},
        "metrics": {"cold_artists": cold} if cold else {}})

    # MSD songs, artists and the map into the HetRec space
    msd = data.load_msd(msd_root).filtered()
    t0 = time.perf_counter()
    mw = WMF(**WMF_PARAMS["msd"]).fit(msd.counts)
    msd_fit_s = time.perf_counter() - t0
    mf = mw.item_factors
    plays = np.asarray(msd.counts.sum(0)).ravel()
    keep = _dedupe(msd.item_keys, plays)
    m_metrics = _heldout(msd.counts, WMF_PARAMS["msd"])
    log(f"msd: {msd.counts.shape} fit {msd_fit_s:.1f} s, {len(keep)} songs with keys, held-out {m_metrics}")
    manifests["msd_songs"] = _write(out, "msd_songs", {
        "keys": msd.item_keys[keep], "names": msd.item_names[keep], "factors": mf[keep].astype(np.float16)},
        {"source": MSD_SOURCE, "model": "WMF (implicit ALS)", "params": WMF_PARAMS["msd"],
         "keys": "segue_common.normalize.match_key(artist, title)", "shape": list(mf[keep].shape),
         "train": {"users": msd.counts.shape[0], "songs": msd.counts.shape[1], "fit_s": round(msd_fit_s, 2)},
         "metrics": m_metrics})

    artist_of = np.array([k.split("\x1f")[0] if k else "" for k in msd.item_keys])
    names = sorted(set(artist_of[keep].tolist()) - {""})
    a_f = np.stack([mf[keep][artist_of[keep] == a].mean(0) for a in names]) if names else np.zeros((0, mf.shape[1]))
    manifests["msd_artists"] = _write(out, "msd_artists", {
        "keys": np.array(names, dtype=str), "factors": a_f.astype(np.float16)},
        {"source": MSD_SOURCE, "model": "mean of the artist's MSD song factors", "shape": list(a_f.shape),
         "keys": "segue_common.normalize.normalize_name(artist)", "metrics": {}})

    from recommender.models.priors import FactorTable

    het_keep = _dedupe(het.item_keys, listeners)
    het_table = FactorTable(het.item_keys[het_keep], f[het_keep])
    mapping, map_metrics = fit_space_map(np.array(names, dtype=str), a_f, het_table)
    log(f"msd -> hetrec map: {map_metrics}")
    manifests["msd_to_artist_space"] = _write(out, "msd_to_artist_space", {"map": mapping.astype(np.float32)}, {
        "source": {"hetrec": HETREC_SOURCE, "msd": MSD_SOURCE},
        "model": "ridge map [f_msd + 1, f] (last row bias) from MSD artist factors to HetRec artist factors",
        "metrics": map_metrics})
    return manifests


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m recommender.research.pretrain", description=__doc__.splitlines()[0])
    ap.add_argument("--data-root", type=Path, default=None, help="default: ../shared/data")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "models" / "priors")
    args = ap.parse_args(argv)
    man = build(args.data_root, args.out, log=lambda m: print(m, file=sys.stderr, flush=True))
    for name, m in man.items():
        print(f"{name}: {m['bytes']} bytes, metrics {json.dumps(m.get('metrics', {}))[:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
