"""Time of the trainer's held-out recall over a candidate subset, beside the whole catalogue.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_heldout.py [--tracks 20000 100000] [--sessions 600]

AutoRec is measured on at most 4,000 candidate columns (``cols``) of a catalogue that may
hold far more tracks, over up to 600 held-out sessions, twice a run (the model and its
popularity baseline). Its recall ranks only those columns, so it should cost no more than
the same sessions scored over the whole catalogue, the baseline measured in the same run.
Scores are small counts, so they tie as popularity's do.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from recommender.heldout import fold_recall  # noqa: E402


def sessions(n_tracks: int, n_sessions: int, per: int = 12, seed: int = 0):
    """Held-out sessions [shape=(n_sessions, n_tracks)] of ``per`` tracks, and their play order."""
    rng = np.random.default_rng(seed)
    items = np.concatenate([rng.choice(n_tracks, per, replace=False) for _ in range(n_sessions)])
    rows = np.repeat(np.arange(n_sessions), per)
    when = np.tile(np.arange(1, per + 1), n_sessions).astype(np.float32)
    shape = (n_sessions, n_tracks)
    return (sp.csr_matrix((np.ones(len(items), np.float32), (rows, items)), shape=shape),
            sp.csr_matrix((when, (rows, items)), shape=shape))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--sessions", type=int, default=600)
    ap.add_argument("--cols", type=int, default=4000)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(1)
    print("| tracks | sessions | whole catalogue s (baseline) | candidate columns s | ratio |")
    print("|---|---|---|---|---|")
    for n in args.tracks:
        test, order = sessions(n, args.sessions)
        full = rng.integers(0, 5, n).astype(np.float64)
        cols = np.sort(rng.choice(n, min(args.cols, n), replace=False))
        sub = rng.integers(0, 5, len(cols)).astype(np.float64)
        t0 = time.perf_counter()
        fold_recall(lambda row: full, test, order=order)
        base = time.perf_counter() - t0
        t0 = time.perf_counter()
        fold_recall(lambda row: sub, test, order=order, cols=cols)
        took = time.perf_counter() - t0
        print(f"| {n:,} | {args.sessions} | {base:.2f} | {took:.2f} | {took / base:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
