"""Incremental GRU updates vs. full refits on a personal log, in one run.

    python -m benchmarks.bench_session_update [--log PATH] [--refit-every 10] [--epochs 20]

Trains the session GRU on the first 80% of the log's time, then walks the test
sessions in time order (the protocol of ``recommender.research.evaluate sessions``, repeats
kept) with three strategies scored on the same queries:

- ``static``: never trained again (new tracks still get scores from their artist);
- ``incremental``: ``update()`` after every session (continues from the weights);
- ``refit``: a fresh ``fit()`` on every session so far, after every N-th session.

Prints HR@20 / MRR@20 and the training cost of each, as totals and as a ratio to
one full fit measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # also runs as a plain script

from recommender.models.session_base import ItemSpace
from recommender.models.session_rnn import SessionGRU
from recommender.research.logs import load_log_file
from recommender.research.protocol import run
from recommender.research.splits import make_split

DEFAULT_LOG = "../shared/data/lastfm1k_sample/listens_user_000001.tsv"


class StaticGRU(SessionGRU):
    name = "static"

    def _update(self, sessions):
        pass


class RefitGRU(SessionGRU):
    """Refits from scratch on everything seen, after every ``every``-th new session."""

    name = "refit"

    def __init__(self, *, every: int, **kw):
        super().__init__(**kw)
        self.every, self.seen, self.pending = every, [], 0

    def fit(self, sessions, catalog):
        self.seen = [np.asarray(s) for s in sessions]
        return super().fit(sessions, catalog)

    def _update(self, sessions):
        self.seen += sessions
        self.pending += len(sessions)
        if self.pending >= self.every:
            self.pending = 0
            super().fit(self.seen, self.catalog)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--log", default=DEFAULT_LOG)
    ap.add_argument("--refit-every", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args(argv)
    log = load_log_file(args.log)
    catalog = ItemSpace(log.n_items, log.item_artist, log.n_artists)
    t0, t1 = log.times[0], log.times[-1]
    split = make_split(log, cut=t0 + 0.8 * (t1 - t0), repeats=True, gap_s=1800)
    facs = {"static": lambda: StaticGRU(epochs=args.epochs),
            "incremental": lambda: SessionGRU(epochs=args.epochs),
            "refit": lambda: RefitGRU(every=args.refit_every, epochs=args.epochs)}
    start = time.perf_counter()
    res = {k: v.summary() for k, v in run(split, catalog, facs, update=True, repeats=True).items()}
    fits = [res[k]["fit_s"] for k in facs]
    full = float(np.mean(fits))  # the three initial fits are the same work: their mean is the reference
    print(f"\n{len(log)} plays, {len(split.train)} training sessions, {len(split.test)} test sessions, "
          f"{split.n_queries} queries; one full fit = {full:.2f} s (mean of {', '.join(f'{f:.2f}' for f in fits)}); "
          f"wall {time.perf_counter() - start:.0f} s\n")
    print("| strategy | HR@20 | MRR@20 | training after the cut (s) | x full fit | per session (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, s in res.items():
        label = f"refit every {args.refit_every}" if name == "refit" else name
        per = s["update_s_total"] / max(s["n_updates"], 1)
        print(f"| {label} | {s['HR@20']:.4f} | {s['MRR@20']:.4f} | {s['update_s_total']:.2f} | "
              f"{s['update_s_total'] / full:.2f} | {per:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
