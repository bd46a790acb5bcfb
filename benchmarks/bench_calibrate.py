"""What fitting Up next to the person costs a training run, beside the run's other parts.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_calibrate.py [--tracks 50000] [--plays 20000]

``recommender.calibrate.calibrate_up_next`` scores Up next's signals for up to 600
held-out queries (a pool of candidates each) and searches the weights on those pools.
On bench_rank's synthetic library (clusters, artists, a random 20,000-play log in
sessions of 12) this prints its time beside, in
the same run, one ``Recommender`` build and the whole ``train_local`` without the
session GRU (WMF, AutoRec, calibration).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_rank import synthetic_catalog  # noqa: E402
from recommender.calibrate import calibrate_up_next  # noqa: E402
from recommender.rank import Recommender  # noqa: E402
from recommender.train import train_local  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--plays", type=int, default=20_000)
    args = parser.parse_args(argv)
    cat = synthetic_catalog(args.tracks, n_plays=args.plays)
    rows = []
    t0 = time.perf_counter()
    Recommender(cat)
    rows.append(("Recommender(catalogue) build", time.perf_counter() - t0, ""))
    t0 = time.perf_counter()
    got = calibrate_up_next(cat)
    rows.append(("calibrate_up_next", time.perf_counter() - t0,
                 f"{got.get('upnext_queries', 0)} queries; held-out MRR@20 {got.get('upnext_default_mrr@20', 0):.3f} "
                 f"with the defaults, {got.get('upnext_mrr@20', 0):.3f} fitted"))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = train_local(tmp, cat, session_model=False)
        rows.append(("train_local (no GRU), calibration included", time.perf_counter() - t0,
                     ", ".join(result.trained)))
    print(f"{args.tracks:,} tracks, {args.plays:,} plays in sessions of 12; cores {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'step':<45} {'seconds':>8}   notes")
    for name, secs, note in rows:
        print(f"{name:<45} {secs:8.2f}   {note}")
    share = rows[1][1] / rows[2][1]
    print(f"calibration: {share:.0%} of the training run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
